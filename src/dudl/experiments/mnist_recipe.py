"""The course's MNIST recipe, shared by the FFN, data and measurePerformance sections: the 20,000-digit subset
(dudl.data.mnist) divided by its max, a 90/10 split, batches of 32 with drop_last, the test set as one batch, and
the 784-64-32-32-10 ReLU net. At scale < 1 the experiments train on a stratified, seeded share of the digits
(ctx.subset), taken before the split."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from torch import nn

from dudl.data import mnist
from dudl.experiments.training import adam, loaders, optimizer, predict, train_run
from dudl.models.mlp import mlp

P = Mapping[str, Any]
DIGITS = list(range(mnist.CLASSES))


def load_mnist(ctx) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images [20000, 784], int64 labels) in the file's row order."""
    return mnist.load_small(ctx.data_file("mnist", "train_small.npz"))


def mnist_data(p: P, ctx, images: np.ndarray, labels: np.ndarray, keep: np.ndarray | None = None) -> mnist.MnistSplit:
    """The course's MNIST split; `keep` (row indices) is the course's own selection, then scale shrinks it."""
    keep = np.arange(len(labels)) if keep is None else np.asarray(keep)
    keep = keep[ctx.subset(labels[keep])]
    return mnist.standard(images, labels, ctx.seed_for("split"), keep=keep, test_size=p["test_size"])


def log_softmax_net(layers) -> nn.Module:
    """The course's mnistNet whose forward ends in log_softmax (its notebooks that train with NLLLoss)."""
    return mlp(layers, output="logsoftmax")


def train_mnist(p: P, ctx, data: mnist.MnistSplit, run_key: Any = "model", *, make_optimizer: Callable | None = None,
                loss_fn: nn.Module | None = None, build: Callable[[], nn.Module] | None = None,
                epochs: int | None = None):
    """One training of the recipe: by default the 784-64-32-32-10 net (p["layers"]), CrossEntropyLoss and Adam at
    p["lr"] for p["epochs"] (scaled). Returns (model, history, (train batches, test batches))."""
    return train_run(ctx, data.as_tuple(), build or (lambda: mlp(p["layers"])), loss_fn or nn.CrossEntropyLoss(),
                     make_optimizer or adam(p["lr"]), p["batch_size"], epochs or ctx.scale.epochs(p["epochs"]),
                     run_key, show_progress=ctx.show_progress)


def sgd_recipe_parts(p: P, ctx):
    """The recipe's pieces for a training that needs its own step or per-epoch measures (its own `train` call):
    (the 784-64-32-32-10 net, CrossEntropyLoss, SGD at p["lr"], train batches, test batches), seeded as
    train_mnist seeds them (batches first, then the net)."""
    data = mnist_data(p, ctx, *load_mnist(ctx))
    train_batches, test_batches = loaders(ctx, data.x_train, data.y_train, data.x_test, data.y_test,
                                          p["batch_size"], "model")
    model = mlp(p["layers"]).to(ctx.device)
    return model, nn.CrossEntropyLoss(), optimizer("SGD", model.parameters(), p["lr"]), train_batches, test_batches


def predicted_labels(model: nn.Module, x: np.ndarray, device) -> np.ndarray:
    """Class labels from the model's outputs: logit > 0 for one output column, argmax for several."""
    out = predict(model, x, device)
    return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
