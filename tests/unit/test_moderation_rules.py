"""The rules of moderation as the moderator's screens ask them of the core.

Consensus values come from the scale only (an off-scale value, such as the average of the
individual scores, is refused); a reason of the tender's minimum length is required; who
was present is recorded; accepting agreed items records a reason that states the scores;
a change is a new entry with its own reason and the history keeps both; every consensus is
bound to the seals of the sheets it moderated; results are final only through the gate.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bid_panel.core.consensus import ItemScores
from bid_panel.core.evaluation import evaluate
from bid_panel.core.ledger import check_chain
from bid_panel.core.moderation import (
    ItemState,
    ModerationRefused,
    ModerationSession,
    agreed_reason,
    consensus_problems,
    default_present,
    gate,
    item_state,
    moderation_state,
    open_refusal,
    panel_status,
    read_moderation,
    signature_status,
    value_text,
    withdrawal_problems,
)
from bid_panel.core.panel import Role
from bid_panel.core.sample import init_workspace
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import Item
from bid_panel.core.signing import sample_key, sample_public_key, signer
from bid_panel.core.tender import CriterionKind
from bid_panel.core.workspace import Workspace, load_workspace
from tests.conftest import JUSTIFICATION, planned_value, ticking_clock

D = Decimal
REASON = (
    "The panel agreed the tender evidences a sustained improvement with dated outcome data "
    "and named referees; the gaps in its workforce figures hold it below the top score."
)
OTHER_REASON = (
    "On review the panel agreed the outcome data in section 2 of the tender covers only one "
    "service, so the evidence of sustained improvement is narrower than first read."
)
WITHDRAWAL = (
    "Long-term sick leave from 2 October; the sheet was not completed and the panel "
    "agreed to continue with the remaining evaluators."
)


def moderator(workspace: Workspace) -> str:
    return workspace.panel.of_role(Role.MODERATOR)[0].id


def quality(workspace: Workspace) -> list[str]:
    return [e.id for e in workspace.panel.of_role(Role.QUALITY)]


@pytest.fixture
def scored(scored_workspace_dir: Path) -> Workspace:
    return load_workspace(scored_workspace_dir)


@pytest.fixture
def session(scored: Workspace):
    with ModerationSession(scored, moderator(scored)) as opened:
        opened.open([*quality(scored), moderator(scored)])
        yield opened


def find(session: ModerationSession, state: ItemState, kind=CriterionKind.SCORED) -> Item:
    """The first item in `state`; scored items on the 0-5 quality scale."""
    for item, scores in session.items().items():
        criterion = session.tender.by_id[item[1]]
        if (
            criterion.kind is kind
            and criterion.scale in (None, "quality-0-5")
            and item_state(scores, session.state.current.get(item)) is state
        ):
            return item
    raise AssertionError(f"the scored template has no {state} item of kind {kind}")


def sign(session: ModerationSession) -> None:
    """Sign the record as the sample's moderator (the sample's keys are public)."""
    moderator_id = session.moderator.id
    session.sign(signer(sample_key(moderator_id)), sample_public_key(moderator_id))


def mean(scores: ItemScores) -> Decimal:
    numbers = [v for v in scores.values if isinstance(v, Decimal)]
    return sum(numbers, D(0)) / len(numbers)


def settle_everything(session: ModerationSession) -> None:
    """Accept what all agree on, and discuss the rest (consensus: the lowest score)."""
    session.accept_agreed()
    for item, scores in session.items().items():
        if item not in session.state.current:
            value = sorted(scores.values, key=str)[0] if scores.values else D(0)
            session.agree(item, value, REASON, session.present_for(item))


# --------------------------------------------------------------------------- values


def test_an_off_scale_value_is_refused(session: ModerationSession) -> None:
    item = find(session, ItemState.TO_DISCUSS)
    for value in (D("3.5"), D(6), D(-1), "pass"):
        with pytest.raises(ModerationRefused, match="never an average"):
            session.agree(item, value, REASON, quality(session.workspace))
    assert item not in session.state.current
    assert read_moderation(session.workspace).events[-1].type == "opened"


def test_the_average_of_the_individual_scores_is_refused(session: ModerationSession) -> None:
    # Every item where the evaluators differ by one point (e.g. 3, 3, 4) averages off the
    # scale: the average is refused, and a scale value agreed by discussion is accepted.
    for item, scores in session.items().items():
        if session.tender.by_id[item[1]].kind is not CriterionKind.SCORED:
            continue
        average = mean(scores)
        if average in session.allowed_values(item):
            continue
        with pytest.raises(ModerationRefused, match=r"not on the .* scale.*never an average"):
            session.agree(item, average, REASON, quality(session.workspace))
        entry = session.agree(item, scores.values[0], REASON, quality(session.workspace))
        assert entry.value == scores.values[0]
        return
    raise AssertionError("the scored template has no item whose average is off the scale")


def test_a_verdict_on_a_scored_criterion_and_a_number_on_a_gate_are_refused(
    session: ModerationSession,
) -> None:
    gate_item = find(session, ItemState.TO_ACCEPT, CriterionKind.PASS_FAIL)
    with pytest.raises(ModerationRefused, match="not pass or fail"):
        session.agree(gate_item, D(1), REASON, quality(session.workspace))
    assert session.allowed_values(gate_item) == ["pass", "fail"]


def test_a_value_is_recorded_in_the_scales_own_spelling(session: ModerationSession) -> None:
    item = find(session, ItemState.TO_DISCUSS)
    entry = session.agree(item, D("3.0"), REASON, quality(session.workspace))
    assert str(entry.value) == "3"
    assert "value: 3\n" in session.workspace.moderation_path.read_text(encoding="utf-8")


def test_price_is_never_moderated(session: ModerationSession) -> None:
    price = next(c.id for c in session.tender.price_criteria)
    bidder = next(iter(session.workspace.bids))
    assert all(item[1] != price for item in session.items())
    with pytest.raises(ModerationRefused, match="not an item to moderate"):
        session.agree((bidder, price), "compliant", REASON, quality(session.workspace))


# --------------------------------------------------------------------------- reason, present


@pytest.mark.parametrize("reason", ["", "   ", "Agreed.", "x" * 59, " " * 10 + "y" * 59])
def test_a_missing_or_short_reason_is_refused(session: ModerationSession, reason: str) -> None:
    item = find(session, ItemState.TO_DISCUSS)
    with pytest.raises(ModerationRefused, match="reason of at least 60 characters"):
        session.agree(item, D(3), reason, quality(session.workspace))
    assert item not in session.state.current


def test_who_was_present_is_required_and_must_be_on_the_panel(
    session: ModerationSession,
) -> None:
    item = find(session, ItemState.TO_DISCUSS)
    with pytest.raises(ModerationRefused, match="record who was present"):
        session.agree(item, D(3), REASON, [])
    with pytest.raises(ModerationRefused, match="not on the panel: someone-else"):
        session.agree(item, D(3), REASON, ["someone-else"])


def test_the_screens_ask_the_same_question_the_session_answers(
    session: ModerationSession,
) -> None:
    item = find(session, ItemState.TO_DISCUSS)
    problems = consensus_problems(session.workspace, session.state, item, None, "", [])
    assert problems == [
        "choose the consensus score from the scale",
        "a consensus needs a reason of at least 60 characters (0 so far)",
        "record who was present when the consensus was agreed",
    ]
    assert session.problems(item, D(3), REASON, quality(session.workspace)) == []


def test_nothing_before_moderation_opens(scored: Workspace) -> None:
    with ModerationSession(scored, moderator(scored)) as session:
        item = next(iter(session.items()))
        assert session.problems(item, D(3), REASON, quality(scored)) == [
            "open moderation first (every sheet must be submitted)"
        ]
        assert open_refusal(scored, session.state) is None


# --------------------------------------------------------------------------- accepting


def test_only_an_item_where_all_agree_can_be_accepted_as_is(session: ModerationSession) -> None:
    differ = find(session, ItemState.TO_MODERATE)
    value = session.items()[differ].values[0]
    with pytest.raises(ModerationRefused, match="only an item where all evaluators agree"):
        session.agree(differ, value, REASON, quality(session.workspace), "accepted_agreement")
    agreed = find(session, ItemState.TO_ACCEPT)
    other = next(
        v for v in session.allowed_values(agreed) if v != session.items()[agreed].values[0]
    )
    with pytest.raises(ModerationRefused, match="only an item where all evaluators agree"):
        session.agree(agreed, other, REASON, quality(session.workspace), "accepted_agreement")


def test_accept_all_agreed_records_a_reason_that_states_the_scores(
    session: ModerationSession,
) -> None:
    expected = session.to_accept()
    flagged = {i for i, s in session.items().items() if s.flagged}
    assert expected and flagged
    accepted = session.accept_agreed()
    assert {(c.bidder, c.criterion) for c in accepted} == set(expected)
    assert not flagged & set(expected)
    for entry in accepted:
        scores = expected[(entry.bidder, entry.criterion)]
        criterion = session.tender.by_id[entry.criterion]
        assert entry.basis == "accepted_agreement"
        assert entry.value == scores.values[0]
        assert entry.reason == agreed_reason(
            session.workspace, (entry.bidder, entry.criterion), scores
        )
        assert len(entry.reason) >= session.tender.rules.justification_min_length
        if criterion.kind is CriterionKind.SCORED:
            label = session.tender.scale_of(criterion).entry(entry.value).label
            assert entry.reason.startswith(
                f"All three evaluators independently reached {entry.value} ({label}). "
                "Their reasons: "
            )
        else:
            assert entry.reason.startswith(
                f"All three evaluators independently found the bid {entry.value}es the gate. "
                "Their reasons: "
            )
        # The reason refers to the tender through the evidence the evaluators cited.
        for individual in scores.scores.values():
            assert " ".join(individual.justification.split()).rstrip(".") in entry.reason
        assert entry.individual == {e: s.value for e, s in scores.scores.items()}
    assert session.to_accept() == {}
    assert session.accept_agreed() == []


def test_an_accepted_item_can_be_re_moderated_later(session: ModerationSession) -> None:
    session.accept_agreed()
    item = find(session, ItemState.ACCEPTED)
    first = session.state.current[item]
    lower = session.allowed_values(item)[0]
    second = session.agree(item, lower, OTHER_REASON, quality(session.workspace))
    assert second.supersedes == first.seq
    assert second.basis == "discussed"
    assert item_state(session.items()[item], session.state.current[item]) is ItemState.MODERATED


def test_the_reason_says_how_many_evaluators_agreed(sample_without_record: Path) -> None:
    workspace = load_workspace(sample_without_record)
    with ModerationSession(workspace, moderator(workspace)) as session:
        session.open([e.id for e in workspace.panel.evaluators])
        reasons = [
            (len(scores.values), agreed_reason(workspace, item, scores))
            for item, scores in session.to_accept().items()
        ]
    assert all(r.startswith("All three evaluators independently ") for n, r in reasons if n == 3)
    # Carys Evans declared a conflict with Kinfield: two evaluators scored its bid.
    both = [r for n, r in reasons if n == 2]
    assert both and all(r.startswith("Both evaluators independently ") for r in both)
    assert any("Both evaluators independently reached 3 (Satisfactory)" in r for r in both)


# --------------------------------------------------------------------------- history


def test_a_re_moderated_item_keeps_both_entries_with_their_reasons(
    session: ModerationSession,
) -> None:
    item = find(session, ItemState.TO_DISCUSS)
    first = session.agree(item, D(2), REASON, quality(session.workspace))
    with pytest.raises(ModerationRefused, match="a change needs its own reason"):
        session.agree(item, D(3), REASON, quality(session.workspace))
    second = session.agree(item, D(3), OTHER_REASON, quality(session.workspace))
    assert second.supersedes == first.seq
    assert [c.value for c in session.history(item)] == [D(2), D(3)]
    assert [c.reason for c in session.history(item)] == [REASON, OTHER_REASON]
    session.close()

    # Read back from disk: both entries, the later one in force, the chain intact.
    workspace = load_workspace(session.workspace.root)
    state = moderation_state(workspace)
    assert [c.seq for c in state.history[item]] == [first.seq, second.seq]
    assert state.current[item].value == D(3)
    assert evaluate(workspace).by_bidder(item[0]).items[item[1]].value == D(3)
    record = read_moderation(workspace)
    assert check_chain(record.header, record.events) == []


# --------------------------------------------------------------------------- seals


def test_every_consensus_is_bound_to_the_seals_of_the_sheets_it_moderated(
    session: ModerationSession,
) -> None:
    settle_everything(session)
    sheets = session.workspace.states()
    assert session.state.opened.sheet_seals == {e: s.seal for e, s in sheets.items()}
    for item, entry in session.state.current.items():
        assert entry.sheet_seals == {e: sheets[e].seal for e in entry.individual}
        assert set(entry.individual) == set(session.items()[item].scores)
        for evaluator, value in entry.individual.items():
            assert sheets[evaluator].scores[item].value == value


def test_a_sheet_replaced_after_opening_shows_in_the_gate(
    session: ModerationSession, scored_workspace_dir: Path
) -> None:
    settle_everything(session)
    assert session.gate().ready_to_sign and not session.gate().final
    sign(session)
    assert session.gate().final
    session.close()
    # Carys's sheet is scored again, identically, on another day: a valid sheet with a
    # different seal. The moderation record no longer binds to it.
    carys = quality(session.workspace)[-1]
    (scored_workspace_dir / "sheets" / f"{carys}.yaml").unlink()
    workspace = load_workspace(scored_workspace_dir)
    with (
        ticking_clock(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),
        ScoringSession(workspace, carys) as scoring,
    ):
        for bidder in scoring.bidders:
            scoring.declare(bidder, conflict=False)
        for item in scoring.items():
            text = JUSTIFICATION.format(bidder=item[0], criterion=item[1])
            scoring.set_score(item, planned_value(workspace, item, 2), text)
        scoring.submit()
    workspace = load_workspace(scored_workspace_dir)
    verdict = gate(workspace, moderation_state(workspace))
    assert not verdict.final
    assert verdict.reasons == [
        f"the score sheet of {carys} changed after moderation opened "
        "(its seal no longer matches the moderation record)"
    ]
    assert not evaluate(workspace).final


def test_a_tampered_moderation_record_is_never_final(
    session: ModerationSession, scored_workspace_dir: Path
) -> None:
    settle_everything(session)
    session.close()
    path = scored_workspace_dir / "moderation.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("hold it below the top score", "hold it at 3", 1), "utf-8")
    workspace = load_workspace(scored_workspace_dir)
    state = moderation_state(workspace)
    assert state.problems and "hash chain is broken" in state.problems[0]
    assert not gate(workspace, state).final
    assert not evaluate(workspace).final


# --------------------------------------------------------------------------- gate


def test_the_gate_says_why_until_every_item_is_settled(scored: Workspace) -> None:
    with ModerationSession(scored, moderator(scored)) as session:
        assert session.gate().reasons == ["moderation has not started"]
        session.open(quality(scored))
        items = session.items()
        flagged = sum(s.flagged for s in items.values())
        assert session.gate().reasons == [
            f"{flagged} flagged item(s) not yet moderated",
            f"{len(items) - flagged} item(s) neither moderated nor accepted",
            "moderation record not signed",
        ]
        session.accept_agreed()
        reasons = session.gate().reasons
        assert reasons[0] == f"{flagged} flagged item(s) not yet moderated"
        for item, scores in items.items():
            if scores.flagged:
                session.agree(item, scores.values[0], REASON, quality(scored))
        left = [i for i in items if i not in session.state.current]
        assert session.gate().reasons == [
            f"{len(left)} item(s) neither moderated nor accepted",
            "moderation record not signed",
        ]
        assert not session.gate().ready_to_sign
        for item in left:
            session.agree(item, items[item].values[0], REASON, quality(scored))
        # Every item is settled; the panel lists the moderator's key, so only the
        # signature is missing.
        verdict = session.gate()
        assert verdict.reasons == ["moderation record not signed"]
        assert verdict.awaiting_signature and verdict.ready_to_sign and not verdict.final
        assert not evaluate(scored, session.state).final
        sign(session)
        assert session.gate().final
        assert evaluate(scored, session.state).final


def test_withdrawal_rules(scored_workspace_dir: Path) -> None:
    absent = quality(load_workspace(scored_workspace_dir))[-1]
    (scored_workspace_dir / "sheets" / f"{absent}.yaml").unlink()
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, moderator(workspace)) as session:
        assert "still out: " + absent in open_refusal(workspace, session.state)
        assert withdrawal_problems(workspace, session.state, moderator(workspace), WITHDRAWAL)
        assert withdrawal_problems(workspace, session.state, absent, "ill") == [
            "a withdrawal needs a reason of at least 60 characters"
        ]
        session.withdraw(absent, WITHDRAWAL)
        assert withdrawal_problems(workspace, session.state, absent, WITHDRAWAL) == [
            f"{workspace.panel.by_id[absent].name} is already withdrawn"
        ]
        status = {m.id: m for m in panel_status(workspace, session.state)}
        assert status[absent].status == "withdrawn"
        assert status[absent].detail == WITHDRAWAL
        session.open(quality(workspace)[:-1])
        with pytest.raises(ModerationRefused, match="can no longer be withdrawn"):
            session.withdraw(quality(workspace)[0], WITHDRAWAL)


def test_panel_status_says_who_is_where(workspace: Workspace) -> None:
    first, second = quality(workspace)[:2]
    with ScoringSession(workspace, first) as scoring:
        for bidder in scoring.bidders:
            scoring.declare(bidder, conflict=False)
        item = scoring.items()[0]
        scoring.set_score(item, D(3), JUSTIFICATION.format(bidder=item[0], criterion=item[1]))
    with ScoringSession(workspace, second) as scoring:
        scoring.declare(scoring.bidders[0], conflict=False)
    status = {m.id: m for m in panel_status(workspace, moderation_state(workspace))}
    total = len(workspace.bids) * len(
        [c for c in workspace.tender.leaves if c.kind is not CriterionKind.PRICE]
    )
    assert status[first].status == "in progress"
    assert status[first].detail == f"1 of {total} items scored, not submitted"
    assert status[second].detail == (
        f"{len(workspace.bids) - 1} declaration(s) of interest still to make"
    )
    assert status[quality(workspace)[2]].status == "not started"
    assert moderator(workspace) not in status


def test_signature_status_follows_changes(session: ModerationSession) -> None:
    assert signature_status(session.state) == "not signed"
    settle_everything(session)
    signed = session.sign(None, None)
    at = f"{signed.at.astimezone(UTC):%d %b %Y %H:%M} UTC"
    assert signature_status(session.state) == f"signed {at}"
    item = next(iter(session.state.current))
    session.agree(item, session.state.current[item].value, OTHER_REASON, quality(session.workspace))
    assert (
        signature_status(session.state) == f"signed {at}, then changed (1 later entry): sign again"
    )


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("sample") / "ws", with_sample_scores=True)


def test_the_sample_moderation_record_gives_final_results(sample_workspace: Path) -> None:
    workspace = load_workspace(sample_workspace)
    state = moderation_state(workspace)
    assert state.problems == []
    assert gate(workspace, state).final
    results = evaluate(workspace)
    assert results.final
    assert results.winner is not None
    for item, scores in moderation_items_of(workspace).items():
        entry = state.current[item]
        if scores.flagged:
            assert entry.basis == "discussed"
        assert len(entry.reason) >= workspace.tender.rules.justification_min_length
        assert entry.sheet_seals == {e: workspace.states()[e].seal for e in entry.individual}


def moderation_items_of(workspace: Workspace) -> dict[Item, ItemScores]:
    from bid_panel.core.moderation import moderation_items

    return moderation_items(workspace, moderation_state(workspace))


@pytest.fixture
def sample_without_record(sample_workspace: Path, tmp_path: Path) -> Path:
    """The sample's submitted sheets, before any moderation."""
    copy = tmp_path / "ws"
    shutil.copytree(sample_workspace, copy, ignore=shutil.ignore_patterns("*.lock"))
    (copy / "moderation.yaml").unlink()
    return copy


def test_a_conflicted_member_is_not_taken_as_present_by_default(
    sample_without_record: Path,
) -> None:
    workspace = load_workspace(sample_without_record)
    recused = {(e, b) for e, s in workspace.states().items() for b in s.recused}
    assert recused, "the sample declares a conflict"
    evaluator, bidder = sorted(recused)[0]
    with ModerationSession(workspace, moderator(workspace)) as session:
        everyone = [e.id for e in workspace.panel.evaluators]
        session.open(everyone)
        item = next(i for i in session.items() if i[0] == bidder)
        assert evaluator not in default_present(workspace, session.state, item)
        other = next(i for i in session.items() if i[0] != bidder)
        assert default_present(workspace, session.state, other) == everyone
        accepted = session.accept_agreed()
        for entry in accepted:
            assert (evaluator in entry.present) is (entry.bidder != bidder)


def test_value_text_reads_as_the_panel_speaks(scored: Workspace) -> None:
    tender = scored.tender
    scored_leaf = next(c for c in tender.leaves if c.kind is CriterionKind.SCORED)
    gate_leaf = next(c for c in tender.leaves if c.kind is CriterionKind.PASS_FAIL)
    label = tender.scale_of(scored_leaf).entry(D(4)).label
    assert value_text(tender, scored_leaf, D(4)) == f"4 {label}"
    assert value_text(tender, gate_leaf, "pass") == "Pass"


def test_a_conflicted_member_cannot_be_recorded_present_for_that_bid(
    sample_without_record: Path,
) -> None:
    workspace = load_workspace(sample_without_record)
    _evaluator, bidder = sorted((e, b) for e, s in workspace.states().items() for b in s.recused)[0]
    with ModerationSession(workspace, moderator(workspace)) as session:
        everyone = [e.id for e in workspace.panel.evaluators]
        session.open(everyone)
        item = next(i for i in session.items() if i[0] == bidder)
        value = session.items()[item].values[0]
        with pytest.raises(ModerationRefused, match="declared a conflict of interest"):
            session.agree(item, value, REASON, everyone)
        assert item not in session.state.current


def test_the_sample_record_never_lists_a_recused_member_as_present(
    sample_workspace: Path,
) -> None:
    workspace = load_workspace(sample_workspace)
    recused = {(e, b) for e, s in workspace.states().items() for b in s.recused}
    for (bidder, _), entry in moderation_state(workspace).current.items():
        assert not {(p, bidder) for p in entry.present} & recused
