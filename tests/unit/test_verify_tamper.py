"""The tamper corpus: every way someone might alter the saved record, each caught by
`bid-panel verify` with its own finding.

Every case starts from a private copy of the sample workspace (`init --with-sample-scores`,
which signs with the sample's public keys) and changes it the way a person with write access
to the files could: by hand (hashes left stale), or with the ledger's own functions (every
hash recomputed, so the chain holds and only the signature, which needs the private key,
gives it away).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bid_panel.cli import main
from bid_panel.core.evaluation import evaluate
from bid_panel.core.ledger import RecordFile, RecordFormat, compute_event_hash, header_hash
from bid_panel.core.moderation import MODERATION
from bid_panel.core.results import results_json
from bid_panel.core.sample import init_workspace
from bid_panel.core.sheet import SHEET
from bid_panel.core.signing import sample_key, sign_hash
from bid_panel.core.verify import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    VerifyFinding,
    VerifyReport,
    VerifyUnusable,
    verify_workspace,
)
from bid_panel.core.workspace import load_workspace
from bid_panel.core.yamlio import MAX_RECORD_BYTES, read_yaml_file

AMARA = "sheets/amara-okafor.yaml"
BEN = "sheets/ben-hartley.yaml"
CARYS = "sheets/carys-evans.yaml"
MOD = "moderation.yaml"
KINFIELD = "kinfield-childrens-trust"  # carys-evans declared a conflict with this bidder
APEX_TOTAL = "£1,536,250"  # apex-care-leadership's price total, in no bid's written response

Events = list[dict[str, Any]]

SAMPLE_KEY = "sample-key"
"""The one finding on the clean sample: a warning that its panel lists the public sample keys."""


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("tamper") / "ws", with_sample_scores=True)


@pytest.fixture
def ws(sample_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(sample_template, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


# --------------------------------------------------------------------------- tampering tools


def rewrite(
    path: Path,
    fmt: RecordFormat[Any, Any],
    mutate: Callable[[dict[str, Any], Events], None],
    *,
    rehash: bool,
) -> None:
    """Change a record's events (as plain dicts) and write it back.

    rehash=False: as by hand, hashes left as they were. rehash=True: every prev/hash
    recomputed with the ledger's own functions, as a careful forger would; signatures are
    kept as they were, since forging one needs the private key.
    """
    _, data = read_yaml_file(path, limit=MAX_RECORD_BYTES)
    header, events = data["header"], data["events"]
    mutate(header, events)
    header_model = fmt.header_model.model_validate(header)
    prev = header_hash(header_model)
    typed = []
    for seq, raw in enumerate(events, start=1):
        event = dict(raw)
        if rehash:
            event.update({"seq": seq, "prev": prev, "hash": "0" * 64})
        model = fmt.event_adapter.validate_python(event)
        if rehash:
            model = model.model_copy(update={"hash": compute_event_hash(model)})
        prev = model.hash
        typed.append(model)
    path.write_text(RecordFile(path, header_model, typed).render(), encoding="utf-8")


def first(events: Events, **match: Any) -> dict[str, Any]:
    return next(e for e in events if all(e.get(k) == v for k, v in match.items()))


def seal_index(events: Events) -> int:
    return next(i for i, e in enumerate(events) if e["type"] == "submitted")


def score_event(
    bidder: str, criterion: str, value: Any, justification: str, at: str = "2026-10-05T23:00:00Z"
) -> dict[str, Any]:
    return {
        "seq": 0,
        "at": at,
        "prev": "0" * 64,
        "hash": "0" * 64,
        "type": "score",
        "bidder": bidder,
        "criterion": criterion,
        "value": value,
        "justification": justification,
    }


def beyond_sample_keys(report: VerifyReport) -> list[VerifyFinding]:
    """The findings besides the sample-key warning every copy of the sample carries."""
    return [f for f in report.findings if f.code != SAMPLE_KEY]


def verify(ws: Path) -> VerifyReport:
    return verify_workspace(ws)


def codes_in(report: VerifyReport, file: str) -> set[str]:
    return {f.code for f in report.findings if f.file == file}


def finding(report: VerifyReport, code: str, file: str | None = None) -> VerifyFinding:
    found = [f for f in report.findings if f.code == code and (file is None or f.file == file)]
    assert found, f"no {code} finding for {file}; got {sorted(report.codes())}"
    return found[0]


LONG = (
    "A justification long enough for the published minimum, pointing at the bid's own "
    "paragraphs on staffing and dated outcomes."
)


# --------------------------------------------------------------------------- the clean case


def test_clean_sample_verifies_with_signatures(ws: Path, capsys: pytest.CaptureFixture) -> None:
    report = verify(ws)
    [warning] = report.findings
    assert (warning.code, warning.severity, warning.file) == (SAMPLE_KEY, "warning", "panel.yaml")
    assert report.ok and report.exit_code == EXIT_OK
    records = [f for f in report.files if f.file != "panel.yaml"]
    assert {f.signature for f in records} == {"valid"}
    assert {f.status for f in records} == {"OK"}
    assert main(["verify", str(ws)]) == EXIT_OK
    assert "VERIFIED with 1 warning(s): no integrity error." in capsys.readouterr().out


def test_rehash_without_change_keeps_everything_valid(ws: Path) -> None:
    """The forger's tool itself changes nothing: the later cases' findings are the edits'."""
    rewrite(ws / AMARA, SHEET, lambda h, e: None, rehash=True)
    rewrite(ws / MOD, MODERATION, lambda h, e: None, rehash=True)
    assert beyond_sample_keys(verify(ws)) == []


def test_json_report_is_machine_readable(ws: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["verify", str(ws), "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "bid-panel/verify@1"
    assert data["ok"] is True and [f["code"] for f in data["findings"]] == [SAMPLE_KEY]
    assert [f["file"] for f in data["files"]][:2] == [AMARA, BEN]


# --------------------------------------------------------------------------- the corpus


def test_edit_a_score_by_hand(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        event = first(
            events, type="score", bidder="northshire-council", criterion="dcs-track-record"
        )
        event["value"] = 3

    rewrite(ws / AMARA, SHEET, mutate, rehash=False)
    report = verify(ws)
    hit = finding(report, "chain-hash", AMARA)
    assert hit.seq == 6 and hit.line > 0
    assert "edited after it was written" in hit.meaning
    assert report.exit_code == EXIT_FINDINGS
    # The moderation record remembers the score as it was.
    assert finding(report, "individual-mismatch", MOD)


def test_edit_a_justification_by_hand(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        first(events, type="score", criterion="change-management")["justification"] += " (later)"

    rewrite(ws / BEN, SHEET, mutate, rehash=False)
    report = verify(ws)
    assert codes_in(report, BEN) == {"chain-hash"}
    assert finding(report, "chain-hash", BEN).seq == 7


def test_delete_an_event(ws: Path) -> None:
    rewrite(ws / AMARA, SHEET, lambda h, events: events.pop(10), rehash=False)
    report = verify(ws)
    order = finding(report, "chain-order", AMARA)
    assert "position 11 carries seq 12" in order.message
    assert finding(report, "chain-link", AMARA).seq == 12


def test_reorder_two_events(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        events[6], events[7] = events[7], events[6]

    rewrite(ws / AMARA, SHEET, mutate, rehash=False)
    report = verify(ws)
    assert {"chain-order", "chain-link", "time-backwards"} <= codes_in(report, AMARA)


def test_swap_two_evaluators_sheets(ws: Path) -> None:
    amara, ben = ws / AMARA, ws / BEN
    swap = ws / "sheets" / "swap.tmp"
    amara.rename(swap)
    ben.rename(amara)
    swap.rename(ben)
    report = verify(ws)
    misnamed = finding(report, "sheet-misnamed", AMARA)
    assert "sheet of 'ben-hartley' is stored as amara-okafor.yaml" in misnamed.message
    assert finding(report, "sheet-misnamed", BEN)
    # Each sheet is still its own author's, correctly signed: only the names lie.
    assert report.codes() == {"sheet-misnamed", SAMPLE_KEY}


def test_reseal_with_recomputed_hashes_but_no_key(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        first(events, type="score", bidder="northshire-council", criterion="dcs-track-record")[
            "value"
        ] = 3

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    codes = codes_in(report, AMARA)
    assert not codes & {"chain-hash", "chain-link", "chain-order"}, "the chain holds"
    hit = finding(report, "signature-invalid", AMARA)
    assert hit.seq == 41 and "re-sealed" in hit.meaning
    assert next(f for f in report.files if f.file == AMARA).signature == "INVALID"
    # The new seal is not the one moderation was done on.
    assert finding(report, "binding-opened", MOD)


def test_change_the_criteria_after_scoring_began(ws: Path) -> None:
    tender = ws / "tender.yaml"
    text = tender.read_text(encoding="utf-8")
    assert "        weight: 25\n" in text
    tender.write_text(
        text.replace("        weight: 25\n", "        weight: 30\n", 1).replace(
            "        weight: 20\n", "        weight: 15\n", 1
        ),
        encoding="utf-8",
    )
    report = verify(ws)
    changed = {f.file for f in report.findings if f.code == "criteria-changed"}
    assert changed == {AMARA, BEN, CARYS, "sheets/david-price.yaml", MOD}
    assert "frozen" in finding(report, "criteria-changed", AMARA).meaning


def test_add_a_score_after_the_seal(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        events.append(score_event("northshire-council", "dcs-track-record", 4, LONG))

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    hit = finding(report, "after-seal", AMARA)
    assert hit.seq == 42 and "after the seal (event 41)" in hit.message
    # The seal itself is untouched, so its signature still holds.
    assert "signature-invalid" not in codes_in(report, AMARA)


def test_edit_the_moderation_record_by_hand(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        first(events, type="consensus", criterion="training-curriculum")["value"] = 10

    rewrite(ws / MOD, MODERATION, mutate, rehash=False)
    report = verify(ws)
    assert finding(report, "chain-hash", MOD).seq is not None


def test_rewrite_the_moderation_record_with_recomputed_hashes(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        first(events, type="consensus", criterion="training-curriculum")["value"] = 10

    rewrite(ws / MOD, MODERATION, mutate, rehash=True)
    report = verify(ws)
    assert not codes_in(report, MOD) & {"chain-hash", "chain-link", "chain-order"}
    hit = finding(report, "signature-invalid", MOD)
    assert "moderator's signature" in hit.message


def test_score_a_recused_bid(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        at = events[seal_index(events)]["at"]
        events.insert(seal_index(events), score_event(KINFIELD, "dcs-track-record", 5, LONG, at))

    rewrite(ws / CARYS, SHEET, mutate, rehash=True)
    report = verify(ws)
    recused = finding(report, "scope-recused", CARYS)
    assert "declared a conflict with" in recused.message and recused.line > 0
    assert finding(report, "signature-invalid", CARYS)


def test_quality_evaluator_scores_price(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        at = events[seal_index(events)]["at"]
        event = score_event("apex-care-leadership", "cost", "compliant", LONG, at)
        events.insert(seal_index(events), event)

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    hit = finding(report, "price-scored", AMARA)
    assert "two-envelope" in hit.meaning


def test_price_data_in_a_quality_justification(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        event = first(
            events, type="score", bidder="apex-care-leadership", criterion="dcs-track-record"
        )
        event["justification"] += f" At {APEX_TOTAL} in total this bid is good value."

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    hit = finding(report, "price-data", AMARA)
    assert "1,536,250" in hit.message and "apex-care-leadership's total price" in hit.message


def test_truncated_file(ws: Path) -> None:
    path = ws / BEN
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = verify(ws)
    hit = finding(report, "unreadable", BEN)
    assert "truncated" in hit.meaning
    assert next(f for f in report.files if f.file == BEN).chain == "unreadable"
    # Moderation was bound to a sheet that can no longer be read.
    assert finding(report, "binding-opened", MOD)
    assert main(["verify", str(ws)]) == EXIT_FINDINGS


def test_seal_cut_off_the_end(ws: Path) -> None:
    """Cutting the last event keeps the chain whole; the moderation binding notices."""
    rewrite(ws / BEN, SHEET, lambda h, events: events.pop(), rehash=False)
    report = verify(ws)
    assert finding(report, "not-submitted", BEN).severity == "warning"
    assert "no longer sealed" in finding(report, "binding-opened", MOD).message


def test_moderation_bound_to_an_old_seal(ws: Path) -> None:
    """Ben re-seals his own sheet (with his key) after moderation: the record is bound to
    the seal that was moderated, not the new one."""

    def mutate(_: dict, events: Events) -> None:
        first(events, type="score", criterion="workforce-stability")["value"] = 5

    rewrite(ws / BEN, SHEET, mutate, rehash=True)
    resign_seal(ws / BEN, "ben-hartley")
    report = verify(ws)
    assert codes_in(report, BEN) == set(), "Ben's sheet is whole and signed by Ben"
    opened = finding(report, "binding-opened", MOD)
    assert "ben-hartley's seal" in opened.message and opened.seq == 1
    assert finding(report, "binding-consensus", MOD)


def resign_seal(path: Path, evaluator: str) -> None:
    """Sign the seal as its owner would (the sample keys are public)."""
    _, data = read_yaml_file(path, limit=MAX_RECORD_BYTES)
    seal = data["events"][seal_index(data["events"])]
    signature = sign_hash(sample_key(evaluator), seal["hash"])

    def sign(_: dict, events: Events) -> None:
        events[seal_index(events)]["signature"] = signature

    rewrite(path, SHEET, sign, rehash=False)


def test_declaration_removed(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        events.remove(first(events, type="declaration", bidder="northshire-council"))

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    hit = finding(report, "declaration-missing", AMARA)
    assert "before any conflict declaration" in hit.message


def test_signature_stripped_from_the_seal(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        events[seal_index(events)].pop("signature")

    rewrite(ws / AMARA, SHEET, mutate, rehash=False)
    report = verify(ws)
    assert codes_in(report, AMARA) == {"signature-missing"}


def test_justification_emptied(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        first(events, type="score", criterion="transition-exit")["justification"] = "Fine."

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    hit = finding(report, "justification-missing", AMARA)
    assert "at least 60" in hit.message


def test_timestamps_going_back(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        events[20]["at"] = "2026-10-01T00:00:00Z"

    rewrite(ws / AMARA, SHEET, mutate, rehash=True)
    report = verify(ws)
    assert finding(report, "time-backwards", AMARA).seq == 21


def test_moderation_reason_blanked(ws: Path) -> None:
    def mutate(_: dict, events: Events) -> None:
        first(events, type="consensus", criterion="dcs-track-record")["reason"] = "Agreed."

    rewrite(ws / MOD, MODERATION, mutate, rehash=True)
    report = verify(ws)
    assert "Lancashire" in finding(report, "reason-missing", MOD).meaning


def test_copied_sheet(ws: Path) -> None:
    shutil.copy(ws / AMARA, ws / "sheets" / "zoe-copy.yaml")
    report = verify(ws)
    assert finding(report, "duplicate-sheet", "sheets/zoe-copy.yaml")
    assert finding(report, "sheet-misnamed", "sheets/zoe-copy.yaml")


# --------------------------------------------------------------------------- exports


def write_export(ws: Path) -> Path:
    workspace = load_workspace(ws)
    data = results_json(evaluate(workspace), workspace.tender_sha256)
    path = ws / "exports" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_matching_export_verifies(ws: Path) -> None:
    write_export(ws)
    report = verify(ws)
    assert beyond_sample_keys(report) == []
    assert report.results_check["compared"][0]["matches"] is True


def test_edited_export_is_caught(ws: Path) -> None:
    path = write_export(ws)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["bids"][0]["overall"] = "99"
    data["winner"] = data["ranking"][1]
    path.write_text(json.dumps(data), encoding="utf-8")
    report = verify(ws)
    hit = finding(report, "results-mismatch", "exports/results.json")
    assert "/bids/0/overall" in hit.message and "/winner" in hit.message


def test_records_changed_after_export(ws: Path) -> None:
    write_export(ws)

    def mutate(_: dict, events: Events) -> None:
        first(
            events, type="consensus", criterion="training-curriculum", bidder="northshire-council"
        )["value"] = 10

    rewrite(ws / MOD, MODERATION, mutate, rehash=True)
    report = verify(ws)
    assert finding(report, "results-mismatch", "exports/results.json")


# --------------------------------------------------------------------------- unusable input


def test_not_a_workspace_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(VerifyUnusable):
        verify_workspace(tmp_path / "nowhere")
    assert main(["verify", str(tmp_path / "nowhere")]) == EXIT_UNUSABLE
    assert main(["verify", str(tmp_path), "--format", "json"]) == EXIT_UNUSABLE
    assert json.loads(capsys.readouterr().out)["exit_code"] == EXIT_UNUSABLE


def test_broken_tender_file_is_unusable(ws: Path) -> None:
    (ws / "tender.yaml").write_text("format: [\n", encoding="utf-8")
    assert main(["verify", str(ws)]) == EXIT_UNUSABLE
