"""Section ffn: feed-forward networks on the course's MNIST (10 notebooks): the data tour, the FFN itself,
binarized, self-normalized, scrambled and shifted digits, optimizers x learning rates, breadth x depth, the
missing sevens and the weights' distribution over training.

All train the course's mnistNet (784-64-32-32-10, ReLU) with SGD at lr .01 on batches of 32 (drop_last) and score
the test set as one batch (dudl.experiments.mnist_recipe). The two big sweeps run one Snakemake job per training
(`<name>_point`, `<name>_combine`).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.catalog.ffn import breadth_depth_points, optimizer_points
from dudl.data import mnist
from dudl.experiments.common import example_rows, final, point_curves
from dudl.experiments.mnist_recipe import (DIGITS, load_mnist, log_softmax_net, mnist_data, sgd_recipe_parts,
                                           train_mnist)
from dudl.experiments.training import optimizer, predict, sgd
from dudl.models.mlp import MLP
from dudl.params import grid
from dudl.results import Result
from dudl.train import accuracy, evaluate, supervised_step, train

P = Mapping[str, Any]
SEVEN = 7
SIDE = 28


# ---------------------------------------------------------------- shared pieces


def _sgd(p: P, ctx, data: mnist.MnistSplit, run_key: Any = "model", *, log_softmax: bool = False, **kwargs):
    """The section's training: SGD at p["lr"]; log_softmax outputs with NLLLoss where the notebook has them,
    else raw logits with CrossEntropyLoss."""
    if log_softmax:
        kwargs.setdefault("build", lambda: log_softmax_net(p["layers"]))
        kwargs.setdefault("loss_fn", nn.NLLLoss())
    return train_mnist(p, ctx, data, run_key, make_optimizer=sgd(p["lr"]), **kwargs)


def _evidence(out: np.ndarray, index: int) -> pd.DataFrame:
    return pd.DataFrame({"digit": DIGITS, "evidence": out[index]})


def _classified(p: P, ctx, data: mnist.MnistSplit, model, history, evidence_sample: int, error_example: int,
                extra: Mapping[str, Any] = ()) -> Result:
    """Final numbers, the evidence for one test image and one misclassified test image (the course's figures)."""
    out = predict(model, data.x_test, ctx.device)
    guesses = out.argmax(axis=1)
    errors = np.flatnonzero(guesses != data.y_test)
    sample = min(evidence_sample, len(data.y_test) - 1)
    metrics = {**final(history), "test_errors": int(len(errors)), **dict(extra),
               "evidence_sample": sample, "evidence_true": int(data.y_test[sample]),
               "evidence_guess": int(guesses[sample])}
    tables: dict[str, Any] = {"evidence": _evidence(out, sample), "evidence_image": data.x_test[sample]}
    if len(errors):
        error = int(errors[min(error_example, len(errors) - 1)])
        metrics.update(error_index=error, error_true=int(data.y_test[error]), error_guess=int(guesses[error]))
        tables.update(error_evidence=_evidence(out, error), error_image=data.x_test[error])
    return Result(metrics=metrics, history=history.frame(), data=tables)


def _pixel_counts(before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """How often each pixel value occurs, before and after a transform (uint8 images: 256 possible values)."""
    values, counts = np.unique(before, return_counts=True)
    after_values, after_counts = np.unique(after, return_counts=True)
    return pd.concat([pd.DataFrame({"stage": "before", "value": values.astype(float), "count": counts}),
                      pd.DataFrame({"stage": "after", "value": after_values.astype(float), "count": after_counts})],
                     ignore_index=True)


# ---------------------------------------------------------------- the data tour


def about_mnist(p: P, ctx) -> Result:
    """Shapes and counts of the 20,000 digits, random examples, and how alike the sevens are."""
    images, labels = load_mnist(ctx)
    picks = example_rows(ctx, len(labels), p["examples"])
    sevens = np.flatnonzero(labels == SEVEN)
    pixels = images[sevens].astype(np.float64)
    corr = np.corrcoef(pixels)
    pairs = corr[np.triu_indices_from(corr, k=1)]
    shown = min(p["correlation_sevens"], len(sevens))
    counts = np.bincount(labels, minlength=mnist.CLASSES)
    return Result(
        metrics={"images": int(len(labels)), "pixels": int(images.shape[1]), "sevens": int(len(sevens)),
                 "pixel_max": int(images.max()), "pixel_min": int(images.min()),
                 **{f"count_{d}": int(c) for d, c in enumerate(counts)},
                 "seven_pairs": int(len(pairs)), "seven_corr_mean": float(pairs.mean()),
                 "seven_corr_min": float(pairs.min()), "seven_corr_max": float(pairs.max())},
        summary=pd.DataFrame({"digit": DIGITS, "count": counts}),
        data={"examples": images[picks], "example_labels": labels[picks],
              "first_sevens": images[sevens[:12]],
              "correlations": corr[:shown, :shown].astype(np.float32),
              "pair_histogram": pd.DataFrame(dict(zip(("count", "edge"), _histogram(pairs)))),
              "mean_seven": pixels.mean(axis=0)},
    )


def _histogram(values: np.ndarray, bins: int = 100) -> tuple[np.ndarray, np.ndarray]:
    counts, edges = np.histogram(values, bins=bins)
    return counts, edges[:-1]


# ---------------------------------------------------------------- the FFN and its variations


def ffn_on_mnist(p: P, ctx) -> Result:
    images, labels = load_mnist(ctx)
    data = mnist_data(p, ctx, images, labels)
    model, history, _ = _sgd(p, ctx, data, log_softmax=True)
    result = _classified(p, ctx, data, model, history, p["evidence_sample"], 0)
    result.data["pixels"] = _pixel_counts(images, mnist.normalize(images))
    result.models = {"model": model.state_dict()}
    return result


def binarized(p: P, ctx) -> Result:
    """Every pixel above 0 becomes 1 before the usual recipe (dividing by the max, 1, then changes nothing)."""
    images, labels = load_mnist(ctx)
    binary = (images > 0).astype(np.uint8)
    data = mnist_data(p, ctx, binary, labels)
    model, history, _ = _sgd(p, ctx, data, log_softmax=True)
    result = _classified(p, ctx, data, model, history, p["evidence_sample"], p["error_example"],
                         {"unique_values_raw": int(len(np.unique(images))),
                          "unique_values_binarized": int(len(np.unique(data.x_train)))})
    result.data["pixels"] = _pixel_counts(images, binary)
    return result


def normalization(p: P, ctx) -> Result:
    """The raw pixels are split first; then each split named in p["normalize"] is divided by its own max."""
    images, labels = load_mnist(ctx)
    keep = ctx.subset(labels)
    split = mnist.course_split(images[keep].astype(np.float32), labels[keep], ctx.seed_for("split"), p["test_size"])
    x_train, x_test = split.x_train, split.x_test
    if "train" in p["normalize"]:
        x_train = x_train / x_train.max()
    if "test" in p["normalize"]:
        x_test = x_test / x_test.max()
    data = mnist.MnistSplit(x_train, x_test, split.y_train, split.y_test)
    _, history, _ = _sgd(p, ctx, data)
    return Result(metrics={**final(history), "train_max": float(x_train.max()), "test_max": float(x_test.max()),
                           "train_min": float(x_train.min()), "test_min": float(x_test.min()),
                           "normalized_train": int("train" in p["normalize"]),
                           "normalized_test": int("test" in p["normalize"])},
                  history=history.frame())


def scrambled(p: P, ctx) -> Result:
    """One fixed random permutation of the pixels, the same for every image."""
    images, labels = load_mnist(ctx)
    order = ctx.rng("scramble").permutation(mnist.PIXELS)
    eggs = images[:, order]
    data = mnist_data(p, ctx, eggs, labels)
    _, history, _ = _sgd(p, ctx, data)
    picks = example_rows(ctx, len(labels), 12)
    return Result(metrics={**final(history), "pixels_moved": int((order != np.arange(mnist.PIXELS)).sum())},
                  history=history.frame(), data={"examples": eggs[picks], "example_labels": labels[picks]})


def roll(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Each flattened 28x28 image rolled sideways (along its columns) by its own number of pixels, as the
    course's torch.roll(image, shift, dims=1) on the 28x28 image."""
    square = images.reshape(-1, SIDE, SIDE)
    return np.stack([np.roll(img, int(s), axis=1) for img, s in zip(square, shifts)]).reshape(len(images), -1)


def shifted(p: P, ctx) -> Result:
    """Train on the images as they are; roll every test image by a random shift in [-max_shift, max_shift]."""
    data = mnist_data(p, ctx, *load_mnist(ctx))
    m = p["max_shift"]
    shifts = ctx.rng("shifts").integers(-m, m + 1, len(data.y_test))
    moved = mnist.MnistSplit(data.x_train, roll(data.x_test, shifts), data.y_train, data.y_test)
    _, history, _ = _sgd(p, ctx, moved)
    example = data.x_test[0]
    return Result(metrics={**final(history), "shift_min": int(shifts.min()), "shift_max": int(shifts.max()),
                           "unshifted_test_images": int((shifts == 0).sum())},
                  history=history.frame(),
                  data={"example": example, "example_rolled": roll(example[None], [p["example_shift"]])[0],
                        "shifts": shifts})


def missing7(p: P, ctx) -> Result:
    """Train on every digit but the sevens (no test split); then show the model all the sevens."""
    images, labels = load_mnist(ctx)
    x = mnist.normalize(images)
    others = np.flatnonzero(labels != SEVEN)
    others = others[ctx.subset(labels[others])]
    sevens = np.flatnonzero(labels == SEVEN)
    data = mnist.MnistSplit(x[others], x[sevens], labels[others], labels[sevens])
    model, history, _ = _sgd(p, ctx, data, log_softmax=True)
    out = predict(model, data.x_test, ctx.device)
    guesses = out.argmax(axis=1)
    share = np.bincount(guesses, minlength=mnist.CLASSES) / len(guesses)
    picks = example_rows(ctx, len(sevens), p["examples"])
    ranked = np.argsort(-share)
    return Result(
        metrics={**final(history, ("train_loss", "train_acc")), "train_images": int(len(others)),
                 "sevens": int(len(sevens)), **{f"share_called_{d}": float(s) for d, s in enumerate(share)},
                 "share_called_9_2_3_1": float(share[[9, 2, 3, 1]].sum()),
                 "most_common_guess": int(ranked[0]), "second_guess": int(ranked[1])},
        summary=pd.DataFrame({"digit": DIGITS, "share_of_sevens": share}),
        history=history.frame(),
        data={"examples": data.x_test[picks], "example_guesses": guesses[picks],
              "evidence": pd.DataFrame({"digit": DIGITS, "evidence": np.exp(out[picks[0]])}),
              "evidence_image": data.x_test[picks[0]]},
    )


# ---------------------------------------------------------------- weights over training


def parameter_histogram(model: nn.Module, bins: int, value_range) -> np.ndarray:
    """Density histogram of every parameter of the model (weights and biases together)."""
    values = torch.cat([q.detach().flatten().cpu() for q in model.parameters()]).numpy()
    return np.histogram(values, bins=bins, range=tuple(value_range), density=True)[0]


def weight_histograms(p: P, ctx) -> Result:
    """The recipe, with the parameters' histogram taken before training and after every epoch."""
    model, loss_fn, opt, train_batches, test_batches = sgd_recipe_parts(p, ctx)
    histograms = [parameter_histogram(model, p["bins"], p["value_range"])]
    stds = [float(torch.cat([q.detach().flatten() for q in model.parameters()]).std())]

    def after_epoch() -> dict[str, Any]:
        histograms.append(parameter_histogram(model, p["bins"], p["value_range"]))
        stds.append(float(torch.cat([q.detach().flatten() for q in model.parameters()]).std()))
        test_loss, test_acc = evaluate(model, test_batches, loss_fn, accuracy)
        return {"test_loss": test_loss, "test_acc": test_acc}

    history = train(supervised_step(model, loss_fn, opt, accuracy), train_batches, ctx.scale.epochs(p["epochs"]),
                    modules=model, optimizers=opt, evaluate=after_epoch, show_progress=ctx.show_progress,
                    desc="weights")
    lo, hi = p["value_range"]
    edges = np.linspace(lo, hi, p["bins"] + 1)
    return Result(
        metrics={**final(history), "std_initial": stds[0], "std_final": stds[-1], "std_ratio": stds[-1] / stds[0]},
        summary=pd.DataFrame({"after_epoch": np.arange(len(stds)), "parameter_std": stds}),
        history=history.frame(),
        data={"histograms": np.asarray(histograms), "bin_centers": (edges[:-1] + edges[1:]) / 2},
    )


# ---------------------------------------------------------------- sweeps, one job per training


def optimizers_point(p: P, ctx, run: str) -> Result:
    """One optimizer at one learning rate, 100 epochs, CrossEntropyLoss; the mean test accuracy of the last 10."""
    name, tag = run.split("_lr")
    lr = next(v for v in grid(p["lrs"]) if f"{v:.2g}" == tag)
    data = mnist_data(p, ctx, *load_mnist(ctx))
    _, history, _ = train_mnist(p, ctx, data, ("run", run), make_optimizer=lambda q: optimizer(name, q, lr))
    last = float(history.last("test_acc", p["last_epochs"]))
    row = {"run": run, "optimizer": name, "lr": lr, "last_test_acc": last, **final(history)}
    return Result(metrics={"last_test_acc": last, **final(history)}, summary=pd.DataFrame([row]),
                  history=history.frame())


def optimizers_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in optimizer_points(p, ctx.scale) if r in parts]
    summary = pd.concat([parts[r].summary for r in runs], ignore_index=True)
    metrics: dict[str, Any] = {f"test_acc_{r}": parts[r].metrics["last_test_acc"] for r in runs}
    for name, rows in summary.groupby("optimizer", sort=False):
        best = rows.loc[rows["last_test_acc"].idxmax()]
        metrics[f"best_lr_{name}"] = float(best["lr"])
        metrics[f"best_test_acc_{name}"] = float(best["last_test_acc"])
    best = summary.loc[summary["last_test_acc"].idxmax(), "run"]
    return Result(metrics={**metrics, "best_run_test_acc": float(summary["last_test_acc"].max())}, summary=summary,
                  history=parts[best].history, data={"curves": point_curves({r: parts[r] for r in runs})})


def breadth_depth_point(p: P, ctx, run: str) -> Result:
    """One net: an input layer of U units, L hidden layers of U units, 10 outputs (the course's ModuleDict net)."""
    layers, units = (int(part[1:]) for part in run.split("_"))
    data = mnist_data(p, ctx, *load_mnist(ctx))
    model, history, _ = train_mnist(p, ctx, data, ("run", run), make_optimizer=sgd(p["lr"]),
                                    build=lambda: MLP(mnist.PIXELS, units, layers, mnist.CLASSES))
    n = p["last_epochs"]
    row = {"run": run, "hidden_layers": layers, "units": units,
           "parameters": sum(q.numel() for q in model.parameters()),
           "train_acc": float(history.last("train_acc", n)), "test_acc": float(history.last("test_acc", n))}
    return Result(metrics={k: row[k] for k in ("train_acc", "test_acc", "parameters")},
                  summary=pd.DataFrame([row]), history=history.frame())


def breadth_depth_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in breadth_depth_points(p, ctx.scale) if r in parts]
    summary = pd.concat([parts[r].summary for r in runs], ignore_index=True)
    by_depth = summary.groupby("hidden_layers")["test_acc"].mean()
    return Result(
        metrics={**{f"test_acc_{r}": parts[r].metrics["test_acc"] for r in runs},
                 "min_test_acc": float(summary["test_acc"].min()), "max_test_acc": float(summary["test_acc"].max()),
                 "r_units_test_acc": float(np.corrcoef(summary["units"], summary["test_acc"])[0, 1]),
                 **{f"mean_test_acc_{k}_hidden": float(v) for k, v in by_depth.items()}},
        summary=summary, history=parts[summary.loc[summary["test_acc"].idxmax(), "run"]].history,
        data={"curves": point_curves({r: parts[r] for r in runs})})
