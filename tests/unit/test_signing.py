"""Signing keys: owner-only files, never overwritten, and signatures that verify."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core import signing
from bid_panel.core.panel import Evaluator
from bid_panel.core.signing import SigningError


@pytest.fixture(autouse=True)
def config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv(signing.CONFIG_DIR_ENV, str(folder))
    return folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_is_owner_only(config_dir: Path) -> None:
    path, public_key = signing.create_key("amara-okafor")
    assert path == config_dir / "keys" / "amara-okafor.pem"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(config_dir) == 0o700
    assert public_key.startswith("ed25519:")
    # The panel file accepts the printed key as it is.
    Evaluator(id="amara-okafor", name="Amara", role="quality", public_key=public_key)


def test_existing_key_is_never_overwritten() -> None:
    path, public_key = signing.create_key("amara-okafor")
    before = path.read_bytes()
    with pytest.raises(SigningError, match="never overwritten"):
        signing.create_key("amara-okafor")
    assert path.read_bytes() == before
    assert signing.public_key_of(path) == public_key


def test_signature_verifies_only_for_its_hash_and_key() -> None:
    path, public_key = signing.create_key(None)
    sign = signing.signer(signing.load_key(path))
    digest = "ab" * 32
    signature = sign(digest)
    assert signing.verify_signature(public_key, digest, signature)
    assert not signing.verify_signature(public_key, "cd" * 32, signature)
    other = signing.sample_public_key("someone-else")
    assert not signing.verify_signature(other, digest, signature)
    assert not signing.verify_signature(public_key, digest, "not base64!")
    assert not signing.verify_signature("ed25519:short", digest, signature)


def test_key_readable_by_others_is_refused() -> None:
    path, _ = signing.create_key("amara-okafor")
    path.chmod(0o644)
    with pytest.raises(SigningError, match="chmod 600"):
        signing.load_key(path)


def test_evaluator_id_cannot_escape_the_keys_folder() -> None:
    with pytest.raises(SigningError, match="not an evaluator id"):
        signing.key_path("../../etc/passwd")


def test_submission_refused_when_the_panel_lists_a_key_but_none_is_found() -> None:
    panel_key = signing.sample_public_key("not-the-sample")  # a key this user lacks
    with pytest.raises(SigningError, match="bid-panel keys init --as amara-okafor"):
        signing.submission_signer("amara-okafor", panel_key)


def test_submission_refused_with_another_key() -> None:
    signing.create_key("amara-okafor")
    with pytest.raises(SigningError, match="not the key the panel lists"):
        signing.submission_signer("amara-okafor", signing.sample_public_key("amara-okafor-2"))


def test_submission_signs_with_the_members_key() -> None:
    _, public_key = signing.create_key("amara-okafor")
    sign, key = signing.submission_signer("amara-okafor", public_key)
    assert key == public_key and sign is not None
    assert signing.verify_signature(public_key, "ef" * 32, sign("ef" * 32))


def test_no_key_anywhere_means_unsigned() -> None:
    assert signing.submission_signer("amara-okafor", None) == (None, None)


def test_default_key_is_used_for_any_evaluator() -> None:
    _, public_key = signing.create_key(None)
    assert signing.signer_for("ben-hartley")[1] == public_key


def test_sample_keys_are_deterministic_and_used_only_when_the_panel_lists_them() -> None:
    sample = signing.sample_public_key("amara-okafor")
    assert sample == signing.sample_public_key("amara-okafor")
    assert sample != signing.sample_public_key("ben-hartley")
    sign, key = signing.submission_signer("amara-okafor", sample)
    assert key == sample and sign is not None
    assert signing.signer_for("amara-okafor", None) == (None, None)


def test_cli_keys_init_and_show(capsys: pytest.CaptureFixture) -> None:
    assert main(["keys", "init", "--as", "amara-okafor"]) == 0
    printed = capsys.readouterr().out
    public_key = next(line.split()[-1] for line in printed.splitlines() if "public_key:" in line)
    assert public_key.startswith("ed25519:")
    assert main(["keys", "init", "--as", "amara-okafor"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert main(["keys", "show", "--as", "amara-okafor"]) == 0
    assert public_key in capsys.readouterr().out
    assert main(["keys", "show"]) == 0
    assert public_key in capsys.readouterr().out


def test_cli_keys_show_without_a_key(capsys: pytest.CaptureFixture) -> None:
    assert main(["keys", "show"]) == 2
    assert "bid-panel keys init" in capsys.readouterr().err
