"""OCDS release package: valid against the subset shipped in the repo (and, when the
official schemas are beside the repo as in development and CI, against those too)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bid_panel.core.errors import BidPanelError
from bid_panel.core.exports import ExportRefused, ocds
from bid_panel.core.exports.data import ExportData, collect
from bid_panel.core.sample import init_workspace
from bid_panel.core.workspace import load_workspace

from .exports_support import GENERATED_AT, panel_identities, sample_data

OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "ocds"
NAME = "CS-2026-014-ocds-release-package.json"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ExportData:
    return sample_data(tmp_path_factory)


@pytest.fixture(scope="module")
def raw(data: ExportData) -> bytes:
    return ocds.render(data)[NAME]


@pytest.fixture(scope="module")
def package(raw: bytes) -> dict[str, Any]:
    return json.loads(raw)


def errors(schema: dict[str, Any], document: Any) -> list[str]:
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_valid_against_the_shipped_subset(package: dict[str, Any]) -> None:
    schema = ocds.subset_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    assert errors(schema, package) == []


def test_the_subset_admits_no_field_outside_it(package: dict[str, Any]) -> None:
    broken = copy.deepcopy(package)
    broken["releases"][0]["bids"]["details"][0]["score"] = 4
    assert errors(ocds.subset_schema(), broken)
    broken = copy.deepcopy(package)
    broken["releases"][0]["bids"]["details"][0]["status"] = "winner"
    assert errors(ocds.subset_schema(), broken)


def _merge(target: Any, patch: Any) -> Any:
    """JSON Merge Patch (RFC 7396), as OCDS applies an extension to the release schema."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


@pytest.mark.skipif(not OFFICIAL.is_dir(), reason="official OCDS schemas not beside the repo")
def test_valid_against_the_official_schemas_with_the_bids_extension(
    package: dict[str, Any],
) -> None:
    release = json.loads((OFFICIAL / "release-schema.json").read_text("utf-8"))
    patch = json.loads((OFFICIAL / "bid-extension-release-schema.json").read_text("utf-8"))
    merged = _merge(release, patch)
    outer = json.loads((OFFICIAL / "release-package-schema.json").read_text("utf-8"))
    outer["properties"]["releases"]["items"] = {}  # each release is checked against `merged`
    assert errors(outer, package) == []
    for item in package["releases"]:
        assert errors(merged, item) == []
    statuses = (OFFICIAL / "bidStatus.csv").read_text("utf-8")
    for detail in package["releases"][0]["bids"]["details"]:
        assert f"\n{detail['status']}," in statuses
    codes = (OFFICIAL / "awardCriteria.csv").read_text("utf-8")
    assert f"\n{package['releases'][0]['tender']['awardCriteria']}," in codes


def test_award_bids_and_criteria(package: dict[str, Any], data: ExportData) -> None:
    (release,) = package["releases"]
    assert release["ocid"] == "ocds-bidpanel-CS-2026-014"
    assert release["tag"] == ["award"]
    tender = release["tender"]
    assert tender["awardCriteria"] == "ratedCriteria"
    assert "1.1 DCS track record: 17.50 points" in tender["awardCriteriaDetails"]
    assert "W x Pmin / P" in tender["awardCriteriaDetails"]
    details = {d["id"].rsplit("-bid-", 1)[1]: d for d in release["bids"]["details"]}
    assert details["apex-care-leadership"]["status"] == "disqualified"
    assert details["three-rivers-partnership"]["status"] == "disqualified"
    assert details["northshire-council"]["status"] == "valid"
    assert details["northshire-council"]["tenderers"] == [
        {"id": "northshire-council", "name": "Northshire County Council"}
    ]
    (award,) = release["awards"]
    assert award["status"] == "pending"
    assert award["relatedBids"] == [details["northshire-council"]["id"]]
    assert award["suppliers"][0]["id"] == "northshire-council"
    assert release["date"] == data.state.signed.at.isoformat()  # type: ignore[union-attr]
    assert package["publishedDate"] == GENERATED_AT.isoformat()


def test_amounts_are_exact_json_numbers(raw: bytes, data: ExportData) -> None:
    parsed = json.loads(raw, parse_float=Decimal)
    for detail in parsed["releases"][0]["bids"]["details"]:
        bidder = detail["tenderers"][0]["id"]
        price = data.workspace.bids[bidder].price
        assert price is not None
        assert detail["value"] == {"amount": price.total, "currency": "GBP"}


def test_no_individual_score_reason_or_panel_member_in_it(raw: bytes, data: ExportData) -> None:
    text = raw.decode("utf-8").lower()
    for identity in panel_identities(data.workspace):
        assert identity.lower() not in text
    for consensus in data.state.current.values():
        assert consensus.reason[:40].lower() not in text
    for word in ("individual", "evaluator", "justification", "moderat"):
        assert word not in text


def test_deterministic_and_prefix_configurable(data: ExportData) -> None:
    assert ocds.render(data)[NAME] == ocds.render(data)[NAME]
    other = json.loads(ocds.render(data, "ocds-abc123")[NAME])
    assert other["releases"][0]["ocid"] == "ocds-abc123-CS-2026-014"


def test_refused_while_results_are_provisional(tmp_path: Path) -> None:
    workspace = load_workspace(init_workspace(tmp_path / "ws"))
    with pytest.raises(ExportRefused) as caught:
        ocds.render(collect(workspace, GENERATED_AT))
    assert "provisional" in str(caught.value)
    assert caught.value.findings


@pytest.mark.parametrize("prefix", ["", "ocds 1", "ocds/../x", "-ocds"])
def test_a_bad_ocid_prefix_is_refused(data: ExportData, prefix: str) -> None:
    with pytest.raises(BidPanelError, match="not an ocid prefix"):
        ocds.render(data, prefix)
