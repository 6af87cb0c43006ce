"""Figures of section cnn."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.patches import Circle

from dudl.plots import style
from dudl.plots.convolution import panels
from dudl.plots.ffn import _final_title, _training
from dudl.results import Result

BLOB = dict(cmap="jet", vmin=-1, vmax=1, extent=(-4, 4, -4, 4))


def cnn4mnist(result: Result, p: Mapping[str, Any]):
    return {"training": _training(result, _final_title(result))}


def shifted(result: Result, p: Mapping[str, Any]):
    d = result.data
    example = panels({"Original": d["example"], f"Rolled by {p['example_shift']} (rows)": d["example_rolled"]},
                     ncols=2, size=3.0, cmap="gray")
    return {"shift_example": example, "training": _training(result, _final_title(result), "Test (shifted)")}


def _losses_and_accuracy(result: Result):
    h = result.history
    fig, axes = style.figure(ncols=2, width=4.8, height=3.8)
    style.train_test(axes[0], h, "loss")
    axes[0].set_title("Loss")
    style.train_test(axes[1], h, "acc")
    axes[1].set_title(_final_title(result))
    return fig


def gauss_class(result: Result, p: Mapping[str, Any]):
    d = result.data
    examples = panels({f"Class {int(c)}": img for c, img in zip(d["example_labels"], d["examples"])}, ncols=7,
                      size=1.9, **BLOB)
    s = result.summary
    predictions = panels({f"T:{t}, P:{g}": img for t, g, img in zip(s["true"], s["guess"], d["test_images"])},
                         ncols=10, size=1.6, **BLOB)
    f1, f2 = np.asarray(d["filters1"]), np.asarray(d["filters2"])
    filters, axes = style.figure(ncols=6, nrows=5, width=1.5, height=1.5)
    axes = axes.reshape(5, 6)
    for j in range(6):
        axes[0, j].imshow(f1[j], cmap="Purples")
        axes[0, j].set_title(f"Layer 1 filter {j}", fontsize=7)
        for i in range(4):
            axes[i + 1, j].imshow(f2[i, j], cmap="Purples")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    axes[1, 0].set_ylabel("Layer 2 (rows: out)", fontsize=7)
    return {"examples": examples, "training": _losses_and_accuracy(result), "predictions": predictions,
            "filters": filters}


def find_gauss(result: Result, p: Mapping[str, Any]):
    d, m, s = result.data, result.metrics, result.summary
    t = np.asarray(d["example_targets"])
    examples = panels({f"XY=({x:.0f},{y:.0f}), W={w:.0f}": img for (x, y, w), img in zip(t, d["examples"])},
                      ncols=7, size=1.9, **BLOB)
    h = result.history
    training, (ax,) = style.figure(width=6.0, height=3.8)
    ax.plot(h["epoch"], h["train_loss"], color=style.TRAIN, label="Train")
    ax.plot(h["epoch"], h["test_loss"], color=style.TEST, label="Test")
    ax.set(xlabel="Epoch", ylabel="Loss (MSE)", title=f"Final test loss: {m['final_test_loss']:.3f}")
    ax.legend()
    n = min(20, len(s))
    predictions = panels({f"Test {i}": img for i, img in enumerate(d["test_images"][:n])}, ncols=10, size=1.6, **BLOB)
    for ax, (_, row) in zip(predictions.axes, s.head(n).iterrows()):
        ax.plot(row["true_x"], row["true_y"], "wo", markersize=3)
        ax.plot(row["pred_x"], row["pred_y"], "kx", markersize=5)
        ax.add_patch(Circle((row["pred_x"], row["pred_y"]), np.sqrt(max(row["pred_width"], 0)), fill=False,
                            color="k"))
    fits, axes = style.figure(ncols=3, width=3.8, height=3.8)
    for ax, key, label in zip(axes, ("x", "y", "width"), ("Centre x", "Centre y", "Width")):
        ax.plot(s[f"true_{key}"], s[f"pred_{key}"], "o", color=style.TRAIN, markersize=4, alpha=0.7)
        lo, hi = s[f"true_{key}"].min(), s[f"true_{key}"].max()
        ax.plot([lo, hi], [lo, hi], **style.REFERENCE)
        ax.set(xlabel=f"True {label.lower()}", ylabel=f"Predicted {label.lower()}", title=f"{label}: r = {m[f'r_{key}']:.3f}")
    return {"examples": examples, "training": training, "predictions": predictions, "fits": fits}
