"""The key check `bid-panel score --as` makes before it draws, from the raw panel file
(`signing.owner_refusal_in`): the same answer as the check on the loaded panel, and no
answer (None) where the file cannot give one, for the full load to report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bid_panel.core import signing
from bid_panel.core.signing import owner_refusal, owner_refusal_in
from bid_panel.core.workspace import load_workspace


def list_someone_elses_key(root: Path, evaluator: str) -> None:
    panel = root / "panel.yaml"
    sample = signing.sample_public_key(evaluator)
    other = signing.sample_public_key("somebody-else")
    panel.write_text(panel.read_text(encoding="utf-8").replace(sample, other), "utf-8")


@pytest.fixture(autouse=True)
def no_keys_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BID_PANEL_CONFIG_DIR", str(tmp_path / "config"))


def test_the_sample_opens_for_everyone(workspace_dir: Path) -> None:
    assert owner_refusal_in(workspace_dir, "amara-okafor") is None


def test_a_key_not_held_here_is_refused_as_the_loaded_panel_would(workspace_dir: Path) -> None:
    list_someone_elses_key(workspace_dir, "amara-okafor")
    refusal = owner_refusal_in(workspace_dir, "amara-okafor")
    assert refusal is not None and refusal.startswith("this sheet belongs to Amara Okafor;")
    member = load_workspace(workspace_dir).panel.by_id["amara-okafor"]
    assert refusal == owner_refusal(member)


def test_the_moderator_is_checked_only_for_the_moderation_record(workspace_dir: Path) -> None:
    list_someone_elses_key(workspace_dir, "fiona-marsh")
    assert owner_refusal_in(workspace_dir, "fiona-marsh") is None  # the session says why
    refusal = owner_refusal_in(workspace_dir, "fiona-marsh", moderator=True)
    assert refusal is not None and refusal.startswith("this moderation record belongs to")


@pytest.mark.parametrize(
    "panel",
    ["evaluators: [", "- a list\n", "evaluators: 3\n", "evaluators:\n  - id: amara-okafor\n"],
    ids=["broken-yaml", "not-a-mapping", "not-a-list", "no-name"],
)
def test_a_panel_file_that_cannot_say_gives_no_answer(workspace_dir: Path, panel: str) -> None:
    (workspace_dir / "panel.yaml").write_text(panel, encoding="utf-8")
    assert owner_refusal_in(workspace_dir, "amara-okafor") is None


def test_no_panel_file_gives_no_answer(workspace_dir: Path) -> None:
    (workspace_dir / "panel.yaml").unlink()
    assert owner_refusal_in(workspace_dir, "amara-okafor") is None
