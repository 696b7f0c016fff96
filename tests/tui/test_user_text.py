"""User text is shown as typed on every screen, never read as markup.

Textual reads a plain `str` as content markup in border titles, DataTable cells, option
prompts and `notify()` messages: a bidder named `Northshire [/]` crashed the audit view
with a MarkupError, `[UK]` silently vanished, and exporting to a folder named `exports [/]`
wrote the files, then crashed on the notification. Each test below puts such text in a
bidder's name, a scale's name, a panel member's name or a folder, walks the screens that
show it, and asserts the exact text is drawn.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from bid_panel.core.sample import init_workspace
from bid_panel.core.signing import sample_public_key
from bid_panel.tui.app import create_app
from bid_panel.tui.dialogs.export import ExportDialog
from bid_panel.tui.dialogs.moderate_item import ModerateItemDialog
from bid_panel.tui.screens.audit import AuditScreen
from bid_panel.tui.screens.declaration import DeclarationScreen
from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen
from bid_panel.tui.screens.results import ResultsScreen
from bid_panel.tui.screens.scoring import ScoringScreen
from bid_panel.tui.screens.welcome import WelcomeScreen

from .conftest import SIZE
from .helpers import bidder_file, rendered_text, replace_in, screen_text, settle

NORTHSHIRE = "Northshire [/] [UK]"
"""`[/]` alone crashed the audit view; `[UK]` vanished (read as a style)."""
KINFIELD = "[bold]Kin[/]field"
SCALE = "Quality [bold]0-5[/]"
CARYS = "[b]Carys[/] Evans"
AMARA = "Amara [UK] Okafor"


def rename_everything(root: Path) -> None:
    replace_in(
        bidder_file(root, "northshire-council"),
        "name: Northshire County Council",
        f'name: "{NORTHSHIRE}"',
    )
    replace_in(
        bidder_file(root, "kinfield-childrens-trust"),
        "name: Kinfield Children's Trust",
        f'name: "{KINFIELD}"',
    )
    panel = root / "panel.yaml"
    replace_in(
        panel,
        "name: Carys Evans (Lay member, Corporate Parenting Board)",
        f'name: "{CARYS} (Lay member)"',
    )
    replace_in(
        panel,
        "name: Amara Okafor (Head of Safeguarding and Quality Assurance)",
        f'name: "{AMARA} (Head of Safeguarding)"',
    )


@pytest.fixture(scope="module")
def markup_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_workspace(tmp_path_factory.mktemp("markup") / "ws", with_sample_scores=True)
    rename_everything(root)  # names are not hashed into the sheets: they still verify
    return root


@pytest.fixture
def scored(markup_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(markup_template, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


def no_markup_notifications(app) -> None:
    """Every notification is plain text (a `[/]` in it would crash the toast)."""
    assert all(not n.markup for n in app._notifications)


# --------------------------------------------------------------------------- scoring


async def test_names_and_scale_show_as_typed_through_scoring(workspace_dir: Path) -> None:
    rename_everything(workspace_dir)
    replace_in(workspace_dir / "tender.yaml", "name: Quality 0-5", f'name: "{SCALE}"')
    app = create_app(workspace_dir, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        shown = rendered_text(app)
        assert NORTHSHIRE in shown and KINFIELD in shown and AMARA in shown
        app.screen.query_one("#panel-list", OptionList).highlighted = 0  # Amara
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeclarationScreen)
        shown = rendered_text(app)
        assert NORTHSHIRE in shown and KINFIELD in shown
        await pilot.press("a", "s", "y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        while screen.current[0] != "northshire-council":
            await pilot.press("n")
        await pilot.pause()
        shown = rendered_text(app)
        assert f"{NORTHSHIRE} (council) — DCS track record" in shown
        assert f"─ {SCALE} ─" in shown  # the scale picker's border title
        assert "Work list" in shown and NORTHSHIRE in screen_text(app)
        await pilot.press("3")
        await pilot.pause()
        assert screen.session.entry(screen.current).value == 3
        no_markup_notifications(app)
        await pilot.press("ctrl+q")


async def test_a_price_evaluator_sees_bidder_names_as_typed_in_the_price_table(
    workspace_dir: Path,
) -> None:
    """The price preview is a Markdown table built from bidder names: `*`, `|` and `[`
    in a name are shown, not read as emphasis, a column or a link."""
    name = "Kin*field* | [UK] Trust_"
    replace_in(
        bidder_file(workspace_dir, "kinfield-childrens-trust"),
        "name: Kinfield Children's Trust",
        f'name: "{name}"',
    )
    app = create_app(workspace_dir, "david-price")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", "s", "y")
        await pilot.pause()
        assert isinstance(app.screen, ScoringScreen)
        shown = rendered_text(app)
        assert name in shown
        await pilot.press("ctrl+q")


async def test_an_error_naming_a_folder_with_brackets_is_shown_not_parsed(
    workspace_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal to open someone else's sheet names the keys folder: `keys [/]` here."""
    monkeypatch.setenv("BID_PANEL_CONFIG_DIR", str(tmp_path / "keys [/]"))
    replace_in(
        workspace_dir / "panel.yaml",
        f"public_key: {sample_public_key('amara-okafor')}",
        f"public_key: {sample_public_key('somebody-else')}",
    )
    rename_everything(workspace_dir)
    app = create_app(workspace_dir, "amara-okafor")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        [note] = [n for n in app._notifications if n.title == "Cannot open sheet"]
        assert f"this sheet belongs to {AMARA};" in note.message
        assert "keys [/]" in note.message
        no_markup_notifications(app)
        assert "keys [/]" in rendered_text(app)  # the toast is drawn: no crash
        await pilot.press("ctrl+q")


# --------------------------------------------------------------------------- moderation


async def test_names_show_as_typed_through_moderation_and_results(scored: Path) -> None:
    (scored / "moderation.yaml").unlink()
    app = create_app(scored, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ModerationMatrixScreen)
        shown = rendered_text(app)
        assert "[b]Carys[/]" in shown  # the agenda's column and the matrix's title
        assert NORTHSHIRE in shown and KINFIELD in shown
        item = next(i for i in app.moderation.items() if i[0] == "northshire-council")
        agenda = app.screen.query_one("#agenda")
        agenda.move_cursor(row=agenda.get_row_index(f"{item[0]}/{item[1]}"))
        await pilot.pause()
        assert NORTHSHIRE in str(app.screen.query_one("#item-detail", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ModerateItemDialog)
        shown = rendered_text(app)
        assert f"{NORTHSHIRE} — " in shown
        assert f"─ {CARYS} ─" in shown  # the column of her score: a border title
        await pilot.press("escape")
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        shown = screen_text(app)
        assert NORTHSHIRE in shown and KINFIELD in shown
        no_markup_notifications(app)
        await pilot.press("ctrl+q")


async def test_exporting_to_a_folder_named_with_brackets(scored: Path, tmp_path: Path) -> None:
    """Exporting to `exports [/]` wrote the files, then crashed (exit 70) on the message."""
    out = tmp_path / "exports [/]"
    app = create_app(scored, "fiona-marsh", mode="moderate")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#out-dir", Input).value = str(out)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        [note] = [n for n in app._notifications if n.title == "Exported"]
        assert re.fullmatch(rf"Wrote \d+ file\(s\) to {re.escape(str(out))}", note.message)
        assert not note.markup
        assert "exports [/]" in rendered_text(app)
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert any(out.glob("*.xlsx"))


# --------------------------------------------------------------------------- audit


async def test_names_show_as_typed_in_the_auditors_view(scored: Path) -> None:
    app = create_app(scored, mode="audit")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await pilot.press("2")
        files = [t.file for t in screen.timelines]
        carys = next(i for i, f in enumerate(files) if f.endswith("carys-evans.yaml"))
        screen.query_one("#people", OptionList).highlighted = carys
        await pilot.pause()
        assert f"{CARYS} (Lay member): sheets/carys-evans.yaml" in rendered_text(app)
        await pilot.press("3")
        bids = [t.bidder for t in screen.trails.bids]
        north = bids.index("northshire-council")
        screen.query_one("#bids", OptionList).highlighted = north
        await pilot.pause()
        shown = rendered_text(app)
        assert f"─ {NORTHSHIRE} (council)" in shown  # the trail's border title
        assert KINFIELD in shown  # the bid list
        await pilot.press("ctrl+q")


# --------------------------------------------------------------------------- the rule


def test_no_screen_calls_notify_or_sets_a_title_from_an_fstring_directly() -> None:
    """Every notification goes through `tui.text.say` (markup off); every border title made
    from text goes through `plain()`. A new call that forgets would bring the crash back."""
    root = Path(__file__).parents[2] / "src" / "bid_panel" / "tui"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "text.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ".notify(" in line or re.search(r"border_(sub)?title = f[\"']", line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
