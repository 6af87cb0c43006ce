"""dvc.yaml, generated from the catalog (`dudl dvc-yaml --write`); a test fails when the committed file drifts.

Stages: code (the code digests), params (the params slices), fetch-<dataset>, prepare-<dataset>,
<section>-<experiment> (run), <section>-<experiment>-figures, index, report.
Each stage lists exactly the files it reads, the params.yaml keys it reads (through its params slice), and what
it writes. DVC runs a split sweep in one stage (all points in one process); Snakemake runs one job per point.
Both write the same final files.

Why slices: DVC parses a params file anew for every stage that lists params from it, and walks the whole parsed
tree once per key (dvc 3.x, ruamel and dpath): with the 1,100-line params.yaml and ~300 stages, that was 90% of
a `dvc status` (33 s of 37). So one stage, `params`, lists every key a stage reads and writes each stage's values
to .dudl/params/<key>.json, which the stage depends on instead: params.yaml is parsed once, a changed key shows in
`dvc status` under `params` by its key path, and once `params` has run, exactly the stages whose values changed
are out of date. Users edit params.yaml as before, and `dvc exp run -S`, `dvc params diff` and `dvc exp show`
name the same keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from dudl import catalog, codedeps
from dudl.data import prepare, registry
from dudl.params import experiment_keys

HEADER = """\
# GENERATED from src/dudl/catalog by `dudl dvc-yaml --write`: do not edit by hand.
# tests/test_frontends.py fails when this file and the catalog disagree.
"""

FETCH_CODE = ["src/dudl/data/registry.py"]
PREPARE_CODE = ["src/dudl/data/prepare.py"]
INDEX_CODE = ["src/dudl/index.py", "src/dudl/runs.py", "src/dudl/scorecard.py", "src/dudl/seeds.py"]


def _s(paths) -> list[str]:
    return [str(p) for p in paths]


def pipeline_datasets(params: Mapping[str, Any] | None = None) -> list[registry.Dataset]:
    """Datasets some cataloged experiment reads, plus MNIST (the later FFN sections start from its subset). With
    params, only those their runs read (an experiment's weight source chosen by params: Experiment.datasets_for)."""
    wanted = {"mnist"} | {d for e in catalog.EXPERIMENTS
                          for d in (e.datasets if params is None else e.datasets_for(params))}
    return [ds for key, ds in registry.DATASETS.items() if key in wanted]


PARAMS_DIR = Path(".dudl") / "params"


def slice_path(key: str) -> Path:
    """The file holding one params.yaml key's value for DVC (see the module's docstring): data.<dataset>, or an
    experiment's <section>.<name> (its run also reads the top-level keys, which that file carries too)."""
    return PARAMS_DIR / f"{key}.json"


def _value(params: Mapping[str, Any], dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        node = node[part]
    return node


def slice_keys(params: Mapping[str, Any]) -> dict[Path, list[str]]:
    """{slice file: the params.yaml keys it holds} for every stage that reads params."""
    keys = {slice_path(f"data.{ds.key}"): [f"data.{ds.key}"] for ds in pipeline_datasets(params)
            if ds.prepared and prepare.params_for(ds, params)}
    for exp in catalog.EXPERIMENTS:
        keys[slice_path(f"{exp.section}.{exp.name}")] = experiment_keys(exp.section, exp.name)
    return keys


def slice_texts(params: Mapping[str, Any]) -> dict[Path, str]:
    return {path: json.dumps({k: _value(params, k) for k in keys}, indent=1, sort_keys=True) + "\n"
            for path, keys in slice_keys(params).items()}


def write_slices(root: Path, params: Mapping[str, Any]) -> list[Path]:
    """Every params slice under root/.dudl/params/, each written whole (a temporary file, then a rename)."""
    from dudl.atomic import atomic_write

    written = []
    for path, text in slice_texts(params).items():
        atomic_write(root / path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
        written.append(path)
    return written


def params_stage(params: Mapping[str, Any]) -> dict:
    """The one stage that reads params.yaml: its keys, in the order the slices list them."""
    keys = slice_keys(params)
    return {
        "cmd": "dudl params-slices",
        "params": list(dict.fromkeys(k for ks in keys.values() for k in ks)),
        # Cached like any output, so that `dvc push` / `dvc pull` carry them with the results they describe.
        # Persisted: DVC would delete them before the command runs, and a command refused for a bad params.yaml
        # would leave every stage without its slice; `dudl params-slices` replaces each whole, or none.
        "outs": [{str(path): {"persist": True}} for path in keys],
    }


def dataset_stages(params: Mapping[str, Any]) -> dict[str, dict]:
    stages: dict[str, dict] = {}
    for ds in pipeline_datasets(params):
        stages[f"fetch-{ds.key}"] = {
            "cmd": f"dudl fetch {ds.key}",
            "deps": FETCH_CODE,
            "outs": _s(ds.raw_paths()),
        }
        if not ds.prepared:  # read in place (pretrained weights)
            continue
        stage = {
            "cmd": f"dudl prepare {ds.key}",
            "deps": _s(ds.raw_paths()) + PREPARE_CODE,
            "outs": _s(ds.prepared_paths()),
        }
        if prepare.params_for(ds, params):
            stage["deps"].append(str(slice_path(f"data.{ds.key}")))
        stages[f"prepare-{ds.key}"] = stage
    return stages


def experiment_inputs(exp: catalog.Experiment, datasets: Sequence[str] | None = None) -> list[str]:
    """Its data files (of `datasets`: default the catalog's) and its code, as its section's run digest (the
    exact files of exp.run_code(): dudl.codedeps)."""
    data = [p for key in (exp.datasets if datasets is None else datasets) for p in registry.get(key).inputs()]
    return _s(data) + [str(codedeps.digest_path(exp.section, "run"))]


def figure_inputs(exp: catalog.Experiment) -> list[str]:
    """Its run's outputs and its figure code, as its section's figures digest (exp.figure_code())."""
    return _s(exp.run_outputs()) + [str(codedeps.digest_path(exp.section, "figures"))]


def code_stage() -> dict:
    """Every section's code digests, from the source files they cover: a run or figures stage then depends on
    one digest, which changes exactly when one of its files does (dudl.codedeps)."""
    return {
        "cmd": "dudl code-digests",
        # and the analysis itself: a change to what counts as a dependency rewrites digests too
        "deps": _s(sorted({*codedeps.all_code_files(), codedeps.files(["dudl.codedeps"])[0]})),
        # cached like any output, so that `dvc push` / `dvc pull` carry them with the results they describe
        "outs": [str(codedeps.digest_path(s, k)) for s in codedeps.sections() for k in codedeps.KINDS],
    }


def experiment_stages(exp: catalog.Experiment, params: Mapping[str, Any] | None = None) -> dict[str, dict]:
    run_outs = exp.run_outputs()
    metrics = [p for p in run_outs if p.name == "metrics.json"]
    outs = [p for p in run_outs if p not in metrics]
    # dvc.yaml is committed: a params-chosen dataset is the choice that looks at nothing (never at this machine)
    datasets = None if params is None else exp.datasets_for(params)
    values = str(slice_path(f"{exp.section}.{exp.name}"))  # its params.yaml keys (the params stage's slice)
    run = {"cmd": f"dudl run {exp.id}", "deps": experiment_inputs(exp, datasets) + [values]}
    if outs:
        run["outs"] = _s(outs)
    run["metrics"] = _s(metrics)
    figures = {
        "cmd": f"dudl figures {exp.id}",
        "deps": figure_inputs(exp) + [values],
        "outs": _s(exp.figure_outputs()),
    }
    return {exp.stage_name: run, f"{exp.stage_name}-figures": figures}


def index_stage() -> dict:
    deps = [str(exp.out_dir / "metrics.json") for exp in catalog.EXPERIMENTS]
    deps += [str(p) for exp in catalog.EXPERIMENTS for p in exp.figure_outputs()]
    return {
        "cmd": "dudl index",
        "deps": deps + INDEX_CODE,
        "outs": ["results/index.csv", "results/scorecard.csv", "results/runs.csv"],
    }


def report_stage() -> dict:
    """The page links the figures rather than embedding them: it depends on the tables and captions only."""
    return {
        "cmd": "dudl report",
        "deps": ["results/index.csv", "results/scorecard.csv", "results/runs.csv", "src/dudl/report.py",
                 "src/dudl/catalog"],
        "outs": ["results/report.html"],
    }


def document(params: Mapping[str, Any]) -> dict:
    stages = {"code": code_stage(), "params": params_stage(params), **dataset_stages(params)}
    for exp in catalog.EXPERIMENTS:
        stages.update(experiment_stages(exp, params))
    stages["index"] = index_stage()
    stages["report"] = report_stage()
    # Top-level plots: each experiment's per-epoch curves (several y columns need a top-level definition),
    # then its figures as images, so `dvc plots diff` shows both for any two revisions.
    # Sweeps add one chart per metric with a line per run (template .dvc/plots/runs.json: colour = run,
    # dashes = revision, so `dvc plots diff` keeps both apart).
    history = [{str(exp.out_dir / "history.csv"): {"x": "epoch", "y": list(exp.history), "title": exp.id}}
               for exp in catalog.EXPERIMENTS if exp.history]
    sweeps = [{f"{exp.id} {y}": {"template": "runs", "x": "epoch", "y": {str(exp.out_dir / "curves.csv"): y},
                                 "title": f"{exp.id}: {y} of every run"}}
              for exp in catalog.EXPERIMENTS for y in exp.curves]
    images = [str(p) for exp in catalog.EXPERIMENTS for p in exp.figure_outputs()]
    return {"stages": stages, "plots": history + sweeps + images}


class _NoAliases(yaml.SafeDumper):
    """Write repeated lists out in full: anchors and aliases make dvc.yaml harder to read and diff."""

    def ignore_aliases(self, data):
        return True


def render(params: Mapping[str, Any]) -> str:
    return HEADER + yaml.dump(document(params), Dumper=_NoAliases, sort_keys=False, default_flow_style=False, width=120)
