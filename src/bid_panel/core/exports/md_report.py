"""The evaluation report in Markdown (tabulate tables), for the procurement lead to paste
into the award report: method, results, moderation summary, robustness findings.

Individual scores appear unattributed (the spread the panel discussed); who scored what is
in the spreadsheet exports and the score sheets.
"""

from __future__ import annotations

from decimal import Decimal

from bid_panel.core.consensus import ItemScores
from bid_panel.core.exports.data import NOTICE, ExportData, value_text
from bid_panel.core.exports.document import (
    Block,
    Bullets,
    Document,
    Facts,
    Grid,
    Heading,
    Notice,
    Para,
    Strong,
    Text,
    to_markdown,
)
from bid_panel.core.moderation import signature_status
from bid_panel.core.report import (
    RANKING_ALIGN,
    contribution_rows,
    ranking_headers,
    ranking_rows,
)
from bid_panel.core.robustness import robustness_lines
from bid_panel.core.tender import CriterionKind, number_text


def _method(data: ExportData) -> list[Block]:
    tender = data.tender
    rules = tender.rules
    points = data.results.points
    rows = []
    for c in tender.walk():
        if c.kind is CriterionKind.SCORED:
            how = f"scale {tender.scale_of(c).describe()}"
        elif c.kind is CriterionKind.PRICE:
            assert c.formula is not None
            how = f"{c.formula.value}: {c.formula.text}"
            if c.ceiling_price is not None:
                how += f", C = {c.ceiling_price}"
        elif c.kind is CriterionKind.PASS_FAIL:
            how = "pass / fail gate"
        else:
            how = "sum of sub-criteria"
        gate = c.kind is CriterionKind.PASS_FAIL or c.minimum_score is not None
        rows.append(
            (
                data.numbers[c.id],
                c.title,
                "-" if c.weight is None else f"{number_text(c.weight)}%",
                "-" if c.kind is CriterionKind.PASS_FAIL else data.shown(points[c.id]),
                how,
                "-" if c.minimum_score is None else number_text(c.minimum_score),
                ("yes" if c.failing_disqualifies else "no") if gate else "-",
            )
        )
    blocks: list[Block] = [
        Heading(1, "1. Method"),
        Text(tender.evaluation_method, label="Evaluation method, as published"),
        Grid(
            ("No.", "Criterion", "Weight", "Points", "Assessed by", "Minimum", "Failing excludes"),
            tuple(rows),
            ("left", "left", "right", "right", "left", "right", "left"),
            frozenset(i for i, c in enumerate(tender.walk()) if c.kind is CriterionKind.GROUP),
        ),
        Facts(
            (
                ("Tie-break rules, in order", ", ".join(rules.tie_break)),
                (
                    "Rounding",
                    f"{rules.rounding.decimal_places} decimal places, "
                    f"{rules.rounding.mode.replace('_', ' ')}, for display only",
                ),
                (
                    "Flag for discussion",
                    f"scores spread by {number_text(rules.spread_threshold_percent)}% of the "
                    "scale or more, or a split pass/fail",
                ),
                (
                    "Assessment summaries share the winner's scores",
                    "yes" if rules.share_winner_scores else "no",
                ),
            )
        ),
    ]
    for scale in tender.scales:
        blocks += [
            Heading(2, f"Scale: {scale.name}"),
            Grid(
                ("Score", "Label", "Descriptor"),
                tuple((number_text(v.value), v.label, v.descriptor) for v in scale.values),
                ("right", "left", "left"),
            ),
        ]
    return blocks


def _results(data: ExportData) -> list[Block]:
    results = data.results
    tender = data.tender
    leaves = [c for c in tender.leaves if c.kind is not CriterionKind.PASS_FAIL]
    contributions = contribution_rows(results, leaves, data.shown)
    blocks: list[Block] = [
        Heading(1, "2. Results"),
        Grid(
            ranking_headers(results, data.shown),
            ranking_rows(results, data.shown),
            RANKING_ALIGN,
        ),
        Heading(2, "Contribution of each criterion (points)"),
        Grid(
            (
                "Bidder",
                *[f"{data.numbers[c.id]} /{data.shown(results.points[c.id])}" for c in leaves],
            ),
            contributions,
            ("left", *["right"] * len(leaves)),
        ),
        Para.of(
            "Column numbers refer to the criteria in section 1. "
            + (
                "* provisional: evaluators disagree and the item is not yet moderated."
                if any("*" in cell for row in contributions for cell in row)
                else "Every figure comes from a moderated or agreed score."
            )
        ),
    ]
    excluded = [b for b in results.bids if b.excluded]
    if excluded:
        blocks += [
            Heading(2, "Exclusions"),
            Bullets(tuple(f"{b.name}: {e.reason}" for b in excluded for e in b.exclusions)),
        ]
    notes = [f"{b.name}: {n}" for b in results.bids for n in b.notes]
    if notes:
        blocks += [Heading(2, "Notes"), Bullets(tuple(notes))]
    if results.tie_breaks:
        blocks += [Heading(2, "Tie-breaks"), Bullets(tuple(results.tie_breaks))]
    winner = results.winner
    if winner is not None and results.margin is not None:
        blocks.append(
            Para.of(
                Strong("Leading bid:"),
                f" {winner.name}, ahead by {data.shown(results.margin)} points.",
            )
        )
    elif results.ranked:
        blocks.append(Para.of(Strong("No single leading bid"), " (tied after every rule)."))
    return blocks


def _scores_text(scores: ItemScores) -> str:
    values = sorted(
        scores.values, key=lambda v: (isinstance(v, str), str(v) if isinstance(v, str) else v)
    )
    return ", ".join(number_text(v) if isinstance(v, Decimal) else str(v) for v in values) or "-"


def _moderation(data: ExportData) -> list[Block]:
    state = data.state
    tender = data.tender
    panel = data.workspace.panel.by_id
    blocks: list[Block] = [Heading(1, "3. Moderation")]
    if state.opened is None:
        blocks.append(Para.of("Moderation has not started."))
        return blocks
    scored = {
        k: v for k, v in data.items.items() if tender.by_id[k[1]].kind is not CriterionKind.PRICE
    }
    flagged = [k for k, v in scored.items() if v.flagged]
    discussed = sum(1 for c in state.current.values() if c.basis == "discussed")
    accepted = sum(1 for c in state.current.values() if c.basis == "accepted_agreement")
    changed = [k for k, h in state.history.items() if len(h) > 1]
    present = ", ".join(panel[p].name if p in panel else p for p in state.opened.present)
    blocks.append(
        Facts(
            (
                ("Opened", state.opened.at.isoformat()),
                ("Present at opening", present or "-"),
                ("Items to moderate", str(len(scored))),
                ("Flagged for discussion", str(len(flagged))),
                ("Agreed after discussion", str(discussed)),
                ("Accepted as unanimously scored", str(accepted)),
                ("Not yet settled", str(len(scored) - len(state.current.keys() & scored.keys()))),
                ("Changed after a first consensus", str(len(changed))),
                ("Record", signature_status(state)),
            )
        )
    )
    if state.withdrawn:
        blocks += [
            Heading(2, "Evaluators withdrawn"),
            Bullets(
                tuple(
                    f"{panel[e].name if e in panel else e}: {w.reason}"
                    for e, w in sorted(state.withdrawn.items())
                )
            ),
        ]
    blocks.append(Heading(2, "Flagged items and how they were resolved"))
    if not flagged:
        blocks.append(Para.of("No item was flagged."))
    order = {b.bidder: i for i, b in enumerate(data.results.bids)}
    leaf_order = {c.id: i for i, c in enumerate(tender.leaves)}
    for key in sorted(flagged, key=lambda k: (order[k[0]], leaf_order[k[1]])):
        scores = scored[key]
        criterion = tender.by_id[key[1]]
        name = data.bid(key[0]).name
        consensus = state.current.get(key)
        spread = f", spread {number_text(scores.spread)}" if scores.spread is not None else ""
        blocks.append(Heading(3, f"{name}: {data.label(criterion)}"))
        if consensus is None:
            blocks.append(
                Para.of(
                    f"Individual scores {_scores_text(scores)}{spread}. ",
                    Strong("Not yet moderated."),
                )
            )
            continue
        blocks.append(
            Para.of(
                f"Individual scores {_scores_text(scores)}{spread}; consensus ",
                Strong(value_text(tender, criterion, consensus.value)),
                ".",
            )
        )
        blocks.append(Text(consensus.reason, label="Reason"))
    if changed:
        blocks.append(Heading(2, "Consensus changed after it was first recorded"))
        for key in sorted(changed, key=lambda k: (order[k[0]], leaf_order[k[1]])):
            criterion = tender.by_id[key[1]]
            history = state.history[key]
            steps = " -> ".join(value_text(tender, criterion, c.value) for c in history)
            blocks.append(
                Para.of(Strong(f"{data.bid(key[0]).name}: {data.label(criterion)}"), f": {steps}.")
            )
            blocks.append(Text(history[-1].reason, label="Reason for the change"))
    return blocks


def _robustness(data: ExportData) -> list[Block]:
    blocks: list[Block] = [Heading(1, "4. Robustness: what would change the result")]
    lines = robustness_lines(data.robustness)
    titles = {
        "warning": "Warnings",
        "winner": "Scenarios in which the leading bid changes",
        "order": "Scenarios in which only the order below the leading bid changes",
    }
    for kind, title in titles.items():
        items = tuple(text for k, text in lines if k == kind)
        if items:
            blocks += [Heading(2, title), Bullets(items)]
    blocks[1:1] = [Para.of(Strong(text)) for k, text in lines if k == "headline"]
    blocks += [Para.of(text) for k, text in lines if k == "steady"]
    return blocks


def report_document(data: ExportData) -> Document:
    tender = data.tender
    results = data.results
    doc = Document(f"Evaluation report: {tender.reference}")
    doc.add(
        Notice(NOTICE),
        Facts(
            (
                ("Tender", tender.title),
                ("Contracting authority", tender.authority),
                ("Status", "final" if results.final else "PROVISIONAL - not for award"),
                ("Report generated", data.generated_text),
                ("SHA-256 of the published criteria", data.workspace.tender_sha256),
            )
        ),
    )
    if not results.final:
        doc.add(
            Para.of(Strong("These results are provisional and must not be used for award:")),
            Bullets(tuple(results.provisional_reasons)),
        )
    doc.add(*_method(data), *_results(data), *_moderation(data), *_robustness(data))
    return doc


def render(data: ExportData) -> dict[str, bytes]:
    text = to_markdown(report_document(data))
    return {f"{data.stem}-evaluation-report.md": text.encode("utf-8")}
