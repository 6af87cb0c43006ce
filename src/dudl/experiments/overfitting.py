"""Section overfitting: separating train and test data by hand, with scikit-learn and with DataLoaders
(iris, a noisy linear regression, and the course's 10x4 fake data)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.data import synthetic
from dudl.experiments.common import iris_arrays, split, sweep_curves
from dudl.experiments.mistakes import outcome
from dudl.experiments.training import loaders, to_tensors
from dudl.params import grid
from dudl.models.mlp import mlp
from dudl.results import Result
from dudl.train import accuracy, evaluate, fit

P = Mapping[str, Any]
CURVE_COLUMNS = ("train_loss", "train_acc", "test_loss", "test_acc")
PARTS = ("train", "devset", "test")


def fake_data() -> tuple[np.ndarray, np.ndarray]:
    """The course's 10x4 toy matrix: row i holds 10(i+1) + [1, 2, 3, 4]; the last five rows are labelled True."""
    data = np.tile(np.array([1, 2, 3, 4]), (10, 1)) + np.tile(10 * np.arange(1, 11), (4, 1)).T
    return data, np.arange(10) > 4


def test_count(n: int, train_proportion: float) -> int:
    """Rows train_test_split(train_size=p) leaves for testing: it keeps floor(p n) for training. Passing this
    count as test_size reproduces a train_size split exactly (a float test_size of 1 - p may round the other way)."""
    return n - int(np.floor(train_proportion * n))


def random_rows(rng: np.random.Generator, n: int, n_train: int) -> np.ndarray:
    """The course's manual split: a boolean mask of n_train rows drawn without replacement."""
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, n_train, replace=False)] = True
    return mask


def _fit_iris(p: P, ctx, model: nn.Module, train, test, desc: str, show: bool = True):
    return fit(model.to(ctx.device), train, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
               ctx.scale.epochs(p["epochs"]), metric=accuracy, test=test,
               show_progress=show and ctx.show_progress, desc=desc)


# ---------------------------------------------------------------- iris, three ways of splitting


def manual(p: P, ctx) -> Result:
    frame, x, y = iris_arrays(ctx)
    rows = random_rows(ctx.rng("split"), len(y), int(len(y) * p["train_proportion"]))
    train, test = loaders(ctx, x[rows], y[rows], x[~rows], y[~rows], None, "model", shuffle=False, drop_last=False)
    model = mlp(p["layers"])
    history = _fit_iris(p, ctx, model, train, test, "model")
    # the notebook's final forward pass over the training flowers, after the last step
    train_acc = float(evaluate(model, train, metric=accuracy)[1])
    test_acc = float(history.last("test_acc"))
    counts = pd.DataFrame({"species": frame["species"], "set": np.where(rows, "train", "test")})
    counts = counts.value_counts().rename("flowers").reset_index()
    return Result(
        metrics={"train_accuracy": train_acc, "test_accuracy": test_acc,
                 "mean_label_all": float(y.mean()), "mean_label_train": float(y[rows].mean()),
                 "mean_label_test": float(y[~rows].mean()), "train_size": int(rows.sum()),
                 "test_size": int((~rows).sum())},
        summary=pd.DataFrame([{"train_proportion": p["train_proportion"], "epochs": ctx.scale.epochs(p["epochs"]),
                               "train_accuracy": train_acc, "test_accuracy": test_acc}]),
        history=history.frame(),
        data={"counts": counts},
        models={"model": model.state_dict()},
    )


class FreshSplitEveryEpoch:
    """overfitting_scikitlearn draws a new train_test_split at every epoch. `fit` iterates `train` once and then
    `test` once per epoch, so iterating this object draws the epoch's split (seeded per epoch) and yields its
    training part as one batch, and `.test` yields the matching test part: the one training loop stays."""

    def __init__(self, ctx, x: np.ndarray, y: np.ndarray, train_proportion: float, key):
        self.ctx, self.x, self.y, self.key = ctx, x, y, key
        self.n_test = test_count(len(y), train_proportion)
        self.epoch = 0
        self._test = None
        self.test = _Current(self)

    def __iter__(self):
        self.epoch += 1
        x_tr, x_te, y_tr, y_te = split(self.x, self.y, self.n_test, seed=self.ctx.seed_for(*self.key, self.epoch))
        x_tr, y_tr, *self._test = to_tensors(self.ctx.device, x_tr, y_tr, x_te, y_te)
        yield x_tr, y_tr


class _Current:
    def __init__(self, owner: FreshSplitEveryEpoch):
        self.owner = owner

    def __iter__(self):
        yield tuple(self.owner._test)


def _fresh_split_run(p: P, ctx, x, y, proportion: float, key: str, show: bool = False):
    ctx.torch_seed(key, f"{proportion:g}")
    batches = FreshSplitEveryEpoch(ctx, x, y, proportion, ("split", key, f"{proportion:g}"))
    return _fit_iris(p, ctx, mlp(p["layers"]), batches, batches.test, f"{key} {proportion:g}", show)


def scikitlearn(p: P, ctx) -> Result:
    fake, fake_labels = fake_data()
    fake_train, fake_test, _, _ = split(fake, fake_labels, p["fake_test_size"], seed=ctx.seed_for("fake"))
    _, x, y = iris_arrays(ctx)

    single = _fresh_split_run(p, ctx, x, y, p["single_train_proportion"], "single", show=True)
    proportions = grid(p["train_proportions"], ctx.scale)
    runs = [_fresh_split_run(p, ctx, x, y, prop, "sweep") for prop in ctx.progress(proportions, "proportions")]
    summary = pd.DataFrame([
        {"train_proportion": prop, "train_size": len(y) - test_count(len(y), prop),
         "final_train_acc": float(h.last("train_acc")), "final_test_acc": float(h.last("test_acc")),
         "mean_train_acc": float(h["train_acc"].mean()), "mean_test_acc": float(h["test_acc"].mean())}
        for prop, h in zip(proportions, runs)
    ])
    return Result(
        metrics={"fake_train_rows": len(fake_train), "fake_test_rows": len(fake_test),
                 "single_final_train_acc": float(single.last("train_acc")),
                 "single_final_test_acc": float(single.last("test_acc")),
                 "mean_test_acc_all_proportions": float(summary["mean_test_acc"].mean())},
        summary=summary,
        history=single.frame(),
        data={"proportions": np.asarray(proportions),
              "train_acc": np.stack([h["train_acc"] for h in runs]),  # [proportion, epoch], as the course's image
              "test_acc": np.stack([h["test_acc"] for h in runs]),
              "curves": sweep_curves(dict(zip(proportions, runs)), "train_proportion", CURVE_COLUMNS)},
    )


def data_loader(p: P, ctx) -> Result:
    fake, fake_labels = fake_data()
    f_tr, f_te, fy_tr, fy_te = split(fake, fake_labels, p["fake_test_size"], seed=ctx.seed_for("fake"))
    fake_train, fake_test = loaders(ctx, f_tr, fy_tr, f_te, fy_te, p["fake_batch_size"], "fake", shuffle=False,
                                    drop_last=False, test_batch_size=1)

    _, x, y = iris_arrays(ctx)
    x_tr, x_te, y_tr, y_te = split(x, y, p["test_size"], seed=ctx.seed_for("split"))
    train, test = loaders(ctx, x_tr, y_tr, x_te, y_te, p["batch_size"], "model", drop_last=False)
    model = mlp(p["layers"])
    history = _fit_iris(p, ctx, model, train, test, "model")
    train_acc, test_acc = float(history.last("train_acc")), float(history.last("test_acc"))
    return Result(
        metrics={"final_train_accuracy": train_acc, "final_test_accuracy": test_acc,
                 "train_batches_per_epoch": len(train), "test_batches": len(test),
                 "fake_train_batches": len(fake_train), "fake_test_batches": len(fake_test)},
        summary=pd.DataFrame([{"batch_size": p["batch_size"], "epochs": ctx.scale.epochs(p["epochs"]),
                               "final_train_accuracy": train_acc, "final_test_accuracy": test_acc}]),
        history=history.frame(),
        models={"model": model.state_dict()},
    )


# ---------------------------------------------------------------- regression


def regression(p: P, ctx) -> Result:
    x, y = synthetic.linear_regression(ctx.rng("data"), p["n"], p["slope"], p["noise_std"])
    rows = random_rows(ctx.rng("split"), len(y), p["n_train"])
    train, test = loaders(ctx, x[rows], y[rows], x[~rows], y[~rows], None, "model", shuffle=False, drop_last=False)
    model = mlp([1, 1, 1]).to(ctx.device)
    history = fit(model, train, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), test=test, show_progress=ctx.show_progress, desc="model")
    with torch.no_grad():
        predictions = model(to_tensors(ctx.device, x)[0]).cpu().numpy()[:, 0]
    # the notebook prints the last epoch's training loss and the test loss after training
    train_mse, test_mse = float(history.last("train_loss")), float(history.last("test_loss"))
    return Result(
        metrics={"train_mse": train_mse, "test_mse": test_mse, "n_train": int(rows.sum()),
                 "n_test": int((~rows).sum())},
        summary=pd.DataFrame([{"n": p["n"], "n_train": p["n_train"], "lr": p["lr"], "train_mse": train_mse,
                               "test_mse": test_mse}]),
        history=history.frame(),
        data={"points": pd.DataFrame({"x": x[:, 0], "y": y[:, 0], "prediction": predictions,
                                      "set": np.where(rows, "train", "test")})},
        models={"model": model.state_dict()},
    )


# ---------------------------------------------------------------- train / devset / test


def train_devset_test(p: P, ctx) -> Result:
    data, labels = fake_data()
    rows = np.arange(len(labels))
    parts = np.asarray(p["partitions"], dtype=float)

    # scikit-learn twice: first train vs the rest, then the rest into devset and test
    train_rows, rest_rows, _, _ = split(rows, labels, test_count(len(rows), parts[0]), seed=ctx.seed_for("split", 1))
    devset_share = parts[1] / parts[1:].sum()  # the notebook computes this but passes partitions[1] (catalog 1.4)
    dev_rows, test_rows, _, _ = split(rest_rows, labels[rest_rows], test_count(len(rest_rows), devset_share),
                                      seed=ctx.seed_for("split", 2))
    sklearn_sets = dict(zip(PARTS, (train_rows, dev_rows, test_rows)))

    # by hand: cumulative boundaries over a random permutation
    bounds = np.cumsum(parts * len(labels)).astype(int)
    order = ctx.rng("permutation").permutation(len(labels))
    manual_sets = dict(zip(PARTS, np.split(order, bounds[:-1])))

    assignment = pd.DataFrame([
        {"method": method, "row": int(r), "first_value": int(data[r, 0]), "label": bool(labels[r]), "partition": part}
        for method, sets in (("sklearn", sklearn_sets), ("manual", manual_sets))
        for part, members in sets.items() for r in members
    ])
    summary = pd.DataFrame([
        {"method": method, "partition": part, "size": len(members), "rows": " ".join(map(str, sorted(members)))}
        for method, sets in (("sklearn", sklearn_sets), ("manual", manual_sets)) for part, members in sets.items()
    ])
    metrics = {f"{r.method}_{r.partition}_size": int(r.size) for r in summary.itertuples()}
    metrics["manual_boundaries"] = " ".join(map(str, bounds))
    metrics["literal_second_split_raises"] = int(_course_second_split_fails(rest_rows, parts[1]))
    return Result(metrics=metrics, summary=summary, data={"assignment": assignment})


def _course_second_split_fails(rest_rows: np.ndarray, train_size: float) -> bool:
    """The notebook's literal call, train_size=.1 of the 2 left-over rows: current scikit-learn refuses it."""
    from sklearn.model_selection import train_test_split

    said, _ = outcome(lambda: train_test_split(rest_rows, train_size=train_size, random_state=0))
    return said == "raises ValueError"
