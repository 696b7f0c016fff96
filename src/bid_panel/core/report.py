"""Plain-text views of results (the CLI table; the Markdown report builds on the same)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from tabulate import tabulate

from bid_panel.core.consensus import Source
from bid_panel.core.results import Results
from bid_panel.core.robustness import Robustness, robustness_lines
from bid_panel.core.scoring import display_text
from bid_panel.core.tender import Criterion, CriterionKind

Shown = Callable[[Decimal | None], str]
"""A figure as shown: rounded by the tender's rule, `-` for none."""

_ROBUSTNESS_HEADINGS = {
    "warning": "Warnings:",
    "winner": "The leading bid changes when:",
    "order": "Other changes (the leading bid holds):",
}


# The ranking and the contributions, as the CLI table and the Markdown report show them.

RANKING_ALIGN = ("left", "left", "left", "right", "right", "right")


def ranking_headers(results: Results, shown: Shown) -> tuple[str, ...]:
    return (
        "Rank",
        "Bidder",
        "Type",
        f"Quality /{shown(results.quality_available)}",
        f"Price /{shown(results.price_available)}",
        "Overall /100",
    )


def ranking_rows(results: Results, shown: Shown) -> tuple[tuple[str, ...], ...]:
    """Every bid's rank, name, type and totals (price and overall `-` when excluded)."""
    return tuple(
        (
            str(b.rank) if b.rank is not None else "excluded",
            b.name,
            b.organisation_type,
            shown(b.quality_total),
            "-" if b.excluded else shown(b.price_total),
            "-" if b.excluded else shown(b.overall),
        )
        for b in results.bids
    )


def contribution_rows(
    results: Results, leaves: Sequence[Criterion], shown: Shown
) -> tuple[tuple[str, ...], ...]:
    """Every bid's name and its contribution from each of `leaves` (`*`: provisional)."""
    return tuple(
        (
            b.name,
            *[
                shown(b.items[c.id].contribution)
                + ("*" if b.items[c.id].source is Source.PROVISIONAL else "")
                for c in leaves
            ],
        )
        for b in results.bids
    )


def results_table(
    results: Results, fmt: str = "simple", robustness: Robustness | None = None
) -> str:
    tender = results.tender
    rounding = tender.rules.rounding

    def shown(value: Decimal | None) -> str:
        return "-" if value is None else display_text(value, rounding)

    lines = [f"{tender.reference}  {tender.title}"]
    if results.final:
        lines.append("Results: FINAL (every item moderated)")
    else:
        lines.append("Results: PROVISIONAL - not for award. Why:")
        lines.extend(f"  - {reason}" for reason in results.provisional_reasons)
    lines.append("")
    lines.append(
        tabulate(
            ranking_rows(results, shown),
            headers=ranking_headers(results, shown),
            tablefmt=fmt,
            disable_numparse=True,
            colalign=RANKING_ALIGN,
        )
    )
    leaves = [c for c in tender.leaves if c.kind is not CriterionKind.PASS_FAIL]
    lines += ["", "Contribution of each criterion (points):"]
    lines.append(
        tabulate(
            contribution_rows(results, leaves, shown),
            headers=["Bidder", *[f"{c.id} /{shown(results.points[c.id])}" for c in leaves]],
            tablefmt=fmt,
            disable_numparse=True,
        )
    )
    if any(i.source == "provisional" for b in results.bids for i in b.items.values()):
        lines.append("* provisional: evaluators disagree and the item is not yet moderated")
    excluded = [b for b in results.bids if b.excluded]
    if excluded:
        lines += ["", "Excluded:"]
        for b in excluded:
            lines.extend(f"  {b.name}: {e.reason}" for e in b.exclusions)
    notes = [(b.name, n) for b in results.bids for n in b.notes]
    if notes:
        lines += ["", "Notes:"]
        lines.extend(f"  {name}: {note}" for name, note in notes)
    if results.tie_breaks:
        lines += ["", "Tie-breaks:"]
        lines.extend(f"  {t}" for t in results.tie_breaks)
    winner = results.winner
    if winner and results.margin is not None:
        lines += ["", f"Leading bid: {winner.name}, ahead by {shown(results.margin)} points"]
    if robustness is not None:
        lines += ["", *robustness_text(robustness)]
    return "\n".join(lines)


def robustness_text(robustness: Robustness) -> list[str]:
    """The robustness findings as plain lines, grouped, most serious first."""
    out: list[str] = []
    heading = None
    for kind, text in robustness_lines(robustness):
        if kind == "headline":
            out.append(f"Robustness: {text[0].lower()}{text[1:]}.")
            continue
        if kind == "steady":
            out.append(f"  {text}.")
            continue
        if kind != heading:
            heading = kind
            out.append(f"  {_ROBUSTNESS_HEADINGS[kind]}")
        out.append(f"    - {text}")
    return out
