"""Reading what a screen shows, for assertions on rendered text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from textual.app import App
from textual.widget import Widget
from textual.widgets import DataTable, Markdown, OptionList, Static, TextArea

from bid_panel.core.panel import Role
from bid_panel.core.session import ScoringSession
from bid_panel.core.signing import submission_signer
from bid_panel.core.workspace import load_workspace


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


def rendered_text(app: App) -> str:
    """What the terminal shows now (border titles, toasts, cells as drawn), as text."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def screen_text(app: App) -> str:
    """The text of every widget on the active screen, plus the visible screenshot text."""
    parts = [widget_text(w) for w in app.screen.query("*")]
    parts.append(rendered_text(app))
    return "\n".join(parts)


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    """Edit a workspace file by hand, as a procurement lead would (the text must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def bidder_file(root: Path, bidder: str) -> Path:
    return root / "bids" / f"{bidder}.yaml"


def score_and_submit_every_sheet(
    root: Path,
    choose: Callable[[ScoringSession, tuple[str, str]], Decimal | str] | None = None,
) -> None:
    """Every evaluator declares no conflict, scores every item (by default the lowest allowed
    value) with a justification that quotes the bid, and submits, signed with the sample's
    public keys (as `bid-panel init --with-sample-scores` does, for any tender)."""
    workspace = load_workspace(root)
    for evaluator in workspace.panel.evaluators:
        if evaluator.role is Role.MODERATOR:
            continue
        with ScoringSession(workspace, evaluator.id) as session:
            for bidder in session.bidders:
                session.declare(bidder, conflict=False)
            for item in session.items():
                value = choose(session, item) if choose else session.allowed_values(item)[0]
                words = session.response(item).split()[:14] or ["the", "priced", "lines"]
                text = f"The bid says: {' '.join(words)} — so this score, from its own words."
                session.set_score(item, value, text)
            sign, public_key = submission_signer(evaluator.id, evaluator.public_key)
            session.submit(sign=sign, public_key=public_key)


async def settle(pilot) -> None:
    """Let the app finish opening: `--as` opens its sheet in a worker after the first frame
    (see tui/screens/scoring.py); other workers (results, export) finish too."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
