"""Score sheets: one append-only, hash-chained record per evaluator.

Events: a conflict declaration per bidder (before any score), a score set or changed with
its justification, and the submission that seals the sheet. Current scores are derived by
replaying the events, never stored separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from bid_panel.core.base import ChainedEvent, Sha256, Slug, Strict
from bid_panel.core.errors import Findings, InvalidFiles
from bid_panel.core.ledger import RecordFormat
from bid_panel.core.panel import Role

SHEET_FORMAT = "bid-panel/score-sheet@1"

Verdict = Literal["pass", "fail", "compliant", "non_compliant"]
"""Values for pass_fail criteria (pass/fail) and the price check (compliant/non_compliant)."""

VERDICT_LABELS: dict[str, str] = {
    "pass": "Pass",
    "fail": "Fail",
    "compliant": "Compliant",
    "non_compliant": "Non-compliant",
}
"""Each verdict in words, the one spelling for every screen and file."""

ScoreValue = Annotated[Decimal, Field(allow_inf_nan=False)] | Verdict


class SheetHeader(Strict):
    format: Literal["bid-panel/score-sheet@1"] = SHEET_FORMAT
    tender_reference: str
    tender_sha256: Sha256 = Field(description="SHA-256 of the tender file when scoring began")
    evaluator: Slug
    role: Role
    created_at: AwareDatetime


class Declaration(ChainedEvent):
    """Conflict of interest declaration for one bidder, made before seeing its bid."""

    type: Literal["declaration"]
    bidder: Slug
    conflict: bool
    note: str = Field(default="", max_length=10_000)


class ScoreSet(ChainedEvent):
    """A score set or changed, with its justification (possibly still a draft)."""

    type: Literal["score"]
    bidder: Slug
    criterion: Slug
    value: ScoreValue | None = None
    justification: str = Field(default="", max_length=100_000)


class Submitted(ChainedEvent):
    """The seal: nothing may follow it. `hash` of this event is the sheet's seal."""

    type: Literal["submitted"]
    items: int = Field(ge=0, description="Number of scored items at submission")
    statement: str = Field(default="", max_length=2_000)
    public_key: str | None = None
    signature: str | None = Field(default=None, description="Ed25519 signature of the seal")


SheetEvent = Annotated[Declaration | ScoreSet | Submitted, Field(discriminator="type")]

SHEET = RecordFormat[SheetHeader, Declaration | ScoreSet | Submitted](
    "score sheet", SheetHeader, SheetEvent, frozenset({"declaration", "score", "submitted"})
)

Item = tuple[str, str]
"""A work item: (bidder id, criterion id)."""


@dataclass(slots=True)
class ScoreEntry:
    """The current state of one item, replayed from its events. Slotted: a large tender
    holds one per evaluator and item (96,000), twice while verifying, and without slots each
    carried a dict of its own, 33 MB in all (benchmarks/pipeline.py, profiled)."""

    bidder: str
    criterion: str
    value: Decimal | str | None
    justification: str
    at: object
    seq: int
    revisions: int = 1


@dataclass
class SheetState:
    """A sheet replayed: what the evaluator has declared and scored so far."""

    header: SheetHeader
    declarations: dict[str, Declaration] = field(default_factory=dict)
    scores: dict[Item, ScoreEntry] = field(default_factory=dict)
    submitted: Submitted | None = None
    last_item: Item | None = None
    events_after_seal: list[int] = field(default_factory=list)

    @property
    def evaluator(self) -> str:
        return self.header.evaluator

    @property
    def sealed(self) -> bool:
        return self.submitted is not None

    @property
    def seal(self) -> str | None:
        return self.submitted.hash if self.submitted else None

    @property
    def recused(self) -> set[str]:
        return {b for b, d in self.declarations.items() if d.conflict}

    def apply(self, event: Declaration | ScoreSet | Submitted) -> None:
        """Advance the state by one event."""
        if self.submitted is not None:
            self.events_after_seal.append(event.seq)
        elif isinstance(event, Declaration):
            self.declarations[event.bidder] = event
        elif isinstance(event, ScoreSet):
            key = (event.bidder, event.criterion)
            before = self.scores.get(key)
            self.scores[key] = ScoreEntry(
                event.bidder,
                event.criterion,
                event.value,
                event.justification,
                event.at,
                event.seq,
                (before.revisions + 1) if before else 1,
            )
            self.last_item = key
        else:
            self.submitted = event


def replay(header: SheetHeader, events: list[Declaration | ScoreSet | Submitted]) -> SheetState:
    """Derive the current state from the events (deterministic: same events, same state)."""
    state = SheetState(header=header)
    for event in events:
        state.apply(event)
    return state


def read_state(path: Path) -> SheetState:
    """Read and replay a sheet; raises InvalidFiles when it cannot be read."""
    findings = Findings()
    record = SHEET.read(path, findings)
    if record is None:
        raise InvalidFiles(f"cannot read score sheet {path}", findings)
    return replay(record.header, record.events)
