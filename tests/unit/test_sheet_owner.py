"""Whose sheet is it? `signing.owner_refusal`: the one rule the app and `--as` both ask.

When the panel lists a public key for a member, their score sheet (or, for the moderator,
the moderation record) opens only for a user whose config folder holds the matching private
key. A panel without keys has nothing to check against; the bundled sample's keys are public
(derivable), so the sample opens for everyone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core import signing
from bid_panel.core.panel import Evaluator, Role
from bid_panel.core.signing import NotTheOwner, owner_refusal, require_owner


@pytest.fixture(autouse=True)
def config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv(signing.CONFIG_DIR_ENV, str(folder))
    return folder


def member(public_key: str | None, evaluator_id: str = "amara-okafor") -> Evaluator:
    return Evaluator(
        id=evaluator_id,
        name="Amara Okafor (Head of Safeguarding)",
        role=Role.QUALITY,
        criteria=["quality"],
        public_key=public_key,
    )


def key_made_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> str:
    monkeypatch.setenv(signing.CONFIG_DIR_ENV, str(tmp_path / "elsewhere"))
    _, public_key = signing.create_key(name)
    monkeypatch.setenv(signing.CONFIG_DIR_ENV, str(tmp_path / "config"))
    return public_key


def test_no_key_listed_opens() -> None:
    assert owner_refusal(member(None)) is None


def test_the_samples_public_keys_open_for_everyone() -> None:
    assert owner_refusal(member(signing.sample_public_key("amara-okafor"))) is None


def test_a_listed_key_without_its_private_key_here_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config_dir: Path
) -> None:
    listed = key_made_elsewhere(monkeypatch, tmp_path, "amara-okafor")
    refusal = owner_refusal(member(listed))
    assert refusal == (
        "this sheet belongs to Amara Okafor; open it on Amara Okafor's account, where their "
        "key is (`bid-panel keys init --as amara-okafor` makes it, and the panel file lists "
        f"its public key). No key matching the panel's was found in {config_dir / 'keys'}."
    )
    with pytest.raises(NotTheOwner, match="this sheet belongs to Amara Okafor"):
        require_owner(member(listed))
    assert "moderation record belongs" in (owner_refusal(member(listed), "moderation record") or "")


def test_another_members_key_here_does_not_open_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Ben's own key (or a default key) is here, not Amara's: refused."""
    listed = key_made_elsewhere(monkeypatch, tmp_path, "amara-okafor")
    signing.create_key("ben-hartley")
    signing.create_key(None)  # keys/default.pem, someone's
    assert owner_refusal(member(listed)) is not None
    # Nor does a key made for her id on the wrong account.
    signing.create_key("amara-okafor")
    assert owner_refusal(member(listed)) is not None


def test_the_matching_key_opens_by_id_or_as_the_default_key() -> None:
    path, public_key = signing.create_key("amara-okafor")
    require_owner(member(public_key))
    path.rename(path.with_name("default.pem"))
    assert owner_refusal(member(public_key)) is None


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_key_file_others_can_read_is_refused_with_why() -> None:
    path, public_key = signing.create_key("amara-okafor")
    path.chmod(0o644)
    refusal = owner_refusal(member(public_key))
    assert refusal is not None and "can be read by other users" in refusal


def test_bid_panel_score_as_someone_else_exits_2_before_drawing(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    listed = key_made_elsewhere(monkeypatch, tmp_path, "amara-okafor")
    panel = workspace_dir / "panel.yaml"
    sample = signing.sample_public_key("amara-okafor")
    panel.write_text(panel.read_text().replace(sample, listed), encoding="utf-8")
    monkeypatch.setenv("BID_PANEL_DATA_DIR", str(tmp_path / "data"))
    code = main(["score", str(workspace_dir), "--as", "amara-okafor"])
    assert code == 2
    err = capsys.readouterr().err
    assert "this sheet belongs to Amara Okafor" in err
    assert "bid-panel keys init --as amara-okafor" in err
    assert not (workspace_dir / "sheets" / "amara-okafor.yaml").exists()
