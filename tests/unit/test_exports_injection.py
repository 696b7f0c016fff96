"""Spreadsheet formula injection: user text in the CSV and XLSX exports never becomes a
formula (a bidder named `=HYPERLINK(...)`, a moderation reason starting with "- ")."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bid_panel.core.exports import csv_export, xlsx_export
from bid_panel.core.exports.data import ExportData, collect
from bid_panel.core.exports.tables import Column, Table
from bid_panel.core.moderation import ModerationSession
from bid_panel.core.workspace import load_workspace

from .exports_support import GENERATED_AT, STEM, rename_bidder, sample_copy

BIDDER = "kinfield-childrens-trust"
HOSTILE_NAME = '=HYPERLINK("http://x","y")'
ITEM = ("meridian-childrens-partnerships", "change-management")
HOSTILE_REASON = (
    "- the response names the interim director, dates the first 90 days of the "
    "handover plan and costs the training programme in its section 3."
)
HOSTILE_TEXTS = [
    HOSTILE_NAME,
    "=1+2",
    "+44 20 7946 0000",
    "-2+3",
    "@SUM(A1:A2)",
    "\tindented",
    "\rreturn",
    "#N/A",
    "#DIV/0!",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    """The sample, with a bidder named like a formula and a reason starting with "- "."""
    root = sample_copy(tmp_path_factory, tmp_path_factory.mktemp("injection") / "ws")
    workspace = rename_bidder(root, BIDDER, HOSTILE_NAME)
    with ModerationSession(workspace, "fiona-marsh") as session:
        session.agree(ITEM, Decimal(5), HOSTILE_REASON, session.present_for(ITEM))
    return collect(load_workspace(root), GENERATED_AT)


def _csv_rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_quotes_a_hostile_name_and_reason(hostile: ExportData) -> None:
    files = csv_export.render(hostile)
    results = _csv_rows(files[f"{STEM}-results.csv"])
    assert "'" + HOSTILE_NAME in [r["Bidder"] for r in results]
    assert HOSTILE_NAME not in [r["Bidder"] for r in results]
    scores = _csv_rows(files[f"{STEM}-scores.csv"])
    [row] = [r for r in scores if (r["Bidder id"], r["Criterion id"]) == ITEM]
    assert row["Moderation reason"] == "'" + HOSTILE_REASON
    for name, raw in files.items():
        for record in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")):
            for cell in record:
                assert not cell.startswith(csv_export.FORMULA_TRIGGERS), (name, cell)


def test_xlsx_keeps_a_hostile_name_and_reason_as_unchanged_text(hostile: ExportData) -> None:
    book = load_workbook(io.BytesIO(xlsx_export.xlsx_bytes(hostile)))
    names = [c for c in book["Results"]["B"] if c.value == HOSTILE_NAME]
    assert names, "the hostile name is in the Results sheet, unchanged"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
    reasons = [c for row in book["Scores"].iter_rows() for c in row if c.value == HOSTILE_REASON]
    assert len(reasons) == 1
    assert reasons[0].data_type == "s" and reasons[0].quotePrefix
    assert all(c.data_type == "s" and c.quotePrefix for c in names)


def test_no_formula_and_no_error_value_in_the_raw_xml(hostile: ExportData) -> None:
    import zipfile

    raw = xlsx_export.xlsx_bytes(hostile)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name
                assert 't="e"' not in xml, name


def _table(texts: list[str]) -> Table:
    table = Table("hostile", "Hostile text", [Column("Text"), Column("Figure", "points")])
    table.rows = [[text, Decimal("-1.5")] for text in texts]
    return table


def test_every_formula_trigger_is_neutralised_in_csv_and_numbers_are_not() -> None:
    raw = csv_export.table_csv(_table(HOSTILE_TEXTS))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))[1:]
    for text, (written, figure) in zip(HOSTILE_TEXTS, rows, strict=True):
        expected = text if text.startswith("#") else "'" + text
        assert written == expected
        assert figure == "-1.5"  # a number, never quoted


def test_every_hostile_text_stays_text_in_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for text in HOSTILE_TEXTS:
        sheet.append([text])
    for (cell,) in sheet.iter_rows():
        xlsx_export.keep_text(cell)
    book.save(tmp_path / "x.xlsx")
    read = load_workbook(tmp_path / "x.xlsx").active
    # (XML itself reads a lone carriage return as a line feed: not openpyxl's doing)
    assert [c.value for (c,) in read.iter_rows()] == [t.replace("\r", "\n") for t in HOSTILE_TEXTS]
    assert {c.data_type for (c,) in read.iter_rows()} == {"s"}
