"""Score sheets: hash-chained records, their files and locks, and the rules of a scoring session."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bid_panel.core import clock
from bid_panel.core.errors import (
    BidPanelError,
    Findings,
    InvalidFiles,
    RecordError,
    SheetLocked,
)
from bid_panel.core.ledger import check_chain, header_hash
from bid_panel.core.panel import Role
from bid_panel.core.session import ItemStatus, ScoringRefused, ScoringSession
from bid_panel.core.sheet import SHEET, SheetHeader, read_state, replay
from bid_panel.core.workspace import Workspace, load_workspace, sheet_path

D = Decimal
GOOD = (
    "The response names two ILACS inspections, Northbridge 2019 and Eastvale 2022, "
    "each moving from inadequate to good within 24 months."
)


def quality_id(workspace: Workspace) -> str:
    return workspace.panel.of_role(Role.QUALITY)[0].id


def price_id(workspace: Workspace) -> str:
    return workspace.panel.of_role(Role.PRICE)[0].id


@pytest.fixture
def session(workspace: Workspace):
    with ScoringSession(workspace, quality_id(workspace)) as opened:
        yield opened


def read_back(path: Path):
    findings = Findings()
    record = SHEET.read(path, findings)
    assert record is not None, list(findings)
    return record


# --------------------------------------------------------------------------- the record


def test_appended_events_read_back_with_an_intact_chain(session: ScoringSession) -> None:
    first, second = session.bidders[:2]
    session.declare(first, conflict=False)
    session.declare(second, conflict=True, note="My sister is its finance director.")
    session.set_score((first, "dcs-track-record"), D(4), GOOD)
    record = read_back(session.path)
    assert [e.type for e in record.events] == ["declaration", "declaration", "score"]
    assert [e.seq for e in record.events] == [1, 2, 3]
    assert record.events[0].prev == header_hash(record.header)
    assert record.events[1].prev == record.events[0].hash
    assert check_chain(record.header, record.events) == []
    assert record.events[2].value == D(4)
    assert record.events[2].justification == GOOD


def test_the_sheet_file_is_readable_yaml_with_a_banner(session: ScoringSession) -> None:
    session.declare(session.bidders[0], conflict=False)
    text = session.path.read_text(encoding="utf-8")
    assert text.startswith("# bid_panel record. Append-only")
    data = yaml.safe_load(text)
    assert set(data) == {"header", "events"}
    assert data["header"]["evaluator"] == session.evaluator.id


@pytest.mark.parametrize(
    "justification",
    [GOOD + "\n\n", "\n", "\n\n\n", GOOD + "\n", "  indented\nsecond line", "a\r\nb", "tab\there"],
    ids=[
        "trailing-blank-line",
        "only-newline",
        "only-newlines",
        "trailing-newline",
        "leading-spaces",
        "crlf",
        "tab",
    ],
)
def test_any_justification_text_reads_back_and_later_events_still_append(
    session: ScoringSession, justification: str
) -> None:
    # Regression: text ending in a blank line was written as a "|+" block followed by the
    # YAML document end "...", which made every later event (and the sheet) unreadable.
    first, second = session.bidders[:2]
    session.declare(first, conflict=False)
    session.set_score((first, "dcs-track-record"), D(3), justification)
    session.declare(second, conflict=False)
    record = read_back(session.path)
    assert record.events[1].justification == justification
    assert [e.seq for e in record.events] == [1, 2, 3]
    assert check_chain(record.header, record.events) == []


def test_event_times_come_from_the_replaceable_clock(session: ScoringSession, fixed_clock) -> None:
    event = session.declare(session.bidders[0], conflict=False)
    assert event.at == fixed_clock.current
    assert event.at.utcoffset() == timedelta(0)


def test_a_clock_stepping_back_cannot_make_events_look_reordered(
    session: ScoringSession, fixed_clock
) -> None:
    first = session.declare(session.bidders[0], conflict=False)
    fixed_clock.current -= timedelta(hours=2)
    second = session.declare(session.bidders[1], conflict=False)
    assert second.at == first.at


def test_writes_leave_no_temporary_files_and_respect_the_umask(
    session: ScoringSession,
) -> None:
    old = os.umask(0o022)
    try:
        session.declare(session.bidders[0], conflict=False)
    finally:
        os.umask(old)
    folder = session.path.parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [session.path.name, session.path.name + ".lock"]
    )
    # Not 0600: the rest of the panel must be able to read sheets on a shared drive.
    assert session.path.stat().st_mode & 0o777 == 0o644


def test_a_record_is_never_overwritten(workspace: Workspace) -> None:
    with ScoringSession(workspace, quality_id(workspace)) as opened:
        path = opened.path
    with pytest.raises(RecordError, match="already exists"):
        SHEET.create(path, read_back(path).header)


def test_reindenting_a_sheet_keeps_its_chain_valid(workspace: Workspace, workspace_dir) -> None:
    evaluator = quality_id(workspace)
    with ScoringSession(workspace, evaluator) as opened:
        bidder = opened.bidders[0]
        opened.declare(bidder, conflict=False)
        opened.set_score((bidder, "dcs-track-record"), D(4), GOOD + "\nSecond line.\n")
        opened.set_score((bidder, "training-curriculum"), D(8), GOOD)
        path = opened.path
    before = path.read_text(encoding="utf-8")
    path.write_text(
        yaml.safe_dump(
            yaml.safe_load(before), indent=4, width=60, allow_unicode=True, sort_keys=True
        ),
        encoding="utf-8",
    )
    assert path.read_text(encoding="utf-8") != before
    record = read_back(path)
    assert check_chain(record.header, record.events) == []
    reloaded = load_workspace(workspace_dir)
    with ScoringSession(reloaded, evaluator) as reopened:  # still appendable
        reopened.set_score((bidder, "change-management"), D(3), GOOD)
    assert check_chain(*_header_events(path)) == []


def _header_events(path: Path):
    record = read_back(path)
    return record.header, record.events


def test_an_edited_event_is_located_and_blocks_further_writes(
    workspace: Workspace, workspace_dir, find_line
) -> None:
    evaluator = quality_id(workspace)
    with ScoringSession(workspace, evaluator) as opened:
        bidder = opened.bidders[0]
        opened.declare(bidder, conflict=False)
        opened.set_score((bidder, "dcs-track-record"), D(2), GOOD)
        path = opened.path
    path.write_text(path.read_text().replace("value: 2", "value: 5"))
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(workspace_dir)
    [finding] = caught.value.findings
    assert finding.message == "event 2's content does not match its hash"
    assert finding.line == find_line(path, "- seq: 2")
    assert "edited after it was written" in finding.hint
    with pytest.raises(RecordError, match="hash chain is broken"):
        ScoringSession(workspace, evaluator)


# --------------------------------------------------------------------------- the lock


def test_a_second_writer_on_the_same_sheet_is_refused_clearly(workspace: Workspace) -> None:
    evaluator = quality_id(workspace)
    with ScoringSession(workspace, evaluator), pytest.raises(SheetLocked) as caught:
        ScoringSession(workspace, evaluator)
    message = str(caught.value)
    assert f"{evaluator}.yaml is open elsewhere" in message
    assert f"pid {os.getpid()}" in message
    assert "Close the other bid_panel window first" in message
    with ScoringSession(workspace, evaluator):  # released on close
        pass


def test_a_lock_held_by_another_process_is_refused(workspace: Workspace) -> None:
    evaluator = quality_id(workspace)
    ScoringSession(workspace, evaluator).close()  # create the sheet
    path = workspace.sheet_path(evaluator)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from bid_panel.core.atomic import FileLock\n"
            f"lock = FileLock(Path({str(path)!r})); lock.acquire()\n"
            "print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SheetLocked, match=f"pid {holder.pid} on "):
            ScoringSession(workspace, evaluator)
    finally:
        holder.communicate("", timeout=30)
    with ScoringSession(workspace, evaluator):  # the OS released it with the process
        pass


# --------------------------------------------------------------------------- scoring rules


def test_a_score_before_the_declaration_is_refused(session: ScoringSession) -> None:
    bidder = session.bidders[0]
    with pytest.raises(ScoringRefused, match=f"declare any conflict of interest with {bidder}"):
        session.set_score((bidder, "dcs-track-record"), D(3), GOOD)
    assert read_back(session.path).events == []


def test_a_recused_bidder_cannot_be_scored(session: ScoringSession) -> None:
    bidder = session.bidders[0]
    session.declare(bidder, conflict=True, note="I was its employee until 2025.")
    with pytest.raises(ScoringRefused, match="you are recused"):
        session.set_score((bidder, "dcs-track-record"), D(3), GOOD)
    assert all(item[0] != bidder for item in session.items())


def test_a_declared_conflict_needs_a_note(session: ScoringSession) -> None:
    with pytest.raises(ScoringRefused, match="needs a note"):
        session.declare(session.bidders[0], conflict=True, note="  ")


def test_a_bidder_is_declared_once(session: ScoringSession) -> None:
    session.declare(session.bidders[0], conflict=False)
    with pytest.raises(ScoringRefused, match="already recorded"):
        session.declare(session.bidders[0], conflict=True, note="changed my mind")


def test_an_unknown_bidder_cannot_be_declared(session: ScoringSession) -> None:
    with pytest.raises(ScoringRefused, match="unknown bidder"):
        session.declare("nobody-ltd", conflict=False)


@pytest.mark.parametrize("criterion", ["cost", "quality", "no-such-criterion"])
def test_an_unassigned_criterion_is_refused(session: ScoringSession, criterion: str) -> None:
    session.declare(session.bidders[0], conflict=False)
    with pytest.raises(ScoringRefused, match=f"criterion '{criterion}' is not assigned to you"):
        session.set_score((session.bidders[0], criterion), D(3), GOOD)


@pytest.mark.parametrize(
    ("criterion", "value", "message"),
    [
        ("dcs-track-record", D("3.5"), "3.5 is not on the Quality 0-5 scale"),
        ("dcs-track-record", D(6), "6 is not on the Quality 0-5 scale (allowed: 0/1/2/3/4/5)"),
        ("dcs-track-record", "pass", "not on the Quality 0-5 scale"),
        ("training-curriculum", D(3), "3 is not on the Impact 0/2/5/8/10 scale"),
        ("safeguarding-compliance", D(1), "'1' is not pass or fail"),
    ],
)
def test_a_value_off_the_scale_is_refused(
    session: ScoringSession, criterion: str, value: Decimal | str, message: str
) -> None:
    session.declare(session.bidders[0], conflict=False)
    with pytest.raises(ScoringRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        session.set_score((session.bidders[0], criterion), value, GOOD)


def test_a_non_contiguous_scale_value_is_accepted(session: ScoringSession) -> None:
    session.declare(session.bidders[0], conflict=False)
    assert session.set_score((session.bidders[0], "training-curriculum"), D(8), GOOD)


def test_an_unchanged_score_writes_nothing(session: ScoringSession) -> None:
    item = (session.bidders[0], "dcs-track-record")
    session.declare(item[0], conflict=False)
    session.set_score(item, D(3), GOOD)
    assert session.set_score(item, D(3), GOOD) is None
    assert len(read_back(session.path).events) == 2


def test_a_changed_score_keeps_its_history(session: ScoringSession) -> None:
    item = (session.bidders[0], "dcs-track-record")
    session.declare(item[0], conflict=False)
    session.set_score(item, D(3), GOOD)
    session.set_score(item, D(4), GOOD + " Referees confirmed.")
    assert session.entry(item).value == D(4)
    assert session.entry(item).revisions == 2
    assert [e.value for e in read_back(session.path).events[1:]] == [D(3), D(4)]


def test_item_status_follows_the_work(session: ScoringSession) -> None:
    item = (session.bidders[0], "dcs-track-record")
    session.declare(item[0], conflict=False)
    assert session.status(item) is ItemStatus.NOT_STARTED
    session.set_score(item, None, "Draft: check the referees.")
    assert session.status(item) is ItemStatus.NEEDS_SCORE
    session.set_score(item, D(3), "Too short.")
    assert session.status(item) is ItemStatus.NEEDS_JUSTIFICATION
    session.set_score(item, D(3), GOOD)
    assert session.status(item) is ItemStatus.DONE


def test_submission_is_refused_while_incomplete_and_lists_what_is_missing(
    session: ScoringSession,
) -> None:
    first, second = session.bidders[:2]
    session.declare(first, conflict=False)
    session.set_score((first, "dcs-track-record"), D(3), "Too short.")
    with pytest.raises(ScoringRefused) as caught:
        session.submit()
    message = str(caught.value)
    assert message.startswith("the sheet cannot be submitted yet:")
    assert f"conflict declaration missing for {second}" in message
    name = session.bid(first).bidder.name
    assert f"{name} / DCS track record: justification shorter than 60 characters" in message
    assert f"{name} / Change-management experience: no score" in message
    assert read_back(session.path).events[-1].type != "submitted"


def complete(session: ScoringSession) -> None:
    for bidder in session.bidders:
        session.declare(bidder, conflict=False)
    for item in session.items():
        session.set_score(item, session.allowed_values(item)[-1], GOOD)


def test_nothing_is_accepted_after_submission(session: ScoringSession) -> None:
    complete(session)
    seal = session.submit()
    assert seal.items == len(session.items())
    before = session.path.read_bytes()
    item = session.items()[0]
    with pytest.raises(ScoringRefused, match="submitted and sealed"):
        session.set_score(item, D(0), GOOD)
    with pytest.raises(ScoringRefused, match="already submitted"):
        session.submit()
    assert session.path.read_bytes() == before
    assert read_state(session.path).sealed


def test_a_sealed_sheet_stays_sealed_when_reopened(workspace: Workspace) -> None:
    evaluator = quality_id(workspace)
    with ScoringSession(workspace, evaluator) as opened:
        complete(opened)
        opened.submit()
    with ScoringSession(workspace, evaluator) as reopened, pytest.raises(ScoringRefused):
        reopened.set_score(reopened.items()[0], D(0), GOOD)


def test_resume_item_is_the_last_item_worked_on(workspace: Workspace) -> None:
    evaluator = quality_id(workspace)
    with ScoringSession(workspace, evaluator) as opened:
        for bidder in opened.bidders:
            opened.declare(bidder, conflict=False)
        items = opened.items()
        assert opened.resume_item() == items[0]
        opened.set_score(items[5], D(3), GOOD)
        opened.set_score(items[2], D(3), GOOD)
        opened.set_score(items[4], None, "draft")
    with ScoringSession(workspace, evaluator) as reopened:
        assert reopened.resume_item() == items[4]


# --------------------------------------------------------------------------- two envelopes


def test_a_quality_evaluator_never_sees_prices(session: ScoringSession) -> None:
    bidder = session.bidders[0]
    with pytest.raises(ScoringRefused, match="two-envelope"):
        session.price_envelope(bidder)
    with pytest.raises(ScoringRefused, match="two-envelope"):
        session.price_preview()
    assert session.response((bidder, "cost")) == ""


def test_the_price_evaluator_sees_prices_and_the_formula(workspace: Workspace) -> None:
    with ScoringSession(workspace, price_id(workspace)) as opened:
        prices = {b: opened.price_envelope(b).total for b in opened.bidders}
        [preview] = opened.price_preview()
    assert preview.formula == "relative_to_lowest"
    assert preview.error == ""
    cheapest = min(prices, key=prices.get)
    assert preview.points[cheapest] == D(30)
    assert all(points <= D(30) for points in preview.points.values())


def test_the_moderator_has_no_scoring_session(workspace: Workspace) -> None:
    moderator = workspace.panel.of_role(Role.MODERATOR)[0].id
    with pytest.raises(BidPanelError, match="scores nothing"):
        ScoringSession(workspace, moderator)


def test_replay_of_a_written_sheet_equals_the_live_state(session: ScoringSession) -> None:
    complete(session)
    record = read_back(session.path)
    replayed = replay(record.header, record.events)
    assert replayed.scores == session.state.scores
    assert replayed.declarations == session.state.declarations
    assert replayed.last_item == session.state.last_item


def test_header_records_the_tender_hash_when_scoring_began(session: ScoringSession) -> None:
    header: SheetHeader = read_back(session.path).header
    assert header.tender_sha256 == session.workspace.tender_sha256
    assert header.created_at == clock.now() - timedelta(minutes=1)


@pytest.mark.parametrize("evaluator", ["../panel", "a/b", "Amara", "", "sheets/../../x"])
def test_sheet_file_names_come_only_from_slug_ids(tmp_path: Path, evaluator: str) -> None:
    with pytest.raises(BidPanelError, match="is not an evaluator id"):
        sheet_path(tmp_path, evaluator)


def test_an_evaluator_not_on_the_panel_cannot_open_a_session(workspace: Workspace) -> None:
    with pytest.raises(BidPanelError, match="'nobody' is not on the panel"):
        ScoringSession(workspace, "nobody")
    assert not (workspace.root / "sheets" / "nobody.yaml").exists()
