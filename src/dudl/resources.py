"""Scheduling: each experiment's threads, memory, runtime and GPU (declared in the catalog, overridable under
`resources` in params.yaml), its time at scale 1.0 on a CPU (measured where we have run it, estimated
otherwise), and which experiments are GPU-scale: estimated at over 2 hours on a CPU. Without CUDA the default
target leaves those out (results/index.csv says so, with the estimate and the override); with CUDA they run.

Torch-free: the Snakefile and `dudl list` use it at parse time. CUDA is detected through the driver library
(libcuda), the way torch finds it, without importing torch.
"""

from __future__ import annotations

import csv
import ctypes
import functools
import math
from pathlib import Path
from typing import Any, Mapping

from dudl import catalog

CPU_TIMES = Path(__file__).resolve().parent / "catalog" / "cpu_times.csv"
GPU_SCALE_SECONDS = 2 * 3600  # over this on a CPU at scale 1.0: a GPU-scale experiment
WARN_SECONDS = 3600  # a run whose total estimate exceeds this says so before it starts
DEFAULT_MINUTES = 1.0  # the estimate of an experiment that declares none and was never measured
FORCE = "gpu_scale_on_cpu=true"
# A sweep is split into one Snakemake job a point only where a point is estimated at more than this (params.yaml's
# split_sweeps_above_s), "more than a few seconds": each job pays about 5 s to start (python, torch, the data),
# more than a point's work at the smoke scale, where 87 of the run's 361 jobs were such points. At scale 1.0 every
# sweep's points are longer, and each still runs as a job of its own.
SPLIT_SECONDS = 10.0
# What the jobs that are not experiment runs declare (mem_mb, runtime in minutes). In a scale-1.0 run's benchmark
# files a figures job peaked at about 190 MB and the fetch, prepare and index jobs under 100 MB; the margins are
# for the largest datasets (CelebA's 200,000 images are read whole by its prepare) and a slow upstream download.
JOBS = {"fetch": {"mem_mb": 1000, "runtime": 60}, "prepare": {"mem_mb": 4000, "runtime": 30},
        "figures": {"mem_mb": 1000, "runtime": 10}, "index": {"mem_mb": 1000, "runtime": 10}}
DECLARED = ("mem_mb", "runtime")  # every rule that runs a command declares these: tests hold jobs to them


def undeclared(rules) -> list[str]:
    """The Snakemake rules that run something but do not declare each resource of DECLARED."""
    return sorted(r.name for r in rules if not r.norun and not set(DECLARED) <= set(r.resources))


def peak_memory(project: Path, config: Mapping[str, Any]) -> list[tuple[Path, float, int]]:
    """(benchmark file, the job's peak resident memory in MB, the mem_mb it declares) for each job of a run
    (Snakemake's benchmark files under logs/benchmarks; a cold run's: a warm one measures only each client)."""
    rows = []
    for bench in sorted((project / "logs" / "benchmarks").rglob("*.tsv")):
        lines = bench.read_text().splitlines()
        if len(lines) > 1:
            rows.append((bench, float(lines[1].split("\t")[2]), declared_mem_mb(bench, config)))  # max_rss
    return rows


def declared_mem_mb(benchmark: Path, config: Mapping[str, Any]) -> int:
    """The mem_mb declared for the job whose Snakemake benchmark file this is (logs/benchmarks/...): an
    experiment's run, point or gather job (its catalog declaration), its figures, a fetch or prepare, the index."""
    parts = benchmark.with_suffix("").parts
    parts = parts[parts.index("benchmarks") + 1:]
    if parts[0] == "seeds":
        parts = parts[2:]
    if parts[0] == "data":
        return JOBS[parts[1].split("_")[0]]["mem_mb"]
    if len(parts) == 1:
        return JOBS["index"]["mem_mb"]
    if parts[-1] == "figures":
        return JOBS["figures"]["mem_mb"]
    return resources_for(catalog.get(f"{parts[0]}/{parts[1]}"), config)["mem_mb"]


@functools.lru_cache(maxsize=1)
def measured() -> dict[str, dict[float, float]]:
    """{experiment id: {scale: seconds}}: job-seconds of its run (and sweep-point) jobs, from Snakemake's
    benchmark files of a full run on our 2-core machine (tools/measure_times.py writes catalog/cpu_times.csv)."""
    table: dict[str, dict[float, float]] = {}
    if CPU_TIMES.exists():
        with open(CPU_TIMES, newline="") as fh:
            for row in csv.DictReader(row for row in fh if not row.startswith("#")):
                table.setdefault(row["experiment"], {})[float(row["scale"])] = float(row["seconds"])
    return table


def cpu_seconds(exp: catalog.Experiment, scale: float = 1.0) -> tuple[float, str]:
    """(seconds, "measured" | "estimated") for a run at `scale` on a 2-core CPU. Between two measured scales
    (1.0 and 0.1) time is interpolated as a power law in scale; otherwise it is taken as proportional to scale
    (scale shrinks epochs, and often grids and data too, so this errs on the long side)."""
    times = measured().get(exp.id, {})
    if scale in times:
        return times[scale], "measured"
    if len(times) >= 2:
        items = sorted(times.items())
        (s0, t0), (s1, t1) = items[0], items[-1]
        if s0 != s1 and t0 > 0 and t1 > 0:
            power = math.log(t1 / t0) / math.log(s1 / s0)
            return t1 * (scale / s1) ** power, "measured"
    if 1.0 in times:
        return times[1.0] * scale, "measured"
    minutes = exp.cpu_minutes if exp.cpu_minutes is not None else DEFAULT_MINUTES
    return minutes * 60 * scale, "estimated"


def split_points(exp: catalog.Experiment, config: Mapping[str, Any]) -> list:
    """The sweep points Snakemake runs as jobs of their own: every point of a sweep whose points are each
    estimated at more than `split_sweeps_above_s` seconds at this scale (0: every sweep), else none, and the run
    job runs the whole sweep in one process as `dudl run` and DVC do. The files are the same either way (seeds
    derive from point names; tests/test_runner.py and tests/test_integration.py check both)."""
    from dudl.params import Scale

    scale = float(config.get("scale", 1.0))
    values = exp.point_values(config[exp.section][exp.name], Scale(scale))
    if not values:
        return []
    threshold = float(config.get("split_sweeps_above_s", SPLIT_SECONDS))
    return values if cpu_seconds(exp, scale)[0] / len(values) > threshold else []


def is_gpu_scale(exp: catalog.Experiment) -> bool:
    return cpu_seconds(exp, 1.0)[0] > GPU_SCALE_SECONDS


def resources_for(exp: catalog.Experiment, config: Mapping[str, Any]) -> dict[str, int]:
    """threads, mem_mb, runtime (minutes) and gpu for the experiment's jobs: the catalog's declaration, then the
    section's and the experiment's overrides under `resources` in params.yaml."""
    seconds, _ = cpu_seconds(exp, float(config.get("scale", 1.0)))
    out = {"threads": exp.threads, "mem_mb": exp.mem_mb,
           "runtime": exp.runtime or max(10, math.ceil(3 * seconds / 60)),  # room for a slower node
           "gpu": exp.gpu}
    overrides = config.get("resources") or {}
    for key in (exp.section, exp.id):
        out.update({k: v for k, v in (overrides.get(key) or {}).items() if v is not None})
    return out


@functools.lru_cache(maxsize=1)
def cuda_present() -> bool:
    """A CUDA device is visible: the driver library loads, initialises and counts at least one device."""
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        count = ctypes.c_int(0)
        try:
            return lib.cuInit(0) == 0 and lib.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0
        except AttributeError:
            return False
    return False


def cuda_for(config: Mapping[str, Any]) -> bool:
    """Whether this run will have CUDA: a cuda device named in params, or `auto` on a machine that has one."""
    device = str(config.get("device", "auto"))
    return device.startswith("cuda") or (device == "auto" and cuda_present())


def left_out(config: Mapping[str, Any]) -> dict[str, str]:
    """GPU-scale experiments the default target leaves out (no CUDA, not forced), each with its reason."""
    if cuda_for(config) or config.get("gpu_scale_on_cpu"):
        return {}
    scale = float(config.get("scale", 1.0))
    found = {}
    for exp in catalog.EXPERIMENTS:
        seconds, how = cpu_seconds(exp, scale)
        if is_gpu_scale(exp) and seconds > GPU_SCALE_SECONDS:
            found[exp.id] = (f"GPU-scale: {how} {hours(seconds)} on a CPU at scale {scale:g} and no CUDA here; "
                             f"run it anyway with --config {FORCE} (snakemake) or -S {FORCE} (dvc exp run)")
    return found


def hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


def total_warning(experiment_ids, scale: float, cores: int = 1) -> str | None:
    """The message a run prints before it starts when its experiments' estimates add up to over an hour."""
    experiment_ids = list(experiment_ids)
    total = sum(cpu_seconds(catalog.get(i), scale)[0] for i in experiment_ids)
    if total <= WARN_SECONDS:
        return None
    wall = total / max(1, cores)
    return (f"dudl: this run is estimated at {hours(total)} of CPU job time ({len(experiment_ids)} "
            f"experiments at scale {scale:g}; about {hours(wall)} on {cores} core(s)). `dudl list` shows each "
            f"experiment's estimate; a smaller `scale` or a target shrinks it.")
