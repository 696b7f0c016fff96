"""The whole evaluation of a workspace: sheets + moderation record -> results."""

from __future__ import annotations

from bid_panel.core.consensus import gather, outcomes
from bid_panel.core.moderation import (
    ModerationState,
    active_panel,
    active_states,
    gate,
    moderation_state,
)
from bid_panel.core.results import Results, consolidate
from bid_panel.core.workspace import Workspace


def evaluate(workspace: Workspace, state: ModerationState | None = None) -> Results:
    """Consolidated results. Final only when the moderation gate is passed; otherwise
    provisional, with the reasons, using agreed scores and provisional lower medians."""
    state = state if state is not None else moderation_state(workspace)
    sheets = active_states(workspace, state) if state.opened else workspace.states()
    items = gather(workspace.tender, active_panel(workspace, state), workspace.bids, sheets)
    reasons = gate(workspace, state).reasons
    return consolidate(workspace.tender, workspace.bids, outcomes(items, state.moderated()), reasons)
