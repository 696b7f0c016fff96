"""The one app factory, used by the CLI and by the tests.

A panel member opening their own sheet (`bid-panel score WORKSPACE --as ID`) gets the
scoring screen's frame first and the sheet a moment later: this module, like the screen,
imports no models, and the workspace is loaded after the first frame (`open_own_sheet`).
Everything else loads the workspace before the app starts.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from bid_panel.core.errors import BidPanelError
from bid_panel.core.names import MODERATION_FILE, TENDER_FILE, is_slug, sheet_path
from bid_panel.tui.text import say

if TYPE_CHECKING:  # imported where used: see the module's doc
    from bid_panel.core.moderation import ModerationSession
    from bid_panel.core.session import ScoringSession
    from bid_panel.core.workspace import Workspace
    from bid_panel.tui.screens.scoring import ScoringScreen

DATA_DIR_ENV = "BID_PANEL_DATA_DIR"
QUIT_TITLE = "Quit without saving?"


def data_dir() -> Path:
    """The user's data folder (overridable for tests with BID_PANEL_DATA_DIR)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("bid-panel", appauthor=False)


def sample_workspace(base: Path | None = None) -> Path:
    """The user's own copy of the sample tender, made once; the repo is never written."""
    target = (base or data_dir()) / "sample-workspace"
    if not (target / TENDER_FILE).exists():
        from bid_panel.core.sample import init_workspace

        init_workspace(target)
    return target


class BidPanelApp(App[int]):
    """bid_panel: the panel member's scoring app."""

    TITLE = "bid_panel"
    CSS_PATH: ClassVar = ["app.tcss"]
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", key_display="F1"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        workspace: Workspace | Path,
        evaluator: str | None = None,
        *,
        is_sample: bool = False,
        mode: str = "score",
    ) -> None:
        """`workspace`: loaded; or its folder, for a panel member (`evaluator`) whose own
        sheet is opened after the first frame (`open_own_sheet`)."""
        super().__init__()
        self.root = workspace if isinstance(workspace, Path) else workspace.root
        self._workspace = None if isinstance(workspace, Path) else workspace
        self.initial_evaluator = evaluator
        self.is_sample = is_sample
        self.mode = mode
        """"score" (a panel member) or "moderate" (the procurement lead)."""
        self.session: ScoringSession | None = None
        self.moderation: ModerationSession | None = None
        """The moderator's session: holds the moderation record's lock until quit."""
        reference = f"{self._workspace.tender.reference} · " if self._workspace else ""
        self.sub_title = f"{reference}{self.root}"
        self.failure: BidPanelError | None = None
        """Why the app closed itself without being usable (`run_app` raises it)."""

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            raise BidPanelError(f"{self.root} is still being opened")
        return self._workspace

    @workspace.setter
    def workspace(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def on_mount(self) -> None:
        if self.mode == "moderate":
            self._mount_moderation()
        elif self._workspace is None:  # `--as X`: X's scoring screen first, then X's sheet
            from bid_panel.tui.screens.scoring import ScoringScreen

            self.push_screen(ScoringScreen(opening=self.initial_evaluator or ""))
        elif not (self.initial_evaluator and self.start_session(self.initial_evaluator)):
            self._show_welcome()

    def open_own_sheet(self, screen: ScoringScreen) -> None:
        """Open this member's sheet into `screen` (drawn already): load the workspace with
        only their sheet in a thread (seconds on a large tender; the screen stays drawn and
        responsive), then check their key and open the sheet. A workspace with errors closes
        the app with them (the CLI prints them); a sheet that cannot be opened goes to the
        welcome screen."""
        self._load_own_sheet(screen, self.initial_evaluator or "")

    @work(thread=True, exclusive=True, group="open-sheet")
    def _load_own_sheet(self, screen: ScoringScreen, evaluator: str) -> None:
        from bid_panel.core.workspace import load_workspace

        # The desk's module and its imports (Markdown, the session) load here too, off the
        # UI thread: the screen mounts the desk once the sheet is open.
        importlib.import_module("bid_panel.tui.widgets.scoring_desk")
        try:
            workspace = load_workspace(self.root, sheets={evaluator})
        except BidPanelError as exc:
            self.call_from_thread(self._fail, exc)
            return
        self.call_from_thread(self._own_sheet_loaded, screen, evaluator, workspace)

    def _own_sheet_loaded(
        self, screen: ScoringScreen, evaluator: str, workspace: Workspace
    ) -> None:
        self.workspace = workspace
        if not self.start_session(evaluator, opening=screen):
            self._show_welcome(replacing=screen)

    def _show_welcome(self, replacing: Screen | None = None) -> None:
        from bid_panel.core.workspace import load_workspace
        from bid_panel.tui.screens.welcome import WelcomeScreen

        if not self.workspace.all_sheets:  # opened for one member: the list shows them all
            try:
                self.workspace = load_workspace(self.root)
            except BidPanelError as exc:  # another member's sheet is broken: say so, leave
                self._fail(exc)
                return
        if replacing is not None:
            self.switch_screen(WelcomeScreen())
        else:
            self.push_screen(WelcomeScreen())

    def _fail(self, exc: BidPanelError) -> None:
        self.failure = exc
        self.exit(2, return_code=2)

    # ------------------------------------------------------------------ flow
    def start_session(self, evaluator_id: str, opening: ScoringScreen | None = None) -> bool:
        """Open the evaluator's sheet (locks it) and go to declaration or scoring (into
        `opening` when that scoring screen is drawn already)."""
        from bid_panel.core.session import ScoringSession
        from bid_panel.tui.screens.scoring import ScoringScreen

        try:
            check_owner(self.workspace, evaluator_id, "score")
            session = ScoringSession(self.workspace, evaluator_id)
        except BidPanelError as exc:
            say(self, str(exc), title="Cannot open sheet", severity="error", timeout=10)
            return False
        self.close_session()
        self.session = session
        self.sub_title = (
            f"{self.workspace.tender.reference} · {session.evaluator.name} · "
            f"{session.evaluator.role} evaluator"
        )
        if session.declared or session.sealed:
            if opening is not None:
                opening.show_session(session)
            else:
                self.push_screen(ScoringScreen(session))
            return True
        from bid_panel.tui.screens.declaration import DeclarationScreen

        if opening is not None:
            self.switch_screen(DeclarationScreen(session))
        else:
            self.push_screen(DeclarationScreen(session))
        return True

    def close_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        if self.moderation is not None:
            self.moderation.close()
            self.moderation = None

    # ------------------------------------------------------------------ moderator flow
    def _mount_moderation(self) -> None:
        """--as MODERATOR, else the panel's only moderator, else a pick list."""
        from bid_panel.core.panel import Role
        from bid_panel.tui.screens.moderator_pick import ModeratorPickScreen

        moderators = [e.id for e in self.workspace.panel.of_role(Role.MODERATOR)]
        chosen = self.initial_evaluator or (moderators[0] if len(moderators) == 1 else None)
        self.push_screen(ModeratorPickScreen())
        if chosen:
            self.start_moderation(chosen)

    def start_moderation(self, moderator_id: str) -> bool:
        """Open the moderation record (locks it) and go to readiness, or to the matrix when
        moderation is already open."""
        from bid_panel.tui.cached_moderation import CachedModerationSession
        from bid_panel.tui.screens.readiness import ReadinessScreen

        try:
            check_owner(self.workspace, moderator_id, "moderate")
            session = CachedModerationSession(self.workspace, moderator_id)
        except BidPanelError as exc:
            say(self, str(exc), title="Cannot open moderation", severity="error", timeout=10)
            return False
        self.close_session()
        self.moderation = session
        self.sub_title = f"{self.workspace.tender.reference} · {session.moderator.name} · moderator"
        readiness = ReadinessScreen(session)
        self.push_screen(readiness)
        if session.state.opened is not None:
            readiness.action_matrix()
        return True

    def action_help(self) -> None:
        from bid_panel.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        unsaved = self.save_pending()
        if unsaved:
            self._confirm_quit_losing(unsaved)
            return
        self._leave()

    def _leave(self) -> None:
        self.close_session()
        self.exit(0)

    def _confirm_quit_losing(self, unsaved: list[str]) -> None:
        """Something typed could not be saved (disk full, read-only share): stay open, and
        quit only if the person says so, knowing what is lost."""
        from bid_panel.tui.dialogs.confirm import ConfirmDialog

        if isinstance(self.screen, ConfirmDialog) and self.screen.title_text == QUIT_TITLE:
            return  # already asking

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self._leave()

        say(
            self,
            "Not quitting: " + "; ".join(unsaved) + ".",
            title="Not saved",
            severity="error",
            timeout=10,
        )
        self.push_screen(
            ConfirmDialog(
                QUIT_TITLE,
                "Your work could not be saved, so bid_panel is staying open. Copy the text "
                "somewhere safe or free the disk, then try again (ctrl+q). Quitting now "
                "loses it.",
                unsaved,
                "Quit and lose it",
            ),
            answered,
        )

    def save_pending(self) -> list[str]:
        """Let every screen with unsaved input save it (the autosave timer may not have
        run). Returns what could not be saved, in words (empty when everything is)."""
        unsaved: list[str] = []
        for screen in self.screen_stack:
            save = getattr(screen, "save_pending", None)
            if save is not None:
                unsaved += save() or []
        return unsaved

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every binding of the current screen is also a command-palette entry."""
        yield from super().get_system_commands(screen)
        seen: set[tuple[str, str]] = set()
        for _key, active in screen.active_bindings.items():
            binding = active.binding
            # One entry per action and description: the digit keys are one "Score".
            entry = (binding.action.split("(")[0], binding.description)
            if not binding.description or entry in seen:
                continue
            if screen.check_action(binding.action, ()) is False:
                continue
            seen.add(entry)
            action = binding.action
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"Key: {active.binding.key_display or binding.key}",
                lambda action=action, node=active.node: self.call_later(
                    self.run_action, action, node
                ),
            )
        extra = getattr(screen, "palette_commands", None)
        if extra is not None:
            yield from extra()

    def on_unmount(self) -> None:
        self.close_session()


def create_app(
    workspace: Path | None = None, evaluator: str | None = None, mode: str = "score"
) -> BidPanelApp:
    """Build the app for a workspace (the user's sample workspace when None).

    mode "score": a panel member (`evaluator` opens their sheet, after the first frame);
    "moderate": the procurement lead (`evaluator` is the moderator id; without it the
    panel's only moderator, or a pick list); "audit": the auditor's read-only view (opens
    even a workspace that fails checks)."""
    if mode == "audit" and workspace is not None:
        from bid_panel.tui.screens.audit import audit_app

        return audit_app(workspace)
    is_sample = workspace is None
    root = sample_workspace() if workspace is None else workspace
    if mode == "score" and evaluator is not None and is_slug(evaluator):
        return BidPanelApp(root, evaluator, is_sample=is_sample, mode=mode)
    from bid_panel.core.workspace import load_workspace

    return BidPanelApp(load_workspace(root), evaluator, is_sample=is_sample, mode=mode)


def run_app(workspace: Path | None, evaluator: str | None, mode: str = "score") -> int:
    app = create_app(workspace, evaluator, mode)
    if evaluator and isinstance(app, BidPanelApp) and mode in ("score", "moderate"):
        # Refused before anything is drawn: a sheet held elsewhere, or someone else's.
        refuse_if_locked(app.root, evaluator, mode)
        refuse_if_not_owner(app.root, evaluator, mode)
    result = app.run()
    if isinstance(app, BidPanelApp) and app.failure is not None:
        raise app.failure
    return int(result or 0)


def refuse_if_locked(root: Path, evaluator: str, mode: str) -> None:
    """`--as X` while another window holds X's sheet (or the moderation record): raise
    SheetLocked, naming the holder, before drawing a TUI that could do nothing; the CLI
    prints it and exits 2. (A lock taken after this check is still refused by the app.)"""
    from bid_panel.core.atomic import FileLock

    path = root / MODERATION_FILE if mode == "moderate" else sheet_path(root, evaluator)
    lock = FileLock(path)
    if lock.path.exists():  # a holder creates it: no lock file, no holder
        lock.acquire()
        lock.release()


def refuse_if_not_owner(root: Path, evaluator: str, mode: str) -> None:
    """`--as X` without X's key: raise NotTheOwner before drawing (read from the raw panel
    file, as the models load after the first frame; the app asks again once they have)."""
    from bid_panel.core.signing import NotTheOwner, owner_refusal_in

    refusal = owner_refusal_in(root, evaluator, moderator=mode == "moderate")
    if refusal is not None:
        raise NotTheOwner(refusal)


def check_owner(workspace: Workspace, evaluator_id: str, mode: str) -> None:
    """Refuse (NotTheOwner) to open another person's sheet or moderation record without their
    key, when the panel lists one (the core's rule, `signing.require_owner`). Unknown ids
    are left to the session, which names the panel."""
    from bid_panel.core.panel import Role
    from bid_panel.core.signing import require_owner

    evaluator = workspace.panel.by_id.get(evaluator_id)
    if evaluator is None or (evaluator.role is Role.MODERATOR) != (mode == "moderate"):
        return  # not theirs to open in this mode at all: the session says why
    require_owner(evaluator, "moderation record" if mode == "moderate" else "sheet")
