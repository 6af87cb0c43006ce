"""Small helpers shared by the experiment modules: sweep grids from params, the course's datasets as tensors,
and summary tables of sweeps. Anything that trains goes through dudl.train.fit."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from dudl.data import synthetic, tabular
from dudl.params import Scale


def grid(spec: Any, scale: Scale | None = None, minimum: int = 3) -> list:
    """A sweep grid from params: a list, {start, stop, num} (linspace), {start, stop, step} (arange, stop
    excluded, like np.arange) or {start, stop, num, log: true} (logspace over the exponents given by start/stop
    as plain values, like np.logspace(np.log10(start), np.log10(stop), num)). `scale` thins numeric grids."""
    if isinstance(spec, Mapping):
        if "step" in spec:
            values = np.arange(spec["start"], spec["stop"], spec["step"])
        elif spec.get("log"):
            values = np.logspace(np.log10(spec["start"]), np.log10(spec["stop"]), int(spec["num"]))
        else:
            values = np.linspace(spec["start"], spec["stop"], int(spec["num"]))
        values = [v.item() for v in values]
    else:
        values = list(spec)
    return scale.grid(values, minimum) if scale is not None else values


def qwerties(p: Mapping[str, Any], rng: np.random.Generator):
    """The qwerties a params block describes ({centers, n_per_cluster, blur}) as numpy arrays."""
    return synthetic.qwerties(rng, p["centers"], int(p["n_per_cluster"]), float(p["blur"]))


def binary_targets(y: np.ndarray) -> np.ndarray:
    """0/1 labels as the float (N, 1) column that BCE losses expect."""
    return y.astype(np.float32).reshape(-1, 1)


def to_tensors(device, *arrays: np.ndarray) -> list[torch.Tensor]:
    return [torch.tensor(a, device=device) for a in arrays]  # a copy: pandas hands out read-only arrays


def iris_arrays(ctx) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return tabular.iris(ctx.data_file("iris", "iris.csv"))


def wine_binary(ctx) -> pd.DataFrame:
    return tabular.wine_binary(tabular.wine(ctx.data_file("wine_quality", "wine.csv")))


def sweep_curves(histories: Mapping[Any, Any], key: str, columns: Sequence[str]) -> pd.DataFrame:
    """Long table (key, epoch, columns...) of several runs' histories, for seaborn hue plots."""
    frames = []
    for value, history in histories.items():
        frame = history.frame()[["epoch", *[c for c in columns if c in history]]]
        frame.insert(0, key, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def wide_history(histories: Mapping[Any, Any], key: str, columns: Sequence[str]) -> pd.DataFrame:
    """One row per epoch, a column per run and metric (`test_acc@lr=0.01`): history.csv for dvc plots."""
    out = None
    for value, history in histories.items():
        frame = history.frame()
        part = frame[["epoch"]].copy()
        for column in columns:
            if column in frame:
                part[f"{column}@{key}={value}"] = frame[column]
        out = part if out is None else out.merge(part, on="epoch")
    return out
