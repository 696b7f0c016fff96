"""Paths that cannot be written or read give a user error (exit 2) naming the path, never
an internal error (exit 70) or a traceback: `init`, `schema --out`, `audit-pack --out`,
signing keys, the tender's hash."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core.errors import BidPanelError
from bid_panel.core.workspace import file_sha256

from .exports_support import sample_template


def _blocked_by_a_file(tmp_path: Path) -> Path:
    """A folder that cannot exist: its parent is a file (fails for root too)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    return blocker / "x"


BASES = ["under-a-file"] + (["proc"] if Path("/proc/self").is_dir() else [])


@pytest.fixture(params=BASES)
def unwritable(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A folder nobody can create: under a regular file, or in /proc (as root too)."""
    return _blocked_by_a_file(tmp_path) if request.param == "under-a-file" else Path("/proc/x")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in err
    return code, err


def test_init_into_an_unwritable_folder(unwritable: Path, capsys) -> None:
    code, err = run(["init", str(unwritable)], capsys)
    assert code == 2
    assert f"could not create the workspace {unwritable}" in err


def test_schema_into_an_unwritable_folder(unwritable: Path, capsys) -> None:
    code, err = run(["schema", "--out", str(unwritable)], capsys)
    assert code == 2
    assert f"could not create {unwritable}" in err


def test_audit_pack_into_an_unwritable_folder(
    unwritable: Path, tmp_path_factory: pytest.TempPathFactory, capsys
) -> None:
    workspace = sample_template(tmp_path_factory)
    code, err = run(["audit-pack", str(workspace), "--out", str(unwritable / "y.zip")], capsys)
    assert code == 2
    assert str(unwritable) in err


def test_a_failed_init_leaves_no_half_made_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    calls = []
    real = shutil.copyfile

    def copyfile(source, target, *args, **kwargs):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    target = tmp_path / "ws"
    code, err = run(["init", str(target)], capsys)
    assert code == 2
    assert f"could not create the workspace {target}: the disk is full" in err
    assert not target.exists()


def test_keys_init_in_an_unwritable_config_folder(
    unwritable: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("BID_PANEL_CONFIG_DIR", str(unwritable))
    code, err = run(["keys", "init", "--as", "ann"], capsys)
    assert code == 2
    assert str(unwritable) in err


def test_keys_show_of_an_unreadable_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("BID_PANEL_CONFIG_DIR", str(tmp_path))
    key = tmp_path / "keys" / "ann.pem"
    key.mkdir(parents=True)  # a folder where the key file should be: it cannot be read
    key.chmod(0o700)
    code, err = run(["keys", "show", "--as", "ann"], capsys)
    assert code == 2
    assert f"could not read {key}" in err


def test_hashing_an_unreadable_tender_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(BidPanelError, match=f"could not read {tmp_path / 'tender.yaml'}"):
        file_sha256(tmp_path / "tender.yaml")


def test_export_into_an_unwritable_folder(
    unwritable: Path, tmp_path_factory: pytest.TempPathFactory, capsys
) -> None:
    workspace = sample_template(tmp_path_factory)
    code, err = run(["export", str(workspace), "--out", str(unwritable)], capsys)
    assert code == 2
    assert f"could not create {unwritable}" in err
