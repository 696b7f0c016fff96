"""The moderator's session, with its slow questions answered once per record state.

`ModerationSession.items()`, `gate()` and `to_accept()` gather and replay every sheet each
time; the matrix asks them on every cursor move and every refresh of the footer's keys. The
answers only change when the moderation record gains an event or a sheet is read again, so
they are kept until then: the key below changes on every append and every reload, and the
answer is the core's own, computed by the same functions (nothing to go stale, nothing that
behaves differently).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from bid_panel.core.consensus import ItemScores
from bid_panel.core.moderation import Gate, ModerationSession
from bid_panel.core.sheet import Item

T = TypeVar("T")


class CachedModerationSession(ModerationSession):
    """A `ModerationSession` whose `items`, `gate` and `to_accept` are computed once per
    state of the record and the sheets."""

    _cache: dict[str, tuple[Hashable, Any]]

    def record_key(self) -> Hashable:
        """Changes whenever anything those answers depend on may have changed: an event
        appended to the moderation record, a sheet read again from disk."""
        sheets = tuple(
            (eid, len(record.events), record.head)
            for eid, record in sorted(self.workspace.sheets.items())
        )
        return (len(self._writer.events), self._writer.record.head, sheets)

    def _cached(self, name: str, compute: Callable[[], T]) -> T:
        cache = self.__dict__.setdefault("_cache", {})
        key = self.record_key()
        hit = cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        cache[name] = (key, value)
        return value

    def items(self) -> dict[Item, ItemScores]:
        # A copy of the dict (not of the scores): a caller may not change the cached one.
        return dict(self._cached("items", super().items))

    def gate(self) -> Gate:
        return self._cached("gate", super().gate)

    def to_accept(self) -> dict[Item, ItemScores]:
        return dict(self._cached("to_accept", super().to_accept))
