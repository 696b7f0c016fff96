"""A scoring process for the crash and lock tests (run as a script, not collected by pytest).

python crash_driver.py burst WORKSPACE EVALUATOR ROUND
    opens the evaluator's sheet through `ScoringSession`, declares what is undeclared,
    then saves scores in a burst, printing `ack SEQ HASH` after each save returns (the
    save is then on disk: that is what "acknowledged" means), until killed.
python crash_driver.py hold WORKSPACE EVALUATOR
    opens the sheet, prints `held`, and keeps it open until stdin closes.
python crash_driver.py lock FILE
    holds the lock of a record file (e.g. moderation.yaml) the same way.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from bid_panel.core.atomic import FileLock
from bid_panel.core.session import ScoringSession
from bid_panel.core.workspace import load_workspace

MAX_SAVES = 5_000
"""A burst that is never killed stops by itself."""


def ack(event: object) -> None:
    print(f"ack {event.seq} {event.hash}", flush=True)  # type: ignore[attr-defined]


def burst(workspace: Path, evaluator: str, round_: int) -> None:
    with ScoringSession(load_workspace(workspace), evaluator) as session:
        print(f"ready {len(session.events)}", flush=True)
        for bidder in session.undeclared:
            ack(session.declare(bidder, conflict=False))
        items = session.items()
        for count in itertools.islice(itertools.count(), MAX_SAVES):
            item = items[count % len(items)]
            values = session.allowed_values(item)
            justification = (
                f"Round {round_}, save {count}: the response for {item[1]} names its staff, "
                "dates its outcomes and costs its commitments."
            )
            event = session.set_score(item, values[(count + round_) % len(values)], justification)
            assert event is not None  # every save changes the justification
            ack(event)
    print("done", flush=True)


def hold(workspace: Path, evaluator: str) -> None:
    with ScoringSession(load_workspace(workspace), evaluator):
        print("held", flush=True)
        sys.stdin.read()


def lock(path: Path) -> None:
    with FileLock(path):
        print("held", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    if sys.argv[1] == "lock":
        lock(Path(sys.argv[2]))
        sys.exit(0)
    mode, folder, who = sys.argv[1:4]
    if mode == "burst":
        burst(Path(folder), who, int(sys.argv[4]))
    else:
        hold(Path(folder), who)
