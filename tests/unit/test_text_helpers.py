"""The one spelling of a scale value, a verdict and a panel member's name, shared by every
screen and file (they had been written out several times, slightly differently)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bid_panel.core.panel import Evaluator, Role, short_name
from bid_panel.core.sheet import VERDICT_LABELS
from bid_panel.core.tender import Scale, number_text, score_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("4", "4"),
        ("4.0", "4"),
        ("40", "40"),
        ("4E+1", "40"),
        ("0", "0"),
        ("0.00", "0"),
        ("2.5", "2.5"),
        ("2.50", "2.50"),
        ("1E-7", "0.0000001"),
        ("17.5", "17.5"),
    ],
)
def test_number_text_is_as_people_write_it_never_scientific(value: str, text: str) -> None:
    assert number_text(Decimal(value)) == text


def test_score_text_for_numbers_verdicts_and_nothing() -> None:
    assert score_text(Decimal("5.0")) == "5"
    assert score_text("non_compliant") == "non-compliant"
    assert score_text("pass") == "pass"
    assert score_text(None) == "-"


def test_scale_describe_uses_it() -> None:
    scale = Scale.model_validate(
        {
            "id": "impact",
            "name": "Impact",
            "values": [
                {"value": v, "label": str(v), "descriptor": "d"}
                for v in ("0", "2.5", "5.0", "1E+1")
            ],
        }
    )
    assert scale.describe() == "0/2.5/5/10"


def test_one_spelling_of_each_verdict() -> None:
    assert VERDICT_LABELS == {
        "pass": "Pass",
        "fail": "Fail",
        "compliant": "Compliant",
        "non_compliant": "Non-compliant",
    }


def test_short_name_drops_the_role_and_falls_back_to_the_id() -> None:
    assert short_name("Amara Okafor (Head of Safeguarding)") == "Amara Okafor"
    assert short_name("Ben Hartley") == "Ben Hartley"
    member = Evaluator(id="amara-okafor", name="Amara Okafor (Head of ...)", role=Role.QUALITY)
    assert member.short_name == "Amara Okafor"
    nameless = Evaluator(id="zed", name=" (Chair)", role=Role.QUALITY)
    assert nameless.short_name == "zed"
