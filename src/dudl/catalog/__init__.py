"""The one list of experiments: the source of truth for the Snakefile, dvc.yaml, `dudl list` and results/index.csv.

An experiment `ann/classify_qwerties` is found everywhere by its name:
    code      dudl.experiments.ann.classify_qwerties(p, ctx) -> Result
    figures   dudl.plots.ann.classify_qwerties(result, p) -> {figure name: matplotlib Figure}
    params    params.yaml -> ann.classify_qwerties
    outputs   results/ann/classify_qwerties/ (metrics.json, summary.csv, history.csv, data.npz, figures/*.png)

Sweeps whose points each cost more than a few seconds declare `points`: Snakemake then runs one job per point
(`<name>_point(p, ctx, value) -> Result`) and a gather job (`<name>_combine(p, ctx, {value: Result}) -> Result`);
`dudl run` and DVC run all points in one process. Seeds derive from names, not order, so both give the same files.

Torch-free: the Snakefile imports it at parse time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from dudl.params import Scale

RESULTS = Path("results")

BEYOND_THE_COURSE = "beyond the course"  # the "course folder" of a section that is not in the course

# Our section name -> the course folder (catalog.md section names).
SECTIONS: dict[str, str] = {
    "math": "math",
    "gradient_descent": "gradientDescent",
    "ann": "ANN",
    "overfitting": "overfitting",
    "regularization": "regularization",
    "metaparams": "metaparams",
    "ffn": "FFN",
    "measure_performance": "measurePerformance",
    "ffn_milestone": "FFNmilestone",
    "data_handling": "data",
    "weights": "weights",
    "autoencoders": "autoencoders",
    "convolution": "convolution",
    "gpu": "GPU",
    "cnn": "CNN",
    "cnn_milestone": "CNNmilestone",
    "transfer_learning": "transferlearning",
    "style_transfer": "styletransfer",
    "rnn": "RNN",
    "gans": "GANs",
    "text": BEYOND_THE_COURSE,  # no course folder: experiments that take the course further (notebooks=())
}


@dataclass(frozen=True)
class Expect:
    """A reference value range from the course (reference_results.md or the catalog), checked at scale 1.0."""

    metric: str
    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Experiment:
    section: str
    name: str
    notebooks: tuple[str, ...]  # catalog ids, e.g. ("ANN_classifyQwerties",)
    title: str
    figures: Mapping[str, str]  # figure name -> caption (what it shows, and any deviation from the course)
    datasets: tuple[str, ...] = ()
    history: tuple[str, ...] = ()  # history.csv columns DVC plots (empty: the experiment writes no history.csv)
    # Sweeps: every run's per-epoch curves, from the long table data["curves"] (one row per run and epoch, the
    # swept value in column `curves_by`), go to curves.csv and to `dvc plots`, one chart per column listed here.
    curves: tuple[str, ...] = ()
    curves_by: str = ""
    models: tuple[str, ...] = ()  # model files <name>.pt the experiment keeps
    points: Callable[[Mapping[str, Any], Scale], Sequence] | None = None
    expect: tuple[Expect, ...] = ()
    summary: bool = True  # writes summary.csv
    figure_data: bool = True  # writes data.npz
    # Its params.yaml block, declared once as a dudl.paramspec.Block subclass beside this entry; the JSON schema
    # of params.yaml is generated from these declarations.
    params: type | None = None
    # Scheduling (overridable per section or experiment under `resources` in params.yaml): Snakemake threads and
    # resources, and the SLURM request. gpu 1 marks an experiment that wants CUDA: it carries `resources: gpu=1`
    # (so `--resources gpu=1` keeps jobs from sharing one GPU, and SLURM gets `--gpus=1`), and `device: auto`
    # puts it, and only it, on CUDA when present. cpu_minutes: the time at scale 1.0 on a 2-core laptop CPU, an
    # estimate for experiments not yet measured (measured ones are in catalog/cpu_times.csv).
    threads: int = 1
    mem_mb: int = 2000
    runtime: int | None = None  # minutes; default: from the time estimate (dudl.resources)
    gpu: int = 0
    cpu_minutes: float | None = None
    # Datasets chosen by params (a weight source): data_choice(its params block, can_have) -> the datasets of
    # `datasets` a run with these params reads. can_have(key) tells whether a dataset can be had here (Snakemake
    # plans with it); None asks for the choice that looks at nothing (the committed dvc.yaml).
    data_choice: Callable[[Mapping[str, Any], Callable[[str], bool] | None], Sequence[str]] | None = None
    # Where its outputs go: results/ for the main run; results/seeds/<seed>/ for a run over another seed
    # (dudl.seeds.for_seed), which keeps the same layout below it.
    results_root: Path = RESULTS

    def datasets_for(self, params: Mapping[str, Any], can_have: Callable[[str], bool] | None = None) -> tuple[str, ...]:
        """The datasets a run with these params (all of params.yaml) reads: `datasets`, or data_choice's pick."""
        if self.data_choice is None:
            return self.datasets
        return tuple(self.data_choice((params.get(self.section) or {}).get(self.name) or {}, can_have))

    @property
    def id(self) -> str:
        return f"{self.section}/{self.name}"

    @property
    def slug(self) -> str:
        """A name usable as a Snakemake rule or DVC stage name."""
        return f"{self.section}__{self.name}"

    @property
    def stage_name(self) -> str:
        """Its run stage in dvc.yaml (the figures stage adds `-figures`)."""
        return f"{self.section}-{self.name}"

    @property
    def out_dir(self) -> Path:
        return self.results_root / self.section / self.name

    @property
    def figure_dir(self) -> Path:
        return self.out_dir / "figures"

    def run_outputs(self) -> list[Path]:
        files = ["metrics.json"]
        files += ["summary.csv"] if self.summary else []
        files += ["history.csv"] if self.history else []
        files += ["curves.csv"] if self.curves else []
        files += ["data.npz"] if self.figure_data else []
        files += [f"{m}.pt" for m in self.models]
        return [self.out_dir / f for f in files]

    def point_outputs(self) -> list[Path]:
        """What one sweep point writes (under points/<label>/): the run's files but the sweep-wide curves.csv."""
        return [p for p in self.run_outputs() if p.name != "curves.csv"]

    def figure_outputs(self) -> list[Path]:
        return [self.figure_dir / f"{name}.png" for name in self.figures]

    def point_values(self, experiment_params: Mapping[str, Any], scale: Scale) -> list:
        return list(self.points(experiment_params, scale)) if self.points else []

    def point_dir(self, value: Any) -> Path:
        return self.out_dir / "points" / point_label(value)

    def run_code(self) -> list[Path]:
        """Source files whose change can change this experiment's numbers (DVC deps, Snakemake inputs): derived
        from imports (dudl.codedeps)."""
        from dudl import codedeps

        return codedeps.run_code(self.section)

    def figure_code(self) -> list[Path]:
        from dudl import codedeps

        return codedeps.figure_code(self.section)


def point_label(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", text)


def _load() -> list[Experiment]:
    from dudl.catalog import (ann, data_handling, ffn, ffn_milestone, gradient_descent, math, measure_performance,
                              metaparams, overfitting, regularization, weights, autoencoders,
                              convolution, gpu, cnn, cnn_milestone)
    from dudl.catalog import style_transfer
    from dudl.catalog import transfer_learning
    from dudl.catalog import rnn, text
    from dudl.catalog import gans

    found = []
    for module in (math, gradient_descent, ann, overfitting, regularization, metaparams, ffn, ffn_milestone,
                   data_handling, measure_performance, weights, autoencoders, convolution,
                   gpu, cnn, cnn_milestone, transfer_learning, style_transfer, rnn, text, gans):
        found += module.EXPERIMENTS
    return found


EXPERIMENTS: list[Experiment] = _load()
BY_ID: dict[str, Experiment] = {e.id: e for e in EXPERIMENTS}


def get(experiment_id: str) -> Experiment:
    try:
        return BY_ID[experiment_id.strip("/")]
    except KeyError:
        close = [e for e in BY_ID if experiment_id.split("/")[-1] in e]
        hint = f" Did you mean: {', '.join(close[:5])}?" if close else " See `dudl list`."
        raise KeyError(f"unknown experiment '{experiment_id}'.{hint}") from None


def notebooks() -> list[tuple[str, Experiment]]:
    """(notebook, experiment) pairs; an experiment beyond the course (no notebook) stands for itself, by its id."""
    return [(nb, e) for e in EXPERIMENTS for nb in (e.notebooks or (e.id,))]
