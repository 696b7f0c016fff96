"""Everything the exports draw on, gathered once: every format reads the same figures.

`collect(workspace)` evaluates the workspace exactly as `bid-panel results` does (the same
`Results`, the same robustness checks) and keeps the moderation record and the individual
scores beside them. Nothing here rounds: formats round only for display, by the tender's rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property

from bid_panel.core import clock
from bid_panel.core.checks import assigned_leaves
from bid_panel.core.consensus import ItemScores
from bid_panel.core.errors import BidPanelError, Finding
from bid_panel.core.evaluation import inputs, robustness
from bid_panel.core.moderation import Consensus, ModerationState, moderation_state, value_label
from bid_panel.core.panel import Evaluator, Role
from bid_panel.core.results import BidResult, Results
from bid_panel.core.robustness import Robustness
from bid_panel.core.scoring import display_text
from bid_panel.core.sheet import Item
from bid_panel.core.tender import Criterion, CriterionKind, Tender, number_text
from bid_panel.core.workspace import Workspace

NOTICE = (
    "Not for quality evaluators: this file contains price information, which quality "
    "evaluators must not see (two-envelope rule)."
)
"""Stated at the top of every export (none of them is meant for quality evaluators)."""


@dataclass
class ExportData:
    """One evaluation, as every export format sees it."""

    workspace: Workspace
    generated_at: datetime
    """UTC; the one field that differs between two exports of the same workspace."""
    results: Results
    robustness: Robustness
    state: ModerationState
    items: dict[Item, ItemScores]
    """Every bid x leaf with the latest score of each evaluator who counts."""
    evaluators: list[Evaluator]
    """Panel members who score (quality and price), not withdrawn, in panel order."""

    @property
    def tender(self) -> Tender:
        return self.workspace.tender

    @property
    def stem(self) -> str:
        return file_stem(self.tender)

    @cached_property
    def numbers(self) -> dict[str, str]:
        return criterion_numbers(self.tender)

    @cached_property
    def assigned(self) -> dict[str, set[str]]:
        """The leaves (ids) each of `evaluators` scores."""
        return {
            e.id: {c.id for c in assigned_leaves(self.tender, e.criteria)} for e in self.evaluators
        }

    def original(self, item: Item, evaluator: str) -> Decimal | str | None:
        """An evaluator's own score of an item they are assigned, as on file: `recused`
        when they declared a conflict with the bidder, None when they gave none."""
        scores = self.items.get(item)
        if scores is None:
            return None
        if evaluator not in scores.assigned:
            return "recused"
        entry = scores.scores.get(evaluator)
        return entry.value if entry is not None else None

    @property
    def generated_text(self) -> str:
        return self.generated_at.isoformat(timespec="seconds")

    def shown(self, value: Decimal | None) -> str:
        """A figure as the results screen shows it (the tender's rounding rule)."""
        return "-" if value is None else display_text(value, self.tender.rules.rounding)

    def label(self, criterion: Criterion) -> str:
        return f"{self.numbers[criterion.id]} {criterion.title}"

    def consensus(self, item: Item) -> Consensus | None:
        return self.state.current.get(item)

    def history(self, item: Item) -> list[Consensus]:
        return list(self.state.history.get(item, []))

    @property
    def ranked_count(self) -> int:
        return len(self.results.ranked)

    def bid(self, bidder: str) -> BidResult:
        return self.results.by_bidder(bidder)

    def recorded_at(self) -> datetime | None:
        """When the moderation record last changed (its latest entry), in UTC."""
        state = self.state
        moments = [c.at for entries in state.history.values() for c in entries]
        moments += [w.at for w in state.withdrawn.values()]
        if state.opened is not None:
            moments.append(state.opened.at)
        if state.signed is not None:
            moments.append(state.signed.at)
        return max(moments).astimezone(UTC) if moments else None


def collect(workspace: Workspace, generated_at: datetime | None = None) -> ExportData:
    """Evaluate the workspace once for every export format."""
    moment = (generated_at or clock.now()).astimezone(UTC).replace(microsecond=0)
    state = moderation_state(workspace)
    found = inputs(workspace, state)
    results, report = robustness(workspace, state, found)
    active = {e.id for e in workspace.panel.evaluators} - set(state.withdrawn)
    evaluators = [
        e for e in workspace.panel.evaluators if e.role is not Role.MODERATOR and e.id in active
    ]
    return ExportData(workspace, moment, results, report, state, found.items, evaluators)


def file_stem(tender: Tender) -> str:
    """The tender reference made safe for a file name (CS-2026/14 -> CS-2026-14)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", tender.reference).strip("-.") or "tender"


def criterion_numbers(tender: Tender) -> dict[str, str]:
    """1, 1.1, 1.4.2 ... in the published order, for cross-references in every document."""
    out: dict[str, str] = {}

    def visit(nodes: list[Criterion], prefix: str) -> None:
        for index, node in enumerate(nodes, start=1):
            number = f"{prefix}{index}"
            out[node.id] = number
            visit(node.children, number + ".")

    visit(tender.criteria, "")
    return out


def plain(value: Decimal) -> str:
    """An exact decimal in fixed notation, never scientific (1E+1 -> 10)."""
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def money(value: Decimal, currency: str) -> str:
    """£1,845,000.00 (at least two decimal places, more when the price has them)."""
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = f"{value:,.{places}f}"
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def value_text(tender: Tender, criterion: Criterion, value: Decimal | str | None) -> str:
    """A score in words: `4 of 5 (Good)`, `Pass`, `Compliant`, or `-` when missing."""
    if value is None:
        return "-"
    label = value_label(tender, criterion, value)
    if isinstance(value, Decimal) and criterion.kind is CriterionKind.SCORED:
        maximum = number_text(tender.scale_of(criterion).maximum)
        return f"{number_text(value)} of {maximum}" + (f" ({label})" if label else "")
    return label


def ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


class ExportRefused(BidPanelError):
    """An export that must not be written as things stand; `findings` lists what to fix.
    Nothing is written when any requested format is refused."""


def provisional_findings(data: ExportData) -> list[Finding]:
    """Why the results are provisional, as findings (empty when they are final)."""
    return [
        Finding(
            str(data.workspace.root),
            f"the results are provisional: {reason}",
            "finish scoring and moderation first: assessment summaries and the OCDS award "
            "release are made only from final results",
        )
        for reason in data.results.provisional_reasons
    ]
