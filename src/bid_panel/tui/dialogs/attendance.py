"""Dialog: who is present (opening moderation, accepting agreed items). Returns the ids."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from bid_panel.tui.text import plain


class AttendanceDialog(ModalScreen[list[str] | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Confirm"),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        members: list[tuple[str, str, bool]],
        confirm_label: str,
        items: list[str] | None = None,
    ) -> None:
        """`members`: (id, label, present by default); `items`: what the action will do."""
        super().__init__()
        self.title_text = title
        self.message = message
        self.members = members
        self.confirm_label = confirm_label
        self.items = items or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.message))
            if self.items:
                with VerticalScroll(classes="dialog-list"):
                    for item in self.items:
                        yield Static(plain(f"• {item}"))
            yield Label("Present (space to tick or untick):", classes="muted")
            yield SelectionList[str](
                *[Selection(plain(label), mid, chosen) for mid, label, chosen in self.members],
                id="present",
            )
            yield Label("", id="present-problems", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.confirm_label} (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if not chosen:
            self.query_one("#present-problems", Label).update("Tick who is present.")
            return
        # Keep the panel's order, whatever order the boxes were ticked in.
        order = [mid for mid, _, _ in self.members]
        self.dismiss(sorted(chosen, key=order.index))

    def action_cancel(self) -> None:
        self.dismiss(None)
