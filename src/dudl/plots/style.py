"""The one plotting style: seaborn theme, colours with fixed meanings, figure creation and saving.

Colours mean the same thing in every figure: train is blue, test/dev is orange, a reference or true value is
grey dashed, a highlighted/best point is red. Titles carry the key number, as the course titles them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from dudl.atomic import atomic_write  # noqa: E402

PALETTE = sns.color_palette("colorblind")
TRAIN, TEST, EXTRA, HIGHLIGHT = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3]
REFERENCE = dict(color="0.45", linestyle="--", linewidth=1)
SEQUENTIAL = "viridis"
DIVERGING = "RdBu_r"


def apply() -> None:
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=PALETTE,
        font_scale=0.9,
        rc={
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "axes.titleweight": "bold",
            "axes.titlesize": "medium",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
        },
    )


def figure(ncols: int = 1, nrows: int = 1, width: float = 5.0, height: float = 3.8, **kwargs):
    """(fig, axes) with axes always a flat array, sized per panel."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)
    return fig, axes.ravel()


def save(fig, path: Path) -> Path:
    try:  # no version stamp in the file: same data, same bytes
        return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, format="png", metadata={"Software": None}))
    finally:
        plt.close(fig)


def log_norm(values: pd.Series):
    """A colour norm on a log scale over these values (hue for learning rates, standard deviations ...)."""
    from matplotlib.colors import LogNorm

    return LogNorm(float(values.min()), float(values.max()))


def note(fig, text: str) -> None:
    """A small grey footnote: where we deviate from the course's code, and why."""
    fig.text(0.01, 0.005, text, fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)


def train_test(ax, frame: pd.DataFrame, metric: str = "acc", x: str = "epoch", labels=("Train", "Test"),
               markers: bool = False) -> None:
    """Train and test curves of one run from a history frame (columns train_<metric>, test_<metric>)."""
    for column, color, label in ((f"train_{metric}", TRAIN, labels[0]), (f"test_{metric}", TEST, labels[1])):
        if column in frame:
            ax.plot(frame[x], frame[column], color=color, label=label, marker="o" if markers else None,
                    markersize=3 if markers else None, linewidth=1.5)
    ax.set_xlabel(x.capitalize())
    ax.set_ylabel({"acc": "Accuracy (%)", "loss": "Loss", "err": "Error rate (%)"}.get(metric, metric))
    ax.legend()


def lines(ax, frame: pd.DataFrame, x: str, y: str, hue: str | None = None, palette=SEQUENTIAL, **kwargs) -> None:
    """Several curves from a long table, one per value of `hue` (legend titled by hue)."""
    sns.lineplot(data=frame, x=x, y=y, hue=hue, palette=palette if hue else None, ax=ax, **kwargs)


def mean_band(ax, frame: pd.DataFrame, x: str, y: str, hue: str | None = None, label: str | None = None, **kwargs):
    """Mean over repetitions with a 95% confidence band (seaborn's bootstrap), for sweeps with repetitions."""
    sns.lineplot(data=frame, x=x, y=y, hue=hue, errorbar=("ci", 95), marker="o", label=label, ax=ax, **kwargs)


def scatter_classes(ax, x: np.ndarray, labels: np.ndarray, names: Sequence[str] | None = None, **kwargs) -> None:
    """2-D points coloured by class label (qwerties and friends)."""
    size = kwargs.pop("s", 14)
    for k in np.unique(labels):
        sel = labels == k
        name = names[int(k)] if names is not None else f"class {int(k)}"
        ax.scatter(x[sel, 0], x[sel, 1], s=size, color=PALETTE[int(k) % len(PALETTE)],
                   alpha=0.8, label=name, edgecolors="none", **kwargs)
    ax.set_xlabel("Dimension 1")
    ax.set_ylabel("Dimension 2")
    ax.legend()


def pairplot(frame: pd.DataFrame, hue: str, **kwargs):
    """seaborn's pairplot (it lays itself out, so constrained layout is off for it)."""
    with plt.rc_context({"figure.constrained_layout.use": False}):
        return sns.pairplot(frame, hue=hue, height=kwargs.pop("height", 1.8), plot_kws={"s": 12}, **kwargs)


def confusion_heatmap(ax, matrix: np.ndarray, classes: Sequence, title: str = "", normalized: bool = False,
                      vmax: float | None = None) -> None:
    """A confusion matrix (rows: true class, columns: predicted) as a seaborn heatmap with each cell's count
    (or row share, when `normalized`) written in it."""
    sns.heatmap(matrix, annot=True, fmt=".2f" if normalized else "d", cmap="Blues", vmin=0, vmax=vmax, cbar=False,
                square=True, xticklabels=classes, yticklabels=classes, annot_kws={"fontsize": 7}, ax=ax)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    if title:
        ax.set_title(title)


def per_class_bars(ax, table: pd.DataFrame, measures: Sequence[str] = ("precision", "recall"),
                   ylim: tuple[float, float] | None = None) -> None:
    """Per-class measures side by side (a table of dudl.performance.per_class)."""
    long = table.melt(id_vars="class", value_vars=list(measures), var_name="measure", value_name="value")
    sns.barplot(data=long, x="class", y="value", hue="measure", palette=[TRAIN, TEST, EXTRA][:len(measures)], ax=ax)
    ax.set_xlabel("Class")
    ax.set_ylabel("")
    if ylim:  # the course's limits, widened so that no bar falls below the axis
        ax.set_ylim(min(ylim[0], float(long["value"].min()) - 0.05), ylim[1])
    ax.legend(title=None)


def image_grid(images: np.ndarray, titles: Sequence[str], ncols: int = 4, size: float = 1.9, cmap: str = "gray",
               shape: tuple[int, int] | None = None):
    """Images (flattened or 2-D) in a grid of small panels, each titled, without axes: digits, filters,
    reconstructions. Returns the figure."""
    images = np.asarray(images)
    shape = shape or ((int(round(np.sqrt(images[0].size))),) * 2 if images[0].ndim == 1 else images[0].shape)
    nrows = -(-len(images) // ncols)
    fig, axes = figure(ncols=ncols, nrows=nrows, width=size, height=size + 0.2)
    for ax in axes:
        ax.axis("off")
    for ax, image, title in zip(axes, images, titles):
        ax.imshow(np.asarray(image).reshape(shape), cmap=cmap)
        ax.set_title(title, fontsize=9)
    return fig


def image_panels(images: Mapping[str, np.ndarray], ncols: int, size: float = 3.0, **imshow):
    """Titled images in a grid of `ncols` columns (unused cells blank), without ticks: kernels, feature maps."""
    fig, axes = figure(ncols=ncols, nrows=-(-len(images) // ncols), width=size, height=size)
    for ax in axes:
        ax.axis("off")
    for ax, (title, image) in zip(axes, images.items()):
        ax.axis("on")
        ax.imshow(np.asarray(image), **imshow)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return fig


def image_rows(rows: Sequence[tuple[str, np.ndarray]], titles: Sequence[str] | None = None, size: float = 1.25,
               shape: tuple[int, int] | None = None, **imshow):
    """Equal-length sets of images as the rows of a grid, each row labelled (originals / noisy / reconstructed);
    `titles`, one per column, go under the last row. `shape` reshapes flattened images."""
    n = len(rows[0][1])
    fig, axes = figure(ncols=n, nrows=len(rows), width=size, height=size + 0.15)
    axes = axes.reshape(len(rows), n)
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            image = np.asarray(images[c])
            ax.imshow(image.reshape(shape) if shape else image, **imshow)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if titles is not None and r == len(rows) - 1:
                ax.set_title(titles[c], fontsize=7, y=-0.28)
        axes[r, 0].set_ylabel(label, fontsize=9)
    return fig


def evidence_bars(ax, table: pd.DataFrame, true_class: int | None = None, ylabel: str = "Evidence") -> None:
    """A model's output for each class as bars, the true class highlighted."""
    colors = [HIGHLIGHT if true_class is not None and c == true_class else TRAIN for c in table["digit"]]
    ax.bar(table["digit"], table["evidence"], color=colors)
    ax.set(xlabel="Digit", ylabel=ylabel, xticks=list(table["digit"]))
