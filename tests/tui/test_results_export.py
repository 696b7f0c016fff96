"""Exporting from the results screen: a worker writes the files, nothing blocks the screen."""

from __future__ import annotations

from pathlib import Path

from bid_panel.core.sample import init_workspace
from bid_panel.tui.app import create_app
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.export import ExportDialog
from bid_panel.tui.screens.results import ResultsScreen

from .conftest import SIZE
from .helpers import settle


async def test_export_from_the_results_screen_writes_every_format(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws", with_sample_scores=True)
    app = create_app(workspace, "fiona-marsh", mode="moderate")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()  # the results are computed in a worker
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
    written = sorted(p.name for p in (workspace / "exports").iterdir())
    assert "CS-2026-014-evaluation.xlsx" in written
    assert "CS-2026-014-ocds-release-package.json" in written
    assert sum(name.startswith("CS-2026-014-summary-") for name in written) == 10


async def test_a_refused_export_is_explained_and_writes_nothing(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws", with_sample_scores=True)
    (workspace / "moderation.yaml").unlink()  # provisional results: no summaries, no OCDS
    app = create_app(workspace, "fiona-marsh", mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ResultsScreen(app.workspace))
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert "summaries" in dialog.refused and "ocds" in dialog.refused
        dialog.query_one("SelectionList").select_all()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.title_text == "Export refused"
    assert not (workspace / "exports").exists()
