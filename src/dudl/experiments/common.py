"""Small helpers shared by the experiment modules: sweep grids from params, the course's datasets as tensors,
and summary tables of sweeps. Anything that trains goes through dudl.train.fit."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from dudl.data import synthetic, tabular
from dudl.params import Scale
from dudl.train import accuracy, fit


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



def split(x: np.ndarray, y: np.ndarray, test_size: float, seed: int, stratify: bool = False):
    """(x_train, x_test, y_train, y_test) with scikit-learn's train_test_split, as the course splits,
    but seeded."""
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y if stratify else None)


def loaders(ctx, x_train, y_train, x_test, y_test, batch_size: int | None, key, *, drop_last: bool = True,
            shuffle: bool = True, test_batch_size: int | None = None):
    """Train minibatches (shuffled by a generator seeded from `key`) and test batches (one batch by default,
    as the course's `DataLoader(test_data, batch_size=test_data.tensors[0].shape[0])`), on ctx.device.
    Seeds torch for the run `key` first, so build the model after calling this."""
    from dudl.train import Batches

    generator = ctx.torch_seed(*(key if isinstance(key, tuple) else (key,)))
    xtr, ytr, xte, yte = to_tensors(ctx.device, x_train, y_train, x_test, y_test)
    train = Batches(xtr, ytr, batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator)
    test = Batches(xte, yte, test_batch_size)
    return train, test


def optimizer(name: str, parameters, lr: float, **kwargs) -> torch.optim.Optimizer:
    """torch.optim.<name>(parameters, lr=lr, ...), as the course's getattr(torch.optim, optimizerType)."""
    try:
        cls = getattr(torch.optim, name)
    except AttributeError:
        raise ValueError(f"unknown optimizer '{name}' (torch.optim has no such class)") from None
    return cls(parameters, lr=lr, **kwargs)


def train_run(ctx, data, build: Callable[[], torch.nn.Module], loss_fn, make_optimizer, batch_size: int | None,
              epochs: int, run_key, *, make_scheduler: Callable | None = None, metric=accuracy, drop_last: bool = True,
              test_batch_size: int | None = None, **fit_kwargs):
    """One run of the course's minibatch recipe: shuffled train batches, test batches scored in eval mode every
    epoch. `data` = (x_train, x_test, y_train, y_test). Torch is seeded for `run_key` (by `loaders`) before the
    model is built, so the run does not depend on what ran before it. Returns (model, history, (train, test))."""
    x_train, x_test, y_train, y_test = data
    train, test = loaders(ctx, x_train, y_train, x_test, y_test, batch_size, run_key, drop_last=drop_last,
                          test_batch_size=test_batch_size)
    model = build().to(ctx.device)
    opt = make_optimizer(model.parameters())
    scheduler = make_scheduler(opt) if make_scheduler else None
    history = fit(model, train, loss_fn, opt, epochs, metric=metric, test=test, scheduler=scheduler,
                  **{"desc": " ".join(map(str, run_key if isinstance(run_key, tuple) else (run_key,))), **fit_kwargs})
    return model, history, (train, test)


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """Make a call the course shows as a mistake (catalog 1.4): ('raises <ErrorType>', None) or
    ('no error', result). Recording what the library really does, now, is the point."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "no error", call()
    except Exception as exc:  # noqa: BLE001 - whatever the library raises is the answer
        return f"raises {type(exc).__name__}", None
