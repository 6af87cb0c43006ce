"""A workaround for a Snakemake scheduler bug that costs this pipeline a large share of a small machine.

Snakemake's job-rate limiter (`--max-jobs-per-timespan`, on by default at 100/1s) ends every pass of the
scheduling loop by starting a timer that wakes the loop again one timespan later. Each finished job wakes the loop
too, and that pass starts a timer of its own, so every finished job adds one more timer chain that never stops:
after 150 of the quick run's 361 jobs, 74 timers were waking the loop, and each pass stats every input file of
the ready jobs (about 30 source files each, the exact code dependencies). The Snakemake process then held half a
core of this 2-core machine, 13 CPU minutes of a 29-minute run (measured with py-spy). Upstream:
https://github.com/snakemake/snakemake/pull/3744 ("the main loop is being rerun by the scheduler before the
specified wait time has elapsed").

`keep_one_reevaluation_timer()` keeps at most one such timer pending: the loop still wakes one timespan after a
pass (so a rate-limited run goes on submitting, as before) and on every finished job, but the chains no longer
pile up. Nothing else about scheduling changes. The Snakefile applies it; where Snakemake's internals differ
(another version), it does nothing.
"""

from __future__ import annotations

import threading

PENDING = "_dudl_reevaluation_pending"


def _schedule_reevaluation(scheduler, delay) -> None:
    """Wake the scheduling loop after `delay` seconds, unless a wake-up is already pending."""
    if getattr(scheduler, PENDING, False):
        return
    setattr(scheduler, PENDING, True)

    def wake() -> None:
        setattr(scheduler, PENDING, False)  # before the release: the pass it wakes may need a timer of its own
        scheduler._open_jobs.release()

    timer = threading.Timer(delay, wake)
    timer.daemon = True  # Snakemake need not wait for a pending wake-up before it exits
    timer.start()


def keep_one_reevaluation_timer() -> bool:
    """Patch Snakemake's JobScheduler; True where it applied."""
    try:
        from snakemake.scheduling.job_scheduler import JobScheduler
    except ImportError:
        return False
    if not callable(getattr(JobScheduler, "_schedule_reevalutation", None)):  # sic: Snakemake's spelling
        return False
    JobScheduler._schedule_reevalutation = _schedule_reevaluation
    return True
