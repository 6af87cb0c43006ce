"""Figures of section ffn."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result

SIDE = 28


def _training(result: Result, title: str, test_label: str = "Test"):
    h = result.history
    fig, axes = style.figure(ncols=2, width=5.2, height=4)
    axes[0].plot(h["epoch"], h["train_loss"], color=style.TRAIN)
    axes[0].set(xlabel="Epoch", ylabel="Loss", title="Train loss")
    style.train_test(axes[1], h, "acc", labels=("Train", test_label))
    axes[1].set_title(title)
    return fig


def _final_title(result: Result) -> str:
    return f"Final model test accuracy: {result.metrics['final_test_acc']:.2f}%"


def _pixels(result: Result, labels=("Original", "Normalized")):
    table = result.table("pixels")
    fig, axes = style.figure(ncols=2, width=4.6, height=3.4)
    for ax, stage, label, color in zip(axes, ("before", "after"), labels, (style.TRAIN, style.TEST)):
        rows = table[table["stage"] == stage]
        width = (rows["value"].max() - rows["value"].min()) / 60 or 0.05
        ax.bar(rows["value"], rows["count"], width=width, color=color)
        ax.set(yscale="log", xlabel="Pixel value", ylabel="Count (log)",
               title=f"{label}: {len(rows)} distinct values")
    return fig


def _evidence(result: Result, table: str, true_key: str, guess_key: str, image: str, ylabel: str, prefix: str):
    m = result.metrics
    fig, axes = style.figure(ncols=2, width=4.4, height=3.6, gridspec_kw={"width_ratios": [1.6, 1]})
    style.evidence_bars(axes[0], result.table(table), int(m[true_key]), ylabel)
    axes[0].set_title(f"{prefix}: true {int(m[true_key])}, model guessed {int(m[guess_key])}")
    axes[1].imshow(np.asarray(result.data[image]).reshape(SIDE, SIDE), cmap="gray")
    axes[1].axis("off")
    return fig


def _softmax(result: Result, table: str) -> None:
    frame = result.table(table)
    evidence = np.exp(frame["evidence"].to_numpy())
    result.data[table] = frame.assign(evidence=evidence / evidence.sum())


def _classified(result: Result, title: str) -> dict:
    figures = {"training": _training(result, _final_title(result)),
               "evidence": _evidence(result, "evidence", "evidence_true", "evidence_guess", "evidence_image",
                                     "Log-softmax evidence", f"Test sample {int(result.metrics['evidence_sample'])}")}
    if "error_evidence" in result.data:
        _softmax(result, "error_evidence")
        figures["error_example"] = _evidence(result, "error_evidence", "error_true", "error_guess", "error_image",
                                             "Softmax probability", "A misclassified digit")
    else:  # no test errors at all (possible only at tiny scales): say so rather than draw nothing
        fig, (ax,) = style.figure(width=4, height=2)
        ax.axis("off")
        ax.text(0.5, 0.5, "No misclassified test digit", ha="center", va="center")
        figures["error_example"] = fig
    return figures


def about_mnist(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    images, labels = result.data["examples"], result.data["example_labels"]
    digits = style.image_grid(images, [f"The number {int(k)}" for k in labels])
    digits.suptitle(f"How humans see the data: {int(m['images'])} images of {int(m['pixels'])} pixels")
    fig_vectors, axes = style.figure(ncols=4, nrows=-(-len(images) // 4), width=2.6, height=1.6)
    for ax, image, label in zip(axes, images, labels):
        ax.plot(image, color=style.TRAIN, linewidth=0.6)
        ax.set(xticks=[], yticks=[], title=f"The number {int(label)}")
    fig_vectors.suptitle("How the FFN model sees the data: 784 numbers")
    sevens = style.image_grid(result.data["first_sevens"], [f"Seven {i + 1}" for i in range(12)])
    sevens.suptitle(f"The first sevens of {int(m['sevens'])}")
    fig, axes = style.figure(ncols=3, width=4.2, height=3.8)
    corr = result.data["correlations"]
    shown = axes[0].imshow(corr, cmap=style.DIVERGING, vmin=-1, vmax=1)
    fig.colorbar(shown, ax=axes[0], shrink=0.7)
    axes[0].set(title=f"Correlations of the first {len(corr)} sevens", xlabel="Seven", ylabel="Seven")
    hist = result.table("pair_histogram")
    axes[1].bar(hist["edge"], hist["count"], width=np.diff(hist["edge"]).mean(), align="edge", color=style.TRAIN)
    axes[1].set(xlabel="Correlation", ylabel="Pairs",
                title=f"{int(m['seven_pairs']):,} pairs: mean r = {m['seven_corr_mean']:.2f}")
    axes[2].imshow(np.asarray(result.data["mean_seven"]).reshape(SIDE, SIDE), cmap="gray")
    axes[2].set(title="The mean seven")
    axes[2].axis("off")
    return {"digits": digits, "vectors": fig_vectors, "sevens": sevens, "seven_correlations": fig}


def ffn_on_mnist(result: Result, p: Mapping[str, Any]):
    return {"pixel_histograms": _pixels(result), **_classified(result, "FFN")}


def binarized(result: Result, p: Mapping[str, Any]):
    return {"pixel_histograms": _pixels(result, ("Original", "Binarized")), **_classified(result, "Binarized")}


def normalization(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    h = result.history
    losses, (ax,) = style.figure(width=5.6, height=4)
    style.train_test(ax, h, "loss")
    ax.set_title("Losses")
    accuracy, (ax,) = style.figure(width=5.6, height=4)
    style.train_test(ax, h, "acc")
    ax.set_title(f"{_final_title(result)}\ntrain range {m['train_min']:g} to {m['train_max']:g}, "
                 f"test range {m['test_min']:g} to {m['test_max']:g}")
    return {"losses": losses, "accuracy": accuracy}


def optimizers(result: Result, p: Mapping[str, Any]):
    summary = result.summary
    fig, (ax,) = style.figure(width=6.4, height=4.4)
    sns.lineplot(data=summary, x="lr", y="last_test_acc", hue="optimizer", marker="o", ax=ax)
    ax.set(xscale="log", xlabel="Learning rate", ylabel="Test accuracy (%), mean of last epochs",
           title="Optimizers x learning rates on MNIST")
    curves = result.data["curves"].merge(summary[["run", "optimizer", "lr"]], on="run")
    names = list(dict.fromkeys(summary["optimizer"]))
    fig_curves, axes = style.figure(ncols=len(names), width=4.2, height=3.8, sharey=True)
    for ax, name in zip(axes, names):
        sns.lineplot(data=curves[curves["optimizer"] == name], x="epoch", y="test_acc", hue="lr",
                     palette=style.SEQUENTIAL, hue_norm=style.log_norm(summary["lr"]), ax=ax, legend="full")
        ax.set(title=name, xlabel="Epoch", ylabel="Test accuracy (%)")
        ax.legend(title="lr", labels=[f"{v:.2g}" for v in sorted(summary["lr"].unique())], fontsize=7)
    return {"accuracy_by_lr": fig, "curves": fig_curves}


def breadth_depth(result: Result, p: Mapping[str, Any]):
    summary = result.summary
    fig, axes = style.figure(ncols=2, width=4.8, height=4, sharey=True)
    for ax, column, title in zip(axes, ("train_acc", "test_acc"), ("Train", "Test")):
        sns.lineplot(data=summary, x="units", y=column, hue="hidden_layers", marker="o", palette=style.SEQUENTIAL,
                     ax=ax)
        ax.set(xlabel="Units per hidden layer", ylabel="Accuracy (%), mean of last 5 epochs", title=title)
        ax.legend(title="Hidden layers")
    m = result.metrics
    fig.suptitle(f"Breadth x depth: test accuracy {m['min_test_acc']:.1f} to {m['max_test_acc']:.1f}%")
    return {"accuracy_by_units": fig}


def missing7(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    training = _training(result, f"Final model train accuracy: {m['final_train_acc']:.2f}%", "Sevens called 7")
    sevens = style.image_grid(result.data["examples"], [f"Model guessed {int(g)}" for g in result.data["example_guesses"]])
    sevens.suptitle("Sevens the model never saw")
    guesses, (ax,) = style.figure(width=6, height=3.8)
    table = result.summary
    ax.bar(table["digit"], table["share_of_sevens"], color=[style.HIGHLIGHT if d == 7 else style.TRAIN
                                                           for d in table["digit"]])
    ax.set(xlabel="Label given", ylabel="Share of the sevens", xticks=list(table["digit"]),
           title=f"{int(m['sevens'])} sevens: {100 * m['share_called_7']:.1f}% called 7, most called "
                 f"{int(m['most_common_guess'])}")
    evidence, axes = style.figure(ncols=2, width=4.4, height=3.6, gridspec_kw={"width_ratios": [1.6, 1]})
    style.evidence_bars(axes[0], result.table("evidence"), 7, "Softmax probability")
    axes[0].set_title("Evidence for one seven")
    axes[1].imshow(np.asarray(result.data["evidence_image"]).reshape(SIDE, SIDE), cmap="gray")
    axes[1].axis("off")
    return {"training": training, "sevens": sevens, "guesses": guesses, "evidence": evidence}


def scrambled(result: Result, p: Mapping[str, Any]):
    eggs = style.image_grid(result.data["examples"], [f"The number {int(k)}" for k in result.data["example_labels"]])
    eggs.suptitle("The scrambled data")
    return {"scrambled": eggs, "training": _training(result, _final_title(result))}


def shifted(result: Result, p: Mapping[str, Any]):
    fig, axes = style.figure(ncols=2, width=3, height=3.2)
    for ax, key, title in zip(axes, ("example", "example_rolled"),
                              ("Original", f"Rolled by {p['example_shift']} pixels")):
        ax.imshow(np.asarray(result.data[key]).reshape(SIDE, SIDE), cmap="gray")
        ax.set_title(title)
        ax.axis("off")
    return {"shift_example": fig, "training": _training(result, _final_title(result), "Test (shifted)")}


def weight_histograms(result: Result, p: Mapping[str, Any]):
    hists, centers = np.asarray(result.data["histograms"]), np.asarray(result.data["bin_centers"])
    m = result.metrics
    initial, (ax,) = style.figure(width=5.6, height=3.8)
    ax.plot(centers, hists[0], color=style.TRAIN)
    ax.set(xlabel="Parameter value", ylabel="Density", title=f"Initial parameters: std {m['std_initial']:.3f}")
    fig, axes = style.figure(ncols=2, width=5.4, height=4.2)
    colors = sns.color_palette(style.SEQUENTIAL, len(hists))
    for k, (hist, color) in enumerate(zip(hists, colors)):
        axes[0].plot(centers, hist, color=color, linewidth=0.8)
    axes[0].set(xlabel="Parameter value", ylabel="Density",
                title=f"Std {m['std_initial']:.3f} before, {m['std_final']:.3f} after")
    shown = axes[1].imshow(hists, aspect="auto", origin="lower", cmap="hot", vmin=0, vmax=3,
                           extent=(centers[0], centers[-1], 0, len(hists) - 1))
    axes[1].set(xlabel="Parameter value", ylabel="Epoch (0 = before training)", title="Density by epoch")
    axes[1].grid(False)
    fig.colorbar(shown, ax=axes[1], label="Density")
    return {"initial": initial, "training": _training(result, _final_title(result)), "histograms": fig}
