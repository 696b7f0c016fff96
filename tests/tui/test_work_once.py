"""Work done once per state of the records, not once per key or cursor move; slow work off
the UI thread. Each test counts the calls of the expensive core function and checks that
what is shown is still the core's answer.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from bid_panel.core import exports as exports_module
from bid_panel.core import justification, moderation
from bid_panel.core import session as session_module
from bid_panel.core.moderation import ModerationSession, gate, moderation_items
from bid_panel.core.session import ItemStatus, ScoringSession
from bid_panel.core.workspace import load_workspace
from bid_panel.tui.app import create_app
from bid_panel.tui.cached_moderation import CachedModerationSession
from bid_panel.tui.dialogs import moderate_item
from bid_panel.tui.dialogs.export import ExportDialog
from bid_panel.tui.dialogs.moderate_item import ModerateItemDialog
from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen
from bid_panel.tui.screens.results import ResultsScreen
from bid_panel.tui.widgets.scale_picker import keys_for

from .conftest import SIZE
from .helpers import settle

REASON = (
    "The panel agreed the tender evidences this with named staff and dated outcomes in "
    "paragraphs two to four."
)


class Counter:
    """Wraps a function and counts its calls."""

    def __init__(self, function) -> None:
        self.function = function
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


# --------------------------------------------------------------------------- scoring


def test_item_status_is_checked_once_per_entry(workspace_dir: Path, monkeypatch) -> None:
    check = Counter(justification.check_restatement)
    monkeypatch.setattr(session_module, "check_restatement", check)
    with ScoringSession(load_workspace(workspace_dir), "amara-okafor") as session:
        for bidder in session.bidders:
            session.declare(bidder, conflict=False)
        items = session.items()
        first = items[0]
        session.set_score(first, Decimal(3), "The bid names its DCS: " + "evidence " * 8)
        check.calls = 0
        for _ in range(5):  # what a screen asks on every keystroke
            session.progress()
            session.status(first)
            session.restatement(first)
        assert check.calls == 1  # the one item with an entry, once
        before = session.status(first)
        session.set_score(first, Decimal(3), "Scored")  # a new entry: checked again
        assert session.status(first) is ItemStatus.NEEDS_JUSTIFICATION != before
        assert check.calls == 2
        # The cached answer is the same as a fresh computation.
        fresh = session._restatement(first, session.entry(first).justification)  # 3
        assert session.restatement(first) == fresh
        # A draft text is always checked as given, never from the cache.
        session.restatement(first, "other words")
        assert check.calls == 4


# --------------------------------------------------------------------------- moderation


@pytest.fixture
def opened(scored_workspace_dir: Path) -> Path:
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, "fiona-marsh") as session:
        session.open([e.id for e in workspace.panel.evaluators])
    return scored_workspace_dir


def test_the_cached_session_answers_as_the_core_after_every_change(opened: Path) -> None:
    workspace = load_workspace(opened)
    with CachedModerationSession(workspace, "fiona-marsh") as session:

        def same() -> None:
            assert session.items() == moderation_items(workspace, session.state)
            assert session.gate() == gate(workspace, session.state)
            assert session.to_accept() == ModerationSession.to_accept(session)

        same()
        item = next(iter(session.items()))
        value = session.items()[item].values[0]
        session.agree(item, value, REASON, session.present_for(item))
        same()
        session.accept_agreed()
        same()
        session.refresh_sheets()
        same()
        returned = session.items()
        returned.clear()  # a caller changing what it got changes nothing cached
        same()


async def test_moving_the_cursor_does_not_regather_the_sheets(opened: Path, monkeypatch) -> None:
    gathered = Counter(moderation.moderation_items)
    monkeypatch.setattr(moderation, "moderation_items", gathered)
    app = create_app(opened, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModerationMatrixScreen)
        agenda = screen.query_one("#agenda", DataTable)
        gathered.calls = 0
        for _ in range(12):
            await pilot.press("down")
        await pilot.pause()
        assert agenda.cursor_row == 12
        await pilot.press("tab", "right", "right", "down")  # the matrix; the agenda follows
        await pilot.pause()
        assert gathered.calls == 0
        # A change to the record: asked again, and the matrix shows the new state.
        await pilot.press("tab", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ModerateItemDialog)
        await pilot.press(*keys_for(dialog.scores.values[0]), "tab")
        app.focused.insert(REASON)  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen, str(dialog.query_one("#moderate-problems", Static).render())
        assert gathered.calls >= 1
        assert app.moderation.gate() == gate(app.moderation.workspace, app.moderation.state)
        await pilot.press("ctrl+q")


async def test_the_dialog_checks_the_reason_after_a_pause_not_on_every_key(
    opened: Path, monkeypatch
) -> None:
    app = create_app(opened, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ModerateItemDialog)
        asked = Counter(dialog.session.problems)
        monkeypatch.setattr(dialog.session, "problems", asked)
        await pilot.press(*keys_for(dialog.scores.values[0]))  # a value: checked at once
        assert asked.calls == 1
        await pilot.press("tab", *"The panel agreed the evidence")
        assert asked.calls <= 2, "typing is not checked key by key"
        await pilot.pause(moderate_item.CHECK_DELAY + 0.2)
        problems = str(dialog.query_one("#moderate-problems", Static).render())
        assert "(29 so far)" in problems  # and then it is: the status is up to date
        assert asked.calls <= 3
        await pilot.press("escape", "escape", "y", "ctrl+q")


# --------------------------------------------------------------------------- results


async def test_results_are_computed_in_a_worker_once_and_reused_for_the_export(
    opened: Path, monkeypatch, tmp_path: Path
) -> None:
    release = threading.Event()
    collected = Counter(exports_module.collect)

    def slow_collect(*args, **kwargs):
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return collected(*args, **kwargs)

    monkeypatch.setattr(exports_module, "collect", slow_collect)
    app = create_app(opened, mode="moderate")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.data is None
        assert screen.query_one("#results-body", VerticalScroll).loading
        assert screen.check_action("export", ()) is None  # shown, not yet usable
        await pilot.press("x")
        assert app.screen is screen
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.query_one("#results-body", VerticalScroll).loading
        assert screen.data is not None and collected.calls == 1
        assert "results" in str(screen.query_one("#headline", Static).render())
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert set(dialog.refused) == set(screen.refused)
        dialog.query_one("#out-dir").value = str(tmp_path / "out")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert collected.calls == 1, "the export wrote what the screen had computed"
        assert any((tmp_path / "out").iterdir())
        await pilot.press("ctrl+q")


async def test_leaving_the_results_while_they_are_computed(opened: Path, monkeypatch) -> None:
    release = threading.Event()
    collect = exports_module.collect

    def slow_collect(*args, **kwargs):
        release.wait(10)
        return collect(*args, **kwargs)

    monkeypatch.setattr(exports_module, "collect", slow_collect)
    app = create_app(opened, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        await pilot.press("escape")
        await pilot.pause()
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ModerationMatrixScreen)
        await pilot.press("ctrl+q")
    assert app.return_code == 0
