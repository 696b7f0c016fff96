"""The moderation record: consensus per bid and criterion, with reasons, append-only.

Rules (Lancashire Care 2018, Bromcom 2022): a consensus score is a value of the scale chosen
by discussion, never an average; every consensus has a reason; the individual scores stay
unchanged in the sheets; each entry is bound to the seals of the sheets it moderated, so a
sheet changed afterwards is detectable; a later change is a new entry with its own reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from bid_panel.core import clock
from bid_panel.core.base import Sha256, Slug, Strict
from bid_panel.core.checks import value_problem
from bid_panel.core.consensus import ItemScores, Moderated, gather
from bid_panel.core.errors import BidPanelError, Findings, InvalidFiles, RecordError
from bid_panel.core.ledger import RecordFile, RecordFormat, RecordWriter
from bid_panel.core.panel import Panel, Role
from bid_panel.core.sheet import Item, SheetState
from bid_panel.core.tender import CriterionKind
from bid_panel.core.workspace import Workspace

MODERATION_FORMAT = "bid-panel/moderation@1"


class ModerationHeader(Strict):
    format: Literal["bid-panel/moderation@1"] = MODERATION_FORMAT
    tender_reference: str
    tender_sha256: Sha256
    moderator: Slug
    created_at: AwareDatetime


class _Event(Strict):
    seq: int = Field(ge=1)
    at: AwareDatetime
    prev: Sha256
    hash: Sha256


class Withdrawal(_Event):
    """An evaluator withdrawn from the panel (illness, late conflict...), with the reason."""

    type: Literal["withdrawal"]
    evaluator: Slug
    reason: str = Field(min_length=1, max_length=10_000)


class Opened(_Event):
    """Moderation opened: binds the record to the seal of every submitted sheet."""

    type: Literal["opened"]
    sheet_seals: dict[Slug, Sha256]
    present: list[Slug] = Field(default_factory=list)


class Consensus(_Event):
    """The agreed score of one item, with the reason and who agreed it."""

    type: Literal["consensus"]
    bidder: Slug
    criterion: Slug
    value: (
        Annotated[Decimal, Field(allow_inf_nan=False)]
        | Literal["pass", "fail", "compliant", "non_compliant"]
    )
    reason: str = Field(min_length=1, max_length=100_000)
    basis: Literal["discussed", "accepted_agreement"]
    present: list[Slug] = Field(min_length=1)
    individual: dict[Slug, Annotated[Decimal, Field(allow_inf_nan=False)] | str] = Field(
        description="The individual scores moderated, as they stood (unchanged in the sheets)"
    )
    sheet_seals: dict[Slug, Sha256]
    supersedes: int | None = Field(default=None, description="seq of the entry this replaces")


class Signed(_Event):
    """The moderator's signature over the record as it stands (its head hash)."""

    type: Literal["signed"]
    public_key: str | None = None
    signature: str | None = None


ModerationEvent = Annotated[Withdrawal | Opened | Consensus | Signed, Field(discriminator="type")]

MODERATION = RecordFormat[ModerationHeader, Withdrawal | Opened | Consensus | Signed](
    "moderation record",
    ModerationHeader,
    ModerationEvent,
    frozenset({"withdrawal", "opened", "consensus", "signed"}),
)


class ModerationRefused(BidPanelError):
    """An action the rules of moderation do not allow."""


@dataclass
class ModerationState:
    header: ModerationHeader | None = None
    withdrawn: dict[str, Withdrawal] = field(default_factory=dict)
    opened: Opened | None = None
    current: dict[Item, Consensus] = field(default_factory=dict)
    history: dict[Item, list[Consensus]] = field(default_factory=dict)
    signed: Signed | None = None

    def apply(self, event: Withdrawal | Opened | Consensus | Signed) -> None:
        if isinstance(event, Withdrawal):
            self.withdrawn[event.evaluator] = event
        elif isinstance(event, Opened):
            self.opened = event
        elif isinstance(event, Consensus):
            key = (event.bidder, event.criterion)
            self.current[key] = event
            self.history.setdefault(key, []).append(event)
        else:
            self.signed = event

    def moderated(self) -> dict[Item, Moderated]:
        return {k: Moderated(c.value, c.reason) for k, c in self.current.items()}


def replay_moderation(
    header: ModerationHeader | None, events: list[Withdrawal | Opened | Consensus | Signed]
) -> ModerationState:
    state = ModerationState(header=header)
    for event in events:
        state.apply(event)
    return state


def read_moderation(workspace: Workspace) -> RecordFile | None:
    path = workspace.moderation_path
    if not path.exists():
        return None
    findings = Findings()
    record = MODERATION.read(path, findings)
    if record is None:
        raise InvalidFiles(f"cannot read the moderation record {path}", findings)
    return record


def moderation_state(workspace: Workspace) -> ModerationState:
    record = read_moderation(workspace)
    if record is None:
        return ModerationState()
    return replay_moderation(record.header, record.events)


# --------------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class Readiness:
    submitted: list[str]
    not_submitted: list[str]
    withdrawn: list[str]

    @property
    def ready(self) -> bool:
        return not self.not_submitted


def readiness(workspace: Workspace, state: ModerationState) -> Readiness:
    sheets = workspace.states()
    submitted, missing, withdrawn = [], [], []
    for evaluator in workspace.panel.evaluators:
        if evaluator.role is Role.MODERATOR:
            continue
        if evaluator.id in state.withdrawn:
            withdrawn.append(evaluator.id)
        elif evaluator.id in sheets and sheets[evaluator.id].sealed:
            submitted.append(evaluator.id)
        else:
            missing.append(evaluator.id)
    return Readiness(submitted, missing, withdrawn)


def active_states(workspace: Workspace, state: ModerationState) -> dict[str, SheetState]:
    """Sheets that count: submitted ones, of evaluators not withdrawn."""
    return {
        eid: s for eid, s in workspace.states().items() if s.sealed and eid not in state.withdrawn
    }


def moderation_items(workspace: Workspace, state: ModerationState) -> dict[Item, ItemScores]:
    """Items to moderate (quality and pass/fail, with their scores), flagged ones first."""
    items = gather(
        workspace.tender,
        active_panel(workspace, state),
        workspace.bids,
        active_states(workspace, state),
    )
    price = {c.id for c in workspace.tender.price_criteria}
    return dict(
        sorted(
            ((k, v) for k, v in items.items() if k[1] not in price),
            key=lambda kv: (not kv[1].flagged, -(kv[1].spread or 0), kv[0]),
        )
    )


def active_panel(workspace: Workspace, state: ModerationState) -> Panel:
    """The panel without withdrawn evaluators."""
    panel = workspace.panel
    if not state.withdrawn:
        return panel
    return panel.model_copy(
        update={"evaluators": [e for e in panel.evaluators if e.id not in state.withdrawn]}
    )


@dataclass(frozen=True)
class Gate:
    """Whether results are final, and if not, why."""

    reasons: list[str]

    @property
    def final(self) -> bool:
        return not self.reasons


def gate(workspace: Workspace, state: ModerationState) -> Gate:
    reasons = []
    ready = readiness(workspace, state)
    if ready.not_submitted:
        reasons.append(f"score sheets not yet submitted: {', '.join(ready.not_submitted)}")
    if state.opened is None:
        reasons.append("moderation has not started")
    else:
        items = moderation_items(workspace, state)
        flagged = [k for k, i in items.items() if i.flagged and k not in state.current]
        unsettled = [k for k, i in items.items() if not i.flagged and k not in state.current]
        if flagged:
            reasons.append(f"{len(flagged)} flagged item(s) not yet moderated")
        if unsettled:
            reasons.append(f"{len(unsettled)} item(s) neither moderated nor accepted")
    return Gate(reasons)


# --------------------------------------------------------------------------- writing


class ModerationSession:
    """The moderator's session: opens (or starts) the record and holds its lock."""

    def __init__(self, workspace: Workspace, moderator_id: str) -> None:
        moderator = workspace.panel.by_id.get(moderator_id)
        if moderator is None or moderator.role is not Role.MODERATOR:
            names = ", ".join(e.id for e in workspace.panel.of_role(Role.MODERATOR)) or "none"
            raise BidPanelError(f"{moderator_id!r} is not a moderator on the panel ({names})")
        self.workspace = workspace
        self.tender = workspace.tender
        self.moderator = moderator
        path = workspace.moderation_path
        if not path.exists():
            MODERATION.create(
                path,
                ModerationHeader(
                    tender_reference=self.tender.reference,
                    tender_sha256=workspace.tender_sha256,
                    moderator=moderator.id,
                    created_at=clock.now(),
                ),
            )
        self._writer: RecordWriter = MODERATION.open_writer(path)
        if self._writer.header.tender_sha256 != workspace.tender_sha256:
            self._writer.close()
            raise RecordError(f"{path}: the tender file changed after moderation began")
        self.state = replay_moderation(self._writer.header, self._writer.events)

    # ------------------------------------------------------------------ queries
    def readiness(self) -> Readiness:
        return readiness(self.workspace, self.state)

    def items(self) -> dict[Item, ItemScores]:
        return moderation_items(self.workspace, self.state)

    def gate(self) -> Gate:
        return gate(self.workspace, self.state)

    def seals(self) -> dict[str, str]:
        return {
            eid: s.seal for eid, s in active_states(self.workspace, self.state).items() if s.seal
        }

    # ------------------------------------------------------------------ actions
    def withdraw(self, evaluator_id: str, reason: str) -> Withdrawal:
        evaluator = self.workspace.panel.by_id.get(evaluator_id)
        if evaluator is None or evaluator.role is Role.MODERATOR:
            raise ModerationRefused(f"{evaluator_id!r} is not an evaluator on the panel")
        if self.state.opened is not None:
            raise ModerationRefused("moderation has started: evaluators can no longer be withdrawn")
        if len(reason.strip()) < self.tender.rules.justification_min_length:
            raise ModerationRefused(
                f"a withdrawal needs a reason of at least "
                f"{self.tender.rules.justification_min_length} characters"
            )
        return self._append({"type": "withdrawal", "evaluator": evaluator_id, "reason": reason})

    def open(self, present: list[str]) -> Opened:
        if self.state.opened is not None:
            raise ModerationRefused("moderation is already open")
        ready = self.readiness()
        if not ready.ready:
            raise ModerationRefused(
                "moderation can start only when every sheet is submitted or its evaluator "
                f"withdrawn with a reason; still out: {', '.join(ready.not_submitted)}"
            )
        return self._append({"type": "opened", "sheet_seals": self.seals(), "present": present})

    def agree(
        self,
        item: Item,
        value: Decimal | str,
        reason: str,
        present: list[str],
        basis: Literal["discussed", "accepted_agreement"] = "discussed",
    ) -> Consensus:
        if self.state.opened is None:
            raise ModerationRefused("open moderation first (every sheet must be submitted)")
        items = self.items()
        scores = items.get(item)
        criterion = self.tender.by_id.get(item[1])
        if scores is None or criterion is None or criterion.kind is CriterionKind.PRICE:
            raise ModerationRefused(f"{item} is not an item to moderate")
        problem = value_problem(self.tender, criterion, value)
        if problem:
            raise ModerationRefused(
                f"{problem}. A consensus is a value of the scale agreed by discussion, "
                "never an average."
            )
        if len(reason.strip()) < self.tender.rules.justification_min_length:
            raise ModerationRefused(
                f"a consensus needs a reason of at least "
                f"{self.tender.rules.justification_min_length} characters"
            )
        if not present:
            raise ModerationRefused("record who was present when the consensus was agreed")
        unknown = [p for p in present if p not in self.workspace.panel.by_id]
        if unknown:
            raise ModerationRefused(f"not on the panel: {', '.join(unknown)}")
        if basis == "accepted_agreement" and not (scores.unanimous and scores.values[0] == value):
            raise ModerationRefused("only an item where all evaluators agree can be accepted as is")
        before = self.state.current.get(item)
        seals = self.seals()
        return self._append(
            {
                "type": "consensus",
                "bidder": item[0],
                "criterion": item[1],
                "value": value,
                "reason": reason.strip(),
                "basis": basis,
                "present": present,
                "individual": {e: s.value for e, s in scores.scores.items()},
                "sheet_seals": {e: seals[e] for e in scores.scores if e in seals},
                "supersedes": before.seq if before else None,
            }
        )

    def accept_agreed(
        self, present: list[str], reason_for: Callable[[Item, ItemScores], str]
    ) -> list[Consensus]:
        """Accept every unmoderated, unflagged item on which all evaluators agree."""
        out = []
        for item, scores in self.items().items():
            if item in self.state.current or scores.flagged or not scores.unanimous:
                continue
            out.append(
                self.agree(
                    item,
                    scores.values[0],
                    reason_for(item, scores),
                    present,
                    basis="accepted_agreement",
                )
            )
        return out

    def sign(self, sign: Callable[[str], str] | None, public_key: str | None) -> Signed:
        head = self._writer.record.head
        return self._append(
            {
                "type": "signed",
                "public_key": public_key,
                "signature": sign(head) if sign else None,
            }
        )

    def _append(self, fields: Mapping[str, object]):
        event = self._writer.append(dict(fields))
        self.state.apply(event)
        return event

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> ModerationSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
