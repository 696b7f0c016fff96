"""Dialog: describe a conflict of interest. Returns the note, or None when cancelled."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, TextArea

from bid_panel.tui.dialogs.form import FormDialog


class ConflictDialog(FormDialog[str]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Record conflict")]

    def __init__(self, bidder_name: str) -> None:
        super().__init__(
            f"Conflict of interest with {bidder_name}", "Record conflict", variant="warning"
        )

    def form(self) -> ComposeResult:
        yield Label(
            "Say what the conflict is (relationship, role, dates). "
            "You will be recused from this bid.",
            classes="muted",
        )
        yield TextArea(id="conflict-note", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        note = self.query_one(TextArea).text.strip()
        if not note:
            self.show_problems("A declared conflict needs a note.")
            return
        self.dismiss(note)
