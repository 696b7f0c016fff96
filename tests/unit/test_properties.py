"""Hypothesis: invariants of the engine and of the hash-chained records."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bid_panel.core.bid import Bid
from bid_panel.core.consensus import Outcome, Source
from bid_panel.core.errors import Findings
from bid_panel.core.ledger import check_chain
from bid_panel.core.panel import Role
from bid_panel.core.results import consolidate
from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import SHEET, replay
from bid_panel.core.tender import CriterionKind, Tender
from bid_panel.core.workspace import load_workspace
from bid_panel.core.yamlio import load_model

ENGINE = settings(max_examples=60, deadline=None)
RECORDS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BIDDERS = ["alpha", "beta", "gamma", "delta"]
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tender(sample) -> Tender:
    findings = Findings()
    loaded = load_model(sample.tender, Tender, findings)
    assert loaded is not None
    return loaded.model


# --------------------------------------------------------------------------- engine


def value_strategy(tender: Tender, criterion_id: str) -> st.SearchStrategy:
    criterion = tender.by_id[criterion_id]
    if criterion.kind is CriterionKind.SCORED:
        return st.sampled_from(tender.scale_of(criterion).allowed)
    if criterion.kind is CriterionKind.PASS_FAIL:
        return st.sampled_from(["pass", "fail"])
    return st.sampled_from(["compliant", "compliant", "compliant", "non_compliant"])


prices = st.decimals(min_value=Decimal("1000"), max_value=Decimal("9999999.99"), places=2)
minutes = st.integers(min_value=0, max_value=3)


@st.composite
def evaluations(draw: st.DrawFn, tender: Tender) -> tuple[dict[str, Bid], dict]:
    """Bids with random prices and submission times, and one random outcome per item."""
    bids = {
        b: Bid.model_validate(
            {
                "format": "bid-panel/bid@1",
                "tender_reference": tender.reference,
                "bidder": {"id": b, "name": b.title(), "organisation_type": "charity"},
                "submitted_at": START + timedelta(minutes=draw(minutes)),
                "responses": {},
                "price": {"total": draw(prices)},
            }
        )
        for b in BIDDERS
    }
    outcomes = {
        (b, leaf.id): Outcome(draw(value_strategy(tender, leaf.id)), Source.AGREED)
        for b in BIDDERS
        for leaf in tender.leaves
    }
    return bids, outcomes


@st.composite
def raises(draw: st.DrawFn, tender: Tender) -> tuple[dict[str, Bid], dict, dict, str]:
    """An evaluation, and the same with one bid's score raised on one scored criterion."""
    bids, before = draw(evaluations(tender))
    bidder = draw(st.sampled_from(BIDDERS))
    scored = [c for c in tender.leaves if c.kind is CriterionKind.SCORED]
    criterion = draw(st.sampled_from(scored))
    current = before[(bidder, criterion.id)].value
    higher = [v for v in tender.scale_of(criterion).allowed if v > current]
    assume(higher)
    after = dict(before)
    after[(bidder, criterion.id)] = Outcome(draw(st.sampled_from(higher)), Source.AGREED)
    return bids, before, after, bidder


@ENGINE
@given(data=st.data())
def test_raising_a_score_never_lowers_that_bids_total(tender: Tender, data: st.DataObject) -> None:
    bids, before, after, bidder = data.draw(raises(tender))
    old = consolidate(tender, bids, before).by_bidder(bidder)
    new = consolidate(tender, bids, after).by_bidder(bidder)
    assert new.overall >= old.overall
    assert new.quality_total > old.quality_total


@ENGINE
@given(data=st.data())
def test_totals_stay_within_zero_and_the_weight_sum(tender: Tender, data: st.DataObject) -> None:
    bids, outcomes = data.draw(evaluations(tender))
    for bid in consolidate(tender, bids, outcomes).bids:
        assert Decimal(0) <= bid.quality_total <= Decimal(70)
        assert Decimal(0) <= bid.price_total <= Decimal(30)
        assert bid.overall <= Decimal(100)


@ENGINE
@given(data=st.data(), order=st.permutations(BIDDERS))
def test_ranking_does_not_depend_on_the_order_of_the_bids(
    tender: Tender, data: st.DataObject, order: list[str]
) -> None:
    bids, outcomes = data.draw(evaluations(tender))
    baseline = consolidate(tender, bids, outcomes)
    shuffled = consolidate(
        tender, {b: bids[b] for b in order}, dict(reversed(list(outcomes.items())))
    )
    assert [(b.bidder, b.rank, b.overall) for b in shuffled.bids] == [
        (b.bidder, b.rank, b.overall) for b in baseline.bids
    ]
    assert shuffled.tie_breaks == baseline.tie_breaks


# --------------------------------------------------------------------------- records


@pytest.fixture(scope="module")
def sealed_sheet(scored_template: Path):
    """(header, events) of a complete, submitted quality sheet (read only)."""
    workspace = load_workspace(scored_template)
    evaluator = workspace.panel.of_role(Role.QUALITY)[0].id
    findings = Findings()
    record = SHEET.read(workspace.sheet_path(evaluator), findings)
    assert record is not None
    assert check_chain(record.header, record.events) == []
    return record.header, record.events


HEX = "0123456789abcdef"
SLUG = "abcdefghijklmnopqrstuvwxyz0123456789-"


def changed_text(alphabet: str | None) -> Any:
    """A strategy turning a string into a different one by changing one character."""
    characters = st.characters() if alphabet is None else st.sampled_from(alphabet)

    def change(text: str) -> st.SearchStrategy[str]:
        if not text:
            return st.text(min_size=1, max_size=3)
        return st.tuples(st.integers(0, len(text) - 1), characters).map(
            lambda pair: text[: pair[0]] + pair[1] + text[pair[0] + 1 :]
        )

    return change


ALPHABETS = {
    "prev": HEX,
    "at": "0123456789",
    "value": "0123456789",
    "bidder": SLUG,
    "criterion": SLUG,
}


def mutation(name: str, old: Any) -> st.SearchStrategy:
    if isinstance(old, bool):
        return st.just(not old)
    if isinstance(old, int):
        return st.integers(min_value=0, max_value=10_000)
    if old is None:
        return st.text(min_size=1, max_size=20)
    return changed_text(ALPHABETS.get(name))(str(old))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_changing_any_field_of_any_event_breaks_the_chain(
    sealed_sheet, data: st.DataObject
) -> None:
    header, events = sealed_sheet
    index = data.draw(st.integers(0, len(events) - 1), label="event")
    content = events[index].model_dump(mode="json")
    # `hash` is what is checked; `signature` signs the hash; `type` picks the event's shape.
    name = data.draw(
        st.sampled_from(sorted(set(content) - {"hash", "signature", "type"})), label="field"
    )
    new = data.draw(mutation(name, content[name]), label="new value")
    assume(new != content[name])
    try:
        tampered = SHEET.event_adapter.validate_python({**content, name: new})
    except ValidationError:
        assume(False)
    assert check_chain(header, [*events[:index], tampered, *events[index + 1 :]])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_reordering_events_is_detected(sealed_sheet, data: st.DataObject) -> None:
    header, events = sealed_sheet
    order = data.draw(st.permutations(range(len(events))))
    assume(order != list(range(len(events))))
    assert check_chain(header, [events[i] for i in order])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_deleting_or_duplicating_an_event_is_detected(sealed_sheet, data: st.DataObject) -> None:
    header, events = sealed_sheet
    index = data.draw(st.integers(0, len(events) - 2))  # the last one: see the test below
    assert check_chain(header, events[:index] + events[index + 1 :])
    assert check_chain(header, events[: index + 1] + events[index:])


def test_cutting_off_the_tail_unseals_the_sheet(sealed_sheet) -> None:
    # A chain cannot see a cut at its end; the seal can: a truncated sheet is no longer
    # submitted, and its head no longer matches the seal the moderation record keeps.
    header, events = sealed_sheet
    truncated = replay(header, events[:-1])
    assert replay(header, events).sealed
    assert not truncated.sealed


def test_editing_the_header_is_detected(sealed_sheet) -> None:
    header, events = sealed_sheet
    other = header.model_copy(update={"evaluator": "someone-else"})
    assert check_chain(other, events)


# --------------------------------------------------------------------------- replay


justifications = st.text(min_size=0, max_size=200)


@st.composite
def scoring_actions(draw: st.DrawFn) -> list[tuple[int, int, int, str]]:
    return draw(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 9), justifications),
            min_size=1,
            max_size=8,
        )
    )


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bid_panel.core.sample import init_workspace

    return init_workspace(tmp_path_factory.mktemp("fresh") / "ws")


@RECORDS
@given(actions=scoring_actions())
def test_replaying_a_sheet_is_deterministic_and_matches_the_live_state(
    fresh_template: Path, tmp_path: Path, fixed_clock, actions: list
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        root = Path(folder) / "ws"
        shutil.copytree(fresh_template, root)
        workspace = load_workspace(root)
        evaluator = workspace.panel.of_role(Role.QUALITY)[0].id
        with ScoringSession(workspace, evaluator) as session:
            for bidder in session.bidders:
                session.declare(bidder, conflict=False)
            for bidder_index, leaf_index, value_index, text in actions:
                bidder = session.bidders[bidder_index % len(session.bidders)]
                leaf = session.leaves[leaf_index % len(session.leaves)]
                allowed = session.allowed_values((bidder, leaf.id))
                session.set_score((bidder, leaf.id), allowed[value_index % len(allowed)], text)
            live = session.state
            path = session.path
        findings = Findings()
        record = SHEET.read(path, findings)
        assert record is not None, list(findings)
        assert check_chain(record.header, record.events) == []
        first = replay(record.header, record.events)
        second = replay(record.header, record.events)
        assert first == second
        assert first.scores == live.scores
        assert first.last_item == live.last_item
