"""Help for code that builds many objects at once (loading 10,000 watched tasks).

Python's cyclic garbage collector runs after every few hundred new container objects and,
every so often, walks every object alive. Building 10,000 entries (about 100,000 objects)
therefore walks the growing heap again and again for nothing: none of it is garbage.
Pausing the collector for the build cut loading a 10,000-task list and its poller from
0.18 to 0.135 s (bench/dashboard_bench.py start-up figures).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FREEZE_AFTER = 20_000
"""A build that leaves at least this many new objects for the collector is frozen at its
end (``gc.freeze``). Everything built while the collector was off is still in its youngest
generation: the first young collection after the pause walked all of it (14 ms at 10,000
tasks) and the next generation-1 pass walked it again (20 ms), both before the first frame
of a start (bench/run.py ``startup_cold_ratio_10k``). Frozen, it is left out of every pass;
reference counting still frees it as usual. The dashboard thaws everything on exit
(``KlingApp.run_async``); a small build (a test's few tasks) is never frozen."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk build; restores what it was.

    Reference counting still frees everything acyclic meanwhile; cycles made during the
    pause are collected after it (unless the build was big enough to be frozen, see
    :data:`FREEZE_AFTER`: then a cycle alive at its end waits for ``gc.unfreeze``). If
    another thread pauses too, the collector is back on once the first of them ends, which
    is harmless.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] >= FREEZE_AFTER:
                gc.freeze()
            gc.enable()
