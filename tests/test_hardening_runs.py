"""Hardening of runs (issue 12): one writer per experiment at a time (dudl.runlock) beside Snakemake's own lock,
a killed run that leaves nothing that looks valid, every rule's memory and time declared, and a GPU run marked
as not bit-comparable with the CPU."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from dudl import params as P
from dudl import runner
from integration import copy_project, env, lock_holder, needs_mirror, set_param, snakemake

QWERTIES = "ann/classify_qwerties"
OUT = Path("results/ann/classify_qwerties")
DUDL = str(Path(sys.executable).parent / "dudl")
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    needs_mirror()
    root = copy_project(tmp_path_factory.mktemp("runs"))
    set_param(root, "scale", "1.0")  # epochs as given: the smoke scale would shrink the long runs below
    return root


def long_params(project: Path, epochs: int) -> str:
    sliced = P.experiment_slice(P.load(project), "ann", "classify_qwerties")
    sliced["experiment"]["epochs"] = epochs
    return json.dumps(sliced)


def lock(project: Path) -> Path:
    return project / ".dudl" / "locks" / "results__ann__classify_qwerties.lock"


def wait_until_running(project: Path, first: subprocess.Popen, timeout: float = 300) -> int:
    """Until the first run holds its experiment's lock (its start-up done, its training under way): its pid."""
    deadline = time.monotonic() + timeout
    while (pid := lock_holder(lock(project))) is None:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run never started training"
        time.sleep(0.1)
    return pid


def test_a_second_writer_of_an_experiment_is_refused_and_the_first_finishes(project):
    """A second `snakemake` in the same project (Snakemake's lock) and a second `dudl run` of the same experiment
    (what a `dvc repro` beside a `snakemake` runs: our lock) are refused while the first writes; the first's
    outputs come out whole; a params change made meanwhile is picked up by the next run."""
    (project / OUT).mkdir(parents=True, exist_ok=True)
    set_param(project, "ann.classify_qwerties.epochs", "30000")  # 12 s here alone, 30 s in CI; the refusals 5-10 s
    target = str(OUT / "metrics.json")
    first = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1", target], cwd=project, env=env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_running(project, first)
        second, other = (subprocess.Popen(cmd, cwd=project, env=env(), stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)
                         for cmd in ([sys.executable, "-m", "snakemake", "--cores", "1", target], [DUDL, "run", QWERTIES]))
        (second_out, _), (other_out, _) = second.communicate(timeout=300), other.communicate(timeout=300)
        assert first.poll() is None, "the refusals must come while the first still runs"
        assert second.returncode != 0 and "cannot be locked" in second_out
        assert other.returncode == 1, other_out
        assert "results/ann/classify_qwerties is being written by pid" in other_out
        set_param(project, "ann.classify_qwerties.lr", "0.02")  # a params change while it runs
        out, _ = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, out[-3000:]
    metrics = json.loads((project / OUT / "metrics.json").read_text())
    assert metrics["meta"]["seed"] > 0 and "accuracy" in metrics["metrics"]
    # The run kept the params it started with; the change is picked up by the next run.
    planned = snakemake(project, "-n", str(OUT / "metrics.json")).stdout
    reason = re.search(r"(?:local)?rule ann__classify_qwerties:.*?reason: ([^\n]*)", planned, re.S)
    assert reason and "params have changed" in reason.group(1).lower(), planned


def test_a_run_killed_with_sigkill_leaves_no_outputs_and_no_stale_lock(project):
    """Nothing half-written that looks valid; the lock dies with its holder, so the next run goes through."""
    (project / OUT).mkdir(parents=True, exist_ok=True)  # so that the test stands alone too (`-k killed`)
    for name in ("metrics.json", "summary.csv", "model.pt"):
        (project / OUT / name).unlink(missing_ok=True)
    run = subprocess.Popen([DUDL, "run", QWERTIES, "--params-json", long_params(project, 1_000_000)], cwd=project,
                           env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        job = psutil.Process(wait_until_running(project, run))  # the process that trains: the client, or warm
        time.sleep(1.0)
        job.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()  # and a warm job dies with its client
    assert run.returncode != 0
    left = sorted(p.name for p in (project / OUT).iterdir() if p.is_file())
    assert not {"metrics.json", "summary.csv", "model.pt"} & set(left), left
    assert not [p for p in (project / OUT).rglob(".*")], "a temporary file was left"  # atomic_write's .<name>.*
    again = subprocess.run([DUDL, "run", QWERTIES, "--params-json", long_params(project, 50)], cwd=project,
                           env=env(), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert json.loads((project / OUT / "metrics.json").read_text())["metrics"]


def test_a_rule_that_does_not_declare_its_memory_and_time_is_refused(project):
    rules = project / "workflow" / "rules" / "report.smk"
    original = rules.read_text()
    rules.write_text(original + '\nrule careless:\n    output: "x.txt"\n    shell: "touch {output}"\n')
    try:
        done = snakemake(project, "-n", check=False)
    finally:
        rules.write_text(original)
    assert done.returncode != 0 and "rules without mem_mb and runtime: careless" in done.stdout + done.stderr
    assert snakemake(project, "-n", "--quiet").returncode == 0


def test_a_gpu_run_records_that_it_is_not_bit_comparable_with_the_cpu():
    import torch

    def meta(device: str) -> dict:
        ctx = SimpleNamespace(seed=1, scale=SimpleNamespace(factor=1.0), device=torch.device(device), threads=1,
                              precision="fp32", fast_kernels=False)
        return runner.provenance(ctx, {})

    assert meta("cuda")["bit_comparable_with_cpu"] is False
    assert "bit_comparable_with_cpu" not in meta("cpu")  # kept out of every CPU run's metrics.json
