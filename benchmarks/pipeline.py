"""Time load + verify + consolidate + export (CSV and JSON) of a workspace, or only the
plain parse of the same files (run by run.py, each in a fresh process). Prints JSON.

    python benchmarks/pipeline.py full WORKSPACE OUT_DIR
    python benchmarks/pipeline.py parse WORKSPACE
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def peak_mb() -> int:
    """This process's peak resident memory in MB: Linux's VmHWM, which starts afresh at
    exec. Not getrusage's ru_maxrss there: that keeps the high-water mark of the process
    that forked us (run.py, grown large by the in-process moves of (c)) across the exec."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB; bytes on macOS
    return peak // (1024 * 1024) if sys.platform == "darwin" else peak // 1024


def parse_only(root: Path) -> dict[str, float]:
    """The fastest plain parsers for the formats: yaml.CSafeLoader (libyaml) and json."""
    import yaml

    start = time.perf_counter()
    for path in sorted(root.rglob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    for path in sorted(root.rglob("*.json")):
        json.loads(path.read_text(encoding="utf-8"))
    return {"parse": time.perf_counter() - start}


def full(root: Path, out: Path) -> dict[str, float]:
    start = time.perf_counter()
    from bid_panel.core.evaluation import evaluate
    from bid_panel.core.exports import export
    from bid_panel.core.verify import verify_workspace
    from bid_panel.core.workspace import load_workspace

    imported = time.perf_counter()
    workspace = load_workspace(root)
    loaded = time.perf_counter()
    report = verify_workspace(root)
    if not report.ok:
        raise SystemExit("the benchmark tender does not verify:\n" + report.text())
    verified = time.perf_counter()
    results = evaluate(workspace)
    if not results.final:
        raise SystemExit(f"results are provisional: {results.provisional_reasons}")
    consolidated = time.perf_counter()
    written = export(workspace, ["csv", "json"], out, datetime(2026, 10, 21, 12, tzinfo=UTC))
    exported = time.perf_counter()
    return {
        "import": imported - start,
        "load": loaded - imported,
        "verify": verified - loaded,
        "consolidate": consolidated - verified,
        "export": exported - consolidated,
        "total": exported - imported,
        "files": len(written),
    }


if __name__ == "__main__":
    if sys.argv[1] == "parse":
        figures = parse_only(Path(sys.argv[2]))
    else:
        figures = full(Path(sys.argv[2]), Path(sys.argv[3]))
    figures["peak_mb"] = peak_mb()
    print(json.dumps(figures))
