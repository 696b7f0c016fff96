"""The scoring engine: public worked examples, exact Decimal arithmetic, clear refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bid_panel.core.errors import BidPanelError, Findings
from bid_panel.core.scoring import (
    PriceError,
    ScaleValueError,
    below_minimum,
    display,
    display_text,
    effective_weights,
    price_points,
    scored_contribution,
    spread_flagged,
)
from bid_panel.core.tender import PriceFormula, Rounding, Scale, Tender
from bid_panel.core.yamlio import load_model

D = Decimal
REL = PriceFormula.RELATIVE_TO_LOWEST
PCT = PriceFormula.PERCENTAGE_OF_LEADING
PRO = PriceFormula.PRO_RATA_TO_CEILING


@pytest.fixture(scope="module")
def tender(sample) -> Tender:
    findings = Findings()
    loaded = load_model(sample.tender, Tender, findings)
    assert loaded is not None, list(findings)
    return loaded.model


# --------------------------------------------------------------------------- price formulas


def price_fractions(
    formula: PriceFormula, prices: dict[str, Decimal], ceiling: Decimal | None = None
) -> dict[str, Decimal]:
    """Each bid's share (0..1) of the price weight: its points for a weight of 1."""
    return price_points(formula, prices, D(1), ceiling)


def test_relative_to_lowest_worked_example() -> None:
    # Price worth 70 points; bids of 8,000 and 10,000 score 70 and 56.
    points = price_points(REL, {"a": D("8000"), "b": D("10000")}, D(70))
    assert points == {"a": D(70), "b": D(56)}


def test_percentage_of_leading_worked_example() -> None:
    # 10% dearer scores 90% (not 100/110 = 90.9%).
    fractions = price_fractions(PCT, {"a": D(100), "b": D(110)})
    assert fractions == {"a": D(1), "b": D("0.9")}


def test_percentage_of_leading_is_floored_at_zero() -> None:
    fractions = price_fractions(PCT, {"a": D(100), "double": D(200), "over": D(250)})
    assert fractions["double"] == 0
    assert fractions["over"] == 0


def test_pro_rata_to_ceiling_worked_example() -> None:
    fractions = price_fractions(PRO, {"a": D(500), "b": D(750)}, ceiling=D(1000))
    assert fractions == {"a": D(1), "b": D("0.5")}


def test_pro_rata_price_above_the_ceiling_scores_zero() -> None:
    fractions = price_fractions(PRO, {"a": D(500), "b": D(1200)}, ceiling=D(1000))
    assert fractions["b"] == 0


@pytest.mark.parametrize(
    ("formula", "prices", "ceiling", "expected"),
    [
        (REL, {"a": D("0.10"), "b": D("0.30")}, None, D(10)),  # 30 x 0.1 / 0.3
        (REL, {"a": D("1458600"), "b": D("4375800")}, None, D(10)),  # a third of the weight
        (PCT, {"a": D(3), "b": D(4)}, None, D(20)),  # 30 x (1 - 1/3)
        (PRO, {"a": D(400), "b": D(800)}, D(1000), D(10)),  # 30 x 200 / 600
    ],
    ids=["relative", "relative-real-prices", "percentage", "pro-rata"],
)
def test_price_points_are_exact_when_the_true_result_is(
    formula: PriceFormula, prices: dict[str, Decimal], ceiling: Decimal | None, expected: Decimal
) -> None:
    # Dividing first (0.1 / 0.3 = 0.333...) then multiplying gives 9.999...9, which the
    # `down` rounding rule would publish as 9.99 instead of 10.00.
    points = price_points(formula, prices, D(30), ceiling)
    assert points["b"] == expected
    assert display_text(points["b"], Rounding(decimal_places=2, mode="down")) == f"{expected}.00"


def test_no_prices_give_no_points() -> None:
    assert price_points(REL, {}, D(30)) == {}


@pytest.mark.parametrize("formula", list(PriceFormula))
@pytest.mark.parametrize("bad", [D(0), D("-1"), D("-0.01")])
def test_zero_or_negative_price_is_refused_with_a_clear_message(
    formula: PriceFormula, bad: Decimal
) -> None:
    with pytest.raises(PriceError) as caught:
        price_points(formula, {"good": D(100), "bad": bad}, D(30), ceiling=D(1000))
    message = str(caught.value)
    assert f"price of bad is {bad}" in message
    assert "zero or negative" in message
    assert formula.value in message


@pytest.mark.parametrize("ceiling", [D(500), D(400)], ids=["equal", "below"])
def test_ceiling_not_above_the_lowest_price_is_refused(ceiling: Decimal) -> None:
    with pytest.raises(PriceError, match="is not above the lowest price 500"):
        price_points(PRO, {"a": D(500), "b": D(750)}, D(30), ceiling=ceiling)


def test_pro_rata_without_a_ceiling_is_refused() -> None:
    with pytest.raises(PriceError, match="needs a ceiling price"):
        price_points(PRO, {"a": D(500)}, D(30))


def test_a_price_error_is_a_user_error_not_a_crash() -> None:
    assert issubclass(PriceError, BidPanelError)
    assert not issubclass(PriceError, ZeroDivisionError)


# --------------------------------------------------------------------------- weights


def test_cascading_weight_20_inside_75_is_worth_15(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("weight: 70", "weight: 75"), ("weight: 30", "weight: 25"))
    findings = Findings()
    loaded = load_model(path, Tender, findings)
    assert loaded is not None
    points = effective_weights(loaded.model)
    assert points["quality"] == D(75)
    assert points["change-management"] == D(15)
    assert points["cost"] == D(25)


def test_sample_effective_weights(tender: Tender) -> None:
    points = effective_weights(tender)
    assert points["quality"] == D(70)
    assert points["dcs-track-record"] == D("17.5")
    assert points["training-package"] == D(14)
    assert points["training-curriculum"] == D("8.4")
    assert points["leadership-investment"] == D("5.6")
    assert points["cost"] == D(30)
    assert points["safeguarding-compliance"] == 0


def test_sample_leaf_weights_sum_to_exactly_100(tender: Tender) -> None:
    points = effective_weights(tender)
    assert sum((points[leaf.id] for leaf in tender.leaves), D(0)) == D(100)


def test_scored_contribution_is_score_over_scale_maximum_times_points(tender: Tender) -> None:
    quality = tender.scale_by_id["quality-0-5"]
    impact = tender.scale_by_id["impact-0-2-5-8-10"]
    assert scored_contribution(D(3), quality, D("17.5")) == D("10.5")
    assert scored_contribution(D(8), impact, D("8.4")) == D("6.72")
    assert scored_contribution(D(0), quality, D("17.5")) == 0


def test_scored_contribution_refuses_a_value_off_the_scale(tender: Tender) -> None:
    scale = tender.scale_by_id["impact-0-2-5-8-10"]
    with pytest.raises(ScaleValueError) as caught:
        scored_contribution(D("3.0"), scale, D(10))
    # A user's file to correct (the CLI exits 2 with the message), never a crash.
    assert isinstance(caught.value, BidPanelError)
    message = str(caught.value)
    assert "the score 3 is not an allowed value" in message
    assert f"{scale.name!r} (impact-0-2-5-8-10: 0/2/5/8/10)" in message


def test_below_minimum(tender: Tender) -> None:
    dcs = tender.by_id["dcs-track-record"]
    assert below_minimum(dcs, D(1))
    assert not below_minimum(dcs, D(2))
    assert not below_minimum(tender.by_id["training-curriculum"], D(0))


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("value", "mode", "places", "shown"),
    [
        ("2.345", "half_up", 2, "2.35"),
        ("2.345", "half_even", 2, "2.34"),
        ("2.345", "down", 2, "2.34"),
        ("2.355", "half_even", 2, "2.36"),
        ("2.349", "down", 2, "2.34"),
        ("2.5", "half_up", 0, "3"),
        ("2.5", "half_even", 0, "2"),
        ("56", "half_up", 2, "56.00"),
        ("66.6666666666666666666666666666666666666666666666667", "half_up", 3, "66.667"),
    ],
)
def test_display_rounding_follows_the_tender_rule(
    value: str, mode: str, places: int, shown: str
) -> None:
    rounding = Rounding(decimal_places=places, mode=mode)
    assert display_text(D(value), rounding) == shown
    assert display(D(value), rounding) == D(shown)


def test_display_rounding_leaves_the_value_itself_exact() -> None:
    value = D("2.345")
    display(value, Rounding(decimal_places=2, mode="half_up"))
    assert value == D("2.345")


# --------------------------------------------------------------------------- spread


@pytest.mark.parametrize(
    ("scale", "values", "threshold", "flagged"),
    [
        ("quality-0-5", [2, 4], 40, True),  # spread 2 of 5 = 40%: at the threshold
        ("quality-0-5", [2, 3], 40, False),  # 20%
        ("quality-0-5", [2, 4, 3], 41, False),  # 40% is below 41%
        ("quality-0-5", [0, 5], 100, True),
        ("impact-0-2-5-8-10", [5, 8], 30, True),  # spread 3 of 10 = 30%
        ("impact-0-2-5-8-10", [5, 8], 40, False),
        ("impact-0-2-5-8-10", [2, 8], 40, True),
        ("quality-0-5", [4], 1, False),  # one score: nothing to compare
        ("quality-0-5", [], 1, False),
    ],
)
def test_spread_flag_at_and_around_the_threshold(
    tender: Tender, scale: str, values: list[int], threshold: int, flagged: bool
) -> None:
    result = spread_flagged([D(v) for v in values], tender.scale_by_id[scale], D(threshold))
    assert result is flagged


def test_scored_contribution_divides_last_so_thirds_stay_exact() -> None:
    scale = Scale.model_validate(
        {
            "id": "zero-to-three",
            "name": "0-3",
            "values": [
                {"value": v, "label": str(v), "descriptor": f"level {v}"} for v in (0, 1, 2, 3)
            ],
        }
    )
    # 1/3 x 30 is exactly 10; dividing first would give 9.999... and round `down` to 9.99.
    assert scored_contribution(Decimal(1), scale, Decimal(30)) == Decimal(10)
