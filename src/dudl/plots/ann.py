"""Figures of section ANN."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result

IRIS_SPECIES = ["setosa", "versicolor", "virginica"]


def _qwerties(points: pd.DataFrame, title: str = "The qwerties"):
    fig, (ax,) = style.figure(width=4.8, height=4.2)
    style.scatter_classes(ax, points[["x1", "x2"]].to_numpy(), points["label"].to_numpy())
    ax.set_title(title)
    return fig


def _loss(history: pd.DataFrame, title: str | None = None, column: str = "train_loss"):
    fig, (ax,) = style.figure()
    ax.plot(history["epoch"], history[column], color=style.TRAIN)
    ax.plot(history["epoch"].iloc[-1], history[column].iloc[-1], "o", color=style.HIGHLIGHT)
    ax.set(xlabel="Epoch", ylabel="Loss", title=title or f"Final loss = {history[column].iloc[-1]:.3f}")
    return fig


def _predictions(points: pd.DataFrame):
    fig, (ax,) = style.figure(width=4.8, height=4.2)
    wrong = points["label"] != points["predicted"]
    style.scatter_classes(ax, points[["x1", "x2"]].to_numpy(), points["predicted"].to_numpy(),
                          names=[f"predicted {k}" for k in range(int(points["predicted"].max()) + 1)])
    ax.scatter(points.loc[wrong, "x1"], points.loc[wrong, "x2"], marker="x", s=50, color=style.HIGHLIGHT,
               label="misclassified")
    ax.legend()
    ax.set_title(f"{100 * (1 - wrong.mean()):.1f}% correct")
    return fig


def _lr_sweep(result: Result):
    summary = result.summary if "phase" not in result.summary else result.summary.query("phase == 'sweep'")
    fig, axes = style.figure(ncols=2)
    axes[0].plot(summary["lr"], summary["accuracy"], "s-", color=style.TRAIN, markersize=4)
    axes[0].axhline(70, **style.REFERENCE)
    axes[0].set(xlabel="Learning rate", ylabel="Final accuracy (%)",
                title=f"{(summary['accuracy'] > 70).mean():.0%} of models above 70%")
    losses, lrs = result.data["sweep_losses"], result.data["lrs"]
    colors = sns.color_palette(style.SEQUENTIAL, len(lrs))
    for i in range(losses.shape[1]):
        axes[1].plot(np.arange(1, losses.shape[0] + 1), losses[:, i], color=colors[i], linewidth=0.8, alpha=0.8)
    axes[1].set(xlabel="Epoch", ylabel="Loss", title="Losses (dark: small lr, light: large lr)")
    return fig


def regression(result: Result, p: Mapping[str, Any]):
    pts = result.table("points")
    fig_data, (ax,) = style.figure(width=4.5, height=4)
    ax.scatter(pts["x"], pts["y"], color=style.TRAIN, s=18)
    ax.set(xlabel="x", ylabel="y", title=f"{len(pts)} points, y = {p['slope']}x + noise")
    fig_pred, (ax,) = style.figure(width=4.5, height=4)
    ax.scatter(pts["x"], pts["y"], color=style.TRAIN, s=18, label="Real data")
    ax.scatter(pts["x"], pts["prediction"], color=style.TEST, marker="s", s=18, label="Predictions")
    ax.set(xlabel="x", ylabel="y", title=f"prediction-data r = {result.metrics['r_prediction_data']:.2f}")
    ax.legend()
    return {"data": fig_data, "loss": _loss(result.history), "predictions": fig_pred}


def code_challenge_regression(result: Result, p: Mapping[str, Any]):
    single = result.table("single")
    fig_single, axes = style.figure(ncols=2)
    h = result.history
    axes[0].plot(h["epoch"], h["train_loss"], color=style.TRAIN)
    axes[0].set(xlabel="Epoch", ylabel="Loss", title="Loss")
    axes[1].scatter(single["x"], single["y"], color=style.TRAIN, s=16, label="Data")
    axes[1].scatter(single["x"], single["prediction"], color=style.TEST, marker="s", s=16, label="Predictions")
    axes[1].set(xlabel="x", ylabel="y",
                title=f"slope {p['single_slope']}: prediction-data r = {result.metrics['single_r_prediction_data']:.2f}")
    axes[1].legend()

    fig_perf, axes = style.figure(ncols=2)
    style.mean_band(axes[0], result.summary, "slope", "final_loss", color=style.TRAIN)
    axes[0].set(xlabel="Slope", ylabel="Final loss", title="Loss")
    style.mean_band(axes[1], result.summary, "slope", "r_prediction_data", color=style.TEST)
    axes[1].set(xlabel="Slope", ylabel="Prediction-data r", title="Model performance")

    examples = result.table("examples")
    fig_ex, (ax,) = style.figure(width=5.5, height=4.2)
    sns.scatterplot(data=examples, x="x", y="y", hue="slope", palette=style.DIVERGING, ax=ax, s=18)
    ax.set_title("Data at a few slopes")
    return {"single_run": fig_single, "performance": fig_perf, "example_data": fig_ex}


def classify_qwerties(result: Result, p: Mapping[str, Any]):
    pts = result.table("points")
    return {"data": _qwerties(pts), "loss": _loss(result.history), "predictions": _predictions(pts)}


def seq_vs_class(result: Result, p: Mapping[str, Any]):
    pts = result.table("points")
    h = result.history
    fig, (ax,) = style.figure()
    ax.plot(h["epoch"], h["train_loss"], color=style.TRAIN, linewidth=3, label="class")
    ax.plot(h["epoch"], h["train_loss_sequential"], color=style.TEST, linestyle="--", label="nn.Sequential")
    diff = result.metrics["max_abs_loss_difference_class_vs_sequential"]
    ax.set(xlabel="Epoch", ylabel="Loss", title=f"Largest loss difference: {diff:.1g}")
    ax.legend()
    return {"data": _qwerties(pts), "loss": fig, "predictions": _predictions(pts)}


def learning_rates(result: Result, p: Mapping[str, Any]):
    meta = result.summary.query("phase == 'meta'")
    fig_meta, (ax,) = style.figure(width=6)
    style.mean_band(ax, meta, "lr", "accuracy", color=style.TRAIN)
    ax.axhline(50, **style.REFERENCE)
    reps = meta["repetition"].nunique()
    ax.set(xlabel="Learning rate", ylabel="Accuracy (%)",
           title=f"Mean over {reps} repetitions: {result.metrics['meta_mean_accuracy']:.1f}%")
    single = _loss(result.history, f"lr {p['single_lr']}: final accuracy {result.metrics['single_accuracy']:.0f}%")
    return {"data": _qwerties(result.table("points")), "single_run": single, "sweep": _lr_sweep(result),
            "meta": fig_meta}


def multilayer(result: Result, p: Mapping[str, Any]):
    single = _loss(result.history, f"lr {p['single_lr']}: final accuracy {result.metrics['single_accuracy']:.0f}%")
    return {"data": _qwerties(result.table("points")), "single_run": single, "sweep": _lr_sweep(result)}


code_challenge_seq2class = multilayer


def _training(history: pd.DataFrame):
    fig, axes = style.figure(ncols=2)
    axes[0].plot(history["epoch"], history["train_loss"], color=style.TRAIN)
    axes[0].set(xlabel="Epoch", ylabel="Loss", title="Losses")
    axes[1].plot(history["epoch"], history["train_acc"], color=style.TRAIN)
    axes[1].set(xlabel="Epoch", ylabel="Accuracy (%)", title=f"Final accuracy: {history['train_acc'].iloc[-1]:.1f}%")
    return fig


def _probabilities(probs: np.ndarray, names):
    fig, (ax,) = style.figure(width=8, height=3.8)
    for k, name in enumerate(names):
        ax.plot(probs[:, k], "o", markersize=3, color=style.PALETTE[k], label=name)
    ax.set(xlabel="Sample number", ylabel="Probability", ylim=(-0.05, 1.05))
    ax.legend(loc="center right")
    return fig


def multioutput(result: Result, p: Mapping[str, Any]):
    grid = style.pairplot(result.table("iris"), hue="species")
    grid.figure.suptitle("Iris: four features, three species", y=1.02)
    return {"pairplot": grid.figure, "training": _training(result.history),
            "probabilities": _probabilities(result.data["probabilities"], IRIS_SPECIES)}


def code_challenge_qwerties(result: Result, p: Mapping[str, Any]):
    return {"data": _qwerties(result.table("points"), "Three qwerty clusters"), "training": _training(result.history),
            "probabilities": _probabilities(result.data["probabilities"], ["class 0", "class 1", "class 2"])}


def n_hidden_units(result: Result, p: Mapping[str, Any]):
    s = result.summary
    fig, (ax,) = style.figure(width=6)
    ax.plot(s["hidden_units"], s["accuracy"], "o-", color=style.TRAIN, markersize=4)
    for level in (33, 67):
        ax.axhline(level, **style.REFERENCE)
    ax.set(xlabel="Number of hidden units", ylabel="Accuracy (%)", title=f"Best: {s['accuracy'].max():.0f}%")
    return {"accuracy": fig}


def breadth_vs_depth(result: Result, p: Mapping[str, Any]):
    s = result.summary
    fig_units, (ax,) = style.figure(width=6.5, height=4.2)
    sns.lineplot(data=s, x="units", y="accuracy", hue="layers", palette=style.SEQUENTIAL, marker="o",
                 markersize=4, ax=ax)
    for level in (33, 67):
        ax.axhline(level, **style.REFERENCE)
    ax.set(xlabel="Number of hidden units", ylabel="Accuracy (%)", title="Accuracy by width and depth")
    fig_params, (ax,) = style.figure(width=6, height=4.2)
    sns.scatterplot(data=s, x="parameters", y="accuracy", hue="layers", palette=style.SEQUENTIAL, ax=ax, s=20)
    ax.set(xlabel="Number of parameters", ylabel="Accuracy (%)",
           title=f"Correlation: r = {result.metrics['r_parameters_accuracy']:.2f}")
    return {"accuracy_by_units": fig_units, "accuracy_by_parameters": fig_params}


def num_parameters(result: Result, p: Mapping[str, Any]):
    s = result.summary
    fig, axes = style.figure(ncols=2, width=4.5, sharey=True)
    for ax, net in zip(axes, ("wide", "deep")):
        rows = s[s["net"] == net]
        ax.bar(rows["layer"], rows["weights"], color=style.TRAIN, label="weights")
        ax.bar(rows["layer"], rows["biases"], bottom=rows["weights"], color=style.TEST, label="biases (= nodes)")
        ax.set(title=f"{net} net: {result.metrics[f'{net}_parameters']} parameters, "
                     f"{result.metrics[f'{net}_nodes']} nodes", ylabel="Parameters")
        ax.tick_params(axis="x", rotation=20)
    axes[0].legend()
    return {"parameters": fig}
