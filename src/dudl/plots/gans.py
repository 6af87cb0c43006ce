"""Figures of section gans: real examples, per-step losses and D's decisions (smoothed), the course's loss
scatter, the final samples and the progress strip of samples at fixed latent vectors."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from dudl.plots import style
from dudl.plots.cnn_milestone import _grid
from dudl.results import Result

GREY = {"cmap": "gray", "vmin": -1, "vmax": 1}   # tanh's range, the same for every panel and snapshot
BLOBS = {"cmap": "jet", "vmin": -1, "vmax": 1}    # the course's examples: jet from -1 to 1


def smoothed(values: np.ndarray, k: int) -> np.ndarray:
    """A centred running mean over k steps (the course's np.convolve(x, ones(k)/k, 'same') without the zero
    padding that pulls its first and last k/2 values towards 0)."""
    return pd.Series(np.asarray(values, dtype=float)).rolling(k, center=True, min_periods=1).mean().to_numpy()


def _display(images: np.ndarray, kind: str, fake: bool) -> tuple[np.ndarray, dict]:
    """Images as the nets see them ([N, 784] or [N, C, H, W] in -1..1) as panels and imshow settings: grey and
    blob images on fixed -1..1 colour limits; colour images x / 2 + .5 when real, each min-max scaled when
    generated (as the course shows its fakes)."""
    x = np.asarray(images, dtype=float)
    if kind == "flat":
        return x.reshape(len(x), 28, 28), GREY
    if x.shape[1] == 1:
        return x[:, 0], BLOBS if kind == "blobs" else GREY
    x = x.transpose(0, 2, 3, 1)
    if fake:
        low = x.min(axis=(1, 2, 3), keepdims=True)
        high = x.max(axis=(1, 2, 3), keepdims=True)
        return (x - low) / np.maximum(high - low, 1e-12), {}
    return np.clip(x / 2 + 0.5, 0, 1), {}


def image_grid(images: np.ndarray, kind: str, fake: bool, titles: Sequence[str], ncols: int, size: float = 1.9):
    panels, imshow = _display(images, kind, fake)
    return _grid(panels, titles, ncols=ncols, size=size, cmap=imshow.get("cmap", "gray"),
                 clim=(imshow["vmin"], imshow["vmax"]) if "vmin" in imshow else None)


def progress_strip(result: Result, kind: str):
    """One row per snapshot (labelled with its step), the same fixed latent vectors in every row."""
    d = result.data
    frames, steps = np.asarray(d["snapshots"]), np.asarray(d["snapshot_steps"])
    rows = []
    for step, frame in zip(steps, frames):
        panels, imshow = _display(frame, kind, fake=True)
        rows.append((f"Step {int(step):,}", panels))
    fig = style.image_rows(rows, size=1.1, **imshow)
    fig.suptitle("Samples at fixed latent vectors during training")
    return fig


def losses(result: Result, p: Mapping[str, Any]):
    d, m, k = result.data, result.metrics, p["smooth"]
    steps = np.arange(1, len(d["d_loss"]) + 1)
    fig, (ax,) = style.figure(width=7.0, height=4.0)
    for key, color, label in (("d_loss", style.TRAIN, "Discriminator"), ("g_loss", style.TEST, "Generator")):
        ax.plot(steps, d[key], color=color, linewidth=0.4, alpha=0.25)
        ax.plot(steps, smoothed(d[key], k), color=color, linewidth=1.2, label=label)
    ax.set(xlabel="Step", ylabel="Loss (BCE)",
           title=f"Model loss: D {m['d_loss_last']:.2f}, G {m['g_loss_last']:.2f} (last 10% of steps)")
    ax.legend()
    return fig


def loss_scatter(result: Result):
    d = result.data
    fig, (ax,) = style.figure(width=4.6, height=4.2)
    ax.plot(np.asarray(d["d_loss"])[::5], np.asarray(d["g_loss"])[::5], "k.", alpha=0.1, markersize=3)
    ax.set(xlabel="Discriminator loss", ylabel="Generator loss", title="D loss against G loss")
    return fig


def decisions(result: Result, p: Mapping[str, Any]):
    d, m, k = result.data, result.metrics, p["smooth"]
    steps = np.arange(1, len(d["d_loss"]) + 1)
    fig, axes = style.figure(ncols=2, width=5.0, height=4.0)
    panels = ((axes[0], ("d_real", "d_fake"), "D output (mean probability)",
               f"D(real) {m['d_real_last']:.2f}, D(fake) {m['d_fake_last']:.2f}"),
              (axes[1], ("real_judged_real", "fake_judged_real"), 'Share judged "real" (p > .5)',
               f"Judged real: real {m['real_judged_real_last']:.2f}, fake {m['fake_judged_real_last']:.2f}"))
    for ax, keys, ylabel, title in panels:
        for key, color, label in zip(keys, (style.TRAIN, style.TEST), ("Real", "Fake")):
            ax.plot(steps, smoothed(d[key], k), color=color, linewidth=1.0, label=label)
        ax.axhline(0.5, **style.REFERENCE)
        ax.set(xlabel="Step", ylabel=ylabel, ylim=(-0.02, 1.02), title=title)
        ax.legend()
    return fig


def _figures(result: Result, p: Mapping[str, Any], kind: str, ncols: int, suptitle: str = "") -> dict:
    d = result.data
    shown = np.asarray(d["samples"])
    samples = image_grid(shown, kind, True, [f"Fake {i + 1}" for i in range(len(shown))], ncols=ncols)
    if suptitle:
        samples.suptitle(suptitle, fontweight="bold")
    figures = {"losses": losses(result, p), "loss_scatter": loss_scatter(result), "decisions": decisions(result, p),
               "samples": samples, "progress": progress_strip(result, kind)}
    if "examples" in d:
        x = np.asarray(d["examples"])
        titles = (list(result.table("example_labels")["label"]) if "example_labels" in d
                  else [f"Real {i + 1}" for i in range(len(x))])
        examples = image_grid(x, kind, False, titles, ncols=4 if len(x) == 16 else 7 if len(x) == 21 else 6)
        figures["examples"] = examples
    else:
        untrained = np.asarray(d["untrained"])
        figures["untrained"] = image_grid(untrained, kind, True, [f"Untrained {i + 1}" for i in range(len(untrained))],
                                          ncols=ncols)
    return figures


def _drawer(kind: str, ncols: int, titled: bool = False):
    """An experiment's figure function: its image kind, the final grid's columns, and (Fashion-MNIST) the
    grid titled with the classes, as the course titles it."""

    def draw(result: Result, p: Mapping[str, Any]):
        return _figures(result, p, kind, ncols, suptitle=", ".join(p["classes"]) if titled else "")

    return draw


linear_mnist = _drawer("flat", ncols=4)
linear_fmnist = _drawer("flat", ncols=6, titled=True)
fewer_layers_gauss = _drawer("blobs", ncols=6)
cnn_gauss = _drawer("blobs", ncols=6)
cnn_fmnist = _drawer("grey", ncols=6, titled=True)
cnn_cifar10 = _drawer("colour", ncols=6)
cnn_faces = _drawer("colour", ncols=6)
