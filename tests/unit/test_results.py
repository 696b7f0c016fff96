"""Consolidation (totals, exclusions, ranking, tie-break) and consensus, on hand-built outcomes.

The tender is the bundled sample: quality 70 (dcs-track-record 25, change-management 20,
workforce-stability 20, training-package 20 [curriculum 60 / investment 40], transition-exit
15), cost 30 by W x Pmin / P, and a safeguarding pass/fail gate. Tie-break order:
quality_total, criterion:dcs-track-record, earliest_submission.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bid_panel.core.bid import Bid
from bid_panel.core.consensus import (
    ItemScores,
    Moderated,
    Outcome,
    Source,
    gather,
    lower_median,
    outcomes,
)
from bid_panel.core.errors import Findings
from bid_panel.core.results import RESULTS_FORMAT, Results, consolidate, results_json
from bid_panel.core.sheet import ScoreEntry
from bid_panel.core.tender import CriterionKind, Tender
from bid_panel.core.workspace import load_workspace
from bid_panel.core.yamlio import load_model

D = Decimal
SUBMITTED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

DEFAULTS: dict[str, Decimal | str] = {
    "dcs-track-record": D(3),
    "change-management": D(3),
    "workforce-stability": D(3),
    "training-curriculum": D(5),
    "leadership-investment": D(5),
    "transition-exit": D(3),
    "cost": "compliant",
    "safeguarding-compliance": "pass",
}
"""Quality 33.6 + 7 = 40.6 points with these values."""


def load_tender(path) -> Tender:
    findings = Findings()
    loaded = load_model(path, Tender, findings)
    assert loaded is not None, list(findings)
    return loaded.model


@pytest.fixture(scope="module")
def tender(sample) -> Tender:
    return load_tender(sample.tender)


def make_bid(bidder: str, price: str | None, submitted: datetime = SUBMITTED) -> Bid:
    data: dict[str, Any] = {
        "format": "bid-panel/bid@1",
        "tender_reference": "CS-2026-014",
        "bidder": {
            "id": bidder,
            "name": bidder.replace("-", " ").title(),
            "organisation_type": "company",
        },
        "submitted_at": submitted,
        "responses": {},
    }
    if price is not None:
        data["price"] = {"total": D(price)}
    return Bid.model_validate(data)


def scores(bidder: str, source: Source = Source.AGREED, **values: Any) -> dict:
    """One outcome per leaf for `bidder`: DEFAULTS overridden by keyword (dashes as _)."""
    chosen = dict(DEFAULTS)
    for key, value in values.items():
        chosen[key.replace("_", "-")] = D(value) if isinstance(value, int) else value
    return {(bidder, cid): Outcome(value, source) for cid, value in chosen.items()}


def run(tender: Tender, bids: list[Bid], *outcome_sets: dict, reasons=()) -> Results:
    merged: dict = {}
    for outcome_set in outcome_sets:
        merged.update(outcome_set)
    return consolidate(tender, {b.id: b for b in bids}, merged, reasons)


# --------------------------------------------------------------------------- totals


def test_totals_are_exact_weighted_sums(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "8000"), make_bid("beta", "10000")],
        scores("alpha"),
        scores("beta"),
    )
    alpha, beta = results.by_bidder("alpha"), results.by_bidder("beta")
    assert alpha.quality_total == D("40.6")
    assert alpha.price_total == D(30)
    assert beta.price_total == D(24)
    assert alpha.overall == D("70.6")
    assert alpha.items["dcs-track-record"].contribution == D("10.5")
    assert alpha.items["safeguarding-compliance"].contribution is None
    assert results.final
    assert [b.bidder for b in results.ranked] == ["alpha", "beta"]
    assert results.margin == D(6)


def test_full_marks_score_exactly_the_weight_sum(tender: Tender) -> None:
    top = {
        "dcs_track_record": 5,
        "change_management": 5,
        "workforce_stability": 5,
        "training_curriculum": 10,
        "leadership_investment": 10,
        "transition_exit": 5,
    }
    results = run(tender, [make_bid("alpha", "1")], scores("alpha", **top))
    assert results.by_bidder("alpha").overall == D(100)


# --------------------------------------------------------------------------- exclusions


def test_failing_the_pass_fail_gate_excludes_with_the_reason(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "9000"), make_bid("beta", "10000")],
        scores("alpha", safeguarding_compliance="fail"),
        scores("beta"),
    )
    alpha = results.by_bidder("alpha")
    assert alpha.excluded
    assert alpha.rank is None
    [exclusion] = alpha.exclusions
    assert exclusion.criterion == "safeguarding-compliance"
    assert exclusion.reason == "Safeguarding compliance: failed (pass/fail gate)"
    assert [b.bidder for b in results.bids] == ["beta", "alpha"]  # ranked first, then excluded


def test_score_below_a_disqualifying_minimum_excludes(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "9000"), make_bid("beta", "10000")],
        scores("alpha", dcs_track_record=1),
        scores("beta"),
    )
    [exclusion] = results.by_bidder("alpha").exclusions
    assert exclusion.criterion == "dcs-track-record"
    assert "consensus score 1 is below the published minimum of 2" in exclusion.reason


def test_score_at_the_minimum_does_not_exclude(tender: Tender) -> None:
    results = run(tender, [make_bid("alpha", "9000")], scores("alpha", dcs_track_record=2))
    assert not results.by_bidder("alpha").excluded


def test_score_below_a_non_disqualifying_minimum_is_noted_not_excluded(sample, edited_copy) -> None:
    path = edited_copy(
        sample.tender,
        (
            "failing_disqualifies: true\n        guidance: |\n          Explain how leadership",
            "failing_disqualifies: false\n        guidance: |\n          Explain how leadership",
        ),
    )
    lenient = load_tender(path)
    results = run(lenient, [make_bid("alpha", "9000")], scores("alpha", transition_exit=1))
    alpha = results.by_bidder("alpha")
    assert not alpha.excluded
    assert alpha.rank == 1
    [note] = alpha.notes
    assert "below the published minimum of 2" in note
    assert "does not disqualify under the published method" in note


def test_non_compliant_price_excludes(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "9000"), make_bid("beta", "10000")],
        scores("alpha", cost="non_compliant"),
        scores("beta"),
    )
    assert "price non-compliant" in results.by_bidder("alpha").exclusions[0].reason


def test_an_excluded_bid_does_not_set_the_lowest_price(tender: Tender) -> None:
    bids = [make_bid("cheap", "4000"), make_bid("mid", "8000"), make_bid("dear", "10000")]
    results = run(
        tender, bids, scores("cheap", safeguarding_compliance="fail"), scores("mid"), scores("dear")
    )
    assert results.by_bidder("mid").price_total == D(30)  # Pmin is 8,000, not 4,000
    assert results.by_bidder("dear").price_total == D(24)
    cheap = results.by_bidder("cheap")
    assert cheap.price_total == 0
    assert cheap.items["cost"].contribution is None


# --------------------------------------------------------------------------- tie-break


def test_equal_totals_are_broken_by_quality_total_first(tender: Tender) -> None:
    # beta: +3.5 quality (dcs 4 not 3) but 26.5 price points (30 x 53 / 60) = alpha's 70.6.
    results = run(
        tender,
        [make_bid("alpha", "53"), make_bid("beta", "60")],
        scores("alpha"),
        scores("beta", dcs_track_record=4),
    )
    alpha, beta = results.by_bidder("alpha"), results.by_bidder("beta")
    assert alpha.overall == beta.overall
    assert [b.bidder for b in results.ranked] == ["beta", "alpha"]
    assert [b.rank for b in results.ranked] == [1, 2]
    assert results.tie_breaks == [
        "Beta and Alpha have exactly equal totals; tie broken by quality_total"
    ]


def test_equal_quality_is_broken_by_the_named_criterion(tender: Tender) -> None:
    # alpha: dcs 4, change 3, curriculum 0 = 14 + 8.4 + 0; beta: dcs 2, change 4, curriculum
    # 5 = 7 + 11.2 + 4.2. Same quality, same price: dcs-track-record decides.
    results = run(
        tender,
        [make_bid("alpha", "9000"), make_bid("beta", "9000")],
        scores("beta", dcs_track_record=2, change_management=4, training_curriculum=5),
        scores("alpha", dcs_track_record=4, change_management=3, training_curriculum=0),
    )
    alpha, beta = results.by_bidder("alpha"), results.by_bidder("beta")
    assert alpha.quality_total == beta.quality_total
    assert [b.bidder for b in results.ranked] == ["alpha", "beta"]
    assert results.tie_breaks[0].endswith("tie broken by criterion:dcs-track-record")


def test_then_by_earliest_submission(tender: Tender) -> None:
    late = make_bid("alpha", "9000", SUBMITTED + timedelta(minutes=5))
    early = make_bid("beta", "9000", SUBMITTED)
    results = run(tender, [late, early], scores("alpha"), scores("beta"))
    assert [b.bidder for b in results.ranked] == ["beta", "alpha"]
    assert results.tie_breaks == [
        "Beta and Alpha have exactly equal totals; tie broken by earliest_submission"
    ]


def test_submission_times_compare_across_utc_offsets(tender: Tender) -> None:
    # 10:30+01:00 is 09:30 UTC: earlier than 09:45 UTC.
    bst = timezone_offset_bid("alpha", "2026-10-01T10:30:00+01:00")
    utc = timezone_offset_bid("beta", "2026-10-01T09:45:00+00:00")
    results = run(tender, [bst, utc], scores("alpha"), scores("beta"))
    assert [b.bidder for b in results.ranked] == ["alpha", "beta"]


def timezone_offset_bid(bidder: str, when: str) -> Bid:
    return make_bid(bidder, "9000", datetime.fromisoformat(when))


def test_a_full_tie_shares_a_rank_and_says_so(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "9000"), make_bid("beta", "9000"), make_bid("gamma", "9500")],
        scores("alpha"),
        scores("beta"),
        scores("gamma"),
    )
    assert [(b.bidder, b.rank) for b in results.ranked] == [("alpha", 1), ("beta", 1), ("gamma", 3)]
    assert results.winner is None
    assert results.tie_breaks == [
        "Alpha and Beta remain tied after every published tie-break rule: they share a rank"
    ]


def test_an_exact_tie_through_recurring_price_fractions_is_still_a_tie(tender: Tender) -> None:
    # 30 x 7/45 = 4.666... and 30 x 7/180 + 3.5 = 4.666...: mathematically equal overall
    # totals, so the published rule (quality_total) must decide, never rounding noise.
    bids = [make_bid("anchor", "7000"), make_bid("alpha", "45000"), make_bid("beta", "180000")]
    results = run(
        tender, bids, scores("anchor"), scores("alpha"), scores("beta", dcs_track_record=4)
    )
    alpha, beta = results.by_bidder("alpha"), results.by_bidder("beta")
    assert alpha.overall == beta.overall
    assert (beta.rank, alpha.rank) == (2, 3)
    assert results.tie_breaks[0].endswith("tie broken by quality_total")


# --------------------------------------------------------------------------- provisional


def test_missing_items_make_results_provisional(tender: Tender) -> None:
    partial = scores("alpha")
    del partial[("alpha", "transition-exit")]
    results = run(
        tender,
        [make_bid("alpha", "9000")],
        partial,
        reasons=["moderation has not started", "moderation has not started"],
    )
    assert not results.final
    assert results.provisional_reasons == [
        "moderation has not started",
        "1 item(s) have no score yet",
    ]
    assert results.by_bidder("alpha").items["transition-exit"].source is Source.MISSING


def test_provisional_reasons_from_the_gate_are_kept(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "9000")],
        scores("alpha"),
        reasons=["3 flagged item(s) not yet moderated"],
    )
    assert results.provisional_reasons == ["3 flagged item(s) not yet moderated"]


# --------------------------------------------------------------------------- JSON


def test_results_json_has_a_stable_shape(tender: Tender) -> None:
    results = run(
        tender,
        [make_bid("alpha", "8000"), make_bid("beta", "10000"), make_bid("gamma", "7000")],
        scores("alpha"),
        scores("beta"),
        scores("gamma", safeguarding_compliance="fail"),
    )
    data = results_json(results, "ab" * 32)
    assert list(data) == [
        "format",
        "tender",
        "status",
        "provisional_reasons",
        "rounding",
        "criteria",
        "bids",
        "ranking",
        "winner",
        "margin",
        "tie_breaks",
    ]
    assert data["format"] == RESULTS_FORMAT == "bid-panel/results@1"
    assert data["tender"] == {
        "reference": "CS-2026-014",
        "title": tender.title,
        "sha256": "ab" * 32,
    }
    assert data["status"] == "final"
    assert data["rounding"] == {"decimal_places": 2, "mode": "half_up"}
    assert [c["id"] for c in data["criteria"]] == [c.id for c in tender.walk()]
    assert set(data["criteria"][0]) == {"id", "title", "kind", "weight", "points", "parent"}
    bid = data["bids"][0]
    assert list(bid) == [
        "bidder",
        "name",
        "organisation_type",
        "submitted_at",
        "rank",
        "status",
        "exclusions",
        "notes",
        "price",
        "quality_total",
        "price_total",
        "overall",
        "display",
        "scores",
    ]
    assert isinstance(bid["overall"], str)  # exact decimal strings, never floats
    assert D(bid["overall"]) == D("70.6")
    assert bid["display"] == {"quality_total": "40.60", "price_total": "30.00", "overall": "70.60"}
    assert set(bid["scores"][0]) == {"criterion", "value", "source", "points", "contribution"}
    assert data["ranking"] == ["alpha", "beta"]
    assert data["winner"] == "alpha"
    assert D(data["margin"]) == 6
    gamma = data["bids"][2]
    assert (gamma["status"], gamma["rank"]) == ("excluded", None)
    assert gamma["exclusions"][0]["criterion"] == "safeguarding-compliance"
    json.dumps(data)  # plain JSON types only


def test_results_json_does_not_depend_on_input_order(tender: Tender) -> None:
    bids = [make_bid("alpha", "8000"), make_bid("beta", "10000"), make_bid("gamma", "9000")]
    outcome_sets = [scores("alpha"), scores("beta", dcs_track_record=5), scores("gamma")]
    forward = results_json(run(tender, bids, *outcome_sets))
    backward = results_json(run(tender, bids[::-1], *outcome_sets[::-1]))
    assert json.dumps(forward) == json.dumps(backward)


# --------------------------------------------------------------------------- consensus


def entry(value: Decimal | str) -> ScoreEntry:
    return ScoreEntry("alpha", "dcs-track-record", value, "because", SUBMITTED, 1)


def item_with(*values: Decimal | str, assigned: int | None = None) -> ItemScores:
    evaluators = [f"e{i}" for i in range(len(values))]
    return ItemScores(
        "alpha",
        "dcs-track-record",
        evaluators + [f"x{i}" for i in range((assigned or len(values)) - len(values))],
        {e: entry(v) for e, v in zip(evaluators, values, strict=True)},
    )


def test_lower_median_is_a_scale_value_never_an_average() -> None:
    assert lower_median([D(2), D(5)]) == D(2)
    assert lower_median([D(4), D(2), D(4)]) == D(4)
    assert lower_median([D(1), D(2), D(4), D(5)]) == D(2)


def test_lower_median_of_verdicts_is_pessimistic() -> None:
    assert lower_median(["pass", "fail"]) == "fail"
    assert lower_median(["compliant", "non_compliant", "compliant"]) == "compliant"


def test_outcomes_in_order_of_authority() -> None:
    items = {
        ("alpha", "a"): item_with(D(3), D(3), D(3)),
        ("alpha", "b"): item_with(D(2), D(4), D(4)),
        ("alpha", "c"): item_with(D(3), D(4)),
        ("alpha", "d"): item_with(),
        ("alpha", "e"): item_with(D(3), assigned=2),
    }
    result = outcomes(items, {("alpha", "c"): Moderated(D(4), "agreed after discussion")})
    assert result[("alpha", "a")] == Outcome(D(3), Source.AGREED)
    assert result[("alpha", "b")] == Outcome(D(4), Source.PROVISIONAL)
    assert result[("alpha", "c")] == Outcome(D(4), Source.MODERATED, "agreed after discussion")
    assert result[("alpha", "d")] == Outcome(None, Source.MISSING)
    # One of two assigned evaluators has scored: not unanimous, only provisional.
    assert result[("alpha", "e")] == Outcome(D(3), Source.PROVISIONAL)


def test_gather_flags_items_by_the_spread_threshold(scored_workspace_dir) -> None:
    workspace = load_workspace(scored_workspace_dir)
    items = gather(workspace.tender, workspace.panel, workspace.bids, workspace.states())
    assert len(items) == len(workspace.bids) * len(workspace.tender.leaves)
    threshold = workspace.tender.rules.spread_threshold_percent
    for (_, cid), item in items.items():
        criterion = workspace.tender.by_id[cid]
        if criterion.kind is CriterionKind.SCORED:
            span = workspace.tender.scale_of(criterion).maximum
            expected = item.spread is not None and item.spread * 100 >= threshold * span
            assert item.flagged is expected
    assert any(i.flagged for i in items.values())
    assert any(not i.flagged and not i.unanimous for i in items.values())
