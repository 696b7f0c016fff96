"""Atomic file writes and per-file locks.

A reader never sees half a file: the new content goes to a temporary file in the same
folder, is flushed and fsynced, then renamed over the old one, and the folder is fsynced.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import socket
import stat
from collections.abc import Iterable
from pathlib import Path

from bid_panel.core.errors import BidPanelError, SheetLocked


def explain_os_error(exc: OSError, path: Path, action: str = "save") -> BidPanelError:
    """An OSError on `path` as a user-facing error. `action` is what failed: "save" (a
    file replaced atomically: the old copy is intact), or another verb ("read", "create",
    "write") for the same explanation without that promise."""
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = (
            "you lack permission to read it"
            if action == "read"
            else "the folder is read-only or you lack permission to write it"
        )
    else:
        why = exc.strerror or str(exc)
    if action != "save":
        return BidPanelError(f"could not {action} {path}: {why}")
    return BidPanelError(
        f"could not save {path}: {why}. The last good copy of the file is unchanged; "
        "free space or fix permissions, then try again."
    )


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably."""
    atomic_write_chunks(path, [data])


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """`atomic_write` for a file written piece by piece as it is made (the JSON export of
    a large tender, never held whole): replaced whole or not at all, the old file intact
    when anything fails, a piece that cannot be made included."""
    folder = path.parent
    tmp_name = None
    try:
        # Not mkstemp: it creates mode 0600, so a sheet on a shared drive would become
        # unreadable to the rest of the panel. 0o666 lets the user's umask decide, as for
        # any file they save; a file being replaced keeps its own permissions.
        candidate = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        tmp_name = str(candidate)
        with contextlib.suppress(OSError):
            os.fchmod(fd, stat.S_IMODE(path.stat().st_mode))
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).replace(path)
        tmp_name = None
        _fsync_dir(folder)
    except OSError as exc:
        raise explain_os_error(exc, path) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                Path(tmp_name).unlink()


def remove_stale_temporaries(path: Path) -> None:
    """Delete the temporary files a writer of `path` killed mid-save left behind (call it
    holding the lock on `path`: only the lock holder writes them). The record itself is
    always whole: the old copy or the new one."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{16}}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class FileLock:
    """An exclusive lock file next to a record (`<name>.lock`, holding pid and host).

    The OS releases it when the process dies, even on SIGKILL, so a crash never leaves a
    sheet locked; a second window or machine gets a clear refusal instead of interleaving.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(target.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            # O_NOFOLLOW: a lock file planted as a link must not make us truncate its target.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise explain_os_error(exc, self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = ""
            with contextlib.suppress(OSError):
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            raise SheetLocked(
                f"{self.target.name} is open elsewhere ({holder or 'another process'}). "
                "Close the other bid_panel window first; two writers would corrupt the record."
            ) from None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
