"""`bid-panel audit-pack`: one zip an auditor can keep and check years later.

Contents (every entry in a fixed order with a fixed timestamp, so the same workspace always
gives the same bytes):

    README.txt               what the pack is and how to check it
    manifest.json            every file of the workspace with its SHA-256 and size
    SHA256SUMS               the same, in `sha256sum -c` form
    verify-report.json       `bid-panel verify --format json` at packing time
    verify-report.txt        the same as text
    workspace/...            tender.yaml, panel.yaml, bids/, sheets/, moderation.yaml,
                             exports/ (when present)

A hash chain cannot show that events were cut off at the *end* of a record; the manifest
can: keep the pack (or its SHA-256) somewhere the workspace's editors cannot write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bid_panel import __version__
from bid_panel.core.atomic import explain_os_error
from bid_panel.core.errors import BidPanelError
from bid_panel.core.verify import EXPORTS_DIR, VerifyReport, verify_workspace
from bid_panel.core.workspace import BIDS_DIR, MODERATION_FILE, PANEL_FILE, SHEETS_DIR, TENDER_FILE

PACK_FORMAT = "bid-panel/audit-pack@1"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip can hold: entries carry no packing time, so packs are reproducible."""
WORKSPACE_PREFIX = "workspace/"


@dataclass(frozen=True)
class PackResult:
    path: Path
    files: int
    report: VerifyReport


def record_files(root: Path, exclude: Path | None = None) -> list[Path]:
    """Every file of the evaluation record, in a fixed order (relative paths)."""
    found: list[Path] = []
    for name in (TENDER_FILE, PANEL_FILE, MODERATION_FILE):
        if (root / name).is_file():
            found.append(Path(name))
    for folder, pattern in ((BIDS_DIR, "*.yaml"), (SHEETS_DIR, "*.yaml"), (EXPORTS_DIR, "*")):
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob(pattern):
            if not path.is_file() or path.suffix in {".lock", ".zip", ".tmp"}:
                continue
            if exclude is not None and path.resolve() == exclude:
                continue
            found.append(path.relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def read_files(root: Path, files: list[Path]) -> dict[Path, bytes]:
    """The bytes of every file, read once: the manifest and the zip are made from these
    same bytes, so a file saved while the pack is made cannot make them disagree."""
    contents: dict[Path, bytes] = {}
    for rel in files:
        try:
            contents[rel] = (root / rel).read_bytes()
        except OSError as exc:
            raise explain_os_error(exc, root / rel, "read") from None
    return contents


def manifest(contents: dict[Path, bytes]) -> dict[str, object]:
    entries = []
    for rel, data in contents.items():
        entries.append(
            {
                "path": rel.as_posix(),
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        )
    return {"format": PACK_FORMAT, "tool": f"bid-panel {__version__}", "files": entries}


def _readme(report: VerifyReport) -> str:
    verdict = (
        "VERIFIED: every check held when the pack was made."
        if report.ok
        else f"FAILED: {len(report.errors)} error(s) when the pack was made (see verify-report)."
    )
    return (
        f"bid-panel audit pack: tender {report.loaded.tender.reference}\n"
        f"{report.loaded.tender.title}\n\n"
        f"{verdict}\n\n"
        "workspace/           the evaluation record as it was when packed\n"
        "manifest.json        SHA-256 and size of every file under workspace/\n"
        "SHA256SUMS           the same; check with: cd workspace && sha256sum -c ../SHA256SUMS\n"
        "verify-report.*      `bid-panel verify` at packing time (json and text)\n\n"
        "To check again later: unzip, then `bid-panel verify workspace`.\n"
    )


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # unix, whatever the packing machine
    archive.writestr(info, data)


def build_pack(root: Path, out: Path) -> PackResult:
    """Write the audit pack of the workspace `root` to `out` (a .zip), atomically."""
    if out.suffix.lower() != ".zip":
        raise BidPanelError(f"{out}: the audit pack is a zip file; give a name ending in .zip")
    if out.exists() and out.is_dir():
        raise BidPanelError(f"{out} is a folder; give the name of the zip file to write")
    report = verify_workspace(root)
    contents = read_files(root, record_files(root, exclude=out.resolve()))
    listing = manifest(contents)
    label = root.resolve().name
    sums = "".join(f"{e['sha256']}  {e['path']}\n" for e in listing["files"])  # type: ignore[attr-defined]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise explain_os_error(exc, out.parent, "create") from None
    partial = out.with_name(out.name + ".tmp")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            _write(archive, "README.txt", _readme(report).encode("utf-8"))
            _write(archive, "manifest.json", _json(listing))
            _write(archive, "SHA256SUMS", sums.encode("utf-8"))
            _write(archive, "verify-report.json", _json(report.as_json(root_label=label)))
            _write(archive, "verify-report.txt", (report.text(root_label=label) + "\n").encode())
            for rel, data in contents.items():
                _write(archive, WORKSPACE_PREFIX + rel.as_posix(), data)
        partial.replace(out)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise explain_os_error(exc, out, "write") from None
        raise
    return PackResult(out, len(contents), report)


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
