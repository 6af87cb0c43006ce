"""What an experiment returns and how it lands on disk under results/<section>/<experiment>/.

    metrics.json   headline numbers (dvc metrics) + provenance (torch version, device, threads, seed, scale)
    summary.csv    one row per run: its swept params and final metrics
    history.csv    per-epoch curves of the representative run (dvc plots), when the experiment trains
    curves.csv     per-epoch curves of every run of a sweep, labelled by run (dvc plots), for sweeps
    data.npz       everything the figures need (arrays and tables; no pickles)
    <name>.pt      model files, when the experiment keeps any (state_dicts, loadable with weights_only=True)

Torch-free unless a model is written, so figure jobs stay light.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dudl.atomic import atomic_write

TABLE_PREFIX = "table::"


@dataclass
class Result:
    metrics: dict[str, Any] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    curves: pd.DataFrame | None = None  # long: run, epoch, metrics...
    data: dict[str, Any] = field(default_factory=dict)  # np.ndarray or pd.DataFrame values
    models: dict[str, Any] = field(default_factory=dict)  # name -> state_dict
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        return self.data[name]


# ---------------------------------------------------------------- writing


def _plain(value: Any) -> Any:
    """JSON-safe numbers: numpy scalars to Python, NaN/inf to None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame_to_arrays(name: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A DataFrame as one structured array (string columns as fixed-width unicode): savez needs no pickle."""
    columns = {}
    for col in frame.columns:
        values = frame[col].to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(frame[col]):
            values = values.astype(str)
        columns[str(col)] = values
    dtype = [(c, v.dtype) for c, v in columns.items()]
    records = np.empty(len(frame), dtype=dtype)
    for c, v in columns.items():
        records[c] = v
    return {TABLE_PREFIX + name: records}


def write(result: Result, out: Path, figures_data: bool = True) -> list[Path]:
    out = Path(out)
    written = []
    doc = {"metrics": _plain(result.metrics), "meta": _plain(result.meta)}
    atomic_write(out / "metrics.json", lambda p: p.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n"))
    written.append(out / "metrics.json")
    # Full float precision: a gathered sweep reads point summaries back and must equal a one-process run.
    if result.summary is not None:
        atomic_write(out / "summary.csv", lambda p: result.summary.to_csv(p, index=False))
        written.append(out / "summary.csv")
    if result.history is not None:
        atomic_write(out / "history.csv", lambda p: result.history.to_csv(p, index=False))
        written.append(out / "history.csv")
    if result.curves is not None:
        atomic_write(out / "curves.csv", lambda p: result.curves.to_csv(p, index=False))
        written.append(out / "curves.csv")
    if figures_data:
        arrays: dict[str, np.ndarray] = {}
        for name, value in result.data.items():
            if isinstance(value, pd.DataFrame):
                arrays.update(_frame_to_arrays(name, value))
            else:
                arrays[name] = np.asarray(value)

        def save(p: Path) -> None:
            with open(p, "wb") as fh:
                np.savez_compressed(fh, **arrays)

        atomic_write(out / "data.npz", save)
        written.append(out / "data.npz")
    if result.models:
        from dudl.checkpoints import save_checkpoint  # imports torch: only jobs that keep models pay for it

        for name, state in result.models.items():
            written.append(save_checkpoint(out / f"{name}.pt", state, **_plain(result.meta)))
    return written


# ---------------------------------------------------------------- reading


def read(out: Path) -> Result:
    out = Path(out)
    doc = json.loads((out / "metrics.json").read_text())
    result = Result(metrics=doc["metrics"], meta=doc.get("meta", {}))
    if (out / "summary.csv").exists():
        result.summary = pd.read_csv(out / "summary.csv")
    if (out / "history.csv").exists():
        result.history = pd.read_csv(out / "history.csv")
    if (out / "curves.csv").exists():
        result.curves = pd.read_csv(out / "curves.csv")
    if (out / "data.npz").exists():
        with np.load(out / "data.npz", allow_pickle=False) as npz:
            for key in npz.files:
                if key.startswith(TABLE_PREFIX):
                    result.data[key[len(TABLE_PREFIX):]] = pd.DataFrame.from_records(npz[key])
                else:
                    result.data[key] = npz[key]
    return result
