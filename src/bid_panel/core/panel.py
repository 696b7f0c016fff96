"""The panel file: who evaluates, in which role, and which criteria.

Kept apart from the published tender: the panel is internal, the criteria are public.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field

from bid_panel.core.base import ShortText, Slug, Strict
from bid_panel.core.names import short_name

PANEL_FORMAT = "bid-panel/panel@1"


class Role(StrEnum):
    QUALITY = "quality"
    PRICE = "price"
    MODERATOR = "moderator"


class Evaluator(Strict):
    id: Slug
    name: ShortText
    role: Role
    criteria: list[Slug] = Field(
        default_factory=list,
        description="Criteria (or groups: all criteria under them) this evaluator scores",
    )
    public_key: Annotated[str, Field(pattern=r"^ed25519:[A-Za-z0-9+/=]{40,64}$")] | None = Field(
        default=None, description="Ed25519 public key printed by `bid-panel keys init`"
    )

    @property
    def sees_prices(self) -> bool:
        return self.role is not Role.QUALITY

    @property
    def short_name(self) -> str:
        """`Amara Okafor (Head of ...)` -> `Amara Okafor` (the id when nothing is left)."""
        return short_name(self.name) or self.id


class Panel(Strict):
    format: Literal["bid-panel/panel@1"] = Field(description="Always bid-panel/panel@1")
    tender_reference: str = Field(description="The `reference` of the tender this panel scores")
    evaluators: list[Evaluator] = Field(min_length=1)

    @cached_property
    def by_id(self) -> dict[str, Evaluator]:
        return {e.id: e for e in self.evaluators}

    def of_role(self, role: Role) -> list[Evaluator]:
        return [e for e in self.evaluators if e.role is role]
