"""XLSX: read back with openpyxl, as a spreadsheet program would see it."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bid_panel.core.exports import xlsx_export
from bid_panel.core.exports.data import NOTICE, ExportData, collect
from bid_panel.core.exports.tables import build_tables
from bid_panel.core.scoring import display
from bid_panel.core.tender import CriterionKind

from .exports_support import GENERATED_AT, rename_bidder, sample_copy, sample_data

SHEETS = ["Results", "Contributions", "Scores", "Exclusions", "Method", "Criteria", "Scales"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    return sample_data(tmp_path_factory)


@pytest.fixture(scope="module")
def book(data: ExportData):
    return load_workbook(io.BytesIO(xlsx_export.xlsx_bytes(data)))


def rows(sheet) -> list[dict[str, object]]:
    values = list(sheet.iter_rows(values_only=True))
    headers = values[0]
    return [dict(zip(headers, row, strict=True)) for row in values[1:]]


def close(cell: object, exact: Decimal) -> bool:
    """A stored figure equals the engine's exact value to the precision a spreadsheet
    keeps (a double: 15 significant digits)."""
    assert isinstance(cell, int | float) and not isinstance(cell, bool), cell
    return abs(Decimal(repr(cell)) - exact) <= abs(exact) * Decimal("1e-14") + Decimal("1e-14")


def test_one_table_per_sheet_each_with_a_frozen_filtered_header(book) -> None:
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(c.font.bold for c in sheet[1]), sheet.title
        assert NOTICE in sheet.oddHeader.center.text
        assert sheet.print_title_rows == "$1:$1"


def test_results_figures_equal_the_engines_and_are_numbers(book, data: ExportData) -> None:
    results = data.results
    rounding = data.tender.rules.rounding
    found = rows(book["Results"])
    assert [r["Bidder id"] for r in found] == [b.bidder for b in results.bids]
    for row, bid in zip(found, results.bids, strict=True):
        assert row["Rank"] == bid.rank
        assert row["Status"] == ("excluded" if bid.excluded else "ranked")
        assert close(row["Quality total"], bid.quality_total)
        assert close(row["Price (GBP)"], bid.price)
        rounded = "Quality total (rounded, 2 dp, half up)"
        assert Decimal(repr(row[rounded])) == display(bid.quality_total, rounding)
        if bid.excluded:
            assert row["Overall"] is None and row["Price score"] is None
            assert row["Exclusion reasons"] == "; ".join(e.reason for e in bid.exclusions)
        else:
            assert close(row["Overall"], bid.overall)
            assert close(row["Price score"], bid.price_total)
            # What the sheet shows (number format, 2 dp) is what the results screen shows.
            shown = f"{Decimal(repr(row['Overall'])):.2f}"
            assert shown == data.shown(bid.overall)


def test_numbers_are_numbers_text_is_text_and_formats_show_the_tenders_places(
    book, data: ExportData
) -> None:
    tables = {t.name.capitalize(): t for t in build_tables(data)}
    checked = 0
    for sheet in book.worksheets:
        table = tables[sheet.title]
        for r, row in enumerate(sheet.iter_rows(min_row=2)):
            for c, cell in enumerate(row):
                expected = table.rows[r][c]
                kind = table.cell_kinds.get((r, c), table.columns[c].kind)
                if expected is None:
                    assert cell.value is None
                elif isinstance(expected, str):
                    assert cell.data_type == "s" and cell.value == expected
                elif isinstance(expected, Decimal | int):
                    assert cell.data_type == "n" and close(cell.value, Decimal(expected))
                    if kind == "points":
                        assert cell.number_format == "0.00", (sheet.title, cell.coordinate)
                    checked += 1
                else:
                    assert isinstance(expected, datetime)
                    assert cell.is_date
                    assert cell.value == expected.astimezone(UTC).replace(tzinfo=None)
    assert checked > 300


def test_scores_sheet_puts_each_original_score_beside_the_moderated_one(
    book, data: ExportData
) -> None:
    found = rows(book["Scores"])
    by_item = {(r["Bidder id"], r["Criterion id"]): r for r in found}
    assert len(by_item) == len(data.results.bids) * len(data.tender.leaves)
    row = by_item[("northshire-council", "training-curriculum")]
    assert [row[f"Original: {n}"] for n in ("Amara Okafor", "Ben Hartley", "Carys Evans")] == [
        8,
        10,
        5,
    ]
    assert row["Original: David Price"] is None  # not assigned to quality criteria
    assert row["Moderated score"] == 8 and row["Flagged for discussion"] == "yes"
    consensus = data.consensus(("northshire-council", "training-curriculum"))
    assert consensus is not None and row["Moderation reason"] == consensus.reason
    # Carys Evans declared a conflict with Kinfield: recused, shown as text.
    kinfield = by_item[("kinfield-childrens-trust", "dcs-track-record")]
    assert kinfield["Original: Carys Evans"] == "recused"
    price = by_item[("kinfield-childrens-trust", "cost")]
    assert price["Original: David Price"] == "compliant"
    for (bidder, cid), r in by_item.items():
        item = data.bid(bidder).items[cid]
        if item.contribution is not None:
            assert close(r["Contribution"], item.contribution)
        if data.tender.by_id[cid].kind is not CriterionKind.PRICE:
            assert r["Moderation reason"] == item.reason


def test_methodology_sheets_carry_weights_points_scales_formula_tie_break_rounding(
    book, data: ExportData
) -> None:
    criteria = {r["Criterion id"]: r for r in rows(book["Criteria"])}
    assert criteria["dcs-track-record"]["Weight (% of its level)"] == 25
    assert close(criteria["dcs-track-record"]["Points (of 100)"], Decimal("17.5"))
    assert criteria["cost"]["Price formula"] == "relative_to_lowest: W x Pmin / P"
    scales = rows(book["Scales"])
    assert {(r["Scale id"], r["Value"], r["Label"]) for r in scales} >= {
        ("quality-0-5", 5, "Excellent"),
        ("impact-0-2-5-8-10", 8, "Strong"),
    }
    assert all(r["Descriptor"] for r in scales)
    method = {r["Item"]: r["Value"] for r in rows(book["Method"])}
    assert method["Tie-break rules, in order"] == (
        "quality_total; criterion:dcs-track-record; earliest_submission"
    )
    assert method["Rounding (display only)"].startswith("2 decimal places, half_up")
    assert method["Generated at (UTC)"] == "2026-10-21T12:00:00+00:00"
    assert data.results.margin is not None
    assert close(method["Winning margin (points)"], data.results.margin)
    margin_row = list(method).index("Winning margin (points)") + 2
    assert book["Method"][f"B{margin_row}"].number_format == "0.00"


def test_bytes_are_reproducible_and_stamped_with_generated_at(
    data: ExportData, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = xlsx_export.xlsx_bytes(data)
    again = xlsx_export.xlsx_bytes(sample_data(tmp_path_factory))
    assert first == again
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 10, 21, 12, 0, 0)}
    props = load_workbook(io.BytesIO(first)).properties
    assert props.created == props.modified == GENERATED_AT.replace(tzinfo=None)
    later = collect(data.workspace, GENERATED_AT + timedelta(days=1))
    assert xlsx_export.xlsx_bytes(later) != first


def test_utf8_names_survive(tmp_path_factory: pytest.TempPathFactory, tmp_path) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    name = "Ysgol Gymraeg & Kinfield – Ωmega Café Trust ✓"
    workspace = rename_bidder(root, "kinfield-childrens-trust", name)
    book = load_workbook(io.BytesIO(xlsx_export.xlsx_bytes(collect(workspace, GENERATED_AT))))
    assert name in [r["Bidder"] for r in rows(book["Results"])]
