"""Events read from a record share what recurs in them (Decimals, the lists of sheet seals
and people present, the mappings of individual scores: see ledger._Shared), and pydantic's
frozen models do not protect a list or mapping from being changed in place. Nothing that
uses the records may change them: a change to one event would silently change others, and
the hashes would no longer be of what is held."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bid_panel.core.errors import Findings
from bid_panel.core.evaluation import robustness
from bid_panel.core.exports import FORMATS, export
from bid_panel.core.ledger import compute_event_hash
from bid_panel.core.moderation import MODERATION, gate, moderation_state
from bid_panel.core.sample import init_workspace
from bid_panel.core.verify import verify_workspace
from bid_panel.core.workspace import load_workspace


def held(records: list[Any]) -> list[tuple[str, Any]]:
    """Every event as held in memory, deep-copied: a later change shows as a difference."""
    return [(e.hash, copy.deepcopy(e.model_dump())) for r in records for e in r.events]


def test_evaluating_verifying_and_exporting_change_no_event(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws", with_sample_scores=True)
    workspace = load_workspace(root)
    record = MODERATION.read(root / "moderation.yaml", Findings())
    assert record is not None
    records = [*workspace.sheets.values(), record]
    before = held(records)

    state = moderation_state(workspace)
    gate(workspace, state)
    robustness(workspace, state)
    verify_workspace(root)
    export(workspace, FORMATS, tmp_path / "out", datetime(2026, 10, 21, 12, tzinfo=UTC))

    assert held(records) == before
    assert all(compute_event_hash(e) == e.hash for r in records for e in r.events)
