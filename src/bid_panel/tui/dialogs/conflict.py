"""Dialog: describe a conflict of interest. Returns the note, or None when cancelled."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from bid_panel.tui.text import plain


class ConflictDialog(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Record conflict"),
    ]

    def __init__(self, bidder_name: str) -> None:
        super().__init__()
        self.bidder_name = bidder_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                plain(f"Conflict of interest with {self.bidder_name}"), classes="dialog-title"
            )
            yield Label(
                "Say what the conflict is (relationship, role, dates). "
                "You will be recused from this bid.",
                classes="muted",
            )
            yield TextArea(id="conflict-note", soft_wrap=True)
            yield Label("", id="conflict-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Record conflict (ctrl+s)", variant="warning", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        note = self.query_one(TextArea).text.strip()
        if not note:
            self.query_one("#conflict-error", Label).update("A declared conflict needs a note.")
            return
        self.dismiss(note)

    def action_cancel(self) -> None:
        self.dismiss(None)
