"""Warm start (DUDL_WARM=1, src/dudl/warm.py): a job forked from a server that imported torch and seaborn must
give the bytes a fresh process gives, keep its exit code and streams, die with its client, and fall back to a
cold run where no server can be had."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import copy_config

QWERTIES = "ann/classify_qwerties"
DUDL = str(Path(sys.executable).parent / "dudl")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_config(tmp_path_factory.mktemp("warm_project"))


@pytest.fixture(scope="module")
def warm_dir(tmp_path_factory) -> Path:
    """One server for the module's tests; it is stopped at the end."""
    folder = tmp_path_factory.mktemp("warm_dir")
    yield folder
    for server in servers(folder):
        server.kill()


def env(warm_dir: Path | None, **extra) -> dict:
    base = {k: v for k, v in os.environ.items() if k != "DUDL_WARM"}
    if warm_dir is not None:
        base |= {"DUDL_WARM": "1", "DUDL_WARM_DIR": str(warm_dir), "DUDL_WARM_IDLE": "60"}
    return base | extra


def dudl(root: Path, warm_dir: Path | None, *args: str, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([DUDL, *args], cwd=root, env=env(warm_dir), capture_output=True, text=True, **popen)


def servers(warm_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "dudl.warm" in cmd and "serve" in cmd and any(str(warm_dir) in c for c in cmd):
            found.append(proc)
    return found


def outputs(root: Path) -> dict[str, bytes]:
    """What a run and its figures write, but its wall times and the model file (torch.save names its archive
    after the file's temporary name, so even two cold runs differ there)."""
    out = root / "results" / QWERTIES
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            and p.name not in ("model.pt", "timing.json")}


def test_a_warm_job_writes_the_bytes_of_a_cold_one(project, warm_dir):
    for warm in (None, warm_dir):
        for command in ("run", "figures"):
            done = dudl(project, warm, command, QWERTIES)
            assert done.returncode == 0, done.stderr
        if warm is None:
            cold = outputs(project)
            shutil.rmtree(project / "results")
    warm = outputs(project)
    assert "metrics.json" in warm and any(name.endswith(".png") for name in warm)
    assert warm.keys() == cold.keys()
    assert [n for n in warm if warm[n] != cold[n]] == []
    assert "running cold" not in done.stderr
    assert len(servers(warm_dir)) == 1


def test_a_warm_job_keeps_its_exit_code_and_streams(project, warm_dir, tmp_path):
    cold, warm = (dudl(project, w, "run", "no_such/experiment") for w in (None, warm_dir))
    assert cold.returncode != 0 and warm.returncode == cold.returncode
    assert "no_such/experiment" in cold.stderr and warm.stderr == cold.stderr
    listed = dudl(project, warm_dir, "list", "--ids")
    assert listed.returncode == 0 and QWERTIES in listed.stdout.split()
    # Redirected as Snakemake's `> {log} 2>&1` redirects, from another directory, with another environment.
    log = tmp_path / "job.log"
    with open(log, "w") as out:
        done = subprocess.run([DUDL, "--root", str(project), "list", "--ids"], cwd=tmp_path, stdout=out,
                              stderr=subprocess.STDOUT, env=env(warm_dir))
    assert done.returncode == 0 and QWERTIES in log.read_text().split()


def long_job(project: Path, warm_dir: Path) -> tuple[subprocess.Popen, psutil.Process]:
    """A run of a million epochs, and the forked process that runs it."""
    from dudl import params as P

    sliced = P.experiment_slice(P.load(project), "ann", "classify_qwerties")
    sliced["experiment"]["epochs"] = 1_000_000
    client = subprocess.Popen([DUDL, "run", QWERTIES, "--params-json", json.dumps(sliced)], cwd=project,
                              env=env(warm_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        jobs = [job for server in servers(warm_dir) for job in server.children()
                if job.is_running() and job.status() != psutil.STATUS_ZOMBIE]
        if jobs:
            return client, jobs[0]
        assert client.poll() is None, client.stderr.read().decode()
        time.sleep(0.2)
    raise AssertionError("no warm job started")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_a_killed_client_takes_its_job_with_it(project, warm_dir, how):
    client, job = long_job(project, warm_dir)
    client.send_signal(getattr(signal, how))
    assert client.wait(timeout=30) == -getattr(signal, how)  # dies of the signal, as a cold job would
    job.wait(timeout=30)  # raises TimeoutExpired if the job outlived its client
    assert not job.is_running()
    assert len(servers(warm_dir)) == 1  # and the server serves on
    assert dudl(project, warm_dir, "list", "--ids").returncode == 0


def test_without_a_server_the_job_runs_cold(project, tmp_path):
    shared = tmp_path / "open"
    (shared / f"dudl-warm-{os.getuid()}").mkdir(parents=True, mode=0o777)
    os.chmod(shared / f"dudl-warm-{os.getuid()}", 0o777)  # others could plant a socket: refused
    done = dudl(project, shared, "list", "--ids")
    assert done.returncode == 0 and QWERTIES in done.stdout.split()
    assert "running cold" in done.stderr and "not private" in done.stderr
    assert servers(shared) == []


def test_clients_starting_together_start_one_server(project, tmp_path):
    clients = [subprocess.Popen([DUDL, "list", "--ids"], cwd=project, env=env(tmp_path), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for _ in range(3)]
    try:
        assert [c.wait(timeout=300) for c in clients] == [0, 0, 0]
        assert all("running cold" not in c.stderr.read().decode() for c in clients)
        assert len(servers(tmp_path)) == 1
        log = next((tmp_path / f"dudl-warm-{os.getuid()}").glob("*.log")).read_text()
        assert log.count("serving on") == 1
    finally:
        for server in servers(tmp_path):
            server.kill()
