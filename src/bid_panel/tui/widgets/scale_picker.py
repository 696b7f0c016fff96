"""The scale of the current criterion: every allowed value with its descriptor."""

from __future__ import annotations

from decimal import Decimal

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from bid_panel.core.session import ScoringSession
from bid_panel.core.sheet import Item
from bid_panel.core.tender import CriterionKind
from bid_panel.tui.text import number

VERDICT_TEXT = {
    "pass": ("Pass", "Meets every condition of the gate."),
    "fail": ("Fail", "Does not meet a condition of the gate; the bid is not considered further."),
    "compliant": (
        "Compliant",
        "The price is complete, arithmetically correct and not abnormally low.",
    ),
    "non_compliant": (
        "Non-compliant",
        "The price is incomplete, wrong or abnormally low without a satisfactory explanation.",
    ),
}
VERDICT_KEYS = {"pass": "1", "fail": "0", "compliant": "1", "non_compliant": "0"}
"""Verdicts are picked with digits too, so no letter key is shared with navigation."""


def key_for(value: Decimal | str) -> str:
    if isinstance(value, str):
        return VERDICT_KEYS[value]
    return number(value)[0]


class ScalePicker(OptionList):
    """Shows the allowed values only; picking one posts `ScalePicker.Picked`."""

    class Picked(Message):
        def __init__(self, value: Decimal | str) -> None:
            super().__init__()
            self.value = value

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.values: list[Decimal | str] = []

    def show(self, session: ScoringSession, item: Item, chosen: Decimal | str | None) -> None:
        criterion = session.criterion(item)
        self.values = session.allowed_values(item)
        scale = (
            session.tender.scale_of(criterion) if criterion.kind is CriterionKind.SCORED else None
        )
        self.border_title = (
            scale.name
            if scale
            else ("Gate" if criterion.kind is CriterionKind.PASS_FAIL else "Price check")
        )
        options = []
        for value in self.values:
            if scale is not None:
                entry = scale.entry(value)  # type: ignore[arg-type]
                label, descriptor = (entry.label, entry.descriptor) if entry else ("", "")
            else:
                label, descriptor = VERDICT_TEXT[str(value)]
            marker = "●" if value == chosen else " "
            head = Content.assemble(
                (f"{marker} {number(value) if scale else key_for(value)} ", "bold"),
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

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Picked(self.values[event.option_index]))
