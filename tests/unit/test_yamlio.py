"""Strict YAML loading: every refusal is located (line, column) and says how to fix it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bid_panel.core.errors import Findings
from bid_panel.core.tender import Tender
from bid_panel.core.yamlio import (
    MAX_HAND_EDITED_BYTES,
    YamlProblem,
    load_model,
    parse_yaml_text,
    read_yaml_file,
)


def problem_in(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        parse_yaml_text(text)
    return caught.value


def problem_in_file(path: Path, data: bytes) -> YamlProblem:
    path.write_bytes(data)
    with pytest.raises(YamlProblem) as caught:
        read_yaml_file(path)
    return caught.value


def load_tender(path: Path) -> tuple[Tender | None, Findings]:
    findings = Findings()
    loaded = load_model(path, Tender, findings)
    return (loaded.model if loaded else None), findings


# --------------------------------------------------------------------------- syntax


def test_syntax_error_is_located_with_a_fix() -> None:
    problem = problem_in("title: ok\nvalues: [1, 2\nnext: 3\n")
    assert problem.message.startswith("YAML syntax:")
    assert problem.line == 3
    assert problem.column >= 1
    assert "indentation" in problem.hint


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("rules:\n\trounding: 2\n", 2),  # a tab where a key should start
        ("title: ok\n\tauthority: x\n", 2),  # a tab after a plain scalar
        ("rules:\n  rounding: 2\n\t tie_break: x\n", 3),  # a tab, then spaces
    ],
    ids=["tab-opens-key", "tab-after-scalar", "tab-then-spaces"],
)
def test_tab_indentation_is_located_and_the_fix_names_tabs(text: str, line: int) -> None:
    problem = problem_in(text)
    assert (problem.line, problem.column) == (line, 1)
    assert "tab" in problem.hint
    assert "spaces" in problem.hint


def test_duplicate_key_is_refused_at_the_second_with_the_first_line() -> None:
    problem = problem_in("total: 100\ncurrency: GBP\ntotal: 90\n")
    assert (problem.line, problem.column) == (3, 1)
    assert "duplicate key 'total'" in problem.message
    assert "first given on line 1" in problem.message
    assert "keep one" in problem.hint


def test_duplicate_key_in_a_nested_mapping_is_refused() -> None:
    problem = problem_in("price:\n  total: 100\n  lines: []\n  total: 90\n")
    assert (problem.line, problem.column) == (4, 3)


def test_alias_is_refused_with_the_anchor_position() -> None:
    problem = problem_in("weight: &w 20\nother: *w\n")
    assert "aliases and anchors" in problem.message
    assert (problem.line, problem.column) == (1, 9)
    assert "in full" in problem.hint


def test_billion_laughs_alias_bomb_is_refused_before_expanding() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[index]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    problem = problem_in("\n".join(levels) + "\n")
    assert "aliases and anchors" in problem.message
    assert problem.line >= 1


def test_merge_key_is_refused() -> None:
    problem = problem_in("base:\n  weight: 1\nchild:\n  <<: {weight: 2}\n")
    assert "merge keys" in problem.message
    assert (problem.line, problem.column) == (4, 3)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object:os.system {}",
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/name:os.system",
        "!custom 1",
    ],
)
def test_language_and_custom_tags_are_refused(tag: str) -> None:
    problem = problem_in(f"title: ok\nreference: {tag}\n")
    assert (problem.line, problem.column) == (2, 12)
    assert "tags" in problem.hint


def test_python_apply_tag_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    problem_in(f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()


def test_a_second_document_is_refused() -> None:
    problem = problem_in("title: one\n---\ntitle: two\n")
    assert problem.line == 2


# --------------------------------------------------------------------------- bytes


def test_non_utf8_byte_is_located_in_characters(tmp_path: Path) -> None:
    # "Café " is 5 characters but 6 bytes: the column is where an editor puts it.
    problem = problem_in_file(tmp_path / "bid.yaml", b"title: ok\nname: Caf\xc3\xa9 \xff\n")
    assert problem.message == "byte 0xff is not valid UTF-8"
    assert (problem.line, problem.column) == (2, 12)
    assert "UTF-8" in problem.hint


def test_latin1_file_is_refused_at_its_first_accent(tmp_path: Path) -> None:
    problem = problem_in_file(tmp_path / "t.yaml", "a: 1\nb: 2\nname: Zoë\n".encode("latin-1"))
    assert (problem.line, problem.column) == (3, 9)


def test_nul_bytes_mean_binary_content_and_are_located(tmp_path: Path) -> None:
    problem = problem_in_file(tmp_path / "t.yaml", b"title: ok\nnotes: ab\x00cd\n")
    assert "NUL" in problem.message
    assert "binary" in problem.message
    assert (problem.line, problem.column) == (2, 10)
    assert "UTF-8 text" in problem.hint


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    problem = problem_in_file(tmp_path / "logo.yaml", png)
    assert "binary" in problem.message


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: ok\n")
    assert read_yaml_file(path)[1] == {"title": "ok"}


@pytest.mark.parametrize("text", ["", "   \n\n", "\t\n"])
def test_empty_file_is_refused(text: str) -> None:
    problem = problem_in(text)
    assert problem.message == "file is empty"
    assert "mapping" in problem.hint


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("- a\n- b\n", "list"),
        ("just words\n", "str"),
        ("42\n", "int"),
        ("# only a comment\n", "empty"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    problem = problem_in(text)
    assert problem.message.endswith(f"not {kind}")
    assert (problem.line, problem.column) == (1, 1)
    assert "`reference: ...`" in problem.hint


def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"[" * (MAX_HAND_EDITED_BYTES + 1))  # not even valid YAML: never parsed
    with pytest.raises(YamlProblem) as caught:
        read_yaml_file(path)
    assert "larger than the 4,194,304 byte limit" in caught.value.message
    assert caught.value.hint


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"a: 1\n")
    assert read_yaml_file(path, limit=5)[1] == {"a": 1}
    with pytest.raises(YamlProblem, match="larger than the 4 byte limit"):
        read_yaml_file(path, limit=4)


def test_missing_file_and_folder_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(YamlProblem, match="file not found"):
        read_yaml_file(tmp_path / "nope.yaml")
    with pytest.raises(YamlProblem, match="folder"):
        read_yaml_file(tmp_path)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("spelling", [".nan", ".NaN", ".inf", "-.Inf", "+.INF"])
def test_nan_and_infinity_are_refused_where_written(spelling: str) -> None:
    problem = problem_in(f"title: ok\nweight: {spelling}\n")
    assert "not a finite number" in problem.message
    assert (problem.line, problem.column) == (2, 9)
    assert "ordinary number" in problem.hint


def test_floats_are_read_as_exact_decimals() -> None:
    data = parse_yaml_text("a: 0.1\nb: 0.2\nc: 1_000.50\n")
    assert isinstance(data["a"], Decimal)
    assert data["a"] == Decimal("0.1")
    assert data["a"] + data["b"] == Decimal("0.3")
    assert data["c"] == Decimal("1000.50")


def test_integers_stay_integers() -> None:
    assert parse_yaml_text("a: 30\n") == {"a": 30}


def test_weights_that_total_100_exactly_but_not_in_floats_are_accepted(sample, edited_copy) -> None:
    # 12.1 + 24.7 + 20.3 + 27.8 + 15.1 is 99.99999999999999 in binary floating point.
    assert sum([12.1, 24.7, 20.3, 27.8, 15.1]) != 100
    path = edited_copy(
        sample.tender,
        ("weight: 25", "weight: 12.1"),
        ("kind: scored\n        weight: 20\n", "kind: scored\n        weight: 24.7\n"),
        ("kind: scored\n        weight: 20\n", "kind: scored\n        weight: 20.3\n"),
        ("kind: group\n        weight: 20\n", "kind: group\n        weight: 27.8\n"),
        ("weight: 15", "weight: 15.1"),
    )
    from bid_panel.core.workspace import validate_paths

    assert list(validate_paths([path])) == []


# --------------------------------------------------------------------------- validation


def test_unknown_key_says_did_you_mean_and_is_located(sample, edited_copy, find_line) -> None:
    path = edited_copy(
        sample.tender, ("contract_term_months: 30", "contract_term_months: 30\ncontract_term: 30")
    )
    tender, findings = load_tender(path)
    assert tender is None
    [finding] = findings
    assert finding.message == "unknown key 'contract_term' at contract_term"
    assert finding.hint.startswith("did you mean 'contract_term_months'?")
    assert "Allowed keys here:" in finding.hint
    assert (finding.line, finding.column) == (find_line(path, "contract_term: 30"), 1)
    assert finding.file == str(path)


def test_unknown_nested_key_suggests_the_nested_field(sample, edited_copy, find_line) -> None:
    path = edited_copy(sample.tender, ("        minimum_score: 2\n", "        minimum_scor: 2\n"))
    _, findings = load_tender(path)
    [finding] = findings
    assert "criteria[0].children[0].minimum_scor" in finding.message
    assert "did you mean 'minimum_score'?" in finding.hint
    assert (finding.line, finding.column) == (find_line(path, "minimum_scor:"), 9)


def test_unknown_key_with_nothing_close_says_remove_it(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("currency: GBP", "currency: GBP\nzzz: 1"))
    _, findings = load_tender(path)
    assert findings.items[0].hint.startswith("remove it")


def test_missing_key_is_named_and_located(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("authority: Example Borough Council\n", ""))
    _, findings = load_tender(path)
    [finding] = findings
    assert finding.message == "missing required key 'authority' at authority"
    assert finding.hint == "add `authority:` here"
    assert finding.line > 0


@pytest.mark.parametrize(
    ("old", "new", "where", "hint"),
    [
        (
            "contract_term_months: 30",
            "contract_term_months: thirty",
            "contract_term_months",
            "whole number",
        ),
        ("weight: 70", "weight: seventy", "criteria[0].weight", "plain number"),
        ("weight: 70", "weight: -70", "criteria[0].weight", "larger number"),
        ("kind: group", "kind: folder", "criteria[0].kind", "allowed values"),
        ("- id: quality\n", "- id: Quality Block\n", "criteria[0].id", "lower-case"),
    ],
)
def test_wrong_value_is_located_with_a_fix(
    sample, edited_copy, find_line, old: str, new: str, where: str, hint: str
) -> None:
    path = edited_copy(sample.tender, (old, new))
    _, findings = load_tender(path)
    [finding] = findings
    assert finding.message.startswith(f"{where}: ")
    assert hint in finding.hint
    assert finding.line == find_line(path, new.strip().splitlines()[0])


def test_every_error_is_reported_in_one_pass(sample, edited_copy) -> None:
    path = edited_copy(
        sample.tender,
        ("contract_term_months: 30", "contract_term_months: thirty"),
        ("currency: GBP", "currency: pounds"),
        ("weight: 70", "weight: .nan"),
    )
    _, findings = load_tender(path)
    # .nan stops the parse (it is refused while reading); fix it and both others appear.
    assert [f.message for f in findings] == ["'.nan' is not a finite number"]
    path.write_text(path.read_text().replace("weight: .nan", "weight: 70"))
    _, findings = load_tender(path)
    assert len(findings) == 2


def test_a_finding_prints_as_file_line_column_message_and_fix(sample, edited_copy) -> None:
    path = edited_copy(sample.tender, ("contract_term_months: 30", "contract_term_months: 0"))
    _, findings = load_tender(path)
    text = str(findings.items[0])
    assert text.startswith(f"{path}:10:23: error: contract_term_months: ")
    assert "\n    fix: " in text
