"""The work list: every item assigned to the evaluator, grouped by bid, with progress marks."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from bid_panel.core.session import STATUS_MARKS, ItemStatus, ScoringSession
from bid_panel.core.sheet import Item

_MARK_STYLE = {
    ItemStatus.DONE: "$success",
    ItemStatus.FLAGGED: "$warning",
    ItemStatus.NEEDS_JUSTIFICATION: "$warning",
    ItemStatus.NEEDS_SCORE: "$text-muted",
    ItemStatus.NOT_STARTED: "$text-muted",
}


def item_id(item: Item) -> str:
    """An item as a widget key (a work-list option, a row of the moderation agenda). Ids
    are slugs, never with a slash, so `parse_item_id` gives the item back."""
    return f"{item[0]}/{item[1]}"


def parse_item_id(option_id: str) -> Item:
    bidder, _, criterion = option_id.partition("/")
    return (bidder, criterion)


class WorkList(OptionList):
    """Emits `WorkList.ItemHighlighted` as the cursor moves; state comes from the session."""

    class ItemHighlighted(Message):
        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    def __init__(self, session: ScoringSession, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.session = session

    def on_mount(self) -> None:
        self.border_title = "Work list"
        options: list[Option | None] = []
        current_bidder = None
        for item in self.session.items():
            if item[0] != current_bidder:
                current_bidder = item[0]
                name = self.session.bid(item[0]).bidder.name
                options.append(
                    Option(Content.styled(name, "bold"), id=f"bid:{item[0]}", disabled=True)
                )
            options.append(Option(self._prompt(item), id=item_id(item)))
        self.add_options(options)

    def _prompt(self, item: Item) -> Content:
        status = self.session.status(item)
        title = self.session.criterion(item).title
        return Content.assemble((STATUS_MARKS[status], _MARK_STYLE[status]), " ", title)

    def refresh_item(self, item: Item) -> None:
        self.replace_option_prompt(item_id(item), self._prompt(item))

    def select_item(self, item: Item) -> None:
        index = self.get_option_index(item_id(item))
        if self.highlighted != index:
            self.highlighted = index

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id and not event.option.id.startswith("bid:"):
            self.post_message(self.ItemHighlighted(parse_item_id(event.option.id)))
