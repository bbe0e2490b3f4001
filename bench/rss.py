"""Peak memory of the process now running, shared by the benchmarks' child processes."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` belongs to the program now running;
    ``getrusage``'s ``ru_maxrss`` survives ``exec`` on Linux, so a child forked from a big
    parent would report the parent's peak (the full ``bench/run.py`` had a 750 MB parent by
    the time the download group ran, and the downloader child "peaked" at 754 MB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
