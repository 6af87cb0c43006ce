"""SLURM for real: a single-node cluster on this machine (tools/slurm_localhost.sh: munged, slurmctld, slurmd),
one small section through `snakemake --profile profiles/slurm`, the same metrics as a local run, and each job's
resources (threads, mem_mb, runtime) in its sbatch call. Needs root, Debian's slurm-wlm and munge, and
snakemake-executor-plugin-slurm (the test extra); .ci/run installs the first two. Marked `slurm`:
`pytest -m "not slurm"` leaves it out."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from dudl import catalog, resources
from dudl import params as P
from conftest import ROOT
from integration import all_metrics, copy_project, needs_mirror, snakemake

pytestmark = [pytest.mark.integration, pytest.mark.slurm, pytest.mark.timeout(900)]
needs_mirror()

SECTION = "gradient_descent"  # five experiments, no data to fetch
SCRIPT = ROOT / "tools" / "slurm_localhost.sh"
# Where accounting is off (here), job states come from squeue; and a job's first state check need not wait 40 s.
SLURM_FLAGS = ["--slurm-status-command", "squeue", "--slurm-no-account", "--slurm-init-seconds-before-status-checks",
               "2", "--verbose"]
OVERRIDE = {f"{SECTION}/gd_1d": {"mem_mb": 1500, "runtime": 7}}


@pytest.fixture(scope="module")
def cluster():
    missing = [t for t in ("munged", "slurmctld", "slurmd", "sbatch") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"no {', '.join(missing)}: apt-get install slurm-wlm munge (as .ci/run does)")
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="pip install snakemake-executor-plugin-slurm")
    started = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True)
    if started.returncode == 3:  # not root, or a slurm.conf that is not ours: nothing was touched
        pytest.skip(started.stderr.strip())
    assert started.returncode == 0, started.stdout + started.stderr
    yield
    subprocess.run([str(SCRIPT), "stop"], capture_output=True)


def _targets() -> list[str]:
    """The section's run jobs: one wave of five SLURM jobs (their figure jobs would be a second wave)."""
    return [str(e.out_dir / "metrics.json") for e in catalog.EXPERIMENTS if e.section == SECTION]


def test_a_section_through_the_slurm_profile_equals_a_local_run(cluster, tmp_path):
    for name in ("local", "slurm"):
        (tmp_path / name).mkdir()
    local, remote = copy_project(tmp_path / "local"), copy_project(tmp_path / "slurm")
    params = yaml.safe_load((remote / "params.yaml").read_text())
    params["resources"] = OVERRIDE
    (remote / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    snakemake(local, "--cores", "2", *_targets())
    done = snakemake(remote, "--profile", "profiles/slurm", *SLURM_FLAGS, *_targets())
    ids = [e.id for e in catalog.EXPERIMENTS if e.section == SECTION]
    assert all_metrics(remote, ids) == all_metrics(local, ids)
    for exp_id in ids:
        assert all((remote / p).exists() for p in catalog.get(exp_id).run_outputs())

    calls = {m.group(1): m.group(0) for m in re.finditer(r"sbatch call: .*?--comment rule_(\S+).*", done.stderr)}
    assert set(calls) >= {e.slug for e in catalog.EXPERIMENTS if e.section == SECTION}, calls.keys()
    config = P.load(remote)
    for exp in catalog.EXPERIMENTS:
        if exp.section == SECTION:
            res = resources.resources_for(exp, config)
            call = calls[exp.slug]
            assert f"-t {res['runtime']} " in call and f"--mem {res['mem_mb']} " in call, call
            assert f"--cpus-per-task={res['threads']}" in call, call
    assert "-t 7 " in calls[f"{SECTION}__gd_1d"] and "--mem 1500 " in calls[f"{SECTION}__gd_1d"]
