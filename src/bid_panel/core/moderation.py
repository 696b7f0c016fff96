"""The moderation record: consensus per bid and criterion, with reasons, append-only.

Rules (Lancashire Care 2018, Bromcom 2022): a consensus score is a value of the scale chosen
by discussion, never an average; every consensus has a reason; the individual scores stay
unchanged in the sheets; each entry is bound to the seals of the sheets it moderated, so a
sheet changed afterwards is detectable; a later change is a new entry with its own reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from bid_panel.core import clock
from bid_panel.core.base import ChainedEvent, Sha256, Slug, Strict
from bid_panel.core.checks import assigned_leaves, value_problem
from bid_panel.core.consensus import ItemScores, Moderated, allowed_values, gather, is_allowed
from bid_panel.core.errors import BidPanelError, Findings, InvalidFiles, RecordError
from bid_panel.core.justification import RestatementCheck, check_restatement, criterion_text
from bid_panel.core.ledger import RecordFile, RecordFormat, RecordWriter, check_chain
from bid_panel.core.panel import Panel, Role
from bid_panel.core.sheet import VERDICT_LABELS, Item, SheetState
from bid_panel.core.signing import verify_signature
from bid_panel.core.tender import Criterion, CriterionKind, Tender, number_text
from bid_panel.core.workspace import Workspace

MODERATION_FORMAT = "bid-panel/moderation@1"


class ModerationHeader(Strict):
    format: Literal["bid-panel/moderation@1"] = MODERATION_FORMAT
    tender_reference: str
    tender_sha256: Sha256
    moderator: Slug
    created_at: AwareDatetime


class Withdrawal(ChainedEvent):
    """An evaluator withdrawn from the panel (illness, late conflict...), with the reason."""

    type: Literal["withdrawal"]
    evaluator: Slug
    reason: str = Field(min_length=1, max_length=10_000)


class Opened(ChainedEvent):
    """Moderation opened: binds the record to the seal of every submitted sheet."""

    type: Literal["opened"]
    sheet_seals: dict[Slug, Sha256]
    present: list[Slug] = Field(default_factory=list)


class Consensus(ChainedEvent):
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


class Signed(ChainedEvent):
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
    events_since_signed: int = 0
    """Entries appended after the last signature (a re-moderation after signing)."""
    problems: list[str] = field(default_factory=list)
    """Why the record cannot be trusted as read (a broken hash chain); empty when sound."""

    def apply(self, event: Withdrawal | Opened | Consensus | Signed) -> None:
        if not isinstance(event, Signed) and self.signed is not None:
            self.events_since_signed += 1
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
            self.events_since_signed = 0

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
    state = replay_moderation(record.header, record.events)
    state.problems = [
        f"the moderation record's hash chain is broken ({p.message}: {p.meaning})"
        for p in check_chain(record.header, record.events)
    ]
    if record.header.tender_sha256 != workspace.tender_sha256:
        state.problems.append("the tender file changed after moderation began")
    return state


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


def moderation_items(
    workspace: Workspace,
    state: ModerationState,
    gathered: Mapping[Item, ItemScores] | None = None,
) -> dict[Item, ItemScores]:
    """Items to moderate (with their scores), flagged ones first: every quality and
    pass/fail item, and a price check only when the price evaluators disagree on whether
    the price is compliant (or it was moderated already). A price the price evaluators
    agree on is settled by them and scored by the formula. `gathered`: the items as
    `gather` gives them for the active panel and sheets, when the caller has them already
    (`evaluation.inputs`), so that they are not gathered twice."""
    items = (
        gathered
        if gathered is not None
        else gather(
            workspace.tender,
            active_panel(workspace, state),
            workspace.bids,
            active_states(workspace, state),
        )
    )
    return dict(
        sorted(
            (
                (k, v)
                for k, v in items.items()
                if not v.price_check or v.flagged or k in state.current
            ),
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
    """Whether results are final, and if not, why.

    `reasons` holds every reason, the signature's included (results name them all). When
    the panel lists a public key for the moderator, results are final only once the
    moderator has signed the record as it stands: `signature_reason` is then the reason
    still open on that account, and `ready_to_sign` says every other reason is cleared
    (what the moderator's screens ask before offering to sign)."""

    reasons: list[str]
    signature_reason: str = ""
    """Why the moderator's signature is still needed ("" when it is not)."""

    @property
    def awaiting_signature(self) -> bool:
        return bool(self.signature_reason)

    @property
    def final(self) -> bool:
        return not self.reasons and not self.awaiting_signature

    @property
    def ready_to_sign(self) -> bool:
        """Every reason but the moderator's signature is cleared."""
        return all(r == self.signature_reason for r in self.reasons)


def signature_problem(workspace: Workspace, state: ModerationState) -> str:
    """Why the record still needs the moderator's signature, or "" when it does not (the
    panel lists no key for the moderator, or the signature covers the record as it is)."""
    if state.header is None or state.opened is None:
        return ""
    moderator = workspace.panel.by_id.get(state.header.moderator)
    key = moderator.public_key if moderator is not None else None
    if key is None:
        return ""
    signed = state.signed
    if signed is None or not signed.signature:
        return "moderation record not signed"
    if state.events_since_signed:
        count = state.events_since_signed
        return (
            "record changed since the moderator signed it: "
            f"{count} entr{'y' if count == 1 else 'ies'} after the signature"
        )
    if signed.public_key not in (None, key) or not verify_signature(
        key, signed.prev, signed.signature
    ):
        return "the moderator's signature does not verify against the key on the panel"
    return ""


def gate(
    workspace: Workspace,
    state: ModerationState,
    gathered: Mapping[Item, ItemScores] | None = None,
) -> Gate:
    """Whether results are final, and why not (`gathered`: see `moderation_items`)."""
    reasons = list(state.problems)
    ready = readiness(workspace, state)
    if ready.not_submitted:
        reasons.append(f"score sheets not yet submitted: {', '.join(ready.not_submitted)}")
    if state.opened is None:
        reasons.append("moderation has not started")
    else:
        items = moderation_items(workspace, state, gathered)
        open_items = {k: i for k, i in items.items() if k not in state.current}
        flagged = [k for k, i in open_items.items() if i.flagged and not i.price_check]
        prices = [k for k, i in open_items.items() if i.flagged and i.price_check]
        unsettled = [k for k, i in open_items.items() if not i.flagged]
        if flagged:
            reasons.append(f"{len(flagged)} flagged item(s) not yet moderated")
        if prices:
            reasons.append(
                "the price evaluators disagree on whether the price is compliant, not yet "
                "moderated: " + ", ".join(_item_names(workspace, prices))
            )
        if unsettled:
            reasons.append(f"{len(unsettled)} item(s) neither moderated nor accepted")
        invalid = [
            k
            for k, c in state.current.items()
            if k in items and not is_allowed(c.value, items[k].allowed)
        ]
        if invalid:
            reasons.append(
                "consensus not an allowed value (the record was edited): "
                + ", ".join(_item_names(workspace, invalid))
            )
        reasons.extend(seal_changes(workspace, state))
    signature = signature_problem(workspace, state)
    if signature:
        reasons.append(signature)
    return Gate(reasons, signature)


def _item_names(workspace: Workspace, items: list[Item], limit: int = 6) -> list[str]:
    names = []
    for bidder, cid in items[:limit]:
        bid = workspace.bids.get(bidder)
        criterion = workspace.tender.by_id.get(cid)
        title = criterion.title if criterion else cid
        names.append(f"{bid.bidder.name if bid else bidder} ({title})")
    if len(items) > limit:
        names.append(f"and {len(items) - limit} more")
    return names


def seal_changes(workspace: Workspace, state: ModerationState) -> list[str]:
    """Sheets whose seal no longer matches the one moderation was opened on (a sheet
    replaced or rewritten after moderation began): the consensus no longer binds to it."""
    if state.opened is None:
        return []
    sheets = workspace.states()
    out = []
    for evaluator, seal in sorted(state.opened.sheet_seals.items()):
        sheet = sheets.get(evaluator)
        if sheet is None or sheet.seal != seal:
            out.append(
                f"the score sheet of {evaluator} changed after moderation opened "
                "(its seal no longer matches the moderation record)"
            )
    return out


def open_refusal(workspace: Workspace, state: ModerationState) -> str | None:
    """Why moderation may not start now, or None when it may."""
    if state.opened is not None:
        return "moderation is already open"
    ready = readiness(workspace, state)
    if not ready.ready:
        return (
            "moderation can start only when every sheet is submitted or its evaluator "
            f"withdrawn with a reason; still out: {', '.join(ready.not_submitted)}"
        )
    return None


def withdrawal_problems(
    workspace: Workspace, state: ModerationState, evaluator_id: str, reason: str
) -> list[str]:
    """Why this withdrawal cannot be recorded (empty when it can)."""
    evaluator = workspace.panel.by_id.get(evaluator_id)
    if evaluator is None or evaluator.role is Role.MODERATOR:
        return [f"{evaluator_id!r} is not an evaluator on the panel"]
    if state.opened is not None:
        return ["moderation has started: evaluators can no longer be withdrawn"]
    if evaluator_id in state.withdrawn:
        return [f"{evaluator.name} is already withdrawn"]
    minimum = workspace.tender.rules.justification_min_length
    if len(reason.strip()) < minimum:
        return [f"a withdrawal needs a reason of at least {minimum} characters"]
    return []


# --------------------------------------------------------------------------- items


class ItemState(StrEnum):
    """Where one item stands in moderation."""

    TO_DISCUSS = "to discuss"
    """Flagged (spread at or above the threshold, or split pass/fail) and not yet moderated."""
    TO_MODERATE = "to moderate"
    """Evaluators differ below the flag, or scores are missing: needs a consensus."""
    TO_ACCEPT = "to accept"
    """Every evaluator gave the same score: may be accepted as agreed."""
    MODERATED = "moderated"
    ACCEPTED = "accepted"

    @property
    def settled(self) -> bool:
        return self in (ItemState.MODERATED, ItemState.ACCEPTED)


def item_state(scores: ItemScores, consensus: Consensus | None) -> ItemState:
    if consensus is not None:
        if consensus.basis == "accepted_agreement":
            return ItemState.ACCEPTED
        return ItemState.MODERATED
    if scores.flagged:
        return ItemState.TO_DISCUSS
    if scores.unanimous:
        return ItemState.TO_ACCEPT
    return ItemState.TO_MODERATE


def value_label(tender: Tender, criterion: Criterion, value: Decimal | str) -> str:
    """The scale's label of a value ("Good"), or the verdict in words."""
    if isinstance(value, Decimal) and criterion.kind is CriterionKind.SCORED:
        entry = tender.scale_of(criterion).entry(value)
        return entry.label if entry else ""
    return VERDICT_LABELS.get(str(value), str(value))


def value_text(tender: Tender, criterion: Criterion, value: Decimal | str) -> str:
    """A value as the panel reads it: "4 Good" on a scale, "Pass" or "Fail" on a gate."""
    label = value_label(tender, criterion, value)
    if isinstance(value, Decimal):
        return f"{number_text(value)} {label}".strip()
    return label


def conflicted(workspace: Workspace, bidder: str) -> set[str]:
    """Panel members who declared a conflict of interest with this bidder."""
    return {eid for eid, s in workspace.states().items() if bidder in s.recused}


def default_present(workspace: Workspace, state: ModerationState, item: Item) -> list[str]:
    """Who is recorded as present for an item unless the moderator says otherwise: the
    current consensus's attendance when re-moderating, else the meeting's attendance at
    opening, less anyone who declared a conflict with the bidder (recused members take no
    part in the discussion of that bid)."""
    current = state.current.get(item)
    if current is not None:
        return list(current.present)
    base = list(state.opened.present) if state.opened else []
    # Nobody left (everyone present declared a conflict) means nobody may agree it: the
    # moderator must record who else took part, never the conflicted members by default.
    return [p for p in base if p not in conflicted(workspace, item[0])]


_COUNT_WORDS = {2: "Both evaluators", 3: "All three evaluators", 4: "All four evaluators"}

_VERDICT_FOUND = {
    "pass": "found the bid passes the gate",
    "fail": "found the bid fails the gate",
    "compliant": "found the price compliant",
    "non_compliant": "found the price non-compliant",
}


def agreed_reason(workspace: Workspace, item: Item, scores: ItemScores) -> str:
    """The recorded reason for accepting an item on which every evaluator agrees: the
    agreed value, then the evidence from the tender the evaluators cited (their
    justifications, each once, whitespace trimmed), so that the reason explains the score
    by reference to the bidder's tender, as an assessment summary must."""
    criterion = workspace.tender.by_id[item[1]]
    count = len(scores.values)
    who = (
        "The one evaluator assigned"
        if count == 1
        else _COUNT_WORDS.get(count, f"All {count} evaluators")
    )
    value = scores.values[0]
    if isinstance(value, Decimal):
        label = value_label(workspace.tender, criterion, value)
        shown = number_text(value)
        # "reached", not "scored": the summaries refuse wording that reports individual
        # scores, and the record says what the panel accepted.
        what = f"reached {shown}" + (f" ({label})" if label else "")
    else:
        what = _VERDICT_FOUND.get(str(value), f"found {value}")
    evidence: list[str] = []
    for evaluator, entry in scores.scores.items():
        if evaluator in scores.invalid:
            continue
        text = " ".join(entry.justification.split())
        if text:
            text = text if text.endswith((".", "!", "?")) else text + "."
            if text not in evidence:
                evidence.append(text)
    cited = " ".join(evidence) if evidence else "(none recorded)"
    return f"{who} independently {what}. {'Their reasons' if count > 1 else 'The reason'}: {cited}"


def consensus_problems(
    workspace: Workspace,
    state: ModerationState,
    item: Item,
    value: Decimal | str | None,
    reason: str,
    present: list[str],
    basis: Literal["discussed", "accepted_agreement"] = "discussed",
    items: Mapping[Item, ItemScores] | None = None,
) -> list[str]:
    """Why this consensus cannot be recorded (empty when it can). The screens ask this as
    the moderator types; `ModerationSession.agree` refuses on the same answer. `items`:
    `moderation_items` as they stand, when the caller has them (else gathered here)."""
    if state.opened is None:
        return ["open moderation first (every sheet must be submitted)"]
    tender = workspace.tender
    criterion = tender.by_id.get(item[1])
    if items is None:
        items = moderation_items(workspace, state)
    scores = items.get(item)
    if scores is None or criterion is None or criterion.kind is CriterionKind.GROUP:
        if criterion is not None and criterion.kind is CriterionKind.PRICE:
            return [
                f"{item} is not an item to moderate: the price evaluators agree on the price "
                "check, and the price is scored by the published formula"
            ]
        return [f"{item} is not an item to moderate"]
    problems = []
    if value is None:
        problems.append("choose the consensus score from the scale")
    else:
        problem = value_problem(tender, criterion, value)
        if problem:
            problems.append(
                f"{problem}. A consensus is a value of the scale agreed by discussion, "
                "never an average."
            )
    minimum = tender.rules.justification_min_length
    if len(reason.strip()) < minimum:
        problems.append(
            f"a consensus needs a reason of at least {minimum} characters "
            f"({len(reason.strip())} so far)"
        )
    else:
        check = restatement(workspace, item, reason)
        if check.flagged:
            problems.append(
                "the reason merely restates the criterion: "
                f"{check.criterion_share:.0%} of it is criterion or scale text and only "
                f"{check.bid_share:.0%} refers to the tender. Say what in this bidder's "
                "tender earned the score (Woods v Milton Keynes); the assessment summary "
                "gives the bidder this reason"
            )
    current = state.current.get(item)
    if current is not None and reason.strip() == current.reason.strip():
        problems.append("a change needs its own reason: this is the reason already recorded")
    if not present:
        problems.append("record who was present when the consensus was agreed")
    unknown = [p for p in present if p not in workspace.panel.by_id]
    if unknown:
        problems.append(f"not on the panel: {', '.join(unknown)}")
    recused = sorted(set(present) & conflicted(workspace, item[0]))
    if recused:
        problems.append(
            f"{', '.join(recused)} declared a conflict of interest with this bidder and "
            "takes no part in moderating its bid: leave them out of who was present"
        )
    if basis == "accepted_agreement" and not (
        scores.unanimous and value is not None and scores.values[0] == value
    ):
        problems.append("only an item where all evaluators agree can be accepted as is")
    return problems


def restatement(workspace: Workspace, item: Item, reason: str) -> RestatementCheck:
    """The summaries' own check of a moderation reason: does it merely restate the
    criterion and its scale instead of referring to the bidder's tender?"""
    tender = workspace.tender
    criterion = tender.by_id[item[1]]
    bid = workspace.bids.get(item[0])
    bid_text = bid.responses.get(item[1], "") if bid is not None else ""
    if bid is not None and criterion.kind is CriterionKind.PRICE and bid.price is not None:
        bid_text += "\n".join(["", *(line.description for line in bid.price.lines)])
        bid_text += "\n" + bid.price.notes
    return check_restatement(reason, criterion_text(tender, criterion), bid_text)


def signature_status(state: ModerationState) -> str:
    """The record's signature in words: not signed, signed, or changed since signing."""
    if state.signed is None:
        return "not signed"
    at = f"{state.signed.at.astimezone(UTC):%d %b %Y %H:%M} UTC"
    if state.events_since_signed:
        return (
            f"signed {at}, then changed ({state.events_since_signed} later entr"
            f"{'y' if state.events_since_signed == 1 else 'ies'}): sign again"
        )
    return f"signed {at}"


@dataclass(frozen=True)
class MemberStatus:
    """One panel member as the readiness view shows them."""

    id: str
    name: str
    role: Role
    status: Literal["submitted", "in progress", "not started", "withdrawn"]
    detail: str


def panel_status(workspace: Workspace, state: ModerationState) -> list[MemberStatus]:
    """Every evaluator (not the moderator): submitted, in progress, not started or withdrawn,
    with the detail a moderator waiting to start needs (when, how far, why)."""
    sheets = workspace.states()
    out = []
    for evaluator in workspace.panel.evaluators:
        if evaluator.role is Role.MODERATOR:
            continue
        sheet = sheets.get(evaluator.id)
        if evaluator.id in state.withdrawn:
            status, detail = "withdrawn", state.withdrawn[evaluator.id].reason
        elif sheet is not None and sheet.submitted is not None:
            at = sheet.submitted.at.astimezone(UTC)
            status, detail = "submitted", f"sealed {at:%d %b %Y %H:%M} UTC"
        elif sheet is None:
            status, detail = "not started", "no score sheet yet"
        else:
            leaves = {c.id for c in assigned_leaves(workspace.tender, evaluator.criteria)}
            bids = set(workspace.bids) - sheet.recused
            total = len(leaves) * len(bids)
            done = sum(
                1
                for (bidder, cid), entry in sheet.scores.items()
                if entry.value is not None and cid in leaves and bidder in bids
            )
            undeclared = len(workspace.bids) - len(sheet.declarations)
            status = "in progress"
            detail = (
                f"{undeclared} declaration(s) of interest still to make"
                if undeclared
                else f"{done} of {total} items scored, not submitted"
            )
        out.append(MemberStatus(evaluator.id, evaluator.name, evaluator.role, status, detail))
    return out


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

    def allowed_values(self, item: Item) -> list[Decimal | str]:
        """The values a consensus may take: the scale's allowed values, pass / fail, or (a
        disputed price check) compliant / non_compliant."""
        return list(allowed_values(self.tender, self.tender.by_id[item[1]]))

    def history(self, item: Item) -> list[Consensus]:
        """Every consensus recorded for the item, oldest first (a change supersedes)."""
        return list(self.state.history.get(item, []))

    def present_for(self, item: Item) -> list[str]:
        return default_present(self.workspace, self.state, item)

    def problems(
        self,
        item: Item,
        value: Decimal | str | None,
        reason: str,
        present: list[str],
        basis: Literal["discussed", "accepted_agreement"] = "discussed",
    ) -> list[str]:
        return consensus_problems(
            self.workspace, self.state, item, value, reason, present, basis, self.items()
        )

    def to_accept(self) -> dict[Item, ItemScores]:
        """Unsettled items on which every evaluator agrees (what `accept_agreed` accepts)."""
        return {
            item: scores
            for item, scores in self.items().items()
            if item_state(scores, self.state.current.get(item)) is ItemState.TO_ACCEPT
        }

    def refresh_sheets(self) -> None:
        """Re-read every evaluator's sheet from disk (others submit while the moderator
        waits; a sheet changed after opening shows in the gate)."""
        for evaluator in self.workspace.panel.evaluators:
            if evaluator.role is not Role.MODERATOR:
                self.workspace.reload_sheet(evaluator.id)

    # ------------------------------------------------------------------ actions
    def withdraw(self, evaluator_id: str, reason: str) -> Withdrawal:
        problems = withdrawal_problems(self.workspace, self.state, evaluator_id, reason)
        if problems:
            raise ModerationRefused("; ".join(problems))
        return self._append(
            {"type": "withdrawal", "evaluator": evaluator_id, "reason": reason.strip()}
        )

    def open(self, present: list[str]) -> Opened:
        refusal = open_refusal(self.workspace, self.state)
        if refusal:
            raise ModerationRefused(refusal)
        unknown = [p for p in present if p not in self.workspace.panel.by_id]
        if unknown:
            raise ModerationRefused(f"not on the panel: {', '.join(unknown)}")
        if not present:
            raise ModerationRefused("record who is present at the moderation meeting")
        return self._append({"type": "opened", "sheet_seals": self.seals(), "present": present})

    def agree(
        self,
        item: Item,
        value: Decimal | str,
        reason: str,
        present: list[str],
        basis: Literal["discussed", "accepted_agreement"] = "discussed",
    ) -> Consensus:
        """Record the consensus of one item (a later call for the same item supersedes)."""
        return self._agree(item, value, reason, present, basis, self.items())

    def _agree(
        self,
        item: Item,
        value: Decimal | str,
        reason: str,
        present: list[str],
        basis: Literal["discussed", "accepted_agreement"],
        items: Mapping[Item, ItemScores],
    ) -> Consensus:
        """`agree`, with the items to moderate as they stand (`self.items()`)."""
        problems = consensus_problems(
            self.workspace, self.state, item, value, reason, present, basis, items
        )
        if problems:
            raise ModerationRefused("; ".join(problems))
        scores = items[item]
        if isinstance(value, Decimal):
            # The scale's own spelling of the value: 4.0 is recorded as 4.
            value = next(v for v in self.allowed_values(item) if v == value)
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
        self,
        present: list[str] | None = None,
        reason_for: Callable[[Item, ItemScores], str] | None = None,
    ) -> list[Consensus]:
        """Accept every unmoderated, unflagged item on which all evaluators agree, each with
        its own recorded reason (by default `agreed_reason`, which states the scores) and
        attendance (by default `default_present`)."""
        # The items are gathered once for the whole agenda, not once per item: accepting
        # a consensus changes no item's scores (nor which items there are to moderate).
        items = self.items()
        planned = []
        refused = []
        for item, scores in self.to_accept().items():
            reason = (
                reason_for(item, scores)
                if reason_for
                else agreed_reason(self.workspace, item, scores)
            )
            who = present if present is not None else self.present_for(item)
            problems = consensus_problems(
                self.workspace,
                self.state,
                item,
                scores.values[0],
                reason,
                who,
                "accepted_agreement",
                items,
            )
            if problems:
                refused.append(f"{item[0]} / {item[1]}: {'; '.join(problems)}")
            planned.append((item, scores.values[0], reason, who))
        if refused:
            # Nothing is written unless every item can be: no half-accepted agenda.
            raise ModerationRefused(
                f"nothing accepted: {len(refused)} item(s) cannot be accepted as agreed: "
                + " | ".join(refused)
            )
        return [
            self._agree(item, value, reason, who, "accepted_agreement", items)
            for item, value, reason, who in planned
        ]

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
