"""Would the result survive a reasonable doubt? Sensitivity checks on the ranking.

* Leave one evaluator out: the ranking recomputed from the evaluators' independent scores
  (the lower median per item, a scale value), first with everyone, then without each
  evaluator in turn. Moderated consensus cannot be re-run without a meeting, so this shows
  how much the result leans on any single evaluator's view.
* Weights: every criterion's weight moved 5 points up and down (siblings rescaled so that the
  level still totals 100), ranking recomputed from the moderated outcomes.
* Rank reversal: each bid other than the winner removed in turn; under a relative price
  formula this changes Pmin and can flip the order of the others.
* Near tie: a winning margin below the display rounding, or below 1% of the winner's total.

Every check reports what flips, not only that something does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from bid_panel.core.bid import Bid
from bid_panel.core.consensus import ItemScores, Outcome, Source, lower_median
from bid_panel.core.gcpause import gc_paused
from bid_panel.core.results import Results, consolidate
from bid_panel.core.scoring import PriceError
from bid_panel.core.sheet import Item
from bid_panel.core.tender import CriterionKind, Tender

WEIGHT_STEP = Decimal(5)
NEAR_TIE_SHARE = Decimal("0.01")


@dataclass(frozen=True)
class Scenario:
    check: str
    """leave_one_evaluator_out | weight | remove_bid"""
    label: str
    """What was changed, in words."""
    winner: str | None
    flips: list[str]
    """Human-readable changes against the baseline (empty when nothing changes)."""

    @property
    def winner_changes(self) -> bool:
        return any(f.startswith("winner") for f in self.flips)


@dataclass
class Robustness:
    baseline_winner: str | None
    scenarios: list[Scenario] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def winner_flips(self) -> list[Scenario]:
        return [s for s in self.scenarios if s.winner_changes]

    @property
    def robust(self) -> bool:
        return not self.winner_flips and not self.warnings


def _names(results: Results) -> dict[str, str]:
    return {b.bidder: b.name for b in results.bids}


def _order(results: Results) -> list[str]:
    return [b.bidder for b in results.ranked]


def compare(base: Results, other: Results, names: Mapping[str, str]) -> list[str]:
    """What changed between two rankings: the winner, then any pair whose order reverses."""
    flips = []
    said: tuple[str | None, str | None] = (None, None)
    if (base.winner and base.winner.bidder) != (other.winner and other.winner.bidder):
        before = names.get(base.winner.bidder, "?") if base.winner else "no single winner"
        after = names.get(other.winner.bidder, "?") if other.winner else "no single winner"
        flips.append(f"winner changes from {before} to {after}")
        said = (
            base.winner.bidder if base.winner else None,
            other.winner.bidder if other.winner else None,
        )
    # Ranks by dict and a suffix minimum, not list.index in a double loop: with 300 bids and
    # 400 scenarios that was O(n^3) per scenario and most of an export's time (profiled in
    # benchmarks/run.py). Same pairs, same order.
    position = {b: k for k, b in enumerate(_order(other))}
    common = [b for b in _order(base) if b in position]
    ranks = [position[b] for b in common]
    lowest_after = [len(ranks)] * (len(ranks) + 1)
    for k in range(len(ranks) - 1, -1, -1):
        lowest_after[k] = min(ranks[k], lowest_after[k + 1])
    for i, first in enumerate(common):
        if ranks[i] < lowest_after[i + 1]:
            continue  # nothing after it now ranks above it
        for j in range(i + 1, len(common)):
            second = common[j]
            if (first, second) == said:
                continue  # already said: the new winner now ranks above the old one
            if ranks[i] > ranks[j]:
                flips.append(f"{names[second]} now ranks above {names[first]}")
    excluded_now = {b.bidder for b in other.bids if b.excluded} - {
        b.bidder for b in base.bids if b.excluded
    }
    flips.extend(f"{names[b]} is now excluded" for b in sorted(excluded_now))
    return flips


def independent_outcomes(
    items: Mapping[Item, ItemScores], leave_out: str | None = None
) -> dict[Item, Outcome]:
    """Outcomes from independent scores only (lower median), optionally without one evaluator.
    A value off the scale is left out (see `ItemScores.invalid`): it never reaches the
    arithmetic."""
    out: dict[Item, Outcome] = {}
    for key, item in items.items():
        values = [
            s.value
            for e, s in item.scores.items()
            if e != leave_out and s.value is not None and e not in item.invalid
        ]
        if values:
            out[key] = Outcome(lower_median(values), Source.PROVISIONAL)
        else:
            out[key] = Outcome(None, Source.MISSING)
    return out


def reweighted(tender: Tender, criterion_id: str, delta: Decimal) -> Tender | None:
    """The tender with one criterion's weight moved by `delta`, siblings rescaled to total 100.

    None when the move is impossible (weight would leave 0..100, or no sibling absorbs it).
    """
    data: dict[str, Any] = tender.model_dump(mode="python")
    siblings = _siblings(data["criteria"], criterion_id)
    if siblings is None:
        return None
    target = next(c for c in siblings if c["id"] == criterion_id)
    others = [c for c in siblings if c is not target and c["kind"] != "pass_fail"]
    new_weight = target["weight"] + delta
    rest = sum((c["weight"] for c in others), Decimal(0))
    if not others or rest == 0 or not Decimal(0) <= new_weight <= Decimal(100):
        return None
    target["weight"] = new_weight
    # Rescale the siblings exactly; the last absorbs any rounding so the level totals 100.
    remaining = Decimal(100) - new_weight
    allotted = Decimal(0)
    for index, sibling in enumerate(others):
        if index == len(others) - 1:
            sibling["weight"] = remaining - allotted
        else:
            sibling["weight"] = (sibling["weight"] * remaining / rest).quantize(Decimal("0.000001"))
            allotted += sibling["weight"]
    return Tender.model_validate(data)


def _siblings(nodes: list[dict[str, Any]], criterion_id: str) -> list[dict[str, Any]] | None:
    for node in nodes:
        if node["id"] == criterion_id:
            return nodes
        found = _siblings(node.get("children") or [], criterion_id)
        if found is not None:
            return found
    return None


# Hundreds of consolidations build millions of short-lived objects: with the collector
# walking a large tender's loaded records each time, that doubled the time (see gcpause).
@gc_paused()
def assess(
    tender: Tender,
    bids: Mapping[str, Bid],
    outcomes: Mapping[Item, Outcome],
    items: Mapping[Item, ItemScores],
    evaluators: list[str],
    baseline: Results,
    evaluator_names: Mapping[str, str] | None = None,
) -> Robustness:
    """Run every check against `baseline` (the results from `outcomes`)."""
    names = _names(baseline)
    who = evaluator_names or {}
    report = Robustness(baseline.winner.bidder if baseline.winner else None)

    # 1. leave one evaluator out, on the independent-score basis
    independent = consolidate(tender, bids, independent_outcomes(items))
    for evaluator in evaluators:
        if not any(evaluator in i.scores for i in items.values()):
            continue
        without = consolidate(tender, bids, independent_outcomes(items, leave_out=evaluator))
        report.scenarios.append(
            Scenario(
                "leave_one_evaluator_out",
                f"{who.get(evaluator, evaluator)} left out (independent scores only, "
                "against all evaluators' independent scores)",
                without.winner.bidder if without.winner else None,
                compare(independent, without, names),
            )
        )

    # 2. every weight +-5 points
    for criterion in tender.walk():
        if criterion.kind is CriterionKind.PASS_FAIL:
            continue
        for delta in (WEIGHT_STEP, -WEIGHT_STEP):
            changed = reweighted(tender, criterion.id, delta)
            if changed is None:
                continue
            try:
                other = consolidate(changed, bids, outcomes)
            except PriceError:
                continue
            sign = "+" if delta > 0 else "-"
            report.scenarios.append(
                Scenario(
                    "weight",
                    f"{criterion.title} weight {sign}5 points ({criterion.weight} -> "
                    f"{criterion.weight + delta if criterion.weight is not None else '?'})",
                    other.winner.bidder if other.winner else None,
                    compare(baseline, other, names),
                )
            )

    # 3. remove each other bid in turn
    for removed in sorted(bids):
        if baseline.winner and removed == baseline.winner.bidder:
            continue
        rest = {b: bid for b, bid in bids.items() if b != removed}
        other = consolidate(tender, rest, {k: v for k, v in outcomes.items() if k[0] != removed})
        report.scenarios.append(
            Scenario(
                "remove_bid",
                f"Without the bid of {names[removed]}",
                other.winner.bidder if other.winner else None,
                compare(baseline, other, names),
            )
        )

    # 4. near tie
    margin = baseline.margin
    if margin is not None and baseline.winner is not None:
        quantum = Decimal(1).scaleb(-tender.rules.rounding.decimal_places)
        if margin < quantum:
            report.warnings.append(
                f"near tie: the winning margin {margin} is smaller than the display rounding "
                f"({quantum}); the displayed totals may look equal"
            )
        elif margin < baseline.winner.overall * NEAR_TIE_SHARE:
            report.warnings.append(
                f"near tie: the winning margin {margin:.4f} is under 1% of the winner's total"
            )
    return report


# --------------------------------------------------------------------------- reporting

CHECK_TITLES = {
    "leave_one_evaluator_out": "one evaluator left out",
    "weight": "a weight moved by 5 points",
    "remove_bid": "another bid removed",
}

LineKind = Literal["headline", "warning", "winner", "order", "steady"]


def robustness_lines(report: Robustness) -> list[tuple[LineKind, str]]:
    """The findings in words, most serious first, for the CLI table and the results screen:
    a headline, near-tie warnings, every scenario where the winner changes (and what else
    flips), every scenario where only the order below the winner changes, then a count of
    the scenarios where nothing changes."""
    total = len(report.scenarios)
    flips = report.winner_flips
    if report.baseline_winner is None:
        headline = f"No single leading bid; {total} scenario(s) checked"
    elif flips:
        headline = f"The leading bid changes in {len(flips)} of {total} scenarios"
    else:
        headline = f"The leading bid holds in all {total} scenarios"
    lines: list[tuple[LineKind, str]] = [("headline", headline)]
    lines.extend(("warning", w) for w in report.warnings)
    for scenario in flips:
        lines.append(("winner", f"{scenario.label}: {'; '.join(scenario.flips)}"))
    for scenario in report.scenarios:
        if scenario.flips and not scenario.winner_changes:
            lines.append(("order", f"{scenario.label}: {'; '.join(scenario.flips)}"))
    steady = [s for s in report.scenarios if not s.flips]
    if steady:
        counts = dict.fromkeys(CHECK_TITLES, 0)
        for scenario in steady:
            counts[scenario.check] = counts.get(scenario.check, 0) + 1
        parts = [f"{CHECK_TITLES.get(k, k)} {n}" for k, n in counts.items() if n]
        lines.append(("steady", f"No change in {len(steady)} scenario(s): {', '.join(parts)}"))
    return lines


def robustness_json(report: Robustness) -> dict[str, Any]:
    """The `robustness` key of `bid-panel results --format json` (documented in README)."""
    return {
        "robust": report.robust,
        "baseline_winner": report.baseline_winner,
        "winner_flips": len(report.winner_flips),
        "warnings": list(report.warnings),
        "scenarios": [
            {
                "check": s.check,
                "label": s.label,
                "winner": s.winner,
                "winner_changes": s.winner_changes,
                "flips": list(s.flips),
            }
            for s in report.scenarios
        ],
    }
