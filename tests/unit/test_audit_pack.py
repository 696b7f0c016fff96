"""The audit pack: every record, a manifest whose hashes match, the verify report; the same
workspace always gives the same bytes."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core import audit_pack
from bid_panel.core.audit_pack import ZIP_TIMESTAMP, build_pack
from bid_panel.core.errors import BidPanelError
from bid_panel.core.sample import init_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_workspace(tmp_path_factory.mktemp("pack") / "ws", with_sample_scores=True)
    (root / "exports").mkdir()
    (root / "exports" / "summary.md").write_text("# Results\n", encoding="utf-8")
    return root


def test_manifest_hashes_match_the_files(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    result = build_pack(ws, out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        listed = {entry["path"]: entry for entry in manifest["files"]}
        expected = {
            "tender.yaml",
            "panel.yaml",
            "moderation.yaml",
            "exports/summary.md",
            *(f"bids/{p.name}" for p in (ws / "bids").glob("*.yaml")),
            *(f"sheets/{p.name}" for p in (ws / "sheets").glob("*.yaml")),
        }
        assert set(listed) == expected
        assert result.files == len(expected)
        for path, entry in listed.items():
            data = archive.read(f"workspace/{path}")
            assert data == (ws / path).read_bytes()
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert entry["bytes"] == len(data)
        sums = archive.read("SHA256SUMS").decode()
        assert f"{listed['tender.yaml']['sha256']}  tender.yaml" in sums
        report = json.loads(archive.read("verify-report.json"))
        assert report["ok"] is True and report["workspace"] == "ws"
        assert "VERIFIED" in archive.read("verify-report.txt").decode()
        assert names[:5] == [
            "README.txt",
            "manifest.json",
            "SHA256SUMS",
            "verify-report.json",
            "verify-report.txt",
        ]
        assert names[5:] == sorted(names[5:])
        assert {info.date_time for info in archive.infolist()} == {ZIP_TIMESTAMP}


def test_pack_is_deterministic(ws: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_pack(ws, first)
    build_pack(ws, second)
    assert first.read_bytes() == second.read_bytes()


def test_pack_of_a_tampered_workspace_carries_the_failed_report(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    sheet = copy / "sheets" / "amara-okafor.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("value: 5", "value: 4", 1))
    out = tmp_path / "pack.zip"
    assert main(["audit-pack", str(copy), "--out", str(out)]) == 0
    assert "FAILED verification" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        report = json.loads(archive.read("verify-report.json"))
    assert report["ok"] is False
    assert "chain-hash" in {f["code"] for f in report["findings"]}


def test_pack_inside_the_workspace_does_not_pack_itself(ws: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    out = copy / "exports" / "audit.zip"
    build_pack(copy, out)
    build_pack(copy, out)
    with zipfile.ZipFile(out) as archive:
        assert not any(name.endswith(".zip") for name in archive.namelist())


def test_pack_name_must_be_a_zip(ws: Path, tmp_path: Path) -> None:
    with pytest.raises(BidPanelError, match="zip"):
        build_pack(ws, tmp_path / "pack.tar")


def test_a_file_saved_while_packing_cannot_make_the_manifest_disagree(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is read once: the manifest's hashes are of the very bytes packed, even
    when a file is saved between hashing and packing."""
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    summary = copy / "exports" / "summary.md"
    real_write = audit_pack._write

    def write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        if name == "manifest.json":  # hashed already; the files are not packed yet
            summary.write_text("# Results, saved again while packing\n", encoding="utf-8")
        real_write(archive, name, data)

    monkeypatch.setattr(audit_pack, "_write", write)
    out = tmp_path / "pack.zip"
    build_pack(copy, out)
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            data = archive.read(f"workspace/{entry['path']}")
            assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["path"]
            assert entry["bytes"] == len(data)
        assert archive.read("workspace/exports/summary.md") == b"# Results\n"
