"""Two processes on the same record: the second refuses clearly, naming the holder.

Through the core (`ScoringSession` raises `SheetLocked`), through the command line (`bid-panel
score WS --as X` prints the message and exits 2 instead of opening a TUI that could do
nothing; the same for `bid-panel moderate --as`), and through the TUI (picking a locked
evaluator on the welcome screen says why and stays there).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bid_panel.core.errors import SheetLocked
from bid_panel.core.session import ScoringSession
from bid_panel.core.workspace import load_workspace
from tests.hardening.support import minimal_workspace, tree_snapshot
from tests.tui.helpers import settle

DRIVER = Path(__file__).with_name("crash_driver.py")


@contextmanager
def held_by_another_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """Run `crash_driver.py ARGS` until it holds its lock; release it afterwards."""
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.communicate("", timeout=30)
    assert process.returncode == 0


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    return minimal_workspace(tmp_path / "ws")


def test_a_second_process_on_the_same_sheet_is_refused_naming_the_holder(
    workspace_dir: Path,
) -> None:
    sheet = workspace_dir / "sheets" / "ann.yaml"
    with held_by_another_process("hold", str(workspace_dir), "ann") as holder:
        before = sheet.read_bytes()
        with pytest.raises(SheetLocked) as refused:
            ScoringSession(load_workspace(workspace_dir), "ann")
        message = str(refused.value)
        assert f"ann.yaml is open elsewhere (pid {holder.pid} on {socket.gethostname()})" in (
            message
        )
        assert "Close the other bid_panel window first" in message
        assert sheet.read_bytes() == before
        # Another evaluator's sheet is not affected.
        with ScoringSession(load_workspace(workspace_dir), "bob"):
            pass
    with ScoringSession(load_workspace(workspace_dir), "ann"):  # released with the process
        pass


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bid_panel", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home), "BID_PANEL_DATA_DIR": str(home / "data")},
    )


def test_bid_panel_score_as_a_locked_evaluator_says_so_and_exits_2(
    workspace_dir: Path, tmp_path: Path
) -> None:
    with held_by_another_process("hold", str(workspace_dir), "ann") as holder:
        before = tree_snapshot(workspace_dir)
        done = _cli("score", str(workspace_dir), "--as", "ann", home=tmp_path / "home")
        assert tree_snapshot(workspace_dir) == before
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.startswith(
        f"bid-panel: ann.yaml is open elsewhere (pid {holder.pid} on {socket.gethostname()})."
    )
    assert "Close the other bid_panel window first" in done.stderr
    assert done.stdout == ""  # no TUI was drawn


def test_bid_panel_moderate_as_the_moderator_while_the_record_is_held_exits_2(
    workspace_dir: Path, tmp_path: Path
) -> None:
    record = workspace_dir / "moderation.yaml"
    with held_by_another_process("lock", str(record)) as holder:
        done = _cli("moderate", str(workspace_dir), "--as", "mo", home=tmp_path / "home")
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert f"moderation.yaml is open elsewhere (pid {holder.pid} on " in done.stderr
    assert done.stdout == ""


async def test_the_tui_says_who_holds_the_sheet_and_stays_on_the_welcome_screen(
    workspace_dir: Path,
) -> None:
    from bid_panel.tui.app import create_app
    from bid_panel.tui.screens.welcome import WelcomeScreen

    with held_by_another_process("hold", str(workspace_dir), "ann") as holder:
        app = create_app(workspace_dir, "ann")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, WelcomeScreen)
            assert app.session is None
            [note] = [n for n in app._notifications if n.title == "Cannot open sheet"]
            assert f"ann.yaml is open elsewhere (pid {holder.pid} on " in note.message
            assert note.severity == "error"
