"""TUI test setup: colours on, data dir in tmp_path, a fixed clock, a fixed terminal size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bid_panel.core import clock

SIZE = (120, 40)
"""Every Pilot and snapshot test runs at this size (the default 80x24 hides too much)."""

FIXED_NOW = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _tui_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("BID_PANEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BID_PANEL_CONFIG_DIR", str(tmp_path / "config"))
    clock.set_clock(lambda: FIXED_NOW)
    yield
    clock.set_clock(None)
