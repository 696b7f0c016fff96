"""The one clock every record timestamp comes from; tests replace it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return _now().astimezone(UTC)


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); `None` restores the system clock."""
    global _now
    _now = source or _system_now
