"""`bid-panel verify` enforces the moderation rules the app enforces, on a record edited
with every hash recomputed (so only the rules, and the moderator's signature, catch it).

Same method as test_verify_tamper.py: a private copy of the signed sample workspace,
changed the way a person with write access to the files could.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bid_panel.core.evaluation import evaluate
from bid_panel.core.moderation import MODERATION
from bid_panel.core.results import results_json
from bid_panel.core.sample import init_workspace
from bid_panel.core.verify import VerifyReport, verify_workspace
from bid_panel.core.workspace import load_workspace

from .test_verify_tamper import Events, first, rewrite

MOD = "moderation.yaml"
KINFIELD = "kinfield-childrens-trust"  # carys-evans declared a conflict with this bidder


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("rules") / "ws", with_sample_scores=True)


@pytest.fixture
def ws(sample_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(sample_template, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


def tamper(ws: Path, **match: Any) -> Any:
    """Decorator: rewrite the moderation record (hashes recomputed), changing the first
    consensus that matches."""

    def apply(change: Any) -> None:
        def mutate(_: dict, events: Events) -> None:
            change(first(events, type="consensus", **match))

        rewrite(ws / MOD, MODERATION, mutate, rehash=True)

    return apply


def only(report: VerifyReport, code: str) -> Any:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, f"{code}: {[str(f) for f in report.findings]}"
    assert found[0].file == MOD and found[0].seq is not None and found[0].line
    return found[0]


def test_the_sample_breaks_none_of_the_rules(ws: Path) -> None:
    codes = verify_workspace(ws).codes()
    assert not codes & {
        "consensus-conflicted",
        "accepted-not-agreed",
        "consensus-group",
        "consensus-unknown-criterion",
        "consensus-off-scale",
    }


def test_a_conflicted_member_recorded_as_present(ws: Path) -> None:
    @tamper(ws, bidder=KINFIELD, criterion="dcs-track-record")
    def _(event: dict) -> None:
        event["present"] = [*event["present"], "carys-evans"]

    hit = only(verify_workspace(ws), "consensus-conflicted")
    assert "carys-evans" in hit.message and KINFIELD in hit.message


def test_a_disputed_item_recorded_as_accepted_agreement(ws: Path) -> None:
    @tamper(ws, bidder="northshire-council", criterion="training-curriculum")
    def _(event: dict) -> None:
        assert event["basis"] == "discussed"
        event["basis"] = "accepted_agreement"

    hit = only(verify_workspace(ws), "accepted-not-agreed")
    assert "amara-okafor 8, ben-hartley 10, carys-evans 5" in hit.message


def test_an_accepted_agreement_with_another_value(ws: Path) -> None:
    @tamper(ws, bidder="northshire-council", criterion="change-management")
    def _(event: dict) -> None:
        assert event["basis"] == "accepted_agreement"
        event["value"] = 5  # everyone scored 4

    hit = only(verify_workspace(ws), "accepted-not-agreed")
    assert "accepts 5 on northshire-council / change-management" in hit.message


def test_an_accepted_agreement_with_no_individual_scores(ws: Path) -> None:
    @tamper(ws, bidder="northshire-council", criterion="dcs-track-record")
    def _(event: dict) -> None:
        event["individual"] = {}

    assert "none" in only(verify_workspace(ws), "accepted-not-agreed").message


def test_a_consensus_on_a_group(ws: Path) -> None:
    @tamper(ws, bidder="northshire-council", criterion="training-curriculum")
    def _(event: dict) -> None:
        event["criterion"] = "training-package"

    hit = only(verify_workspace(ws), "consensus-group")
    assert "training-package" in hit.message


def test_a_consensus_on_an_unpublished_criterion(ws: Path) -> None:
    @tamper(ws, bidder="northshire-council", criterion="transition-exit")
    def _(event: dict) -> None:
        event["criterion"] = "social-value"

    report = verify_workspace(ws)
    assert "social-value" in only(report, "consensus-unknown-criterion").message
    evaluate(load_workspace(ws))  # ignored by the results, never a crash


@pytest.mark.parametrize("value", [7, "2.5", "pass"])
def test_a_consensus_off_the_scale(ws: Path, value: Any) -> None:
    @tamper(ws, bidder="meridian-childrens-partnerships", criterion="workforce-stability")
    def _(event: dict) -> None:
        event["value"] = value

    report = verify_workspace(ws)
    hit = only(report, "consensus-off-scale")
    assert "Quality 0-5" in hit.message
    assert "results-uncomputable" not in report.codes()
    results = evaluate(load_workspace(ws))
    assert not results.final
    assert any(
        "meridian-childrens-partnerships / workforce-stability" in r
        for r in results.provisional_reasons
    )


def test_an_off_scale_consensus_does_not_stop_the_export_comparison(ws: Path) -> None:
    @tamper(ws, bidder="meridian-childrens-partnerships", criterion="workforce-stability")
    def _(event: dict) -> None:
        event["value"] = 7

    exported = results_json(evaluate(load_workspace(ws)), load_workspace(ws).tender_sha256)
    (ws / "exports").mkdir()
    (ws / "exports" / "results.json").write_text(json.dumps(exported), encoding="utf-8")
    report = verify_workspace(ws)
    assert report.results_check["compared"][0]["matches"]
    assert "results-uncomputable" not in report.codes()
