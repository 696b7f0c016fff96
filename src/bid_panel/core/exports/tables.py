"""The tables of the spreadsheet exports (CSV: one file each; XLSX: one sheet each).

Cells hold typed values: `Decimal` (exact, never rounded), `int`, `str`, `datetime` or
`None` (empty). Each column says what it holds so that the XLSX writer can give it a number
format showing the tender's decimal places; the CSV writer writes the exact values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bid_panel.core.exports.data import NOTICE, ExportData, value_text
from bid_panel.core.panel import Evaluator
from bid_panel.core.scoring import display
from bid_panel.core.tender import Criterion, CriterionKind

Cell = Decimal | int | str | datetime | None

ColumnKind = Literal["text", "long_text", "int", "points", "score", "weight", "money", "datetime"]
"""points: exact figures shown to the tender's decimal places; score: a scale value as is;
weight: a percentage as is; money: a price; long_text: wrapped in the spreadsheet."""


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = "text"


@dataclass
class Table:
    name: str
    """File suffix and sheet name: short, ASCII, unique."""
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    cell_kinds: dict[tuple[int, int], ColumnKind] = field(default_factory=dict)
    """(row, column) -> kind, for a cell that differs from its column (a figure in a
    table of settings)."""


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def build_tables(data: ExportData) -> list[Table]:
    """The tables, in sheet order."""
    return [
        results_table(data),
        contributions_table(data),
        scores_table(data),
        exclusions_table(data),
        method_table(data),
        criteria_table(data),
        scales_table(data),
    ]


def _leaves_with_points(data: ExportData) -> list[Criterion]:
    return [c for c in data.tender.leaves if c.kind is not CriterionKind.PASS_FAIL]


def results_table(data: ExportData) -> Table:
    tender = data.tender
    rounding = tender.rules.rounding
    rule = f"{rounding.decimal_places} dp, {rounding.mode.replace('_', ' ')}"
    table = Table(
        "results",
        "Ranking and totals",
        [
            Column("Rank", "int"),
            Column("Bidder"),
            Column("Bidder id"),
            Column("Organisation type"),
            Column("Status"),
            Column("Submitted at (UTC)", "datetime"),
            Column(f"Price ({tender.currency})", "money"),
            Column("Quality total", "points"),
            Column("Price score", "points"),
            Column("Overall", "points"),
            Column(f"Quality total (rounded, {rule})", "points"),
            Column(f"Price score (rounded, {rule})", "points"),
            Column(f"Overall (rounded, {rule})", "points"),
            Column("Exclusion reasons", "long_text"),
            Column("Notes", "long_text"),
        ],
    )
    for bid in data.results.bids:
        scored = not bid.excluded
        table.rows.append(
            [
                bid.rank,
                bid.name,
                bid.bidder,
                bid.organisation_type,
                "excluded" if bid.excluded else "ranked",
                bid.submitted_at,
                bid.price,
                bid.quality_total,
                bid.price_total if scored else None,
                bid.overall if scored else None,
                display(bid.quality_total, rounding),
                display(bid.price_total, rounding) if scored else None,
                display(bid.overall, rounding) if scored else None,
                "; ".join(e.reason for e in bid.exclusions) or None,
                "; ".join(bid.notes) or None,
            ]
        )
    return table


def contributions_table(data: ExportData) -> Table:
    leaves = _leaves_with_points(data)
    table = Table(
        "contributions",
        "Weighted contribution of each criterion (points)",
        [
            Column("Rank", "int"),
            Column("Bidder"),
            Column("Bidder id"),
            *[Column(data.label(c), "points") for c in leaves],
            Column("Quality total", "points"),
            Column("Price score", "points"),
            Column("Overall", "points"),
        ],
    )
    for bid in data.results.bids:
        scored = not bid.excluded
        table.rows.append(
            [
                bid.rank,
                bid.name,
                bid.bidder,
                *[bid.items[c.id].contribution for c in leaves],
                bid.quality_total,
                bid.price_total if scored else None,
                bid.overall if scored else None,
            ]
        )
    return table


def _headers(evaluators: list[Evaluator]) -> list[str]:
    names = [e.short_name for e in evaluators]
    return [
        f"{name} ({e.id})" if names.count(name) > 1 else name
        for name, e in zip(names, evaluators, strict=True)
    ]


def scores_table(data: ExportData) -> Table:
    """Moderated score per bid and criterion with its reason, the originals beside it."""
    tender = data.tender
    evaluators = data.evaluators
    table = Table(
        "scores",
        "Moderated scores with reasons, and each evaluator's original score",
        [
            Column("Bidder"),
            Column("Bidder id"),
            Column("No."),
            Column("Criterion"),
            Column("Criterion id"),
            Column("Kind"),
            *[Column(f"Original: {h}", "score") for h in _headers(evaluators)],
            Column("Spread", "score"),
            Column("Flagged for discussion"),
            Column("Moderated score", "score"),
            Column("Meaning"),
            Column("Source"),
            Column("Basis"),
            Column("Points available", "points"),
            Column("Contribution", "points"),
            Column("Moderation reason", "long_text"),
            Column("Earlier consensus entries", "int"),
        ],
    )
    for bid in data.results.bids:
        for leaf in tender.leaves:
            item = (bid.bidder, leaf.id)
            scores = data.items.get(item)
            result = bid.items[leaf.id]
            consensus = data.consensus(item)
            meaning = value_text(tender, leaf, result.value) if result.value is not None else None
            table.rows.append(
                [
                    bid.name,
                    bid.bidder,
                    data.numbers[leaf.id],
                    leaf.title,
                    leaf.id,
                    str(leaf.kind),
                    *[
                        data.original(item, e.id) if leaf.id in data.assigned[e.id] else None
                        for e in evaluators
                    ],
                    scores.spread if scores is not None else None,
                    yes_no(bool(scores and scores.flagged)),
                    result.value,
                    meaning,
                    str(result.source),
                    consensus.basis if consensus is not None else None,
                    result.points,
                    result.contribution,
                    result.reason or None,
                    len(data.history(item)) - 1 if consensus is not None else 0,
                ]
            )
    return table


def exclusions_table(data: ExportData) -> Table:
    table = Table(
        "exclusions",
        "Exclusions and other threshold findings, with reasons",
        [
            Column("Bidder"),
            Column("Bidder id"),
            Column("Criterion id"),
            Column("Effect"),
            Column("Reason", "long_text"),
        ],
    )
    for bid in sorted(data.results.bids, key=lambda b: b.bidder):
        for exclusion in bid.exclusions:
            table.rows.append(
                [bid.name, bid.bidder, exclusion.criterion, "excluded", exclusion.reason]
            )
        for note in bid.notes:
            table.rows.append([bid.name, bid.bidder, None, "noted (does not disqualify)", note])
    return table


def method_table(data: ExportData) -> Table:
    tender = data.tender
    rules = tender.rules
    results = data.results
    table = Table(
        "method", "Method, rules and status", [Column("Item"), Column("Value", "long_text")]
    )
    rows: list[list[Cell]] = [
        ["Notice", NOTICE],
        ["Generated at (UTC)", data.generated_text],
        ["Tender reference", tender.reference],
        ["Title", tender.title],
        ["Contracting authority", tender.authority],
        ["Tender file SHA-256", data.workspace.tender_sha256],
        ["Contract term (months)", tender.contract_term_months],
        ["Currency", tender.currency],
        ["Results status", "final" if results.final else "PROVISIONAL - not for award"],
    ]
    rows += [["Provisional because", reason] for reason in results.provisional_reasons]
    rows.append(["Evaluation method (as published)", tender.evaluation_method.strip()])
    for criterion in tender.price_criteria:
        assert criterion.formula is not None
        text = f"{criterion.formula.value}: {criterion.formula.text}"
        if criterion.ceiling_price is not None:
            text += f" (C = {criterion.ceiling_price} {tender.currency})"
        rows.append([f"Price formula: {data.label(criterion)}", text])
    rows += [
        ["Tie-break rules, in order", "; ".join(rules.tie_break)],
        [
            "Rounding (display only)",
            f"{rules.rounding.decimal_places} decimal places, {rules.rounding.mode}; "
            "figures are stored exactly and rounded only for display",
        ],
        ["Spread threshold for moderation (% of scale)", rules.spread_threshold_percent],
        ["Minimum justification length (characters)", rules.justification_min_length],
        ["Assessment summaries share the winner's scores", yes_no(rules.share_winner_scores)],
        ["Leading bid", results.winner.name if results.winner else "no single leading bid"],
        ["Winning margin (points)", results.margin],
    ]
    table.cell_kinds[(len(rows) - 1, 1)] = "points"
    rows += [["Tie-break applied", note] for note in results.tie_breaks]
    state = data.state
    if state.opened is not None:
        rows.append(["Moderation opened at (UTC)", state.opened.at.isoformat()])
    if state.signed is not None:
        rows.append(["Moderation record signed at (UTC)", state.signed.at.isoformat()])
    for evaluator in data.workspace.panel.evaluators:
        withdrawn = state.withdrawn.get(evaluator.id)
        text = f"{evaluator.name} [{evaluator.id}], {evaluator.role}"
        if withdrawn is not None:
            text += f"; withdrawn: {withdrawn.reason}"
        rows.append(["Panel member", text])
    table.rows = rows
    return table


def criteria_table(data: ExportData) -> Table:
    tender = data.tender
    table = Table(
        "criteria",
        "Published criteria, weights and effective points",
        [
            Column("No."),
            Column("Criterion id"),
            Column("Criterion"),
            Column("Kind"),
            Column("Parent id"),
            Column("Weight (% of its level)", "weight"),
            Column("Points (of 100)", "points"),
            Column("Scale id"),
            Column("Minimum score", "score"),
            Column("Failing disqualifies"),
            Column("Price formula"),
            Column(f"Ceiling price ({tender.currency})", "money"),
            Column("Guidance", "long_text"),
        ],
    )
    for criterion in tender.walk():
        kind = criterion.kind
        gate = kind is CriterionKind.PASS_FAIL or criterion.minimum_score is not None
        formula = (
            f"{criterion.formula.value}: {criterion.formula.text}" if criterion.formula else None
        )
        table.rows.append(
            [
                data.numbers[criterion.id],
                criterion.id,
                criterion.title,
                str(kind),
                tender.parents[criterion.id],
                criterion.weight,
                data.results.points[criterion.id],
                criterion.scale,
                criterion.minimum_score,
                yes_no(criterion.failing_disqualifies) if gate else None,
                formula,
                criterion.ceiling_price,
                criterion.guidance.strip() or None,
            ]
        )
    return table


def scales_table(data: ExportData) -> Table:
    table = Table(
        "scales",
        "Scales with the descriptor of every allowed value",
        [
            Column("Scale id"),
            Column("Scale"),
            Column("Value", "score"),
            Column("Label"),
            Column("Descriptor", "long_text"),
        ],
    )
    for scale in data.tender.scales:
        for entry in scale.values:
            table.rows.append([scale.id, scale.name, entry.value, entry.label, entry.descriptor])
    return table
