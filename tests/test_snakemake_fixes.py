"""dudl.snakemake_fixes: the scheduler keeps one pending wake-up timer, and Snakemake's loop runs about once per
finished job instead of once more a second for every job that has finished."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT
from dudl import snakemake_fixes


class _Scheduler:
    def __init__(self):
        self._open_jobs = threading.Semaphore(0)


def _wake_ups(scheduler: _Scheduler, wait: float) -> int:
    time.sleep(wait)
    count = 0
    while scheduler._open_jobs.acquire(blocking=False):
        count += 1
    return count


def test_one_wake_up_is_pending_at_a_time_and_the_next_can_follow_it():
    scheduler = _Scheduler()
    for _ in range(5):  # five passes of the loop (a finished job each) before the timer fires
        snakemake_fixes._schedule_reevaluation(scheduler, 0.05)
    assert _wake_ups(scheduler, 0.5) == 1
    snakemake_fixes._schedule_reevaluation(scheduler, 0.05)  # the pass that wake-up started schedules the next
    assert _wake_ups(scheduler, 0.5) == 1


def test_the_patch_applies_to_the_installed_snakemake_and_the_snakefile_applies_it():
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert snakemake_fixes.keep_one_reevaluation_timer()
    assert JobScheduler._schedule_reevalutation is snakemake_fixes._schedule_reevaluation
    assert re.search(r"^keep_one_reevaluation_timer\(\)$", (ROOT / "Snakefile").read_text(), re.M)


SNAKEFILE = """
import os
if os.environ.get("FIX"):
    from dudl.snakemake_fixes import keep_one_reevaluation_timer
    keep_one_reevaluation_timer()
rule all:
    input: expand("out/{i}.txt", i=range(24))
rule one:
    output: "out/{i}.txt"
    shell: "sleep 0.25; echo {wildcards.i} > {output}"
"""


def _passes(root: Path, fix: bool) -> int:
    """How often Snakemake's scheduling loop looked at the ready jobs in a run of 24 short jobs on 2 cores."""
    for leftover in ("out", ".snakemake"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    env = {**os.environ, "FIX": "1" if fix else ""}
    done = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--verbose", "all"], cwd=root, env=env,
                          capture_output=True, text=True, check=True)
    assert len(list((root / "out").iterdir())) == 24
    return len(re.findall(r"Ready jobs", done.stdout + done.stderr))


def test_snakemakes_loop_runs_about_once_a_finished_job_with_the_fix(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    with_fix, without = _passes(tmp_path, True), _passes(tmp_path, False)
    assert with_fix <= 24 + 10  # one a finished job, and one a second of the ~4-second run
    assert without > with_fix  # the chains pile up without it (this test fails once Snakemake fixes it upstream)


# ---------------------------------------------------------------- the config file loader

LOADER_CHECK = """
import json, sys, yaml
from snakemake.common import configfile
from snakemake_interface_common.exceptions import WorkflowError
from dudl import snakemake_fixes

def load_all():
    out = {}
    for path in sys.argv[1:]:
        try:
            out[path] = configfile.load_configfile(path)
        except WorkflowError as exc:
            out[path] = "WorkflowError: " + str(exc).splitlines()[0]
    return out

before = load_all()
applied = snakemake_fixes.fast_configfile_loader()
calls = []
yaml_load = yaml.load
yaml.load = lambda stream, Loader: calls.append(Loader.__name__) or yaml_load(stream, Loader)
after = load_all()
print(json.dumps({"applied": applied, "again": snakemake_fixes.fast_configfile_loader(), "same": before == after,
                  "after": after, "loaders": calls}, default=str))
"""


def test_the_fast_config_loader_gives_snakemakes_config_with_libyaml(tmp_path):
    """params.yaml loads to the same config through libyaml; a file that asks for YTE templating and a broken one
    still go through Snakemake's own loader (yte), with its result and its error."""
    import json

    templated = tmp_path / "templated.yaml"
    templated.write_text("__use_yte__: true\n?if 1 + 1 == 2:\n  two: ?1 + 1\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\nb: 3\n")
    done = subprocess.run([sys.executable, "-c", LOADER_CHECK, str(ROOT / "params.yaml"), str(templated), str(broken)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["applied"] is True and result["again"] is False and result["same"] is True
    assert result["after"][str(templated)] == {"two": 2}
    assert result["after"][str(broken)].startswith("WorkflowError: Config file is not valid JSON or YAML")
    assert result["after"][str(ROOT / "params.yaml")]["seed"] == 17
    # params.yaml by the C loader alone; the other two by it and then by yte's pure-Python one
    assert result["loaders"] == ["CFullLoader", "CFullLoader", "FullLoader", "CFullLoader", "FullLoader"]
