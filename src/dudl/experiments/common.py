"""Small torch-free helpers shared by the experiment modules: the course's datasets as arrays, splits, and
summary tables of sweeps. Training helpers are in dudl.experiments.training (anything that trains goes through
dudl.train), sweep grids in dudl.params.grid."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from dudl.data import synthetic, tabular


def qwerties(p: Mapping[str, Any], rng: np.random.Generator):
    """The qwerties a params block describes ({centers, n_per_cluster, blur}) as numpy arrays."""
    return synthetic.qwerties(rng, p["centers"], int(p["n_per_cluster"]), float(p["blur"]))


def binary_targets(y: np.ndarray) -> np.ndarray:
    """0/1 labels as the float (N, 1) column that BCE losses expect."""
    return y.astype(np.float32).reshape(-1, 1)


def iris_arrays(ctx) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return tabular.iris(ctx.data_file("iris", "iris.csv"))


def wine_binary(ctx) -> pd.DataFrame:
    return tabular.wine_binary(tabular.wine(ctx.data_file("wine_quality", "wine.csv")))


def wine_split(p: Mapping[str, Any], ctx):
    """The binary wine data (z-scored features, boolQuality) split as the course splits it (p["test_size"])."""
    frame = wine_binary(ctx)
    x = frame[tabular.WINE_FEATURES].to_numpy(np.float32)
    y = binary_targets(frame["boolQuality"].to_numpy())
    return split(x, y, p["test_size"], ctx.seed_for("split"))


class NotAnImage(ValueError):
    """A file a param names as an image that no image reader can open."""


def read_rgb(path: Path) -> np.ndarray:
    """An image file as uint8 RGB [h, w, 3]. A file that is not an image Pillow reads (a text or HTML page named
    .jpg, a truncated download) is a NotAnImage naming it, never a silent stand-in."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (FileNotFoundError, PermissionError):
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # UnidentifiedImageError: OSError
        with open(path, "rb") as fh:
            head = fh.read(16)
        raise NotAnImage(f"{path}: expected an image (JPEG, PNG, ...), got a file Pillow cannot read as one "
                         f"(it begins {head!r}; {type(exc).__name__}: {exc}). Delete it and point the param at an "
                         f"image: dudl copies it again") from exc


FINAL = ("train_loss", "train_acc", "test_loss", "test_acc")


def final(history, columns=FINAL) -> dict[str, float]:
    """Last-epoch values, named final_<column>."""
    return {f"final_{c}": float(history[c][-1]) for c in columns if c in history}


def sweep_curves(histories: Mapping[Any, Any], key: str, columns: Sequence[str]) -> pd.DataFrame:
    """Long table (key, epoch, columns...) of several runs' histories, for seaborn hue plots."""
    frames = []
    for value, history in histories.items():
        frame = history.frame()[["epoch", *[c for c in columns if c in history]]]
        frame.insert(0, key, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def point_curves(parts: Mapping[str, Any]) -> pd.DataFrame:
    """Long table (history columns..., run) of a sweep's points, from each point's Result.history."""
    return pd.concat([part.history.assign(run=run) for run, part in parts.items()], ignore_index=True)


def example_rows(ctx, n_rows: int, k: int, key: str = "examples") -> np.ndarray:
    """k row indices (all, when fewer) drawn at random without replacement from the run's `key` stream, sorted:
    the images an examples figure shows."""
    return np.sort(ctx.rng(key).choice(n_rows, size=min(k, n_rows), replace=False))


def split(x: np.ndarray, y: np.ndarray, test_size: float, seed: int, stratify: bool = False):
    """(x_train, x_test, y_train, y_test) with scikit-learn's train_test_split, as the course splits,
    but seeded."""
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y if stratify else None)
