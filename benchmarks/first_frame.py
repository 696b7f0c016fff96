"""Start an app, exit right after its first frame, print the peak memory (run by run.py).

    python benchmarks/first_frame.py bare
        a bare Textual app showing one label;
    python benchmarks/first_frame.py scoring WORKSPACE EVALUATOR
        bid_panel as `bid-panel score WORKSPACE --as EVALUATOR` opens it, up to the first frame
        of the scoring screen (the evaluator has declared, so no declaration screen comes first);
    python benchmarks/first_frame.py moderation WORKSPACE MODERATOR
        `bid-panel moderate WORKSPACE --as MODERATOR`, up to the first frame of the matrix.

Headless, so no terminal is needed and both apps draw the same way. The caller times the
whole process (interpreter start, imports, loading, first frame, exit).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def exit_after_first_frame(screen: object) -> None:
    app = screen.app  # type: ignore[attr-defined]
    screen.call_after_refresh(app.exit)  # type: ignore[attr-defined]


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("Hello")

        def on_mount(self) -> None:
            exit_after_first_frame(self.screen)

    Bare().run(headless=True)


def bid_panel(kind: str, workspace: Path, who: str) -> None:
    from bid_panel.tui.app import create_app

    if kind == "scoring":
        from bid_panel.tui.screens.scoring import ScoringScreen as Target
    else:
        from bid_panel.tui.screens.moderation_matrix import ModerationMatrixScreen as Target
    original = Target.on_mount
    reached = []

    def on_mount(self: object) -> None:
        original(self)  # type: ignore[arg-type]
        reached.append(self)
        exit_after_first_frame(self)

    Target.on_mount = on_mount  # type: ignore[method-assign]
    app = create_app(workspace, who, mode="score" if kind == "scoring" else "moderate")
    app.run(headless=True, size=(120, 40))
    if not reached:
        raise SystemExit(f"did not reach the {Target.__name__}")


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    else:
        bid_panel(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
