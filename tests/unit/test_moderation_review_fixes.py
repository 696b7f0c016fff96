"""Fixes from the code review of moderation, consensus and results: disputed price checks,
ranking independent of the caller's decimal precision, the moderator's signature in the
gate, accepted reasons that refer to the tender, attendance and all-or-nothing acceptance,
the auditor's inputs, and values off the scale."""

from __future__ import annotations

import shutil
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest

from bid_panel.core import evaluation
from bid_panel.core.audit import calibration, trails
from bid_panel.core.bid import Bid
from bid_panel.core.consensus import Outcome, Source
from bid_panel.core.evaluation import evaluate, inputs
from bid_panel.core.exports.data import collect
from bid_panel.core.exports.summaries import explanation_problems
from bid_panel.core.ledger import RecordFile, compute_event_hash, header_hash
from bid_panel.core.moderation import (
    MODERATION,
    ModerationRefused,
    ModerationSession,
    agreed_reason,
    default_present,
    gate,
    moderation_state,
)
from bid_panel.core.panel import Role
from bid_panel.core.results import consolidate
from bid_panel.core.sample import init_workspace
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import SHEET
from bid_panel.core.signing import sample_key, sample_public_key, signer
from bid_panel.core.tender import CriterionKind, Tender
from bid_panel.core.verify import verify_workspace
from bid_panel.core.workspace import Workspace, load_workspace
from bid_panel.core.yamlio import MAX_RECORD_BYTES, read_yaml_file
from tests.conftest import JUSTIFICATION, planned_value

D = Decimal
MODERATOR = "fiona-marsh"
SECOND_PRICE = "erin-cole"
DISPUTED = "three-rivers-partnership"
NON_COMPLIANT_NOTE = (
    "The price omits the interim DCS cover for months one to three that the specification "
    "requires: the line for the seconded DCS starts in month four, so the total is incomplete."
)
PRICE_REASON = (
    "The panel found the seconded DCS line from Westmarch starts in month four, so the "
    "months one to three of interim cover are not priced and the total is incomplete."
)
REASON = (
    "The panel agreed the response evidences two sustained improvements from "
    "inadequate, with named referees; the gaps in workforce data hold it below 5."
)


def sign(session: ModerationSession) -> None:
    """Sign as the sample's moderator (the sample's keys are public)."""
    session.sign(signer(sample_key(MODERATOR)), sample_public_key(MODERATOR))


def evaluators(workspace: Workspace) -> list[str]:
    return [e.id for e in workspace.panel.evaluators if e.role is not Role.MODERATOR]


def score(workspace: Workspace, override: dict[tuple[str, tuple[str, str]], Any]) -> None:
    """Every evaluator declares no conflict, scores every item (the shared template's
    values, or `override[(evaluator, item)]` as (value, justification)) and submits."""
    quality = [e.id for e in workspace.panel.of_role(Role.QUALITY)]
    for evaluator in evaluators(workspace):
        index = quality.index(evaluator) if evaluator in quality else 0
        with ScoringSession(workspace, evaluator) as session:
            for bidder in session.bidders:
                session.declare(bidder, conflict=False)
            for item in session.items():
                value, text = override.get(
                    (evaluator, item),
                    (
                        planned_value(workspace, item, index),
                        JUSTIFICATION.format(bidder=item[0], criterion=item[1]),
                    ),
                )
                session.set_score(item, value, text)
            session.submit()


def settle_quality(session: ModerationSession) -> None:
    """Accept the agreed items, then moderate every other quality and gate item."""
    present = evaluators(session.workspace)
    session.accept_agreed(present)
    for item, scores in session.items().items():
        if item in session.state.current or scores.price_check:
            continue
        criterion = session.tender.by_id[item[1]]
        value = (
            scores.values[0]
            if criterion.kind is CriterionKind.PASS_FAIL
            else max(v for v in scores.values if isinstance(v, Decimal))
        )
        session.agree(item, value, REASON, present)


# --------------------------------------------------------------------------- 1. price


@pytest.fixture
def two_price_evaluators(workspace_dir: Path) -> Workspace:
    """The sample with a second price evaluator, who finds one bid's price non-compliant
    where the first finds it compliant."""
    panel = workspace_dir / "panel.yaml"
    panel.write_text(
        panel.read_text(encoding="utf-8")
        + f"  - id: {SECOND_PRICE}\n    name: Erin Cole (Finance Business Partner)\n"
        "    role: price\n    criteria: [cost]\n",
        encoding="utf-8",
    )
    workspace = load_workspace(workspace_dir)
    score(
        workspace,
        {(SECOND_PRICE, (DISPUTED, "cost")): ("non_compliant", NON_COMPLIANT_NOTE)},
    )
    return load_workspace(workspace_dir)


def test_a_disputed_price_keeps_results_provisional_until_moderated(
    two_price_evaluators: Workspace,
) -> None:
    workspace = two_price_evaluators
    name = workspace.bids[DISPUTED].bidder.name
    item = (DISPUTED, "cost")
    with ModerationSession(workspace, MODERATOR) as session:
        session.open(evaluators(workspace))
        scores = session.items()[item]
        assert scores.flagged and scores.price_check
        # Only the disputed price is on the agenda, not the prices everyone agrees on.
        assert [k for k, s in session.items().items() if s.price_check] == [item]
        settle_quality(session)
        verdict = session.gate()
        assert not verdict.final and not verdict.ready_to_sign
        (price_reason,) = [r for r in verdict.reasons if "price" in r]
        assert name in price_reason and "disagree" in price_reason
        # Provisionally excluded, and the results do not pretend anyone decided it.
        results = evaluate(workspace, session.state)
        assert not results.final
        (exclusion,) = results.by_bidder(DISPUTED).exclusions
        assert "provisional" in exclusion.reason
        assert "the price evaluator found the price non-compliant" not in exclusion.reason

        with pytest.raises(ModerationRefused, match="compliant or non_compliant"):
            session.agree(item, "pass", PRICE_REASON, evaluators(workspace))
        with pytest.raises(ModerationRefused, match="reason of at least"):
            session.agree(item, "non_compliant", "Incomplete.", evaluators(workspace))
        assert session.allowed_values(item) == ["compliant", "non_compliant"]
        session.agree(item, "non_compliant", PRICE_REASON, evaluators(workspace))
        assert session.gate().reasons == ["moderation record not signed"]
        sign(session)
        assert session.gate().final

    results = evaluate(load_workspace(workspace.root))
    assert results.final
    (exclusion,) = results.by_bidder(DISPUTED).exclusions
    assert exclusion.reason == f"Cost (30-month price): price non-compliant ({PRICE_REASON})"
    # verify accepts a consensus on a disputed price check.
    report = verify_workspace(workspace.root)
    assert [str(f) for f in report.errors if f.file == "moderation.yaml"] == []


def test_a_moderated_compliant_price_keeps_the_bid_in(two_price_evaluators: Workspace) -> None:
    workspace = two_price_evaluators
    with ModerationSession(workspace, MODERATOR) as session:
        session.open(evaluators(workspace))
        settle_quality(session)
        session.agree(
            (DISPUTED, "cost"),
            "compliant",
            "The Westmarch secondment letter confirms the seconded DCS is in post from "
            "month one at the line's rate, so the total covers the full 30 months.",
            evaluators(workspace),
        )
        sign(session)
        results = evaluate(workspace, session.state)
    assert results.final
    assert not results.by_bidder(DISPUTED).excluded


def test_a_price_the_price_evaluators_agree_on_is_not_moderated(
    two_price_evaluators: Workspace,
) -> None:
    workspace = two_price_evaluators
    with ModerationSession(workspace, MODERATOR) as session:
        session.open(evaluators(workspace))
        with pytest.raises(ModerationRefused, match="agree on the price check"):
            session.agree(
                ("apex-care-leadership", "cost"), "non_compliant", PRICE_REASON, ["david-price"]
            )


def test_a_single_price_evaluators_verdict_gives_its_justification_as_the_reason(
    workspace: Workspace,
) -> None:
    score(workspace, {("david-price", (DISPUTED, "cost")): ("non_compliant", NON_COMPLIANT_NOTE)})
    workspace = load_workspace(workspace.root)
    with ModerationSession(workspace, MODERATOR) as session:
        session.open(evaluators(workspace))
        # One price evaluator cannot disagree with themselves: nothing to moderate.
        assert not any(s.price_check for s in session.items().values())
        results = evaluate(workspace, session.state)
    (exclusion,) = results.by_bidder(DISPUTED).exclusions
    assert exclusion.reason == f"Cost (30-month price): price non-compliant ({NON_COMPLIANT_NOTE})"


# --------------------------------------------------------------------------- 2. precision


def thirds_tender(base: Tender) -> Tender:
    """Two criteria worth 10 points each on a 0-3 scale (and one worth 80 nobody scores
    on): 1 + 1 and 2 + 0 are both exactly 20/3. Tie-break: quality, then criterion b."""
    data: dict[str, Any] = base.model_dump(mode="python")
    data["scales"] = [
        {
            "id": "q-0-3",
            "name": "Quality 0-3",
            "values": [
                {"value": D(v), "label": label, "descriptor": f"{label} response."}
                for v, label in enumerate(["None", "Weak", "Sound", "Strong"])
            ],
        }
    ]
    data["criteria"] = [
        {"id": cid, "title": f"Criterion {cid}", "kind": "scored", "weight": D(w),
         "scale": "q-0-3", "guidance": f"Guidance for {cid}."}
        for cid, w in (("a", 10), ("b", 10), ("c", 80))
    ]  # fmt: skip
    data["rules"]["tie_break"] = ["quality_total", "criterion:b", "earliest_submission"]
    return Tender.model_validate(data)


def bid(bidder: str) -> Bid:
    return Bid.model_validate(
        {
            "format": "bid-panel/bid@1",
            "tender_reference": "CS-2026-014",
            "bidder": {"id": bidder, "name": bidder.title(), "organisation_type": "company"},
            "submitted_at": "2026-10-01T09:00:00+00:00",
            "responses": {},
        }
    )


def test_the_ranking_does_not_depend_on_the_callers_precision(workspace: Workspace) -> None:
    tender = thirds_tender(workspace.tender)
    bids = {"ones": bid("ones"), "two": bid("two")}
    values = {"ones": (1, 1, 0), "two": (2, 0, 0)}
    outcomes = {
        (b, cid): Outcome(D(v), Source.MODERATED, REASON)
        for b, vs in values.items()
        for cid, v in zip("abc", vs, strict=True)
    }
    seen = []
    for precision in (28, 60, 100):
        with localcontext() as context:
            context.prec = precision
            results = consolidate(tender, bids, outcomes)
            seen.append(
                (
                    [b.bidder for b in results.ranked],
                    results.tie_breaks,
                    results.margin,
                    [str(b.overall) for b in results.ranked],
                )
            )
    assert seen[0] == seen[1] == seen[2]
    ranking, notes, margin, _ = seen[0]
    # Exactly equal totals and quality: criterion b (10/3 against 0) decides.
    assert ranking == ["ones", "two"]
    assert notes == ["Ones and Two have exactly equal totals; tie broken by criterion:b"]
    assert margin == 0


# --------------------------------------------------------------------------- 3. signature


@pytest.fixture
def sample_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, fixed_clock) -> Path:
    template = tmp_path_factory.getbasetemp() / "review-fixes-sample" / "ws"
    if not template.exists():
        init_workspace(template, with_sample_scores=True)
    target = tmp_path / "sample"
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


def remoderate_one(workspace: Workspace) -> None:
    with ModerationSession(workspace, MODERATOR) as session:
        item = next(i for i, s in session.items().items() if s.flagged)
        value = next(
            v for v in session.allowed_values(item) if v != session.state.current[item].value
        )
        session.agree(item, value, REASON, session.present_for(item))


def test_a_change_after_the_signature_makes_results_provisional(sample_dir: Path) -> None:
    workspace = load_workspace(sample_dir)
    assert gate(workspace, moderation_state(workspace)).final
    remoderate_one(workspace)
    state = moderation_state(workspace)
    verdict = gate(workspace, state)
    assert verdict.reasons == [
        "record changed since the moderator signed it: 1 entry after the signature"
    ]
    assert verdict.awaiting_signature and verdict.ready_to_sign and not verdict.final
    assert not evaluate(workspace).final
    report = verify_workspace(sample_dir)
    tail = next(f for f in report.errors if f.code == "moderation-unsigned-tail")
    assert tail.file == "moderation.yaml"
    assert not report.ok

    with ModerationSession(workspace, MODERATOR) as session:
        sign(session)
    assert gate(workspace, moderation_state(workspace)).final
    assert verify_workspace(sample_dir).ok


def test_an_unsigned_record_is_an_error_when_the_moderator_has_a_key(sample_dir: Path) -> None:
    def drop_signatures(_: dict, events: list[dict]) -> None:
        events[:] = [e for e in events if e["type"] != "signed"]

    rewrite(sample_dir / "moderation.yaml", MODERATION, drop_signatures)
    workspace = load_workspace(sample_dir)
    assert gate(workspace, moderation_state(workspace)).reasons == ["moderation record not signed"]
    report = verify_workspace(sample_dir)
    assert "moderation-unsigned" in {f.code for f in report.errors}


def test_without_a_key_for_the_moderator_no_signature_is_needed(sample_dir: Path) -> None:
    panel = sample_dir / "panel.yaml"
    text = panel.read_text(encoding="utf-8")
    key = f"    public_key: {sample_public_key(MODERATOR)}\n"
    assert key in text
    panel.write_text(text.replace(key, ""), encoding="utf-8")
    workspace = load_workspace(sample_dir)
    remoderate_one(workspace)
    state = moderation_state(workspace)
    assert gate(workspace, state).final
    report = verify_workspace(sample_dir)
    assert "moderation-unsigned-tail" in {f.code for f in report.warnings}
    assert "moderation-unsigned-tail" not in {f.code for f in report.errors}


# --------------------------------------------------------------------------- 4. accepted


def test_accepted_reasons_refer_to_the_tender_and_pass_the_summaries_check(
    sample_dir: Path,
) -> None:
    sample = moderation_state(load_workspace(sample_dir))
    (sample_dir / "moderation.yaml").unlink()
    workspace = load_workspace(sample_dir)
    with ModerationSession(workspace, MODERATOR) as session:
        session.open([*evaluators(workspace), MODERATOR])
        accepted = session.accept_agreed()
        assert accepted
        for entry in accepted:
            item = (entry.bidder, entry.criterion)
            assert entry.reason == agreed_reason(workspace, item, session.items()[item])
            assert "Their reasons: " in entry.reason or "The reason: " in entry.reason
        for item in session.items():
            if item not in session.state.current:
                kept = sample.current[item]
                session.agree(item, kept.value, kept.reason, session.present_for(item))
        sign(session)
    data = collect(load_workspace(sample_dir))
    assert data.results.final
    assert explanation_problems(data) == []


def test_a_reason_that_restates_the_criterion_is_refused(sample_dir: Path) -> None:
    workspace = load_workspace(sample_dir)
    with ModerationSession(workspace, MODERATOR) as session:
        item = ("meridian-childrens-partnerships", "change-management")
        with pytest.raises(ModerationRefused, match="merely restates the criterion"):
            session.agree(
                item,
                D(5),
                "The response exceeds the requirement with compelling evidence of outcomes "
                "achieved elsewhere and added value for the council's children and families.",
                session.present_for(item),
            )


# --------------------------------------------------------------------------- 6. attendance


def test_nobody_conflicted_is_put_back_as_present(scored_workspace_dir: Path) -> None:
    workspace = load_workspace(scored_workspace_dir)
    # Carys declares a conflict with one bidder (a fresh sheet, as the template's has none).
    carys = "carys-evans"
    conflicted_bidder = "kinfield-childrens-trust"
    (scored_workspace_dir / "sheets" / f"{carys}.yaml").unlink()
    with ScoringSession(workspace, carys) as scoring:
        for bidder in scoring.bidders:
            scoring.declare(bidder, conflict=bidder == conflicted_bidder, note="Former trustee.")
        for item in scoring.items():
            scoring.set_score(
                item,
                planned_value(workspace, item, 2),
                JUSTIFICATION.format(bidder=item[0], criterion=item[1]),
            )
        scoring.submit()
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, MODERATOR) as session:
        session.open([carys])
        item = next(i for i in session.items() if i[0] == conflicted_bidder)
        assert default_present(workspace, session.state, item) == []
        other = next(i for i in session.items() if i[0] != conflicted_bidder)
        assert default_present(workspace, session.state, other) == [carys]


def test_accept_agreed_writes_nothing_unless_every_item_can_be_accepted(
    scored_workspace_dir: Path,
) -> None:
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, MODERATOR) as session:
        session.open(evaluators(workspace))
        agreed = list(session.to_accept())
        assert len(agreed) > 2
        last = agreed[-1]
        before = len(session._writer.events)

        def reason_for(item, scores) -> str:
            return "Agreed." if item == last else REASON

        with pytest.raises(ModerationRefused, match="nothing accepted") as caught:
            session.accept_agreed(evaluators(workspace), reason_for)
        assert f"{last[0]} / {last[1]}" in str(caught.value)
        assert session.state.current == {}
        assert len(session._writer.events) == before
    assert moderation_state(workspace).current == {}


# --------------------------------------------------------------------------- 7. inputs


def test_the_auditor_sees_what_moderation_saw(scored_workspace_dir: Path) -> None:
    """An evaluator withdrawn with an unsubmitted sheet: moderation left their scores out,
    so the trail and the calibration do too."""
    carys = "carys-evans"
    (scored_workspace_dir / "sheets" / f"{carys}.yaml").unlink()
    workspace = load_workspace(scored_workspace_dir)
    with ScoringSession(workspace, carys) as scoring:
        for bidder in scoring.bidders:
            scoring.declare(bidder, conflict=False)
        for item in list(scoring.items())[:6]:
            scoring.set_score(
                item,
                planned_value(workspace, item, 2),
                JUSTIFICATION.format(bidder=item[0], criterion=item[1]),
            )
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, MODERATOR) as session:
        session.withdraw(
            carys,
            "Long-term sick leave from 2 October; the sheet was not completed and the "
            "panel agreed to continue with the remaining evaluators.",
        )
        session.open(evaluators(workspace)[:2])
        item = next(i for i in workspace.states()[carys].scores if i in session.items())
        scores = session.items()[item]
        session.agree(item, max(scores.values), REASON, evaluators(workspace)[:2])

    loaded = verify_workspace(scored_workspace_dir).loaded
    found = trails(loaded)
    individual = {s.evaluator for b in found.bids for i in b.items for s in i.individual}
    assert carys not in individual and individual
    assert {c.evaluator: c.items for c in calibration(loaded).evaluators}[carys] == 0


def test_robustness_reuses_the_inputs_it_is_given(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = load_workspace(sample_dir)
    state = moderation_state(workspace)
    found = inputs(workspace, state)

    def again(*_: object) -> None:
        raise AssertionError("inputs computed a second time")

    monkeypatch.setattr(evaluation, "inputs", again)
    results, report = evaluation.robustness(workspace, state, found)
    assert results.final and report.scenarios


# --------------------------------------------------------------------------- 8. off scale


def rewrite(path: Path, fmt: Any, mutate: Any) -> None:
    """Change a record's events and recompute every hash, as a careful forger would."""
    _, data = read_yaml_file(path, limit=MAX_RECORD_BYTES)
    header, events = data["header"], data["events"]
    mutate(header, events)
    header_model = fmt.header_model.model_validate(header)
    prev = header_hash(header_model)
    typed = []
    for seq, raw in enumerate(events, start=1):
        event = {**raw, "seq": seq, "prev": prev, "hash": "0" * 64}
        model = fmt.event_adapter.validate_python(event)
        model = model.model_copy(update={"hash": compute_event_hash(model)})
        prev = model.hash
        typed.append(model)
    path.write_text(RecordFile(path, header_model, typed).render(), encoding="utf-8")


def first(events: list[dict], **match: Any) -> dict:
    return next(e for e in events if all(e.get(k) == v for k, v in match.items()))


def test_a_consensus_off_the_scale_is_missing_never_a_crash(sample_dir: Path) -> None:
    def mutate(_: dict, events: list[dict]) -> None:
        first(events, type="consensus", bidder="northshire-council", criterion="change-management")[
            "value"
        ] = 7

    rewrite(sample_dir / "moderation.yaml", MODERATION, mutate)
    results = evaluate(load_workspace(sample_dir))
    assert not results.final
    assert any(
        "northshire-council / change-management" in r and "not one of" in r
        for r in results.provisional_reasons
    )
    item = results.by_bidder("northshire-council").items["change-management"]
    assert (item.value, item.source, item.contribution) == (None, Source.MISSING, 0)
    workspace = load_workspace(sample_dir)
    reasons = gate(workspace, moderation_state(workspace)).reasons
    assert any(
        r.startswith("consensus not an allowed value") and "Northshire" in r for r in reasons
    )

    report = verify_workspace(sample_dir)
    assert "consensus-off-scale" in report.codes()
    loaded = report.loaded
    found = trails(loaded)
    assert not found.error and not found.final
    calibration(loaded)


def test_an_individual_score_off_the_scale_is_missing_never_a_crash(sample_dir: Path) -> None:
    # A tampered sheet, on an item the moderation record does not cover: drop the
    # record so that the sheet's value is what the results would use.
    (sample_dir / "moderation.yaml").unlink()

    def mutate(_: dict, events: list[dict]) -> None:
        first(events, type="score", bidder="apex-care-leadership", criterion="transition-exit")[
            "value"
        ] = D("2.5")

    rewrite(sample_dir / "sheets" / "amara-okafor.yaml", SHEET, mutate)
    report = verify_workspace(sample_dir)
    assert "invalid-value" in report.codes()
    results = evaluate(report.loaded.workspace())
    assert any(
        "apex-care-leadership / transition-exit" in r and "amara-okafor's value 2.5" in r
        for r in results.provisional_reasons
    )
    assert results.by_bidder("apex-care-leadership").items["transition-exit"].source is (
        Source.MISSING
    )
    found = trails(report.loaded)
    assert not found.error
    calibration(report.loaded)
    evaluation.robustness(report.loaded.workspace())
