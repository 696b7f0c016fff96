"""Snapshot tests of the panel member's screens, at one fixed size.

Regenerate on purpose with `pytest tests/tui/test_snapshots.py --snapshot-update` and review
the SVGs in the diff.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from bid_panel.tui.app import create_app

from .conftest import SIZE
from .helpers import settle


async def _steady(pilot) -> None:
    for editor in pilot.app.screen.query(TextArea):
        editor.cursor_blink = False
    await pilot.pause()


def test_declaration_screen(snap_compare, workspace_dir: Path) -> None:
    app = create_app(workspace_dir, "amara-okafor")

    async def run_before(pilot) -> None:
        await settle(pilot)  # the sheet opens after the first frame
        await pilot.press("n", "n")  # two bidders declared, the rest still to do
        await _steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_scoring_screen_after_one_score(snap_compare, workspace_dir: Path) -> None:
    app = create_app(workspace_dir, "amara-okafor")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("a", "s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        pilot.app.screen.query_one("#justification", TextArea).insert(
            "Named DCS with two ILACS inspections led; referees named in paragraph three."
        )
        await pilot.press("escape")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
