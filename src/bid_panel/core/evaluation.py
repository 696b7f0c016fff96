"""The whole evaluation of a workspace: sheets + moderation record -> results."""

from __future__ import annotations

from dataclasses import dataclass

from bid_panel.core.consensus import ItemScores, Outcome, gather, outcomes
from bid_panel.core.moderation import (
    ModerationState,
    active_panel,
    active_states,
    gate,
    moderation_state,
)
from bid_panel.core.panel import Role
from bid_panel.core.results import Results, consolidate
from bid_panel.core.robustness import Robustness, assess
from bid_panel.core.sheet import Item
from bid_panel.core.workspace import Workspace


@dataclass(frozen=True)
class Inputs:
    """What consolidation works from: every item's scores and its outcome, and the gate."""

    items: dict[Item, ItemScores]
    outcomes: dict[Item, Outcome]
    provisional_reasons: list[str]
    quality_evaluators: list[str]


def inputs(workspace: Workspace, state: ModerationState | None = None) -> Inputs:
    state = state if state is not None else moderation_state(workspace)
    # Once moderation is open only submitted sheets of evaluators still on the panel count.
    sheets = active_states(workspace, state) if state.opened else workspace.states()
    panel = active_panel(workspace, state)
    items = gather(workspace.tender, panel, workspace.bids, sheets)
    return Inputs(
        items,
        outcomes(items, state.moderated()),
        # Once moderation is open these are the items the gate checks: not gathered again.
        gate(workspace, state, items if state.opened else None).reasons,
        [e.id for e in panel.of_role(Role.QUALITY)],
    )


def evaluate(
    workspace: Workspace, state: ModerationState | None = None, found: Inputs | None = None
) -> Results:
    """Consolidated results. Final only when the moderation gate is passed; otherwise
    provisional, with the reasons, using agreed scores and provisional lower medians.
    `found` reuses inputs already computed (by `inputs(workspace, state)`)."""
    found = found if found is not None else inputs(workspace, state)
    return consolidate(workspace.tender, workspace.bids, found.outcomes, found.provisional_reasons)


def robustness(
    workspace: Workspace, state: ModerationState | None = None, found: Inputs | None = None
) -> tuple[Results, Robustness]:
    """Results and their sensitivity checks (see bid_panel.core.robustness). `found` reuses
    inputs already computed (by `inputs(workspace, state)`), so they are read once."""
    found = found if found is not None else inputs(workspace, state)
    results = evaluate(workspace, state, found)
    report = assess(
        workspace.tender,
        workspace.bids,
        found.outcomes,
        found.items,
        found.quality_evaluators,
        results,
        {e.id: e.short_name for e in workspace.panel.evaluators},
    )
    return results, report
