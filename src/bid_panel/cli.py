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
from bid_panel.core.errors import BidPanelError, Findings

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _print_findings(findings: Findings, *, stream=None) -> None:
    stream = stream or sys.stdout
    for finding in findings:
        print(finding, file=stream)


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    from bid_panel.core.workspace import validate_paths

    findings = validate_paths([Path(p) for p in args.paths])
    if args.format == "json":
        print(
            json.dumps({"ok": findings.ok, "findings": [f.as_json() for f in findings]}, indent=2)
        )
    else:
        _print_findings(findings)
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
    from bid_panel.core.evaluation import evaluate
    from bid_panel.core.report import results_table
    from bid_panel.core.results import results_json
    from bid_panel.core.workspace import load_workspace

    workspace = load_workspace(Path(args.workspace))
    results = evaluate(workspace)
    if args.format == "json":
        print(
            json.dumps(results_json(results, workspace.tender_sha256), indent=2, ensure_ascii=False)
        )
    else:
        print(results_table(results))
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from bid_panel.tui.app import run_app

    return run_app(workspace=Path(args.workspace) if args.workspace else None, evaluator=args.as_)


def cmd_default(_: argparse.Namespace) -> int:
    from bid_panel.tui.app import run_app

    return run_app(workspace=None, evaluator=None)


def cmd_serve(args: argparse.Namespace) -> int:
    from bid_panel.serve import serve

    return serve(args)


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

    score = add("score", cmd_score, "Score bids as a panel member (opens the scoring screens)")
    score.add_argument("workspace", metavar="WORKSPACE", nargs="?")
    score.add_argument("--as", dest="as_", metavar="EVALUATOR", help="your evaluator id")

    serve = add("serve", cmd_serve, "Serve the app to a browser on 127.0.0.1 (textual-serve)")
    serve.add_argument("workspace", metavar="WORKSPACE", nargs="?")
    serve.add_argument("--host", default="127.0.0.1")
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
