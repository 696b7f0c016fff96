"""The procurement lead's flow, driven by keys: readiness, opening, the matrix, moderating
items, accepting agreed items, signing, results; then the record is read back through the
core. Plus one snapshot of the matrix and one of the results screen.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, Static, TextArea

from bid_panel.core import clock
from bid_panel.core.errors import SheetLocked
from bid_panel.core.evaluation import evaluate
from bid_panel.core.ledger import check_chain
from bid_panel.core.moderation import (
    ItemState,
    ModerationSession,
    gate,
    item_state,
    moderation_items,
    moderation_state,
    read_moderation,
)
from bid_panel.core.panel import Role
from bid_panel.core.sample import init_workspace
from bid_panel.core.workspace import load_workspace
from bid_panel.tui.app import DATA_DIR_ENV, create_app
from bid_panel.tui.dialogs.attendance import AttendanceDialog
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.moderate_item import ModerateItemDialog
from bid_panel.tui.dialogs.reason import ReasonDialog
from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen
from bid_panel.tui.screens.moderator_pick import ModeratorPickScreen
from bid_panel.tui.screens.readiness import ReadinessScreen
from bid_panel.tui.screens.results import ResultsScreen
from bid_panel.tui.widgets.gate_bar import GateBar
from bid_panel.tui.widgets.scale_picker import keys_for, typed_text
from tests.tui.helpers import screen_text, settle

SIZE = (120, 40)
START = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
REASON = "The panel agreed the tender evidences this with named staff and dated outcomes, "
REASONS = {
    ItemState.TO_DISCUSS: REASON + "after discussing the spread between the evaluators.",
    ItemState.TO_MODERATE: REASON + "so the small difference was settled on the evidence.",
}
MARKUP_NAME = "Apex [bold]Care[/] Leadership Ltd"


class Tick:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("sample") / "ws", with_sample_scores=True)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    clock.set_clock(Tick())
    yield
    clock.set_clock(None)


@pytest.fixture
def copy_sample(sample_template: Path, tmp_path: Path, env: None) -> Callable[..., Path]:
    """A private copy of the sample; `with_record=False` deletes its moderation record."""

    def make(*, with_record: bool = False) -> Path:
        target = tmp_path / "ws"
        shutil.copytree(sample_template, target, ignore=shutil.ignore_patterns("*.lock"))
        if not with_record:
            (target / "moderation.yaml").unlink()
        return target

    return make


def gate_text(app) -> str:
    return str(app.screen.query_one(GateBar).render())


def agenda_item(app) -> tuple[str, str]:
    agenda = app.screen.query_one("#agenda", DataTable)
    key = agenda.coordinate_to_cell_key(agenda.cursor_coordinate).row_key.value
    bidder, _, criterion = key.partition("/")
    return (bidder, criterion)


async def go_to(pilot, item: tuple[str, str]) -> None:
    agenda = pilot.app.screen.query_one("#agenda", DataTable)
    agenda.focus()
    agenda.move_cursor(row=agenda.get_row_index(f"{item[0]}/{item[1]}"))
    await pilot.pause()


async def moderate(pilot, value, reason: str, *, typed: bool = False) -> None:
    """On the matrix: enter, a digit for the value, tab to the reason, write it, ctrl+s.

    The reason is typed key by key when `typed`; otherwise inserted into the focused text
    area at once (the same widget and events, a hundred times faster)."""
    await pilot.press("enter")
    assert isinstance(pilot.app.screen, ModerateItemDialog)
    await pilot.press(*keys_for(value))
    await pilot.press("tab")
    editor = pilot.app.focused
    assert isinstance(editor, TextArea)
    if typed:
        await pilot.press(*reason)
    else:
        editor.insert(reason)
        await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.pause()


async def open_moderation(pilot) -> None:
    await pilot.press("o")
    assert isinstance(pilot.app.screen, AttendanceDialog)
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ModerationMatrixScreen)


# --------------------------------------------------------------------------- end to end


async def test_the_procurement_lead_moderates_the_sample_end_to_end(copy_sample) -> None:
    root = copy_sample()
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen)
        assert "PROVISIONAL" in gate_text(app)
        assert "moderation has not started" in gate_text(app)
        assert "Every assigned sheet is submitted" in screen_text(app)
        await open_moderation(pilot)

        session = app.moderation
        items = session.items()
        flagged = [i for i, s in items.items() if s.flagged]
        assert flagged and list(items)[: len(flagged)] == flagged  # flagged first
        # 1. Every flagged item is discussed: the lowest individual score, a reason.
        for item in flagged:
            await go_to(pilot, item)
            assert agenda_item(app) == item
            value = min(items[item].values, key=str)
            await moderate(pilot, value, REASONS[ItemState.TO_DISCUSS])
            assert isinstance(app.screen, ModerationMatrixScreen), f"{item} not recorded"
            assert session.state.current[item].value == value
        assert "flagged item(s) not yet moderated" not in gate_text(app)

        # 2. Everything all evaluators agree on, in one action (with a reason each).
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()

        # 3. The small disagreements left, one by one.
        left = [i for i in items if i not in session.state.current]
        assert left
        for item in left:
            assert item_state(items[item], None) is ItemState.TO_MODERATE
            await go_to(pilot, item)
            await moderate(pilot, items[item].values[0], REASONS[ItemState.TO_MODERATE])
        # Every item settled: only the moderator's signature stands between them and FINAL.
        assert "PROVISIONAL" in gate_text(app)
        assert "moderation record not signed" in gate_text(app)
        assert gate_text(app).count("not signed") == 1, "said once, not twice"

        # 4. Sign, then read the results.
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert session.state.signed is not None
        assert "FINAL" in gate_text(app)
        await pilot.press("r")
        await app.workers.wait_for_complete()  # the results are computed in a worker
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        text = screen_text(app)
        assert "Final results" in text
        assert "The leading bid " in text
        assert "Winning margin" in text
        await pilot.press("escape")
        assert isinstance(app.screen, ModerationMatrixScreen)
        await pilot.press("ctrl+q")

    # Read the record back through the core.
    workspace = load_workspace(root)
    state = moderation_state(workspace)
    assert state.problems == []
    assert gate(workspace, state).final
    assert evaluate(workspace).final
    record = read_moderation(workspace)
    assert check_chain(record.header, record.events) == []
    assert [e.type for e in record.events][:1] == ["opened"]
    assert record.events[-1].type == "signed"
    assert state.opened.present == [e.id for e in workspace.panel.evaluators]
    for item, scores in moderation_items(workspace, state).items():
        entry = state.current[item]
        if scores.flagged:
            assert (entry.basis, entry.reason) == ("discussed", REASONS[ItemState.TO_DISCUSS])
        elif scores.unanimous:
            assert entry.basis == "accepted_agreement"
            assert "independently" in entry.reason
        else:
            assert entry.reason == REASONS[ItemState.TO_MODERATE]
        assert entry.sheet_seals == {e: workspace.states()[e].seal for e in entry.individual}
    # The lock went with the app: the record opens again.
    with ModerationSession(workspace, "fiona-marsh"):
        pass


async def test_a_re_moderated_item_shows_both_entries(copy_sample) -> None:
    root = copy_sample()
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_moderation(pilot)
        tables = (
            app.screen.query_one("#matrix", DataTable),
            app.screen.query_one("#agenda", DataTable),
        )
        item = agenda_item(app)
        scores = app.moderation.items()[item]
        values = sorted(set(scores.values), key=str)
        await moderate(pilot, values[0], REASONS[ItemState.TO_DISCUSS])
        await go_to(pilot, item)
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, ModerateItemDialog)
        assert len(dialog.query("#history Static")) == 1
        await pilot.press("escape")
        await moderate(pilot, values[-1], "On review " + REASONS[ItemState.TO_MODERATE])
        await go_to(pilot, item)
        await pilot.press("enter")
        history = [str(s.render()) for s in app.screen.query("#history Static")]
        assert len(history) == 2
        assert "superseded" in history[0] and REASONS[ItemState.TO_DISCUSS] in history[0]
        assert "current" in history[1] and "On review" in history[1]
        await pilot.press("escape")
        agenda = app.screen.query_one("#agenda", DataTable)
        row = agenda.get_row(f"{item[0]}/{item[1]}")
        assert str(row[-1]) == "moderated ×2"
        # Updated in place: the same tables, the same rows, the cell now shows the consensus.
        assert agenda is tables[1] and agenda.row_count == len(app.moderation.items())
        matrix = app.screen.query_one("#matrix", DataTable)
        assert matrix is tables[0]
        assert str(matrix.get_cell(item[0], f"c:{item[1]}")).endswith(f"✓ {values[-1]}")
        await pilot.press("ctrl+q")
    state = moderation_state(load_workspace(root))
    first, second = state.history[item]
    assert second.supersedes == first.seq
    assert (first.value, second.value) == (values[0], values[-1])


async def test_the_dialog_refuses_a_short_reason_and_an_off_scale_key(copy_sample) -> None:
    root = copy_sample()
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_moderation(pilot)
        item = agenda_item(app)
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, ModerateItemDialog)
        starts = {typed_text(v)[0] for v in dialog.values}
        off_scale = next(d for d in "0123456789" if d not in starts)
        await pilot.press(off_scale)
        assert dialog.value is None
        chosen = dialog.values[1]
        await pilot.press(*keys_for(chosen), "tab", *"Agreed.", "ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        problems = str(dialog.query_one("#moderate-problems", Static).render())
        assert "at least 60 characters (7 so far)" in problems
        assert item not in app.moderation.state.current
        # escape leaves the text; escape again would cancel, but typed text is not thrown
        # away without asking.
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("tab", "end", *" The clinic model in section 3 of the tender decided it.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ModerationMatrixScreen)
        await pilot.press("ctrl+q")
    state = moderation_state(load_workspace(root))
    assert [e.type for e in read_moderation(load_workspace(root)).events] == [
        "opened",
        "consensus",
    ]
    assert state.current[item].value == chosen
    assert state.current[item].reason == (
        "Agreed. The clinic model in section 3 of the tender decided it."
    )


async def test_a_missing_sheet_is_withdrawn_with_a_reason_before_opening(copy_sample) -> None:
    root = copy_sample()
    (root / "sheets" / "carys-evans.yaml").unlink()
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReadinessScreen)
        assert "Waiting for: Carys Evans" in screen_text(app)
        assert screen.check_action("open_moderation", ()) is None  # shown, disabled
        await pilot.press("o")
        assert app.screen is screen
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("carys-evans"))
        await pilot.press("w")
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"Too short", "ctrl+s")
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(
            "ctrl+a",
            *"Carys Evans is on long-term leave; the panel agreed to continue without her.",
            "ctrl+s",
        )
        await pilot.pause()
        assert app.screen is screen
        assert str(table.get_row("carys-evans")[3]) == "withdrawn"
        await open_moderation(pilot)
        assert "carys-evans" not in app.moderation.state.opened.sheet_seals
        await pilot.press("ctrl+q")
    state = moderation_state(load_workspace(root))
    assert list(state.withdrawn) == ["carys-evans"]


async def test_several_moderators_pick_their_name(copy_sample) -> None:
    root = copy_sample(with_record=True)
    panel = root / "panel.yaml"
    panel.write_text(
        panel.read_text(encoding="utf-8")
        + "  - id: george-ode\n    name: George Ode (Deputy Procurement Lead)\n"
        "    role: moderator\n",
        encoding="utf-8",
    )
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModeratorPickScreen)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        await pilot.press("enter")
        await pilot.pause()
        # The sample record is open already: straight to the matrix, as Fiona Marsh.
        assert isinstance(app.screen, ModerationMatrixScreen)
        assert app.moderation.moderator.id == "fiona-marsh"
        assert "FINAL" in gate_text(app)
        await pilot.press("ctrl+q")


async def test_a_second_window_is_refused_while_the_record_is_open(copy_sample) -> None:
    root = copy_sample(with_record=True)
    workspace = load_workspace(root)
    with ModerationSession(workspace, "fiona-marsh"):
        app = create_app(root, mode="moderate")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ModeratorPickScreen)
            assert app.moderation is None
            assert any("open elsewhere" in str(n.message) for n in app._notifications)
            await pilot.press("ctrl+q")
    with (
        pytest.raises(SheetLocked),
        ModerationSession(workspace, "fiona-marsh"),
        ModerationSession(workspace, "fiona-marsh"),
    ):
        pass


async def test_bid_text_is_shown_as_typed_never_as_markup(copy_sample) -> None:
    root = copy_sample()
    bid = root / "bids" / "apex-care-leadership.yaml"
    bid.write_text(
        bid.read_text(encoding="utf-8").replace(
            "name: Apex Care Leadership Ltd", f'name: "{MARKUP_NAME}"', 1
        ),
        encoding="utf-8",
    )
    panel = root / "panel.yaml"
    panel.write_text(
        panel.read_text(encoding="utf-8")
        .replace("name: Carys Evans (Lay member", 'name: "[b]Carys[/] Evans (Lay member', 1)
        .replace("Corporate Parenting Board)", 'Corporate Parenting Board)"', 1),
        encoding="utf-8",
    )
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_moderation(pilot)
        assert "[b]Carys[/]" in screen_text(app)
        item = next(i for i in app.moderation.items() if i[0] == "apex-care-leadership")
        await go_to(pilot, item)
        await pilot.press("enter")
        assert MARKUP_NAME in str(app.screen.query_one("#moderate-title", Static).render())
        assert "[b]Carys[/] Evans" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("r")
        await app.workers.wait_for_complete()  # the results are computed in a worker
        await pilot.pause()
        assert MARKUP_NAME in screen_text(app)
        await pilot.press("ctrl+q")


async def test_the_moderator_never_sees_an_evaluator_screen_and_price_is_not_moderated(
    copy_sample,
) -> None:
    root = copy_sample()
    app = create_app(root, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_moderation(pilot)
        price = {c.id for c in app.moderation.tender.price_criteria}
        agenda = app.screen.query_one("#agenda", DataTable)
        keys = [k.value for k in agenda.rows]
        assert keys and not any(k.split("/")[1] in price for k in keys)
        matrix = app.screen.query_one("#matrix", DataTable)
        assert not {c.value for c in matrix.columns} & {f"c:{p}" for p in price}
        await pilot.press("ctrl+q")


# --------------------------------------------------------------------------- snapshots


def _prepare_matrix(root: Path) -> None:
    """Open moderation and settle a few items through the core, at fixed times."""
    workspace = load_workspace(root)
    moderator = workspace.panel.of_role(Role.MODERATOR)[0].id
    with ModerationSession(workspace, moderator) as session:
        session.open([e.id for e in workspace.panel.evaluators])
        items = session.items()
        first = next(iter(items))
        session.agree(first, Decimal(5), REASONS[ItemState.TO_DISCUSS], session.present_for(first))
        session.accept_agreed()


def test_snapshot_of_the_moderation_matrix(copy_sample, snap_compare) -> None:
    root = copy_sample()
    _prepare_matrix(root)
    clock.set_clock(lambda: START)
    assert snap_compare(create_app(root, mode="moderate"), terminal_size=SIZE)


def test_snapshot_of_the_results_screen(copy_sample, snap_compare) -> None:
    root = copy_sample(with_record=True)
    clock.set_clock(lambda: START)

    async def results_computed(pilot) -> None:
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = create_app(root, mode="moderate")
    assert snap_compare(app, terminal_size=SIZE, run_before=results_computed)
