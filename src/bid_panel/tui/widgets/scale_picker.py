"""The scale of the current criterion: every allowed value with its descriptor, and the one
way of picking a value with the keyboard that the scoring screen and the moderation dialog
share (`ValueTyping`).

A value is picked by typing it as it is written beside it: `4`, `10`, `2.5`; on a gate or a
price check `1` is pass / compliant and `0` fail / non-compliant. A key that completes one
value and starts no other picks at once (on 0-5 every digit does). When what is typed so far
could still become another value (`1` on a 0-10 scale, which may be 1 or the start of 10;
`2` on a scale with 2 and 2.5), the picker shows it as pending and waits `TYPE_WINDOW`
seconds for the next key; then, or as soon as focus moves or another action runs, it settles
on the value typed (or the only value it can still become). Nothing is written to the record
until it settles, so typing 10 never records a 1 first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import VERDICT_LABELS, Item
from bid_panel.core.tender import CriterionKind, score_text
from bid_panel.tui.keys import KEY_NAMES
from bid_panel.tui.text import plain

VERDICT_DESCRIPTORS = {
    "pass": "Meets every condition of the gate.",
    "fail": "Does not meet a condition of the gate; the bid is not considered further.",
    "compliant": "The price is complete, arithmetically correct and not abnormally low.",
    "non_compliant": (
        "The price is incomplete, wrong or abnormally low without a satisfactory explanation."
    ),
}
VERDICT_KEYS = {"pass": "1", "fail": "0", "compliant": "1", "non_compliant": "0"}
"""Verdicts are picked with digits too, so no letter key is shared with navigation."""

TYPE_WINDOW = 0.8
"""Seconds a typed key waits for the next one when it could still become another value."""


def typed_text(value: Decimal | str) -> str:
    """What a panel member types to pick `value` (one key on a 0-5 scale; `10` is two), and
    what is shown beside it. See `keys_for`."""
    if isinstance(value, str):
        return VERDICT_KEYS[value]
    return score_text(value)


def keys_for(value: Decimal | str) -> list[str]:
    """The keys, by Textual's names, that pick `value` (for `pilot.press(*keys_for(v))`)."""
    return [KEY_NAMES.get(char, char) for char in typed_text(value)]


def candidates(values: Sequence[Decimal | str], typed: str) -> list[Decimal | str]:
    """The values that `typed` is the start of (or all of)."""
    return [v for v in values if typed_text(v).startswith(typed)]


def exact(values: Sequence[Decimal | str], typed: str) -> Decimal | str | None:
    return next((v for v in values if typed_text(v) == typed), None)


def allowed_text(values: Sequence[Decimal | str]) -> str:
    return " / ".join(typed_text(v) for v in values)


class ValueTyping:
    """Turns typed keys into a picked value, the same way on every screen.

    `on_pick(value, context)` is called when a value is picked, `on_refuse(message)` when
    what was typed is no value of the scale, and `on_pending(typed)` whenever the text
    still waiting changes (`""` when nothing waits). `context` is whatever `reset` was given
    (the item the values belong to), so a value settled late still goes to its own item.
    """

    def __init__(
        self,
        owner: Widget,
        on_pick: Callable[[Decimal | str, Any], None],
        on_refuse: Callable[[str], None],
        on_pending: Callable[[str], None] | None = None,
        window: float | None = None,
    ) -> None:
        self.owner = owner
        self.on_pick = on_pick
        self.on_refuse = on_refuse
        self.on_pending = on_pending or (lambda _typed: None)
        self.window = window
        self.values: list[Decimal | str] = []
        self.context: Any = None
        self.typed = ""
        self._timer: Timer | None = None

    def reset(self, values: Sequence[Decimal | str], context: Any = None) -> None:
        """New values (another item): anything half-typed is settled first."""
        self.settle()
        self.values = list(values)
        self.context = context

    def press(self, char: str) -> None:
        text = self.typed + char
        found = candidates(self.values, text)
        if not found:
            if self.typed:
                # Not a continuation: settle what was typed, then start again with this key.
                self.settle()
                self.press(char)
                return
            self.on_refuse(f"{char} is not on this scale. Allowed: {allowed_text(self.values)}")
            return
        match = exact(self.values, text)
        if match is not None and len(found) == 1:
            self._set_typed("")
            self.on_pick(match, self.context)
            return
        self._set_typed(text)
        self._timer = self.owner.set_timer(
            TYPE_WINDOW if self.window is None else self.window, self.settle
        )

    def settle(self) -> None:
        """Pick what was typed now (the time is up, focus moved, another action runs)."""
        text = self.typed
        if not text:
            return
        self._set_typed("")
        match = exact(self.values, text)
        found = candidates(self.values, text)
        if match is None and len(found) == 1:
            match = found[0]
        if match is None:
            self.on_refuse(
                f"{text} is not on this scale: type one of {allowed_text(found or self.values)}"
            )
            return
        self.on_pick(match, self.context)

    def cancel(self) -> None:
        """Forget anything half-typed (a value was picked another way)."""
        self._set_typed("")

    def _set_typed(self, text: str) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if text != self.typed:
            self.typed = text
            self.on_pending(text)


def pending_hint(values: Sequence[Decimal | str], typed: str) -> str:
    """What the picker says while a typed value waits: `1… · 0 for 10`."""
    if not typed:
        return ""
    longer = [typed_text(v) for v in candidates(values, typed) if typed_text(v) != typed]
    more = ", ".join(f"{t[len(typed) :]} for {t}" for t in longer)
    return f"{typed}… " + (f"· {more}" if more else "")


class ScalePicker(OptionList):
    """Shows the allowed values only, each with the key that picks it; picking one posts
    `ScalePicker.Picked`."""

    class Picked(Message):
        def __init__(self, value: Decimal | str) -> None:
            super().__init__()
            self.value = value

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.values: list[Decimal | str] = []
        self._hint = ""

    def show(self, session: ScoringSession, item: Item, chosen: Decimal | str | None) -> None:
        criterion = session.criterion(item)
        self.values = session.allowed_values(item)
        scale = (
            session.tender.scale_of(criterion) if criterion.kind is CriterionKind.SCORED else None
        )
        self.border_title = plain(
            scale.name
            if scale
            else ("Gate" if criterion.kind is CriterionKind.PASS_FAIL else "Price check")
        )
        self._hint = "type a score" if scale is not None else "type 1 or 0"
        self.border_subtitle = self._hint
        width = max(len(typed_text(v)) for v in self.values)
        options = []
        for value in self.values:
            if scale is not None:
                entry = scale.entry(value)  # type: ignore[arg-type]
                label, descriptor = (entry.label, entry.descriptor) if entry else ("", "")
            else:
                label = VERDICT_LABELS[str(value)]
                descriptor = VERDICT_DESCRIPTORS[str(value)]
            marker = "●" if value == chosen else " "
            head = Content.assemble(
                (f"{marker} {typed_text(value):>{width}} ", "bold"),
                (label, "bold $accent" if value == chosen else "bold"),
            )
            options.append(
                Option(
                    Content.assemble(head, "\n", Content(descriptor.strip())), id=f"v{len(options)}"
                )
            )
        self.clear_options()
        self.add_options(options)
        if chosen in self.values:
            self.highlighted = self.values.index(chosen)

    def show_pending(self, typed: str) -> None:
        """Say what is typed so far, and highlight the value it would settle on."""
        self.border_subtitle = pending_hint(self.values, typed) or self._hint
        match = exact(self.values, typed) if typed else None
        if match is not None:
            self.highlighted = self.values.index(match)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Picked(self.values[event.option_index]))
