"""Pausing the cyclic garbage collector during bursts of allocation.

Reading a 5 MB score sheet builds hundreds of thousands of objects that all live on, and
the robustness checks build millions of short-lived ones; each time the collector runs it
walks every object alive, so on a tender of 100,000 scores it spent more time than the
parsing itself (load 25 s with it, 11 s without, in benchmarks/run.py). Nothing built in
these bursts is cyclic, so reference counting frees what is not kept; the collector runs
again, as usual, afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector paused (a no-op when it already is)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
