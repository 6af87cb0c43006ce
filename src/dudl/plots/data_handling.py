"""Figures of section data_handling (course folder data/)."""

from __future__ import annotations

import textwrap
from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result


def _run_panel(ax_loss, ax_acc, history: pd.DataFrame, test_label: str = "Test") -> None:
    ax_loss.plot(history["epoch"], history["train_loss"], color=style.TRAIN, label="Train")
    if "test_loss" in history:
        ax_loss.plot(history["epoch"], history["test_loss"], color=style.TEST, label=test_label)
    ax_loss.set(xlabel="Epoch", ylabel="Loss")
    ax_loss.legend()
    style.train_test(ax_acc, history, "acc", labels=("Train", test_label))


def dataset_loader(result: Result, p: Mapping[str, Any]):
    table = result.summary
    fig, axes = style.figure(ncols=2, width=4.2, height=3.0, sharey=True)
    for ax, order, title in zip(axes, ("in_order", "shuffled"), ("shuffle=False", "shuffle=True")):
        grid = table[table["order"] == order].pivot(index="batch", columns="position", values="label")
        sns.heatmap(grid, ax=ax, cmap="viridis", cbar=order == "shuffled", cbar_kws={"label": "Label"})
        ax.set(xlabel="Position in batch", ylabel="Batch", title=title, xticks=[])
    return {"batches": fig}


def data2colab(result: Result, p: Mapping[str, Any]):
    rows = result.summary.fillna("")
    cifar = "cifar_examples" in result.data
    fig, axes = style.figure(ncols=2 if cifar else 1, width=6.5, height=3.6)
    ax = axes[0]
    ax.axis("off")
    lines = []
    for row in rows.to_dict("records"):
        lines.append(f"{row['source']}: {row['status']} {row['shape']}".strip())
        lines += ["    " + part for part in textwrap.wrap(str(row["reason"]), 70)]
    ax.text(0, 1, "\n".join(lines), va="top", ha="left", fontsize=8, family="monospace", transform=ax.transAxes)
    ax.set_title("External data this pipeline can open (no Colab-only step)")
    if cifar:
        images, labels = result.data["cifar_examples"], result.table("cifar_labels")["label"]
        axes[1].imshow(np.concatenate(list(images[:8]), axis=1))
        axes[1].set(title=", ".join(map(str, labels[:8])), xticks=[], yticks=[])
    return {"sources": fig}


def data_vs_depth(result: Result, p: Mapping[str, Any]):
    fig_q, ax = style.figure(width=4.5, height=4)
    style.scatter_classes(ax[0], result.data["qwerties"], result.data["qwerty_labels"])
    ax[0].set(title=f"Qwerties, {p['qwerties']['n_per_cluster']} per class", xlabel="x", ylabel="y")
    fig_r, axes = style.figure(ncols=2, width=4.5, height=3.6)
    _run_panel(axes[0], axes[1], result.history)
    fig_r.suptitle(f"One run: {result.meta.get('example_run', '')}")
    summary = result.summary.assign(
        net=lambda f: f["layers"].astype(str) + " layers, " + f["units"].astype(str) + " units, "
        + f["parameters"].astype(str) + " params")
    fig_s, axes = style.figure(ncols=2, width=4.8, height=4)
    for ax, column, label in zip(axes, ("test_loss", "test_acc"), ("Test loss", "Test accuracy (%)")):
        sns.lineplot(data=summary, x="n_per_class", y=column, hue="net", marker="o", palette=style.SEQUENTIAL, ax=ax)
        ax.set(xlabel="Samples per class", ylabel=f"{label}, mean of last epochs")
    axes[0].legend(fontsize=7)
    axes[1].get_legend().remove()
    return {"qwerties": fig_q, "example_run": fig_r, "by_size": fig_s}


def unbalanced(result: Result, p: Mapping[str, Any]):
    histories, summary = result.table("histories"), result.summary
    fig, axes = style.figure(ncols=3, nrows=len(summary), width=3.6, height=2.8)
    for i, row in enumerate(summary.to_dict("records")):
        h = histories[histories["run"] == row["run"]]
        _run_panel(axes[3 * i], axes[3 * i + 1], h)
        ax = axes[3 * i + 2]
        ax.bar(["bad", "good"], [row["acc_bad"], row["acc_good"]], color=[style.TRAIN, style.TEST])
        for x, (acc, n) in enumerate(((row["acc_bad"], row["test_bad"]), (row["acc_good"], row["test_good"]))):
            ax.text(x, min(acc, 90) + 3, f"N={n}", ha="center", fontsize=8)
        ax.set(ylim=(0, 105), ylabel="Test accuracy (%)",
               title=f"Quality above {row['threshold']:g}: gap {row['gap']:.0f} points")
    return {"by_threshold": fig}


def _by_size(summary: pd.DataFrame, treated: str, dev_label: str):
    rows = summary[summary["copies"].isin(["original", treated])]
    fig, axes = style.figure(ncols=3, width=3.8, height=3.4)
    for ax, column, label in zip(axes, ("train_acc", "dev_acc", "dev_loss"),
                                 ("Train accuracy (%)", f"{dev_label} accuracy (%)", f"{dev_label} loss")):
        sns.lineplot(data=rows, x="unique", y=column, hue="copies", marker="o", ax=ax)
        ax.set(xlabel="Unique digits", ylabel=label)
    return fig


def oversampling(result: Result, p: Mapping[str, Any]):
    fig_s, axes = style.figure(ncols=2, width=4.5, height=3.6)
    _run_panel(axes[0], axes[1], result.history)
    fig_s.suptitle(f"Final model test accuracy: {result.metrics['single_test_acc']:.2f}% "
                   f"({result.metrics['single_size']} digits)")
    return {"single_run": fig_s, "by_size": _by_size(result.summary, "doubled", "Devset")}


def noise_augmentation(result: Result, p: Mapping[str, Any]):
    originals, noisy = result.data["originals"], result.data["noisy"]
    images = np.concatenate([originals, np.clip(noisy, 0, None)])
    titles = ["original"] * len(originals) + ["noisy copy"] * len(noisy)
    fig_e = style.image_grid(images, titles, ncols=len(originals))
    fig_s = _by_size(result.summary, "augmented", "Devset")
    m = result.metrics
    fig_s.suptitle(f"N={m['report_size']}: test {m['report_test_acc_original']:.1f}% original, "
                   f"{m['report_test_acc_augmented']:.1f}% augmented (held-out digits)")
    return {"examples": fig_e, "by_size": fig_s}


def feature_augmentation(result: Result, p: Mapping[str, Any]):
    x, y, dist = result.data["points"], result.data["labels"], result.data["distance"]
    fig_q, axes = style.figure(ncols=2, width=4.4, height=4)
    for point in x[:: max(1, len(x) // 150)]:
        axes[0].plot([0, point[0]], [0, point[1]], color="0.85", linewidth=0.5, zorder=0)
    style.scatter_classes(axes[0], x, y)
    axes[0].set(title="Qwerties and their distance to the origin", xlabel="x", ylabel="y")
    jitter = np.random.default_rng(0).uniform(-0.2, 0.2, len(y))
    axes[1].scatter(y + jitter, dist, s=6, c=[style.PALETTE[int(c)] for c in y])
    axes[1].set(xticks=[0, 1, 2], xlabel="Class", ylabel="Distance to origin", title="The third feature")
    histories = result.table("histories")
    m = result.metrics
    fig_r, axes = style.figure(ncols=4, nrows=2, width=3.3, height=3)
    for row, k in enumerate((2, 3)):
        h = histories[histories["features"] == k]
        _run_panel(axes[4 * row], axes[4 * row + 1], h)
        axes[4 * row + 1].set_title(f"{k} features: final {m[f'single_acc_{k}']:.1f}%")
        axes[4 * row + 2].bar(range(3), [m[f"class{c}_acc_{k}"] for c in range(3)], color=style.PALETTE[:3])
        axes[4 * row + 2].set(xticks=[0, 1, 2], ylabel="Accuracy (%)", xlabel="Class", ylim=(0, 105))
        wrong = result.data[f"guess_{k}"] != y
        style.scatter_classes(axes[4 * row + 3], x, y, s=6)
        axes[4 * row + 3].scatter(*x[wrong].T, marker="x", color="k", s=14, label="misclassified")
        axes[4 * row + 3].legend(fontsize=7)
    fig_t, ax = style.figure(width=4.4, height=3.8)
    sns.stripplot(data=result.summary, x="features", y="test_acc", ax=ax[0], size=6)
    ax[0].set(xlabel="Features", ylabel="Final test accuracy (%)",
              title=f"t = {m['t_statistic']:.2f}, p = {m['p_value']:.3f} ({m['repetitions']} runs each)")
    return {"qwerties": fig_q, "results": fig_r, "repetitions": fig_t}


def save_load(result: Result, p: Mapping[str, Any]):
    fig_t, axes = style.figure(ncols=2, width=4.5, height=3.6)
    _run_panel(axes[0], axes[1], result.history)
    fig_t.suptitle(f"Final model test accuracy: {result.metrics['final_test_acc']:.2f}%")
    out = result.table("outputs")
    fig_o, ax = style.figure(width=7, height=3.6)
    ax[0].plot(out["item"], out["trained"], color=style.TRAIN, label="Trained")
    ax[0].plot(out["item"], out["loaded"], "o", color=style.TEST, markersize=3, label="Saved and loaded")
    ax[0].plot(out["item"], out["untrained"], color="0.6", label="Untrained")
    ax[0].set(xlabel="Test item", ylabel=f"Output of node {result.metrics['node']}",
              title=f"Largest difference trained vs loaded: {result.metrics['max_abs_difference']:g}")
    ax[0].legend(fontsize=8)
    return {"training": fig_t, "outputs": fig_o}


def save_the_best(result: Result, p: Mapping[str, Any]):
    h, m = result.history, result.metrics
    best = int(m["best_epoch"])
    fig_t, axes = style.figure(ncols=2, width=4.5, height=3.6)
    axes[0].plot(h["epoch"], h["train_loss"], color=style.TRAIN, label="Train")
    axes[0].plot(h["epoch"], h["dev_loss"], color=style.TEST, label="Devset")
    axes[0].set(xlabel="Epoch", ylabel="Loss")
    axes[0].legend()
    axes[1].plot(h["epoch"], h["train_acc"], color=style.TRAIN, label="Train")
    axes[1].plot(h["epoch"], h["dev_acc"], color=style.TEST, label="Devset")
    axes[1].plot([best], [m["best_dev_acc"]], "o", color=style.HIGHLIGHT, label=f"kept: epoch {best}")
    start = max(1, int(len(h) * 0.8))
    axes[1].set(xlabel="Epoch", ylabel="Accuracy (%)", xlim=(start, len(h) + 1))
    axes[1].legend(fontsize=8)
    fig_b, ax = style.figure(width=6, height=3.8)
    ax[0].plot(h["epoch"], h["train_acc"], color=style.TRAIN, label="Train")
    ax[0].plot(h["epoch"], h["dev_acc"], color=style.TEST, label="Devset")
    ax[0].axhline(m["best_test_acc"], color=style.HIGHLIGHT, linestyle="--",
                  label=f"kept model on test: {m['best_test_acc']:.1f}%")
    ax[0].set(xlabel="Epoch", ylabel="Accuracy (%)", title="The best-by-devset model, scored on test")
    ax[0].legend(fontsize=8)
    return {"training": fig_t, "best": fig_b}
