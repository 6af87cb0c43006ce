"""A run held to the memory it declares (mem_mb, dudl.resources): `dudl run` stops itself, with a clear error and
no outputs, once its resident memory passes the declaration.

Why: Snakemake only schedules by mem_mb on a workstation, and a job that outgrows it makes the machine swap for
everyone; a SLURM cluster kills it (cgroups) with a bare "oom-kill" line. With this guard a job behaves the same
everywhere: it stops, says what it used and what it declared, and leaves nothing that looks like a result (the
runner writes outputs only when a run has finished). So at scale 1.0 no training job exceeds 4 GB unless its
declaration says so.

How: a daemon thread samples the resident memory of the process and its children (/proc, every 0.2 s). Over the
limit, it signals the main thread (SIGUSR2), whose handler raises MemoryLimitExceeded at the next Python line; a
run still going 10 s later (stuck in one long native call, or the error caught on its way) is ended with os._exit.
`DUDL_MEM_MB` overrides the limit (0 turns the guard off). Linux only (/proc); elsewhere it does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 0.0
POLL_S = 0.2
GRACE_S = 10.0


class MemoryLimitExceeded(RuntimeError):
    pass


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += [int(k) for k in task.read_text().split()]
        except OSError:  # the thread or process ended meanwhile
            pass
    return kids


def resident_mb(pid: int | None = None) -> float:
    """Resident memory of a process and its descendants (DataLoader workers, a compiler), in MB."""
    todo, total = [pid or os.getpid()], 0.0
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_MB
        except (OSError, IndexError, ValueError):
            continue
        todo += _children(p)
    return total


def limit_mb(declared: int) -> int:
    """The declared mem_mb, unless DUDL_MEM_MB says otherwise (0: no limit)."""
    override = os.environ.get("DUDL_MEM_MB", "").strip()
    if not override:
        return int(declared)
    if not override.isdigit():
        raise ValueError(f"DUDL_MEM_MB={override!r}: expected a whole number of MB (0 turns the memory guard off)")
    return int(override)


@contextmanager
def bounded(limit: int, what: str, hint: str = "") -> Iterator[None]:
    """Run the body with the process's memory held to `limit` MB (0: unbounded)."""
    usable = (limit > 0 and Path("/proc/self/statm").exists()
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    stop, done = threading.Event(), threading.Event()
    peak = {"mb": 0.0}

    def message() -> str:
        return (f"{what} used {peak['mb']:,.0f} MB, more than its limit of {limit:,} MB (mem_mb): stopped, "
                f"with no outputs written. {hint}").strip()

    def on_signal(signum, frame):
        if not done.is_set():  # a signal that arrives once the body has ended stops nothing
            raise MemoryLimitExceeded(message())

    def watch() -> None:
        while True:  # a first sample at once: a short run over its limit from the start is stopped too
            used = resident_mb()
            if used > limit:
                peak["mb"] = max(peak["mb"], used)
                os.kill(os.getpid(), signal.SIGUSR2)
                if not stop.wait(GRACE_S):  # the body has not ended: stuck in native code, or the error was caught
                    print(f"error: {message()} (ended by the guard)", file=sys.stderr, flush=True)
                    os._exit(1)
                return
            if stop.wait(POLL_S):
                return

    previous = signal.signal(signal.SIGUSR2, on_signal)
    watcher = threading.Thread(target=watch, name="dudl-memguard", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        stop.set()
        watcher.join()
        signal.signal(signal.SIGUSR2, previous)
