"""Ids, names and the workspace's file names: the part of the core that imports no models
(no pydantic), for what runs before the models are loaded: the checks `bid-panel score`
makes before it draws, and the scoring screen's first frame (see `tui/screens/scoring.py`)."""

from __future__ import annotations

import re
from pathlib import Path

from bid_panel.core.errors import BidPanelError

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""Ids are slugs, never paths: they become file names (sheets/<evaluator>.yaml)."""

TENDER_FILE = "tender.yaml"
PANEL_FILE = "panel.yaml"
BIDS_DIR = "bids"
SHEETS_DIR = "sheets"
MODERATION_FILE = "moderation.yaml"


class NotAnId(BidPanelError):
    """A name given as an id that is not a slug (and so could leave the folder)."""


def is_slug(text: str) -> bool:
    return re.fullmatch(SLUG_PATTERN, text) is not None


def sheet_path(root: Path, evaluator_id: str) -> Path:
    """Where an evaluator's score sheet is; only a slug may become a file name."""
    if not is_slug(evaluator_id):
        raise NotAnId(f"{evaluator_id!r} is not an evaluator id (a-z, 0-9 and hyphens)")
    return root / SHEETS_DIR / f"{evaluator_id}.yaml"


def short_name(name: str) -> str:
    """A panel member's name without the role in brackets: `Amara Okafor (Head of ...)`
    -> `Amara Okafor`. The one spelling for every screen and file."""
    return name.split(" (")[0].strip()
