"""JSON export: valid against its published schema, figures the engine's."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bid_panel.core.evaluation import evaluate
from bid_panel.core.exports import json_export
from bid_panel.core.exports.data import NOTICE, ExportData, collect
from bid_panel.core.results import results_json
from bid_panel.core.sample import init_workspace
from bid_panel.core.schema import write_schemas
from bid_panel.core.workspace import load_workspace

from .exports_support import GENERATED_AT, sample_data

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    return sample_data(tmp_path_factory)


@pytest.fixture(scope="module")
def document(data: ExportData) -> dict:
    return json.loads(json_export.render(data)["CS-2026-014-evaluation.json"])


def validator() -> jsonschema.Draft202012Validator:
    schema = json_export.export_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_published_schema_is_the_one_shipped_and_written_by_bid_panel_schema(
    tmp_path: Path,
) -> None:
    published = json.loads((REPO / "schemas" / "export.schema.json").read_text("utf-8"))
    assert published == json_export.export_schema()
    written = {p.name for p in write_schemas(tmp_path)}
    assert "export.schema.json" in written
    assert json.loads((tmp_path / "export.schema.json").read_text("utf-8")) == published


def test_export_validates_against_its_schema(document: dict) -> None:
    errors = sorted(validator().iter_errors(document), key=str)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors[:10])


def test_provisional_export_validates_too(tmp_path: Path) -> None:
    data = collect(load_workspace(init_workspace(tmp_path / "ws")), GENERATED_AT)
    document = json_export.export_json(data)
    assert document["results"]["status"] == "provisional"
    assert not list(validator().iter_errors(json.loads(json.dumps(document))))


def test_schema_rejects_a_rounded_or_scientific_number(document: dict) -> None:
    broken = json.loads(json.dumps(document))
    broken["scores"][0]["points"] = "1E+1"
    assert list(validator().iter_errors(broken))
    broken["scores"][0]["points"] = 17.5
    assert list(validator().iter_errors(broken))


def test_everything_is_there_and_equals_the_engine(document: dict, data: ExportData) -> None:
    assert document["format"] == "bid-panel/export@1"
    assert document["generated_at"] == GENERATED_AT.isoformat()
    assert document["notice"] == NOTICE
    engine = results_json(evaluate(data.workspace), data.workspace.tender_sha256)
    assert document["results"] == engine
    item = next(
        s
        for s in document["scores"]
        if (s["bidder"], s["criterion"]) == ("northshire-council", "training-curriculum")
    )
    assert item["individual"] == {"amara-okafor": "8", "ben-hartley": "10", "carys-evans": "5"}
    assert item["flagged"] is True and item["value"] == "8" and item["basis"] == "discussed"
    assert item["history"][-1]["reason"] == item["reason"]
    recused = next(
        s
        for s in document["scores"]
        if (s["bidder"], s["criterion"]) == ("kinfield-childrens-trust", "dcs-track-record")
    )
    assert recused["individual"]["carys-evans"] == "recused"
    scales = {s["id"]: s for s in document["method"]["scales"]}
    assert [v["value"] for v in scales["impact-0-2-5-8-10"]["values"]] == ["0", "2", "5", "8", "10"]
    assert document["method"]["rules"]["tie_break"][0] == "quality_total"
    assert document["robustness"]["baseline_winner"] == "northshire-council"
    assert document["moderation"]["signed_at"] is not None
