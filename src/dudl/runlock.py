"""One writer per experiment output folder: `dudl run` and `dudl gather` hold an exclusive lock on it while they
run, so that a second run of the same experiment (a second Snakemake in another clone of the state, a `dvc repro`
beside a `snakemake`, a user's `dudl run`) is refused at once instead of racing the first one's files.

The lock is an flock on .dudl/locks/<folder>.lock: the kernel drops it when its holder exits, however it exits
(SIGKILL included), so a killed run never leaves a stale lock. What it does not cover: a tool that deletes
outputs before it starts the command (DVC removes a stage's outputs before running it, Snakemake a job's) acts
before the command can take the lock; each tool's own lock covers its own runs (README, "Concurrency")."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Iterator

LOCKS = Path(".dudl") / "locks"


class Busy(RuntimeError):
    """Another process is writing this experiment's outputs."""


@contextlib.contextmanager
def exclusive(out: Path, root: Path = Path(".")) -> Iterator[None]:
    try:
        name = out.resolve().relative_to(root.resolve())
    except ValueError:
        name = out.resolve()
    path = root / LOCKS / (str(name).strip("/").replace("/", "__") + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise Busy(f"{name} is being written by {holder}: this run stops without touching it. Wait for that "
                       "run to finish (or stop it), then run again.") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}\n")
        lock.flush()
        yield
