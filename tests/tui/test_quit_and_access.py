"""Quitting never silently loses typed work; nobody opens another member's sheet.

1. A justification that cannot be saved when the person quits (disk full, a read-only
   share) keeps the app open with the text in the editor, says why, and quits only if they
   confirm they will lose it.
2. When the panel lists a public key for a member, their sheet (and the moderator's record)
   opens only for a user whose config folder holds the matching private key: the core's
   `signing.owner_refusal`, asked by the welcome screen, `--as` and the app alike.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList, TextArea

from bid_panel.core import signing
from bid_panel.core.errors import BidPanelError
from bid_panel.core.sheet import read_state
from bid_panel.tui.app import QUIT_TITLE, create_app
from bid_panel.tui.dialogs.confirm import ConfirmDialog
from bid_panel.tui.dialogs.moderate_item import ModerateItemDialog
from bid_panel.tui.screens.declaration import DeclarationScreen
from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen
from bid_panel.tui.screens.moderator_pick import ModeratorPickScreen
from bid_panel.tui.screens.readiness import ReadinessScreen
from bid_panel.tui.screens.scoring import ScoringScreen
from bid_panel.tui.screens.welcome import WelcomeScreen

from .conftest import SIZE
from .helpers import rendered_text, replace_in, screen_text, settle

QUALITY = "amara-okafor"
DRAFT = "Draft: the bid names its DCS and two referees; check the Ofsted dates"


async def start_scoring(pilot) -> ScoringScreen:
    await pilot.pause()
    await pilot.press("a", "s", "y")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ScoringScreen)
    return screen


def refuse_to_save(monkeypatch: pytest.MonkeyPatch, screen: ScoringScreen) -> None:
    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise BidPanelError(f"could not save {screen.session.path}: the disk is full")

    monkeypatch.setattr(screen.session, "set_score", full_disk)


# --------------------------------------------------------------------------- quitting


async def test_quit_is_cancelled_when_the_justification_cannot_be_saved(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await start_scoring(pilot)
        item = screen.current
        editor = screen.query_one("#justification", TextArea)
        await pilot.press("e")
        editor.insert(DRAFT)
        refuse_to_save(monkeypatch, screen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code is None, "still running"
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.title_text == QUIT_TITLE
        assert any("is not saved; it is still in the editor" in i for i in dialog.items)
        [note] = [n for n in app._notifications if n.message.startswith("Not quitting")]
        assert "disk is full" in str(screen.query_one("#save-status").render())
        assert note.severity == "error"
        await pilot.press("n")  # stay
        await pilot.pause()
        assert app.screen is screen
        assert editor.text == DRAFT
        # The disk has room again: quitting saves the text, then quits.
        monkeypatch.undo()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    state = read_state(workspace_dir / "sheets" / f"{QUALITY}.yaml")
    assert state.scores[item].justification == DRAFT


async def test_quit_anyway_loses_only_what_the_person_chose_to_lose(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_scoring(pilot)
        await pilot.press("e")
        screen.query_one("#justification", TextArea).insert(DRAFT)
        refuse_to_save(monkeypatch, screen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("ctrl+q")  # asked once, not twice
        await pilot.pause()
        assert len([s for s in app.screen_stack if isinstance(s, ConfirmDialog)]) == 1
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    assert read_state(workspace_dir / "sheets" / f"{QUALITY}.yaml").scores == {}


async def test_quitting_with_an_unrecorded_consensus_reason_asks_first(
    scored_workspace_dir: Path,
) -> None:
    app = create_app(scored_workspace_dir, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ModerationMatrixScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ModerateItemDialog)
        await pilot.press("tab", *"The panel agreed on the evidence")
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.title_text == QUIT_TITLE
        assert "is not recorded (ctrl+s records it)" in dialog.items[0]
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ModerateItemDialog)
        await pilot.press("escape", "escape", "y")  # leave the text, discard it
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_moving_on_when_the_text_cannot_be_saved_stays_on_the_item(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await start_scoring(pilot)
        item = screen.current
        editor = screen.query_one("#justification", TextArea)
        await pilot.press("e")
        editor.insert(DRAFT)
        await pilot.pause()
        refuse_to_save(monkeypatch, screen)
        await pilot.press("ctrl+n")  # next item
        await pilot.pause()
        assert screen.current == item and editor.text == DRAFT
        await pilot.press("escape", "down")  # the work list's cursor
        await pilot.pause()
        assert screen.current == item and editor.text == DRAFT
        status = str(screen.query_one("#save-status").render())
        assert status.startswith("NOT SAVED: could not save") and "disk is full" in status
        monkeypatch.undo()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.current != item
        assert screen.session.entry(item).justification == DRAFT
        await pilot.press("ctrl+q")


# --------------------------------------------------------------------------- whose sheet


def list_key(root: Path, evaluator: str, public_key: str) -> None:
    replace_in(
        root / "panel.yaml",
        f"public_key: {signing.sample_public_key(evaluator)}",
        f"public_key: {public_key}",
    )


def someone_elses_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evaluator: str) -> str:
    """A real key made on another account (another config folder): its public half only."""
    monkeypatch.setenv(signing.CONFIG_DIR_ENV, str(tmp_path / "their-account"))
    _, public_key = signing.create_key(evaluator)
    monkeypatch.setenv(signing.CONFIG_DIR_ENV, str(tmp_path / "config"))
    return public_key


async def test_a_sheet_listed_with_a_key_does_not_open_without_it(
    workspace_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    list_key(workspace_dir, QUALITY, someone_elses_key(tmp_path, monkeypatch, QUALITY))
    app = create_app(workspace_dir, None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        welcome = app.screen
        assert isinstance(welcome, WelcomeScreen)
        assert "Amara Okafor (Head of Safeguarding and Quality Assurance)" in screen_text(app)
        assert "key not here" in rendered_text(app)
        welcome.query_one("#panel-list", OptionList).highlighted = 0  # Amara
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is welcome and app.session is None
        [note] = [n for n in app._notifications if n.title == "Cannot open sheet"]
        assert note.message.startswith(
            "this sheet belongs to Amara Okafor; open it on Amara Okafor's account, where "
            "their key is (`bid-panel keys init --as amara-okafor` makes it"
        )
        # Another member without a listed key of their own here: the sample's public key.
        welcome.query_one("#panel-list", OptionList).highlighted = 1  # Ben Hartley
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeclarationScreen)
        assert app.session is not None and app.session.evaluator.id == "ben-hartley"
        await pilot.press("ctrl+q")
    assert not (workspace_dir / "sheets" / f"{QUALITY}.yaml").exists(), "nothing written"


async def test_the_owner_with_their_key_opens_their_sheet(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, public_key = signing.create_key(QUALITY)  # in this account's config folder
    list_key(workspace_dir, QUALITY, public_key)
    app = create_app(workspace_dir, QUALITY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DeclarationScreen)
        assert "key not here" not in screen_text(app)
        await pilot.press("ctrl+q")


async def test_the_moderation_record_needs_the_moderators_key(
    scored_workspace_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    list_key(scored_workspace_dir, "fiona-marsh", someone_elses_key(tmp_path, monkeypatch, "f"))
    app = create_app(scored_workspace_dir, mode="moderate")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModeratorPickScreen)
        assert app.moderation is None
        [note] = [n for n in app._notifications if n.title == "Cannot open moderation"]
        assert note.message.startswith("this moderation record belongs to Fiona Marsh;")
        await pilot.press("ctrl+q")
    # ... and with the key, it opens.
    shutil.copytree(tmp_path / "their-account", tmp_path / "config", dirs_exist_ok=True)
    (tmp_path / "config" / "keys" / "f.pem").rename(tmp_path / "config" / "keys" / "default.pem")
    app = create_app(scored_workspace_dir, mode="moderate")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen | ModerationMatrixScreen)
        await pilot.press("ctrl+q")
