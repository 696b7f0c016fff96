"""Dialog: choose the export formats and the folder. Returns an `ExportRequest` or None."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, SelectionList, Static

from bid_panel.tui.dialogs.form import FormDialog
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


class ExportDialog(FormDialog[ExportRequest]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Export")]

    def __init__(self, default_dir: Path, refused: dict[str, list[str]]) -> None:
        super().__init__("Export results", "Export")
        self.default_dir = default_dir
        self.refused = refused
        """format -> why it would be refused now (shown, and left unticked)."""

    def form(self) -> ComposeResult:
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

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_save(self) -> None:
        formats = list(self.query_one(SelectionList).selected)
        folder = self.query_one("#out-dir", Input).value.strip()
        if not formats:
            self.show_problems("Tick at least one format.")
            return
        if not folder:
            self.show_problems("Give a folder to write to.")
            return
        self.dismiss(ExportRequest(formats, Path(folder).expanduser()))
