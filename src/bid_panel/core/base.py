"""Shared building blocks of every file model: strict frozen models and id types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from bid_panel.core.names import SLUG_PATTERN

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=64),
    Field(
        description="An id: lower-case letters, digits and single hyphens, e.g. dcs-track-record"
    ),
]
"""An id (see `names.SLUG_PATTERN`): ids become file names, so never paths."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

Weight = Annotated[
    Decimal,
    Field(ge=0, le=100, allow_inf_nan=False, description="Weight in percent of its level (0-100)"),
]
Money = Annotated[
    Decimal,
    Field(ge=0, allow_inf_nan=False, max_digits=20, decimal_places=4, description="An amount"),
]


class Strict(BaseModel):
    """Every file model: unknown keys rejected, immutable once loaded."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=False,
        validate_default=True,
        use_enum_values=False,
    )


class ChainedEvent(Strict):
    """An event of an append-only record (a score sheet, the moderation record): its place,
    its time and its links in the hash chain (see `ledger`)."""

    seq: int = Field(ge=1)
    at: AwareDatetime
    prev: Sha256
    hash: Sha256


def fix(message: str, hint: str) -> ValueError:
    """A validation error whose text carries a fix, split by yamlio into message and hint."""
    return ValueError(f"{message} | {hint}")
