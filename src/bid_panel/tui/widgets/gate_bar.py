"""The results gate, always in view on the moderator's screens: FINAL, or PROVISIONAL and why."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from bid_panel.core.moderation import Gate


class GateBar(Static):
    DEFAULT_CSS = """
    GateBar { height: auto; padding: 0 1; background: $warning-muted; color: $text; }
    GateBar.-final { background: $success-muted; }
    """

    def show(self, gate: Gate, signature: str = "") -> None:
        """Show the gate; `signature` is the record's signature status in words."""
        signed = f" · record {signature}" if signature else ""
        if signed and signed[3:] in "; ".join(gate.reasons):
            signed = ""  # a reason already says it ("moderation record not signed")
        if gate.final:
            text = Content.assemble(
                ("FINAL", "bold"),
                " · every flagged item moderated, every other item moderated or accepted",
                signed,
            )
        else:
            text = Content.assemble(
                ("PROVISIONAL", "bold"),
                " – not for award: ",
                Content("; ".join(gate.reasons)),
                signed,
            )
        self.set_class(gate.final, "-final")
        self.update(text)
