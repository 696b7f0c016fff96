"""The workspace's tender hash is of the very bytes the tender was parsed from: a save
between reading and hashing cannot pair one version's criteria with another's hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bid_panel.core import workspace as workspace_module
from bid_panel.core.workspace import file_sha256, load_workspace


def test_the_hash_is_of_the_bytes_parsed(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tender = workspace_dir / "tender.yaml"
    original = tender.read_bytes()
    real = workspace_module.validate_data

    def validate_then_save(*args, **kwargs):
        doc = real(*args, **kwargs)
        if kwargs.get("path") == tender:  # someone saves the tender right after it is read
            tender.write_bytes(original + b"# saved again\n")
        return doc

    monkeypatch.setattr(workspace_module, "validate_data", validate_then_save)
    loaded = load_workspace(workspace_dir)
    assert loaded.tender_sha256 == hashlib.sha256(original).hexdigest()
    assert loaded.tender_sha256 != file_sha256(tender)


def test_the_hash_equals_the_files_with_a_byte_order_mark(workspace_dir: Path) -> None:
    tender = workspace_dir / "tender.yaml"
    tender.write_bytes(b"\xef\xbb\xbf" + tender.read_bytes())
    assert load_workspace(workspace_dir).tender_sha256 == file_sha256(tender)
