"""CSV: one file per table, read back; figures exactly the engine's."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from bid_panel.core.exports import csv_export
from bid_panel.core.exports.data import NOTICE, ExportData, collect
from bid_panel.core.exports.tables import build_tables

from .exports_support import GENERATED_AT, STEM, rename_bidder, sample_copy, sample_data


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    return sample_data(tmp_path_factory)


@pytest.fixture(scope="module")
def files(data: ExportData) -> dict[str, bytes]:
    return csv_export.render(data)


def read(raw: bytes) -> list[dict[str, str]]:
    assert raw.startswith("\ufeff".encode()), "UTF-8 with a BOM, for spreadsheet programs"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_one_file_per_table(files: dict[str, bytes], data: ExportData) -> None:
    assert sorted(files) == sorted(f"{STEM}-{t.name}.csv" for t in build_tables(data))
    for raw in files.values():
        assert b"\r\n" in raw


def test_figures_are_the_engines_exact_decimals(files: dict[str, bytes], data: ExportData) -> None:
    results = read(files[f"{STEM}-results.csv"])
    for row, bid in zip(results, data.results.bids, strict=True):
        assert row["Bidder id"] == bid.bidder
        assert Decimal(row["Quality total"]) == bid.quality_total
        assert row["Rank"] == ("" if bid.rank is None else str(bid.rank))
        if not bid.excluded:
            assert Decimal(row["Overall"]) == bid.overall
            assert Decimal(row["Price score"]) == bid.price_total
            assert row["Overall (rounded, 2 dp, half up)"] == data.shown(bid.overall)
        else:
            assert row["Overall"] == ""
    scores = read(files[f"{STEM}-scores.csv"])
    for row in scores:
        item = data.bid(row["Bidder id"]).items[row["Criterion id"]]
        if item.contribution is not None:
            assert Decimal(row["Contribution"]) == item.contribution
        assert row["Moderation reason"] == item.reason
    assert all("E" not in row["Contribution"] for row in scores)  # never scientific


def test_exclusions_and_the_method_are_tables_too(
    files: dict[str, bytes], data: ExportData
) -> None:
    exclusions = read(files[f"{STEM}-exclusions.csv"])
    assert {(r["Bidder id"], r["Criterion id"]) for r in exclusions} == {
        ("apex-care-leadership", "safeguarding-compliance"),
        ("three-rivers-partnership", "transition-exit"),
    }
    method = {r["Item"]: r["Value"] for r in read(files[f"{STEM}-method.csv"])}
    assert method["Notice"] == NOTICE
    assert method["Generated at (UTC)"] == "2026-10-21T12:00:00+00:00"
    criteria = {r["Criterion id"]: r for r in read(files[f"{STEM}-criteria.csv"])}
    assert criteria["training-curriculum"]["Points (of 100)"] == "8.4"


def test_utf8_names_survive(tmp_path_factory: pytest.TempPathFactory, tmp_path) -> None:
    root = sample_copy(tmp_path_factory, tmp_path / "ws")
    name = 'Ysgol "Gymraeg", Kinfield – Ωmega Café ✓'
    workspace = rename_bidder(root, "kinfield-childrens-trust", name)
    files = csv_export.render(collect(workspace, GENERATED_AT))
    assert name in [r["Bidder"] for r in read(files[f"{STEM}-results.csv"])]
