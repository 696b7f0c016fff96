"""Typing a score: one mapping (`ValueTyping`) for the scoring screen and the moderation
dialog, on a 0-10 scale (where 1 starts both 1 and 10) and on a scale with 2.5 (where 2
starts both 2 and 2.5). Verdicts stay 1 = pass / compliant, 0 = fail / non-compliant.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList

from bid_panel.core.errors import Findings
from bid_panel.core.moderation import ModerationSession, moderation_state
from bid_panel.core.panel import Role
from bid_panel.core.sheet import SHEET, read_state
from bid_panel.core.workspace import load_workspace
from bid_panel.tui.app import create_app
from bid_panel.tui.dialogs.moderate_item import ModerateItemDialog
from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen
from bid_panel.tui.screens.scoring import ScoringScreen
from bid_panel.tui.widgets import scale_picker
from bid_panel.tui.widgets.scale_picker import ScalePicker, ValueTyping, keys_for

from .conftest import SIZE
from .helpers import replace_in, score_and_submit_every_sheet, settle, widget_text

QUALITY = "amara-okafor"
TEN = "training-curriculum"  # on the 0-10 scale below
HALVES = "dcs-track-record"  # on 0/1/2/2.5/3/4/5
WAIT = scale_picker.TYPE_WINDOW + 0.4

ZERO_TO_TEN = "\n".join(
    f"      - value: {v}\n        label: Level {v}\n        descriptor: Level {v} of ten."
    for v in range(11)
)


def with_awkward_scales(root: Path) -> None:
    """The sample tender, before any scoring, with the impact scale made 0-10 and 2.5 added
    to the quality scale."""
    tender = root / "tender.yaml"
    text = tender.read_text(encoding="utf-8")
    start = text.index("  - id: impact-0-2-5-8-10")
    end = text.index("\ncriteria:")
    text = (
        text[:start]
        + "  - id: impact-0-2-5-8-10\n    name: Impact 0-10\n    values:\n"
        + ZERO_TO_TEN
        + "\n"
        + text[end:]
    )
    tender.write_text(text, encoding="utf-8")
    replace_in(
        tender,
        "      - value: 3\n        label: Satisfactory",
        "      - value: 2.5\n        label: Limited to satisfactory\n"
        "        descriptor: Between limited and satisfactory.\n"
        "      - value: 3\n        label: Satisfactory",
    )


@pytest.fixture
def awkward(workspace_dir: Path) -> Path:
    with_awkward_scales(workspace_dir)
    assert load_workspace(workspace_dir).findings.ok
    return workspace_dir


# --------------------------------------------------------------------------- the mapping


class FakeTimer:
    def __init__(self, callback) -> None:
        self.callback = callback
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class FakeOwner:
    def __init__(self) -> None:
        self.timers: list[FakeTimer] = []

    def set_timer(self, _delay: float, callback) -> FakeTimer:
        self.timers.append(FakeTimer(callback))
        return self.timers[-1]

    def fire(self) -> None:
        live = [t for t in self.timers if not t.stopped]
        assert len(live) == 1, "exactly one value waits"
        live[0].stop()
        live[0].callback()


def typing(values: list[Decimal | str]) -> tuple[ValueTyping, FakeOwner, list, list, list]:
    owner = FakeOwner()
    picked: list = []
    refused: list = []
    pending: list = []
    typed = ValueTyping(
        owner,  # type: ignore[arg-type]
        lambda value, context: picked.append((value, context)),
        refused.append,
        pending.append,
    )
    typed.reset(values, "item")
    return typed, owner, picked, refused, pending


TEN_VALUES = [Decimal(v) for v in range(11)]
HALF_VALUES = [Decimal(v) for v in ("0", "1", "2", "2.5", "3", "4", "5")]


def test_one_then_zero_is_ten_and_nothing_is_picked_on_the_way() -> None:
    typed, _, picked, refused, pending = typing(TEN_VALUES)
    typed.press("1")
    assert picked == [] and pending == ["1"]
    typed.press("0")
    assert picked == [(Decimal(10), "item")] and refused == []
    assert typed.typed == ""


def test_one_alone_settles_as_one_when_the_time_is_up() -> None:
    typed, owner, picked, _, _ = typing(TEN_VALUES)
    typed.press("1")
    owner.fire()
    assert picked == [(Decimal(1), "item")]


def test_a_digit_that_cannot_continue_settles_the_first_and_starts_again() -> None:
    typed, _, picked, _, _ = typing(TEN_VALUES)
    typed.press("1")
    typed.press("5")  # no value starts "15": 1, then 5
    assert picked == [(Decimal(1), "item"), (Decimal(5), "item")]


def test_digits_that_start_one_value_only_pick_at_once() -> None:
    typed, owner, picked, _, _ = typing(TEN_VALUES)
    for digit in "23456789":
        typed.press(digit)
    assert [v for v, _ in picked] == [Decimal(d) for d in "23456789"]
    assert all(t.stopped for t in owner.timers)


def test_two_point_five_and_two() -> None:
    typed, owner, picked, _, pending = typing(HALF_VALUES)
    typed.press("2")
    typed.press(".")
    typed.press("5")
    assert picked == [(Decimal("2.5"), "item")]
    assert pending == ["2", "2.", ""]
    typed.press("2")
    owner.fire()
    assert picked[-1] == (Decimal(2), "item")
    typed.press("2")
    typed.press(".")
    owner.fire()  # "2." can only become 2.5
    assert picked[-1] == (Decimal("2.5"), "item")


def test_off_scale_keys_are_refused_with_the_allowed_values() -> None:
    typed, _, picked, refused, _ = typing(HALF_VALUES)
    typed.press("7")
    assert picked == []
    assert refused == ["7 is not on this scale. Allowed: 0 / 1 / 2 / 2.5 / 3 / 4 / 5"]


def test_a_value_settles_on_the_item_it_was_typed_for() -> None:
    typed, _, picked, _, _ = typing(TEN_VALUES)
    typed.press("1")
    typed.reset(TEN_VALUES, "next item")  # the cursor moved on before the time was up
    assert picked == [(Decimal(1), "item")]


def test_verdicts_keep_one_for_pass_and_zero_for_fail() -> None:
    typed, _, picked, _, _ = typing(["pass", "fail"])
    typed.press("1")
    typed.press("0")
    assert [v for v, _ in picked] == ["pass", "fail"]
    typed.reset(["compliant", "non_compliant"])
    typed.press("0")
    assert picked[-1][0] == "non_compliant"
    assert keys_for("pass") == ["1"] and keys_for(Decimal("2.5")) == ["2", "full_stop", "5"]


# --------------------------------------------------------------------------- scoring screen


async def go_to(pilot, screen: ScoringScreen, criterion: str, skip: int = 0) -> None:
    """To the `skip`+1-th item of `criterion` in the work list."""
    while True:
        if screen.current[1] == criterion:
            if skip == 0:
                return
            skip -= 1
        await pilot.press("ctrl+n")  # works from the justification too
        await pilot.pause()


def score_events(root: Path, item: tuple[str, str]) -> list:
    record = SHEET.read(root / "sheets" / f"{QUALITY}.yaml", Findings())
    assert record is not None
    return [e for e in record.events if e.type == "score" and (e.bidder, e.criterion) == item]


async def test_scoring_on_a_zero_to_ten_scale(awkward: Path) -> None:
    app = create_app(awkward, QUALITY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("a", "s", "y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        await go_to(pilot, screen, TEN)
        picker = screen.query_one(ScalePicker)
        prompts = widget_text(picker)
        assert " 10 Level 10" in prompts and "  1 Level 1" in prompts  # the key beside each
        first = screen.current
        await pilot.press("1", "0")
        await pilot.pause()
        assert screen.session.entry(first).value == 10
        assert [e.value for e in score_events(awkward, first)] == [10], "no stray 1 first"

        await go_to(pilot, screen, TEN, skip=1)
        second = screen.current
        await pilot.press("escape", "1")  # a score picked moves to the justification: leave it
        await pilot.pause()
        assert screen.session.entry(second) is None  # waiting: it may become 10
        assert picker.border_subtitle.startswith("1… · 0 for 10")
        await pilot.pause(WAIT)
        assert screen.session.entry(second).value == 1
        assert [e.value for e in score_events(awkward, second)] == [1]

        await go_to(pilot, screen, TEN, skip=1)
        third = screen.current
        await pilot.press("escape")  # leave the justification for the work list
        await pilot.press("1", "n")  # moving on settles it on its own item
        await pilot.pause()
        assert screen.current != third
        assert screen.session.entry(third).value == 1
        await pilot.press("ctrl+q")


async def test_scoring_on_a_scale_with_two_point_five(awkward: Path) -> None:
    app = create_app(awkward, QUALITY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("a", "s", "y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        await go_to(pilot, screen, HALVES)
        item = screen.current
        assert "2.5 Limited to satisfactory" in widget_text(screen.query_one(ScalePicker))
        await pilot.press(*keys_for(Decimal("2.5")))
        await pilot.pause()
        assert screen.session.entry(item).value == Decimal("2.5")
        await pilot.press("escape", "2")
        await pilot.pause(WAIT)
        assert screen.session.entry(item).value == 2
        await pilot.press("escape", "4")  # starts nothing else: at once
        await pilot.pause()
        assert screen.session.entry(item).value == 4
        await pilot.press("escape", "7")
        await pilot.pause()
        assert screen.session.entry(item).value == 4
        assert any("7 is not on this scale" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
    assert read_state(awkward / "sheets" / f"{QUALITY}.yaml").scores[item].value == 4


async def test_the_gate_is_still_one_for_pass_and_zero_for_fail(awkward: Path) -> None:
    app = create_app(awkward, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", "s", "y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        await go_to(pilot, screen, "safeguarding-compliance")
        prompts = widget_text(screen.query_one(ScalePicker))
        assert "1 Pass" in prompts and "0 Fail" in prompts
        await pilot.press("0")
        await pilot.pause()
        assert screen.session.entry(screen.current).value == "fail"
        await pilot.press("escape", "1")
        await pilot.pause()
        assert screen.session.entry(screen.current).value == "pass"
        await pilot.press("ctrl+q")


# --------------------------------------------------------------------------- moderation


@pytest.fixture
def moderated(awkward: Path) -> Path:
    score_and_submit_every_sheet(awkward)
    workspace = load_workspace(awkward)
    moderator = workspace.panel.of_role(Role.MODERATOR)[0].id
    with ModerationSession(workspace, moderator) as session:
        session.open([e.id for e in workspace.panel.evaluators])
    return awkward


async def open_item(pilot, item: tuple[str, str]) -> ModerateItemDialog:
    agenda = pilot.app.screen.query_one("#agenda", DataTable)
    agenda.focus()
    agenda.move_cursor(row=agenda.get_row_index(f"{item[0]}/{item[1]}"))
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, ModerateItemDialog)
    return dialog


async def test_the_moderation_dialog_types_values_the_same_way(moderated: Path) -> None:
    app = create_app(moderated, mode="moderate")
    reason = (
        "The panel agreed: the bid's named trainers and its dated outcomes for social "
        "workers earned this score."
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModerationMatrixScreen)
        ten = ("northshire-council", TEN)
        dialog = await open_item(pilot, ten)
        await pilot.press("1", "0")
        await pilot.pause()
        assert dialog.value == 10
        await pilot.press("1")
        await pilot.pause()
        assert dialog.value == 10  # still waiting: 1 or 10?
        assert dialog.query_one("#consensus-values", OptionList).border_subtitle.startswith("1…")
        await pilot.pause(WAIT)
        assert dialog.value == 1
        await pilot.press("escape")
        await pilot.pause()

        half = ("northshire-council", HALVES)
        dialog = await open_item(pilot, half)
        await pilot.press(*keys_for(Decimal("2.5")), "tab")
        await pilot.pause()
        assert dialog.value == Decimal("2.5")
        app.focused.insert(reason)  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ModerationMatrixScreen)

        gate = ("northshire-council", "safeguarding-compliance")
        dialog = await open_item(pilot, gate)
        assert "0 Fail" in widget_text(dialog.query_one("#consensus-values", OptionList))
        await pilot.press("0")
        await pilot.pause()
        assert dialog.value == "fail"
        await pilot.press("escape")
        await pilot.press("ctrl+q")
    state = moderation_state(load_workspace(moderated))
    assert state.current[half].value == Decimal("2.5")
