"""results/index.csv (one row per course notebook: done or skipped, and where its outputs are),
results/scorecard.csv (our numbers against the course's reference ranges) and `dudl compare`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from dudl import catalog
from dudl.data import fetch, registry


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


def _flat(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _metrics(root: Path, exp: catalog.Experiment) -> dict[str, Any] | None:
    path = root / exp.out_dir / "metrics.json"
    if not path.exists():
        return None
    doc = json.loads(path.read_text())
    return {"metrics": _flat(doc["metrics"]), "scale": doc.get("meta", {}).get("scale")}


def index_frame(root: Path, skipped: Mapping[str, str]) -> pd.DataFrame:
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


def scorecard_frame(root: Path) -> pd.DataFrame:
    rows = []
    for exp in catalog.EXPERIMENTS:
        found = _metrics(root, exp)
        for ref in exp.expect:
            value = found["metrics"].get(ref.metric) if found else None
            if found is None or value is None:
                verdict = "missing"
            elif (found["scale"] or 0) < 1.0:
                verdict = f"not comparable (scale {found['scale']})"
            else:
                verdict = "within" if ref.low <= value <= ref.high else "outside"
            rows.append({"experiment": exp.id, "metric": ref.metric, "value": value, "low": ref.low, "high": ref.high,
                         "verdict": verdict, "source": ref.source})
    return pd.DataFrame(rows, columns=["experiment", "metric", "value", "low", "high", "verdict", "source"])


def write(params: Mapping[str, Any], root: Path = Path("."), skipped: Mapping[str, str] | None = None) -> list[Path]:
    skipped = skipped_experiments(params, root) if skipped is None else skipped
    out = root / catalog.RESULTS
    out.mkdir(parents=True, exist_ok=True)
    index_frame(root, skipped).to_csv(out / "index.csv", index=False)
    scorecard_frame(root).to_csv(out / "scorecard.csv", index=False)
    return [out / "index.csv", out / "scorecard.csv"]


def compare(root: Path, results_dirs: list[Path], section: str | None = None) -> pd.DataFrame:
    """Numeric headline metrics of every experiment, one column per results folder."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for folder in results_dirs:
        for exp in catalog.EXPERIMENTS:
            if section and exp.section != section:
                continue
            path = root / folder / exp.section / exp.name / "metrics.json"
            if not path.exists():
                continue
            for metric, value in _flat(json.loads(path.read_text())["metrics"]).items():
                if isinstance(value, (int, float)):
                    table.setdefault((exp.id, metric), {})[str(folder)] = value
    rows = [{"experiment": e, "metric": m, **values} for (e, m), values in table.items()]
    return pd.DataFrame(rows)
