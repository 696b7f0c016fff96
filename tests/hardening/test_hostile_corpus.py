"""Bad and hostile input through `bid-panel validate`.

Every case gives located, readable errors (`file:line:column: error: ...` and a `fix:`
line), exit code 2, no traceback, and writes nothing (the folder tree is byte-identical
before and after). The cases:

* every file of the hostile corpus in tests/data/hostile/ on its own (their exact
  positions are pinned in tests/unit/test_hostile_inputs.py), and the same file dropped
  into a workspace's bids/ folder;
* the cross-file cases in tests/data/hostile/in-workspace/, each dropped into a copy of
  tests/data/minimal-workspace/ (unknown and duplicate ids, scores off the scale, sheets of
  evaluators not on the panel, ids that are paths...);
* cases generated at test time rather than committed: huge files, a FIFO, links that leave
  the workspace, 20,000 unknown keys, a 1 MB line;
* hypothesis-generated files: random bytes, and the minimal workspace's files with their
  YAML structure or their text mutated.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bid_panel.cli import main
from bid_panel.core.yamlio import MAX_HAND_EDITED_BYTES, MAX_RECORD_BYTES
from tests.hardening.support import (
    HOSTILE,
    IN_WORKSPACE,
    minimal_workspace,
    place,
    tree_snapshot,
)
from tests.unit.test_hostile_inputs import EXPECTED

LOOSE = sorted(p.name for p in HOSTILE.iterdir() if p.is_file())

IN_WORKSPACE_EXPECTED = {
    # corpus file: (message contains, line, column) of an error in the placed file
    "bid--duplicate-bidder--zeta.yaml": ("duplicate bidder id 'acme'", 3, 14),
    "bid--missing-response--zeta.yaml": ("no response for criterion 'training'", 6, 3),
    "bid--no-price--zeta.yaml": ("bid has no `price:` envelope", 1, 1),
    "bid--other-currency--zeta.yaml": ("price in EUR, tender in GBP", 9, 13),
    "bid--other-tender--zeta.yaml": ("bid is for tender 'HX-2025-999'", 2, 19),
    "bid--path-id--zeta.yaml": ("bidder.id: String should match pattern", 3, 14),
    "bid--unknown-response--zeta.yaml": (
        "response for 'innovation', which is not a criterion",
        6,
        3,
    ),
    "panel--duplicate-evaluator-id.yaml": ("duplicate evaluator id 'ann'", 5, 10),
    "panel--other-tender.yaml": ("panel is for tender 'HX-2025-999'", 2, 19),
    "panel--path-id.yaml": ("evaluators[0].id: String should match pattern", 4, 10),
    "panel--quality-sees-price.yaml": ("quality evaluator ann is assigned price criterion", 4, 68),
    "panel--unknown-criterion.yaml": ("unknown criterion 'qualty'", 4, 59),
    "sheet--after-seal--ann.yaml": ("event 6 follows the submission (event 5)", 52, 3),
    "sheet--edited--ann.yaml": ("event 3's content does not match its hash", 27, 3),
    "sheet--misnamed--bob.yaml": ("sheet of 'ann' is stored as bob.yaml", 4, 3),
    "sheet--not-on-panel--zed.yaml": ("evaluator 'zed' is not on the panel", 4, 3),
    "sheet--off-scale--ann.yaml": ("event 5: 3 is not on the Impact 0/2/5/8/10 scale", 45, 3),
    "sheet--path-evaluator--ann.yaml": ("header.evaluator: String should match pattern", 7, 14),
    "sheet--tender-changed--ann.yaml": ("the tender (criteria) file has changed", 4, 3),
    "sheet--unassigned-criterion--ann.yaml": (
        "event 5 scores 'cost', which is not assigned",
        45,
        3,
    ),
    "sheet--unknown-bidder--ann.yaml": ("event 5 names unknown bidder 'zeta'", 45, 3),
}


def validate(*args: object) -> tuple[int, str, str]:
    """`bid-panel validate ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def assert_refused_cleanly(code: int, out: str, err: str) -> None:
    assert code == 2, (out, err)
    for text in (out, err):
        assert "Traceback" not in text
        assert "internal error" not in text
    assert err.strip().splitlines()[-1].startswith("FAILED: ")
    lines = out.splitlines()
    errors = [i for i, line in enumerate(lines) if ": error: " in line]
    assert errors, out
    for index in errors:  # every error is followed by how to fix it
        assert lines[index + 1].startswith("    fix: "), lines[index : index + 2]


def error_at(out: str, file: Path, line: int, column: int, message: str) -> bool:
    where = f"{file}:{line}:{column}: error: " if line else f"{file}: error: "
    return any(row.startswith(where) and message in row for row in out.splitlines())


# --------------------------------------------------------------------------- the corpus


def test_the_corpus_holds_at_least_40_broken_or_hostile_files() -> None:
    in_workspace = sorted(p.name for p in IN_WORKSPACE.iterdir())
    assert in_workspace == sorted(IN_WORKSPACE_EXPECTED)
    assert len(LOOSE) + len(in_workspace) >= 40


def test_the_minimal_workspace_the_cases_are_dropped_into_is_valid(tmp_path: Path) -> None:
    code, out, err = validate(minimal_workspace(tmp_path / "ws"))
    assert (code, out, err.strip()) == (0, "", "OK: clean")


@pytest.mark.parametrize("name", LOOSE)
def test_a_hostile_file_is_refused_located_and_nothing_is_written(
    name: str, tmp_path: Path
) -> None:
    target = tmp_path / "files" / name
    target.parent.mkdir()
    shutil.copyfile(HOSTILE / name, target)
    before = tree_snapshot(tmp_path)
    code, out, err = validate(target)
    assert_refused_cleanly(code, out, err)
    message, line, column, _ = EXPECTED[name]
    assert error_at(out, target, line, column, message), out
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize("name", LOOSE)
def test_a_hostile_file_among_a_workspaces_bids_is_refused(name: str, tmp_path: Path) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    target = workspace / "bids" / name
    shutil.copyfile(HOSTILE / name, target)
    before = tree_snapshot(tmp_path)
    code, out, err = validate(workspace)
    assert_refused_cleanly(code, out, err)
    assert f"{target}:" in out or f"{target}: error" in out
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize("name", sorted(IN_WORKSPACE_EXPECTED))
def test_a_cross_file_problem_is_refused_where_it_is(name: str, tmp_path: Path) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    target = place(IN_WORKSPACE / name, workspace)
    before = tree_snapshot(tmp_path)
    code, out, err = validate(workspace)
    assert_refused_cleanly(code, out, err)
    message, line, column = IN_WORKSPACE_EXPECTED[name]
    assert error_at(out, target, line, column, message), out
    assert tree_snapshot(tmp_path) == before


def test_json_findings_carry_file_line_column_and_fix(tmp_path: Path) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    target = place(IN_WORKSPACE / "sheet--off-scale--ann.yaml", workspace)
    code, out, _ = validate("--format", "json", workspace)
    assert code == 2
    report = json.loads(out)
    assert report["ok"] is False
    [finding] = report["findings"]
    assert (finding["file"], finding["line"], finding["column"]) == (str(target), 45, 3)
    assert finding["severity"] == "error"
    assert finding["hint"]


# --------------------------------------------------------------------------- generated cases


def _huge_bid(path: Path) -> str:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("format: bid-panel/bid@1\n")
        line = "# " + "padding " * 12 + "\n"
        handle.write(line * (MAX_HAND_EDITED_BYTES // len(line) + 1))
    return f"larger than the {MAX_HAND_EDITED_BYTES:,} byte limit"


def _huge_sheet(path: Path) -> str:
    with path.open("wb") as handle:  # sparse: nothing is read, the size alone is refused
        handle.truncate(MAX_RECORD_BYTES + 1)
    return f"larger than the {MAX_RECORD_BYTES:,} byte limit"


def _fifo(path: Path) -> str:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(path)  # reading it would block for ever
    return "is not a regular file"


def _folder(path: Path) -> str:
    path.mkdir()
    return "is a folder, not a file"


def _link_out(path: Path) -> str:
    outside = path.parents[2] / "outside" / "bid.yaml"
    outside.parent.mkdir(exist_ok=True)
    text = (path.parents[1] / "bids" / "acme.yaml").read_text(encoding="utf-8")
    outside.write_text(text.replace("id: acme", "id: outsider"), encoding="utf-8")
    path.symlink_to(Path("..", "..", "outside", "bid.yaml"))
    return "outside the workspace"


def _link_to_etc(path: Path) -> str:
    path.symlink_to("/etc/passwd")
    return "is a link to /etc/passwd, outside the workspace"


def _many_unknown_keys(path: Path) -> str:
    text = (path.parent / "acme.yaml").read_text(encoding="utf-8").replace("id: acme", "id: many")
    path.write_text(text + "".join(f"k{i}: {i}\n" for i in range(20_000)), encoding="utf-8")
    return "unknown key 'k19999' at k19999"


def _long_line(path: Path) -> str:
    text = (path.parent / "acme.yaml").read_text(encoding="utf-8").replace("id: acme", "id: long")
    path.write_text(text.replace("Jo Smith", "Jo " + "x" * 1_000_000), encoding="utf-8")
    return "String should have at most 200000 characters"


def _alias_bomb(path: Path) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "aliases and anchors"


def _deep_criteria(path: Path) -> str:
    inner = "{id: leaf, title: Leaf, kind: scored, weight: 100, scale: impact}"
    for depth in range(400):
        inner = f"{{id: g{depth}, title: G, kind: group, weight: 100, children: [{inner}]}}"
    text = path.read_text(encoding="utf-8").split("criteria:\n")[0]
    path.write_text(text + f"criteria: [{inner}]\n", encoding="utf-8")
    return "maximum validation depth exceeded"


GENERATED = {
    # case: (file in the workspace, what to do to it)
    "huge-bid": ("bids/huge.yaml", _huge_bid),
    "huge-sheet": ("sheets/ann.yaml", _huge_sheet),
    "fifo-bid": ("bids/pipe.yaml", _fifo),
    "folder-bid": ("bids/folder.yaml", _folder),
    "dot-dot-link-leaving-the-workspace": ("bids/..outsider.yaml", _link_out),
    "sheet-linked-to-etc-passwd": ("sheets/ann.yaml", _link_to_etc),
    "tender-linked-to-etc-passwd": ("tender.yaml", _link_to_etc),
    "twenty-thousand-unknown-keys": ("bids/many.yaml", _many_unknown_keys),
    "one-megabyte-line": ("bids/long.yaml", _long_line),
    "alias-bomb-40-levels": ("bids/bomb.yaml", _alias_bomb),
    "criteria-nested-400-deep": ("tender.yaml", _deep_criteria),
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_a_generated_hostile_file_is_refused(case: str, tmp_path: Path) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    relative, make = GENERATED[case]
    target = workspace / relative
    target.parent.mkdir(exist_ok=True)
    if target.exists() and relative == "tender.yaml" and make is _link_to_etc:
        target.unlink()
    message = make(target)
    before = tree_snapshot(tmp_path)
    code, out, err = validate(workspace)
    assert_refused_cleanly(code, out, err)
    assert any(
        row.startswith(f"{target}:") and ": error: " in row and message in row
        for row in out.splitlines()
    ), out[:2000]
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "name", ["alias-bomb.yaml", "python-tag.yaml", "huge-integer.yaml", "control-chars.yaml"]
)
def test_validate_in_a_subprocess_exits_2_without_a_traceback(name: str, tmp_path: Path) -> None:
    target = tmp_path / name
    shutil.copyfile(HOSTILE / name, target)
    before = tree_snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bid_panel", "validate", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path / "home")},
    )
    assert_refused_cleanly(done.returncode, done.stdout, done.stderr)
    message, line, column, _ = EXPECTED[name]
    assert error_at(done.stdout, target, line, column, message), done.stdout
    assert tree_snapshot(tmp_path) == before


def test_a_cross_file_case_in_a_subprocess(tmp_path: Path) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    target = place(IN_WORKSPACE / "sheet--path-evaluator--ann.yaml", workspace)
    before = tree_snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bid_panel", "validate", str(workspace)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path / "home")},
    )
    assert_refused_cleanly(done.returncode, done.stdout, done.stderr)
    assert error_at(done.stdout, target, 7, 14, "header.evaluator"), done.stdout
    assert tree_snapshot(tmp_path) == before


# --------------------------------------------------------------------------- hypothesis

FUZZ = settings(
    max_examples=150,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WORKSPACE_FILES = ["tender.yaml", "panel.yaml", "bids/acme.yaml", "bids/bright.yaml"]

NASTY_TEXT = [
    "../../etc/passwd",
    "..",
    "/etc/passwd",
    "[/]",
    "[bold red]",
    "${HOME}",
    "\u202e",
    "\x1b[2J",
    "2026-02-30",
    "yes",
    "0x" + "f" * 40,
    "9" * 50,
    "1e999999999",
    "-0",
    ".nan",
    "",
    " ",
    "é" * 300,
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(NASTY_TEXT),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=12), st.sampled_from(NASTY_TEXT)), inner, max_size=4
        ),
    ),
    max_leaves=10,
)


def json_validate(workspace: Path) -> tuple[int, dict, str]:
    code, out, err = validate("--format", "json", workspace)
    for text in (out, err):
        assert "Traceback" not in text
        assert "internal error" not in text
    return code, json.loads(out), err


def assert_located(report: dict, workspace: Path) -> None:
    """Every error names a file of the workspace, says how to fix it, and has a line
    (except the few problems that are about a whole file)."""
    whole_file = ("file is empty", "file is ", "no bids found", "is not a regular file")
    for finding in report["findings"]:
        if finding["severity"] != "error":
            continue
        assert Path(finding["file"]).is_relative_to(workspace), finding
        assert finding["hint"], finding
        assert finding["line"] > 0 or finding["message"].startswith(whole_file), finding


def _mutate(data: object, draw: st.DrawFn, depth: int = 0) -> object:
    """Replace, delete, add or duplicate one entry somewhere in a parsed YAML document."""
    if isinstance(data, dict) and data and depth < 8:
        key = draw(st.sampled_from(sorted(data, key=str)))
        action = draw(st.sampled_from(["replace", "delete", "add", "descend", "descend"]))
        if action == "replace":
            data[key] = draw(VALUES)
        elif action == "delete":
            del data[key]
        elif action == "add":
            data[draw(st.sampled_from(["id", "weight", "extra", "value", key + "s"]))] = draw(
                VALUES
            )
        else:
            data[key] = _mutate(data[key], draw, depth + 1)
        return data
    if isinstance(data, list) and data and depth < 8:
        index = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "descend", "descend"]))
        if action == "replace":
            data[index] = draw(VALUES)
        elif action == "delete":
            del data[index]
        elif action == "duplicate":
            data.append(data[index])
        else:
            data[index] = _mutate(data[index], draw, depth + 1)
        return data
    return draw(VALUES)


@FUZZ
@given(payload=st.binary(max_size=600))
def test_random_bytes_as_a_bid_are_refused(tmp_path: Path, payload: bytes) -> None:
    workspace = tmp_path / "ws"
    shutil.rmtree(workspace, ignore_errors=True)
    minimal_workspace(workspace)
    target = workspace / "bids" / "fuzz.yaml"
    target.write_bytes(payload)
    before = tree_snapshot(workspace)
    code, report, _ = json_validate(workspace)
    assert code == 2
    assert any(f["file"] == str(target) for f in report["findings"])
    assert_located(report, workspace)
    assert tree_snapshot(workspace) == before


@FUZZ
@given(data=st.data())
def test_mutated_yaml_structures_are_refused_or_valid_never_a_crash(
    tmp_path: Path, data: st.DataObject
) -> None:
    workspace = tmp_path / "ws"
    shutil.rmtree(workspace, ignore_errors=True)
    minimal_workspace(workspace)
    target = workspace / data.draw(st.sampled_from(WORKSPACE_FILES))
    document = yaml.safe_load(target.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        document = _mutate(document, data.draw)
    target.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    before = tree_snapshot(workspace)
    code, report, _ = json_validate(workspace)
    assert code in (0, 2)
    assert (code == 0) == report["ok"]
    if code == 2:
        assert_located(report, workspace)
    assert tree_snapshot(workspace) == before


YAML_NOISE = [
    ":",
    ": ",
    "- ",
    "\t",
    "&a ",
    "*a ",
    "!!python/object:os.system ",
    "!!set ",
    "\n  ",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "? ",
    "|",
    ">",
    "#",
    "%",
    "@",
    "`",
    "\x00",
    "\ufeff",
    "<<: ",
    "---\n",
    "...\n",
    "\r",
    "\x85",
    "é",
    "\x1b",
]


@FUZZ
@given(data=st.data())
def test_mutated_yaml_text_is_refused_or_valid_never_a_crash(
    tmp_path: Path, data: st.DataObject
) -> None:
    workspace = tmp_path / "ws"
    shutil.rmtree(workspace, ignore_errors=True)
    minimal_workspace(workspace)
    target = workspace / data.draw(st.sampled_from(WORKSPACE_FILES))
    text = target.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + data.draw(st.sampled_from(YAML_NOISE)) + text[at:]
        else:
            text = text[:at] + text[at + data.draw(st.integers(1, 30)) :]
    target.write_text(text, encoding="utf-8")
    before = tree_snapshot(workspace)
    code, report, _ = json_validate(workspace)
    assert code in (0, 2)
    assert (code == 0) == report["ok"]
    if code == 2:
        assert_located(report, workspace)
    assert tree_snapshot(workspace) == before
