"""Run one experiment (or one sweep point, or the gather of its points) and draw its figures.

The only place besides the CLI that knows about results paths; experiment functions see a Context and return
a Result.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from dudl import results
from dudl.catalog import Experiment, point_label
from dudl.data.registry import get as get_dataset
from dudl.params import Scale, derive_seed


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

    def seed_for(self, *keys: Any) -> int:
        return derive_seed(self.seed, self.experiment.id, *keys)

    def rng(self, *keys: Any) -> np.random.Generator:
        """A numpy Generator for data drawn by run `keys` (e.g. ctx.rng("data"), ctx.rng("rep", 3))."""
        return np.random.default_rng(self.seed_for("numpy", *keys))

    def torch_seed(self, *keys: Any):
        """Seed torch's global RNG for run `keys` (inits, dropout) and return a generator for shuffling.
        Call it at the start of every run, so a run's numbers do not depend on what ran before it."""
        from dudl.train import seed_torch

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
        from dudl.train import progress

        return progress(iterable, desc=f"{self.experiment.id} {desc}".strip(), total=total, enabled=self.show_progress)


def make_context(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path("."), threads: int = 1,
                 show_progress: bool = True) -> Context:
    from dudl.train import configure

    device = configure(threads, sliced["device"])
    return Context(exp, int(sliced["seed"]), Scale(float(sliced["scale"])), device, threads, root, show_progress)


def _functions(exp: Experiment) -> dict[str, Callable]:
    module = importlib.import_module(f"dudl.experiments.{exp.section}")
    names = [f"{exp.name}_point", f"{exp.name}_combine"] if exp.points else [exp.name]
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        raise AttributeError(f"{module.__name__} lacks {', '.join(missing)} for {exp.id}")
    return {n.removeprefix(exp.name).lstrip("_") or "run": getattr(module, n) for n in names}


def provenance(ctx: Context, sliced: Mapping[str, Any]) -> dict[str, Any]:
    import torch

    # Kept short: `dvc metrics show` lists every field of every metrics.json.
    return {
        "seed": ctx.seed,
        "scale": ctx.scale.factor,
        "device": str(ctx.device),
        "threads": ctx.threads,
        "torch": str(torch.__version__),  # a str subclass that weights_only loading refuses
    }


def curves_table(result: results.Result, exp: Experiment) -> Any:
    """curves.csv: the sweep's long table of per-epoch curves with a `run` label first ("momentum=0.9")."""
    table = result.data.get("curves")
    need = {"epoch", exp.curves_by, *exp.curves}
    if table is None or not need <= set(table.columns):
        raise RuntimeError(f"{exp.id}: data['curves'] must be a table with columns {sorted(need)}")
    runs = [f"{exp.curves_by}={v:g}" if isinstance(v, float) else f"{exp.curves_by}={v}" for v in table[exp.curves_by]]
    return table[["epoch", exp.curves_by, *exp.curves]].assign(run=runs)[["run", "epoch", exp.curves_by, *exp.curves]]


def _finish(result: results.Result, ctx: Context, sliced: Mapping[str, Any], out: Path,
            point: bool = False) -> results.Result:
    exp = ctx.experiment
    result.meta = {**provenance(ctx, sliced), **result.meta}
    if exp.curves and not point:
        result.curves = curves_table(result, exp)
    results.write(result, out, figures_data=exp.figure_data)
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
        show_progress: bool = True) -> results.Result:
    """Run an experiment and write its results; with `point`, run only that sweep point (Snakemake's split)."""
    ctx = make_context(exp, sliced, root, threads, show_progress)
    p = sliced["experiment"]
    fns = _functions(exp)
    if point is not None:
        if not exp.points:
            raise ValueError(f"{exp.id} is not split into sweep points")
        value = _point_value(exp, sliced, point)
        result = fns["point"](p, ctx, value)
        result.meta["point"] = point
        return _finish(result, ctx, sliced, root / exp.point_dir(value), point=True)
    if exp.points:
        values = exp.point_values(p, ctx.scale)
        parts = {v: _as_stored(fns["point"](p, ctx, v), exp) for v in values}
        result = fns["combine"](p, ctx, parts)
    else:
        result = fns["run"](p, ctx)
    return _finish(result, ctx, sliced, root / exp.out_dir)


def _as_stored(result: results.Result, exp: Experiment) -> results.Result:
    """A point's result as Snakemake's gather sees it: written and read back (float32 columns come back as the
    float64 their text reads as), so one-process runs and gathered runs combine identical inputs."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dudl-point-") as tmp:
        results.write(result, Path(tmp), figures_data=exp.figure_data)
        return results.read(Path(tmp))


def gather(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path("."), threads: int = 1) -> results.Result:
    """Combine the sweep points Snakemake ran as separate jobs into the experiment's results."""
    ctx = make_context(exp, sliced, root, threads, show_progress=False)
    p = sliced["experiment"]
    parts = {v: results.read(root / exp.point_dir(v)) for v in exp.point_values(p, ctx.scale)}
    result = _functions(exp)["combine"](p, ctx, parts)
    return _finish(result, ctx, sliced, root / exp.out_dir)


def draw(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path(".")) -> list[Path]:
    """Draw an experiment's figures from its results (no torch needed)."""
    from dudl.plots import style

    module = importlib.import_module(f"dudl.plots.{exp.section}")
    result = results.read(root / exp.out_dir)
    style.apply()
    figures = getattr(module, exp.name)(result, sliced["experiment"])
    if set(figures) != set(exp.figures):
        raise RuntimeError(f"{exp.id}: drew {sorted(figures)}, catalog lists {sorted(exp.figures)}")
    return [style.save(fig, root / exp.figure_dir / f"{name}.png") for name, fig in figures.items()]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
