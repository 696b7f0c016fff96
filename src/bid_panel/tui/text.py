"""User text on screen: bids, justifications and names are shown as typed, never as markup."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual.content import Content


def plain(text: str) -> Content:
    """`text` exactly as typed: a bid containing `[bold]` or `[/]` shows those characters."""
    return Content(text)


def cell(text: str) -> Text:
    """A DataTable cell exactly as typed (DataTable parses plain str cells as markup)."""
    return Text(text, end="")


def number(value: Decimal | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return value.replace("_", "-")


def clipped(text: str) -> Text:
    """A one-line DataTable cell exactly as typed, cut with an ellipsis when too long."""
    return Text(text, end="", no_wrap=True, overflow="ellipsis")


def short_name(name: str) -> str:
    """A panel member's name without the role in brackets: "Amara Okafor (Head of ...)"."""
    return name.split(" (")[0]
