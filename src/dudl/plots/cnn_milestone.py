"""Figures of section cnn_milestone."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from dudl.plots import style
from dudl.plots.cnn import _losses_and_accuracy
from dudl.results import Result


def _pictures(x: np.ndarray) -> np.ndarray:
    """Images [N, C, H, W] in -1..1 as the course shows them: x / 2 + .5, channels last (grey: [N, H, W]),
    clipped to 0..1 for display."""
    x = np.asarray(x, dtype=float) / 2 + 0.5
    x = x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)
    return np.clip(x, 0, 1)


def _grid(images: np.ndarray, titles: Sequence[str], ncols: int, size: float = 1.9, cmap: str = "gray",
          cmaps: Sequence[str] | None = None, clim: tuple[float, float] | None = None, lower: bool = False):
    """style.image_grid, then per-image colour maps, colour limits, and row 0 at the bottom (origin='lower')."""
    fig = style.image_grid(images, list(titles), ncols=ncols, size=size, cmap=cmap)
    for i, ax in enumerate(fig.axes[:len(images)]):
        for image in ax.images:
            if cmaps is not None:
                image.set_cmap(cmaps[i])
            if clim is not None:
                image.set_clim(*clim)
        if lower:
            ax.invert_yaxis()
    return fig


def _labelled_examples(result: Result, ncols: int):
    d = result.data
    return _grid(_pictures(d["examples"]), list(result.table("example_labels")["label"]), ncols=ncols, size=2.2)


def _dev_test_training(result: Result):
    """Loss and accuracy per epoch, train and dev, and the final test score as a star (CNNmilestone 1 and 3)."""
    h, m = result.history, result.metrics
    as_test = h.rename(columns=lambda c: c.replace("dev_", "test_"))
    fig, axes = style.figure(ncols=2, width=5.2, height=4.0)
    for ax, metric, label in zip(axes, ("loss", "acc"), ("Loss (CEL)", "Accuracy (%)")):
        style.train_test(ax, as_test, metric, labels=("Train", "Dev"), markers=True)
        ax.plot(h["epoch"].iloc[-1], m[f"test_{metric}"], "*", color=style.HIGHLIGHT, markersize=14, label="Test")
        ax.set_ylabel(label)
        ax.legend()
    axes[0].set_title("Model loss")
    axes[1].set_title(f"Final model dev/test accuracy: {m['final_dev_acc']:.2f}/{m['test_acc']:.2f}%")
    return fig


def cifar10_classify(result: Result, p: Mapping[str, Any]):
    return {"examples": _labelled_examples(result, ncols=4), "training": _dev_test_training(result)}


def fashion_mnist(result: Result, p: Mapping[str, Any]):
    return {"examples": _labelled_examples(result, ncols=6), "training": _dev_test_training(result)}


def cifar10_autoencoder(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    loss, (ax,) = style.figure(width=6.0, height=3.8)
    style.train_test(ax, result.history, "loss", markers=True)
    ax.set(ylabel="Loss (MSE)", title=f"Model loss (final value: {m['final_test_loss']:g})")
    sets = [("Reconstructed", d["reconstructions"]), ("Original", d["originals"])]
    rows = style.image_rows([(label, _pictures(x)) for label, x in sets], size=1.5)
    unclipped = [image for _, x in sets for image in np.asarray(x, dtype=float) / 2 + 0.5]
    for ax, image in zip(rows.axes, unclipped):  # the course's titles: each image's range before display clipping
        ax.set_title(f"[ {image.min():.2f}, {image.max():.2f} ]", fontsize=7)
    return {"examples": _labelled_examples(result, ncols=4), "loss": loss, "reconstructions": rows}


def psychometric(result: Result, p: Mapping[str, Any]):
    d, s, m = result.data, result.summary, result.metrics
    labels = np.asarray(d["example_labels"])
    examples = _grid(np.asarray(d["examples"]), ["Vert." if y else "Horiz." for y in labels], ncols=7, cmap="jet",
                     clim=(-2, 2))
    lines = np.asarray(d["lines"])
    slopes, prob = s["slope"].to_numpy(), s["p_vertical"].to_numpy()
    line_fig = _grid(lines, [f"{v:.2f}" for v in slopes], ncols=10, size=1.1, cmap="viridis", lower=True)
    vertical = prob > 0.5
    curve, (ax,) = style.figure(width=6.0, height=4.0)
    for x, y, v in zip(slopes, prob, vertical):
        ax.plot([x, x], [1 if v else 0, y], color="tab:red" if v else "tab:green", linewidth=1)
    ax.plot(slopes, prob, "ko", markersize=4)
    ax.set(xlabel="Slope of the line", ylabel="p(vertical)", ylim=(0, 1), xlim=(-10, 10),
           title=f"{m['percent_vertical']:.2f}% labeled \"vertical\"")
    decisions = _grid(lines, ['"Vert."' if v else '"Horiz."' for v in vertical], ncols=6, size=1.1,
                      cmaps=["Reds" if v else "Greens" for v in vertical], lower=True)
    return {"examples": examples, "training": _losses_and_accuracy(result), "lines": line_fig,
            "psychometric": curve, "decisions": decisions}
