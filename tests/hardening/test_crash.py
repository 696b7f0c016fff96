"""Nothing lost: a scoring process killed with SIGKILL at random moments, round after round.

Each round starts `crash_driver.py burst` on the same workspace (so every round also
reopens a sheet that the previous round's kill left behind), lets it save scores as fast as
it can, and kills it after a seeded random delay: sometimes while it is still starting,
mostly in the middle of the burst, inside a write. After each kill the sheet must parse,
its hash chain must verify, and it must hold every save acknowledged before the kill (a
save is acknowledged when `set_score` has returned), followed by at most one save that was
not acknowledged yet (the one being written when the process died).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bid_panel.cli import main
from bid_panel.core.errors import Findings
from bid_panel.core.ledger import check_chain
from bid_panel.core.sheet import SHEET
from bid_panel.core.workspace import load_workspace
from tests.hardening.support import minimal_workspace

DRIVER = Path(__file__).with_name("crash_driver.py")
ROUNDS = 30
SEED = 20261005
EVALUATOR = "ann"


def _acks(output: str) -> list[tuple[int, str]]:
    """The acknowledged saves, ignoring a line the kill cut short."""
    acks = []
    for line in output.splitlines(keepends=True):
        parts = line.split()
        if line.endswith("\n") and len(parts) == 3 and parts[0] == "ack" and len(parts[2]) == 64:
            acks.append((int(parts[1]), parts[2]))
    return acks


def _kill_after(process: subprocess.Popen[str], delay: float, in_burst: bool) -> str:
    """SIGKILL `process` `delay` seconds after its first acknowledged save (or after it
    starts at all), then return everything it printed."""
    assert process.stdout is not None
    before = ""
    if in_burst:
        before = process.stdout.readline()
        assert before.startswith("ready "), before
        before += process.stdout.readline()
        assert before.splitlines()[-1].startswith("ack "), before
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the driver ended before it was killed"
    return before + rest


def test_sigkill_at_random_moments_never_loses_an_acknowledged_save(tmp_path: Path) -> None:
    workspace = minimal_workspace(tmp_path / "ws")
    sheet = workspace / "sheets" / f"{EVALUATOR}.yaml"
    rng = random.Random(SEED)
    known = 0  # events verified on disk after the previous round
    kills_in_burst = 0
    for round_ in range(1, ROUNDS + 1):
        process = subprocess.Popen(
            [sys.executable, str(DRIVER), "burst", str(workspace), EVALUATOR, str(round_)],
            stdout=subprocess.PIPE,
            text=True,
        )
        # One round in five is killed while it starts (loading, opening, creating the
        # sheet); the others at a random moment of the burst, after its first save.
        early = rng.random() < 0.2
        delay = rng.uniform(0.0, 0.4) if early else rng.uniform(0.0, 0.25)
        output = _kill_after(process, delay, in_burst=not early)
        acks = _acks(output)

        findings = Findings()
        record = SHEET.read(sheet, findings) if sheet.exists() else None
        if record is None:
            # Killed before the sheet was first created: then nothing was acknowledged.
            assert not sheet.exists() and not acks and known == 0, findings
            continue
        assert findings.ok, [str(f) for f in findings]
        assert check_chain(record.header, record.events) == []
        events = record.events
        for seq, digest in acks:
            assert events[seq - 1].hash == digest, f"round {round_}: save {seq} was lost"
        last_acknowledged = max([known, *(seq for seq, _ in acks)])
        assert last_acknowledged <= len(events) <= last_acknowledged + 1, (
            f"round {round_}: {len(events)} events on disk, {last_acknowledged} acknowledged"
        )
        kills_in_burst += not early
        known = len(events)

    assert known >= kills_in_burst > 0  # each burst round saved at least once
    # Whatever the kills left behind, the workspace is valid and the sheet opens for writing
    # (its lock was released by the OS, a half-written temporary file is cleaned up).
    assert main(["validate", str(workspace)]) == 0
    load_workspace(workspace)
    from bid_panel.core.session import ScoringSession

    with ScoringSession(load_workspace(workspace), EVALUATOR) as session:
        assert len(session.events) == known
    assert not list(sheet.parent.glob(".*.tmp"))
