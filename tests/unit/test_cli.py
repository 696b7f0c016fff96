"""The command line, called in-process (and once as `python -m bid_panel`)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from bid_panel.cli import main
from bid_panel.core.workspace import load_workspace

SCHEMA_NAMES = {"bid", "moderation", "panel", "score-sheet", "tender"}
"""The five file formats of issue 2; later formats (exports...) may add more."""


def test_validate_the_sample_criteria_and_panel_exits_0(sample, capsys) -> None:
    assert main(["validate", str(sample.tender.parent), str(sample.panel.parent)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "OK: clean"


def test_validate_a_fresh_workspace_exits_0(workspace_dir: Path, capsys) -> None:
    assert main(["validate", str(workspace_dir)]) == 0
    assert "OK: clean" in capsys.readouterr().err


def test_validate_a_broken_file_exits_2_with_located_errors(
    sample, edited_copy, find_line, capsys
) -> None:
    path = edited_copy(
        sample.tender,
        ("weight: 70", "weight: 75"),
        ("contract_term_months: 30", "contract_term_months: 30\ncontract_terms: 3"),
    )
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert f"{path}:{find_line(path, 'contract_terms')}:1: error: unknown key" in out
    assert "did you mean 'contract_term_months'?" in out
    assert "Traceback" not in out + err
    assert err.strip() == "FAILED: 1 error(s), 0 warning(s)"


def test_validate_json_lists_findings_with_positions(sample, edited_copy, capsys) -> None:
    path = edited_copy(sample.tender, ("weight: 70", "weight: 75"))
    assert main(["validate", "--format", "json", str(path)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    [finding] = report["findings"]
    assert finding["file"] == str(path)
    assert finding["line"] > 0
    assert finding["message"].startswith("weights at the top level total 105")


def test_validate_a_missing_path_is_a_finding_not_a_crash(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    out, err = capsys.readouterr()
    assert "file not found" in out
    assert "Traceback" not in out + err


def test_python_m_bid_panel_validate_on_a_broken_file(tmp_path: Path, sample) -> None:
    broken = tmp_path / "tender.yaml"
    broken.write_bytes(sample.tender.read_bytes().replace(b"currency: GBP", b"currency:\tGBP\n\t"))
    proc = subprocess.run(
        [sys.executable, "-m", "bid_panel", "validate", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert f"{broken}:" in proc.stdout
    assert "error: YAML syntax" in proc.stdout
    assert "fix: " in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_init_creates_a_workspace(tmp_path: Path, capsys) -> None:
    target = tmp_path / "new-ws"
    assert main(["init", str(target)]) == 0
    assert f"Created workspace {target}" in capsys.readouterr().out
    workspace = load_workspace(target)
    assert len(workspace.bids) >= 4
    assert workspace.sheets == {}
    assert (target / "tender.yaml").read_bytes() == workspace.tender_path.read_bytes()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not an empty folder" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def plain(value: Any) -> Any:
    """YAML as JSON would carry it: timestamps become ISO strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@pytest.fixture
def schemas(tmp_path: Path, capsys) -> dict[str, dict]:
    out = tmp_path / "schemas"
    assert main(["schema", "--out", str(out)]) == 0
    capsys.readouterr()
    written = {p.name.removesuffix(".schema.json"): p for p in out.glob("*.schema.json")}
    assert set(written) >= SCHEMA_NAMES
    return {name: json.loads(path.read_text()) for name, path in written.items()}


def test_schema_writes_valid_json_schemas_of_the_five_formats(schemas: dict[str, dict]) -> None:
    for schema in schemas.values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


def test_the_samples_validate_against_their_schemas(sample, schemas: dict[str, dict]) -> None:
    for name, path in [("tender", sample.tender), ("panel", sample.panel)] + [
        ("bid", bid) for bid in sample.bids
    ]:
        validator = Draft202012Validator(schemas[name])
        data = plain(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert [e.message for e in validator.iter_errors(data)] == [], path.name


def test_a_score_sheet_validates_against_its_schema(scored_template: Path, schemas) -> None:
    validator = Draft202012Validator(schemas["score-sheet"])
    for sheet in sorted((scored_template / "sheets").glob("*.yaml")):
        data = plain(yaml.safe_load(sheet.read_text(encoding="utf-8")))
        assert [e.message for e in validator.iter_errors(data)] == [], sheet.name


def test_the_schema_rejects_an_unknown_key(sample, schemas: dict[str, dict]) -> None:
    data = plain(yaml.safe_load(sample.panel.read_text(encoding="utf-8")))
    data["evaluatorz"] = []
    assert list(Draft202012Validator(schemas["panel"]).iter_errors(data))


def test_results_ranks_a_scored_workspace(scored_workspace_dir: Path, capsys) -> None:
    assert main(["results", str(scored_workspace_dir), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "bid-panel/results@1"
    assert data["status"] == "provisional"
    assert "moderation has not started" in data["provisional_reasons"]
    assert len(data["ranking"]) >= 1


def test_results_of_a_missing_workspace_is_a_user_error(tmp_path: Path, capsys) -> None:
    assert main(["results", str(tmp_path / "nowhere")]) == 2
    assert "is not a workspace folder" in capsys.readouterr().err


@pytest.fixture
def sample_scores(sample) -> None:
    if not sample.scores.exists():
        pytest.skip(f"{sample.scores} does not exist yet (written by the sample-scores work)")


def test_init_with_sample_scores_gives_final_ranked_results(
    sample_scores, tmp_path: Path, capsys
) -> None:
    target = tmp_path / "ws"
    assert main(["init", str(target), "--with-sample-scores"]) == 0
    capsys.readouterr()
    assert main(["validate", str(target)]) == 0
    capsys.readouterr()
    assert main(["results", str(target), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "final", data["provisional_reasons"]
    assert data["winner"] in data["ranking"]
    assert any(b["status"] == "excluded" for b in data["bids"])  # one bid fails a gate
