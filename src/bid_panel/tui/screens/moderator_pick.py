"""`bid-panel moderate` without --as on a panel with several moderators: "who are you?"."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from bid_panel.core.panel import Role
from bid_panel.tui.text import plain


class ModeratorPickScreen(Screen[None]):
    CSS_PATH = "moderator_pick.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open the moderation record"),
    ]

    def compose(self) -> ComposeResult:
        workspace = self.app.workspace  # type: ignore[attr-defined]
        moderators = workspace.panel.of_role(Role.MODERATOR)
        yield Header()
        yield Static(
            plain(f"{workspace.tender.reference} · {workspace.tender.title}"), id="pick-title"
        )
        if moderators:
            yield Static(
                "Who are you? Pick your name to open the moderation record.", id="pick-prompt"
            )
        else:
            yield Static(
                plain(
                    "This panel has no moderator. Add one to panel.yaml "
                    "(role: moderator) to moderate this tender."
                ),
                classes="error",
                id="pick-prompt",
            )
        yield OptionList(
            *[Option(plain(f"{m.name}\n  moderator"), id=m.id) for m in moderators],
            id="moderator-list",
        )
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.border_title = "Moderators"
        if options.option_count:
            options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.app.start_moderation(event.option.id)  # type: ignore[attr-defined]

    def action_open(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id:
            self.app.start_moderation(option.id)  # type: ignore[attr-defined]
