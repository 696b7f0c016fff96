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
    # --- added with the hardening issue (syntax, encodings, tags, types, ids, records)
    "bidder-path-id.yaml": ("bidder.id: String should match pattern", 3, 14, "lower-case"),
    "binary-no-nul.yaml": ("byte 0xbe is not valid UTF-8", 1, 2, "UTF-8"),
    "binary-png.yaml": ("NUL bytes", 3, 1, "UTF-8 text"),
    "binary-tag.yaml": ("the YAML tag !!binary is not allowed", 3, 26, "tags"),
    "blank-lines.yaml": ("file is empty", 0, 0, "mapping"),
    "comment-only.yaml": ("must be a mapping of keys to values, not empty", 1, 1, "reference"),
    "complex-key.yaml": ("a mapping key must be a plain value", 6, 5, "simple name"),
    "control-chars.yaml": ("character 0x001b is not allowed in YAML", 3, 31, "control character"),
    "cp1252-quotes.yaml": ("byte 0x93 is not valid UTF-8", 3, 26, "UTF-8"),
    "crlf-tab.yaml": ("YAML syntax", 4, 1, "tab"),
    "custom-tag.yaml": ("constructor for the tag '!include'", 2, 19, "tags"),
    "duplicate-criterion-id.yaml": ("duplicate criterion id 'leadership'", 30, 13, "unique"),
    "duplicate-scale-id.yaml": ("duplicate scale id 'impact'", 18, 9, "unique"),
    "evaluator-path-id.yaml": ("evaluators[1].id: String should match", 5, 10, "lower-case"),
    "huge-exponent-ceiling.yaml": ("ceiling_price: Decimal input should", 41, 20, "20 digits"),
    "huge-hex-integer.yaml": ("is far too large a number", 10, 10, "ordinary number"),
    "huge-integer.yaml": ("is far too large a number", 5, 23, "ordinary number"),
    "impossible-date.yaml": ("is not a valid date and time (day is out of range", 4, 15, "correct"),
    "impossible-offset.yaml": ("'2026-10-01T11:42:00+99:00' is not a valid date", 4, 15, "correct"),
    "inf-price.yaml": ("'.inf' is not a finite number", 10, 10, "ordinary number"),
    "negative-price.yaml": ("price.total: Input should be greater", 10, 10, "larger"),
    "price-lines-mismatch.yaml": ("price lines add up to 1100000, not the stated", 9, 3, "agree"),
    "python-name-tag.yaml": ("python/name:os.system", 4, 12, "tags"),
    "recursive-alias.yaml": ("aliases and anchors", 3, 8, "in full"),
    "response-path-key.yaml": ("String should match pattern", 7, 19, "lower-case"),
    "scalar-top.yaml": ("must be a mapping of keys to values, not str", 1, 1, "reference"),
    "scale-descending.yaml": ("scale values must be listed once each", 13, 7, "ascending"),
    "scale-value-too-high.yaml": ("less than or equal to 1000", 17, 17, "smaller"),
    "set-tag.yaml": ("the YAML tag !!set is not allowed", 4, 58, "plain list"),
    "sheet-edited-value.yaml": ("event 3's content does not match its hash", 27, 3, "edited"),
    "sheet-path-evaluator.yaml": ("header.evaluator: String should", 7, 14, "lower-case"),
    "sheet-truncated.yaml": ("event 4's content does not match its hash", 36, 3, "edited"),
    "sheet-unknown-event.yaml": ("Input tag 'deletion' found using 'type'", 11, 3, "restore"),
    "syntax-bad-indent.yaml": ("mapping values are not allowed", 4, 12, "indentation"),
    "syntax-unclosed-bracket.yaml": ("did not find expected ',' or ']'", 6, 60, "indentation"),
    "syntax-unclosed-quote.yaml": ("found unexpected end of stream", 14, 1, "quoting"),
    "tab-nested.yaml": ("YAML syntax", 9, 1, "tab"),
    "unknown-key-criterion.yaml": ("unknown key 'gudiance'", 35, 9, "did you mean 'guidance'?"),
    "unknown-key-price.yaml": ("unknown key 'note' at price.note", 10, 3, "did you mean 'notes'?"),
    "unknown-key-top.yaml": ("unknown key 'chair'", 3, 1, "Allowed keys here"),
    "unknown-scale.yaml": ("unknown scale 'impact-10'", 34, 16, "use one of: impact"),
    "utf16.yaml": ("NUL bytes", 1, 4, "UTF-8 text"),
    "weights-99.yaml": ("weights at the top level total 99, not 100", 22, 13, "add up to"),
    "weights-nested-101.yaml": ("children of quality total 101, not 100", 27, 17, "add up to"),
    "wrong-enum-role.yaml": ("role: Input should be 'quality'", 7, 40, "allowed values"),
    "wrong-format.yaml": ("unknown file kind: `format: bid-panel/tender@2`", 1, 1, "format:"),
    "wrong-type-bool.yaml": ("failing_disqualifies: Input should be", 41, 27, "true"),
    "wrong-type-date-reference.yaml": ("reference: Input should be a valid string", 2, 12, "quote"),
    "wrong-type-evaluators.yaml": ("evaluators: Input should be a valid list", 3, 13, "list"),
    "wrong-type-norway.yaml": ("valid string (got True)", 3, 26, "quote"),
    "wrong-type-weight.yaml": ("weight: Input should be a valid decimal", 22, 13, "number"),
    "zero-price.yaml": ("price total is 0", 10, 10, "zero price"),
}


def test_every_corpus_file_has_an_expectation() -> None:
    # Files here are refused on their own; in-workspace/ holds cross-file cases, see
    # tests/hardening/test_hostile_corpus.py.
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_file()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused_where_the_problem_is(name: str) -> None:
    message, line, column, hint = EXPECTED[name]
    findings = validate_paths([CORPUS / name])
    [finding] = findings.errors
    assert message in finding.message
    assert (finding.line, finding.column) == (line, column)
    assert hint in finding.hint
    assert finding.hint
