"""Is a justification about the bid, or does it just restate the criterion?

Woods v Milton Keynes (2015): evaluators' notes that paraphrase the criteria explain
nothing. We flag a justification when most of what it says can be found in the criterion's
title, guidance and scale descriptors, and little of it can be traced to the bid's response.
A flag is a prompt to the evaluator, not a refusal.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from bid_panel.core.tender import Criterion, CriterionKind, Tender

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it
    its itself just me more most my no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours score scored scores scoring
    given give gives meets meet met shows show shown response responses bidder bidders bid
    bids tender overall clear clearly well good evidence evidenced demonstrate demonstrates
    demonstrated requirement requirements provided provides provide
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True)
class RestatementCheck:
    flagged: bool
    criterion_share: float
    """Share of the justification's content words found in the criterion and its scale."""
    bid_share: float
    """Share found in the bid's response and not in the criterion text."""
    copied_phrase_share: float
    """Share of the justification's word pairs copied from the criterion text."""

    @property
    def explanation(self) -> str:
        if not self.flagged:
            return ""
        return (
            f"{self.criterion_share:.0%} of this justification restates the criterion or scale "
            f"text and only {self.bid_share:.0%} refers to the bid: say what in the bid "
            "earned the score (quote or point to its content)"
        )


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


_CONTENT: dict[str, str | None] = {}
"""Each word seen, stemmed, or None when it is not a content word: a tender's vocabulary is a
few thousand words, and a work list of 12,000 items checks every justification and every
response once (benchmarks/run.py: 2 s, most of it stemming the same words again)."""


def _content(word: str) -> str | None:
    known = _CONTENT.get(word, "")
    if known != "":
        return known
    stem = _stem(word) if word not in STOPWORDS and len(word) > 2 else None
    if len(_CONTENT) < 200_000:  # bounded, whatever text comes in
        _CONTENT[word] = stem
    return stem


@lru_cache(maxsize=4096)
def content_words(text: str) -> tuple[str, ...]:
    stems = (_content(w) for w in _WORD.findall(text.lower()))
    return tuple(stem for stem in stems if stem is not None)


def _pairs(words: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(words))


def check_restatement(justification: str, criterion_text: str, bid_text: str) -> RestatementCheck:
    words = content_words(justification)
    if len(words) < 4:
        return RestatementCheck(False, 0.0, 0.0, 0.0)
    criterion_words = set(content_words(criterion_text))
    bid_words = set(content_words(bid_text))
    unique = set(words)
    in_criterion = unique & criterion_words
    bid_only = (unique & bid_words) - criterion_words
    pairs = _pairs(words)
    copied = pairs & _pairs(content_words(criterion_text))
    criterion_share = len(in_criterion) / len(unique)
    bid_share = len(bid_only) / len(unique)
    copied_share = len(copied) / len(pairs) if pairs else 0.0
    flagged = bid_share < 0.2 and (criterion_share >= 0.6 or copied_share >= 0.4)
    return RestatementCheck(flagged, criterion_share, bid_share, copied_share)


def criterion_text(tender: Tender, criterion: Criterion) -> str:
    """The text a justification or moderation reason must not merely restate: the
    criterion's title and guidance and, for a scored criterion, every label and descriptor
    of its scale. Shared by the scoring session and the assessment summaries."""
    parts = [criterion.title, criterion.guidance]
    if criterion.kind is CriterionKind.SCORED:
        scale = tender.scale_of(criterion)
        parts.extend(f"{v.label} {v.descriptor}" for v in scale.values)
    return "\n".join(parts)
