"""Shared by the export tests: the sample workspace (with sample scores, moderated and
signed), built once per run, and helpers to read exports back."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bid_panel.core.exports import ExportData, collect
from bid_panel.core.sample import init_workspace
from bid_panel.core.workspace import Workspace, load_workspace

GENERATED_AT = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
"""The fixed generation time of every export the tests make."""

STEM = "CS-2026-014"

_TEMPLATES: dict[str, Path] = {}


def sample_template(factory: pytest.TempPathFactory) -> Path:
    """`init_workspace(..., with_sample_scores=True)`, built once per run: never written to."""
    if "sample" not in _TEMPLATES:
        _TEMPLATES["sample"] = init_workspace(
            factory.mktemp("exports-sample") / "ws", with_sample_scores=True
        )
    return _TEMPLATES["sample"]


def sample_copy(factory: pytest.TempPathFactory, target: Path) -> Path:
    """A private copy of the sample workspace that a test may change."""
    shutil.copytree(sample_template(factory), target, ignore=shutil.ignore_patterns("*.lock"))
    return target


def sample_data(factory: pytest.TempPathFactory) -> ExportData:
    return collect(load_workspace(sample_template(factory)), GENERATED_AT)


def rename_bidder(root: Path, bidder: str, new_name: str) -> Workspace:
    """Give a bidder another name in its bid file (names are user text) and reload."""
    path = root / "bids" / f"{bidder}.yaml"
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^(  name: ).*$", lambda m: m.group(1) + _yaml(new_name), text)
    assert count == 1, f"{path} no longer has one `  name:` line: update this helper"
    path.write_text(text, encoding="utf-8")
    return load_workspace(root)


def _yaml(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def panel_identities(workspace: Workspace) -> list[str]:
    """Every way a panel member could be named: full name, name without role, id."""
    out = []
    for member in workspace.panel.evaluators:
        out += [member.name, member.name.split(" (")[0], member.id]
    return out
