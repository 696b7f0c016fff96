"""A panel member's scoring session: every rule of independent scoring, in one place.

The scoring screen, the sample generator and the tests all go through `ScoringSession`, so
the rules hold whatever the front end: declare before scoring, never score a recused bid or
an unassigned criterion, only allowed values, every change saved at once, submission only
when complete, nothing after the seal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bid_panel.core import clock
from bid_panel.core.bid import Bid, PriceEnvelope
from bid_panel.core.checks import assigned_leaves, value_problem
from bid_panel.core.consensus import allowed_values
from bid_panel.core.errors import BidPanelError, RecordError
from bid_panel.core.justification import RestatementCheck, check_restatement, criterion_text
from bid_panel.core.ledger import RecordWriter
from bid_panel.core.panel import Evaluator, Role
from bid_panel.core.scoring import PriceError, effective_weights, price_points
from bid_panel.core.sheet import (
    SHEET,
    Declaration,
    Item,
    ScoreEntry,
    ScoreSet,
    SheetHeader,
    SheetState,
    Submitted,
    replay,
)
from bid_panel.core.tender import Criterion, CriterionKind
from bid_panel.core.workspace import Workspace


class ItemStatus(StrEnum):
    NOT_STARTED = "not started"
    NEEDS_SCORE = "needs score"
    NEEDS_JUSTIFICATION = "needs justification"
    FLAGGED = "flagged"
    DONE = "done"


STATUS_MARKS = {
    ItemStatus.NOT_STARTED: "·",
    ItemStatus.NEEDS_SCORE: "○",
    ItemStatus.NEEDS_JUSTIFICATION: "✎",
    ItemStatus.FLAGGED: "⚑",
    ItemStatus.DONE: "✓",
}


class ScoringRefused(BidPanelError):
    """An action the rules of independent scoring do not allow."""


@dataclass(frozen=True)
class PricePreview:
    formula: str
    formula_text: str
    points: dict[str, Decimal]
    error: str = ""


class ScoringSession:
    """Opens (or starts) one evaluator's sheet and holds its lock until `close()`."""

    def __init__(self, workspace: Workspace, evaluator_id: str) -> None:
        evaluator = workspace.panel.by_id.get(evaluator_id)
        if evaluator is None:
            known = ", ".join(
                e.id for e in workspace.panel.evaluators if e.role is not Role.MODERATOR
            )
            raise BidPanelError(f"{evaluator_id!r} is not on the panel (panel: {known})")
        if evaluator.role is Role.MODERATOR:
            raise BidPanelError(
                f"{evaluator.name} is the moderator and scores nothing; use `bid-panel moderate`"
            )
        self.workspace = workspace
        self.tender = workspace.tender
        self.evaluator: Evaluator = evaluator
        path = workspace.sheet_path(evaluator_id)
        if not path.exists():
            SHEET.create(
                path,
                SheetHeader(
                    tender_reference=self.tender.reference,
                    tender_sha256=workspace.tender_sha256,
                    evaluator=evaluator.id,
                    role=evaluator.role,
                    created_at=clock.now(),
                ),
            )
        self._writer: RecordWriter[SheetHeader, Declaration | ScoreSet | Submitted] = (
            SHEET.open_writer(path)
        )
        try:
            header = self._writer.header
            if header.tender_sha256 != workspace.tender_sha256:
                raise RecordError(
                    f"{path}: the tender file changed after this sheet began scoring; "
                    "criteria are frozen once scoring begins. Restore the published tender."
                )
            if header.evaluator != evaluator.id:
                raise RecordError(f"{path} belongs to {header.evaluator}, not {evaluator.id}")
        except BaseException:
            self._writer.close()
            raise
        self.state: SheetState = replay(header, self._writer.events)
        self.leaves: list[Criterion] = assigned_leaves(self.tender, evaluator.criteria)
        self._items: tuple[frozenset[str], list[Item], dict[Item, int]] | None = None
        self._progress: tuple[int, tuple[int, int]] | None = None
        self._checks: dict[Item, tuple[ScoreEntry, RestatementCheck, ItemStatus]] = {}
        """Each item's restatement check and status, for the entry they were computed from
        (a new score event is a new entry, so nothing stale is ever returned)."""

    # ------------------------------------------------------------------ queries
    @property
    def path(self):
        return self._writer.path

    @property
    def events(self) -> list[Declaration | ScoreSet | Submitted]:
        """The sheet's events so far (read-only use)."""
        return self._writer.events

    @property
    def bidders(self) -> list[str]:
        return list(self.workspace.bids)

    def bid(self, bidder: str) -> Bid:
        return self.workspace.bids[bidder]

    @property
    def undeclared(self) -> list[str]:
        return [b for b in self.bidders if b not in self.state.declarations]

    @property
    def declared(self) -> bool:
        return not self.undeclared

    @property
    def sealed(self) -> bool:
        return self.state.sealed

    def items(self) -> list[Item]:
        """The work list: every non-recused bid x assigned criterion, bid by bid.

        Built once per set of recusals (a declaration can change it), not on every call:
        the scoring screen asks on every move, and a 300-bid tender has 12,000 items
        (benchmarks/run.py). Shared: callers must not change the list."""
        recused = frozenset(self.state.recused)
        if self._items is None or self._items[0] != recused:
            items = [
                (bidder, leaf.id)
                for bidder in self.bidders
                if bidder not in recused
                for leaf in self.leaves
            ]
            self._items = (recused, items, {item: i for i, item in enumerate(items)})
        return self._items[1]

    def item_index(self, item: Item | None) -> int | None:
        """The item's place in `items()` (0-based), or None when it is not there."""
        self.items()
        assert self._items is not None
        return self._items[2].get(item) if item is not None else None

    def criterion(self, item: Item) -> Criterion:
        return self.tender.by_id[item[1]]

    def allowed_values(self, item: Item) -> list[Decimal | str]:
        return list(allowed_values(self.tender, self.criterion(item)))

    def response(self, item: Item) -> str:
        """The bid's response for the item's criterion (never the price for quality roles)."""
        bidder, cid = item
        criterion = self.tender.by_id[cid]
        if criterion.kind is CriterionKind.PRICE:
            return ""
        return self.bid(bidder).responses.get(cid, "")

    def _require_prices(self) -> None:
        if not self.evaluator.sees_prices:
            raise ScoringRefused("quality evaluators do not see prices (two-envelope rule)")

    def price_envelope(self, bidder: str) -> PriceEnvelope | None:
        self._require_prices()
        return self.bid(bidder).price

    def price_preview(self) -> list[PricePreview]:
        """Price points of every bid by each price criterion's formula (price roles only)."""
        self._require_prices()
        weights = effective_weights(self.tender)
        prices = {b: bid.price.total for b, bid in self.workspace.bids.items() if bid.price}
        previews = []
        for criterion in self.tender.price_criteria:
            assert criterion.formula is not None
            weight = weights[criterion.id]
            try:
                points = price_points(criterion.formula, prices, weight, criterion.ceiling_price)
                error = ""
            except PriceError as exc:
                points, error = {}, str(exc)
            previews.append(
                PricePreview(criterion.formula.value, criterion.formula.text, points, error)
            )
        return previews

    def entry(self, item: Item):
        return self.state.scores.get(item)

    def criterion_text(self, criterion: Criterion) -> str:
        """The text a justification must not merely restate: title, guidance, descriptors."""
        return criterion_text(self.tender, criterion)

    def restatement(self, item: Item, justification: str | None = None) -> RestatementCheck:
        entry = self.entry(item)
        if justification is None and entry is not None:
            return self._checked(item, entry)[0]
        return self._restatement(item, justification or "")

    def _restatement(self, item: Item, text: str) -> RestatementCheck:
        criterion = self.criterion(item)
        bid_text = self.response(item)
        if criterion.kind is CriterionKind.PRICE and self.evaluator.sees_prices:
            price = self.bid(item[0]).price
            bid_text = price.model_dump_json() if price else ""
        return check_restatement(text, self.criterion_text(criterion), bid_text)

    def status(self, item: Item) -> ItemStatus:
        entry = self.entry(item)
        if entry is None:
            return ItemStatus.NOT_STARTED
        return self._checked(item, entry)[1]

    def _checked(self, item: Item, entry: ScoreEntry) -> tuple[RestatementCheck, ItemStatus]:
        """The item's restatement check and status, computed once per entry: the screens
        ask on every keystroke, and the check reads the whole bid response."""
        cached = self._checks.get(item)
        if cached is not None and cached[0] is entry:
            return cached[1], cached[2]
        check = self._restatement(item, entry.justification)
        if entry.value is None:
            status = ItemStatus.NEEDS_SCORE
        elif len(entry.justification.strip()) < self.tender.rules.justification_min_length:
            status = ItemStatus.NEEDS_JUSTIFICATION
        elif check.flagged:
            status = ItemStatus.FLAGGED
        else:
            status = ItemStatus.DONE
        self._checks[item] = (entry, check, status)
        return check, status

    def progress(self) -> tuple[int, int]:
        # Counted again only after a save (every save is an event), not on every move.
        # Done or flagged both count: whether a justification restates the criterion does
        # not matter here, so the check (slow: it reads the bid) is not made for this.
        if self._progress is None or self._progress[0] != len(self.events):
            items = self.items()
            minimum = self.tender.rules.justification_min_length
            scores = self.state.scores
            done = 0
            for item in items:
                entry = scores.get(item)
                if entry is not None and entry.value is not None:
                    done += len(entry.justification.strip()) >= minimum
            self._progress = (len(self.events), (done, len(items)))
        return self._progress[1]

    def resume_item(self) -> Item | None:
        """Where to reopen: the item last worked on, else the first one not done."""
        items = self.items()
        if not items:
            return None
        if self.state.last_item in items:
            return self.state.last_item
        for item in items:
            if self.status(item) is not ItemStatus.DONE:
                return item
        return items[0]

    def submission_problems(self) -> list[str]:
        """Why the sheet cannot be submitted yet (empty when it can)."""
        problems = []
        if self.sealed:
            return ["the sheet is already submitted"]
        if self.undeclared:
            problems.append(f"conflict declaration missing for {', '.join(self.undeclared)}")
        minimum = self.tender.rules.justification_min_length
        for item in self.items():
            status = self.status(item)
            label = f"{self.bid(item[0]).bidder.name} / {self.criterion(item).title}"
            if status in (ItemStatus.NOT_STARTED, ItemStatus.NEEDS_SCORE):
                problems.append(f"{label}: no score")
            elif status is ItemStatus.NEEDS_JUSTIFICATION:
                problems.append(f"{label}: justification shorter than {minimum} characters")
        return problems

    def flagged_items(self) -> list[Item]:
        return [i for i in self.items() if self.status(i) is ItemStatus.FLAGGED]

    # ------------------------------------------------------------------ actions
    def _ensure_open(self) -> None:
        if self.sealed:
            raise ScoringRefused("this sheet is submitted and sealed: it can no longer change")

    def declare(self, bidder: str, conflict: bool, note: str = "") -> Declaration:
        self._ensure_open()
        if bidder not in self.workspace.bids:
            raise ScoringRefused(f"unknown bidder {bidder!r}")
        if bidder in self.state.declarations:
            raise ScoringRefused(f"a declaration for {bidder} is already recorded")
        if conflict and not note.strip():
            raise ScoringRefused("say what the conflict is: a declared conflict needs a note")
        if any(e.bidder == bidder for e in self.state.scores.values()):
            raise ScoringRefused("a declaration must come before any score")  # pragma: no cover
        return self._append(
            {"type": "declaration", "bidder": bidder, "conflict": conflict, "note": note.strip()}
        )

    def set_score(
        self, item: Item, value: Decimal | str | None, justification: str
    ) -> ScoreSet | None:
        """Record a score and/or justification (drafts allowed); returns None if unchanged."""
        self._ensure_open()
        bidder, cid = item
        if bidder not in self.state.declarations:
            raise ScoringRefused(
                f"declare any conflict of interest with {bidder} before scoring its bid"
            )
        if bidder in self.state.recused:
            raise ScoringRefused(f"you declared a conflict with {bidder}: you are recused from it")
        criterion = self.tender.by_id.get(cid)
        if criterion is None or all(leaf.id != cid for leaf in self.leaves):
            raise ScoringRefused(f"criterion {cid!r} is not assigned to you")
        problem = value_problem(self.tender, criterion, value)
        if problem:
            raise ScoringRefused(problem)
        entry = self.entry(item)
        if entry is not None and entry.value == value and entry.justification == justification:
            return None
        return self._append(
            {
                "type": "score",
                "bidder": bidder,
                "criterion": cid,
                "value": value,
                "justification": justification,
            }
        )

    def submit(
        self,
        statement: str = "",
        sign: Callable[[str], str] | None = None,
        public_key: str | None = None,
    ) -> Submitted:
        problems = self.submission_problems()
        if problems:
            raise ScoringRefused("the sheet cannot be submitted yet:\n- " + "\n- ".join(problems))
        fields = {
            "type": "submitted",
            "items": len(self.items()),
            "statement": statement
            or "I scored these bids independently, against the published criteria only.",
            "public_key": public_key,
        }
        return self._append(fields, sign=sign)

    def _append(self, fields: dict[str, object], sign: Callable[[str], str] | None = None):
        event = self._writer.append(fields, sign=sign)
        self.state.apply(event)
        self.workspace.sheets[self.evaluator.id] = self._writer.record
        return event

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> ScoringSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
