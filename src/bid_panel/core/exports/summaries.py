"""Assessment summaries (Procurement Act 2023 s50, Procurement Regulations 2024 reg 31).

One document per bidder whose tender was assessed, in Markdown and in print-ready,
self-contained HTML: the award criteria with their weights; the bidder's score for every
criterion and sub-criterion with the explanation recorded at moderation (which refers to
the bidder's own tender); its totals; for an unsuccessful bidder why (rank, gate or
threshold) and, when the tender publishes that it will, the winning tender's scores.

Refused, with every item to fix and nothing written, when the results are provisional or
when any explanation is missing, shorter than the tender's minimum, merely restates the
criterion (Woods v Milton Keynes), draws nothing from the bidder's tender, or names a panel
member. A summary never shows an individual evaluator's name or score: only the panel's
moderated score and reason.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bid_panel.core.consensus import Source
from bid_panel.core.errors import Finding
from bid_panel.core.exports.data import (
    NOTICE,
    ExportData,
    ExportRefused,
    money,
    ordinal,
    provisional_findings,
    value_text,
)
from bid_panel.core.exports.document import (
    Bullets,
    Document,
    Facts,
    Grid,
    Heading,
    Notice,
    Para,
    Strong,
    Text,
    to_html,
    to_markdown,
)
from bid_panel.core.moderation import restatement
from bid_panel.core.results import BidResult, comparable
from bid_panel.core.tender import Criterion, CriterionKind, number_text
from bid_panel.core.workspace import MODERATION_FILE

LEGAL_BASIS = "Procurement Act 2023, section 50; Procurement Regulations 2024, regulation 31"

MIN_TENDER_SHARE = 0.1
"""An explanation must draw at least this share of its words from the bidder's own tender
(and not from the criterion): below it, it explains nothing by reference to the tender."""


# --------------------------------------------------------------------------- checks


INDIVIDUAL_SCORES = re.compile(
    r"\b(?:individual|evaluators?['’]?|members?['’]?)\s+(?:scores?|marks?|ratings?)\b"
    r"|\bscores\s+(?:ranged|were|varied|differed|of\s+\d)"
    r"|\bevaluators?\s+(?:independently\s+)?(?:scored|gave|awarded|rated|marked)\b",
    re.IGNORECASE,
)
"""Phrases that report individual evaluators' scores ("Individual scores ranged from 2 to
4", "One evaluator scored 10"): a summary gives only the panel's agreed score."""


def _panel_mentions(data: ExportData) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for member in data.workspace.panel.evaluators:
        for needle in {member.short_name, member.id}:
            if len(needle) >= 3:
                pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)", re.IGNORECASE)
                out.append((pattern, needle))
    return out


def explanation_problems(data: ExportData) -> list[Finding]:
    """Every reason a summary cannot be sent as things stand (empty when all can)."""
    tender = data.tender
    where = str(data.workspace.root / MODERATION_FILE)
    findings: list[Finding] = []
    if not data.results.final:
        return provisional_findings(data)
    minimum = tender.rules.justification_min_length
    mentions = _panel_mentions(data)
    for bid in sorted(data.results.bids, key=lambda b: b.bidder):
        for leaf in tender.leaves:
            if leaf.kind is CriterionKind.PRICE:
                continue  # explained by the published formula, not by a moderation reason
            item = bid.items[leaf.id]
            label = f"{bid.name} / {data.label(leaf)}"
            reason = (item.reason or "").strip()
            hint = (
                "record a new consensus for this item (it supersedes the old one) with a "
                "reason that says what in this bidder's tender earned the score"
            )
            problem = ""
            if item.source is not Source.MODERATED or not reason:
                problem = "no explanation recorded at moderation"
            elif len(reason) < minimum:
                problem = (
                    f"the explanation is {len(reason)} characters long; the tender's minimum "
                    f"is {minimum}"
                )
            else:
                check = restatement(data.workspace, (bid.bidder, leaf.id), reason)
                named = sorted({n for p, n in mentions if p.search(reason)})
                if check.flagged:
                    problem = (
                        "the explanation merely restates the criterion: "
                        f"{check.criterion_share:.0%} of it is criterion or scale text and "
                        f"only {check.bid_share:.0%} refers to the tender"
                    )
                elif check.bid_share < MIN_TENDER_SHARE:
                    problem = (
                        "the explanation does not refer to the bidder's tender (only "
                        f"{check.bid_share:.0%} of its words come from the tender)"
                    )
                elif (found := INDIVIDUAL_SCORES.search(reason)) is not None:
                    problem = (
                        f"the explanation reports individual evaluators' scores "
                        f"({found.group(0)!r}); a summary gives only the panel's agreed score"
                    )
                    hint = (
                        "record a new consensus for this item with a reason that gives the "
                        "agreed score's grounds in the tender, not the individual scores"
                    )
                elif named:
                    problem = (
                        f"the explanation names a panel member ({', '.join(named)}); a "
                        "summary never identifies an individual evaluator"
                    )
                    hint = "record a new consensus for this item with a reason that names no one"
            if problem:
                findings.append(Finding(where, f"{label}: {problem}", hint))
    return findings


# --------------------------------------------------------------------------- content


def _weight_text(data: ExportData, criterion: Criterion) -> str:
    if criterion.kind is CriterionKind.PASS_FAIL:
        return "pass/fail"
    parent = data.tender.parents[criterion.id]
    weight = number_text(criterion.weight or Decimal(0))
    if parent is None:
        return f"{weight}% of the total"
    return f"{weight}% of {data.tender.by_id[parent].title}"


def _assessment_text(data: ExportData, criterion: Criterion) -> str:
    kind = criterion.kind
    if kind is CriterionKind.GROUP:
        return "the sum of its sub-criteria"
    if kind is CriterionKind.PASS_FAIL:
        effect = "excludes" if criterion.failing_disqualifies else "does not exclude"
        return f"pass or fail; failing {effect} the tender"
    if kind is CriterionKind.PRICE:
        assert criterion.formula is not None
        text = f"by the published price formula {criterion.formula.text}"
        if criterion.ceiling_price is not None:
            text += f", C = {money(criterion.ceiling_price, data.tender.currency)}"
        return text
    scale = data.tender.scale_of(criterion)
    text = f"scored on the scale {scale.describe()} ({scale.name})"
    if criterion.minimum_score is not None:
        effect = "excludes" if criterion.failing_disqualifies else "is noted but does not exclude"
        text += f"; a score below {number_text(criterion.minimum_score)} {effect} the tender"
    return text


def _points(data: ExportData, bid: BidResult, criterion: Criterion) -> str:
    available = data.shown(data.results.points[criterion.id])
    if criterion.kind is CriterionKind.PASS_FAIL:
        return "no points (gate)"
    if criterion.kind is CriterionKind.GROUP:
        return f"{data.shown(bid.contribution_under(data.tender, criterion.id))} of {available}"
    contribution = bid.items[criterion.id].contribution
    if contribution is None:
        return f"not scored (of {available})"
    return f"{data.shown(contribution)} of {available}"


def _score(data: ExportData, bid: BidResult, criterion: Criterion) -> str:
    if criterion.kind is CriterionKind.GROUP:
        return ""
    if criterion.kind is CriterionKind.PRICE:
        return "by formula" if bid.items[criterion.id].contribution is not None else "not scored"
    return value_text(data.tender, criterion, bid.items[criterion.id].value)


def _totals(data: ExportData, bid: BidResult) -> list[tuple[str, str]]:
    results = data.results
    quality, price = data.shown(results.quality_available), data.shown(results.price_available)
    rows = [("Quality total", f"{data.shown(bid.quality_total)} of {quality}")]
    if data.tender.price_criteria:
        rows.append(
            (
                "Price score",
                "not scored" if bid.excluded else f"{data.shown(bid.price_total)} of {price}",
            )
        )
    rows.append(
        (
            "Overall score",
            "not ranked (excluded)" if bid.excluded else f"{data.shown(bid.overall)} of 100",
        )
    )
    return rows


def _price_explanation(data: ExportData, bid: BidResult, criterion: Criterion) -> str:
    contribution = bid.items[criterion.id].contribution
    available = data.shown(data.results.points[criterion.id])
    own = data.workspace.bids[bid.bidder].price
    price = f"Your tendered price of {money(own.total, own.currency)}" if own else "Your price"
    if contribution is None:
        return (
            f"Not scored. {price} was not scored because price is scored only among the "
            "tenders still in the competition, and your tender had been excluded for the "
            "reason given above."
        )
    assert criterion.formula is not None
    where = {
        "relative_to_lowest": "Pmin is the lowest compliant price and P your price",
        "percentage_of_leading": "Pmin is the lowest compliant price and P your price",
        "pro_rata_to_ceiling": (
            "C is the published ceiling price, Pmin the lowest compliant price and P your price"
        ),
    }[criterion.formula.value]
    return (
        f"{price} earned {data.shown(contribution)} of {available} points under the "
        f"published formula {criterion.formula.text}, where W is {available} points, {where}."
    )


def _outcome(data: ExportData, bid: BidResult) -> list:
    results = data.results
    tender = data.tender
    winner = results.winner
    share = tender.rules.share_winner_scores
    blocks: list = []
    assessed = len(results.bids)
    ranked = data.ranked_count
    if bid.excluded:
        blocks.append(
            Para.of(
                Strong("Your tender was not successful."),
                f" {assessed} tenders were assessed. Under the published evaluation method "
                "your tender was not considered further, for the following reason"
                f"{'s' if len(bid.exclusions) > 1 else ''}:",
            )
        )
        blocks.append(Bullets(tuple(e.reason for e in bid.exclusions)))
        blocks.append(Para.of("It was therefore not ranked, and its price was not scored."))
    elif winner is not None and winner.bidder == bid.bidder:
        blocks.append(
            Para.of(
                Strong("Your tender is the most advantageous tender."),
                f" It ranked first of the {ranked} tenders ranked ({assessed} were "
                f"assessed), with {data.shown(bid.overall)} points out of 100.",
            )
        )
    else:
        joint = sum(1 for b in results.ranked if b.rank == bid.rank) > 1
        place = f"joint {ordinal(bid.rank or 0)}" if joint else ordinal(bid.rank or 0)
        blocks.append(
            Para.of(
                Strong("Your tender was not successful."),
                f" It ranked {place} of the {ranked} tenders ranked ({assessed} were assessed), "
                f"with {data.shown(bid.overall)} points out of 100.",
            )
        )
        if winner is None:
            blocks.append(
                Para.of(
                    "No single tender ranked first: the leading tenders remain tied after "
                    "every published tie-break rule."
                )
            )
        elif share:
            gap = comparable(winner.overall) - comparable(bid.overall)
            blocks.append(
                Para.of(
                    f"The most advantageous tender, from {winner.name}, scored "
                    f"{data.shown(winner.overall)} points, {data.shown(gap)} more than yours. "
                    "Its scores are set out beside yours in section 5."
                )
            )
        else:
            blocks.append(
                Para.of("Your tender scored fewer points than the most advantageous tender.")
            )
        above = [b for b in results.ranked if b.rank is not None and b.rank == (bid.rank or 0) - 1]
        if any(comparable(b.overall) == comparable(bid.overall) for b in above):
            blocks.append(
                Para.of(
                    "Your overall score was exactly equal to that of the tender ranked "
                    "immediately above yours; the order was decided by the published "
                    f"tie-break rules, applied in order: {', '.join(tender.rules.tie_break)}."
                )
            )
    if bid.notes:
        blocks.append(Para.of("Also recorded (these do not exclude a tender under the method):"))
        blocks.append(Bullets(tuple(bid.notes)))
    return blocks


def summary_document(data: ExportData, bidder: str) -> Document:
    tender = data.tender
    bid = data.bid(bidder)
    results = data.results
    doc = Document(f"Assessment summary: {bid.name}")
    doc.add(
        Notice(
            f"Confidential to {bid.name}. {NOTICE} It gives the evaluation panel's agreed "
            "scores and reasons only; no individual evaluator's name or score."
        ),
        Facts(
            (
                ("Tender", f"{tender.reference}: {tender.title}"),
                ("Contracting authority", tender.authority),
                ("Bidder", bid.name),
                ("Summary generated", data.generated_text),
                ("Legal basis", LEGAL_BASIS),
            )
        ),
        Heading(1, "1. Outcome"),
        *_outcome(data, bid),
    )

    # 2. criteria and weights
    doc.add(
        Heading(1, "2. Award criteria and their weights"),
        Para.of(
            "Your tender was assessed against the award criteria published with the "
            "invitation to tender, and against nothing else. Weights cascade: a "
            "sub-criterion's weight is a share of the points of the group it belongs to."
        ),
        Grid(
            ("No.", "Criterion", "Weight", "Points of 100", "How it is assessed"),
            tuple(
                (
                    data.numbers[c.id],
                    c.title,
                    _weight_text(data, c),
                    "-" if c.kind is CriterionKind.PASS_FAIL else data.shown(results.points[c.id]),
                    _assessment_text(data, c),
                )
                for c in tender.walk()
            ),
            ("left", "left", "left", "right", "left"),
            frozenset(i for i, c in enumerate(tender.walk()) if c.kind is CriterionKind.GROUP),
        ),
        Text(tender.evaluation_method, label="Evaluation method, as published"),
    )

    # 3. scores
    criteria = list(tender.walk())
    rows = [
        (data.numbers[c.id], c.title, _score(data, bid, c), _points(data, bid, c)) for c in criteria
    ]
    strong = {i for i, c in enumerate(criteria) if c.kind is CriterionKind.GROUP}
    for label, value in _totals(data, bid):
        strong.add(len(rows))
        rows.append(("", label, "", value))
    doc.add(
        Heading(1, "3. Your scores"),
        Grid(
            ("No.", "Criterion", "Score", "Points"),
            tuple(rows),
            ("left", "left", "left", "right"),
            frozenset(strong),
        ),
    )

    # 4. explanations
    doc.add(
        Heading(1, "4. Why each score was given"),
        Para.of(
            "Each explanation is the reason the evaluation panel recorded when it agreed the "
            "score, and refers to what your tender said."
        ),
    )
    for leaf in tender.leaves:
        item = bid.items[leaf.id]
        heading = f"{data.label(leaf)}: {_score(data, bid, leaf)}"
        if leaf.kind is CriterionKind.PRICE:
            doc.add(
                Heading(
                    2,
                    f"{data.label(leaf)}: "
                    + (
                        "not scored"
                        if item.contribution is None
                        else f"{_points(data, bid, leaf)} points"
                    ),
                ),
                Text(_price_explanation(data, bid, leaf), label="Explanation"),
            )
            continue
        doc.add(Heading(2, heading))
        if leaf.kind is CriterionKind.SCORED and isinstance(item.value, Decimal):
            entry = tender.scale_of(leaf).entry(item.value)
            if entry is not None:
                doc.add(Text(f"{entry.label}: {entry.descriptor}", label="What this score means"))
        doc.add(Text(item.reason, label="Explanation"))

    # 5. the winner's scores
    winner = results.winner
    if tender.rules.share_winner_scores and winner is not None and winner.bidder != bid.bidder:
        rows = [
            (
                data.numbers[c.id],
                c.title,
                _score(data, bid, c),
                _points(data, bid, c),
                _score(data, winner, c),
                _points(data, winner, c),
            )
            for c in criteria
        ]
        strong = {i for i, c in enumerate(criteria) if c.kind is CriterionKind.GROUP}
        for (label, own), (_, theirs) in zip(
            _totals(data, bid), _totals(data, winner), strict=True
        ):
            strong.add(len(rows))
            rows.append(("", label, "", own, "", theirs))
        doc.add(
            Heading(1, "5. The most advantageous tender"),
            Para.of(
                f"As the published method provides, these are the scores of the most "
                f"advantageous tender, from {winner.name}, beside yours. The reasons for its "
                "scores refer to its own tender and are not disclosed."
            ),
            Grid(
                ("No.", "Criterion", "Your score", "Your points", "Its score", "Its points"),
                tuple(rows),
                ("left", "left", "left", "right", "left", "right"),
                frozenset(strong),
            ),
        )

    rounding = tender.rules.rounding
    doc.add(
        Heading(1, "About the figures"),
        Para.of(
            f"Points are shown to {rounding.decimal_places} decimal places, rounded "
            f"{rounding.mode.replace('_', ' ')}, as the published method states. Totals are "
            "calculated from unrounded figures, so a total can differ by a small amount from "
            "the sum of the rounded figures shown."
        ),
    )
    return doc


def render(data: ExportData) -> dict[str, bytes]:
    problems = explanation_problems(data)
    if problems:
        why = (
            "the results are provisional"
            if not data.results.final
            else f"{len(problems)} explanation(s) to fix first"
        )
        raise ExportRefused(
            f"assessment summaries refused: {why}; no summary was written", problems
        )
    out: dict[str, bytes] = {}
    for bid in sorted(data.results.bids, key=lambda b: b.bidder):
        doc = summary_document(data, bid.bidder)
        name = f"{data.stem}-summary-{bid.bidder}"
        out[f"{name}.md"] = to_markdown(doc).encode("utf-8")
        out[f"{name}.html"] = to_html(doc).encode("utf-8")
    return out
