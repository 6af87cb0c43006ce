"""Figures of section transfer_learning."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from dudl.plots import style
from dudl.plots.cnn import _loss_and_error, _losses_and_accuracy
from dudl.plots.cnn_milestone import _dev_test_training, _labelled_examples, _pictures
from dudl.plots.cnn_milestone import cifar10_autoencoder as _cifar_autoencoder_figures
from dudl.plots.ffn import _final_title, _training
from dudl.results import Result

NET_COLORS = {"naive": style.TRAIN, "pretrained": style.HIGHLIGHT}


def _bars(table: pd.DataFrame, value: str, ylabel: str, title: str):
    """One bar per row of a summary table (net, data, value), each labelled with its number."""
    fig, (ax,) = style.figure(width=1.5 * len(table) + 2.0, height=4.0)
    colors = [style.PALETTE[i] for i in pd.factorize(table["net"])[0]]
    labels = [f"{n}\n{d}" for n, d in zip(table["net"], table["data"])]
    bars = ax.bar(range(len(table)), table[value], color=colors)
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(range(len(table)), labels, fontsize=8)
    ax.set(ylabel=ylabel, title=title)
    return fig


def mnist_to_fmnist(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    title = (f"Digit net on fashion: {m['digit_net_fashion_acc']:.2f}%; after 1 epoch of fine-tuning: "
             f"{m['fashion_test_acc']:.2f}% test")
    return {"training": _training(result, _final_title(result)),
            "transfer": _bars(result.summary, "accuracy", "Accuracy (%)", title)}


def _panels(images: np.ndarray, labels) -> Any:
    return style.image_panels({f"{label} ({i})": img for i, (label, img) in enumerate(zip(labels, images))},
                              ncols=7, size=1.6, cmap="gray")


def letters_to_numbers(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    training = _loss_and_error(result, f"Final model test error rate: {m['final_test_err']:.2f}%")
    title = (f"Digits test error: (a) all trainable {m['all_test_err']:.2f}%, (b) frozen {m['frozen_test_err']:.2f}%"
             + (" (course's optimizer: the new layer untrained)" if m["course_optimizer"] else ""))
    return {"examples": _panels(d["examples"], d["example_labels"]),
            "digit_examples": _panels(d["digit_examples"], d["digit_labels"]),
            "training": training, "transfer": _bars(result.summary, "error_rate", "Error rate (%)", title)}


# ---------------------------------------------------------------- frozen ImageNet nets on STL-10


def _rgb(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 3, H, W] -> [N, H, W, 3] for imshow."""
    return np.asarray(images).transpose(0, 2, 3, 1)


def _pretrained(result: Result, net: str):
    d, m, s = result.data, result.metrics, result.summary
    pixels, (ax,) = style.figure(width=6.0, height=3.6)
    table = result.table("pixels")
    ax.bar(table["value"], table["count"], width=float(np.diff(table["value"]).mean()), color=style.TRAIN)
    ax.set(xlabel="Pixel value after Normalize", ylabel="Count", title="One training batch after the ImageNet Normalize")
    examples = style.image_grid(_rgb(d["examples"]), [f"{c} ({i})" for i, c in enumerate(d["example_labels"])],
                                ncols=4, size=2.3)
    h = result.history
    training, axes = style.figure(ncols=2, width=5.2, height=4.0)
    style.train_test(axes[0], h, "loss", markers=True)
    axes[0].set(ylabel="Loss (CEL)", title="Model loss")
    style.train_test(axes[1], h, "acc", markers=True)
    axes[1].set_title(f"Final model train/test accuracy: {m['final_train_acc']:.2f}/{m['final_test_acc']:.2f}%")
    training.suptitle(f"Pretrained {net} on STL10 data", fontweight="bold")
    titles = [f"Pred: {g} - true: {t} ({i})" for i, (t, g) in enumerate(zip(s["true"], s["predicted"]))]
    predictions = style.image_grid(_rgb(d["test_images"]), titles, ncols=4, size=2.3)
    for ax, right in zip(predictions.axes, s["true"] == s["predicted"]):
        ax.title.set_color("white")
        ax.title.set_backgroundcolor("tab:green" if right else "tab:red")
        ax.title.set_fontsize(7)
    return {"pixels": pixels, "examples": examples, "training": training, "predictions": predictions}


def resnet(result: Result, p: Mapping[str, Any]):
    return _pretrained(result, "ResNet-18")


def vgg16(result: Result, p: Mapping[str, Any]):
    return _pretrained(result, "VGG-16")


# ---------------------------------------------------------------- autoencoder pretraining


def _one(result: Result, name: str, held_out: str) -> pd.DataFrame:
    """One classifier's curves from the wide history, as train_* / test_* columns."""
    h = result.history
    cols = {c: c.removeprefix(f"{name}_").replace(held_out, "test") for c in h.columns if c.startswith(f"{name}_")}
    return h[["epoch", *cols]].rename(columns=cols)


def _comparison(result: Result, held_out: str, label: str, tests: Mapping[str, tuple[float, float]] | None = None):
    """Naive against pretrained: train (solid) and held-out (dashed) loss and accuracy, with each net's final
    test score as a star when the held-out curves are a devset."""
    fig, axes = style.figure(ncols=2, width=5.4, height=4.0)
    for name, color in NET_COLORS.items():
        h = _one(result, name, held_out)
        for ax, metric in zip(axes, ("loss", "acc")):
            ax.plot(h["epoch"], h[f"train_{metric}"], "-o", color=color, markersize=3, label=f"{name} train")
            ax.plot(h["epoch"], h[f"test_{metric}"], "--s", color=color, markersize=3, label=f"{name} {label}")
            if tests is not None:
                ax.plot(h["epoch"].iloc[-1], tests[name][metric == "acc"], "*", color=color, markersize=14,
                        label=f"{name} test")
    axes[0].set(xlabel="Epoch", ylabel="Loss (CEL)", title="Model loss")
    m = result.metrics
    final = {n: tests[n][1] if tests else m[f"{n}_final_test_acc"] for n in NET_COLORS}
    axes[1].set(xlabel="Epoch", ylabel="Accuracy (%)",
                title=f"Final NaiveTest/PREtest accuracy: {final['naive']:.2f}/{final['pretrained']:.2f}%")
    for ax in axes:
        ax.legend(fontsize=7)
    return fig


def pretrain_fmnist(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    ae = result.table("ae_history")
    ae_loss, (ax,) = style.figure(width=6.0, height=3.8)
    style.train_test(ax, ae.rename(columns={"dev_loss": "test_loss"}), "loss", labels=("Train", "Dev"), markers=True)
    ax.set(ylabel="Loss (MSE)", title=f"Autoencoder loss (final dev: {m['ae_final_dev_loss']:.4f})")
    reconstructions = style.image_rows([("Reconstructed", _pictures(d["reconstructions"])),
                                        ("Original", _pictures(d["originals"]))], size=1.4, cmap="gray")
    naive = Result(metrics={"final_dev_acc": m["naive_final_dev_acc"], "test_loss": m["naive_test_loss"],
                            "test_acc": m["naive_test_acc"]},
                   history=_one(result, "naive", "dev").rename(columns=lambda c: c.replace("test", "dev")))
    tests = {n: (m[f"{n}_test_loss"], m[f"{n}_test_acc"]) for n in NET_COLORS}
    maps = [(label, np.asarray(d[f"maps_{key}"])) for label, key in (("Pretrained", "pretrained"), ("Naive", "naive"))]
    activations = style.image_rows(maps, size=1.0, cmap="gray")
    activations.suptitle("First-layer activations of one test image: pretrained (top) and naive (bottom)")
    return {"examples": _labelled_examples(result, ncols=6), "ae_loss": ae_loss, "reconstructions": reconstructions,
            "naive_training": _dev_test_training(naive), "comparison": _comparison(result, "dev", "dev", tests),
            "activations": activations}


def pretrain_cifar(result: Result, p: Mapping[str, Any]):
    m = result.metrics  # the CIFAR-10 milestone's figures of this same autoencoder: examples, loss, reconstructions
    ae = _cifar_autoencoder_figures(Result(metrics={"final_test_loss": m["ae_final_test_loss"]},
                                           history=result.table("ae_history"), data=result.data), p)
    naive = Result(metrics={"final_test_acc": m["naive_final_test_acc"]}, history=_one(result, "naive", "test"))
    return {"examples": ae["examples"], "ae_loss": ae["loss"],
            "reconstructions": ae["reconstructions"], "naive_training": _losses_and_accuracy(naive),
            "comparison": _comparison(result, "test", "test")}
