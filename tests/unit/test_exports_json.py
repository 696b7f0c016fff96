"""JSON export: valid against its published schema, figures the engine's."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bid_panel.core.evaluation import evaluate
from bid_panel.core.exports import export_data, json_export
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


# --------------------------------------------------------------------------- streaming

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner), st.dictionaries(st.text(), inner)),
    max_leaves=20,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    document=st.dictionaries(st.text(), JSON_VALUES, max_size=5),
    key=st.text(max_size=3),
    items=st.lists(JSON_VALUES, max_size=5),
)
def test_chunks_join_to_the_bytes_of_the_whole_document(
    document: dict, key: str, items: list
) -> None:
    whole = {**document, key: items}
    pieces = list(json_export.chunks(whole, key, iter(items)))
    expected = (json.dumps(whole, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert b"".join(pieces) == expected == json_export.dumps(whole)
    lazy = {k: items if k == key else (lambda v=v: v) for k, v in whole.items()}
    assert b"".join(json_export.chunks(lazy, key, iter(items))) == expected


def test_chunks_of_an_empty_document_and_of_large_text() -> None:
    assert b"".join(json_export.chunks({}, "scores", [])) == b"{}\n"
    text = 'é\n"' * 50_000  # pieces of about 64 KB, a character never split
    document = {"a": [text, {"b": text}], "scores": []}
    pieces = list(json_export.chunks(document, "scores", [{"c": text}, text]))
    assert len(pieces) > 3
    expected = json.dumps(
        {"a": [text, {"b": text}], "scores": [{"c": text}, text]}, indent=2, ensure_ascii=False
    )
    assert b"".join(pieces) == (expected + "\n").encode("utf-8")


def test_the_written_export_is_the_rendered_one(data: ExportData, tmp_path: Path) -> None:
    rendered = json_export.render(data)
    written = export_data(data, ["json", "csv"], tmp_path / "out")
    assert sorted(p.name for p in written) == [p.name for p in written]
    name = json_export.file_name(data)
    assert (tmp_path / "out" / name).read_bytes() == rendered[name]
    assert json_export.export_json(data) == json.loads(rendered[name])


def test_a_failure_while_writing_the_export_leaves_nothing(
    data: ExportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: ExportData):  # type: ignore[no-untyped-def]
        yield from ()
        raise RuntimeError("made to fail")

    monkeypatch.setattr(json_export, "score_entries", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="made to fail"):
        export_data(data, ["csv", "json"], out)
    assert list(out.iterdir()) == []
