"""Figures of section regularization."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _doughnuts(points: pd.DataFrame):
    fig, (ax,) = style.figure(width=4.8, height=4.6)
    style.scatter_classes(ax, points[["x1", "x2"]].to_numpy(), points["label"].to_numpy())
    ax.set(title="The qwerties' doughnuts", xlabel="qwerty dimension 1", ylabel="qwerty dimension 2", aspect="equal")
    return fig


def _accuracy(history: pd.DataFrame, title: str, markers: bool = False):
    fig, (ax,) = style.figure(width=8, height=4)
    style.train_test(ax, history, "acc", markers=markers)
    ax.set_title(title)
    return fig


def _sweep_curves(curves: pd.DataFrame, key: str, legend_title: str, ylim=(50, 101)):
    """Train and test accuracy per epoch, one line per swept value (every value in the legend, as the course's)."""
    values = sorted(curves[key].unique())
    labels = {v: f"{v:.4g}" for v in values}
    frame = curves.assign(**{legend_title: curves[key].map(labels)})
    fig, axes = style.figure(ncols=2, width=6, height=4.5, sharey=True)
    for ax, column, title in zip(axes, ("train_acc", "test_acc"), ("Train accuracy", "Test accuracy")):
        sns.lineplot(data=frame, x="epoch", y=column, hue=legend_title, hue_order=[labels[v] for v in values],
                     palette=style.SEQUENTIAL, ax=ax, linewidth=1, legend=ax is axes[1])
        ax.set(xlabel="Epoch", ylabel="Accuracy (%)", ylim=ylim, title=title)
    sns.move_legend(axes[1], "center left", bbox_to_anchor=(1, 0.5))
    return fig


def _rate_sweep(summary: pd.DataFrame):
    """The course's dropout figure: accuracy against dropout proportion, and train minus test."""
    fig, axes = style.figure(ncols=2, width=5.2)
    for column, color, label in (("train_acc", style.TRAIN, "Train"), ("test_acc", style.TEST, "Test")):
        axes[0].plot(summary["dropout_rate"], summary[column], "o-", color=color, label=label)
    last = int(summary["last_epochs"].iloc[0])
    axes[0].set(xlabel="Dropout proportion", ylabel="Average accuracy (%)",
                title=f"Mean over the last {last} epochs")
    axes[0].legend()
    axes[1].plot(summary["dropout_rate"], summary["train_minus_test"], "o-", color=style.EXTRA)
    axes[1].axhline(0, **style.REFERENCE)
    axes[1].set(xlabel="Dropout proportion", ylabel="Train-test difference (acc%)", title="Train minus test")
    return fig


def dropout(result: Result, p: Mapping[str, Any]):
    rate = result.metrics["representative_dropout_rate"]
    single = _accuracy(result.table("smoothed"), f"Dropout rate = {rate:g}")
    single.axes[0].set_ylabel(f"Accuracy (%), smoothed over {p['smoothing']} epochs")
    return {"data": _doughnuts(result.table("points")), "single_run": single, "sweep": _rate_sweep(result.summary)}


def dropout_example2(result: Result, p: Mapping[str, Any]):
    rate = result.metrics["representative_dropout_rate"]
    return {"single_run": _accuracy(result.history, f"Dropout rate = {rate:g}"), "sweep": _rate_sweep(result.summary)}


def dropout_in_pytorch(result: Result, p: Mapping[str, Any]):
    s = result.summary
    steps = s[s["values"].fillna("").astype(str) != ""].reset_index(drop=True)
    fig, axes = style.figure(nrows=len(steps) + 1, width=7, height=1.25, sharex=False)
    for ax, row in zip(axes, steps.itertuples()):
        values = np.array([float(v) for v in str(row.values).split()])
        index = np.arange(len(values))
        ax.bar(index, values, color=style.TRAIN)
        ax.plot(index[values == 0], values[values == 0], "x", color=style.HIGHLIGHT, markersize=9, mew=2)
        ax.axhline(1, **style.REFERENCE)
        ax.set(ylim=(-0.3, 2.3), yticks=[0, 1, 2], xticks=[], title=f"{row.step}: {row.zeros} zeros, mean {row.mean:g}")
    long = s.iloc[-1]
    zeroed = long["zeros"] / p["n_check"]
    axes[-1].barh([0], [zeroed], color=style.HIGHLIGHT)
    axes[-1].barh([0], [1 - zeroed], left=[zeroed], color=style.TRAIN)
    axes[-1].text(zeroed / 2, 0, "zeroed", ha="center", va="center", color="white")
    axes[-1].text((1 + zeroed) / 2, 0, "kept, scaled to 2", ha="center", va="center", color="white")
    axes[-1].set(xlim=(0, 1), yticks=[], xlabel="Fraction of elements",
                 title=f"{p['n_check']} ones in train mode: {zeroed:.1%} zeroed, mean {long['mean']:.3f}")
    return {"demo": fig}


def _penalty(result: Result, p: Mapping[str, Any], kind: str):
    h = result.history
    lam = result.metrics["single_lambda"]
    fig_single, axes = style.figure(ncols=2, width=5.5)
    axes[0].plot(h["epoch"], h["train_loss"], color="0.2")
    axes[0].set(xlabel="Epoch", ylabel="Loss", title=f"Losses with {kind} λ={lam:g}")
    style.train_test(axes[1], h, "acc")
    axes[1].set_title(f"Accuracy with {kind} λ={lam:g}")

    fig_curves = _sweep_curves(result.table("curves"), "lambda", "λ")

    s = result.summary
    start, stop = result.metrics["average_epochs"].split("-")
    fig_sweep, (ax,) = style.figure(width=6)
    ax.plot(s["lambda"], s["mean_train_acc"], "o-", color=style.TRAIN, label="Train")
    ax.plot(s["lambda"], s["mean_test_acc"], "s-", color=style.TEST, label="Test")
    ax.set(xlabel=f"{kind} regularization amount", ylabel="Accuracy (%)",
           title=f"Mean accuracy over epochs {start}-{stop}")
    ax.legend()
    return {"single_run": fig_single, "curves": fig_curves, "sweep": fig_sweep}


def l2_regu(result: Result, p: Mapping[str, Any]):
    return _penalty(result, p, "L2")


def l1_regu(result: Result, p: Mapping[str, Any]):
    return _penalty(result, p, "L1")


def minibatch(result: Result, p: Mapping[str, Any]):
    iris = result.table("iris")
    fig_data, (ax,) = style.figure(width=9, height=4.2)
    for k, column in enumerate(IRIS_FEATURES):
        ax.plot(np.arange(len(iris)), iris[column], "o", markersize=3, color=style.PALETTE[k], label=column)
    ax.set(xlabel="Sample number", ylabel="Value", title="Iris measurements, in file order")
    ax.legend()

    h = result.history
    fig, axes = style.figure(ncols=2, width=5.5)
    axes[0].plot(h["epoch"], h["train_loss"], color="0.2")
    axes[0].set(xlabel="Epoch", ylabel="Loss", title=f"Losses with minibatch size={p['batch_size']}")
    style.train_test(axes[1], h, "acc")
    axes[1].set(ylim=(27, 103), title=f"Accuracy with minibatch size={p['batch_size']}: "
                                      f"test {result.metrics['final_test_acc']:.0f}%")
    return {"data": fig_data, "training": fig}


def code_challenge_minibatch(result: Result, p: Mapping[str, Any]):
    fig_curves = _sweep_curves(result.table("curves"), "batch_size", "Batch size")

    s = result.summary
    fig_sweep, (ax,) = style.figure(width=6)
    ax.plot(s["batch_size"], s["final_train_acc"], "o-", color=style.TRAIN, label="Train")
    ax.plot(s["batch_size"], s["final_test_acc"], "s-", color=style.TEST, label="Test")
    ax.set_xscale("log", base=2)
    ax.set_xticks(s["batch_size"], [str(b) for b in s["batch_size"]])
    ax.set(xlabel="Minibatch size", ylabel="Final accuracy (%)",
           title=f"Final accuracy after {len(result.history)} epochs")
    ax.legend()
    return {"curves": fig_curves, "sweep": fig_sweep}


def test_batch_t2(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    fig = _accuracy(result.history, f"Test batches of {m['first_test_batch_size']} and {m['last_test_batch_size']}: "
                                    f"mean of batch accuracies {m['final_test_acc']:.1f}%, "
                                    f"all points at once {m['final_test_acc_all_points']:.1f}%", markers=True)
    for line in fig.axes[0].get_lines():
        line.set_linestyle("none")
    fig.axes[0].legend()
    return {"data": _doughnuts(result.table("points")), "accuracy": fig}
