"""Dialog: who is present (opening moderation, accepting agreed items). Returns the ids."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from bid_panel.tui.dialogs.form import FormDialog
from bid_panel.tui.text import plain


class AttendanceDialog(FormDialog[list[str]]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Confirm")]

    def __init__(
        self,
        title: str,
        message: str,
        members: list[tuple[str, str, bool]],
        confirm_label: str,
        items: list[str] | None = None,
    ) -> None:
        """`members`: (id, label, present by default); `items`: what the action will do."""
        super().__init__(title, confirm_label)
        self.message = message
        self.members = members
        self.items = items or []

    def form(self) -> ComposeResult:
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

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_save(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if not chosen:
            self.show_problems("Tick who is present.")
            return
        # Keep the panel's order, whatever order the boxes were ticked in.
        order = [mid for mid, _, _ in self.members]
        self.dismiss(sorted(chosen, key=order.index))
