"""bid_panel's performance goals, measured in one run (by hand; never in the test suite).

    python benchmarks/run.py [--workdir DIR] [--repeat 7] [--moves 120]

Builds the bundled sample (with its submitted scores) and a synthetic 300 bids x 40
criteria x 9 evaluators tender (benchmarks/generate.py; kept in --workdir, when given, and
reused on the next run), then prints, with the goals:

(a) startup to the first frame of the scoring screen on the sample (`bid-panel score --as`,
    through the CLI and its checks), against a bare Textual app showing one label: each a
    fresh headless process, from its start to the frame; median of --repeat; and, for the
    record, to the first frame with the sheet open on the scoring desk;
(b) load + verify + consolidate + export (CSV and JSON) of the large tender, against only
    parsing the same files with yaml.CSafeLoader; each in a fresh process;
(c) moving between items (n/p in the scoring screen, the arrow keys in the moderation matrix)
    on the large tender against the sample: Pilot, in this process, median per move;
(d) peak memory (VmHWM) of (b) on the large tender, and of opening its scoring screen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate, members, write_keys  # noqa: E402

SAMPLE_EVALUATOR = "amara-okafor"
SAMPLE_MODERATOR = "fiona-marsh"
LARGE = {"bids": 300, "criteria": 40, "evaluators": 9}
LARGE_EVALUATOR = "quality-01"
LARGE_MODERATOR = "moderator"


def run_json(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=3600
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_process(*args: str) -> tuple[float, int]:
    """Seconds from starting a first_frame.py process to its frame (it prints the frame's
    wall-clock time), and its peak memory in MB (printed last)."""
    start = time.time()
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    frame_at, peak_mb = done.stdout.strip().splitlines()[-2:]
    return float(frame_at) - start, int(peak_mb)


# --------------------------------------------------------------------------- (c)


async def per_move(root: Path, who: str, mode: str, keys: list[str]) -> float:
    """Median seconds per key press that moves to another item, with the screen redrawn."""
    from bid_panel.tui.app import create_app

    app = create_app(root, who, mode=mode)
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        while mode == "score" and getattr(app.screen, "desk", None) is None:
            await pilot.pause()  # `--as`: the sheet opens just after the first frame
        expected = "ScoringScreen" if mode == "score" else "ModerationMatrixScreen"
        if type(app.screen).__name__ != expected:
            raise SystemExit(f"{mode}: on {type(app.screen).__name__}, not {expected}")
        for key in keys:
            start = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            times.append(time.perf_counter() - start)
    return statistics.median(times[5:] or times)


def move_keys(mode: str, moves: int) -> list[str]:
    # The same walk on both tenders (it fits in the sample's 5 bids x 7 criteria).
    cycle = ["n"] * 8 + ["p"] * 8 if mode == "score" else ["down"] * 4 + ["right"] * 4
    cycle += [] if mode == "score" else ["up"] * 4 + ["left"] * 4
    return (cycle * (moves // len(cycle) + 1))[:moves]


# --------------------------------------------------------------------------- (a)


def compile_package() -> None:
    import bid_panel

    package = Path(bid_panel.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


# --------------------------------------------------------------------------- report


def verdict(value: float, goal: float) -> str:
    return "meets" if value <= goal else "MISSES"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="keep the generated tender here and reuse it")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each startup (median)")
    parser.add_argument("--moves", type=int, default=120, help="key presses per screen")
    args = parser.parse_args()

    from bid_panel.core.sample import init_workspace

    scratch = Path(tempfile.mkdtemp(prefix="bid-panel-bench-"))
    workdir = args.workdir or scratch
    workdir.mkdir(parents=True, exist_ok=True)
    sample = workdir / "sample"
    if not (sample / "tender.yaml").exists():
        shutil.rmtree(sample, ignore_errors=True)
        init_workspace(sample, with_sample_scores=True)
    large = workdir / "large-{bids}x{criteria}x{evaluators}".format(**LARGE)
    if not (large / "moderation.yaml").exists():
        shutil.rmtree(large, ignore_errors=True)
        print(f"generating {large} ...", file=sys.stderr)
        generate(large, **LARGE)
    # The large tender's sheets open only for the holders of their keys (as on a real panel).
    config = workdir / "config"
    write_keys(config, members(LARGE["evaluators"]))
    os.environ["BID_PANEL_CONFIG_DIR"] = str(config)
    os.environ["BID_PANEL_DATA_DIR"] = str(workdir / "data")
    rows: list[tuple[str, str, str, str]] = []

    # (a) startup. Textual in site-packages was compiled to bytecode when pip installed it;
    # an editable install of bid_panel is compiled on first import, and not kept at all
    # where PYTHONDONTWRITEBYTECODE is set (as on our CI machines): compile it as an
    # install would, or the comparison times the compiler, not the start.
    compile_package()
    frame = str(HERE / "first_frame.py")
    bare, ours, ready = [], [], []
    for _ in range(args.repeat):
        bare.append(timed_process(frame, "bare")[0])
        ours.append(timed_process(frame, "scoring", str(sample), SAMPLE_EVALUATOR)[0])
        ready.append(timed_process(frame, "scoring-ready", str(sample), SAMPLE_EVALUATOR)[0])
    a = statistics.median(ours) / statistics.median(bare)
    rows.append(
        (
            "(a) `bid-panel score --as`: startup to the scoring screen's first frame, "
            "sample vs bare Textual app",
            f"{statistics.median(ours):.3f} s vs {statistics.median(bare):.3f} s = {a:.2f}x",
            "<= 1.3x",
            verdict(a, 1.3),
        )
    )
    a_ready = statistics.median(ready) / statistics.median(bare)
    rows.append(
        (
            "(a) the same, to the first frame with the sheet open (desk drawn)",
            f"{statistics.median(ready):.3f} s = {a_ready:.2f}x",
            "(none)",
            "for the record",
        )
    )

    # (b) + (d) the pipeline
    parse = run_json(str(HERE / "pipeline.py"), "parse", str(large))
    out = scratch / "exports"
    full = run_json(str(HERE / "pipeline.py"), "full", str(large), str(out))
    b = full["total"] / parse["parse"]
    steps = ", ".join(f"{k} {full[k]:.1f}" for k in ("load", "verify", "consolidate", "export"))
    rows.append(
        (
            "(b) load+verify+consolidate+export CSV/JSON, 300x40x9, vs CSafeLoader parse",
            f"{full['total']:.1f} s ({steps}) vs {parse['parse']:.1f} s = {b:.2f}x",
            "<= 2x",
            verdict(b, 2.0),
        )
    )

    # (c) moving between items
    for mode, who_small, who_large, name in (
        ("score", SAMPLE_EVALUATOR, LARGE_EVALUATOR, "scoring screen (n/p)"),
        ("moderate", SAMPLE_MODERATOR, LARGE_MODERATOR, "moderation matrix (arrows)"),
    ):
        keys = move_keys(mode, args.moves)
        small = asyncio.run(per_move(sample, who_small, mode, keys))
        big = asyncio.run(per_move(large, who_large, mode, keys))
        c = big / small
        rows.append(
            (
                f"(c) one move in the {name}, 300 bids vs sample",
                f"{big * 1000:.1f} ms vs {small * 1000:.1f} ms = {c:.2f}x",
                "<= 1.5x",
                verdict(c, 1.5),
            )
        )

    # (d) peak memory
    opened, opened_mb = timed_process(frame, "scoring-ready", str(large), LARGE_EVALUATOR)
    rows.append(
        (
            "(d) peak memory of (b) on 300x40x9 (VmHWM)",
            f"{full['peak_mb']} MB",
            "< 300 MB",
            verdict(full["peak_mb"], 299),
        )
    )
    rows.append(
        (
            "(d) peak memory opening its scoring screen (VmHWM)",
            f"{opened_mb} MB ({opened:.1f} s to the sheet open on the desk)",
            "< 300 MB",
            verdict(opened_mb, 299),
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  result  |  goal  |  verdict")
    for measure, result, goal, ok in rows:
        print(f"{measure:<{width}}  {result}  |  {goal}  |  {ok}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
