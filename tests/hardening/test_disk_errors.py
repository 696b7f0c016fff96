"""A full disk or a read-only folder: a clear message, the last good file kept, and the
session carries on once the condition clears.

The failures are simulated where `atomic_write` meets the operating system (a write or an
fsync failing with ENOSPC, the temporary file or the rename refused with EACCES/EROFS),
through a stand-in for the `os` module seen by bid_panel.core.atomic only, so nothing else
in the process is affected. A real `chmod 0555` of the sheets folder is tested too, except
as root (root writes into read-only folders anyway).
"""

from __future__ import annotations

import errno
import os
import pathlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from bid_panel.core import atomic
from bid_panel.core.errors import BidPanelError, Findings
from bid_panel.core.ledger import check_chain
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import SHEET
from bid_panel.core.workspace import load_workspace, validate_paths
from tests.hardening.support import minimal_workspace, tree_snapshot
from tests.tui.helpers import settle

JUSTIFICATION = "Jo Smith's record at Northshire, inadequate to good, as the bid sets out."
FIRST = ("acme", "leadership")
SECOND = ("acme", "training")


class FakeOs(SimpleNamespace):
    """The real `os`, with a few functions replaced (only as bid_panel.core.atomic sees it)."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)


def _full_disk_on_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class FullDisk:
        """A file that takes the first bytes, then reports the disk full."""

        def __init__(self, fd: int, mode: str) -> None:
            self.file = real_fdopen(fd, mode)

        def write(self, data: bytes) -> int:
            self.file.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(self.file, name)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    monkeypatch.setattr(atomic, "os", FakeOs(fdopen=FullDisk))


def _full_disk_on_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "os", FakeOs(fsync=fsync))


def _read_only_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def open_(path: object, flags: int, *args: object) -> int:
        if flags & os.O_CREAT and str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic, "os", FakeOs(open=open_))


def _read_only_file_system_on_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(self: Path, target: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(pathlib.Path, "replace", replace)


FAILURES: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str]] = {
    "disk full while writing": (_full_disk_on_write, "the disk is full"),
    "disk full at fsync": (_full_disk_on_fsync, "the disk is full"),
    "read-only folder": (_read_only_folder, "the folder is read-only"),
    "read-only file system at the rename": (
        _read_only_file_system_on_rename,
        "the folder is read-only",
    ),
}


@pytest.fixture
def session(tmp_path: Path, fixed_clock: object) -> ScoringSession:
    workspace = minimal_workspace(tmp_path / "ws")
    opened = ScoringSession(load_workspace(workspace), "ann")
    for bidder in opened.bidders:
        opened.declare(bidder, conflict=False)
    opened.set_score(FIRST, Decimal(8), JUSTIFICATION)
    yield opened
    opened.close()


def assert_sheet_intact(session: ScoringSession) -> None:
    findings = Findings()
    record = SHEET.read(session.path, findings)
    assert record is not None, [str(f) for f in findings]
    assert check_chain(record.header, record.events) == []
    assert [e.hash for e in record.events] == [e.hash for e in session.events]


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_save_keeps_the_last_good_file_and_the_session_carries_on(
    failure: str, session: ScoringSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_it, why = FAILURES[failure]
    folder = session.path.parent
    before = tree_snapshot(folder)
    events = len(session.events)
    with monkeypatch.context() as patch:
        break_it(patch)
        with pytest.raises(BidPanelError) as refused:
            session.set_score(SECOND, Decimal(5), JUSTIFICATION)
        with pytest.raises(BidPanelError):  # and again: still nothing half-done
            session.set_score(FIRST, Decimal(2), JUSTIFICATION)
    message = str(refused.value)
    assert message.startswith(f"could not save {session.path}: {why}")
    assert "The last good copy of the file is unchanged" in message
    assert "Traceback" not in message
    # Byte-identical, no temporary file left, and the session did not count the save.
    assert tree_snapshot(folder) == before
    assert len(session.events) == events
    assert session.entry(SECOND) is None
    assert session.entry(FIRST).value == Decimal(8)
    assert_sheet_intact(session)

    # The condition clears: the same save now goes through, chained after the last good one.
    event = session.set_score(SECOND, Decimal(5), JUSTIFICATION)
    assert event is not None and event.seq == events + 1
    assert_sheet_intact(session)
    assert validate_paths([session.workspace.root]).ok


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_a_really_read_only_sheets_folder(session: ScoringSession) -> None:
    folder = session.path.parent
    before = tree_snapshot(folder)
    folder.chmod(0o555)
    try:
        with pytest.raises(BidPanelError, match="the folder is read-only"):
            session.set_score(SECOND, Decimal(5), JUSTIFICATION)
    finally:
        folder.chmod(0o755)
    assert tree_snapshot(folder) == before
    assert session.set_score(SECOND, Decimal(5), JUSTIFICATION) is not None
    assert_sheet_intact(session)


def test_a_session_cannot_start_in_a_read_only_folder_and_says_why(
    tmp_path: Path, fixed_clock: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    before = tree_snapshot(workspace)
    real_open = os.open

    def open_(path: object, flags: int, *args: object) -> int:
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    real_mkdir = pathlib.Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if self.name == "sheets":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(pathlib.Path, "mkdir", mkdir)
        with pytest.raises(BidPanelError, match=r"could not save .*ann\.yaml: the folder is"):
            ScoringSession(load_workspace(workspace), "ann")
    (workspace / "sheets").mkdir()
    before = tree_snapshot(workspace)
    with monkeypatch.context() as patch:
        patch.setattr(atomic, "os", FakeOs(open=open_))
        with pytest.raises(BidPanelError, match=r"could not save .*ann\.yaml\.lock: the folder"):
            ScoringSession(load_workspace(workspace), "ann")
    assert tree_snapshot(workspace) == before
    with ScoringSession(load_workspace(workspace), "ann") as session:  # and once it clears
        assert session.events == []


async def test_the_scoring_screen_says_not_saved_and_saves_once_the_disk_has_room(
    session: ScoringSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bid_panel.tui.app import create_app
    from bid_panel.tui.screens.scoring import ScoringScreen
    from bid_panel.tui.widgets.scale_picker import typed_text

    root = session.workspace.root
    session.close()
    monkeypatch.setenv("BID_PANEL_DATA_DIR", str(tmp_path / "data"))
    sheet = root / "sheets" / "ann.yaml"
    app = create_app(root, "ann")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScoringScreen)
        assert screen.current == FIRST
        before = sheet.read_bytes()
        with monkeypatch.context() as patch:
            _full_disk_on_write(patch)
            await pilot.press(typed_text(Decimal(5)))
            await pilot.pause()
            status = str(screen.query_one("#save-status").render())
            assert status.startswith(f"NOT SAVED: could not save {sheet}: the disk is full.")
            assert any(n.title == "Not saved" for n in app._notifications)
            assert sheet.read_bytes() == before
        await pilot.press(typed_text(Decimal(5)))
        await pilot.pause()
        assert sheet.read_bytes() != before
        assert app.session is not None
        assert app.session.entry(FIRST).value == Decimal(5)
        assert "NOT SAVED" not in str(screen.query_one("#save-status").render())
