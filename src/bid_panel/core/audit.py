"""What the auditor's view shows, computed from a verified workspace (no Textual here).

* timelines: every event of every record, per person, in file order, with the findings
  that concern it;
* trails: per bid and criterion, each individual score and justification, the moderated
  score and its reason, the weighted contribution and the bid's total;
* calibration: each evaluator's average difference from the moderated score, and the
  spread of the individual scores per criterion.

Works from `verify.LoadedWorkspace`, so a workspace whose files fail verification can still
be inspected: an auditor needs to see *what* was changed, not just that something was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from bid_panel.core.checks import assigned_leaves
from bid_panel.core.consensus import ItemScores
from bid_panel.core.errors import BidPanelError
from bid_panel.core.evaluation import evaluate, inputs
from bid_panel.core.moderation import Consensus, Opened, Signed, Withdrawal
from bid_panel.core.panel import Role
from bid_panel.core.results import Results
from bid_panel.core.scoring import ENGINE_CONTEXT
from bid_panel.core.sheet import Declaration, ScoreSet, Submitted
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.core.verify import LoadedWorkspace, VerifyReport
from bid_panel.core.workspace import MODERATION_FILE

HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- timelines


@dataclass(frozen=True)
class TimelineEvent:
    seq: int
    at: datetime
    kind: str
    bidder: str = ""
    criterion: str = ""
    value: str = ""
    text: str = ""
    findings: tuple[str, ...] = ()
    """Codes of the verification findings about this event."""


@dataclass(frozen=True)
class Timeline:
    person: str
    name: str
    role: str
    file: str
    events: list[TimelineEvent]


def _sheet_event(event: Any) -> TimelineEvent:
    if isinstance(event, Declaration):
        verdict = "CONFLICT (recused)" if event.conflict else "no conflict"
        return TimelineEvent(
            event.seq, event.at, "declaration", event.bidder, "", verdict, event.note
        )
    if isinstance(event, ScoreSet):
        return TimelineEvent(
            event.seq,
            event.at,
            "score",
            event.bidder,
            event.criterion,
            score_text(event.value),
            event.justification,
        )
    assert isinstance(event, Submitted)
    signed = "signed" if event.signature else "not signed"
    return TimelineEvent(
        event.seq,
        event.at,
        "submitted (seal)",
        "",
        "",
        f"{event.items} items, {signed}",
        event.statement,
    )


def _moderation_event(event: Any) -> TimelineEvent:
    if isinstance(event, Withdrawal):
        return TimelineEvent(
            event.seq, event.at, "withdrawal", "", "", event.evaluator, event.reason
        )
    if isinstance(event, Opened):
        bound = ", ".join(f"{e} {s[:8]}…" for e, s in sorted(event.sheet_seals.items()))
        return TimelineEvent(
            event.seq, event.at, "opened", "", "", f"{len(event.sheet_seals)} seals", bound
        )
    if isinstance(event, Consensus):
        individual = ", ".join(f"{e} {score_text(v)}" for e, v in sorted(event.individual.items()))
        change = f" (supersedes event {event.supersedes})" if event.supersedes else ""
        return TimelineEvent(
            event.seq,
            event.at,
            "consensus" if event.basis == "discussed" else "accepted as agreed",
            event.bidder,
            event.criterion,
            score_text(event.value),
            f"{event.reason}\n\nIndividual scores: {individual}{change}",
        )
    assert isinstance(event, Signed)
    return TimelineEvent(
        event.seq,
        event.at,
        "signed",
        "",
        "",
        "signed" if event.signature else "not signed",
        f"signs the record's head hash {event.prev}",
    )


def timelines(report: VerifyReport) -> list[Timeline]:
    """One timeline per record file: each evaluator's sheet, then the moderation record."""
    loaded = report.loaded
    codes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for finding in report.findings:
        if finding.seq is not None:
            codes[(finding.file, finding.seq)].append(finding.code)
    out = []
    for file, record in sorted(loaded.sheet_files.items()):
        person = record.header.evaluator
        evaluator = loaded.panel.by_id.get(person)
        events = [
            _with_findings(_sheet_event(e), codes.get((file, e.seq), [])) for e in record.events
        ]
        out.append(
            Timeline(
                person,
                evaluator.name if evaluator else f"{person} (not on the panel)",
                str(record.header.role),
                file,
                events,
            )
        )
    if loaded.moderation is not None:
        record = loaded.moderation
        person = record.header.moderator
        evaluator = loaded.panel.by_id.get(person)
        events = [
            _with_findings(_moderation_event(e), codes.get((MODERATION_FILE, e.seq), []))
            for e in record.events
        ]
        out.append(
            Timeline(
                person,
                evaluator.name if evaluator else person,
                "moderator",
                MODERATION_FILE,
                events,
            )
        )
    return out


def _with_findings(event: TimelineEvent, codes: list[str]) -> TimelineEvent:
    if not codes:
        return event
    return TimelineEvent(**{**event.__dict__, "findings": tuple(dict.fromkeys(codes))})


# --------------------------------------------------------------------------- trails


@dataclass(frozen=True)
class IndividualScore:
    evaluator: str
    value: str
    justification: str
    seq: int
    revisions: int


@dataclass
class TrailItem:
    bidder: str
    criterion: str
    title: str
    kind: str
    path: str
    """The criterion's place in the tree, e.g. "Quality › Training and development package"."""
    individual: list[IndividualScore] = field(default_factory=list)
    recused: list[str] = field(default_factory=list)
    consensus_value: str = ""
    consensus_reason: str = ""
    consensus_basis: str = ""
    consensus_seq: int | None = None
    superseded: int = 0
    """How many earlier consensus entries this one replaced."""
    outcome: str = "-"
    source: str = "missing"
    points: Decimal | None = None
    contribution: Decimal | None = None
    spread: Decimal | None = None
    flagged: bool = False


@dataclass
class BidTrail:
    bidder: str
    name: str
    organisation_type: str
    items: list[TrailItem]
    rank: int | None = None
    status: str = "-"
    quality_total: Decimal | None = None
    price_total: Decimal | None = None
    overall: Decimal | None = None
    exclusions: list[str] = field(default_factory=list)


@dataclass
class Trails:
    bids: list[BidTrail]
    final: bool
    provisional_reasons: list[str]
    error: str = ""
    """Why results could not be computed (the trail then stops at the moderated scores)."""


def trails(loaded: LoadedWorkspace) -> Trails:
    tender = loaded.tender
    moderation = loaded.moderation_state()
    workspace = loaded.workspace()
    states = workspace.states()  # replayed once, shared with `inputs`
    # The items as moderation saw them: once it is open, only submitted sheets of
    # evaluators not withdrawn count (the same inputs the results are computed from).
    found = inputs(workspace, moderation)
    items = found.items
    results: Results | None = None
    error = ""
    try:
        results = evaluate(workspace, moderation, found)
    except (BidPanelError, ValueError) as exc:
        # ValueError: a value the engine refuses; the trail still shows every score and
        # consensus as recorded, without totals.
        error = str(exc)
    assigned = {
        e.id: {c.id for c in assigned_leaves(tender, e.criteria)} for e in loaded.panel.evaluators
    }
    bids = []
    for bidder, bid in loaded.bids.items():
        result = None
        if results is not None:
            try:
                result = results.by_bidder(bidder)
            except KeyError:  # pragma: no cover - every bid is in the results
                result = None
        trail_items = []
        for leaf in tender.leaves:
            scores: ItemScores = items[(bidder, leaf.id)]
            trail = TrailItem(
                bidder,
                leaf.id,
                leaf.title,
                str(leaf.kind),
                " › ".join(tender.by_id[c].title for c in tender.path(leaf.id)[:-1]),
                spread=scores.spread,
                flagged=scores.flagged,
            )
            trail.recused = [
                eid
                for eid, state in sorted(states.items())
                if bidder in state.recused and leaf.id in assigned.get(eid, set())
            ]
            for eid, entry in sorted(scores.scores.items()):
                trail.individual.append(
                    IndividualScore(
                        eid,
                        score_text(entry.value),
                        entry.justification,
                        entry.seq,
                        entry.revisions,
                    )
                )
            consensus = moderation.current.get((bidder, leaf.id))
            if consensus is not None:
                trail.consensus_value = score_text(consensus.value)
                trail.consensus_reason = consensus.reason
                trail.consensus_basis = consensus.basis
                trail.consensus_seq = consensus.seq
                trail.superseded = len(moderation.history.get((bidder, leaf.id), [])) - 1
            if result is not None and leaf.id in result.items:
                item = result.items[leaf.id]
                trail.outcome = score_text(item.value)
                trail.source = str(item.source)
                trail.points = item.points
                trail.contribution = item.contribution
            trail_items.append(trail)
        bid_trail = BidTrail(
            bidder, bid.bidder.name, str(bid.bidder.organisation_type), trail_items
        )
        if result is not None:
            bid_trail.rank = result.rank
            bid_trail.status = "excluded" if result.excluded else "ranked"
            bid_trail.quality_total = result.quality_total
            bid_trail.price_total = result.price_total
            bid_trail.overall = result.overall
            bid_trail.exclusions = [e.reason for e in result.exclusions]
        bids.append(bid_trail)
    if results is not None:
        order = {b.bidder: i for i, b in enumerate(results.bids)}
        bids.sort(key=lambda b: order.get(b.bidder, len(order)))
    return Trails(
        bids,
        results.final if results is not None else False,
        list(results.provisional_reasons) if results is not None else [],
        error,
    )


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class EvaluatorCalibration:
    """How an evaluator's scores sit against the moderated scores (an auditor's statistic).

    Differences are individual minus moderated, on scored criteria only, expressed as a
    percentage of each criterion's scale range so that 0-5 and 0-10 scales can be averaged.
    """

    evaluator: str
    name: str
    items: int
    mean_difference: Decimal | None
    """Average signed difference, % of the scale range: positive = more generous."""
    mean_absolute: Decimal | None
    """Average size of the difference, % of the scale range."""
    above: int
    below: int
    same: int


@dataclass(frozen=True)
class CriterionSpread:
    criterion: str
    title: str
    scale: str
    bids: int
    """Bids with at least two individual scores."""
    mean_spread: Decimal | None
    """Average (highest - lowest individual score), in scale points."""
    max_spread: Decimal | None
    flagged: int
    """Items at or above the tender's moderation spread threshold."""


@dataclass(frozen=True)
class Calibration:
    evaluators: list[EvaluatorCalibration]
    criteria: list[CriterionSpread]
    moderated_items: int


def quantize(value: Decimal | None, places: int = 2) -> str:
    """Display only: half up, as people expect on paper."""
    if value is None:
        return "-"
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def calibration(loaded: LoadedWorkspace) -> Calibration:
    tender = loaded.tender
    moderation = loaded.moderation_state()
    items = inputs(loaded.workspace(), moderation).items  # as moderation saw them
    diffs: dict[str, list[Decimal]] = defaultdict(list)
    spreads: dict[str, list[Decimal]] = defaultdict(list)
    flagged: dict[str, int] = defaultdict(int)
    with localcontext(ENGINE_CONTEXT):
        for (bidder, cid), scores in items.items():
            criterion = tender.by_id[cid]
            if criterion.kind is not CriterionKind.SCORED:
                continue
            scale = tender.scale_of(criterion)
            span = scale.maximum - scale.allowed[0]
            if scores.spread is not None:
                spreads[cid].append(scores.spread)
            if scores.flagged:
                flagged[cid] += 1
            consensus = moderation.current.get((bidder, cid))
            if consensus is None or not isinstance(consensus.value, Decimal) or not span:
                continue
            for eid, entry in scores.scores.items():
                if isinstance(entry.value, Decimal):
                    diffs[eid].append((entry.value - consensus.value) * HUNDRED / span)
        evaluators = []
        for evaluator in loaded.panel.evaluators:
            if evaluator.role is not Role.QUALITY:
                continue
            values = diffs.get(evaluator.id, [])
            n = len(values)
            evaluators.append(
                EvaluatorCalibration(
                    evaluator.id,
                    evaluator.name,
                    n,
                    sum(values, Decimal(0)) / n if n else None,
                    sum((abs(v) for v in values), Decimal(0)) / n if n else None,
                    sum(1 for v in values if v > 0),
                    sum(1 for v in values if v < 0),
                    sum(1 for v in values if v == 0),
                )
            )
        criteria = []
        for leaf in tender.leaves:
            if leaf.kind is not CriterionKind.SCORED:
                continue
            values = spreads.get(leaf.id, [])
            criteria.append(
                CriterionSpread(
                    leaf.id,
                    leaf.title,
                    tender.scale_of(leaf).name,
                    len(values),
                    sum(values, Decimal(0)) / len(values) if values else None,
                    max(values) if values else None,
                    flagged.get(leaf.id, 0),
                )
            )
    scored = {c.id for c in tender.leaves if c.kind is CriterionKind.SCORED}
    return Calibration(evaluators, criteria, sum(1 for k in moderation.current if k[1] in scored))
