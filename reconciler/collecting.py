"""Fewer garbage-collection passes in a run: reading 10,000 meeting files and calendars builds millions of
small objects, almost none in reference cycles, and with the default thresholds the collector walked the
ever-growing heap some 1,400 times in one plan (1.8 s, with every thread stopped). What was there before the
run (the imported modules) is set aside for good, and a pass starts every 50,000 allocations, not 700."""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 20)


def fewer_collections() -> None:
    """For a process about to build a large state: the CLI, and each process that reads files for it."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def collected_enough() -> None:
    """At the end of a run: the exit's own collection would walk the whole heap once more (half a second
    after a big plan) to free what the process's end frees anyway."""
    gc.freeze()
