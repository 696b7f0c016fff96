"""The auditor's view model (core.audit): timelines, trails and calibration, from the files."""

from __future__ import annotations

import shutil
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from bid_panel.core.audit import calibration, quantize, timelines, trails
from bid_panel.core.evaluation import evaluate
from bid_panel.core.sample import init_workspace
from bid_panel.core.scoring import ENGINE_CONTEXT
from bid_panel.core.verify import verify_workspace
from bid_panel.core.workspace import load_workspace


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("audit-model") / "ws", with_sample_scores=True)


def test_timelines_follow_the_files(sample_ws: Path) -> None:
    report = verify_workspace(sample_ws)
    lines = {t.file: t for t in timelines(report)}
    assert list(lines) == [
        "sheets/amara-okafor.yaml",
        "sheets/ben-hartley.yaml",
        "sheets/carys-evans.yaml",
        "sheets/david-price.yaml",
        "moderation.yaml",
    ]
    carys = lines["sheets/carys-evans.yaml"]
    conflict = next(e for e in carys.events if e.bidder == "kinfield-childrens-trust")
    assert conflict.kind == "declaration" and "CONFLICT" in conflict.value
    assert [e.seq for e in carys.events] == list(range(1, len(carys.events) + 1))
    assert carys.events[-1].kind == "submitted (seal)"
    assert lines["moderation.yaml"].events[0].kind == "opened"
    assert not any(e.findings for t in lines.values() for e in t.events)


def test_trail_ends_in_the_same_totals_as_the_results(sample_ws: Path) -> None:
    report = verify_workspace(sample_ws)
    found = trails(report.loaded)
    results = evaluate(load_workspace(sample_ws))
    assert found.final and not found.error
    assert [b.bidder for b in found.bids] == [b.bidder for b in results.bids]
    for bid in found.bids:
        expected = results.by_bidder(bid.bidder)
        assert bid.overall == expected.overall
        with localcontext(ENGINE_CONTEXT):  # the engine's arithmetic, as the results
            earned = sum(
                (i.contribution for i in bid.items if i.contribution is not None), Decimal(0)
            )
        assert earned == expected.overall
    kinfield = next(b for b in found.bids if b.bidder == "kinfield-childrens-trust")
    item = kinfield.items[0]
    assert item.recused == ["carys-evans"]
    assert {s.evaluator for s in item.individual} == {"amara-okafor", "ben-hartley"}
    assert item.consensus_reason and item.source == "moderated"


def test_calibration_is_exact(sample_ws: Path) -> None:
    report = verify_workspace(sample_ws)
    cal = calibration(report.loaded)
    amara = next(e for e in cal.evaluators if e.evaluator == "amara-okafor")
    assert isinstance(amara.mean_difference, Decimal)
    assert amara.items == amara.above + amara.below + amara.same == 30
    assert quantize(amara.mean_difference) == "-1.67"
    assert amara.mean_absolute is not None and amara.mean_absolute >= abs(amara.mean_difference)
    training = next(c for c in cal.criteria if c.criterion == "training-curriculum")
    assert training.max_spread == Decimal(6) and training.flagged == 3
    assert cal.moderated_items == 30  # scored items only: 5 bids x 6 criteria, all moderated


def test_a_broken_workspace_still_has_a_view(sample_ws: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(sample_ws, copy)
    (copy / "moderation.yaml").write_text("header: [\n", encoding="utf-8")
    report = verify_workspace(copy)
    assert "unreadable" in report.codes()
    found = trails(report.loaded)
    assert all(i.consensus_value == "" for b in found.bids for i in b.items)
    assert len(timelines(report)) == 4
