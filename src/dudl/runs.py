"""results/runs.csv: one row per run of every experiment (the main run and each run over another seed).

Columns: section, experiment, run ("main" or "seed <S>"), seed, scale, device, wall_s (the run's timing.json), then every param of the
experiment's params.yaml block as `param.<key path>` and every final metric as `metric.<name>`. Params are
those of params.yaml when the table is written: Snakemake and DVC rerun an experiment whose params changed
before they write this table, so the two agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from dudl import catalog, seeds
from dudl.runner import wall_seconds as runner_wall_seconds

if TYPE_CHECKING:  # pandas is imported where used: the Snakefile loads this module, and no rule needs it
    import pandas as pd

ID_COLUMNS = ["section", "experiment", "run", "seed", "scale", "device", "wall_s"]


def flat(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a.b": value} for a nested mapping."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def read_runs(root: Path = Path(".")) -> Iterator[tuple[catalog.Experiment, dict[str, Any]]]:
    """(experiment, its metrics.json) for every run present: main runs first, then each seed folder's."""
    for seed in [None, *seeds.present(root)]:
        for exp in catalog.EXPERIMENTS:
            path = root / (exp if seed is None else seeds.seeded(exp, seed)).out_dir / "metrics.json"
            if path.exists():
                doc = json.loads(path.read_text())
                doc.setdefault("meta", {})["wall_s"] = runner_wall_seconds(path.parent)
                if seed is not None:
                    doc["meta"]["seed"] = seed  # the folder says which seed, whatever an old file claims
                doc["run"] = "main" if seed is None else f"seed {seed}"
                yield exp, doc


def _cell(value: Any) -> Any:
    """A CSV cell: numbers and strings as they are, lists and None as JSON."""
    return value if isinstance(value, (int, float, str, bool)) else json.dumps(value)


def runs_frame(root: Path = Path("."), params: Mapping[str, Any] | None = None, found=None) -> pd.DataFrame:
    """The table; `found`: read_runs' pairs when the caller has read them already."""
    import pandas as pd

    rows = []
    for exp, doc in (read_runs(root) if found is None else found):
        meta = doc["meta"]
        row = {"section": exp.section, "experiment": exp.id, "run": doc["run"], "seed": meta.get("seed"),
               "scale": meta.get("scale"), "device": meta.get("device"), "wall_s": meta.get("wall_s")}
        own = ((params or {}).get(exp.section) or {}).get(exp.name) or {}
        row.update({f"param.{k}": _cell(v) for k, v in flat(own).items()})
        row.update({f"metric.{k}": v for k, v in flat(doc.get("metrics", {})).items() if isinstance(v, (int, float))})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=ID_COLUMNS)
    rest = sorted(c for c in frame.columns if c not in ID_COLUMNS)
    return frame[ID_COLUMNS + rest]
