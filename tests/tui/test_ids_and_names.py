"""Ids are the tender's to choose: a criterion called `bid` or `total-price`, an evaluator
called `state`, a bidder called `criterion` must not collide with a table's own column or
row keys (DataTable raised DuplicateKey). A member recorded as present and later removed from
the panel file must not crash the readiness view. The welcome screen shows the core's
`panel_status`.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, OptionList

from bid_panel.core import signing
from bid_panel.core.moderation import ModerationSession, moderation_state
from bid_panel.core.session import ScoringSession
from bid_panel.core.workspace import load_workspace
from bid_panel.tui.app import create_app
from bid_panel.tui.dialogs.moderate_item import ModerateItemDialog
from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen
from bid_panel.tui.screens.readiness import ReadinessScreen
from bid_panel.tui.screens.results import ResultsScreen
from bid_panel.tui.screens.welcome import WelcomeScreen
from bid_panel.tui.widgets.scale_picker import keys_for

from .conftest import SIZE
from .helpers import replace_in, score_and_submit_every_sheet, settle, widget_text

RENAMED = {
    "training-curriculum": "bid",  # a matrix column is called "bid"
    "leadership-investment": "total-price",  # a row of the contributions table
    "carys-evans": "state",  # an agenda column
    "kinfield-childrens-trust": "criterion",  # a column of the contributions table
}
REASON = (
    "The panel agreed the bid's named trainers and dated outcomes for social workers "
    "earned this score."
)


def with_awkward_ids(root: Path) -> None:
    """The sample, before any scoring, with ids that are also the tables' own keys."""
    old = root / "bids" / "kinfield-childrens-trust.yaml"
    old.rename(root / "bids" / "criterion.yaml")
    files = [root / "tender.yaml", root / "panel.yaml", *sorted((root / "bids").glob("*.yaml"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for before, after in RENAMED.items():
            text = text.replace(before, after)
        path.write_text(text, encoding="utf-8")
    replace_in(
        root / "panel.yaml",
        signing.sample_public_key("carys-evans"),
        signing.sample_public_key("state"),  # the sample key of her new id
    )
    assert load_workspace(root).findings.ok


async def test_ids_that_are_also_table_keys(workspace_dir: Path) -> None:
    with_awkward_ids(workspace_dir)
    score_and_submit_every_sheet(workspace_dir)
    workspace = load_workspace(workspace_dir)
    with ModerationSession(workspace, "fiona-marsh") as session:
        session.open([e.id for e in workspace.panel.evaluators])
    app = create_app(workspace_dir, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModerationMatrixScreen)
        matrix = screen.query_one("#matrix", DataTable)
        agenda = screen.query_one("#agenda", DataTable)
        item = ("criterion", "bid")
        agenda.focus()
        agenda.move_cursor(row=agenda.get_row_index("criterion/bid"))
        await pilot.pause()
        assert screen.current == item
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ModerateItemDialog)
        value = dialog.values[-1]
        await pilot.press(*keys_for(value), "tab")
        app.focused.insert(REASON)  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert str(matrix.get_cell("criterion", "c:bid")).endswith(f"✓ {value}")
        assert "moderated" in str(agenda.get_row("criterion/bid")[-1])
        # The matrix's cursor on that cell is that item (not the bid column).
        matrix.focus()
        matrix.move_cursor(
            row=matrix.get_row_index("criterion"), column=matrix.get_column_index("c:bid")
        )
        await pilot.pause()
        assert screen.current == item
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        results = app.screen
        assert isinstance(results, ResultsScreen)
        contributions = results.query_one("#contributions", DataTable)
        assert contributions.get_row_index("c:total-price") >= 0
        assert contributions.get_row_index("total-price") >= 0
        assert contributions.get_column_index("b:criterion") >= 0
        await pilot.press("ctrl+q")
    assert moderation_state(load_workspace(workspace_dir)).current[item].value == value


async def test_a_member_present_at_opening_and_later_removed_from_the_panel(
    scored_workspace_dir: Path,
) -> None:
    root = scored_workspace_dir
    panel = root / "panel.yaml"
    extra = (
        "  - id: george-ode\n    name: George Ode (Deputy Procurement Lead)\n    role: moderator\n"
    )
    before = panel.read_text(encoding="utf-8")
    panel.write_text(before + extra, encoding="utf-8")
    workspace = load_workspace(root)
    with ModerationSession(workspace, "fiona-marsh") as session:
        session.open([e.id for e in workspace.panel.evaluators])  # George is present
    panel.write_text(before, encoding="utf-8")  # ... and then left the panel
    app = create_app(root, "fiona-marsh", mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModerationMatrixScreen)
        readiness = next(s for s in app.screen_stack if isinstance(s, ReadinessScreen))
        status = widget_text(readiness.query_one("#readiness-status"))
        assert "Present: Amara Okafor, Ben Hartley" in status
        assert status.count("george-ode") == 1  # named by id: the panel no longer has him
        await pilot.press("ctrl+q")


async def test_the_welcome_screen_shows_the_cores_panel_status(workspace_dir: Path) -> None:
    workspace = load_workspace(workspace_dir)
    with ScoringSession(workspace, "ben-hartley") as session:
        session.declare(session.bidders[0], conflict=False)
    app = create_app(workspace_dir, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        panel = widget_text(app.screen.query_one("#panel-list", OptionList))
        assert "quality evaluator · not started" in panel
        assert "quality evaluator · in progress" in panel
        assert "moderator" not in panel
        assert "Fiona" not in panel
        assert panel.count("\n  ") == 4  # four members who score
        await pilot.press("ctrl+q")


async def test_the_welcome_screen_shows_submitted_sheets(scored_workspace_dir: Path) -> None:
    app = create_app(scored_workspace_dir, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = widget_text(app.screen.query_one("#panel-list", OptionList))
        assert panel.count("evaluator · submitted") == 4
        await pilot.press("ctrl+q")
