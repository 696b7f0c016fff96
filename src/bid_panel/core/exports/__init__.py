"""Exports for the procurement lead: spreadsheets, the evaluation report, the JSON record,
assessment summaries for bidders and an OCDS release package. Pure core: no Textual.

One entry point, `export(workspace, formats, out_dir)`, used by `bid-panel export` and by
the results screen (from a worker, with a `progress` callback). Every requested format is
rendered in memory first; if any is refused (provisional results, an explanation to fix)
nothing at all is written. Each file is then written atomically: an existing file of the
same name is replaced whole or not at all. The JSON record alone is written as it is made,
once every other format has been rendered (it is never refused): at 27 MB for a large
tender, held whole it was the peak of an export (benchmarks/pipeline.py). A process killed
while it is written leaves the old file intact and a hidden `.NAME.HEX.tmp` beside it.

- csv (csv_export): STEM-results.csv, -contributions, -scores, -exclusions, -method,
  -criteria and -scales.csv, one table each (STEM: the tender reference, file-safe);
- xlsx (xlsx_export): STEM-evaluation.xlsx, the same tables, one sheet each;
- md (md_report): STEM-evaluation-report.md;
- json (json_export): STEM-evaluation.json (schema: schemas/export.schema.json);
- ocds (ocds): STEM-ocds-release-package.json;
- summaries (summaries): STEM-summary-BIDDER.md and .html, one pair per bidder.

None of these files is for quality evaluators: they all contain price information.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from bid_panel.core.atomic import atomic_write, atomic_write_chunks, explain_os_error
from bid_panel.core.errors import BidPanelError, Finding
from bid_panel.core.exports import (
    csv_export,
    json_export,
    md_report,
    ocds,
    summaries,
    xlsx_export,
)
from bid_panel.core.exports.data import (
    NOTICE,
    ExportData,
    ExportRefused,
    collect,
    provisional_findings,
)
from bid_panel.core.workspace import Workspace

FORMATS: tuple[str, ...] = ("csv", "xlsx", "md", "json", "ocds", "summaries")

Progress = Callable[[int, int, str], None]
"""progress(done, total, message): `done` of `total` steps finished; called from the thread
that runs `export` (a Textual worker posts it to the screen)."""

__all__ = [
    "FORMATS",
    "NOTICE",
    "ExportData",
    "ExportRefused",
    "Progress",
    "collect",
    "export",
    "export_data",
    "problems",
    "render",
]


def _renderers(ocid_prefix: str) -> dict[str, Callable[[ExportData], dict[str, bytes]]]:
    return {
        "csv": csv_export.render,
        "xlsx": xlsx_export.render,
        "md": md_report.render,
        "json": json_export.render,
        "ocds": lambda data: ocds.render(data, ocid_prefix),
        "summaries": summaries.render,
    }


def _check_formats(formats: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise BidPanelError(
            f"unknown export format(s): {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    if not chosen:
        raise BidPanelError(f"choose at least one export format: {', '.join(FORMATS)}")
    return chosen


def problems(data: ExportData, formats: Iterable[str] = FORMATS) -> list[Finding]:
    """Why the chosen formats would be refused now (empty when they can all be written):
    for a screen to say so before the user asks, without rendering anything."""
    chosen = _check_formats(formats)
    found: list[Finding] = []
    if "ocds" in chosen:
        found += provisional_findings(data)
    if "summaries" in chosen:
        found += summaries.explanation_problems(data)
    return list(dict.fromkeys(found))


_STREAMED = {"json": (json_export.file_name, json_export.render_chunks)}
"""Formats `export_data` writes as they are made: never refused, and large."""


def render(
    data: ExportData,
    formats: Iterable[str] = FORMATS,
    *,
    ocid_prefix: str = ocds.DEFAULT_OCID_PREFIX,
    progress: Progress | None = None,
    total_steps: int | None = None,
) -> dict[str, bytes]:
    """Every file of the chosen formats, by file name, in memory. Raises ExportRefused
    listing every problem of every refused format (the others are not returned either)."""
    chosen = _check_formats(formats)
    return _render(data, chosen, ocid_prefix, progress, total_steps or len(chosen))


def _render(
    data: ExportData,
    chosen: list[str],
    ocid_prefix: str,
    progress: Progress | None,
    total: int,
) -> dict[str, bytes]:
    renderers = _renderers(ocid_prefix)
    files: dict[str, bytes] = {}
    refused: list[tuple[str, ExportRefused]] = []
    for step, name in enumerate(chosen, start=1):
        try:
            files.update(renderers[name](data))
        except ExportRefused as exc:
            refused.append((name, exc))
        if progress is not None:
            progress(step, total, f"prepared {name}")
    if refused:
        findings: list[Finding] = list(dict.fromkeys(f for _, exc in refused for f in exc.findings))
        if len(refused) == 1:
            raise ExportRefused(str(refused[0][1]).split("\n")[0], findings)
        raise ExportRefused(
            "export refused, nothing was written: "
            + "; ".join(f"{name} ({str(exc).splitlines()[0]})" for name, exc in refused),
            findings,
        )
    return files


def export(
    workspace: Workspace,
    formats: Iterable[str],
    out_dir: Path,
    generated_at: datetime | None = None,
    progress: Progress | None = None,
    *,
    ocid_prefix: str = ocds.DEFAULT_OCID_PREFIX,
) -> list[Path]:
    """Write the chosen formats into `out_dir` (created if needed); returns the paths written.

    `generated_at` (default: `bid_panel.core.clock.now()`) is the only thing that differs
    between two exports of the same workspace. Raises ExportRefused, writing nothing, when
    any chosen format cannot be produced as things stand.
    """
    chosen = _check_formats(formats)
    data = collect(workspace, generated_at)
    return export_data(data, chosen, out_dir, progress, ocid_prefix=ocid_prefix)


def export_data(
    data: ExportData,
    formats: Iterable[str],
    out_dir: Path,
    progress: Progress | None = None,
    *,
    ocid_prefix: str = ocds.DEFAULT_OCID_PREFIX,
) -> list[Path]:
    """`export` from data already collected (`collect(workspace)`), so a screen that shows
    the results, and says which formats would be refused, writes exactly what it showed
    without evaluating the workspace again. Same refusals, same files, same atomic writes.
    (`export(workspace, ...)` is `collect` followed by this.)"""
    chosen = _check_formats(formats)
    total = len(chosen) + 1
    streamed = [name for name in chosen if name in _STREAMED]
    in_memory = [name for name in chosen if name not in _STREAMED]
    files = _render(data, in_memory, ocid_prefix, progress, total)
    if out_dir.exists() and not out_dir.is_dir():
        raise BidPanelError(f"{out_dir} exists and is not a folder; choose another --out")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise explain_os_error(exc, out_dir, "create") from None
    written = []
    # First, so that a failure while making it leaves nothing written (as before; only
    # the folder may be new).
    for step, name in enumerate(streamed, start=len(in_memory) + 1):
        file_name, render_chunks = _STREAMED[name]
        path = out_dir / file_name(data)
        atomic_write_chunks(path, render_chunks(data))
        written.append(path)
        if progress is not None:
            progress(step, total, f"prepared {name}")
    for name in sorted(files):
        path = out_dir / name
        atomic_write(path, files[name])
        written.append(path)
    if progress is not None:
        progress(total, total, f"wrote {len(written)} file(s) to {out_dir}")
    return sorted(written)
