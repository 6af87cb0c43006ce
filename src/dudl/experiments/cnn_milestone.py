"""Section cnn_milestone: CIFAR-10 and Fashion-MNIST classifiers scored on a devset every epoch and on a held-out
test set once, a CIFAR-10 convolutional autoencoder, and the psychometric function of a CNN trained on bars."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from scipy.special import expit
from torch import nn

from dudl.experiments.common import binary_targets, example_rows, final, split
from dudl.experiments.training import adam, loaders, predict, to_tensors, train_run
from dudl.models.cnn_milestone import bar_net, cifar_autoencoder, cifar_classifier, fashion_classifier
from dudl.models.mlp import count_parameters
from dudl.results import Result
from dudl.train import Batches, accuracy, evaluate, fit

P = Mapping[str, Any]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


# ---------------------------------------------------------------- data


def signed_unit(images: np.ndarray) -> np.ndarray:
    """uint8 images [N, H, W] or [N, H, W, C] as float32 [N, C, H, W] in -1..1: the course's ToTensor (/ 255,
    channels first) then Normalize(.5, .5)."""
    x = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    x = x.astype(np.float32)
    x /= 127.5
    x -= 1
    return x


def _load(ctx, dataset: str) -> dict[str, np.ndarray]:
    arrays = {}
    for part in ("train", "test"):
        with np.load(ctx.data_file(dataset, f"{part}.npz")) as data:
            arrays[f"{part}_images"], arrays[f"{part}_labels"] = data["images"], data["labels"]
            if "classes" in data:
                arrays["classes"] = data["classes"]
    return arrays


def image_sets(ctx, dataset: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], list[str]]:
    """((train x, y), (held-out test x, y), class names): pixels in -1..1. Below scale 1.0, a stratified, seeded
    share of each (ctx.subset), so smoke runs stay small; at 1.0 every image, in the files' order."""
    a = _load(ctx, dataset)
    classes = [str(c) for c in a["classes"]] if "classes" in a else FASHION_CLASSES
    keep_train = ctx.subset(a["train_labels"], "train")
    keep_test = ctx.subset(a["test_labels"], "test")
    return ((signed_unit(a["train_images"][keep_train]), a["train_labels"][keep_train]),
            (signed_unit(a["test_images"][keep_test]), a["test_labels"][keep_test]), classes)


def dev_test_split(ctx, n: int, dev_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(dev, test) indices of n held-out images: a seeded random permutation, the first dev_size (scaled, and
    leaving at least one test image) to the devset, the rest to the test set (the course's randidx[:6000])."""
    order = ctx.rng("devtest").permutation(n)
    k = max(1, min(ctx.scale.count(dev_size), n - 1))
    return order[:k], order[k:]


class RandomFlips:
    """Minibatches whose images each flip left-right with probability p, drawn anew on every pass: the course's
    T.RandomHorizontalFlip inside the Dataset's transform. Shares the generator of the training batches, so one
    seeded stream (which resume checkpoints keep) decides shuffling and flips."""

    def __init__(self, batches, p: float, generator: torch.Generator):
        self.batches, self.p, self.generator = batches, p, generator

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for xb, yb in self.batches:
            flip = (torch.rand(len(xb), generator=self.generator) < self.p).to(xb.device)
            yield torch.where(flip[:, None, None, None], xb.flip(-1), xb), yb


def _flipped(batches, p: float, generator):
    return RandomFlips(batches, p, generator) if p > 0 else batches


# ---------------------------------------------------------------- projects 1 and 3: train / dev / test


def _classify(p: P, ctx, dataset: str, build, show: str) -> Result:
    """Train on the training set, score the devset every epoch and the test set once at the end (one batch,
    flipped once when p["flip"], as the course's next(iter(test_loader))). `show`: which images the examples
    figure draws ("train" or "test", as each notebook does)."""
    (x_train, y_train), (x_held, y_held), classes = image_sets(ctx, dataset)
    dev, test = dev_test_split(ctx, len(y_held), p["dev_size"])
    batch = min(p["batch_size"], len(y_train))  # only a tiny test archive has fewer images than one batch
    train_b, dev_b = loaders(ctx, x_train, y_train, x_held[dev], y_held[dev], batch, "model",
                             test_batch_size=p["dev_batch_size"])
    generator = train_b.generator
    model = build().to(ctx.device)
    loss_fn = nn.CrossEntropyLoss()
    opt = adam(p["lr"], weight_decay=p["weight_decay"])(model.parameters())
    history = fit(model, _flipped(train_b, p["flip"], generator), loss_fn, opt, ctx.scale.epochs(p["epochs"]),
                  metric=accuracy, test=_flipped(dev_b, p["flip"], generator), show_progress=ctx.show_progress,
                  desc="model")
    test_batch = next(iter(_flipped(Batches(*to_tensors(ctx.device, x_held[test], y_held[test])), p["flip"],
                                    generator)))
    test_loss, test_acc = evaluate(model, [test_batch], loss_fn, accuracy)
    shown_x, shown_y = (x_train, y_train) if show == "train" else (t.cpu().numpy() for t in test_batch)
    picks = example_rows(ctx, len(shown_y), p["examples"])
    return Result(
        metrics={**{k.replace("test", "dev"): v for k, v in final(history).items()},
                 "test_loss": float(test_loss), "test_acc": float(test_acc), "train_images": int(len(y_train)),
                 "dev_images": int(len(dev)), "test_images": int(len(test)), "classes": len(classes),
                 "parameters": count_parameters(model)},
        history=history.frame().rename(columns={"test_loss": "dev_loss", "test_acc": "dev_acc"}),
        data={"examples": shown_x[picks],
              "example_labels": pd.DataFrame({"label": [classes[i] for i in shown_y[picks]]})},
        models={"model": model.state_dict()},
    )


def cifar10_classify(p: P, ctx) -> Result:
    return _classify(p, ctx, "cifar10", cifar_classifier, show="train")


def fashion_mnist(p: P, ctx) -> Result:
    return _classify(p, ctx, "fashion_mnist", fashion_classifier, show="test")


# ---------------------------------------------------------------- project 2: the CIFAR-10 autoencoder


def cifar10_autoencoder(p: P, ctx) -> Result:
    (x_train, y_train), (x_test, _), classes = image_sets(ctx, "cifar10")
    generator = ctx.torch_seed("model")
    xt, xte = to_tensors(ctx.device, x_train, x_test)  # the target is the input: one tensor serves as both
    batch = min(p["batch_size"], len(xt))  # only a tiny test archive has fewer images than one batch
    train_b = Batches(xt, xt, batch, shuffle=True, drop_last=True, generator=generator)
    model = cifar_autoencoder().to(ctx.device)
    opt = adam(p["lr"], weight_decay=p["weight_decay"])(model.parameters())
    history = fit(model, train_b, nn.MSELoss(), opt, ctx.scale.epochs(p["epochs"]),
                  test=Batches(xte, xte, p["test_batch_size"]), show_progress=ctx.show_progress, desc="model")
    k = min(p["shown"], len(x_test))
    picks = example_rows(ctx, len(y_train), p["examples"])
    return Result(
        metrics={**final(history, ("train_loss", "test_loss")), "train_images": int(len(xt)),
                 "test_images": int(len(xte)), "parameters": count_parameters(model)},
        history=history.frame(),
        data={"examples": x_train[picks],
              "example_labels": pd.DataFrame({"label": [classes[i] for i in y_train[picks]]}),
              "originals": x_test[:k], "reconstructions": predict(model, x_test[:k], ctx.device)},
        models={"model": model.state_dict()},
    )


# ---------------------------------------------------------------- project 4: bars, lines, psychometric function


def noisy_bars(rng: np.random.Generator, n: int, size: int = 30, bar_start=(2, 28), bar_thickness=(2, 6)):
    """(images [n, 1, size, size] float32, labels [n] 0/1): N(0, 1) noise with one bar of 1s, rows from a start
    in [bar_start) of a thickness in [bar_thickness) (horizontal, label 0) or, at random, columns (vertical, 1)."""
    images = rng.standard_normal((n, 1, size, size)).astype(np.float32)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        start, thick = rng.integers(*bar_start), rng.integers(*bar_thickness)
        if rng.standard_normal() > 0:
            images[i, 0, start:start + thick, :] = 1
        else:
            images[i, 0, :, start:start + thick] = 1
            labels[i] = 1
    return images, labels


def line_images(size: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """(images [2 size, 1, size, size], slopes [2 size]): the course's anti-aliased lines (skimage.draw.line_aa)
    from edge to edge, first those from (x 0, y i) to (x size-1, y size-1-i), |slope| <= 1, then those from
    (x i, y 0) to (x size-1-i, y size-1), |slope| >= 1; slope = dy / (dx + 1e-10) with y the row."""
    from skimage.draw import line_aa

    images = np.zeros((2 * size, 1, size, size), dtype=np.float32)
    slopes = np.zeros(2 * size)
    last = size - 1
    for i in range(size):
        for j, (x1, y1, x2, y2) in enumerate(((0, i, last, last - i), (i, 0, last - i, last))):
            slopes[i + j * size] = (y2 - y1) / (x2 - x1 + 1e-10)
            rows, cols, value = line_aa(y1, x1, y2, x2)
            images[i + j * size, 0, rows, cols] = value
    return images, slopes


def psychometric(p: P, ctx) -> Result:
    n = ctx.scale.count(p["images"], minimum=200)
    images, labels = noisy_bars(ctx.rng("images"), n, p["size"], p["bar_start"], p["bar_thickness"])
    data = split(images, binary_targets(labels), p["test_size"], ctx.seed_for("split"))
    model, history, _ = train_run(ctx, data, bar_net, nn.BCEWithLogitsLoss(), adam(p["lr"]), p["batch_size"],
                                  ctx.scale.epochs(p["epochs"]), "model", show_progress=ctx.show_progress)
    lines, slopes = line_images(p["size"])
    p_vertical = expit(predict(model, lines, ctx.device)[:, 0].astype(np.float64))
    shallow, steep = np.abs(slopes) < 1, np.abs(slopes) > 1
    return Result(
        metrics={**final(history), "images": int(n), "lines": int(len(slopes)),
                 "percent_vertical": float(np.mean(p_vertical > 0.5) * 100),
                 "mean_p_vertical_shallow": float(p_vertical[shallow].mean()),
                 "mean_p_vertical_steep": float(p_vertical[steep].mean())},
        summary=pd.DataFrame({"line": np.arange(len(slopes)), "slope": slopes, "p_vertical": p_vertical}),
        history=history.frame(),
        data={"examples": images[:21, 0], "example_labels": labels[:21], "lines": lines[:, 0]},
    )
