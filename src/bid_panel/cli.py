"""The `bid-panel` command line.

Commands that do not draw (validate, init, schema, results...) never import Textual, so a
`bid-panel validate` in a CI job starts fast; the TUI is imported only when it is opened.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from bid_panel import __version__
from bid_panel.core.errors import BidPanelError

EXIT_OK = 0
EXIT_USAGE = 2


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    from bid_panel.core.workspace import validate_paths

    findings = validate_paths([Path(p) for p in args.paths])
    if args.format == "json":
        print(
            json.dumps({"ok": findings.ok, "findings": [f.as_json() for f in findings]}, indent=2)
        )
    else:
        for finding in findings:
            print(finding)
        errors, warnings = len(findings.errors), len(findings) - len(findings.errors)
        summary = "clean" if not findings else f"{errors} error(s), {warnings} warning(s)"
        print(f"{'OK' if findings.ok else 'FAILED'}: {summary}", file=sys.stderr)
    return EXIT_OK if findings.ok else EXIT_USAGE


def cmd_init(args: argparse.Namespace) -> int:
    from bid_panel.core.sample import init_workspace

    target = init_workspace(Path(args.dir), with_sample_scores=args.with_sample_scores)
    print(f"Created workspace {target}")
    if args.with_sample_scores:
        print("  with submitted sample score sheets and a sample moderation record")
    print(f"Next: bid-panel score {target}    or    bid-panel results {target}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from bid_panel.core.schema import write_schemas

    for path in write_schemas(Path(args.out)):
        print(f"wrote {path}")
    return EXIT_OK


def cmd_results(args: argparse.Namespace) -> int:
    from bid_panel.core.evaluation import robustness
    from bid_panel.core.report import results_table
    from bid_panel.core.results import results_json
    from bid_panel.core.robustness import robustness_json
    from bid_panel.core.workspace import load_workspace

    workspace = load_workspace(Path(args.workspace))
    results, report = robustness(workspace)
    if args.format == "json":
        data = results_json(results, workspace.tender_sha256)
        data["robustness"] = robustness_json(report)
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(results_table(results, robustness=report))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import datetime

    from bid_panel.core.exports import FORMATS, export
    from bid_panel.core.workspace import load_workspace

    formats = [f.strip() for v in args.format or ["all"] for f in v.split(",") if f.strip()]
    if "all" in formats:
        formats = list(FORMATS)
    generated_at = None
    if args.generated_at:
        try:
            generated_at = datetime.fromisoformat(args.generated_at)
        except ValueError:
            generated_at = None
        if generated_at is None or generated_at.tzinfo is None:
            raise BidPanelError(
                f"--generated-at {args.generated_at!r} is not a time with a UTC offset; "
                "write it like 2026-10-21T12:00:00+00:00"
            )
    workspace = load_workspace(Path(args.workspace))

    def progress(done: int, total: int, message: str) -> None:
        print(f"[{done}/{total}] {message}", file=sys.stderr)

    out = Path(args.out)
    paths = export(workspace, formats, out, generated_at, progress, ocid_prefix=args.ocid_prefix)
    for path in paths:
        print(path)
    print(
        f"Wrote {len(paths)} file(s) to {out}. None of them is for quality evaluators: "
        "they contain price information.",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_moderate(args: argparse.Namespace) -> int:
    from bid_panel.tui.app import run_app

    return run_app(workspace=Path(args.workspace), evaluator=args.as_, mode="moderate")


def cmd_score(args: argparse.Namespace) -> int:
    from bid_panel.tui.app import run_app

    return run_app(workspace=Path(args.workspace) if args.workspace else None, evaluator=args.as_)


def cmd_default(_: argparse.Namespace) -> int:
    from bid_panel.tui.app import run_app

    return run_app(workspace=None, evaluator=None)


def cmd_serve(args: argparse.Namespace) -> int:
    from bid_panel.serve import serve

    return serve(args)


def cmd_verify(args: argparse.Namespace) -> int:
    from bid_panel.core.verify import EXIT_UNUSABLE, VerifyUnusable, verify_workspace

    try:
        report = verify_workspace(Path(args.workspace))
    except VerifyUnusable as exc:
        if args.format == "json":
            problems = [f.as_json() for f in exc.findings]
            error = {"ok": False, "exit_code": EXIT_UNUSABLE, "error": str(exc).splitlines()[0]}
            print(json.dumps({**error, "findings": problems}, indent=2, ensure_ascii=False))
            return EXIT_UNUSABLE
        raise
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print(report.text())
    return report.exit_code


def cmd_keys(args: argparse.Namespace) -> int:
    from bid_panel.core import signing

    if args.keys_command == "init":
        path, public_key = signing.create_key(args.as_)
        print(f"Created your signing key {path} (owner-only; keep it private, back it up).")
        print("Give this public key to the procurement lead for the panel file:")
        print(f"    public_key: {public_key}")
        return EXIT_OK
    paths = [signing.find_key(args.as_)] if args.as_ else signing.key_files()
    if not paths or paths[0] is None:
        raise signing.SigningError(
            f"no signing key in {signing.config_dir() / signing.KEYS_DIR}; "
            "create one with `bid-panel keys init --as YOUR-ID`"
        )
    for path in paths:
        print(f"{path}")
        print(f"    public_key: {signing.public_key_of(path)}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from bid_panel.tui.app import run_app

    return run_app(workspace=Path(args.workspace), evaluator=None, mode="audit")


def cmd_audit_pack(args: argparse.Namespace) -> int:
    from bid_panel.core.audit_pack import build_pack

    result = build_pack(Path(args.workspace), Path(args.out))
    report = result.report
    verdict = "verified" if report.ok else f"FAILED verification ({len(report.errors)} error(s))"
    print(f"Wrote {result.path}: {result.files} record file(s), manifest, verify report")
    print(f"The workspace {verdict} when packed; see verify-report.txt in the pack.")
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bid-panel",
        description="Score, moderate and audit tender bids. With no command, opens the "
        "bundled sample tender.",
    )
    parser.add_argument("--version", action="version", version=f"bid-panel {__version__}")
    parser.set_defaults(handler=cmd_default)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_, description=help_)
        command.set_defaults(handler=handler)
        return command

    validate = add("validate", cmd_validate, "Check workspaces or tender/panel/bid/sheet files")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.add_argument("--format", choices=["text", "json"], default="text")

    init = add("init", cmd_init, "Create a workspace from the bundled sample tender")
    init.add_argument("dir", metavar="DIR")
    init.add_argument(
        "--with-sample-scores",
        action="store_true",
        help="also write submitted sample score sheets and a moderation record",
    )

    schema = add("schema", cmd_schema, "Write the JSON Schemas of the file formats")
    schema.add_argument("--out", default="schemas", metavar="DIR")

    results = add("results", cmd_results, "Consolidated, ranked results of a workspace")
    results.add_argument("workspace", metavar="WORKSPACE")
    results.add_argument("--format", choices=["table", "json"], default="table")

    export = add(
        "export",
        cmd_export,
        "Export results for the procurement lead: spreadsheets, report, JSON, assessment "
        "summaries, OCDS (none is for quality evaluators: they contain prices)",
    )
    export.add_argument("workspace", metavar="WORKSPACE")
    export.add_argument(
        "--format",
        action="append",
        metavar="FORMAT",
        help="csv, xlsx, md, json, ocds, summaries or all (the default); repeat the option "
        "or separate formats with commas",
    )
    export.add_argument("--out", required=True, metavar="DIR", help="created if needed")
    export.add_argument(
        "--generated-at",
        metavar="TIME",
        help="the time stamped on the exports (default now), e.g. 2026-10-21T12:00:00+00:00",
    )
    export.add_argument(
        "--ocid-prefix",
        default="ocds-bidpanel",
        metavar="PREFIX",
        help="your OCDS ocid prefix, registered with the Open Contracting Partnership "
        "(default: ocds-bidpanel, a placeholder)",
    )

    score = add("score", cmd_score, "Score bids as a panel member (opens the scoring screens)")
    score.add_argument("workspace", metavar="WORKSPACE", nargs="?")
    score.add_argument("--as", dest="as_", metavar="EVALUATOR", help="your evaluator id")

    moderate = add(
        "moderate", cmd_moderate, "Moderate and consolidate as the procurement lead (opens the TUI)"
    )
    moderate.add_argument("workspace", metavar="WORKSPACE")
    moderate.add_argument("--as", dest="as_", metavar="MODERATOR", help="your moderator id")

    verify = add(
        "verify",
        cmd_verify,
        "Verify a workspace's records: hash chains, seals, signatures, scope, completeness "
        "and exported results (exit 0 clean, 1 findings, 2 unusable)",
    )
    verify.add_argument("workspace", metavar="WORKSPACE")
    verify.add_argument("--format", choices=["table", "json"], default="table")

    keys = add("keys", cmd_keys, "Your Ed25519 signing key (for sealing sheets and moderation)")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    keys_init = keys_sub.add_parser("init", help="create your key and print its public key")
    keys_init.add_argument("--as", dest="as_", metavar="EVALUATOR", help="your evaluator id")
    keys_show = keys_sub.add_parser("show", help="print the public key for the panel file")
    keys_show.add_argument("--as", dest="as_", metavar="EVALUATOR", help="your evaluator id")

    audit = add("audit", cmd_audit, "The auditor's read-only view of a workspace (opens the TUI)")
    audit.add_argument("workspace", metavar="WORKSPACE")

    audit_pack = add(
        "audit-pack",
        cmd_audit_pack,
        "Pack every record, a SHA-256 manifest and the verify report into one zip",
    )
    audit_pack.add_argument("workspace", metavar="WORKSPACE")
    audit_pack.add_argument("--out", required=True, metavar="FILE.zip")

    serve = add("serve", cmd_serve, "Serve the app to a browser on 127.0.0.1 (textual-serve)")
    serve.add_argument("workspace", metavar="WORKSPACE", nargs="?")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="default 127.0.0.1 (this machine only); the app has no authentication, so any "
        "other host lets anyone who can reach the port open the panel's files",
    )
    serve.add_argument("--port", type=int, default=8000)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.handler(args))
    except BidPanelError as exc:
        print(f"bid-panel: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug, not a user error: say so plainly, keep the details
        log = Path.home() / ".bid-panel-crash.log"
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f" (details in {log})"
        except OSError:
            where = ""
        print(f"bid-panel: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
