"""Two workarounds for Snakemake costs that this pipeline pays on a small machine: a scheduler bug, and a slow
config file loader.

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

`fast_configfile_loader()`: Snakemake reads a YAML config file through yte, whose `yaml.load` uses PyYAML's
pure-Python FullLoader: 0.17 s for our params.yaml on every `snakemake` call (and every job of a cluster run).
Unless the file asks for YTE templating (a top-level `__use_yte__` key), yte returns that document as it is, so
the same load with PyYAML's C FullLoader (libyaml; 0.02 s) gives the same config. A file that asks for YTE, a
JSON file, a file that fails to parse, or a PyYAML without libyaml goes to Snakemake's own loader, as before.
"""

from __future__ import annotations

import threading
from pathlib import Path

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


def fast_configfile_loader() -> bool:
    """Patch snakemake.common.configfile (what `configfile:` and `--configfile` read with); True where it applied."""
    try:
        import yaml
        from snakemake.common import configfile
    except ImportError:
        return False
    original = getattr(configfile, "_load_configfile", None)
    if not callable(original) or not hasattr(yaml, "CFullLoader") or getattr(original, "dudl_fast", False):
        return False

    def load(configpath_or_obj, filetype="Config"):
        if isinstance(configpath_or_obj, (str, Path)) and str(configpath_or_obj).endswith((".yaml", ".yml")):
            try:
                with open(configpath_or_obj, encoding="utf-8") as f:
                    doc = yaml.load(f, Loader=yaml.CFullLoader)  # noqa: S506 (yte's own loader, in C)
            except (OSError, yaml.YAMLError):
                doc = None  # Snakemake's loader says what is wrong, in its words
            if isinstance(doc, dict) and "__use_yte__" not in doc:
                return doc
        return original(configpath_or_obj, filetype)

    load.dudl_fast = True
    configfile._load_configfile = load
    return True
