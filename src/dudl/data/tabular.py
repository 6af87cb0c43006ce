"""Loading the prepared tabular datasets and the course's standard preprocessing of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dudl.data.prepare import IRIS_FEATURES, IRIS_SPECIES

WINE_FEATURES = [
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides", "free sulfur dioxide",
    "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
]


def iris(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(frame, features float32 [150, 4], labels int64 [150]) with labels 0/1/2 = setosa/versicolor/virginica."""
    frame = pd.read_csv(path)
    x = frame[IRIS_FEATURES].to_numpy(np.float32)
    y = frame["species"].map({name: i for i, name in enumerate(IRIS_SPECIES)}).to_numpy(np.int64)
    return frame, x, y


def zscore(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Column z-scores with the population std (ddof=0), as scipy.stats.zscore, which the course uses."""
    out = frame.copy()
    out[columns] = (frame[columns] - frame[columns].mean()) / frame[columns].std(ddof=0)
    return out


def wine(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def wine_binary(frame: pd.DataFrame, threshold: float = 5.0, sulfur_max: float = 200.0) -> pd.DataFrame:
    """The course's standard wine preprocessing: drop rows with total sulfur dioxide >= 200 (2 outliers),
    z-score the 11 features, label boolQuality = quality > threshold."""
    kept = frame[frame["total sulfur dioxide"] < sulfur_max].reset_index(drop=True)
    out = zscore(kept, WINE_FEATURES)
    out["boolQuality"] = (out["quality"] > threshold).astype(np.int64)
    return out
