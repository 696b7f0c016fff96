"""Golden files: every export format of the sample workspace, byte for byte.

The sample workspace (`init_workspace(..., with_sample_scores=True)`) is reproducible and
the exports take a fixed `generated_at`, so each file must match its golden copy in
`tests/golden/exports/` exactly. The XLSX is compared through a text dump of every cell
(type, value, number format), sheet settings and document properties, which reads well in a
diff; its bytes are checked for reproducibility in tests/unit/test_exports_xlsx.py.

After an intended change, regenerate and review the diff before committing:

    BID_PANEL_REGEN_GOLDEN=1 python -m pytest tests/golden
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bid_panel.core.exports import FORMATS, collect, render
from bid_panel.core.sample import init_workspace
from bid_panel.core.workspace import load_workspace

GOLDEN = Path(__file__).parent / "exports"
GENERATED_AT = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
REGENERATE = os.environ.get("BID_PANEL_REGEN_GOLDEN") == "1"


def xlsx_dump(raw: bytes) -> str:
    book = load_workbook(io.BytesIO(raw))
    props = book.properties
    lines = [
        f"properties: creator={props.creator!r} created={props.created} "
        f"modified={props.modified} title={props.title!r}",
        f"description: {props.description}",
    ]
    for sheet in book.worksheets:
        lines += [
            "",
            f"== sheet {sheet.title!r}: freeze {sheet.freeze_panes}, filter "
            f"{sheet.auto_filter.ref}, print titles {sheet.print_title_rows}, "
            f"header {sheet.oddHeader.center.text!r}",
            "widths: "
            + " ".join(
                f"{k}={v.width:g}" for k, v in sorted(sheet.column_dimensions.items()) if v.width
            ),
        ]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                fmt = "" if cell.number_format == "General" else f" [{cell.number_format}]"
                lines.append(f"{cell.coordinate} {cell.data_type} {cell.value!r}{fmt}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = init_workspace(tmp_path_factory.mktemp("golden") / "ws", with_sample_scores=True)
    files = render(collect(load_workspace(root), GENERATED_AT), FORMATS)
    out = {}
    for name, raw in files.items():
        if name.endswith(".xlsx"):
            out[name + ".txt"] = xlsx_dump(raw)
        else:
            out[name] = raw.decode("utf-8")
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        for path in GOLDEN.iterdir():
            path.unlink()
        for name, text in out.items():
            (GOLDEN / name).write_bytes(text.encode("utf-8"))
    return out


def test_no_stale_golden_files(produced: dict[str, str]) -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(produced)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md", "json", "ocds", "summaries"], ids=lambda f: f)
def test_format_matches_its_golden_files(produced: dict[str, str], fmt: str) -> None:
    suffix = {
        "csv": ".csv",
        "xlsx": ".xlsx.txt",
        "md": "-report.md",
        "json": "-evaluation.json",
        "ocds": "-ocds-release-package.json",
        "summaries": None,
    }[fmt]
    names = sorted(
        n for n in produced if ("-summary-" in n if suffix is None else n.endswith(suffix))
    )
    assert names, fmt
    for name in names:
        path = GOLDEN / name
        assert path.exists(), f"no golden file {name}: run with BID_PANEL_REGEN_GOLDEN=1"
        assert path.read_bytes().decode("utf-8") == produced[name], (
            f"{name} differs from its golden copy; if the change is intended, regenerate "
            "with BID_PANEL_REGEN_GOLDEN=1 and review the diff"
        )
