"""User text on screen: bids, justifications and names are shown as typed, never as markup."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual.content import Content

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget


def plain(text: str) -> Content:
    """`text` exactly as typed: a bid containing `[bold]` or `[/]` shows those characters."""
    return Content(text)


def cell(text: str) -> Text:
    """A DataTable cell exactly as typed (DataTable parses plain str cells as markup)."""
    return Text(text, end="")


def clipped(text: str) -> Text:
    """A one-line DataTable cell exactly as typed, cut with an ellipsis when too long."""
    return Text(text, end="", no_wrap=True, overflow="ellipsis")


SeverityLevel = Literal["information", "warning", "error"]


def say(
    node: App | Widget,
    message: str,
    *,
    title: str = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """Notify, always with the message as typed: Textual's `notify` parses its message as
    markup by default, so a path, a name or an exception's text holding `[/]` would crash
    the app and `[UK]` would vanish. Every notification of the app goes through here (safe
    from a worker thread too: `notify` only posts a message)."""
    node.notify(message, title=title, severity=severity, timeout=timeout, markup=False)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md_text(text: str) -> str:
    """User text for one line of a Markdown document (a table cell, a heading): every
    Markdown character escaped, newlines flattened, so `*Kin*field | Ltd` shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
