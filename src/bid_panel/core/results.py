"""Consolidation: weighted totals, exclusions, ranking with the published tie-break.

`consolidate` is pure: given the tender, the bids and one outcome per item, it returns the
same `Results` whatever the order of its inputs. `results_json` is the stable, documented
machine-readable form (`bid-panel results --format json`, exports, verification).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from bid_panel.core.bid import Bid
from bid_panel.core.consensus import Outcome, Source
from bid_panel.core.scoring import (
    ENGINE_CONTEXT,
    ZERO,
    below_minimum,
    display_text,
    effective_weights,
    price_points,
    scored_contribution,
)
from bid_panel.core.sheet import Item
from bid_panel.core.tender import CriterionKind, Tender

RESULTS_FORMAT = "bid-panel/results@1"

COMPARE_PLACES = 30
"""Totals are compared (ranking, ties, the winning margin) after quantizing them, in the
engine context, to this many decimal places: far below any display rounding and any real
difference between tenders, far above the engine's rounding noise. Two totals equal in exact
arithmetic (20/3 reached as 10/3 + 10/3 or as 20/3) then compare equal whatever the
caller's decimal precision, so the ranking and its tie-break notes never depend on it."""

_COMPARE_QUANTUM = Decimal(1).scaleb(-COMPARE_PLACES)


def comparable(value: Decimal) -> Decimal:
    """A total as ranking compares it: quantized to COMPARE_PLACES in the engine context."""
    with localcontext(ENGINE_CONTEXT):
        return value.quantize(_COMPARE_QUANTUM)


@dataclass(frozen=True)
class Exclusion:
    criterion: str
    reason: str


@dataclass
class CriterionResult:
    criterion: str
    value: Decimal | str | None
    source: Source
    points: Decimal
    """The criterion's effective weight (points of 100)."""
    contribution: Decimal | None
    """Points earned; None for pass_fail, and for price when the bid was excluded first."""
    reason: str = ""


@dataclass
class BidResult:
    bidder: str
    name: str
    organisation_type: str
    submitted_at: datetime
    price: Decimal | None
    items: dict[str, CriterionResult] = field(default_factory=dict)
    exclusions: list[Exclusion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quality_total: Decimal = ZERO
    price_total: Decimal = ZERO
    rank: int | None = None
    overall: Decimal = ZERO
    """quality_total + price_total, computed in the engine context by `consolidate`."""

    @property
    def excluded(self) -> bool:
        return bool(self.exclusions)

    def contribution_under(self, tender: Tender, criterion_id: str) -> Decimal:
        total = ZERO
        with localcontext(ENGINE_CONTEXT):
            for leaf in tender.leaves_under(criterion_id):
                item = self.items.get(leaf.id)
                if item is not None and item.contribution is not None:
                    total += item.contribution
        return total


@dataclass
class Results:
    tender: Tender
    bids: list[BidResult]
    """Ranked bids first (by rank), then excluded bids (by id)."""
    provisional_reasons: list[str]
    tie_breaks: list[str]
    points: dict[str, Decimal]

    @property
    def final(self) -> bool:
        return not self.provisional_reasons

    @property
    def quality_available(self) -> Decimal:
        """Points of 100 for quality: every leaf but price (a pass/fail gate is worth 0)."""
        return sum(
            (self.points[c.id] for c in self.tender.leaves if c.kind is not CriterionKind.PRICE),
            ZERO,
        )

    @property
    def price_available(self) -> Decimal:
        """Points of 100 for price."""
        return sum((self.points[c.id] for c in self.tender.price_criteria), ZERO)

    @property
    def ranked(self) -> list[BidResult]:
        return [b for b in self.bids if b.rank is not None]

    @property
    def winner(self) -> BidResult | None:
        ranked = self.ranked
        if not ranked or (len(ranked) > 1 and ranked[1].rank == 1):
            return None
        return ranked[0]

    @property
    def margin(self) -> Decimal | None:
        ranked = self.ranked
        if len(ranked) < 2:
            return None
        first, second = ranked[0].overall, ranked[1].overall
        if comparable(first) == comparable(second):
            return ZERO  # equal in exact arithmetic: no margin, whatever the noise
        with localcontext(ENGINE_CONTEXT):
            return first - second

    def by_bidder(self, bidder: str) -> BidResult:
        for bid in self.bids:
            if bid.bidder == bidder:
                return bid
        raise KeyError(bidder)


_NO_OUTCOME = Outcome(None, Source.MISSING)
"""Shared (Outcome is frozen): not a new one per item and scenario."""


def consolidate(
    tender: Tender,
    bids: Mapping[str, Bid],
    outcomes: Mapping[Item, Outcome],
    provisional_reasons: Sequence[str] = (),
) -> Results:
    """Weighted totals from the outcomes, exclusions applied, bids ranked."""
    points = effective_weights(tender)
    reasons = list(provisional_reasons)
    results: dict[str, BidResult] = {}
    missing = 0
    # What every bid needs of each leaf, looked up once, not per bid (robustness runs this
    # 400 times over 12,000 items on a large tender: benchmarks/run.py, profiled).
    leaves = [
        (
            leaf,
            leaf.id,
            leaf.kind,
            tender.scale_of(leaf) if leaf.kind is CriterionKind.SCORED else None,
            points[leaf.id],
        )
        for leaf in tender.leaves
    ]
    with localcontext(ENGINE_CONTEXT):
        for bidder_id in sorted(bids):
            bid = bids[bidder_id]
            result = BidResult(
                bidder=bidder_id,
                name=bid.bidder.name,
                organisation_type=str(bid.bidder.organisation_type),
                submitted_at=bid.submitted_at,
                price=bid.price.total if bid.price else None,
            )
            for leaf, leaf_id, kind, scale, leaf_points in leaves:
                outcome = outcomes.get((bidder_id, leaf_id), _NO_OUTCOME)
                value = outcome.value
                contribution: Decimal | None = None
                if outcome.source is Source.MISSING:
                    if outcome.reason:
                        reasons.append(outcome.reason)  # an invalid value, named
                    else:
                        missing += 1
                if kind is CriterionKind.SCORED:
                    contribution = ZERO
                    if isinstance(value, Decimal):
                        contribution = scored_contribution(value, scale, leaf_points)
                        if below_minimum(leaf, value):
                            why = (
                                f"{leaf.title}: consensus score {value} is below the "
                                f"published minimum of {leaf.minimum_score}"
                            )
                            _fail(result, leaf.id, why, leaf.failing_disqualifies)
                    result.quality_total += contribution
                elif kind is CriterionKind.PASS_FAIL and value == "fail":
                    _fail(
                        result,
                        leaf.id,
                        f"{leaf.title}: failed (pass/fail gate)",
                        leaf.failing_disqualifies,
                    )
                elif kind is CriterionKind.PRICE and value == "non_compliant":
                    _fail(
                        result,
                        leaf.id,
                        f"{leaf.title}: price non-compliant ({_price_reason(outcome)})",
                        True,
                    )
                result.items[leaf_id] = CriterionResult(
                    leaf_id, value, outcome.source, leaf_points, contribution, outcome.reason
                )
            results[bidder_id] = result

        # Price is scored among the bids still in the competition: Pmin is the lowest
        # *compliant* price, so an excluded bid can neither set nor take a price score.
        for leaf in tender.price_criteria:
            assert leaf.formula is not None
            eligible = {
                b: r.price for b, r in results.items() if not r.excluded and r.price is not None
            }
            earned = price_points(leaf.formula, eligible, points[leaf.id], leaf.ceiling_price)
            for bidder_id, value in earned.items():
                results[bidder_id].items[leaf.id].contribution = value
                results[bidder_id].price_total += value
        for result in results.values():
            result.overall = result.quality_total + result.price_total

    if missing:
        reasons.append(f"{missing} item(s) have no score yet")
    ranked, tie_breaks = _rank(tender, [r for r in results.values() if not r.excluded])
    excluded = sorted((r for r in results.values() if r.excluded), key=lambda r: r.bidder)
    return Results(tender, ranked + excluded, _unique(reasons), tie_breaks, points)


def _price_reason(outcome: Outcome) -> str:
    """Why a price is non-compliant, as truthfully as the record allows: the moderated
    reason, the price evaluators' own justification, or that the verdict is provisional."""
    if outcome.reason:
        return outcome.reason
    if outcome.source is Source.PROVISIONAL:
        return (
            "provisional: the price evaluators disagree on whether the price is compliant "
            "and the panel has not yet moderated it"
        )
    return "the price evaluator found the price non-compliant"


def _fail(result: BidResult, criterion: str, why: str, disqualifies: bool) -> None:
    if disqualifies:
        result.exclusions.append(Exclusion(criterion, why))
    else:
        result.notes.append(why + " (does not disqualify under the published method)")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _tie_key(tender: Tender, bid: BidResult) -> tuple[Any, ...]:
    """What ranking sorts on: totals compared as `comparable` (negated, exactly, in the
    engine context: higher first), then the published tie-break rules in order."""
    with localcontext(ENGINE_CONTEXT):
        key: list[Any] = [-comparable(bid.overall)]
        for rule in tender.rules.tie_break:
            if rule == "quality_total":
                key.append(-comparable(bid.quality_total))
            elif rule == "price_total":
                key.append(-comparable(bid.price_total))
            elif rule == "earliest_submission":
                key.append(bid.submitted_at)
            else:
                key.append(-comparable(bid.contribution_under(tender, rule.split(":", 1)[1])))
        return tuple(key)


def _rank(tender: Tender, bids: list[BidResult]) -> tuple[list[BidResult], list[str]]:
    keyed = sorted(((_tie_key(tender, b), b.bidder, b) for b in bids), key=lambda t: (t[0], t[1]))
    notes: list[str] = []
    ordered: list[BidResult] = []
    for position, (key, _, bid) in enumerate(keyed):
        if position and keyed[position - 1][0] == key:
            bid.rank = ordered[-1].rank
            notes.append(
                f"{ordered[-1].name} and {bid.name} remain tied after every published "
                "tie-break rule: they share a rank"
            )
        else:
            bid.rank = position + 1
            if position and keyed[position - 1][0][0] == key[0]:
                rule = _deciding_rule(tender, keyed[position - 1][0], key)
                notes.append(
                    f"{ordered[-1].name} and {bid.name} have exactly equal totals; "
                    f"tie broken by {rule}"
                )
        ordered.append(bid)
    return ordered, notes


def _deciding_rule(tender: Tender, first: tuple[Any, ...], second: tuple[Any, ...]) -> str:
    for index, rule in enumerate(tender.rules.tie_break, start=1):
        if first[index] != second[index]:
            return rule
    return "none"


# --------------------------------------------------------------------------- JSON


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def results_json(results: Results, tender_sha256: str = "") -> dict[str, Any]:
    """The stable JSON form of results (format bid-panel/results@1, documented in README).

    Numbers are exact decimal strings; `display` holds the same rounded by the tender's rule.
    """
    tender = results.tender
    rounding = tender.rules.rounding

    def shown(value: Decimal | None) -> str | None:
        return None if value is None else display_text(value, rounding)

    margin = results.margin
    return {
        "format": RESULTS_FORMAT,
        "tender": {
            "reference": tender.reference,
            "title": tender.title,
            "sha256": tender_sha256,
        },
        "status": "final" if results.final else "provisional",
        "provisional_reasons": results.provisional_reasons,
        "rounding": {"decimal_places": rounding.decimal_places, "mode": rounding.mode},
        "criteria": [
            {
                "id": c.id,
                "title": c.title,
                "kind": str(c.kind),
                "weight": _num(c.weight),
                "points": _num(results.points[c.id]),
                "parent": tender.parents[c.id],
            }
            for c in tender.walk()
        ],
        "bids": [
            {
                "bidder": b.bidder,
                "name": b.name,
                "organisation_type": b.organisation_type,
                "submitted_at": b.submitted_at.isoformat(),
                "rank": b.rank,
                "status": "excluded" if b.excluded else "ranked",
                "exclusions": [
                    {"criterion": e.criterion, "reason": e.reason} for e in b.exclusions
                ],
                "notes": b.notes,
                "price": _num(b.price),
                "quality_total": _num(b.quality_total),
                "price_total": _num(b.price_total),
                "overall": _num(b.overall),
                "display": {
                    "quality_total": shown(b.quality_total),
                    "price_total": shown(b.price_total),
                    "overall": shown(b.overall),
                },
                "scores": [
                    {
                        "criterion": item.criterion,
                        "value": item.value
                        if not isinstance(item.value, Decimal)
                        else str(item.value),
                        "source": str(item.source),
                        "points": _num(item.points),
                        "contribution": _num(item.contribution),
                    }
                    for item in b.items.values()
                ],
            }
            for b in results.bids
        ],
        "ranking": [b.bidder for b in results.ranked],
        "winner": results.winner.bidder if results.winner else None,
        "margin": _num(margin),
        "tie_breaks": results.tie_breaks,
    }
