"""The bundled sample's signing keys are public: `verify` always warns when a panel lists
them, and fails a tender that is not the sample (its signatures would prove nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bid_panel.cli import main
from bid_panel.core.errors import Findings, Severity
from bid_panel.core.signing import SAMPLE_TENDER_REFERENCE
from bid_panel.core.tender import Tender
from bid_panel.core.verify import EXIT_FINDINGS, EXIT_OK, verify_workspace
from bid_panel.core.yamlio import load_model

from .exports_support import sample_template


@pytest.fixture
def ws(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(
        sample_template(tmp_path_factory), target, ignore=shutil.ignore_patterns("*.lock")
    )
    return target


def test_the_constant_is_the_bundled_samples_reference(sample) -> None:
    loaded = load_model(sample.tender, Tender, Findings())
    assert loaded is not None and loaded.model.reference == SAMPLE_TENDER_REFERENCE


def test_the_sample_verifies_with_a_warning_not_a_note(ws: Path, capsys) -> None:
    report = verify_workspace(ws)
    [warning] = [f for f in report.findings if f.code == "sample-key"]
    assert warning.severity is Severity.WARNING
    assert warning.file == "panel.yaml"
    assert "PUBLIC" in warning.message and "amara-okafor" in warning.message
    assert "prove nothing" in warning.meaning
    assert not any("sample" in note for note in report.notes)
    assert main(["verify", str(ws)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "warning [sample-key]" in out
    assert "VERIFIED with 1 warning(s)" in out


def test_sample_keys_in_another_tender_are_an_error(ws: Path, capsys) -> None:
    for name, key in (("tender.yaml", "reference"), ("panel.yaml", "tender_reference")):
        path = ws / name
        text = path.read_text(encoding="utf-8")
        old = f"{key}: {SAMPLE_TENDER_REFERENCE}"
        assert old in text
        path.write_text(text.replace(old, f"{key}: HX-2027-001", 1), encoding="utf-8")
    report = verify_workspace(ws)
    [error] = [f for f in report.findings if f.code == "sample-key"]
    assert error.severity is Severity.ERROR
    assert "HX-2027-001" in error.message and "not the sample" in error.message
    assert "bid-panel keys init" in error.meaning
    assert main(["verify", str(ws)]) == EXIT_FINDINGS
    assert "VERIFIED" not in capsys.readouterr().out
