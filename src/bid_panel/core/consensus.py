"""From individual scores to one outcome per bid and criterion.

The outcome of an item is, in order of authority:
1. the moderated consensus (a scale value with a reason), when the moderation record has one;
2. the evaluators' unanimous score, when every evaluator who scored it agrees;
3. otherwise a *provisional* value, marked as such: the lower median of the individual
   scores (always a value of the scale, never an average), until the panel moderates it.

A value that is not an allowed value of the criterion (a moderation record or a sheet edited
by hand) never reaches the arithmetic: the item's outcome is *missing*, with a reason that
names the item, and the results stay provisional until the record is corrected.
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
from bid_panel.core.tender import Criterion, CriterionKind, Tender


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
    """Latest score of each evaluator who has one (an invalid value included, as on file)."""
    flagged: bool = False
    kind: CriterionKind | None = None
    """The criterion's kind (set by `gather`): scored, pass_fail or price."""
    allowed: tuple[Decimal | str, ...] = ()
    """The values an outcome may take (set by `gather`); empty when unknown."""
    invalid: dict[str, str] = field(default_factory=dict)
    """Evaluators whose value is not an allowed value of the criterion, with why."""

    @property
    def price_check(self) -> bool:
        """The price evaluators' compliance check of the bid's price (not a quality score)."""
        return self.kind is CriterionKind.PRICE

    @property
    def values(self) -> list[Decimal | str]:
        """The valid values given (an invalid one is left out: see `invalid`)."""
        return [
            s.value for e, s in self.scores.items() if s.value is not None and e not in self.invalid
        ]

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
    allowed = {leaf.id: allowed_values(tender, leaf) for leaf in tender.leaves}
    for bidder in bids:
        for leaf in tender.leaves:
            items[(bidder, leaf.id)] = ItemScores(
                bidder, leaf.id, [], kind=leaf.kind, allowed=allowed[leaf.id]
            )
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
                    if not is_allowed(entry.value, item.allowed):
                        item.invalid[evaluator.id] = (
                            f"{evaluator.id}'s value {entry.value} is not {_one_of(item.allowed)}"
                        )
    for item in items.values():
        leaf = tender.by_id[item.criterion]
        if leaf.kind is CriterionKind.SCORED:
            numbers = [v for v in item.values if isinstance(v, Decimal)]
            item.flagged = spread_flagged(numbers, tender.scale_of(leaf), threshold)
        else:
            # A split verdict (pass/fail, or compliant/non_compliant on the price check) is
            # for the panel to settle with a reason, never by a pessimistic median.
            item.flagged = len(set(item.values)) > 1
    return items


def allowed_values(tender: Tender, leaf: Criterion) -> tuple[Decimal | str, ...]:
    """The values an item of this leaf may take: the scale's, pass / fail, or the price
    check's compliant / non_compliant."""
    if leaf.kind is CriterionKind.SCORED:
        return tuple(tender.scale_of(leaf).allowed)
    if leaf.kind is CriterionKind.PASS_FAIL:
        return ("pass", "fail")
    if leaf.kind is CriterionKind.PRICE:
        return ("compliant", "non_compliant")
    return ()


def is_allowed(value: object, allowed: tuple[Decimal | str, ...]) -> bool:
    """Whether `value` is one of `allowed` (always, when `allowed` is empty: unknown)."""
    if not allowed:
        return True
    # A Decimal is never equal to a verdict, nor a verdict to a Decimal: no mixed compare.
    if isinstance(value, Decimal):
        return value.is_finite() and any(isinstance(a, Decimal) and a == value for a in allowed)
    return any(isinstance(a, str) and a == value for a in allowed)


def _one_of(allowed: tuple[Decimal | str, ...]) -> str:
    return "one of " + ", ".join(str(a) for a in allowed)


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
    """One outcome per item. An invalid value (moderated or individual) makes the outcome
    MISSING, with a reason naming the item, so that the results say provisional and why
    instead of computing with it (or failing)."""
    out: dict[Item, Outcome] = {}
    for key, item in items.items():
        settled = moderated.get(key)
        where = f"{item.bidder} / {item.criterion}"
        if settled is not None:
            if is_allowed(settled.value, item.allowed):
                out[key] = Outcome(settled.value, Source.MODERATED, settled.reason)
            else:
                out[key] = Outcome(
                    None,
                    Source.MISSING,
                    f"{where}: the moderated value {settled.value} is not "
                    f"{_one_of(item.allowed)}; the item counts as unscored until the "
                    "moderation record is corrected",
                )
        elif item.invalid:
            out[key] = Outcome(
                None,
                Source.MISSING,
                f"{where}: {'; '.join(item.invalid[e] for e in sorted(item.invalid))}; the "
                "item counts as unscored until it is moderated or the sheet corrected",
            )
        elif item.unanimous:
            out[key] = Outcome(item.values[0], Source.AGREED, _agreed_reason(item))
        elif item.values:
            out[key] = Outcome(lower_median(item.values), Source.PROVISIONAL)
        else:
            out[key] = Outcome(None, Source.MISSING)
    return out


def _agreed_reason(item: ItemScores) -> str:
    """The reason carried by an agreed outcome: for a price found non-compliant by every
    price evaluator, what they wrote (it becomes the exclusion's reason)."""
    if not (item.price_check and item.values and item.values[0] == "non_compliant"):
        return ""
    said = [s.justification.strip() for s in item.scores.values() if s.justification.strip()]
    return "; ".join(dict.fromkeys(said))
