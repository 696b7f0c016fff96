"""A bid file: who bids, their response per criterion, and the price envelope.

The price is a section of its own so that the quality evaluators' views can leave it out
(the two-envelope approach).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from bid_panel.core.base import Money, ShortText, Slug, Strict, Text, fix

BID_FORMAT = "bid-panel/bid@1"


class OrganisationType(StrEnum):
    COUNCIL = "council"
    COMPANY = "company"
    CHARITY = "charity"
    CONSORTIUM = "consortium"


class Bidder(Strict):
    id: Slug
    name: ShortText
    organisation_type: OrganisationType


class PriceLine(Strict):
    description: ShortText
    amount: Money


class PriceEnvelope(Strict):
    """The price envelope: opened only by price evaluators and the procurement lead."""

    currency: str = Field(default="GBP", pattern=r"^[A-Z]{3}$")
    total: Money = Field(description="The total price for the whole contract term")
    lines: list[PriceLine] = Field(default_factory=list)
    notes: str = Field(default="", max_length=20_000)

    @model_validator(mode="after")
    def _lines_add_up(self) -> PriceEnvelope:
        if self.lines:
            lines_sum = sum((line.amount for line in self.lines), Decimal(0))
            if lines_sum != self.total:
                raise fix(
                    f"price lines add up to {lines_sum}, not the stated total {self.total}",
                    "correct a line or the total so that they agree",
                )
        return self


class Bid(Strict):
    format: Literal["bid-panel/bid@1"] = Field(description="Always bid-panel/bid@1")
    tender_reference: str
    bidder: Bidder
    submitted_at: AwareDatetime = Field(description="With offset, e.g. 2026-10-01T11:42:00+01:00")
    responses: dict[Slug, Text] = Field(
        description="Markdown response per criterion id (scored and pass_fail criteria)"
    )
    price: PriceEnvelope | None = Field(default=None, description="The price envelope")

    @property
    def id(self) -> str:
        return self.bidder.id
