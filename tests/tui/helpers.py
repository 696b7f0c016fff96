"""Reading what a screen shows, for assertions on rendered text."""

from __future__ import annotations

import re

from textual.app import App
from textual.widget import Widget
from textual.widgets import DataTable, Markdown, OptionList, Static, TextArea


def widget_text(widget: Widget) -> str:
    """Everything a widget holds as text, including what is scrolled out of view."""
    if isinstance(widget, Markdown):
        return widget.source
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, DataTable):
        rows = [" ".join(str(c) for c in widget.get_row_at(i)) for i in range(widget.row_count)]
        return "\n".join(rows)
    if isinstance(widget, OptionList):
        options = (widget.get_option_at_index(i) for i in range(widget.option_count))
        return "\n".join(str(option.prompt) for option in options)
    if isinstance(widget, Static):
        return str(widget.render())
    return ""


def screen_text(app: App) -> str:
    """The text of every widget on the active screen, plus the visible screenshot text."""
    parts = [widget_text(w) for w in app.screen.query("*")]
    svg = app.export_screenshot()
    parts.append(re.sub(r"<[^>]+>", "", svg).replace("&#160;", " "))
    return "\n".join(parts)
