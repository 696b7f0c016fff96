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
from textual.widgets import Static, TextArea

from bid_panel.tui.dialogs.form import FormDialog
from bid_panel.tui.text import plain


class ReasonDialog(FormDialog[str]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Record")]

    def __init__(
        self,
        title: str,
        message: str,
        confirm_label: str,
        check: Callable[[str], list[str]],
    ) -> None:
        super().__init__(title, confirm_label, variant="warning")
        self.message = message
        self.check = check

    def form(self) -> ComposeResult:
        yield Static(plain(self.message), classes="muted")
        yield TextArea(id="reason", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @on(TextArea.Changed)
    def _typed(self) -> None:
        self.show_problems("")

    def action_save(self) -> None:
        reason = self.query_one(TextArea).text.strip()
        problems = self.check(reason)
        if problems:
            self.show_problems("; ".join(problems))
            return
        self.dismiss(reason)
