"""Start an app, exit right after a given frame, print the peak memory (run by run.py).

    python benchmarks/first_frame.py bare
        a bare Textual app showing one label, up to its first frame;
    python benchmarks/first_frame.py scoring WORKSPACE EVALUATOR
        `bid-panel score WORKSPACE --as EVALUATOR` (the CLI's own path: its lock and key
        checks, then the app), up to the first frame of the scoring screen;
    python benchmarks/first_frame.py scoring-ready WORKSPACE EVALUATOR
        the same, up to the first frame with the sheet open on the scoring desk (work list,
        bid response, scale, justification: the screen a panel member works in);
    python benchmarks/first_frame.py moderation WORKSPACE MODERATOR
        `bid-panel moderate WORKSPACE --as MODERATOR`, up to the first frame of the matrix.

Headless, so no terminal is needed and every app draws the same way. Prints the wall-clock
time of the frame, then the peak memory in MB; the caller takes its own start time from the
first (interpreter start, imports, loading, up to the frame; not the exit).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline import peak_mb

FRAME_AT: list[float] = []
"""The wall-clock time of the frame (the caller subtracts its own time before starting us:
startup to the frame, without the app's exit and teardown, the same for every app)."""


def exit_after_first_frame(node: object) -> None:
    app = node.app  # type: ignore[attr-defined]

    def drawn() -> None:
        if not FRAME_AT:
            FRAME_AT.append(time.time())
        app.exit()

    node.call_after_refresh(drawn)  # type: ignore[attr-defined]


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("Hello")

        def on_mount(self) -> None:
            exit_after_first_frame(self.screen)

    Bare().run(headless=True)


def target_class(kind: str) -> type:
    """The widget whose first frame ends the run. Importing it here first changes nothing
    timed: the scoring screen imports no core; the desk and the matrix are imported before
    their frame in any case."""
    if kind == "scoring":
        from bid_panel.tui.screens.scoring import ScoringScreen

        return ScoringScreen
    if kind == "scoring-ready":
        from bid_panel.tui.widgets.scoring_desk import ScoringDesk

        return ScoringDesk
    from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen

    return ModerationMatrixScreen


def bid_panel(kind: str, workspace: Path, who: str) -> None:
    from bid_panel.cli import main
    from bid_panel.tui.app import BidPanelApp

    target = target_class(kind)
    original = target.on_mount
    reached: list[object] = []

    def on_mount(self: object) -> None:
        # Asked for first, so that the frame's time is taken before whatever the widget's
        # own on_mount runs after that frame (the scoring screen then opens the sheet).
        exit_after_first_frame(self)
        reached.append(self)
        original(self)  # type: ignore[arg-type]

    target.on_mount = on_mount  # type: ignore[attr-defined]
    original_run = BidPanelApp.run

    def run_headless(self: BidPanelApp, *args: object, **kwargs: object) -> object:
        return original_run(self, headless=True, size=(120, 40))

    BidPanelApp.run = run_headless  # type: ignore[method-assign]
    command = "score" if kind.startswith("scoring") else "moderate"
    code = main([command, str(workspace), "--as", who])
    if code != 0 or not reached:
        raise SystemExit(f"did not reach the {kind} frame (exit code {code})")


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    else:
        bid_panel(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
    print(FRAME_AT[0])
    print(peak_mb())
