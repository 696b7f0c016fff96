"""The performance fixes change nothing a user or an auditor can see.

Each test pins one of them against the straightforward computation it replaced: the
event-built YAML against PyYAML's node tree, the parse cache against a file changed behind
its back, cached replays, work lists and progress against fresh ones, the writer's lazy
rendering against a full rendering, the robustness comparison and the JSON export writer
against their old forms. No timings: benchmarks/run.py measures those.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bid_panel.core import justification
from bid_panel.core.errors import Findings
from bid_panel.core.exports.json_export import dumps
from bid_panel.core.ledger import RecordFile, check_chain
from bid_panel.core.moderation import MODERATION
from bid_panel.core.robustness import compare
from bid_panel.core.session import ItemStatus, ScoringSession
from bid_panel.core.sheet import SHEET, replay
from bid_panel.core.verify import verify_workspace
from bid_panel.core.workspace import Workspace, load_workspace
from bid_panel.core.yamlio import StrictLoader, parse_yaml_text
from tests.conftest import JUSTIFICATION
from tests.hardening.support import DATA

REPO = Path(__file__).resolve().parents[2]


def _node_tree_parse(text: str) -> object:
    """The document as PyYAML's composer and constructors build it (the old path)."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_texts(scored: Path) -> list[Path]:
    found = [
        *REPO.joinpath("criteria").glob("*.yaml"),
        *REPO.joinpath("panels").glob("*.yaml"),
        *REPO.joinpath("sample_bids").glob("*.yaml"),
        *REPO.joinpath("sample_scores").glob("*.yaml"),
        *DATA.joinpath("minimal-workspace").rglob("*.yaml"),
        *scored.rglob("*.yaml"),
    ]
    return sorted(found)


def test_records_and_files_built_from_events_equal_the_node_tree(scored_template: Path) -> None:
    paths = _yaml_texts(scored_template)
    assert len(paths) > 15
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml_text(text) == _node_tree_parse(text), path


@pytest.mark.parametrize(
    "text",
    [
        "a: {b: [1, 2.5, x, '3', ~, true, 2026-10-01T10:00:00+01:00]}\n",
        "a:\n  - - - deep\n  - {}\n  - []\nb: |\n  block\n  text\n",
        "one: 1\n'2': quoted two\nyes: y\n3: three\n",
        "a: !!str 12\nb: !!int '12'\nc: !!float '1.5'\n",
    ],
)
def test_scalars_keys_and_tags_read_the_same_both_ways(text: str) -> None:
    assert parse_yaml_text(text) == _node_tree_parse(text)


def test_a_file_changed_after_it_was_read_is_read_afresh(scored_workspace_dir: Path) -> None:
    """The parse cache is keyed on the bytes: a one-byte edit, made at once and keeping the
    size, is seen by the next read and by verify."""
    workspace = load_workspace(scored_workspace_dir)
    evaluator = next(iter(workspace.sheets))
    record = workspace.sheets[evaluator]
    path = record.path
    text = path.read_text(encoding="utf-8")
    assert "paragraphs two to four" in text
    path.write_text(text.replace("paragraphs two to four", "paragraphs two to five", 1), "utf-8")
    again = SHEET.read(path, Findings())
    assert again is not None and again is not record
    assert check_chain(again.header, again.events)
    assert check_chain(record.header, record.events) == []  # the loaded copy is untouched
    report = verify_workspace(scored_workspace_dir)
    assert any(f.code == "chain-hash" for f in report.findings)


def test_an_unchanged_file_is_parsed_once_while_in_use(scored_workspace_dir: Path) -> None:
    workspace = load_workspace(scored_workspace_dir)
    record = next(iter(workspace.sheets.values()))
    assert SHEET.read(record.path, Findings()) is record
    moderation = scored_workspace_dir / "moderation.yaml"
    if moderation.exists():
        first = MODERATION.read(moderation, Findings())
        assert MODERATION.read(moderation, Findings()) is first


def test_states_follow_a_session_that_saves(workspace: Workspace) -> None:
    evaluator = next(e.id for e in workspace.panel.evaluators if e.role == "quality")
    with ScoringSession(workspace, evaluator) as session:
        bidder = session.bidders[0]
        session.declare(bidder, conflict=False)
        before = workspace.states()[evaluator]
        assert before is workspace.states()[evaluator]  # replayed once while unchanged
        item = next(i for i in session.items() if i[0] == bidder)
        value = session.allowed_values(item)[-1]
        session.set_score(item, value, JUSTIFICATION.format(bidder=bidder, criterion=item[1]))
        after = workspace.states()[evaluator]
        assert after is not before
        assert after.scores[item].value == value
        fresh = replay(session._writer.record.header, session.events)
        assert after.scores == fresh.scores and after.declarations == fresh.declarations


def test_the_work_list_follows_a_recusal_and_indexes_every_item(workspace: Workspace) -> None:
    evaluator = next(e.id for e in workspace.panel.evaluators if e.role == "quality")
    with ScoringSession(workspace, evaluator) as session:
        full = list(session.items())
        assert [session.item_index(i) for i in full] == list(range(len(full)))
        conflicted = session.bidders[0]
        session.declare(conflicted, conflict=True, note="I advised this bidder in 2025.")
        items = session.items()
        assert items == [i for i in full if i[0] != conflicted]
        assert session.item_index((conflicted, full[0][1])) is None
        assert [session.item_index(i) for i in items] == list(range(len(items)))


def test_progress_counts_exactly_the_done_and_flagged_items(workspace: Workspace) -> None:
    evaluator = next(e.id for e in workspace.panel.evaluators if e.role == "quality")
    with ScoringSession(workspace, evaluator) as session:
        for bidder in session.bidders:
            session.declare(bidder, conflict=False)
        items = session.items()
        criterion = session.criterion(items[1])
        restating = f"{criterion.title} {criterion.guidance}"
        plan = [
            (items[0], "good"),
            (items[1], restating),  # flagged, still done
            (items[2], "short"),  # needs a justification
            (items[3], None),  # a draft without a score
        ]
        for step, (item, text) in enumerate(plan):
            value = None if text is None else session.allowed_values(item)[-1]
            words = (
                text
                if text not in ("good", None)
                else JUSTIFICATION.format(bidder=item[0], criterion=item[1])
            )
            session.set_score(item, value, words)
            statuses = [session.status(i) for i in items]
            expected = sum(s in (ItemStatus.DONE, ItemStatus.FLAGGED) for s in statuses)
            assert session.progress() == (expected, len(items)), step


def test_a_save_writes_exactly_what_a_full_rendering_writes(workspace: Workspace) -> None:
    """The writer renders the events it opened with at the first save, and one event per
    save after that: the file must be what rendering the whole record gives."""
    evaluator = next(e.id for e in workspace.panel.evaluators if e.role == "quality")
    with ScoringSession(workspace, evaluator) as session:
        for bidder in session.bidders:
            session.declare(bidder, conflict=False)
    with ScoringSession(load_workspace(workspace.root), evaluator) as session:  # reopened
        for item in session.items()[:3]:
            text = JUSTIFICATION.format(bidder=item[0], criterion=item[1])
            session.set_score(item, session.allowed_values(item)[0], text)
        path = session.path
    read = SHEET.read(path, Findings())
    assert read is not None
    fresh = RecordFile(path, read.header, list(read.events))
    assert path.read_text(encoding="utf-8") == fresh.render()


def _naive_compare(base: object, other: object, names: dict[str, str]) -> list[str]:
    """robustness.compare as it was written first (list.index in a double loop)."""
    flips = []
    said: tuple[str | None, str | None] = (None, None)
    bw, ow = base.winner, other.winner  # type: ignore[attr-defined]
    if (bw and bw.bidder) != (ow and ow.bidder):
        before = names.get(bw.bidder, "?") if bw else "no single winner"
        after = names.get(ow.bidder, "?") if ow else "no single winner"
        flips.append(f"winner changes from {before} to {after}")
        said = (bw.bidder if bw else None, ow.bidder if ow else None)
    base_order = [b.bidder for b in base.ranked]  # type: ignore[attr-defined]
    other_order = [b.bidder for b in other.ranked]  # type: ignore[attr-defined]
    common = [b for b in base_order if b in other_order]
    for i, first in enumerate(common):
        for second in common[i + 1 :]:
            if (first, second) == said:
                continue
            if other_order.index(first) > other_order.index(second):
                flips.append(f"{names[second]} now ranks above {names[first]}")
    excluded_now = {b.bidder for b in other.bids if b.excluded} - {  # type: ignore[attr-defined]
        b.bidder
        for b in base.bids  # type: ignore[attr-defined]
        if b.excluded
    }
    flips.extend(f"{names[b]} is now excluded" for b in sorted(excluded_now))
    return flips


def _results(order: list[str], everyone: list[str], excluded: set[str], winner: bool) -> object:
    ranked = [SimpleNamespace(bidder=b) for b in order]
    bids = [SimpleNamespace(bidder=b, excluded=b in excluded) for b in everyone]
    return SimpleNamespace(
        ranked=ranked, winner=ranked[0] if ranked and winner else None, bids=bids
    )


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(data=st.data())
def test_ranking_comparison_lists_the_same_flips_in_the_same_order(data: st.DataObject) -> None:
    everyone = [f"b{i}" for i in range(data.draw(st.integers(0, 9)))]
    names = {b: b.upper() for b in everyone}
    first = data.draw(st.permutations(everyone))
    second = data.draw(st.permutations([b for b in everyone if data.draw(st.booleans())]))
    base = _results(first, everyone, set(), data.draw(st.booleans()))
    other = _results(
        second, everyone, set(data.draw(st.lists(st.sampled_from(everyone or ["-"])))), True
    )
    assert compare(base, other, names) == _naive_compare(base, other, names)  # type: ignore[arg-type]


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner), st.dictionaries(st.text(), inner)),
    max_leaves=20,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(document=JSON_VALUES)
def test_the_json_export_writer_gives_json_dumps_bytes(document: object) -> None:
    expected = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert dumps(document) == expected


def test_content_words_are_those_of_the_plain_definition() -> None:
    def plain(text: str) -> tuple[str, ...]:
        words = justification._WORD.findall(text.lower())
        return tuple(
            justification._stem(w) for w in words if w not in justification.STOPWORDS and len(w) > 2
        )

    texts = [p.read_text(encoding="utf-8") for p in REPO.joinpath("sample_bids").glob("*.yaml")]
    texts += [p.read_text(encoding="utf-8") for p in REPO.joinpath("criteria").glob("*.yaml")]
    for text in texts:
        for chunk in text.split("\n\n"):
            assert justification.content_words(chunk) == plain(chunk)


def test_keys_equal_once_read_are_duplicates_too() -> None:
    """`1` and `01` are both the number 1: PyYAML's mapping kept the last silently."""
    from bid_panel.core.yamlio import YamlProblem

    with pytest.raises(YamlProblem, match="duplicate key 1") as refused:
        parse_yaml_text("1: one\n01: also one\n")
    assert (refused.value.line, refused.value.column) == (2, 1)


def test_an_unused_anchor_is_refused_like_an_alias() -> None:
    from bid_panel.core.yamlio import YamlProblem

    with pytest.raises(YamlProblem, match="aliases and anchors") as refused:
        parse_yaml_text("a: 1\nb: &unused 2\n")
    assert (refused.value.line, refused.value.column) == (2, 4)


def test_decimal_values_keep_their_exact_text() -> None:
    data = parse_yaml_text("a: 0.1\nb: 2.50\nc: [1.0, 3]\n")
    assert data == {"a": Decimal("0.1"), "b": Decimal("2.50"), "c": [Decimal("1.0"), 3]}
    assert [str(v) for v in (data["b"], data["c"][0])] == ["2.50", "1.0"]
