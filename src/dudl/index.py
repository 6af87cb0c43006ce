"""results/index.csv (one row per course notebook: done or skipped, and where its outputs are), and beside it
results/scorecard.csv (dudl.scorecard: the course's references against our runs over seeds) and
results/runs.csv (dudl.runs: one row per run); `dudl compare` over results folders."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from dudl import catalog, runs, scorecard
from dudl.atomic import atomic_write
from dudl.data import fetch, registry

if TYPE_CHECKING:  # pandas is imported where used: the Snakefile loads this module, and no rule needs it
    import pandas as pd


def skipped_experiments(params: Mapping[str, Any], root: Path = Path(".")) -> dict[str, str]:
    """{experiment id: reason} for experiments whose data can be had from nowhere right now, and GPU-scale
    experiments on a machine without CUDA (unless params force them: dudl.resources.left_out)."""
    from dudl import resources

    reason = unavailable(params, root)
    skipped = {}
    for exp in catalog.EXPERIMENTS:
        for key in exp.datasets_for(params, lambda k: reason(k) is None):
            if reason(key):
                skipped[exp.id] = reason(key)
                break
    for exp_id, why in resources.left_out(params).items():
        skipped.setdefault(exp_id, why)
    return skipped


def unavailable(params: Mapping[str, Any], root: Path = Path(".")) -> Callable[[str], str | None]:
    """reason(dataset key): None when the dataset can be had here (present, a mirror, upstream), else why not.
    Each dataset is looked at once."""
    mirrors = fetch.mirror_roots(params.get("data", {}).get("mirrors", []))
    reasons: dict[str, str | None] = {}

    def reason(key: str) -> str | None:
        if key not in reasons:
            reasons[key] = fetch.unavailable_reason(registry.get(key), root, mirrors)
        return reasons[key]

    return reason


def index_frame(root: Path, skipped: Mapping[str, str]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for notebook, exp in catalog.notebooks():
        outputs = exp.run_outputs() + exp.figure_outputs()
        done = all((root / p).exists() for p in outputs)
        if done:
            status, reason = "done", ""
        elif exp.id in skipped:
            status, reason = "skipped", skipped[exp.id]
        else:
            status, reason = "not run", "outputs missing: run snakemake or dvc repro"
        rows.append({
            "notebook": notebook,
            "course_folder": catalog.SECTIONS[exp.section],
            "section": exp.section,
            "experiment": exp.id,
            "status": status,
            "reason": reason,
            "outputs": ";".join(str(p) for p in outputs),
        })
    return pd.DataFrame(rows)


def write(params: Mapping[str, Any], root: Path = Path("."), skipped: Mapping[str, str] | None = None,
          summary: Path | None = None) -> list[Path]:
    skipped = skipped_experiments(params, root) if skipped is None else skipped
    out = root / catalog.RESULTS
    out.mkdir(parents=True, exist_ok=True)
    index = index_frame(root, skipped)
    found = list(runs.read_runs(root))  # every metrics.json, read once for both tables
    card = scorecard.scorecard_frame(root, found)
    table = runs.runs_frame(root, params, found)
    written = [atomic_write(out / name, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
               for name, frame in (("index.csv", index), ("scorecard.csv", card), ("runs.csv", table))]
    line = scorecard.summary(card)
    print(line, file=sys.stderr)
    if summary is not None:
        written.append(atomic_write(summary, lambda tmp: tmp.write_text(line + "\n")))
    return written


def compare(root: Path, results_dirs: list[Path], section: str | None = None) -> pd.DataFrame:
    """Numeric headline metrics of every experiment, one column per results folder."""
    import pandas as pd

    table: dict[tuple[str, str], dict[str, Any]] = {}
    for folder in results_dirs:
        for exp in catalog.EXPERIMENTS:
            if section and exp.section != section:
                continue
            path = root / folder / exp.section / exp.name / "metrics.json"
            if not path.exists():
                continue
            for metric, value in runs.flat(json.loads(path.read_text())["metrics"]).items():
                if isinstance(value, (int, float)):
                    table.setdefault((exp.id, metric), {})[str(folder)] = value
    rows = [{"experiment": e, "metric": m, **values} for (e, m), values in table.items()]
    return pd.DataFrame(rows)
