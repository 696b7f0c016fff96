"""Dialog: choose the export formats and the folder. Returns an `ExportRequest` or None."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from bid_panel.tui.text import plain

FORMAT_LABELS = {
    "csv": "CSV tables (one file per table)",
    "xlsx": "Excel workbook (XLSX)",
    "md": "Evaluation report (Markdown)",
    "json": "Everything, machine-readable (JSON)",
    "ocds": "OCDS release package (award)",
    "summaries": "Assessment summaries, one per bidder (Markdown and HTML)",
}


@dataclass(frozen=True)
class ExportRequest:
    formats: list[str]
    out_dir: Path


class ExportDialog(ModalScreen[ExportRequest | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "export", "Export"),
    ]

    def __init__(self, default_dir: Path, refused: dict[str, list[str]]) -> None:
        super().__init__()
        self.default_dir = default_dir
        self.refused = refused
        """format -> why it would be refused now (shown, and left unticked)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Export results", classes="dialog-title")
            yield Static(
                "None of these exports is for quality evaluators: they contain prices.",
                classes="muted",
            )
            yield SelectionList[str](
                *[
                    (
                        label + (" — not available yet" if name in self.refused else ""),
                        name,
                        name not in self.refused,
                    )
                    for name, label in FORMAT_LABELS.items()
                ],
                id="formats",
            )
            notes = [f"{name}: {why[0]}" for name, why in self.refused.items() if why]
            yield Static(plain("\n".join(notes)), id="export-notes", classes="muted")
            yield Label("Folder")
            yield Input(str(self.default_dir), id="out-dir")
            yield Label("", id="export-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export (ctrl+s)", variant="primary", id="export")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self.action_export()
        else:
            self.action_cancel()

    def action_export(self) -> None:
        formats = list(self.query_one(SelectionList).selected)
        folder = self.query_one("#out-dir", Input).value.strip()
        if not formats:
            self.query_one("#export-error", Label).update("Tick at least one format.")
            return
        if not folder:
            self.query_one("#export-error", Label).update("Give a folder to write to.")
            return
        self.dismiss(ExportRequest(formats, Path(folder).expanduser()))

    def action_cancel(self) -> None:
        self.dismiss(None)
