"""Conflict of interest, before any bid content is shown."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bid_panel.core.errors import BidPanelError
from bid_panel.core.session import ScoringSession
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.conflict import ConflictDialog
from bid_panel.tui.text import cell, plain, say

INTRO = (
    "Before you see any bid, declare for each bidder whether you have a conflict of interest "
    "(a financial interest, a close relationship, recent employment, a trustee role...). "
    "A declared conflict recuses you from that bid: it will not appear in your work. "
    "Your declarations are recorded in your score sheet before any score."
)


class DeclarationScreen(Screen[None]):
    CSS_PATH = "declaration.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "no_conflict", "No conflict"),
        Binding("c", "conflict", "Conflict…"),
        Binding("a", "none_for_all", "No conflict with any"),
        Binding("s", "record", "Record and continue"),
    ]

    def __init__(self, session: ScoringSession) -> None:
        super().__init__()
        self.session = session
        self.choices: dict[str, str | None] = {}
        """bidder -> None for no conflict, or the conflict note."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(plain(INTRO), id="declaration-intro")
        yield DataTable(id="declaration-table", cursor_type="row")
        yield Static("", id="declaration-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = "Declarations of interest"
        table.add_column("Bidder", key="bidder")
        table.add_column("Type", key="type")
        table.add_column("Your declaration", key="choice")
        for bidder in self.session.undeclared:
            bid = self.session.bid(bidder)
            table.add_row(
                cell(bid.bidder.name), str(bid.bidder.organisation_type), "not declared", key=bidder
            )
        table.focus()
        self._refresh_status()

    def _current(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _set(self, bidder: str, note: str | None) -> None:
        self.choices[bidder] = note
        label = "no conflict" if note is None else f"CONFLICT: {note}"
        self.query_one(DataTable).update_cell(bidder, "choice", cell(label), update_width=True)
        self._refresh_status()

    def _left(self) -> list[str]:
        """Bidders still without a choice on this screen."""
        return [b for b in self.session.undeclared if b not in self.choices]

    def _refresh_status(self) -> None:
        left = self._left()
        text = (
            f"{len(left)} bidder(s) still to declare."
            if left
            else "All declared. Press s to record your declarations and start scoring."
        )
        self.query_one("#declaration-status", Static).update(text)

    def action_no_conflict(self) -> None:
        bidder = self._current()
        if bidder:
            self._set(bidder, None)
            self.query_one(DataTable).action_cursor_down()

    def action_none_for_all(self) -> None:
        for bidder in self._left():
            self._set(bidder, None)

    def action_conflict(self) -> None:
        bidder = self._current()
        if not bidder:
            return
        name = self.session.bid(bidder).bidder.name

        def chosen(note: str | None) -> None:
            if note:
                self._set(bidder, note)

        self.app.push_screen(ConflictDialog(name), chosen)

    def action_record(self) -> None:
        left = self._left()
        if left:
            say(self, f"Declare for every bidder first ({len(left)} left).", severity="warning")
            return
        conflicts = [
            f"{self.session.bid(b).bidder.name}: {n}" for b, n in self.choices.items() if n
        ]
        message = "Your declarations are recorded permanently in your score sheet. " + (
            "You declare no conflict with any bidder."
            if not conflicts
            else "You will be recused from these bids:"
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write()

        self.app.push_screen(
            ConfirmDialog("Record declarations?", message, conflicts, "Record"), confirmed
        )

    def _write(self) -> None:
        from bid_panel.tui.screens.scoring import ScoringScreen

        try:
            for bidder, note in self.choices.items():
                if bidder in self.session.undeclared:
                    self.session.declare(bidder, conflict=note is not None, note=note or "")
        except BidPanelError as exc:
            say(self, str(exc), severity="error", timeout=10)
            return
        self.app.switch_screen(ScoringScreen(self.session))
