"""F1 / ?: the keys of the screen you came from, and how scoring works."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

GUIDE = """
## How scoring works

1. **Declare** any conflict of interest for each bidder before you see any bid.
   A conflict recuses you from that bid.
2. **Score** every item in your work list: read the bid's response, read the guidance and the
   scale, pick an allowed score, and write a justification that points to the bid
   (what it offers, what evidence it gives, what is missing).
3. Everything is **saved as you go** to your score sheet, which is append-only and
   tamper-evident. You can quit at any time and resume where you were.
4. **Submit** when every item is done. Submission seals your sheet.

Marks in the work list: `✓` done · `✎` needs justification · `⚑` justification reads like
the criterion · `○` needs a score · `·` not started.

You never see other evaluators' scores. Quality evaluators never see prices.
"""


_GENERIC_ACTIONS = frozenset({"app.focus_next", "app.focus_previous", "screen.copy_text"})


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close help"),
    ]

    def __init__(self, source: Screen) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        rows = ["## Keys on this screen", "", "| Key | Action |", "|---|---|"]
        keys_by_action: dict[tuple[str, str], list[str]] = {}
        for bindings in self.source._bindings.key_to_bindings.values():
            for b in bindings:
                # Textual's own focus and copy keys are listed once below, in words.
                if not b.description or b.action in _GENERIC_ACTIONS:
                    continue
                # One row per action, whatever its parameters: the ten digit keys of
                # "pick_key('0')" ... "pick_key('9')" are one row, "0-9 Score".
                action = b.action.split("(")[0]
                keys = keys_by_action.setdefault((action, b.description), [])
                key = b.key_display or self.app.get_key_display(b)
                if key not in keys:
                    keys.append(key)
        for (_, description), keys in keys_by_action.items():
            rows.append(f"| {' '.join(f'`{k}`' for k in keys)} | {description} |")
        rows += [
            "| `F1` `?` | This help |",
            "| `ctrl+p` | Command palette: every action by name |",
            "| `tab` | Move between panes |",
            "| `ctrl+q` | Quit (your work is saved) |",
        ]
        with VerticalScroll(id="help-body"):
            # A screen may bring its own guide (the moderator's screens do).
            guide = getattr(self.source, "HELP_GUIDE", GUIDE)
            yield Markdown("\n".join(rows) + "\n" + guide)
