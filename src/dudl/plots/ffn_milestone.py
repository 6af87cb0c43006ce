"""Figures of section ffn_milestone."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result


def adding_machine(result: Result, p: Mapping[str, Any]):
    pred = result.table("predictions")
    fig, (ax,) = style.figure(width=5.5, height=5)
    rounded = np.round(pred["predicted"])
    correct = (pred["predicted"] - pred["true"]).abs() < 1
    ax.scatter(pred["true"][correct], rounded[correct], s=14, color=style.TRAIN, alpha=0.5, label="|error| < 1")
    ax.scatter(pred["true"][~correct], rounded[~correct], s=14, color=style.HIGHLIGHT, alpha=0.7, label="wrong")
    lims = [pred["true"].min() - 1, pred["true"].max() + 1]
    ax.plot(lims, lims, **style.REFERENCE)
    ax.set(xlabel="True sum", ylabel="Predicted sum (rounded)",
           title=f"Last model on new pairs: {100 * correct.mean():.1f}% correct")
    ax.legend()

    table = result.table("instances")
    long = table.melt(id_vars="instance", value_vars=["train_acc", "test_acc"], var_name="split", value_name="acc")
    long["split"] = long["split"].map({"train_acc": "Train", "test_acc": "Test"})
    fig_inst, (ax,) = style.figure(width=7, height=3.8)
    sns.barplot(data=long, x="instance", y="acc", hue="split", palette=[style.TRAIN, style.TEST], ax=ax)
    ax.set(xlabel="Model instance", ylabel="Accuracy (%)", ylim=(0, 105),
           title=f"Median test accuracy {result.metrics['median_test_acc']:.1f}%")
    ax.legend(title=None)
    return {"predictions": fig, "instances": fig_inst}


def heart_disease(result: Result, p: Mapping[str, Any]):
    fig_z, axes = style.figure(ncols=2, width=6, height=4.2)
    for ax, name, title in zip(axes, ("raw", "scaled"), ("Raw features", "z-scored (0/1 columns kept)")):
        frame: pd.DataFrame = result.table(name)
        sns.boxplot(data=frame, ax=ax, color=style.TRAIN, fliersize=2)
        ax.set(title=title, ylabel="Value")
        ax.tick_params(axis="x", rotation=90)
    h = result.history
    fig, axes = style.figure(ncols=2, width=5.2, height=4)
    style.train_test(axes[0], h, "loss")
    axes[0].set_title("Losses (BCE)")
    style.train_test(axes[1], h, "acc")
    axes[1].set_title(f"Final model test accuracy: {result.metrics['final_test_acc']:.2f}%")
    return {"zscoring": fig_z, "training": fig}


def missing_data(result: Result, p: Mapping[str, Any]):
    h = result.history
    fig_loss, (ax,) = style.figure(width=6, height=3.8)
    ax.plot(h["epoch"], h["train_loss"], color=style.TRAIN)
    ax.set(xlabel="Epoch", ylabel="Loss (MSE)", title="Train loss")
    pred = result.table("predictions")
    fig, (ax,) = style.figure(width=5.5, height=5)
    for split, color, size in (("train", style.TRAIN, 8), ("test", style.TEST, 40)):
        rows = pred[pred["split"] == split]
        r = result.metrics[f"{split}_r"]
        label = "Train" if split == "train" else "Removed (interpolated)"
        ax.scatter(rows["true"], rows["predicted"], s=size, color=color, alpha=0.6 if split == "train" else 0.95,
                   label=f"{label} r={r:.2f}")
    ax.set(xlabel="True residual sugar (z)", ylabel="Predicted residual sugar (z)",
           title="Interpolating missing sugar values")
    ax.legend()
    return {"loss": fig_loss, "predictions": fig}
