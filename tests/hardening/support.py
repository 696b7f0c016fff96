"""Helpers shared by the hardening tests: a snapshot of a folder tree, the minimal workspace."""

from __future__ import annotations

import hashlib
import shutil
import stat
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
MINIMAL_WORKSPACE = DATA / "minimal-workspace"
"""A small valid workspace (tender, panel, two bids) that hostile files are dropped into."""
HOSTILE = DATA / "hostile"
IN_WORKSPACE = HOSTILE / "in-workspace"


def tree_snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `root` (hidden ones too) with its kind, size, mtime and content hash:
    equal snapshots before and after a command mean it wrote, created and deleted nothing."""
    out: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        key = str(path.relative_to(root))
        if stat.S_ISLNK(info.st_mode):
            out[key] = ("link", str(path.readlink()))
        elif stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[key] = ("file", info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode), digest)
        elif stat.S_ISDIR(info.st_mode):
            out[key] = ("dir", stat.S_IMODE(info.st_mode))
        else:
            out[key] = ("other", stat.S_IFMT(info.st_mode), info.st_mtime_ns)
    return out


def minimal_workspace(target: Path) -> Path:
    """A private copy of the minimal workspace at `target`."""
    shutil.copytree(MINIMAL_WORKSPACE, target)
    return target


def place(case: Path, workspace: Path) -> Path:
    """Where an in-workspace corpus file goes: `tender--*` and `panel--*` replace the tender
    and the panel; `bid--CASE--NAME.yaml` becomes bids/NAME.yaml and `sheet--CASE--NAME.yaml`
    sheets/NAME.yaml (the name matters: a sheet is named after its evaluator)."""
    kind, _, rest = case.name.partition("--")
    name = rest.rpartition("--")[2]
    target = {
        "tender": workspace / "tender.yaml",
        "panel": workspace / "panel.yaml",
        "bid": workspace / "bids" / name,
        "sheet": workspace / "sheets" / name,
    }[kind]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(case, target)
    return target
