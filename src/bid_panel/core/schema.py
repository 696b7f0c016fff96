"""JSON Schemas of the file formats, for editors that validate YAML as it is typed."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bid_panel.core.atomic import atomic_write_text, explain_os_error
from bid_panel.core.bid import Bid
from bid_panel.core.moderation import ModerationEvent, ModerationHeader
from bid_panel.core.panel import Panel
from bid_panel.core.sheet import SheetEvent, SheetHeader
from bid_panel.core.tender import Tender


class ScoreSheetFile(BaseModel):
    """A score sheet as stored: a header and the append-only events."""

    model_config = ConfigDict(extra="forbid", title="bid_panel score sheet")
    header: SheetHeader
    events: list[SheetEvent]


class ModerationFile(BaseModel):
    """The moderation record as stored: a header and the append-only events."""

    model_config = ConfigDict(extra="forbid", title="bid_panel moderation record")
    header: ModerationHeader
    events: list[ModerationEvent]


SCHEMAS: dict[str, type[BaseModel]] = {
    "tender": Tender,
    "panel": Panel,
    "bid": Bid,
    "score-sheet": ScoreSheetFile,
    "moderation": ModerationFile,
}


def schema_of(model: type[BaseModel]) -> dict[str, object]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(mode="validation"),
    }


def write_schemas(folder: Path) -> list[Path]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise explain_os_error(exc, folder, "create") from None
    written = []
    for name, model in SCHEMAS.items():
        path = folder / f"{name}.schema.json"
        text = json.dumps(schema_of(model), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(path, text)
        written.append(path)
    # The export format is not a pydantic model: its schema ships as a file in the package.
    from bid_panel.core.exports.json_export import export_schema

    path = folder / "export.schema.json"
    atomic_write_text(path, json.dumps(export_schema(), indent=2, ensure_ascii=False) + "\n")
    written.append(path)
    return written
