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


class BadTable(ValueError):
    """A CSV file that is not the table it should be: unreadable, other columns, or text where numbers belong."""


def read_checked_csv(path: Path, columns, numeric=None, named: bool = True, **read_csv) -> pd.DataFrame:
    """pd.read_csv(path, **read_csv), refused with a BadTable naming the file and what was expected unless the
    table has `columns` (named by its header; with named=False, exactly that many fields a row, named so) and
    numbers in the `numeric` columns (all of `columns` by default)."""
    expected = ", ".join(columns) + (f" (separated by {read_csv['sep']!r})" if "sep" in read_csv else "")
    try:
        frame = pd.read_csv(path, **read_csv) if named else pd.read_csv(path, header=None, **read_csv)
    except ValueError as exc:  # pandas' ParserError and EmptyDataError, UnicodeDecodeError: all ValueErrors
        raise BadTable(f"{path}: expected a CSV table with columns {expected}; it cannot be read as one "
                       f"({exc})") from exc
    got = [str(c) for c in frame.columns]
    if not named:
        if len(got) != len(columns):
            raise BadTable(f"{path}: expected {len(columns)} fields a row ({expected}), got {len(got)}")
        frame.columns = list(columns)
    missing = [c for c in columns if c not in got] if named else []
    if missing:
        shown = ", ".join(got[:20]) + (", ..." if len(got) > 20 else "")
        lacks = f" (missing: {', '.join(missing)})" if len(missing) < len(columns) else ""
        raise BadTable(f"{path}: expected columns {expected}, got {shown}{lacks}")
    for column in columns if numeric is None else numeric:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            values = frame[column].dropna()
            text = values[pd.to_numeric(values, errors="coerce").isna()]
            example = (text if len(text) else values).iloc[0]
            raise BadTable(f"{path}: column {column!r}: expected numbers, got text such as {example!r}")
    return frame


def iris(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(frame, features float32 [150, 4], labels int64 [150]) with labels 0/1/2 = setosa/versicolor/virginica."""
    frame = read_checked_csv(path, [*IRIS_FEATURES, "species"], numeric=IRIS_FEATURES)
    x = frame[IRIS_FEATURES].to_numpy(np.float32)
    y = frame["species"].map({name: i for i, name in enumerate(IRIS_SPECIES)}).to_numpy(np.int64)
    return frame, x, y


def zscore(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Column z-scores with the population std (ddof=0), as scipy.stats.zscore, which the course uses."""
    out = frame.copy()
    out[columns] = (frame[columns] - frame[columns].mean()) / frame[columns].std(ddof=0)
    return out


def wine(path: Path) -> pd.DataFrame:
    return read_checked_csv(path, [*WINE_FEATURES, "quality"])


def wine_binary(frame: pd.DataFrame, threshold: float = 5.0, sulfur_max: float = 200.0) -> pd.DataFrame:
    """The course's standard wine preprocessing: drop rows with total sulfur dioxide >= 200 (2 outliers),
    z-score the 11 features, label boolQuality = quality > threshold."""
    kept = frame[frame["total sulfur dioxide"] < sulfur_max].reset_index(drop=True)
    out = zscore(kept, WINE_FEATURES)
    out["boolQuality"] = (out["quality"] > threshold).astype(np.int64)
    return out
