"""The core never imports Textual, and neither does the CLI until a screen is opened.

Run in a fresh interpreter: in this process pytest plugins (pytest-textual-snapshot) have
already imported Textual, so sys.modules here proves nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


IMPORT_ALL_CORE = """
import importlib, json, pkgutil, sys
import bid_panel.core
names = sorted(m.name for m in pkgutil.walk_packages(bid_panel.core.__path__, "bid_panel.core."))
for name in names:
    importlib.import_module(name)
import bid_panel.cli
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({"modules": names, "leaked": leaked}))
"""


def test_importing_every_core_module_and_the_cli_loads_no_textual() -> None:
    proc = run_python(IMPORT_ALL_CORE)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["modules"]) >= 15
    assert "bid_panel.core.scoring" in report["modules"]
    assert report["leaked"] == []


@pytest.mark.parametrize(
    "argv",
    [["validate", "{tender}"], ["schema", "--out", "{tmp}/schemas"], ["init", "{tmp}/ws"]],
    ids=["validate", "schema", "init"],
)
def test_commands_that_do_not_draw_load_no_textual(sample, tmp_path: Path, argv: list[str]) -> None:
    args = [a.format(tender=sample.tender, tmp=tmp_path) for a in argv]
    proc = run_python(
        "import sys\n"
        "from bid_panel.cli import main\n"
        f"code = main({args!r})\n"
        "print('textual' in sys.modules, code, file=sys.stderr)\n"
    )
    assert proc.stderr.strip().splitlines()[-1] == "False 0", proc.stderr


FIRST_FRAME = """
import sys
from pathlib import Path
from bid_panel.tui.app import BidPanelApp, refuse_if_locked, refuse_if_not_owner
from bid_panel.tui.screens.scoring import ScoringScreen
root = Path(sys.argv[1])
refuse_if_locked(root, "amara-okafor", "score")
refuse_if_not_owner(root, "amara-okafor", "score")
ScoringScreen(opening="amara-okafor")
heavy = ("pydantic", "bid_panel.core.workspace", "bid_panel.core.session", "markdown_it")
print(sorted(m for m in heavy if m in sys.modules))
"""


def test_the_scoring_screen_first_frame_needs_no_models(workspace_dir: Path) -> None:
    """What runs before `bid-panel score --as` draws (the lock and key checks, the app and
    the scoring screen's frame) imports no pydantic, models or Markdown: those load after
    the first frame (see tui/screens/scoring.py); the startup benchmark depends on it."""
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(workspace_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
