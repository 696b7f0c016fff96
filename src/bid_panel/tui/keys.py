"""The keys a value is typed with, shared by the scoring screen's and the moderation
dialog's bindings. Kept apart from the scale picker (which needs the core) so that a screen
can declare its bindings before the core is imported (see `screens/scoring.py`)."""

from __future__ import annotations

TYPING_KEYS = "0123456789."
"""The characters a value is typed with."""

KEY_NAMES = {".": "full_stop"}
"""Textual's name of a typing key, where it differs from the character."""
