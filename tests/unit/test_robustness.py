"""Robustness checks on small tenders built so that the answer is known by hand.

* a weight moved by 5 points flips the winner;
* removing a cheap bid reverses two others under relative_to_lowest (rank reversal);
* leaving one evaluator out flips the winner on the independent scores;
* near ties: below the display rounding, and below 1% of the winner's total;
and the findings in words (CLI table, JSON) say what flips.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bid_panel.cli import main
from bid_panel.core.bid import Bid
from bid_panel.core.consensus import ItemScores, Outcome, Source
from bid_panel.core.evaluation import robustness
from bid_panel.core.report import results_table
from bid_panel.core.results import consolidate
from bid_panel.core.robustness import (
    Robustness,
    assess,
    reweighted,
    robustness_json,
    robustness_lines,
)
from bid_panel.core.sample import init_workspace
from bid_panel.core.sheet import ScoreEntry
from bid_panel.core.tender import Tender
from bid_panel.core.workspace import load_workspace

D = Decimal
SUBMITTED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def tender(criteria: list[dict[str, Any]], decimal_places: int = 2) -> Tender:
    return Tender.model_validate(
        {
            "format": "bid-panel/tender@1",
            "reference": "T-1",
            "title": "Constructed tender",
            "authority": "Test Council",
            "contract_term_months": 12,
            "evaluation_method": "Constructed for the robustness tests.",
            "rules": {"rounding": {"decimal_places": decimal_places, "mode": "half_up"}},
            "scales": [
                {
                    "id": "ten",
                    "name": "0-10",
                    "values": [
                        {"value": v, "label": f"L{v}", "descriptor": f"Level {v}"}
                        for v in range(11)
                    ],
                }
            ],
            "criteria": criteria,
        }
    )


def scored(cid: str, weight: int) -> dict[str, Any]:
    return {"id": cid, "title": cid.upper(), "kind": "scored", "weight": weight, "scale": "ten"}


def price(weight: int) -> dict[str, Any]:
    return {
        "id": "cost",
        "title": "Cost",
        "kind": "price",
        "weight": weight,
        "formula": "relative_to_lowest",
    }


def bid(bidder: str, total: str | None = None, minutes: int = 0) -> Bid:
    return Bid.model_validate(
        {
            "format": "bid-panel/bid@1",
            "tender_reference": "T-1",
            "bidder": {"id": bidder, "name": bidder.upper(), "organisation_type": "company"},
            "submitted_at": SUBMITTED + timedelta(minutes=minutes),
            "responses": {"a": "Response."},
            "price": {"total": total} if total else None,
        }
    )


def moderated(values: dict[tuple[str, str], int]) -> dict[tuple[str, str], Outcome]:
    return {k: Outcome(D(v), Source.MODERATED, "agreed") for k, v in values.items()}


def check(t: Tender, bids: dict[str, Bid], outcomes, items=None, evaluators=()) -> Robustness:
    baseline = consolidate(t, bids, outcomes)
    return assess(t, bids, outcomes, items or {}, list(evaluators), baseline)


def scenario(report: Robustness, label_start: str):
    found = [s for s in report.scenarios if s.label.startswith(label_start)]
    assert len(found) == 1, [s.label for s in report.scenarios]
    return found[0]


# --------------------------------------------------------------------------- weights


def test_a_weight_move_of_five_points_flips_the_winner() -> None:
    # A and B weigh 50 each. X scores 10 and 4: 50 + 20 = 70. Y scores 5 and 10: 25 + 50 = 75.
    # A +5 (55/45): X = 55 + 18 = 73, Y = 27.5 + 45 = 72.5, so X wins. A -5: Y wins by more.
    t = tender([scored("a", 50), scored("b", 50)])
    bids = {"x": bid("x"), "y": bid("y")}
    report = check(
        t, bids, moderated({("x", "a"): 10, ("x", "b"): 4, ("y", "a"): 5, ("y", "b"): 10})
    )
    assert report.baseline_winner == "y"
    up = scenario(report, "A weight +5 points (50 -> 55)")
    assert up.winner == "x"
    assert up.flips == ["winner changes from Y to X"]
    assert scenario(report, "B weight -5 points (50 -> 45)").winner == "x"
    assert scenario(report, "A weight -5 points").flips == []
    assert scenario(report, "B weight +5 points").flips == []
    assert {s.label.split(" weight")[0] for s in report.winner_flips} == {"A", "B"}
    assert not report.robust


def test_reweighting_keeps_each_level_at_100() -> None:
    t = tender([scored("a", 40), scored("b", 30), scored("c", 30)])
    moved = reweighted(t, "a", D(5))
    assert [c.weight for c in moved.criteria] == [D(45), D("27.5"), D("27.5")]
    assert sum(c.weight for c in moved.criteria) == 100
    assert reweighted(t, "a", D(-45)) is None


# --------------------------------------------------------------------------- rank reversal


def test_removing_a_cheap_bid_reverses_two_others_under_relative_to_lowest() -> None:
    # Quality 50 (0-10 scale, 5 points a step) and price 50, W x Pmin / P.
    #   A: quality 1 (5),  price 50  -> 5 + 50        = 55
    #   B: quality 5 (25), price 100 -> 25 + 25       = 50
    #   C: quality 9 (45), price 200 -> 45 + 12.5     = 57.5
    #   W: quality 10 (50), price 100 -> 50 + 25      = 75   (the winner)
    # Without A, Pmin is 100: B = 25 + 50 = 75, C = 45 + 25 = 70, W = 100. B now beats C.
    t = tender([scored("a", 50), price(50)])
    bids = {
        "a-cheap": bid("a-cheap", "50"),
        "b": bid("b", "100"),
        "c": bid("c", "200"),
        "w": bid("w", "100"),
    }
    outcomes = moderated({("a-cheap", "a"): 1, ("b", "a"): 5, ("c", "a"): 9, ("w", "a"): 10})
    baseline = consolidate(t, bids, outcomes)
    assert [b.bidder for b in baseline.ranked] == ["w", "c", "a-cheap", "b"]
    assert [b.overall for b in baseline.ranked] == [D(75), D("57.5"), D(55), D(50)]
    report = check(t, bids, outcomes)
    removal = scenario(report, "Without the bid of A-CHEAP")
    assert removal.winner == "w"
    assert removal.flips == ["B now ranks above C"]
    assert not removal.winner_changes
    assert all(
        s.check != "remove_bid" or s.label != "Without the bid of W" for s in report.scenarios
    )


# --------------------------------------------------------------------------- leave one out


def entry(bidder: str, value: int) -> ScoreEntry:
    return ScoreEntry(bidder, "a", D(value), "Justified by the bid.", SUBMITTED, 1)


def test_leaving_one_evaluator_out_flips_the_winner() -> None:
    # Lower medians: X [5, 3, 3] -> 3; Y [2, 4, 4] -> 4: Y wins on independent scores.
    # Without e2 (or e3): X [5, 3] -> 3, Y [2, 4] -> 2: X wins. Without e1: Y still wins.
    t = tender([scored("a", 100)])
    bids = {"x": bid("x"), "y": bid("y")}
    given = {"x": {"e1": 5, "e2": 3, "e3": 3}, "y": {"e1": 2, "e2": 4, "e3": 4}}
    items = {
        (b, "a"): ItemScores(
            b, "a", ["e1", "e2", "e3"], {e: entry(b, v) for e, v in scores.items()}
        )
        for b, scores in given.items()
    }
    report = check(t, bids, moderated({("x", "a"): 3, ("y", "a"): 4}), items, ["e1", "e2", "e3"])
    assert scenario(report, "e1 left out").flips == []
    for evaluator in ("e2", "e3"):
        flip = scenario(report, f"{evaluator} left out")
        assert flip.winner == "x"
        assert flip.flips == ["winner changes from Y to X"]


def test_an_evaluator_with_no_scores_is_not_left_out() -> None:
    t = tender([scored("a", 100)])
    bids = {"x": bid("x")}
    items = {("x", "a"): ItemScores("x", "a", ["e1"], {"e1": entry("x", 4)})}
    report = check(t, bids, moderated({("x", "a"): 4}), items, ["e1", "e2"])
    assert [s.label.split(" ")[0] for s in report.scenarios if s.check.startswith("leave")] == [
        "e1"
    ]


# --------------------------------------------------------------------------- near ties


def test_a_margin_below_the_display_rounding_is_a_near_tie() -> None:
    # Same quality; prices 1000 and 1000.1: price points 50 and 50 x 1000 / 1000.1 = 49.995...
    t = tender([scored("a", 50), price(50)])
    bids = {"x": bid("x", "1000"), "y": bid("y", "1000.1")}
    report = check(t, bids, moderated({("x", "a"): 8, ("y", "a"): 8}))
    assert report.baseline_winner == "x"
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("near tie: the winning margin 0.00499")
    assert "smaller than the display rounding (0.01)" in report.warnings[0]
    assert not report.robust


def test_a_margin_under_one_percent_is_a_near_tie() -> None:
    # X 8 + 50 = 90, Y 8 + 50 x 1000 / 1015 = 89.26...: margin 0.74 < 1% of 90.
    t = tender([scored("a", 50), price(50)])
    bids = {"x": bid("x", "1000"), "y": bid("y", "1015")}
    report = check(t, bids, moderated({("x", "a"): 8, ("y", "a"): 8}))
    assert report.warnings == [
        "near tie: the winning margin 0.7389 is under 1% of the winner's total"
    ]


def test_a_clear_margin_is_no_near_tie() -> None:
    t = tender([scored("a", 50), price(50)])
    bids = {"x": bid("x", "1000"), "y": bid("y", "1000")}
    report = check(t, bids, moderated({("x", "a"): 10, ("y", "a"): 4}))
    assert report.warnings == []


# --------------------------------------------------------------------------- in words


def test_the_findings_say_what_flips_most_serious_first() -> None:
    t = tender([scored("a", 50), scored("b", 50)])
    bids = {"x": bid("x"), "y": bid("y")}
    report = check(
        t, bids, moderated({("x", "a"): 10, ("x", "b"): 4, ("y", "a"): 5, ("y", "b"): 10})
    )
    lines = robustness_lines(report)
    assert lines[0] == ("headline", "The leading bid changes in 2 of 5 scenarios")
    assert lines[1] == (
        "winner",
        "A weight +5 points (50 -> 55): winner changes from Y to X",
    )
    assert lines[-1] == (
        "steady",
        "No change in 3 scenario(s): a weight moved by 5 points 2, another bid removed 1",
    )
    data = robustness_json(report)
    assert data["robust"] is False
    assert data["winner_flips"] == 2
    assert data["scenarios"][0] == {
        "check": "weight",
        "label": "A weight +5 points (50 -> 55)",
        "winner": "x",
        "winner_changes": True,
        "flips": ["winner changes from Y to X"],
    }
    json.dumps(data)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("sample") / "ws", with_sample_scores=True)


def test_the_results_table_lists_the_robustness_findings(sample: Path) -> None:
    workspace = load_workspace(sample)
    results, report = robustness(workspace)
    text = results_table(results, robustness=report)
    assert "\nRobustness: the leading bid " in text
    for scenario_ in report.winner_flips:
        assert f"    - {scenario_.label}: {'; '.join(scenario_.flips)}" in text
    # Leave-one-out labels name the evaluator, not the id.
    assert any(s.label.startswith("Amara Okafor left out") for s in report.scenarios)


def test_results_json_carries_the_robustness_key(sample: Path, capsys) -> None:
    assert main(["results", str(sample), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["robustness"]) == {
        "robust",
        "baseline_winner",
        "winner_flips",
        "warnings",
        "scenarios",
    }
    assert data["robustness"]["baseline_winner"] == data["winner"]
    checks = {s["check"] for s in data["robustness"]["scenarios"]}
    assert checks == {"leave_one_evaluator_out", "weight", "remove_bid"}
    assert main(["results", str(sample)]) == 0
    assert "Robustness: " in capsys.readouterr().out
