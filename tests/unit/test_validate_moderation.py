"""`bid-panel validate` reads the moderation record: on its own (`validate moderation.yaml`)
and as part of a workspace, with located errors for a damaged file or a broken chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core.workspace import KIND_BY_FORMAT, validate_paths
from tests.conftest import line_of

from .exports_support import sample_copy

EDIT = (
    "criterion: change-management\n  value: 4\n",
    "criterion: change-management\n  value: 5\n",
)


@pytest.fixture
def ws(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A private copy of the moderated, signed sample."""
    return sample_copy(tmp_path_factory, tmp_path / "ws")


def edit_value(root: Path) -> Path:
    """Change one consensus value by hand (its hash left stale): the chain breaks there."""
    path = root / "moderation.yaml"
    text = path.read_text(encoding="utf-8")
    assert EDIT[0] in text, "the sample record changed: update this test"
    path.write_text(text.replace(*EDIT, 1), encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_the_moderation_format_is_a_known_kind() -> None:
    assert KIND_BY_FORMAT["bid-panel/moderation@1"] == "moderation"


def test_a_clean_record_validates_alone_and_in_its_workspace(ws: Path, capsys) -> None:
    assert run(["validate", str(ws / "moderation.yaml")], capsys)[0] == 0
    code, out, err = run(["validate", str(ws)], capsys)
    assert (code, out, err.strip()) == (0, "", "OK: clean")


@pytest.mark.parametrize("target", ["file", "workspace"])
def test_an_edited_value_breaks_the_chain_located(ws: Path, target: str, capsys) -> None:
    path = edit_value(ws)
    line = line_of(path, "- seq: 3")
    argv = ["validate", str(path if target == "file" else ws)]
    code, out, _ = run(argv, capsys)
    assert code == 2
    assert f"{path}:{line}:3: error: event 3's content does not match its hash" in out
    assert "fix: this event was edited after it was written" in out


@pytest.mark.parametrize("target", ["file", "workspace"])
def test_a_syntax_error_is_located(ws: Path, target: str, capsys) -> None:
    path = ws / "moderation.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = line_of(path, "- seq: 2")
    lines[number - 1] = "- seq: [2\n"  # an unclosed bracket
    path.write_text("".join(lines), encoding="utf-8")
    code, out, _ = run(["validate", str(path if target == "file" else ws)], capsys)
    assert code == 2
    assert f"{path}:" in out and ": error: YAML syntax" in out
    assert "fix:" in out


def test_a_record_that_is_not_one_is_located(ws: Path) -> None:
    path = ws / "moderation.yaml"
    path.write_text(
        "header:\n  format: bid-panel/moderation@1\n  moderator: Fiona\nevents: []\n",
        encoding="utf-8",
    )
    findings = validate_paths([path])
    assert not findings.ok
    assert all(f.file == str(path) and f.line > 0 for f in findings.errors)


def test_unknown_kind_hint_lists_the_moderation_format(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("format: bid-panel/minutes@1\n", encoding="utf-8")
    [finding] = validate_paths([path]).errors
    assert "bid-panel/moderation@1" in finding.hint
