"""The scoring screen: where a panel member spends their days.

The screen is the frame (header, key bindings, footer) around the scoring desk
(`widgets/scoring_desk.py`: work list, bid response, guidance and scale, justification),
whose methods its actions are.

Opened with `--as`, the screen draws before its sheet is open: this module imports nothing
of the core (pydantic, the models, the signing library) nor the desk's widgets, so that the
first frame costs little more than a bare Textual app's; the app then loads the workspace,
checks the key and opens the sheet (`BidPanelApp.open_own_sheet`) and the desk is mounted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static

from bid_panel.tui.keys import KEY_NAMES, TYPING_KEYS

if TYPE_CHECKING:
    from bid_panel.core.session import ScoringSession
    from bid_panel.core.sheet import Item
    from bid_panel.tui.widgets.scoring_desk import ScoringDesk


class ScoringScreen(Screen[None]):
    CSS_PATH = "scoring.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,ctrl+n", "next_item", "Next", key_display="n/^n"),
        Binding("p", "previous_item", "Prev"),
        Binding("e", "edit_justification", "Justify"),
        Binding("escape", "leave_editor", "Done typing"),
        *[
            Binding(
                KEY_NAMES.get(c, c), f"pick_key('{c}')", "Score", show=c == "0", key_display="0-9"
            )
            for c in TYPING_KEYS
        ],
        Binding("left", "step_score(-1)", "Lower", show=False),
        Binding("right", "step_score(1)", "Higher", show=False),
        Binding("r", "focus_response", "Read bid", show=False),
        Binding("w", "toggle_work_list", "Work list", show=False),
        Binding("s", "submit", "Submit"),
    ]

    def __init__(self, session: ScoringSession | None = None, *, opening: str = "") -> None:
        """`session`: the open sheet; or none yet, and `opening` the evaluator id whose sheet
        the app opens once this screen is drawn."""
        super().__init__()
        self.session = session
        self.opening = opening

    def compose(self) -> ComposeResult:
        yield Header()
        if self.session is not None:
            yield self._new_desk(self.session)
        else:
            with Vertical(id="opening"):
                yield Static(f"Opening the score sheet of {self.opening}…", markup=False)
                yield LoadingIndicator()
        yield Footer()

    def on_mount(self) -> None:
        if self.session is None:
            # After this first frame is on the screen, not before: see the module's doc.
            self.call_after_refresh(self.app.open_own_sheet, self)  # type: ignore[attr-defined]

    def show_session(self, session: ScoringSession) -> None:
        """The sheet is open: mount the desk in place of the opening line."""
        self.session = session
        self.query_one("#opening").remove()
        self.mount(self._new_desk(session), before=self.query_one(Footer))
        self.refresh_bindings()

    @staticmethod
    def _new_desk(session: ScoringSession) -> ScoringDesk:
        from bid_panel.tui.widgets.scoring_desk import ScoringDesk

        return ScoringDesk(session)

    @property
    def desk(self) -> ScoringDesk | None:
        found = self.query("#scoring-body")
        return found.first() if found else None  # type: ignore[return-value]

    @property
    def current(self) -> Item | None:
        """The item on the desk (None while the sheet opens)."""
        desk = self.desk
        return desk.current if desk is not None else None

    # ------------------------------------------------------------------ actions: the desk's
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        desk = self.desk
        return False if desk is None else desk.allows(action)

    def action_next_item(self) -> None:
        self._on_desk(lambda desk: desk.action_next_item())

    def action_previous_item(self) -> None:
        self._on_desk(lambda desk: desk.action_previous_item())

    def action_edit_justification(self) -> None:
        self._on_desk(lambda desk: desk.action_edit_justification())

    def action_leave_editor(self) -> None:
        self._on_desk(lambda desk: desk.action_leave_editor())

    def action_pick_key(self, key: str) -> None:
        self._on_desk(lambda desk: desk.action_pick_key(key))

    def action_step_score(self, step: int) -> None:
        self._on_desk(lambda desk: desk.action_step_score(step))

    def action_focus_response(self) -> None:
        self._on_desk(lambda desk: desk.action_focus_response())

    def action_toggle_work_list(self) -> None:
        self._on_desk(lambda desk: desk.action_toggle_work_list())

    def action_submit(self) -> None:
        self._on_desk(lambda desk: desk.action_submit())

    def _on_desk(self, act: Callable[[ScoringDesk], None]) -> None:
        desk = self.desk
        if desk is not None:
            act(desk)

    def save_pending(self) -> list[str]:
        """Called by the app before it quits: what typed text could not be saved."""
        desk = self.desk
        return desk.save_pending() if desk is not None else []
