"""Shared fixtures: the bundled sample, fresh and fully scored workspaces, a fixed clock.

Every file a test writes lives under `tmp_path`; every record timestamp comes from a
ticking fixed clock that is restored afterwards, so runs are reproducible.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bid_panel.core import clock
from bid_panel.core.panel import Role
from bid_panel.core.sample import SampleFiles, init_workspace, sample_files
from bid_panel.core.session import ScoringSession
from bid_panel.core.tender import CriterionKind
from bid_panel.core.workspace import Workspace, load_workspace

CLOCK_START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
"""Tests' records start here; the shared scored template was written the day before."""


class TickingClock:
    """A replacement for `clock.now`: each reading is `step` after the previous one."""

    def __init__(self, start: datetime, step: timedelta = timedelta(minutes=1)) -> None:
        self.current = start
        self.step = step

    def __call__(self) -> datetime:
        self.current += self.step
        return self.current


@contextmanager
def ticking_clock(start: datetime = CLOCK_START) -> Iterator[TickingClock]:
    tick = TickingClock(start)
    clock.set_clock(tick)
    try:
        yield tick
    finally:
        clock.set_clock(None)


@pytest.fixture
def fixed_clock() -> Iterator[TickingClock]:
    """bid_panel's clock replaced by a deterministic one, restored afterwards."""
    with ticking_clock() as tick:
        yield tick


@pytest.fixture(scope="session")
def sample() -> SampleFiles:
    """The bundled sample tender, panel and bids (read them, never write them)."""
    return sample_files()


@pytest.fixture
def workspace_dir(tmp_path: Path, fixed_clock: TickingClock) -> Path:
    """A fresh workspace made from the sample: no score sheets yet."""
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def workspace(workspace_dir: Path) -> Workspace:
    return load_workspace(workspace_dir)


JUSTIFICATION = (
    "Scored on what {bidder} wrote for {criterion}: named staff, dated outcomes and "
    "costed commitments in paragraphs two to four of its response."
)


def planned_value(
    workspace: Workspace, item: tuple[str, str], evaluator_index: int
) -> Decimal | str:
    """The shared template's score for one item: a deterministic mix of unanimous items,
    small disagreements (below the spread threshold) and flagged ones (at or above it)."""
    bidder, cid = item
    criterion = workspace.tender.by_id[cid]
    if criterion.kind is CriterionKind.PASS_FAIL:
        return "pass"
    if criterion.kind is CriterionKind.PRICE:
        return "compliant"
    allowed = workspace.tender.scale_of(criterion).allowed
    leaf_ids = [c.id for c in workspace.tender.leaves]
    pattern = (list(workspace.bids).index(bidder) + leaf_ids.index(cid)) % 3
    offsets = {0: (0, 0, 0), 1: (0, 0, 1), 2: (-1, 1, 1)}[pattern]
    return allowed[len(allowed) // 2 + offsets[evaluator_index % 3]]


def score_everything(workspace: Workspace) -> None:
    """Every evaluator declares no conflict, scores every item and submits."""
    quality = [e.id for e in workspace.panel.of_role(Role.QUALITY)]
    for evaluator in workspace.panel.evaluators:
        if evaluator.role is Role.MODERATOR:
            continue
        index = quality.index(evaluator.id) if evaluator.id in quality else 0
        with ScoringSession(workspace, evaluator.id) as session:
            for bidder in session.bidders:
                session.declare(bidder, conflict=False)
            for item in session.items():
                text = JUSTIFICATION.format(bidder=item[0], criterion=item[1])
                session.set_score(item, planned_value(workspace, item, index), text)
            session.submit()


@pytest.fixture(scope="session")
def scored_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per run: a workspace whose every sheet is complete and submitted.
    Tests never write to it; they get a copy from `scored_workspace_dir`."""
    root = init_workspace(tmp_path_factory.mktemp("scored-template") / "ws")
    with ticking_clock(CLOCK_START - timedelta(days=1)):
        score_everything(load_workspace(root))
    return root


@pytest.fixture
def scored_workspace_dir(scored_template: Path, tmp_path: Path, fixed_clock: TickingClock) -> Path:
    """A private copy of the fully scored workspace (moderation not started)."""
    target = tmp_path / "scored"
    shutil.copytree(scored_template, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


@pytest.fixture
def edited_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy a sample file into tmp_path, replacing the first occurrence of each `old`
    with `new`; fails loudly if the sample no longer contains `old`."""

    def make(
        source: Path,
        *edits: tuple[str, str],
        name: str | None = None,
        folder: Path | None = None,
    ) -> Path:
        text = source.read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, f"{source.name} no longer contains {old!r}: update this test"
            text = text.replace(old, new, 1)
        target = (folder or tmp_path) / (name or source.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    return make


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of `path` that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture
def find_line() -> Callable[[Path, str], int]:
    return line_of
