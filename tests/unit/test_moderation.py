"""The moderation core: when it may start, what a consensus must be, and the final gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bid_panel.core.errors import BidPanelError, Findings
from bid_panel.core.evaluation import evaluate
from bid_panel.core.ledger import check_chain
from bid_panel.core.moderation import (
    MODERATION,
    ModerationRefused,
    ModerationSession,
    moderation_state,
)
from bid_panel.core.panel import Role
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import Item
from bid_panel.core.signing import sample_key, signer
from bid_panel.core.tender import CriterionKind
from bid_panel.core.workspace import Workspace, load_workspace

D = Decimal
REASON = (
    "The panel agreed the response evidences two sustained improvements from "
    "inadequate, with named referees; the gaps in workforce data hold it below 5."
)
WITHDRAWAL = (
    "Long-term sick leave from 2 October; the sheet was not completed and the "
    "panel agreed to continue with the remaining evaluators."
)


def moderator_id(workspace: Workspace) -> str:
    return workspace.panel.of_role(Role.MODERATOR)[0].id


def quality_ids(workspace: Workspace) -> list[str]:
    return [e.id for e in workspace.panel.of_role(Role.QUALITY)]


@pytest.fixture
def scored(scored_workspace_dir: Path) -> Workspace:
    return load_workspace(scored_workspace_dir)


@pytest.fixture
def moderation(scored: Workspace):
    with ModerationSession(scored, moderator_id(scored)) as session:
        yield session


@pytest.fixture
def opened(moderation: ModerationSession) -> ModerationSession:
    moderation.open(quality_ids(moderation.workspace))
    return moderation


def first_item(session: ModerationSession, *, flagged: bool, scale: str = "quality-0-5") -> Item:
    for item, scores in session.items().items():
        criterion = session.tender.by_id[item[1]]
        if criterion.scale == scale and scores.flagged is flagged:
            return item
    raise AssertionError("the scored template has no such item")


# --------------------------------------------------------------------------- opening


def test_moderation_cannot_open_until_every_sheet_is_submitted(workspace: Workspace) -> None:
    evaluator = quality_ids(workspace)[0]
    with ScoringSession(workspace, evaluator) as scoring:
        scoring.declare(scoring.bidders[0], conflict=False)
    with ModerationSession(workspace, moderator_id(workspace)) as session:
        with pytest.raises(ModerationRefused) as caught:
            session.open(quality_ids(workspace))
        assert "every sheet is submitted or its evaluator withdrawn" in str(caught.value)
        assert "still out: " + ", ".join(
            e.id for e in workspace.panel.evaluators if e.role is not Role.MODERATOR
        ) in str(caught.value)
        assert session.state.opened is None


def test_a_withdrawal_needs_a_real_reason(scored_workspace_dir: Path) -> None:
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, moderator_id(workspace)) as session:
        for reason in ("", "ill"):
            with pytest.raises(ModerationRefused, match="reason of at least 60 characters"):
                session.withdraw(quality_ids(workspace)[0], reason)
        assert session.state.withdrawn == {}


def test_moderation_opens_once_the_missing_sheet_is_withdrawn_with_a_reason(
    scored_workspace_dir: Path,
) -> None:
    absent = quality_ids(load_workspace(scored_workspace_dir))[-1]
    (scored_workspace_dir / "sheets" / f"{absent}.yaml").unlink()
    workspace = load_workspace(scored_workspace_dir)
    with ModerationSession(workspace, moderator_id(workspace)) as session:
        with pytest.raises(ModerationRefused, match=f"still out: {absent}"):
            session.open(quality_ids(workspace)[:-1])
        session.withdraw(absent, WITHDRAWAL)
        opened = session.open(quality_ids(workspace)[:-1])
        assert absent not in opened.sheet_seals
        assert all(absent not in s.assigned for s in session.items().values())


def test_opening_binds_the_record_to_every_sheet_seal(opened: ModerationSession) -> None:
    states = opened.workspace.states()
    assert opened.state.opened.sheet_seals == {e: s.seal for e, s in states.items()}


def test_only_the_moderator_moderates(scored: Workspace) -> None:
    with pytest.raises(BidPanelError, match="is not a moderator"):
        ModerationSession(scored, quality_ids(scored)[0])


def test_a_consensus_before_opening_is_refused(moderation: ModerationSession) -> None:
    item = first_item(moderation, flagged=True)
    with pytest.raises(ModerationRefused, match="open moderation first"):
        moderation.agree(item, D(3), REASON, quality_ids(moderation.workspace))


# --------------------------------------------------------------------------- consensus


@pytest.mark.parametrize("value", [D("3.5"), D(6), D(-1), "pass"])
def test_a_consensus_off_the_scale_is_refused_as_never_an_average(
    opened: ModerationSession, value: Decimal | str
) -> None:
    item = first_item(opened, flagged=True)
    with pytest.raises(ModerationRefused, match="never an average"):
        opened.agree(item, value, REASON, quality_ids(opened.workspace))
    assert item not in opened.state.current


def test_the_mean_of_a_non_contiguous_scale_is_refused(opened: ModerationSession) -> None:
    item = first_item(opened, flagged=True, scale="impact-0-2-5-8-10")
    numbers = opened.items()[item].values
    mean = sum(numbers, D(0)) / len(numbers)
    assert mean not in opened.tender.scale_by_id["impact-0-2-5-8-10"].allowed
    with pytest.raises(ModerationRefused, match="not on the Impact 0/2/5/8/10 scale"):
        opened.agree(item, mean, REASON, quality_ids(opened.workspace))


@pytest.mark.parametrize("reason", ["", "   ", "Agreed.", "x" * 59])
def test_a_consensus_needs_a_reason_of_the_minimum_length(
    opened: ModerationSession, reason: str
) -> None:
    item = first_item(opened, flagged=True)
    with pytest.raises(ModerationRefused, match="reason of at least 60 characters"):
        opened.agree(item, D(3), reason, quality_ids(opened.workspace))


def test_a_consensus_records_who_was_present(opened: ModerationSession) -> None:
    item = first_item(opened, flagged=True)
    with pytest.raises(ModerationRefused, match="who was present"):
        opened.agree(item, D(3), REASON, [])
    with pytest.raises(ModerationRefused, match="not on the panel: a-stranger"):
        opened.agree(item, D(3), REASON, ["a-stranger"])


def test_price_is_not_moderated(opened: ModerationSession) -> None:
    bidder = next(iter(opened.workspace.bids))
    with pytest.raises(ModerationRefused, match="not an item to moderate"):
        opened.agree((bidder, "cost"), "compliant", REASON, quality_ids(opened.workspace))


def test_a_disputed_item_cannot_be_accepted_as_agreed(opened: ModerationSession) -> None:
    item = first_item(opened, flagged=True)
    with pytest.raises(ModerationRefused, match="all evaluators agree"):
        opened.agree(item, D(4), REASON, quality_ids(opened.workspace), basis="accepted_agreement")


def test_a_consensus_keeps_the_individual_scores_and_seals(opened: ModerationSession) -> None:
    item = first_item(opened, flagged=True)
    individual = {e: s.value for e, s in opened.items()[item].scores.items()}
    consensus = opened.agree(item, D(4), REASON, quality_ids(opened.workspace))
    assert consensus.individual == individual
    assert consensus.sheet_seals == {e: opened.seals()[e] for e in individual}
    assert consensus.supersedes is None


def test_a_re_moderated_item_keeps_both_entries(opened: ModerationSession) -> None:
    item = first_item(opened, flagged=True)
    present = quality_ids(opened.workspace)
    first = opened.agree(item, D(3), REASON, present)
    second = opened.agree(
        item,
        D(4),
        "On review of the referees' letters the panel agreed "
        "the evidence of sustained improvement meets the Good descriptor.",
        present,
    )
    assert second.supersedes == first.seq
    assert [c.value for c in opened.state.history[item]] == [D(3), D(4)]
    reread = moderation_state(opened.workspace)
    assert [c.seq for c in reread.history[item]] == [first.seq, second.seq]
    assert reread.current[item].value == D(4)


def test_the_moderation_record_chain_is_intact(opened: ModerationSession) -> None:
    opened.agree(first_item(opened, flagged=True), D(3), REASON, quality_ids(opened.workspace))
    findings = Findings()
    record = MODERATION.read(opened.workspace.moderation_path, findings)
    assert record is not None, list(findings)
    assert [e.type for e in record.events] == ["opened", "consensus"]
    assert check_chain(record.header, record.events) == []


# --------------------------------------------------------------------------- the gate


def settle_everything(session: ModerationSession) -> None:
    present = quality_ids(session.workspace)
    session.accept_agreed(present, lambda item, scores: REASON)
    for item, scores in session.items().items():
        if item in session.state.current:
            continue
        criterion = session.tender.by_id[item[1]]
        value = (
            scores.values[0]
            if criterion.kind is CriterionKind.PASS_FAIL
            else max(v for v in scores.values if isinstance(v, Decimal))
        )
        session.agree(item, value, REASON, present)


def test_the_gate_lists_reasons_until_every_item_is_settled(
    scored: Workspace, moderation: ModerationSession
) -> None:
    assert evaluate(scored, moderation.state).provisional_reasons == ["moderation has not started"]
    moderation.open(quality_ids(scored))
    reasons = moderation.gate().reasons
    assert any(r.endswith("flagged item(s) not yet moderated") for r in reasons)
    assert any(r.endswith("item(s) neither moderated nor accepted") for r in reasons)

    moderation.accept_agreed(quality_ids(scored), lambda item, scores: REASON)
    reasons = moderation.gate().reasons
    assert any("flagged" in r for r in reasons)

    settle_everything(moderation)
    assert moderation.gate().reasons == ["moderation record not signed"]
    moderation.sign(signer(sample_key(moderation.moderator.id)), moderation.moderator.public_key)
    assert moderation.gate().reasons == []
    results = evaluate(scored, moderation.state)
    assert results.final
    assert results.ranked
    assert all(
        item.source == "moderated"
        for bid in results.bids
        for cid, item in bid.items.items()
        if scored.tender.by_id[cid].kind is not CriterionKind.PRICE
    )
