"""Section measure_performance: accuracy, precision, recall and F1 (from scikit-learn, through dudl.performance)
on simulated counts, on the wine data and on MNIST, with a rare class, and the computation time of training.

The MNIST notebooks share the course's recipe: the 20,000-digit subset divided by its max, a 90/10 split,
batches of 32 (drop_last), the test set as one batch, the 784-64-32-32-10 ReLU net, CrossEntropyLoss and Adam.
At scale < 1 they train on a stratified, seeded share of the digits (ctx.subset).
"""

from __future__ import annotations

import time as _clock  # `time` is the name of an experiment below
from typing import Any, Mapping

import numpy as np
import pandas as pd
from torch import nn

from dudl import performance
from dudl.data import mnist
from dudl.experiments.common import wine_split
from dudl.experiments.mnist_recipe import DIGITS, load_mnist, mnist_data, predicted_labels, train_mnist
from dudl.experiments.training import adam, loaders, sgd, train_run
from dudl.models.mlp import mlp
from dudl.results import Result
from dudl.train import accuracy, evaluate, supervised_step, train

P = Mapping[str, Any]
SEVEN = 7


# ---------------------------------------------------------------- shared pieces


def measures_table(train: Mapping[str, float], test: Mapping[str, float]) -> pd.DataFrame:
    """Long table (split, measure, value) for the course's four-measure bar chart."""
    rows = [{"split": split, "measure": m, "value": scores[m]}
            for split, scores in (("train", train), ("test", test)) for m in performance.MEASURES]
    return pd.DataFrame(rows)


def prefixed(split: str, scores: Mapping[str, float]) -> dict[str, float]:
    return {f"{split}_{k}": v for k, v in scores.items()}


def mnist_report(model: nn.Module, data: mnist.MnistSplit, device) -> tuple[dict, dict[str, Any]]:
    """Weighted measures on train and test, per-digit measures on test, the best/worst-served digit and the
    row-normalised confusion matrices: (metrics, data)."""
    pred_train = predicted_labels(model, data.x_train, device)
    pred_test = predicted_labels(model, data.x_test, device)
    train_scores = performance.scores(data.y_train, pred_train, average="weighted")
    test_scores = performance.scores(data.y_test, pred_test, average="weighted")
    per_digit = performance.per_class(data.y_test, pred_test, DIGITS)
    metrics = {**prefixed("train", train_scores), **prefixed("test", test_scores),
               "test_macro_precision": performance.scores(data.y_test, pred_test, average="macro")["precision"],
               **performance.class_gap(per_digit, "recall"), **performance.class_gap(per_digit, "precision")}
    figures = {"measures": measures_table(train_scores, test_scores), "per_class": per_digit,
               "confusion_train": performance.confusion(data.y_train, pred_train, DIGITS, normalize="true"),
               "confusion_test": performance.confusion(data.y_test, pred_test, DIGITS, normalize="true")}
    return metrics, figures


# ---------------------------------------------------------------- experiments


def aprf(p: P, ctx) -> Result:
    """Simulated experiments with n positives and n negatives: TP and TN drawn (numpy's randint(1, n)), FN and FP
    the rest; the four measures from the counts, as the course computes them."""
    n, k = p["n_per_class"], ctx.scale.count(p["experiments"], minimum=100)
    rng = ctx.rng("simulation")
    tp, tn = rng.integers(1, n, k), rng.integers(1, n, k)
    fn, fp = n - tp, n - tn
    table = pd.DataFrame({"tp": tp, "fp": fp, "tn": tn, "fn": fn, **performance.from_counts(tp, fp, tn, fn)})
    near_half = table[(table["accuracy"] - 0.5).abs() <= 0.01]
    metrics = {"experiments": k, **{f"{m}_mean": float(table[m].mean()) for m in performance.MEASURES},
               "corr_accuracy_f1": float(np.corrcoef(table["accuracy"], table["f1"])[0, 1]),
               "f1_range_at_accuracy_half": float(near_half["f1"].max() - near_half["f1"].min())}
    summary = table[list(performance.MEASURES)].describe().T.reset_index(names="measure")
    return Result(metrics=metrics, summary=summary, data={"simulation": table})


def aprf_wine(p: P, ctx) -> Result:
    """The wine net (BCEWithLogits, SGD, 1000 epochs), then scikit-learn's four measures on train and test with
    class 1 = quality > 5 (logit > 0), and both confusion matrices."""
    data = wine_split(p, ctx)
    x_train, x_test, y_train, y_test = data
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"]), nn.BCEWithLogitsLoss(),
                                  sgd(p["lr"]), p["batch_size"],
                                  ctx.scale.epochs(p["epochs"]), "model", show_progress=ctx.show_progress)
    y_train, y_test = y_train[:, 0].astype(np.int64), y_test[:, 0].astype(np.int64)
    pred_train = predicted_labels(model, x_train, ctx.device)
    pred_test = predicted_labels(model, x_test, ctx.device)
    train_scores, test_scores = performance.scores(y_train, pred_train), performance.scores(y_test, pred_test)
    measures = measures_table(train_scores, test_scores)
    return Result(
        metrics={**prefixed("train", train_scores), **prefixed("test", test_scores),
                 "final_test_acc": float(history["test_acc"][-1])},
        summary=measures,
        history=history.frame(),
        data={"measures": measures,
              "confusion_train": performance.confusion(y_train, pred_train, [0, 1]),
              "confusion_test": performance.confusion(y_test, pred_test, [0, 1])},
        models={"model": model.state_dict()},
    )


def aprf_mnist(p: P, ctx) -> Result:
    data = mnist_data(p, ctx, *load_mnist(ctx))
    model, history, _ = train_mnist(p, ctx, data)
    metrics, tables = mnist_report(model, data, ctx.device)
    return Result(metrics={**metrics, "final_test_acc": float(history["test_acc"][-1])},
                  summary=tables["per_class"], history=history.frame(), data=tables,
                  models={"model": model.state_dict()})


def code_challenge_unequal(p: P, ctx) -> Result:
    """All but the first `sevens_kept` sevens removed (in the file's order, as the course deletes them), then the
    MNIST recipe: the sevens' recall falls behind the other digits'."""
    images, labels = load_mnist(ctx)
    sevens = np.flatnonzero(labels == SEVEN)
    keep = np.setdiff1d(np.arange(len(labels)), sevens[p["sevens_kept"]:])
    data = mnist_data(p, ctx, images, labels, keep)
    model, history, _ = train_mnist(p, ctx, data)
    metrics, tables = mnist_report(model, data, ctx.device)
    seven = tables["per_class"].set_index("class").loc[SEVEN]
    counts = pd.DataFrame({"digit": DIGITS, "before": np.bincount(labels, minlength=10),
                           "after": np.bincount(labels[keep], minlength=10)})
    metrics = {"rows_before": len(labels), "rows_after": len(keep), "sevens_before": len(sevens),
               "sevens_after": int(min(len(sevens), p["sevens_kept"])), **metrics,
               "seven_recall": float(seven["recall"]), "seven_precision": float(seven["precision"]),
               "final_test_acc": float(history["test_acc"][-1])}
    return Result(metrics=metrics, summary=tables["per_class"], history=history.frame(),
                  data={**tables, "counts": counts}, models={"model": model.state_dict()})


def time(p: P, ctx) -> Result:
    """One training timed epoch by epoch (CPU time, time.process_time, as the course), then `repetitions` timed
    trainings. The timings go to summary.csv and the figure; metrics.json keeps the reproducible numbers only."""
    data = mnist_data(p, ctx, *load_mnist(ctx))
    epochs = ctx.scale.epochs(p["epochs"])
    train_batches, test_batches = loaders(ctx, data.x_train, data.y_train, data.x_test, data.y_test,
                                          p["batch_size"], "model")
    model = mlp(p["layers"]).to(ctx.device)
    loss_fn, opt = nn.CrossEntropyLoss(), adam(p["lr"])(model.parameters())
    elapsed: list[float] = []
    start = _clock.process_time()

    def after_epoch() -> dict[str, Any]:
        test_loss, test_acc = evaluate(model, test_batches, loss_fn, accuracy)
        elapsed.append(_clock.process_time() - start)
        return {"test_loss": test_loss, "test_acc": test_acc}

    history = train(supervised_step(model, loss_fn, opt, accuracy), train_batches, epochs, modules=model,
                    optimizers=opt, evaluate=after_epoch, show_progress=ctx.show_progress, desc="timed")
    test_scores = performance.scores(data.y_test, predicted_labels(model, data.x_test, ctx.device),
                                     average="weighted")
    rows = [{"training": "first", "epoch": e + 1, "cpu_seconds": elapsed[e],
             "epoch_cpu_seconds": elapsed[e] - (elapsed[e - 1] if e else 0.0),
             "test_acc": float(history["test_acc"][e])} for e in range(epochs)]
    repeated = []
    for rep in range(ctx.scale.reps(p["repetitions"])):
        begin = _clock.process_time()
        _, rep_history, _ = train_mnist(p, ctx, data, ("rep", rep))
        repeated.append({"training": f"repetition {rep + 1}", "epoch": epochs,
                         "cpu_seconds": _clock.process_time() - begin,
                         "test_acc": float(rep_history["test_acc"][-1])})
    summary = pd.DataFrame(rows + repeated)
    return Result(
        metrics={**prefixed("test", test_scores), "final_test_acc": float(history["test_acc"][-1]),
                 "repetitions": len(repeated),
                 "repetitions_test_acc_mean": float(np.mean([r["test_acc"] for r in repeated]))},
        summary=summary, history=history.frame(), data={"timings": summary},
    )
