"""Pilot tests: a panel member's whole flow through the scoring screens."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import TextArea

from bid_panel.core.errors import Findings
from bid_panel.core.ledger import check_chain
from bid_panel.core.session import ItemStatus, ScoringSession
from bid_panel.core.sheet import SHEET, read_state
from bid_panel.core.workspace import load_workspace
from bid_panel.tui.app import create_app
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.conflict import ConflictDialog
from bid_panel.tui.screens.declaration import DeclarationScreen
from bid_panel.tui.screens.help import HelpScreen
from bid_panel.tui.screens.scoring import ScoringScreen
from bid_panel.tui.screens.welcome import WelcomeScreen
from bid_panel.tui.widgets.scale_picker import TYPE_WINDOW, keys_for
from bid_panel.tui.widgets.work_list import WorkList

from .conftest import SIZE
from .helpers import screen_text, settle

QUALITY = "amara-okafor"
PRICE = "david-price"
CHARITY = "kinfield-childrens-trust"


def bid_specific_justification(session: ScoringSession, item: tuple[str, str]) -> str:
    """A justification that points to the bid: it quotes the bid's own words."""
    words = session.response(item).split()[:18] or ["price", "lines", "checked"]
    return "The bid says: " + " ".join(words) + " — which is what earned this score."


async def declare_none(pilot) -> None:
    await pilot.press("a", "s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmDialog)
    await pilot.press("y")
    await pilot.pause()


async def score_current(pilot, screen: ScoringScreen, *, typed: bool = False) -> None:
    """Score the current item with the top allowed value, then write a justification."""
    item = screen.current
    assert item is not None
    value = screen.session.allowed_values(item)[-1]
    await pilot.press(*keys_for(value))
    await pilot.pause()
    editor = screen.query_one("#justification", TextArea)
    assert screen.focused is editor, "picking a score moves to the justification"
    text = bid_specific_justification(screen.session, item)
    if typed:
        await pilot.press(*list(text.replace(" ", "")[:5]))  # real keys reach the editor
        editor.clear()
    editor.insert(text)
    await pilot.pause()


async def test_declare_score_every_item_and_submit(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DeclarationScreen)
        await declare_none(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        items = screen.session.items()
        assert len(items) == len(screen.session.bidders) * len(screen.session.leaves)
        for index, _ in enumerate(items):
            await score_current(pilot, screen, typed=index == 0)
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert screen.session.progress() == (len(items), len(items))
        await pilot.press("escape", "s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.title_text == "Submit your scores?"
        await pilot.press("y")
        await pilot.pause()
        assert screen.session.sealed
        assert screen.query_one("#justification", TextArea).read_only

    path = workspace_dir / "sheets" / f"{QUALITY}.yaml"
    record = SHEET.read(path, Findings())
    assert record is not None
    assert check_chain(record.header, record.events) == []
    state = read_state(path)
    assert state.sealed
    assert set(state.scores) == set(items)
    assert all(len(e.justification) >= 60 for e in state.scores.values())
    assert load_workspace(workspace_dir).findings.ok


async def test_opening_as_a_member_reads_only_their_sheet(scored_workspace_dir: Path) -> None:
    """`--as X` goes straight to X's sheet: no welcome screen beneath, and the others'
    sheets are not read (a broken one does not even stop X from opening theirs)."""
    (scored_workspace_dir / "sheets" / "ben-hartley.yaml").write_text("events: [", "utf-8")
    app = create_app(scored_workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ScoringScreen)
        assert not any(isinstance(s, WelcomeScreen) for s in app.screen_stack)
        assert list(app.workspace.sheets) == [QUALITY]
        assert not app.workspace.all_sheets
        await pilot.press("ctrl+q")


async def test_a_member_who_cannot_open_falls_back_to_the_whole_panel(
    scored_workspace_dir: Path,
) -> None:
    """Opening X's sheet failed, so the welcome screen lists the panel: it reads every
    sheet then, and a broken one closes the app with the reason (the CLI prints it)."""
    (scored_workspace_dir / "sheets" / "ben-hartley.yaml").write_text("events: [", "utf-8")
    app = create_app(scored_workspace_dir, "nobody-here")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 2
    assert app.failure is not None and "ben-hartley.yaml" in str(app.failure)


async def test_the_screen_draws_before_the_sheet_opens() -> None:
    """`--as X`: the scoring screen's first frame says which sheet is opening, its scoring
    keys do nothing yet, and it asks the app to open the sheet only after that frame."""
    from textual.app import App

    asked: list[ScoringScreen] = []

    class Opening(App[None]):
        def on_mount(self) -> None:
            self.push_screen(ScoringScreen(opening=QUALITY))

        def open_own_sheet(self, screen: ScoringScreen) -> None:
            asked.append(screen)

    app = Opening()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen) and asked == [screen]
        assert f"Opening the score sheet of {QUALITY}" in screen_text(app)
        assert screen.desk is None and screen.current is None
        assert screen.check_action("next_item", ()) is False
        await pilot.press("n", "3", "s")  # nothing to act on: no error
        assert screen.save_pending() == []


async def test_a_workspace_with_errors_closes_the_app_with_them(workspace_dir: Path) -> None:
    """Found after the first frame (the workspace loads then): the app closes and the CLI
    prints the located errors and exits 2, as before anything was drawn."""
    tender = workspace_dir / "tender.yaml"
    tender.write_text(tender.read_text(encoding="utf-8") + "\nunexpected: [\n", "utf-8")
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 2
    assert app.failure is not None and "tender.yaml" in str(app.failure)
    assert not (workspace_dir / "sheets").exists(), "nothing written"


async def test_conflict_recuses_the_evaluator_from_that_bid(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        declaration = app.screen
        assert isinstance(declaration, DeclarationScreen)
        bidders = declaration.session.undeclared
        for _ in range(bidders.index(CHARITY)):
            await pilot.press("down")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConflictDialog)
        app.screen.query_one(TextArea).insert("I am a trustee of the charity.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await declare_none(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        assert screen.session.state.recused == {CHARITY}
        option_ids = [
            screen.query_one(WorkList).get_option_at_index(i).id
            for i in range(screen.query_one(WorkList).option_count)
        ]
        assert not any(CHARITY in (oid or "") for oid in option_ids)
        # The slug is never displayed anyway: the charity's name must not be either, on
        # any item of the work list.
        charity = screen.session.bid(CHARITY).bidder.name
        assert charity == "Kinfield Children's Trust"
        for _ in screen.session.items():
            assert charity not in screen_text(app)
            await pilot.press("n")
            await pilot.pause()
    state = read_state(workspace_dir / "sheets" / f"{QUALITY}.yaml")
    assert state.declarations[CHARITY].conflict
    assert state.declarations[CHARITY].note == "I am a trustee of the charity."
    assert all(item[0] != CHARITY for item in state.scores)


async def test_resume_after_quitting_mid_way(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await declare_none(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        for _ in range(3):
            await score_current(pilot, screen)
            await pilot.press("ctrl+n")
            await pilot.pause()
        third = screen.session.items()[2]
        # Half-typed justification on the 4th item: quitting must not lose it.
        await pilot.press("e")
        screen.query_one("#justification", TextArea).insert("Draft note on the fourth item")
        await pilot.pause()
        fourth = screen.current
        await pilot.press("ctrl+q")
        await pilot.pause()

    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen), "declarations are not asked twice"
        assert screen.current == fourth
        assert screen.query_one("#justification", TextArea).text == "Draft note on the fourth item"
        assert screen.session.status(third) is ItemStatus.DONE
        assert screen.session.progress()[0] == 3


async def test_submission_refused_while_an_item_is_incomplete(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await declare_none(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        await score_current(pilot, screen)
        await pilot.press("escape", "s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.title_text == "Not ready to submit"
        assert any("no score" in item for item in dialog.items)
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.session.sealed
    assert not read_state(workspace_dir / "sheets" / f"{QUALITY}.yaml").sealed


async def test_off_scale_digit_is_refused_on_a_non_contiguous_scale(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await declare_none(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        while screen.session.criterion(screen.current).id != "training-curriculum":
            await pilot.press("n")
        await pilot.press("3")  # 0/2/5/8/10: 3 is not allowed
        await pilot.pause()
        assert screen.session.entry(screen.current) is None
        assert any("3 is not on this scale" in n.message for n in app._notifications)
        await pilot.press("1")  # the only value starting with 1 is 10: once the wait is over
        await pilot.pause(TYPE_WINDOW + 0.4)
        assert str(screen.session.entry(screen.current).value) == "10"


def price_needles(workspace_dir: Path) -> list[str]:
    """Text that only the price envelopes contain: totals and notes. (The formula is part of
    the published method, which every evaluator may read.)"""
    workspace = load_workspace(workspace_dir)
    needles = ["Price envelope", "Price scores"]
    for bid in workspace.bids.values():
        assert bid.price is not None
        total = bid.price.total
        needles += [f"{total:,}", f"{total:,.0f}", str(total), f"{total:.0f}"]
        if bid.price.notes.strip():
            needles.append(bid.price.notes.strip().splitlines()[0][:40])
    return needles


async def test_quality_evaluator_never_sees_price_text(workspace_dir: Path) -> None:
    needles = price_needles(workspace_dir)
    seen: list[str] = []
    app = create_app(workspace_dir, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        seen.append(screen_text(app))
        panel = app.screen.query_one("#panel-list")
        panel.highlighted = 0  # amara-okafor, a quality evaluator
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeclarationScreen)
        seen.append(screen_text(app))
        await pilot.press("a", "s")
        await pilot.pause()
        seen.append(screen_text(app))
        await pilot.press("y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        assert screen.session.evaluator.role == "quality"
        for _ in screen.session.items():
            seen.append(screen_text(app))
            await pilot.press("n")
            await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        seen.append(screen_text(app))
        await pilot.press("escape", "s")
        await pilot.pause()
        seen.append(screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        # The command palette: every action by name. Searching "price" finds nothing that
        # shows a price, and running what it finds shows none either.
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"price")
        await pilot.pause(0.5)
        seen.append(screen_text(app))
        found = app.screen.query_one(CommandList)
        for index in range(found.option_count):
            seen.append(str(found.get_option_at_index(index).prompt))
        if found.option_count:
            await pilot.press("enter")
            await pilot.pause()
            seen.append(screen_text(app))
        if isinstance(app.screen, CommandPalette):
            await pilot.press("escape")
            await pilot.pause()
        seen.append(screen_text(app))
        assert not isinstance(app.screen, CommandPalette)
        assert app.session is not None and app.session.evaluator.id == QUALITY
    text = "\n".join(seen)
    leaks = [n for n in needles if n in text]
    assert leaks == []
    # Nor the price evaluator's preview table: its heading, its columns, its note.
    for preview in (
        "Price scores, formula",
        "| Bidder | Price | Points |",
        "Provisional: computed",
    ):
        assert preview not in text


async def test_price_evaluator_sees_prices_and_the_formula(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, PRICE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await declare_none(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        text = screen_text(app)
        bid = screen.session.bid(screen.current[0])
        assert f"{bid.price.total:,}" in text
        assert "W x Pmin / P" in text
        await pilot.press("1")  # compliant
        await pilot.pause()
        assert screen.session.entry(screen.current).value == "compliant"


async def test_bid_text_with_markup_is_shown_as_typed(workspace_dir: Path) -> None:
    bid_file = next((workspace_dir / "bids").glob("apex*.yaml"))
    text = bid_file.read_text(encoding="utf-8")
    bid_file.write_text(
        text.replace("Apex Care Leadership Ltd", "Apex [bold]Care[/] Leadership Ltd [/]", 1),
        encoding="utf-8",
    )
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Apex [bold]Care[/] Leadership Ltd [/]" in screen_text(app)
        await declare_none(pilot)
        assert "Apex [bold]Care[/] Leadership Ltd [/]" in screen_text(app)


async def test_command_palette_lists_the_screen_actions(workspace_dir: Path) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await declare_none(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Next", "Prev", "Justify", "Score", "Submit", "Help"} <= titles
