"""Run one experiment (or one sweep point, or the gather of its points) and write its results.

The only place besides the CLI (and dudl.figures, which draws) that knows about results paths; experiment
functions see a Context and return a Result. A run executes inside dudl.runtime.run_settings: the trainer finds
there the run's precision and where to keep resume checkpoints (removed once the outputs are written).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from dudl import codedeps, results, runlock
from dudl.atomic import atomic_write
from dudl.catalog import Experiment, point_label
from dudl.data.registry import get as get_dataset
from dudl.params import Scale, derive_seed

RESUME_DIR = "resume"
# The run's own seconds and its model files' checksums, beside metrics.json rather than in it: metrics.json must
# stay bit-identical from run to run (README, Decisions), and results/runs.csv reads this file. Neither tool tracks it.
TIMING = "timing.json"


def wall_seconds(folder: Path) -> float | None:
    """The wall seconds a run recorded in its folder, or None."""
    path = folder / TIMING
    return float(json.loads(path.read_text())["wall_s"]) if path.exists() else None


@dataclass
class Context:
    """What an experiment function may use besides its params: seeds, scale, device, data, progress."""

    experiment: Experiment
    seed: int
    scale: Scale
    device: Any  # torch.device
    threads: int = 1
    root: Path = Path(".")
    show_progress: bool = True
    precision: str = "fp32"
    fast_kernels: bool = False

    def seed_for(self, *keys: Any) -> int:
        return derive_seed(self.seed, self.experiment.id, *keys)

    def rng(self, *keys: Any) -> np.random.Generator:
        """A numpy Generator for data drawn by run `keys` (e.g. ctx.rng("data"), ctx.rng("rep", 3))."""
        return np.random.default_rng(self.seed_for("numpy", *keys))

    def torch_seed(self, *keys: Any):
        """Seed torch's global RNG for run `keys` (inits, dropout) and return a generator for shuffling.
        Call it at the start of every run, so a run's numbers do not depend on what ran before it."""
        from dudl.runtime import seed_torch

        return seed_torch(self.seed_for("torch", *keys))

    def data_file(self, dataset: str, name: str) -> Path:
        ds = get_dataset(dataset)
        if dataset not in self.experiment.datasets:
            raise RuntimeError(f"{self.experiment.id} reads {dataset} but its catalog entry does not list it")
        path = self.root / ds.processed_dir / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `dudl fetch {dataset} && dudl prepare {dataset}` "
                                    f"(or let snakemake / dvc repro do it)")
        return path

    def progress(self, iterable: Iterable, desc: str = "", total: int | None = None):
        from dudl.progress import progress

        return progress(iterable, desc=f"{self.experiment.id} {desc}".strip(), total=total, enabled=self.show_progress)

    def subset(self, labels, key: Any = "subset"):
        """Indices of a stratified, seeded subset of the training samples with these labels: every sample at scale
        1.0, a `scale` share of each class below (at least one each), so tiny-scale runs of CIFAR- or
        CelebA-size experiments stay fast. Sorted, so the data keep their order."""
        from dudl.data.subsets import stratified_subset

        return stratified_subset(labels, self.scale.factor, self.rng("subset", key))


def make_context(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path("."), threads: int = 1,
                 show_progress: bool = True) -> Context:
    from dudl.runtime import configure

    device = configure(threads, sliced["device"], wants_gpu=exp.gpu > 0)
    return Context(exp, int(sliced["seed"]), Scale(float(sliced["scale"])), device, threads, root, show_progress,
                   precision=str(sliced.get("precision", "fp32")), fast_kernels=bool(sliced.get("fast_kernels", False)))


def _functions(exp: Experiment) -> dict[str, Callable]:
    module = importlib.import_module(f"dudl.experiments.{exp.section}")
    names = [f"{exp.name}_point", f"{exp.name}_combine"] if exp.points else [exp.name]
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        raise AttributeError(f"{module.__name__} lacks {', '.join(missing)} for {exp.id}")
    return {n.removeprefix(exp.name).lstrip("_") or "run": getattr(module, n) for n in names}


def provenance(ctx: Context, sliced: Mapping[str, Any], nondeterministic_ops: Iterable[str] = ()) -> dict[str, Any]:
    import torch

    # Kept short: `dvc metrics show` lists every field of every metrics.json. What is always so on the CPU at
    # fp32 (deterministic at a fixed thread count) is recorded only where it may not be: on an accelerator,
    # whether every op had a deterministic implementation (such a run is never bit-comparable with the CPU).
    meta = {
        "seed": ctx.seed,
        "scale": ctx.scale.factor,
        "device": str(ctx.device),
        "threads": ctx.threads,
        "torch": str(torch.__version__),  # a str subclass that weights_only loading refuses
    }
    if ctx.precision != "fp32":
        meta["precision"] = ctx.precision
    if ctx.fast_kernels:
        meta["fast_kernels"] = True
    ops = sorted(set(nondeterministic_ops))
    if ctx.device.type != "cpu":
        meta["bit_comparable_with_cpu"] = False  # other kernels, other summation orders: compare within a band
        meta["deterministic"] = not ops
        if ops:
            meta["nondeterministic_ops"] = ops
    return meta


def fingerprint(exp: Experiment, sliced: Mapping[str, Any], point: str | None = None, root: Path = Path(".")) -> str:
    """What a resume checkpoint must match: the run's params, its point, and the contents of its code."""
    digest = hashlib.sha256(json.dumps({"params": sliced, "point": point}, sort_keys=True, default=str).encode())
    for path in codedeps.run_code(exp.section):
        digest.update(str(path).encode())
        digest.update(codedeps.SRC.parent.joinpath(*path.parts[1:]).read_bytes())
    return digest.hexdigest()


def curves_table(result: results.Result, exp: Experiment) -> Any:
    """curves.csv: the sweep's long table of per-epoch curves with a `run` label first ("momentum=0.9")."""
    table = result.data.get("curves")
    need = {"epoch", exp.curves_by, *exp.curves}
    if table is None or not need <= set(table.columns):
        raise RuntimeError(f"{exp.id}: data['curves'] must be a table with columns {sorted(need)}")
    runs = [f"{exp.curves_by}={v:g}" if isinstance(v, float) else f"{exp.curves_by}={v}" for v in table[exp.curves_by]]
    return table[["epoch", exp.curves_by, *exp.curves]].assign(run=runs)[["run", "epoch", exp.curves_by, *exp.curves]]


def _finish(result: results.Result, ctx: Context, sliced: Mapping[str, Any], out: Path, wall_s: float,
            point: bool = False, nondeterministic_ops: Iterable[str] = ()) -> results.Result:
    exp = ctx.experiment
    result.meta = {**provenance(ctx, sliced, nondeterministic_ops), **result.meta}
    if exp.curves and not point:
        result.curves = curves_table(result, exp)
    written = results.write(result, out, figures_data=exp.figure_data)
    # wall_s: the run's own seconds (its points' included, for a gathered sweep), start-up not counted;
    # checksums: each model file's sha256 as written, which `dudl verify` checks it against
    doc = {"wall_s": round(wall_s, 3)}
    if result.models:
        from dudl.data.fetch import record

        doc["checksums"] = {p.name: record(p) for p in written if p.suffix == ".pt"}
    atomic_write(out / TIMING, lambda tmp: tmp.write_text(json.dumps(doc) + "\n"))
    listed = exp.point_outputs() if point else exp.run_outputs()
    missing = [out / p.name for p in listed if not (out / p.name).exists()]
    if missing:
        raise RuntimeError(f"{exp.id} did not produce {', '.join(map(str, missing))} (catalog lists them)")
    return result


def _point_value(exp: Experiment, sliced: Mapping[str, Any], label: str) -> Any:
    values = exp.point_values(sliced["experiment"], Scale(float(sliced["scale"])))
    for value in values:
        if point_label(value) == label:
            return value
    raise KeyError(f"{exp.id} has no sweep point '{label}'; points: {', '.join(point_label(v) for v in values)}")


def run(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path("."), threads: int = 1, point: str | None = None,
        show_progress: bool = True, resume: bool = True) -> results.Result:
    """Run an experiment and write its results; with `point`, run only that sweep point (Snakemake's split).
    With `resume`, long trainings checkpoint under <outputs>/resume/ and a rerun after a kill continues there.
    One run at a time writes an output folder (dudl.runlock): a second is refused before it starts."""
    started = time.perf_counter()
    ctx = make_context(exp, sliced, root, threads, show_progress)
    value = None
    if point is not None:
        if not exp.points:
            raise ValueError(f"{exp.id} is not split into sweep points")
        value = _point_value(exp, sliced, point)
        out = root / exp.point_dir(value)
    else:
        out = root / exp.out_dir
    with runlock.exclusive(out, root):
        return _run_locked(exp, sliced, ctx, out, started, root, point, value, resume)


def _run_locked(exp: Experiment, sliced: Mapping[str, Any], ctx: Context, out: Path, started: float, root: Path,
                point: str | None, value: Any, resume: bool) -> results.Result:
    from dudl import runtime

    p = sliced["experiment"]
    fns = _functions(exp)
    resume_dir = out / RESUME_DIR if resume else None
    with runtime.run_settings(precision=ctx.precision, fast_kernels=ctx.fast_kernels, resume_dir=resume_dir, checkpoint_seconds=runtime.checkpoint_seconds(),
                              fingerprint=fingerprint(exp, sliced, point, root) if resume else "") as settings:
        if point is not None:
            result = fns["point"](p, ctx, value)
            result.meta["point"] = point
        elif exp.points:
            values = exp.point_values(p, ctx.scale)
            parts = {}
            for v in values:  # each point is its own run: its own resume folder, as under Snakemake
                with runtime.run_settings(precision=ctx.precision, fast_kernels=ctx.fast_kernels,
                                          checkpoint_seconds=settings.checkpoint_seconds,
                                          nondeterministic_ops=settings.nondeterministic_ops,
                                          resume_dir=(root / exp.point_dir(v) / RESUME_DIR) if resume else None,
                                          fingerprint=fingerprint(exp, sliced, point_label(v), root) if resume else ""):
                    parts[v] = _as_stored(fns["point"](p, ctx, v), exp)
            result = fns["combine"](p, ctx, parts)
        else:
            result = fns["run"](p, ctx)
    finished = _finish(result, ctx, sliced, out, time.perf_counter() - started, point=point is not None,
                       nondeterministic_ops=settings.nondeterministic_ops)
    if resume_dir is not None:
        shutil.rmtree(resume_dir, ignore_errors=True)  # the outputs are written: nothing left to resume
        if exp.points and point is None:
            for v in exp.point_values(p, ctx.scale):
                shutil.rmtree(root / exp.point_dir(v) / RESUME_DIR, ignore_errors=True)
    return finished


def _as_stored(result: results.Result, exp: Experiment) -> results.Result:
    """A point's result as Snakemake's gather sees it: written and read back (float32 columns come back as the
    float64 their text reads as), so one-process runs and gathered runs combine identical inputs."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dudl-point-") as tmp:
        results.write(result, Path(tmp), figures_data=exp.figure_data)
        return results.read(Path(tmp))


def gather(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path("."), threads: int = 1) -> results.Result:
    """Combine the sweep points Snakemake ran as separate jobs into the experiment's results."""
    started = time.perf_counter()
    ctx = make_context(exp, sliced, root, threads, show_progress=False)
    p = sliced["experiment"]
    with runlock.exclusive(root / exp.out_dir, root):
        parts = {v: results.read(root / exp.point_dir(v)) for v in exp.point_values(p, ctx.scale)}
        ops = [op for part in parts.values() for op in part.meta.get("nondeterministic_ops", [])]
        result = _functions(exp)["combine"](p, ctx, parts)
        wall_s = time.perf_counter() - started + sum(wall_seconds(root / exp.point_dir(v)) or 0.0 for v in parts)
        return _finish(result, ctx, sliced, root / exp.out_dir, wall_s, nondeterministic_ops=ops)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
