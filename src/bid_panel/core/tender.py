"""The tender (published criteria) file: scales, a weighted criteria tree and the rules.

Nothing here may change once bids arrive; score sheets record the SHA-256 of this file as
it was when scoring began.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bid_panel.core.base import ShortText, Slug, Strict, Text, Weight, fix

TENDER_FORMAT = "bid-panel/tender@1"


class ScaleValue(Strict):
    value: Annotated[Decimal, Field(ge=0, le=1000, allow_inf_nan=False)]
    label: ShortText
    descriptor: Text = Field(description="What a response must show to earn this score")


class Scale(Strict):
    id: Slug
    name: ShortText
    values: list[ScaleValue] = Field(min_length=2)

    @field_validator("values")
    @classmethod
    def _ascending(cls, values: list[ScaleValue]) -> list[ScaleValue]:
        numbers = [v.value for v in values]
        if numbers != sorted(set(numbers)):
            raise fix(
                f"scale values must be listed once each, lowest first (got {numbers})",
                "list each allowed score once, in ascending order",
            )
        if numbers[-1] <= 0:
            raise fix("the highest scale value must be above 0", "add a positive top score")
        return values

    @cached_property
    def maximum(self) -> Decimal:
        return self.values[-1].value

    @cached_property
    def allowed(self) -> tuple[Decimal, ...]:
        return tuple(v.value for v in self.values)

    def entry(self, value: Decimal) -> ScaleValue | None:
        for v in self.values:
            if v.value == value:
                return v
        return None

    def describe(self) -> str:
        return "/".join(number_text(v) for v in self.allowed)


def number_text(value: Decimal) -> str:
    """A scale value, weight or threshold as people write it: 4, not 4.0 or 4E+1; 2.5
    stays 2.5; never scientific notation. The one spelling for every screen and file."""
    if value == value.to_integral():
        value = value.normalize()
    return format(value, "f")


def score_text(value: Decimal | str | None) -> str:
    """A score as the screens show it: `number_text` for a number, `-` for none, and a
    verdict with hyphens (non-compliant)."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return number_text(value)
    return value.replace("_", "-")


class CriterionKind(StrEnum):
    GROUP = "group"
    SCORED = "scored"
    PASS_FAIL = "pass_fail"
    PRICE = "price"


class PriceFormula(StrEnum):
    RELATIVE_TO_LOWEST = "relative_to_lowest"
    PERCENTAGE_OF_LEADING = "percentage_of_leading"
    PRO_RATA_TO_CEILING = "pro_rata_to_ceiling"

    @property
    def text(self) -> str:
        return {
            "relative_to_lowest": "W x Pmin / P",
            "percentage_of_leading": "W x max(0, 1 - (P - Pmin) / Pmin)",
            "pro_rata_to_ceiling": "W x max(0, (C - P) / (C - Pmin))",
        }[self.value]


class Criterion(Strict):
    id: Slug
    title: ShortText
    kind: CriterionKind = Field(
        description="group (has children), scored (on a scale), pass_fail, or price"
    )
    weight: Weight | None = Field(
        default=None, description="Percent of its level; siblings total 100. Not for pass_fail."
    )
    guidance: str = Field(default="", max_length=50_000, description="What evaluators read")
    scale: Slug | None = Field(default=None, description="Scale id (scored criteria)")
    minimum_score: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] | None = Field(
        default=None, description="Threshold: a consensus score below this fails the criterion"
    )
    failing_disqualifies: bool = Field(
        default=True,
        description="Whether failing (pass_fail) or missing the minimum score excludes the bid",
    )
    formula: PriceFormula | None = Field(default=None, description="Price formula (price only)")
    ceiling_price: (
        Annotated[Decimal, Field(gt=0, allow_inf_nan=False, max_digits=20, decimal_places=4)] | None
    ) = Field(default=None, description="Ceiling price C for pro_rata_to_ceiling")
    children: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Criterion:
        kind = self.kind
        problems: list[tuple[str, str]] = []
        if kind is CriterionKind.GROUP:
            if not self.children:
                problems.append(("a group needs children", "add `children:` or change `kind`"))
        elif self.children:
            problems.append(
                (f"a {kind} criterion cannot have children", "use `kind: group` for a parent")
            )
        if kind is CriterionKind.PASS_FAIL:
            if self.weight not in (None, Decimal(0)):
                problems.append(("a pass_fail criterion carries no weight", "remove `weight`"))
        elif self.weight is None:
            problems.append((f"a {kind} criterion needs a weight", "add `weight:` (percent)"))
        if (kind is CriterionKind.SCORED) != (self.scale is not None):
            problems.append(
                (
                    "`scale` is for scored criteria only, and every scored one needs it",
                    "set `scale:` on scored criteria and remove it elsewhere",
                )
            )
        if self.minimum_score is not None and kind is not CriterionKind.SCORED:
            problems.append(("`minimum_score` is for scored criteria", "remove it"))
        if (kind is CriterionKind.PRICE) != (self.formula is not None):
            problems.append(
                (
                    "`formula` is for price criteria only, and every price one needs it",
                    "set `formula:` on price criteria and remove it elsewhere",
                )
            )
        needs_ceiling = self.formula is PriceFormula.PRO_RATA_TO_CEILING
        if needs_ceiling != (self.ceiling_price is not None):
            problems.append(
                (
                    "`ceiling_price` goes with formula pro_rata_to_ceiling, and only with it",
                    "set both or neither",
                )
            )
        if problems:
            raise fix("; ".join(p for p, _ in problems), "; ".join(h for _, h in problems))
        return self

    def walk(self) -> Iterator[Criterion]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def is_leaf(self) -> bool:
        return self.kind is not CriterionKind.GROUP


class Rounding(Strict):
    decimal_places: int = Field(default=2, ge=0, le=6)
    mode: Literal["half_up", "half_even", "down"] = Field(
        default="half_up", description="half_up is what people expect on paper"
    )


TieBreakRule = Annotated[
    str,
    Field(
        pattern=r"^(quality_total|price_total|earliest_submission|criterion:[a-z0-9-]+)$",
        description="quality_total, price_total, earliest_submission or criterion:<id>",
    ),
]


class Rules(Strict):
    rounding: Rounding = Field(default_factory=Rounding)
    tie_break: list[TieBreakRule] = Field(
        default_factory=lambda: ["quality_total"],
        description="Applied in order when overall totals are exactly equal",
    )
    spread_threshold_percent: Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)] = Field(
        default=Decimal(40), description="Flag for moderation at this spread (% of scale)"
    )
    justification_min_length: int = Field(default=40, ge=1, le=5000)
    share_winner_scores: bool = Field(
        default=False, description="Assessment summaries to unsuccessful bidders show the winner"
    )


class Tender(Strict):
    format: Literal["bid-panel/tender@1"] = Field(description="Always bid-panel/tender@1")
    reference: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
    title: ShortText
    authority: ShortText = Field(description="The contracting authority")
    contract_term_months: int = Field(ge=1, le=600)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "GBP"
    evaluation_method: Text = Field(description="The published statement of method")
    rules: Rules = Field(default_factory=Rules)
    scales: list[Scale] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)

    # ------------------------------------------------------------------ lookups
    def walk(self) -> Iterator[Criterion]:
        for criterion in self.criteria:
            yield from criterion.walk()

    @cached_property
    def by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.walk()}

    @cached_property
    def leaves(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.walk() if c.is_leaf)

    @cached_property
    def scale_by_id(self) -> dict[str, Scale]:
        return {s.id: s for s in self.scales}

    def scale_of(self, criterion: Criterion) -> Scale:
        assert criterion.scale is not None
        return self.scale_by_id[criterion.scale]

    @cached_property
    def parents(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}

        def visit(node: Criterion, parent: str | None) -> None:
            out[node.id] = parent
            for child in node.children:
                visit(child, node.id)

        for top in self.criteria:
            visit(top, None)
        return out

    def path(self, criterion_id: str) -> list[str]:
        """Ids from the top level down to `criterion_id`."""
        out = [criterion_id]
        while (parent := self.parents.get(out[-1])) is not None:
            out.append(parent)
        return out[::-1]

    def leaves_under(self, criterion_id: str) -> list[Criterion]:
        return [c for c in self.by_id[criterion_id].walk() if c.is_leaf]

    @cached_property
    def price_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.leaves if c.kind is CriterionKind.PRICE)
