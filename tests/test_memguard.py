"""A run held to its declared memory (dudl.memguard, issue 12's resource bounds): over the limit it stops with an
error naming what it used and its limit, and writes no outputs; the limit is the mem_mb Snakemake schedules by."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dudl import catalog, cli, memguard, resources
from conftest import ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the guard reads /proc (Linux only)")

GROW = """
import sys, time
import numpy as np
from dudl import memguard
memguard.GRACE_S = 1.0
held = []
limit = int(memguard.resident_mb()) + {headroom}
try:
    with memguard.bounded(limit, "the toy run", hint="(a hint)"):
        for _ in range(30):  # 20 MB a step, up to 600 MB
            held.append(np.ones(20 * 2**18))
            time.sleep(0.05)
        {after}
except memguard.MemoryLimitExceeded as exc:
    print("refused:", exc, "| held", len(held) * 20, "MB")
    sys.exit(3)
print("finished, held", len(held) * 20, "MB")
"""


def grow(headroom: int, after: str = "pass") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", GROW.format(headroom=headroom, after=after)], capture_output=True,
                          text=True, timeout=120)


def test_a_run_over_its_limit_is_stopped_with_what_it_used_and_its_limit():
    over = grow(headroom=150)
    assert over.returncode == 3, over.stderr
    assert "refused: the toy run used " in over.stdout and "MB (mem_mb): stopped, with no outputs written. (a hint)" \
        in over.stdout
    used = int(over.stdout.split(" used ")[1].split(" MB")[0].replace(",", ""))
    limit = int(over.stdout.split("its limit of ")[1].split(" MB")[0].replace(",", ""))
    held = int(over.stdout.split("| held ")[1].split(" MB")[0])
    assert used > limit and held < 600  # stopped on the way, not after the whole allocation
    under = grow(headroom=1500)
    assert under.returncode == 0 and "finished, held 600 MB" in under.stdout, under.stdout + under.stderr


SWALLOW = """
import time
import numpy as np
from dudl import memguard
memguard.GRACE_S = 1.0
held = []
with memguard.bounded(int(memguard.resident_mb()) + 150, "the toy run"):
    while True:
        try:
            held.append(np.ones(20 * 2**18))
            time.sleep(0.05)
        except memguard.MemoryLimitExceeded:  # a broad except on the way, or a long native call
            time.sleep(30)
print("finished")
"""


def test_a_run_that_swallows_the_error_is_ended_by_the_guard():
    ended = subprocess.run([sys.executable, "-c", SWALLOW], capture_output=True, text=True, timeout=120)
    assert ended.returncode == 1 and "finished" not in ended.stdout
    assert "error: the toy run used " in ended.stderr and "(ended by the guard)" in ended.stderr


def test_the_limit_is_the_declared_mem_mb_with_params_overrides_and_dudl_mem_mb(tmp_path, monkeypatch):
    exp = catalog.get("math/argmin")
    args = cli.build_parser().parse_args(["--root", str(tmp_path), "run", exp.id])
    sliced = {"scale": 1.0, "device": "cpu"}
    monkeypatch.delenv("DUDL_MEM_MB", raising=False)
    (tmp_path / "params.yaml").write_text("scale: 1.0\n")
    assert cli._memory_limit(args, exp, sliced) == exp.mem_mb == resources.resources_for(exp, {})["mem_mb"]
    (tmp_path / "params.yaml").write_text("resources:\n  math: {mem_mb: 3000}\n  math/argmin: {mem_mb: 5000}\n")
    assert cli._memory_limit(args, exp, sliced) == 5000
    monkeypatch.setenv("DUDL_MEM_MB", "0")
    assert cli._memory_limit(args, exp, sliced) == 0
    monkeypatch.setenv("DUDL_MEM_MB", "lots")
    with pytest.raises(ValueError, match="DUDL_MEM_MB='lots': expected a whole number of MB"):
        cli._memory_limit(args, exp, sliced)


def test_dudl_run_over_its_limit_fails_and_writes_nothing(tmp_path):
    """The whole command, as Snakemake and DVC call it: 60 MB is less than python and torch alone."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    dudl = Path(sys.executable).with_name("dudl")
    env = {**os.environ, "DUDL_MEM_MB": "60", "DUDL_WARM": "0"}
    out = subprocess.run([str(dudl), "--set", "scale=0.02", "run", "math/argmin"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1
    assert "error: math/argmin used " in out.stderr and "more than its limit of 60 MB (mem_mb)" in out.stderr
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("metrics.json"))
