"""Progress bars (tqdm on stderr): one per long loop of a job; sparse when stderr is a log file. Torch-free, so
that the runner can offer them without importing the trainer."""

from __future__ import annotations

import os
import sys
from typing import Iterable

PROGRESS_ENV = "DUDL_PROGRESS"


def progress_enabled(default: bool = True) -> bool:
    value = os.environ.get(PROGRESS_ENV)
    return default if value is None else value.lower() not in ("0", "false", "no")


def progress(iterable: Iterable, desc: str = "", total: int | None = None, enabled: bool = True, leave: bool = False,
             initial: int = 0):
    from tqdm.auto import tqdm

    tty = sys.stderr.isatty()
    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=not (enabled and progress_enabled()),
                mininterval=0.5 if tty else 30.0, dynamic_ncols=tty, file=sys.stderr, initial=initial)
