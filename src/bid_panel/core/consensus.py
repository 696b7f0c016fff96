"""From individual scores to one outcome per bid and criterion.

The outcome of an item is, in order of authority:
1. the moderated consensus (a scale value with a reason), when the moderation record has one;
2. the evaluators' unanimous score, when every evaluator who scored it agrees;
3. otherwise a *provisional* value, marked as such: the lower median of the individual
   scores (always a value of the scale, never an average), until the panel moderates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bid_panel.core.bid import Bid
from bid_panel.core.checks import assigned_leaves
from bid_panel.core.panel import Panel
from bid_panel.core.scoring import spread_flagged
from bid_panel.core.sheet import Item, ScoreEntry, SheetState
from bid_panel.core.tender import CriterionKind, Tender


class Source(StrEnum):
    MODERATED = "moderated"
    AGREED = "agreed"
    PROVISIONAL = "provisional"
    MISSING = "missing"


@dataclass(frozen=True)
class Moderated:
    """What the moderation record settled for one item."""

    value: Decimal | str
    reason: str


@dataclass(frozen=True)
class Outcome:
    value: Decimal | str | None
    source: Source
    reason: str = ""


@dataclass
class ItemScores:
    """Everything the panel said about one item, for moderation and audit views."""

    bidder: str
    criterion: str
    assigned: list[str]
    """Evaluators assigned to this item and not recused from the bid."""
    scores: dict[str, ScoreEntry] = field(default_factory=dict)
    """Latest score of each evaluator who has one."""
    flagged: bool = False

    @property
    def values(self) -> list[Decimal | str]:
        return [s.value for s in self.scores.values() if s.value is not None]

    @property
    def spread(self) -> Decimal | None:
        numbers = [v for v in self.values if isinstance(v, Decimal)]
        return max(numbers) - min(numbers) if len(numbers) >= 2 else None

    @property
    def unanimous(self) -> bool:
        values = self.values
        return bool(values) and len(values) == len(self.assigned) and len(set(values)) == 1


def gather(
    tender: Tender, panel: Panel, bids: Mapping[str, Bid], states: Mapping[str, SheetState]
) -> dict[Item, ItemScores]:
    """Every bid x leaf, with the scores of the evaluators assigned to it."""
    items: dict[Item, ItemScores] = {}
    threshold = tender.rules.spread_threshold_percent
    for bidder in bids:
        for leaf in tender.leaves:
            items[(bidder, leaf.id)] = ItemScores(bidder, leaf.id, [])
    for evaluator in panel.evaluators:
        state = states.get(evaluator.id)
        recused = state.recused if state else set()
        for leaf in assigned_leaves(tender, evaluator.criteria):
            for bidder in bids:
                if bidder in recused:
                    continue
                item = items[(bidder, leaf.id)]
                item.assigned.append(evaluator.id)
                entry = state.scores.get((bidder, leaf.id)) if state else None
                if entry is not None and entry.value is not None:
                    item.scores[evaluator.id] = entry
    for item in items.values():
        leaf = tender.by_id[item.criterion]
        if leaf.kind is CriterionKind.SCORED:
            numbers = [v for v in item.values if isinstance(v, Decimal)]
            item.flagged = spread_flagged(numbers, tender.scale_of(leaf), threshold)
        elif leaf.kind is CriterionKind.PASS_FAIL:
            item.flagged = len(set(item.values)) > 1
    return items


def lower_median(values: list[Decimal | str]) -> Decimal | str:
    ordered = sorted(values, key=_order)
    return ordered[(len(ordered) - 1) // 2]


def _order(value: Decimal | str) -> tuple[int, Decimal]:
    # fail / non_compliant sort below pass / compliant: a provisional gate is pessimistic.
    ranks = {"fail": 0, "non_compliant": 0, "pass": 1, "compliant": 1}
    if isinstance(value, Decimal):
        return (0, value)
    return (ranks[value], Decimal(0))


def outcomes(
    items: Mapping[Item, ItemScores], moderated: Mapping[Item, Moderated]
) -> dict[Item, Outcome]:
    out: dict[Item, Outcome] = {}
    for key, item in items.items():
        settled = moderated.get(key)
        if settled is not None:
            out[key] = Outcome(settled.value, Source.MODERATED, settled.reason)
        elif item.unanimous:
            out[key] = Outcome(item.values[0], Source.AGREED)
        elif item.values:
            out[key] = Outcome(lower_median(item.values), Source.PROVISIONAL)
        else:
            out[key] = Outcome(None, Source.MISSING)
    return out
