"""Reading records: each event type-checked as it is parsed, from memory of its own, and
what recurs in the events shared; findings, events and hashes exactly as before."""

from __future__ import annotations

import dataclasses
import io
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bid_panel.core.errors import Findings
from bid_panel.core.ledger import check_chain, compute_event_hash
from bid_panel.core.moderation import MODERATION, Consensus
from bid_panel.core.sample import init_workspace
from bid_panel.core.sheet import SHEET, ScoreEntry, ScoreSet, replay
from bid_panel.core.yamlio import (
    MAX_RECORD_BYTES,
    YamlProblem,
    parse_record_bytes,
    parse_yaml_bytes,
    read_file_bytes,
    read_file_mapped,
    release,
)

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("records") / "ws", with_sample_scores=True)


def _sheet(sample: Path) -> Path:
    return sorted((sample / "sheets").glob("*.yaml"))[0]


def _copy(source: Path, target: Path, text: str | None = None) -> Path:
    if text is None:
        shutil.copy(source, target)
    else:
        target.write_text(text, encoding="utf-8")
    return target


def _plain(fmt: Any, path: Path) -> list[Any]:
    """The events as pydantic validates them from the whole file parsed first (as before)."""
    _, data = parse_yaml_bytes(path.read_bytes(), limit=MAX_RECORD_BYTES)
    return fmt.events_adapter.validate_python(data["events"])


# --------------------------------------------------------------------------- the events


@pytest.mark.parametrize("kind", ["sheet", "moderation"])
def test_events_are_those_pydantic_makes_of_the_whole_file(sample: Path, kind: str) -> None:
    path = _sheet(sample) if kind == "sheet" else sample / "moderation.yaml"
    fmt = SHEET if kind == "sheet" else MODERATION
    record = fmt.read(path, Findings())
    assert record is not None
    expected = _plain(fmt, path)
    assert record.events == expected
    assert [e.model_dump(mode="json") for e in record.events] == [
        e.model_dump(mode="json") for e in expected
    ]
    assert [e.model_fields_set for e in record.events] == [e.model_fields_set for e in expected]
    assert [compute_event_hash(e) for e in record.events] == [e.hash for e in expected]
    assert not check_chain(record.header, record.events)
    assert record.text == path.read_text(encoding="utf-8")


def test_a_record_read_twice_is_shared_while_it_is_in_use(sample: Path, tmp_path: Path) -> None:
    path = _copy(_sheet(sample), tmp_path / "sheet.yaml")
    first = SHEET.read(path, Findings())
    assert SHEET.read(path, Findings()) is first
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert SHEET.read(path, Findings()) is not first  # other bytes: read afresh


def test_scores_of_the_same_text_are_one_decimal(sample: Path) -> None:
    record = SHEET.read(_sheet(sample), Findings())
    assert record is not None
    scores = [e.value for e in record.events if isinstance(e, ScoreSet)]
    decimals = [v for v in scores if isinstance(v, Decimal)]
    assert len({id(v) for v in decimals}) == len({str(v) for v in decimals}) < len(decimals)
    moderation = MODERATION.read(sample / "moderation.yaml", Findings())
    assert moderation is not None
    entries = [e for e in moderation.events if isinstance(e, Consensus)]
    values = [v for e in entries for v in e.individual.values() if isinstance(v, Decimal)]
    values += [e.value for e in entries if isinstance(e.value, Decimal)]
    assert len({id(v) for v in values}) == len({str(v) for v in values}) < len(values)


def test_equal_but_differently_written_decimals_are_not_merged() -> None:
    from bid_panel.core.ledger import _Shared

    shared = _Shared()
    base = {
        "at": "2026-10-05T08:00:01Z",
        "prev": "0" * 64,
        "hash": "1" * 64,
        "type": "score",
        "bidder": "a",
        "criterion": "b",
        "justification": "",
    }
    events = [
        shared(SHEET.event_adapter.validate_python({**base, "seq": n, "value": value}))
        for n, value in enumerate([Decimal("3"), Decimal("3.0"), Decimal("3"), 3], start=1)
    ]
    values = [e.value for e in events]
    assert [str(v) for v in values] == ["3", "3.0", "3", "3"]
    assert values[0] is values[2] is values[3]
    assert values[1] is not values[0]
    assert compute_event_hash(events[0]) != compute_event_hash(events[1])


def test_repeated_seals_and_lists_are_one_object_and_field_dicts_stay_plain(
    sample: Path,
) -> None:
    record = MODERATION.read(sample / "moderation.yaml", Findings())
    assert record is not None
    entries = [e for e in record.events if isinstance(e, Consensus)]
    assert len(entries) > 1
    seals = {id(e.sheet_seals) for e in entries}
    assert len(seals) == len({tuple(e.sheet_seals.items()) for e in entries})
    for event in record.events:
        assert type(event.__dict__) is dict
        assert list(event.__dict__) == list(type(event).model_fields)
    with pytest.raises(Exception, match="frozen"):
        entries[0].reason = "changed"  # type: ignore[misc]
    copy = entries[0].model_copy(update={"reason": "other"})
    assert copy.reason == "other" and entries[0].reason != "other"


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's dict layout")
def test_field_dicts_share_their_keys(sample: Path) -> None:
    record = SHEET.read(_sheet(sample), Findings())
    assert record is not None
    scores = [e for e in record.events if isinstance(e, ScoreSet)]
    pydantic_made = ScoreSet.model_validate(scores[0].model_dump())
    assert sys.getsizeof(scores[0].__dict__) < sys.getsizeof(pydantic_made.__dict__)


def test_replayed_entries_are_slotted_and_equal_the_events(sample: Path) -> None:
    record = SHEET.read(_sheet(sample), Findings())
    assert record is not None
    state = replay(record.header, record.events)
    entry = next(iter(state.scores.values()))
    assert not hasattr(entry, "__dict__")
    assert dataclasses.replace(entry, revisions=5).revisions == 5
    last = [e for e in record.events if isinstance(e, ScoreSet)][-1]
    found = state.scores[(last.bidder, last.criterion)]
    assert isinstance(found, ScoreEntry)
    assert (found.value, found.justification, found.at, found.seq) == (
        last.value,
        last.justification,
        last.at,
        last.seq,
    )


# --------------------------------------------------------------------------- findings


def _findings(fmt: Any, path: Path) -> list[tuple[str, str, int, int]]:
    findings = Findings()
    assert fmt.read(path, findings) is None
    return [(f.message, f.hint, f.line, f.column) for f in findings]


def test_every_bad_event_is_reported_at_its_place(sample: Path, tmp_path: Path) -> None:
    text = _sheet(sample).read_text(encoding="utf-8")
    broken = text.replace("  justification:", "  colour: red\n  justification:", 2)
    head, _, tail = broken.rpartition("type: score")  # the last score: not one with colour
    broken = head + "type: scorez" + tail
    findings = _findings(SHEET, _copy(_sheet(sample), tmp_path / "s.yaml", broken))
    messages = [m for m, *_ in findings]
    assert len(findings) == 3
    assert any("'scorez'" in m for m in messages)
    assert sum("colour: Extra inputs are not permitted" in m for m in messages) == 2
    lines = broken.split("\n")
    for message, _, line, _ in findings:
        if "colour" in message:
            assert lines[line - 1].strip() == "colour: red"


def test_header_findings_come_before_event_findings(sample: Path, tmp_path: Path) -> None:
    text = _sheet(sample).read_text(encoding="utf-8")
    broken = text.replace("role: quality", "role: qualityx", 1).replace(
        "type: score", "type: scorez", 1
    )
    findings = _findings(SHEET, _copy(_sheet(sample), tmp_path / "s.yaml", broken))
    assert findings[0][0].startswith("header.role")
    assert findings[1][0].startswith("events.")


def test_events_that_are_not_a_list_are_refused(sample: Path, tmp_path: Path) -> None:
    head = _sheet(sample).read_text(encoding="utf-8").split("events:")[0]
    findings = _findings(SHEET, _copy(_sheet(sample), tmp_path / "s.yaml", head + "events: 5\n"))
    assert findings[0][0] == "events: Input should be a valid list"


# --------------------------------------------------------------------------- bytes


def _outcome(parse: Any) -> Any:
    try:
        return parse()
    except YamlProblem as problem:
        return (problem.message, problem.hint, problem.line, problem.column)


@pytest.mark.parametrize("path", sorted(HOSTILE.glob("*.yaml")), ids=lambda p: p.name)
def test_a_record_parses_as_any_file_does(path: Path) -> None:
    """parse_record_bytes: the same data, or the same located problem, as parse_yaml_bytes."""
    raw = path.read_bytes()
    items: list[tuple[int, Any]] = []

    def each(index: int, item: Any) -> Any:
        items.append((index, item))
        return item

    with memoryview(raw) as view:
        got = _outcome(lambda: parse_record_bytes(view, limit=MAX_RECORD_BYTES, each=each)[1])
    assert got == _outcome(lambda: parse_yaml_bytes(raw, limit=MAX_RECORD_BYTES)[1])
    if isinstance(got, dict) and isinstance(got.get("events"), list):
        assert items == list(enumerate(got["events"]))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        "\u00a0\n".encode(),
        b"\xef\xbb\xbfa: 1\n",
        "a: caf\u00e9 \u2014 \U0001f600\n".encode(),
        b"a: '\xe9'\n",
        b"a: 1\n\x00",
        b"a: 'x\x07'\n",
        b"a:\n\tb: 1\n",
        b"events:\n- 1\n- {x: 2}\n",
    ],
)
def test_odd_bytes_give_the_same_problem(data: bytes) -> None:
    with memoryview(data) as view:
        got = _outcome(lambda: parse_record_bytes(view, limit=100, each=lambda _, i: i)[1])
    assert got == _outcome(lambda: parse_yaml_bytes(data, limit=100)[1])


@pytest.mark.parametrize("data", [b"", b"a: 1\n", b"x" * 100_000])
def test_a_mapped_read_holds_the_bytes_of_the_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    mapped = read_file_mapped(path, limit=MAX_RECORD_BYTES)
    try:
        assert bytes(mapped) == read_file_bytes(path, limit=MAX_RECORD_BYTES) == data
    finally:
        release(mapped)
    release(mapped)  # again: nothing happens


def test_a_mapped_read_refuses_what_a_plain_read_refuses(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\n")
    with pytest.raises(YamlProblem, match="larger than"):
        read_file_mapped(path, limit=3)
    with pytest.raises(YamlProblem, match="not found"):
        read_file_mapped(tmp_path / "missing.yaml", limit=10)
    with pytest.raises(YamlProblem, match="folder"):
        read_file_mapped(tmp_path, limit=MAX_RECORD_BYTES)


def test_a_view_still_held_does_not_stop_the_release(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\n" * 1000)
    mapped = read_file_mapped(path, limit=MAX_RECORD_BYTES)
    view = memoryview(mapped)
    release(mapped)  # a BufferError inside: the mapping is closed when collected
    assert bytes(view[:4]) == b"a: 1"
    view.release()
    release(mapped)


@pytest.mark.parametrize("size", [0, 3, 9, 10, 11, 40])
def test_a_file_changing_size_while_read_reads_as_before(size: int) -> None:
    """The size is taken before reading: a file may have grown or shrunk since."""
    from bid_panel.core.yamlio import _read_bytes, _read_mapped

    content = b"0123456789"
    mapped = _read_mapped(io.BytesIO(content), size, 25)
    try:
        assert bytes(mapped) == _read_bytes(io.BytesIO(content), size, 25)
    finally:
        release(mapped)
