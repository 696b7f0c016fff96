"""The moderation matrix: what needs discussing, and the consensus as it is agreed.

Above, the matrix itself: bids x criteria, each cell the individual scores (one per
evaluator, in panel order) and, below them, the item's state (⚑ flagged with its spread,
• to moderate, = all agree, ✓ settled with the consensus). Below, the agenda: every item,
flagged ones first, largest spread first (the core's `moderation_items` order). Both tables
follow one cursor; enter moderates the item under it. Cells are updated in place as
consensus is recorded; nothing is rebuilt.
"""

from __future__ import annotations

from datetime import UTC
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bid_panel.core.consensus import ItemScores
from bid_panel.core.errors import BidPanelError
from bid_panel.core.moderation import (
    ItemState,
    ModerationSession,
    agreed_reason,
    item_state,
    signature_status,
    value_text,
)
from bid_panel.core.sheet import Item
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.moderate_item import ConsensusDraft, ModerateItemDialog
from bid_panel.tui.screens.moderation_help import MODERATION_GUIDE
from bid_panel.tui.text import cell, clipped, plain, say
from bid_panel.tui.widgets.gate_bar import GateBar
from bid_panel.tui.widgets.work_list import item_id, parse_item_id

MARKS = {
    ItemState.TO_DISCUSS: ("⚑", "bold yellow"),
    ItemState.TO_MODERATE: ("•", "yellow"),
    ItemState.TO_ACCEPT: ("=", ""),
    ItemState.MODERATED: ("✓", "green"),
    ItemState.ACCEPTED: ("✓", "green"),
}
LEGEND = (
    "⚑ flagged: discuss · • scores differ: moderate · = all agree: accept · "
    "✓ settled (consensus shown) · – declared a conflict"
)
_VERDICTS = {"pass": "P", "fail": "F"}


def _column(criterion_id: str) -> str:
    """The matrix column of a criterion. Ids are slugs (no colon), so no criterion id can
    collide with the table's own columns ("bid"), whatever it is called."""
    return f"c:{criterion_id}"


def _criterion_of(column: str | None) -> str | None:
    """The criterion id of a matrix column key (None for the bid column)."""
    return column[2:] if column is not None and column.startswith("c:") else None


def _evaluator_column(evaluator_id: str) -> str:
    """The agenda column of an evaluator (an evaluator id may be "state" or "bid")."""
    return f"e:{evaluator_id}"


def _short(value: object) -> str:
    return _VERDICTS.get(str(value), score_text(value))  # type: ignore[arg-type]


class ModerationMatrixScreen(Screen[None]):
    HELP_GUIDE = MODERATION_GUIDE
    CSS_PATH = "moderation_matrix.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "moderate", "Moderate", priority=True),
        Binding("a", "accept_agreed", "Accept agreed…"),
        Binding("r", "results", "Results"),
        Binding("s", "sign", "Sign…"),
        Binding("v", "toggle_matrix", "Matrix"),
        Binding("p", "panel", "Panel"),
        Binding("tab", "switch_table", "Matrix/agenda", show=False),
    ]

    def __init__(self, session: ModerationSession) -> None:
        super().__init__()
        self.session = session
        self.criteria = [c for c in session.tender.leaves if c.kind is not CriterionKind.PRICE]
        items = session.items()
        seen = {e for i in items.values() for e in i.assigned}
        self.evaluators = [e.id for e in session.workspace.panel.evaluators if e.id in seen]
        self.order: list[Item] = list(items)
        self.current: Item | None = self.order[0] if self.order else None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield GateBar(id="gate")
        yield DataTable(id="matrix", cursor_type="cell", zebra_stripes=True)
        yield Static(LEGEND, id="legend")
        yield DataTable(id="agenda", cursor_type="row")
        yield Static("", id="item-detail")
        yield Footer()

    def on_mount(self) -> None:
        session = self.session
        panel = session.workspace.panel.by_id
        items = session.items()
        # First names (the id when the name is only a role): one per evaluator column.
        first = {e: panel[e].short_name.split()[0] for e in self.evaluators}
        names = " ".join(first.values())
        narrow = self.app.size.width < 110

        matrix = self.query_one("#matrix", DataTable)
        matrix.border_title = plain(f"Matrix · each cell: {names}, then the item's state")
        matrix.add_column("Bid", key="bid", width=14 if narrow else 24)
        for criterion in self.criteria:
            matrix.add_column(
                clipped(criterion.title), key=_column(criterion.id), width=9 if narrow else 11
            )
        for bidder, bid in session.workspace.bids.items():
            cells = [clipped(bid.bidder.name)]
            cells += [self._matrix_cell(items[(bidder, c.id)]) for c in self.criteria]
            matrix.add_row(*cells, key=bidder, height=2)

        agenda = self.query_one("#agenda", DataTable)
        agenda.border_title = "Agenda · flagged first, largest spread first"
        agenda.add_column("", key="mark", width=1)
        agenda.add_column("Bid", key="bid", width=12 if narrow else 24)
        agenda.add_column("Criterion", key="criterion", width=12 if narrow else 28)
        for evaluator in self.evaluators:
            agenda.add_column(cell(first[evaluator]), key=_evaluator_column(evaluator))
        agenda.add_column("Δ", key="spread")
        agenda.add_column("Consensus", key="consensus", width=9 if narrow else 14)
        agenda.add_column("State", key="state")
        for item in self.order:
            scores = items[item]
            agenda.add_row(
                *self._agenda_cells(scores),
                key=item_id(item),
            )
        agenda.focus()
        if narrow:
            # 80 columns: the agenda first; v shows the matrix.
            matrix.display = False
            agenda.border_subtitle = "v shows the matrix"
        self.refresh_view()
        if self.current is not None:
            self._show_detail(self.current)

    # ------------------------------------------------------------------ cells
    def _state(self, scores: ItemScores) -> ItemState:
        return item_state(scores, self.session.state.current.get((scores.bidder, scores.criterion)))

    def _individual(self, scores: ItemScores) -> list[str]:
        out = []
        for evaluator in self.evaluators:
            entry = scores.scores.get(evaluator)
            if entry is not None and entry.value is not None:
                out.append(_short(entry.value))
            else:
                out.append("?" if evaluator in scores.assigned else "–")
        return out

    def _settled_value(self, scores: ItemScores) -> str:
        current = self.session.state.current.get((scores.bidder, scores.criterion))
        return _short(current.value) if current else ""

    def _matrix_cell(self, scores: ItemScores) -> Text:
        state = self._state(scores)
        mark, style = MARKS[state]
        if state.settled:
            second = f"{mark} {self._settled_value(scores)}"
        elif scores.spread:
            second = f"{mark} Δ{score_text(scores.spread)}"
        elif state is ItemState.TO_DISCUSS:
            second = f"{mark} split"
        else:
            second = mark
        text = Text(" ".join(self._individual(scores)) + "\n", end="", no_wrap=True)
        text.append(second, style=style)
        return text

    def _agenda_cells(self, scores: ItemScores) -> list[object]:
        session = self.session
        state = self._state(scores)
        mark, style = MARKS[state]
        bid = session.workspace.bids[scores.bidder]
        criterion = session.tender.by_id[scores.criterion]
        current = session.state.current.get((scores.bidder, scores.criterion))
        consensus = ""
        if current is not None:
            consensus = value_text(session.tender, criterion, current.value)
        revisions = len(session.history((scores.bidder, scores.criterion)))
        state_text = str(state) + (f" ×{revisions}" if revisions > 1 else "")
        return [
            Text(mark, style=style, end=""),
            clipped(bid.bidder.name),
            clipped(criterion.title),
            *self._individual(scores),
            score_text(scores.spread) if scores.spread is not None else "",
            clipped(consensus),
            Text(state_text, style=style, end=""),
        ]

    def refresh_item(self, item: Item) -> None:
        """Update one item's matrix cell and agenda row in place."""
        scores = self.session.items()[item]
        if any(c.id == item[1] for c in self.criteria):  # a disputed price is on the agenda only
            self.query_one("#matrix", DataTable).update_cell(
                item[0], _column(item[1]), self._matrix_cell(scores)
            )
        agenda = self.query_one("#agenda", DataTable)
        evaluators = [_evaluator_column(e) for e in self.evaluators]
        keys = ["mark", "bid", "criterion", *evaluators, "spread", "consensus", "state"]
        for key, value in zip(keys, self._agenda_cells(scores), strict=True):
            agenda.update_cell(item_id(item), key, value)

    def refresh_view(self) -> None:
        session = self.session
        self.query_one(GateBar).show(session.gate(), signature_status(session.state))
        self.refresh_bindings()

    def _show_detail(self, item: Item) -> None:
        session = self.session
        scores = session.items()[item]
        state = self._state(scores)
        current = session.state.current.get(item)
        criterion = session.tender.by_id[item[1]]
        if current is not None:
            basis = "accepted as agreed" if current.basis == "accepted_agreement" else "discussed"
            text = (
                f"Consensus {value_text(session.tender, criterion, current.value)} ({basis}, "
                f"{current.at.astimezone(UTC):%d %b %H:%M} UTC): {current.reason}"
            )
        elif state is ItemState.TO_DISCUSS:
            threshold = score_text(session.tender.rules.spread_threshold_percent)
            text = (
                f"Flagged: the scores spread by {threshold}% of the scale or more. "
                "Enter to discuss and record the consensus with its reason."
                if scores.spread is not None
                else "Flagged: evaluators disagree on the gate. Enter to moderate."
            )
        elif state is ItemState.TO_ACCEPT:
            text = "All evaluators agree. Accept with a (accepts every such item), or enter."
        else:
            text = "Evaluators differ below the flag: enter to moderate with a reason."
        bid = session.workspace.bids[item[0]].bidder.name
        self.query_one("#item-detail", Static).update(
            Content.assemble((f"{bid} — {criterion.title}: ", "bold"), Content(text))
        )

    # ------------------------------------------------------------------ cursor
    @on(DataTable.CellHighlighted, "#matrix")
    def _matrix_moved(self, event: DataTable.CellHighlighted) -> None:
        criterion = _criterion_of(event.cell_key.column_key.value)
        if criterion is None or event.cell_key.row_key.value is None:
            return
        item = (event.cell_key.row_key.value, criterion)
        self._follow(item, from_matrix=True)

    @on(DataTable.RowHighlighted, "#agenda")
    def _agenda_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._follow(parse_item_id(event.row_key.value), from_matrix=False)

    def _follow(self, item: Item, *, from_matrix: bool) -> None:
        self.current = item
        self._show_detail(item)
        if from_matrix:
            agenda = self.query_one("#agenda", DataTable)
            row = agenda.get_row_index(item_id(item))
            if agenda.cursor_row != row:
                agenda.move_cursor(row=row)
        elif any(c.id == item[1] for c in self.criteria):  # a disputed price: agenda only
            matrix = self.query_one("#matrix", DataTable)
            row = matrix.get_row_index(item[0])
            column = matrix.get_column_index(_column(item[1]))
            if (matrix.cursor_row, matrix.cursor_column) != (row, column):
                matrix.move_cursor(row=row, column=column)

    def _advance(self) -> None:
        """After recording, move to the next item still to settle (agenda order)."""
        if self.current is None:
            return
        state = self.session.state
        start = self.order.index(self.current)
        for item in self.order[start + 1 :] + self.order[:start]:
            if item not in state.current:
                agenda = self.query_one("#agenda", DataTable)
                agenda.move_cursor(row=agenda.get_row_index(item_id(item)))
                return

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept_agreed":
            return bool(self.session.to_accept()) or None
        if action == "sign":
            state = self.session.state
            needs = state.signed is None or state.events_since_signed > 0
            return (self.session.gate().ready_to_sign and needs) or None
        if action == "moderate":
            return self.current is not None
        return True

    def action_toggle_matrix(self) -> None:
        matrix = self.query_one("#matrix", DataTable)
        matrix.display = not matrix.display
        agenda = self.query_one("#agenda", DataTable)
        agenda.border_subtitle = "" if matrix.display else "v shows the matrix"
        if not matrix.display:
            agenda.focus()

    def action_switch_table(self) -> None:
        matrix = self.query_one("#matrix", DataTable)
        agenda = self.query_one("#agenda", DataTable)
        (agenda if matrix.has_focus or not matrix.display else matrix).focus()

    def _cursor_item(self) -> Item | None:
        """The item under the cursor of the table in use (read from the table itself, so a
        key pressed right after moving the cursor acts on the row it moved to)."""
        matrix = self.query_one("#matrix", DataTable)
        if matrix.has_focus:
            keys = matrix.coordinate_to_cell_key(matrix.cursor_coordinate)
            criterion = _criterion_of(keys.column_key.value)
            if criterion is not None and keys.row_key.value is not None:
                return (keys.row_key.value, criterion)
            return self.current
        agenda = self.query_one("#agenda", DataTable)
        if agenda.row_count == 0:
            return None
        key = agenda.coordinate_to_cell_key(agenda.cursor_coordinate).row_key.value
        return parse_item_id(key) if key is not None else self.current

    def action_moderate(self) -> None:
        item = self._cursor_item()
        if item is None:
            return
        self.current = item

        def recorded(draft: ConsensusDraft | None) -> None:
            if draft is None:
                return
            try:
                self.session.agree(item, draft.value, draft.reason, draft.present)
            except BidPanelError as exc:
                say(self, str(exc), title="Not recorded", severity="error", timeout=10)
                return
            self.refresh_item(item)
            self.refresh_view()
            self._show_detail(item)
            say(self, "Consensus recorded.", timeout=3)
            self._advance()

        self.app.push_screen(ModerateItemDialog(self.session, item), recorded)

    def action_accept_agreed(self) -> None:
        session = self.session
        agreed = session.to_accept()
        if not agreed:
            say(self, "No item left where every evaluator agrees.", severity="warning")
            return
        first_item, first_scores = next(iter(agreed.items()))
        listing = []
        for (bidder, cid), scores in agreed.items():
            criterion = session.tender.by_id[cid]
            value = scores.values[0]
            listing.append(
                f"{session.workspace.bids[bidder].bidder.name} / {criterion.title}: "
                f"{value_text(session.tender, criterion, value)}"
            )
        message = (
            f"Each of these {len(agreed)} item(s) is recorded as its own entry, basis "
            "'accepted as agreed', with a reason that states the scores, e.g.: "
            f"“{agreed_reason(session.workspace, first_item, first_scores)}” "
            "Present: the meeting's attendance, less anyone with a declared conflict. "
            "Any item can be re-moderated later (enter); the history keeps both."
        )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                accepted = session.accept_agreed()
            except BidPanelError as exc:
                say(self, str(exc), title="Not recorded", severity="error", timeout=10)
                return
            for entry in accepted:
                self.refresh_item((entry.bidder, entry.criterion))
            self.refresh_view()
            if self.current is not None:
                self._show_detail(self.current)
            say(self, f"{len(accepted)} item(s) accepted, each with its reason.")

        self.app.push_screen(
            ConfirmDialog(
                "Accept every item where all evaluators agree?", message, listing, "Accept"
            ),
            confirmed,
        )

    def action_sign(self) -> None:
        session = self.session
        if not session.gate().ready_to_sign:
            say(self, "Sign once every item is settled.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            from bid_panel.core.signing import submission_signer

            moderator = session.moderator
            try:
                # Signed with the moderator's key when the panel lists one (refused if missing).
                sign, public_key = submission_signer(moderator.id, moderator.public_key)
                session.sign(sign, public_key)
            except BidPanelError as exc:
                say(self, str(exc), severity="error", timeout=10)
                return
            self.refresh_view()
            say(self, "Moderation record signed.")

        self.app.push_screen(
            ConfirmDialog(
                "Sign the moderation record?",
                "You confirm, as moderator, the record as it stands: every consensus, its "
                "reason and who was present. A later change is still possible, as a new "
                "entry with its own reason, and will need signing again.",
                [],
                "Sign",
            ),
            confirmed,
        )

    def action_results(self) -> None:
        from bid_panel.tui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.session.workspace))

    def action_panel(self) -> None:
        self.app.pop_screen()

    def on_screen_resume(self) -> None:
        self.refresh_view()
