"""Dialog: a recorded decision that needs a written reason (e.g. withdrawing an evaluator).

Returns the reason, or None when cancelled. What makes a reason acceptable is the core's
answer, passed in as `check`; the dialog only shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from bid_panel.tui.text import plain


class ReasonDialog(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Record"),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        confirm_label: str,
        check: Callable[[str], list[str]],
    ) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.message), classes="muted")
            yield TextArea(id="reason", soft_wrap=True)
            yield Label("", id="reason-problems", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.confirm_label} (ctrl+s)", variant="warning", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @on(TextArea.Changed)
    def _typed(self) -> None:
        self.query_one("#reason-problems", Label).update("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        reason = self.query_one(TextArea).text.strip()
        problems = self.check(reason)
        if problems:
            self.query_one("#reason-problems", Label).update(plain("; ".join(problems)))
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
