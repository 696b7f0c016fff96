"""The dialogs that take something typed or ticked: one frame for all of them.

A title, the dialog's own form (`form`), a line saying what is wrong, and two buttons:
save (ctrl+s) and cancel (escape). Each dialog binds ctrl+s to `save` with its own words
and says in `action_save` what it returns; cancelling returns None.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label
from textual.widgets.button import ButtonVariant

from bid_panel.tui.text import plain

ResultType = TypeVar("ResultType")


class FormDialog(ModalScreen[ResultType | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, save_label: str, variant: ButtonVariant = "primary") -> None:
        super().__init__()
        self.title_text = title
        self.save_label = save_label
        self.variant: ButtonVariant = variant

    def form(self) -> ComposeResult:
        """The dialog's own widgets, between the title and the buttons."""
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield from self.form()
            yield Label("", id="dialog-problems", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.save_label} (ctrl+s)", variant=self.variant, id="save")
                yield Button("Cancel (esc)", id="cancel")

    def show_problems(self, text: str) -> None:
        """Say what stops saving (or "" once it no longer applies); the dialog stays open."""
        self.query_one("#dialog-problems", Label).update(plain(text))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)
