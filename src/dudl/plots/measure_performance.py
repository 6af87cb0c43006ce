"""Figures of section measure_performance."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from dudl.plots import style
from dudl.results import Result

DIGITS = list(range(10))


def _measure_bars(ax, measures: pd.DataFrame, ylim, title: str) -> None:
    sns.barplot(data=measures, x="measure", y="value", hue="split", palette=[style.TRAIN, style.TEST], ax=ax)
    ax.set(xlabel="", ylabel="Score", ylim=ylim, title=title)
    ax.legend(title=None)


def _training(result: Result, title: str):
    h = result.history
    fig, axes = style.figure(ncols=2, width=5.2, height=4)
    axes[0].plot(h["epoch"], h["train_loss"], color=style.TRAIN)
    axes[0].set(xlabel="Epoch", ylabel="Loss", title="Model loss")
    style.train_test(axes[1], h, "acc", markers=True)
    axes[1].set_title(f"{title}: final test accuracy {result.metrics['final_test_acc']:.2f}%")
    return fig


def _confusions(pairs, classes, normalized: bool, vmax=None):
    fig, axes = style.figure(ncols=len(pairs), width=4.6 if normalized else 3.6, height=4.4 if normalized else 3.4)
    for ax, (title, matrix) in zip(axes, pairs):
        style.confusion_heatmap(ax, np.asarray(matrix) if normalized else np.asarray(matrix).astype(int), classes,
                                title=title, normalized=normalized, vmax=vmax)
    return fig


def _per_class(result: Result, ylim):
    fig, (ax,) = style.figure(width=7, height=3.8)
    table = result.table("per_class")
    style.per_class_bars(ax, table, ylim=ylim)
    m = result.metrics
    ax.set_title(f"Test set per digit: recall {m['best_recall']:.2f} (digit {m['best_recall_class']}) to "
                 f"{m['worst_recall']:.2f} (digit {m['worst_recall_class']}), gap {m['recall_gap']:.2f}")
    return fig


def aprf(result: Result, p: Mapping[str, Any]):
    table = result.table("simulation")
    fig, axes = style.figure(ncols=2, width=5, height=4.2)
    for ax, measure in zip(axes, ("precision", "recall")):
        points = ax.scatter(table["accuracy"], table["f1"], c=table[measure], s=5, cmap=style.SEQUENTIAL, vmin=0,
                            vmax=1, alpha=0.6, edgecolors="none")
        ax.axhline(0.5, **style.REFERENCE)
        ax.axvline(0.5, **style.REFERENCE)
        ax.set(xlabel="Accuracy", ylabel="F1-score", title=f"F1 vs accuracy, coloured by {measure}")
        fig.colorbar(points, ax=ax, label=measure.capitalize())
    return {"f1_vs_accuracy": fig}


def aprf_wine(result: Result, p: Mapping[str, Any]):
    fig, (ax,) = style.figure(width=6, height=4)
    _measure_bars(ax, result.table("measures"), (0.6, 1.0), "Wine quality > 5: performance measures")
    confusion = _confusions((("Train", result.data["confusion_train"]), ("Test", result.data["confusion_test"])),
                            ["low (0)", "high (1)"], normalized=False)
    return {"measures": fig, "confusion": confusion}


def aprf_mnist(result: Result, p: Mapping[str, Any]):
    fig, (ax,) = style.figure(width=6, height=4)
    _measure_bars(ax, result.table("measures"), (0.9, 1.0), "MNIST: weighted performance measures")
    confusion = _confusions((("Train", result.data["confusion_train"]), ("Test", result.data["confusion_test"])),
                            DIGITS, normalized=True, vmax=0.05)
    return {"training": _training(result, "MNIST"), "measures": fig, "per_class": _per_class(result, (0.5, 1.0)),
            "confusion": confusion}


def code_challenge_unequal(result: Result, p: Mapping[str, Any]):
    counts = result.table("counts")
    fig_counts, axes = style.figure(ncols=2, width=4.6, height=3.6, sharey=True)
    for ax, column, color in zip(axes, ("before", "after"), (style.TRAIN, style.TEST)):
        ax.bar(counts["digit"], counts[column], color=[style.HIGHLIGHT if d == 7 else color for d in counts["digit"]])
        ax.set(xlabel="Digit", ylabel="Count", xticks=DIGITS,
               title=f"{column.capitalize()}: {int(counts[column].sum())} digits, {int(counts.loc[7, column])} sevens")
    confusion = _confusions((("Test (rows sum to 1)", result.data["confusion_test"]),), DIGITS, normalized=True,
                            vmax=0.05)
    return {"counts": fig_counts, "training": _training(result, "Few sevens"),
            "per_class": _per_class(result, (0.7, 1.0)), "confusion": confusion}


def time(result: Result, p: Mapping[str, Any]):
    timings = result.table("timings")
    first = timings[timings["training"] == "first"]
    repeated = timings[timings["training"] != "first"]
    fig, axes = style.figure(ncols=2, width=5.2, height=4)
    ax = axes[0]
    ax.bar(first["epoch"], first["epoch_cpu_seconds"], color=style.TRAIN, label="CPU s per epoch")
    ax.set(xlabel="Epoch", ylabel="CPU seconds", title=f"First training: {first['cpu_seconds'].iloc[-1]:.1f} CPU s")
    twin = ax.twinx()
    twin.plot(first["epoch"], first["test_acc"], "o-", color=style.TEST, label="Test accuracy")
    twin.set_ylabel("Test accuracy (%)")
    twin.grid(False)
    axes[1].bar(np.arange(1, len(repeated) + 1), repeated["cpu_seconds"], color=style.EXTRA)
    axes[1].set(xlabel="Repetition", ylabel="CPU seconds",
                title=f"{len(repeated)} trainings: {repeated['cpu_seconds'].sum() / 60:.2f} CPU min in all")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return {"epoch_times": fig}
