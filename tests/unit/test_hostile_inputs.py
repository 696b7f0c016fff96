"""The hostile-input corpus in tests/data/hostile: each file is refused, located, with a fix.

Add a file (and a row here) whenever a new way of breaking the loader is found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bid_panel.core.workspace import validate_paths

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hostile"

EXPECTED = {
    # file: (message contains, line, column, hint contains)
    "alias-bomb.yaml": ("aliases and anchors", 2, 4, "in full"),
    "deep-nesting.yaml": ("maximum nesting depth", 2, 1010, ""),
    "duplicate-price.yaml": ("duplicate key 'total' (first given on line 3)", 5, 3, "keep one"),
    "empty.yaml": ("file is empty", 0, 0, "mapping"),
    "latin1.yaml": ("byte 0xeb is not valid UTF-8", 3, 11, "UTF-8"),
    "merge-key.yaml": ("merge keys", 4, 5, "in full"),
    "nan-weight.yaml": ("'.nan' is not a finite number", 4, 13, "ordinary number"),
    "nul-byte.yaml": ("NUL bytes", 2, 11, "UTF-8 text"),
    "python-tag.yaml": ("python/object/apply", 2, 12, "tags"),
    "tab-indent.yaml": ("YAML syntax", 3, 1, "tab"),
    "top-level-list.yaml": ("must be a mapping", 1, 1, "reference"),
    "two-documents.yaml": ("another document", 2, 1, ""),
}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused_where_the_problem_is(name: str) -> None:
    message, line, column, hint = EXPECTED[name]
    findings = validate_paths([CORPUS / name])
    [finding] = findings.errors
    assert message in finding.message
    assert (finding.line, finding.column) == (line, column)
    assert hint in finding.hint
    assert finding.hint
