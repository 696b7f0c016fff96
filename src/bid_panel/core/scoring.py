"""The scoring engine: pure functions over Decimal, no I/O.

* A criterion's effective weight cascades down the tree: a criterion weighted 20 inside a
  group weighted 75 is worth 20% x 75% = 15 points of 100.
* A scored criterion contributes score / scale maximum x effective weight.
* A price criterion contributes the published formula's fraction x effective weight.
* Rounding happens only for display, by the tender's rule (`display`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from bid_panel.core.errors import BidPanelError
from bid_panel.core.tender import (
    Criterion,
    CriterionKind,
    PriceFormula,
    Rounding,
    Scale,
    Tender,
    number_text,
)

ENGINE_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN)
"""One context for all engine arithmetic: 50 significant digits, far beyond any display."""

HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)


class PriceError(BidPanelError):
    """A price formula is undefined for the prices given (zero price, bad ceiling...)."""


class ScaleValueError(BidPanelError):
    """A score that is not one of its scale's allowed values (a hand-edited sheet or
    moderation record, say): a user's file to correct, never a crash."""


def effective_weights(tender: Tender) -> dict[str, Decimal]:
    """Points of 100 each criterion (group or leaf) is worth; pass_fail criteria are worth 0."""
    out: dict[str, Decimal] = {}
    with localcontext(ENGINE_CONTEXT):

        def visit(node: Criterion, share: Decimal) -> None:
            weight = node.weight if node.kind is not CriterionKind.PASS_FAIL else ZERO
            points = share * (weight or ZERO) / HUNDRED
            out[node.id] = points
            for child in node.children:
                visit(child, points)

        for top in tender.criteria:
            visit(top, HUNDRED)
    return out


def scored_contribution(value: Decimal, scale: Scale, points: Decimal) -> Decimal:
    """score / scale maximum x points."""
    if value not in scale.allowed:
        raise ScaleValueError(
            f"the score {number_text(value)} is not an allowed value of the scale "
            f"{scale.name!r} ({scale.id}: {scale.describe()}); correct the score sheet or "
            "moderation record that gives it (`bid-panel verify` locates it)"
        )
    # The engine context's own operations, not `with localcontext(...)`: the same arithmetic,
    # without copying the context for each of the million contributions that robustness
    # scenarios compute on a large tender (profiled in benchmarks/run.py).
    engine = ENGINE_CONTEXT
    return engine.divide(engine.multiply(value, points), scale.maximum)  # divide last: exact


def _price_ratios(
    formula: PriceFormula,
    prices: Mapping[str, Decimal],
    ceiling: Decimal | None = None,
) -> dict[str, tuple[Decimal, Decimal]]:
    """Each bid's fraction as (numerator, denominator), so that callers divide once, last:
    W x Pmin / P is exact whenever the true result is (30 x 0.1 / 0.3 is 10, whereas
    30 x (0.1 / 0.3) is 9.99...9, which rounding `down` would show as 9.99)."""
    if not prices:
        return {}
    for bidder, price in prices.items():
        if not price.is_finite() or price <= ZERO:
            raise PriceError(
                f"price of {bidder} is {price}: the {formula.value} formula is undefined for a "
                "zero or negative price. Correct the price or exclude the bid as non-compliant."
            )
    lowest = min(prices.values())
    out: dict[str, tuple[Decimal, Decimal]] = {}
    with localcontext(ENGINE_CONTEXT):
        if formula is PriceFormula.RELATIVE_TO_LOWEST:
            for bidder, price in prices.items():
                out[bidder] = (lowest, price)
        elif formula is PriceFormula.PERCENTAGE_OF_LEADING:
            for bidder, price in prices.items():
                # 1 - (P - Pmin) / Pmin, floored at 0, is (2 Pmin - P) / Pmin.
                out[bidder] = (max(ZERO, 2 * lowest - price), lowest)
        elif formula is PriceFormula.PRO_RATA_TO_CEILING:
            if ceiling is None:
                raise PriceError("the pro_rata_to_ceiling formula needs a ceiling price")
            if ceiling <= lowest:
                raise PriceError(
                    f"the ceiling price {ceiling} is not above the lowest price {lowest}: "
                    "(C - P) / (C - Pmin) is undefined. Check the ceiling published in the tender."
                )
            for bidder, price in prices.items():
                out[bidder] = (max(ZERO, ceiling - price), ceiling - lowest)
        else:  # pragma: no cover - the enum is closed
            raise PriceError(f"unknown price formula {formula}")
    return out


def price_points(
    formula: PriceFormula,
    prices: Mapping[str, Decimal],
    weight: Decimal,
    ceiling: Decimal | None = None,
) -> dict[str, Decimal]:
    """Price score in points: weight x numerator / denominator (one division, last), by
    the published formula. `prices` are the compliant bids' prices; undefined cases raise
    PriceError with the reason instead of dividing by zero."""
    with localcontext(ENGINE_CONTEXT):
        ratios = _price_ratios(formula, prices, ceiling)
        return {b: weight * n / d for b, (n, d) in ratios.items()}


_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def display(value: Decimal, rounding: Rounding) -> Decimal:
    """Round for display only, by the tender's published rule."""
    quantum = Decimal(1).scaleb(-rounding.decimal_places)
    return value.quantize(quantum, rounding=_MODES[rounding.mode])


def display_text(value: Decimal, rounding: Rounding) -> str:
    return f"{display(value, rounding):f}"


def below_minimum(criterion: Criterion, value: Decimal) -> bool:
    return criterion.minimum_score is not None and value < criterion.minimum_score


def spread_flagged(values: list[Decimal], scale: Scale, threshold_percent: Decimal) -> bool:
    """True when evaluators' scores spread by at least the threshold share of the scale."""
    if len(values) < 2:
        return False
    span = scale.maximum - scale.allowed[0]
    with localcontext(ENGINE_CONTEXT):
        return (max(values) - min(values)) * HUNDRED >= threshold_percent * span
