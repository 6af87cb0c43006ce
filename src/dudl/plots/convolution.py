"""Figures of section convolution: images, kernels and feature maps as image grids."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from dudl.plots import style
from dudl.results import Result


def _show(ax, image, title: str, **kwargs) -> None:
    shown = ax.imshow(np.asarray(image), **kwargs)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return shown


def conv_in_code(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    source = result.table("source")["photo"].iloc[0]
    photo_fig, (ax,) = style.figure(width=6.0, height=5.0)
    name = source.split(" (")[0] if m["photo_is_the_course_one"] else "Starry Night, standing in for the course's photo"
    _show(ax, d["photo"], f"{name}: {m['photo_height']} x {m['photo_width']}", cmap="gray")

    def edges(prefix: str, title: str):
        images = {"Vertical kernel": d["vertical_kernel"], "Horizontal kernel": d["horizontal_kernel"],
                  f"{title}: vertical edges": d[f"{prefix}_vertical"],
                  f"{title}: horizontal edges": d[f"{prefix}_horizontal"]}
        fig = style.image_panels(images, ncols=2, size=3.6, cmap="gray", vmin=0, vmax=0.01)
        for ax in fig.axes[:2]:  # the kernels have their own range
            ax.images[0].set_clim(-1, 1)
        return fig

    edge_torch = edges("torch", "torch conv2d")
    edge_torch.suptitle(f"Largest difference from scipy: {m['max_abs_diff_torch_scipy']:.1e}")
    manual = style.image_panels({"Image": d["image"], "Kernel": d["kernel"], "Manual convolution": d["manual"],
                                 "scipy convolve2d": d["scipy"]}, ncols=2, size=3.4)
    manual.suptitle(f"Largest difference: {m['max_abs_diff_manual_scipy']:.1e}")
    image_kernel = style.image_panels({"Image": d["image"], "Convolution kernel": d["kernel"]}, ncols=2, size=3.6)
    return {"image_kernel": image_kernel,
            "manual_vs_scipy": manual, "photo": photo_fig, "edges_scipy": edges("scipy", "scipy"),
            "edges_torch": edge_torch}


def _layer(result: Result, kind: str):
    d, m = result.data, result.metrics
    kernels, maps = np.asarray(d["kernels"]), np.asarray(d["maps"])
    kfig = style.image_panels({f"Kernel {i}": k for i, k in enumerate(kernels)}, ncols=5, size=1.8, cmap="RdBu_r")
    kfig.suptitle(f"{kind} weight {result.summary['weight'].iloc[0]} (input channel 0)")
    ifig, (ax,) = style.figure(width=4.0, height=4.0)
    _show(ax, d["image"], f"Input {result.summary['input'].iloc[0]}")
    mfig = style.image_panels({f"Map {i}": f for i, f in enumerate(maps)}, ncols=5, size=1.9, cmap="magma")
    mfig.suptitle(f"Output {result.summary['output'].iloc[0]}: {m['output_height']} x {m['output_width']} per map")
    return {"kernels": kfig, "image": ifig, "feature_maps": mfig}


def conv2(result: Result, p: Mapping[str, Any]):
    return _layer(result, "Conv2d")


def conv2_transpose(result: Result, p: Mapping[str, Any]):
    return _layer(result, "ConvTranspose2d")


def output_size(result: Result, p: Mapping[str, Any]):
    s = result.summary
    fig, axes = style.figure(ncols=2, width=5.0, height=4.0)
    for ax, dim in zip(axes, ("height", "width")):
        y = np.arange(len(s))
        ax.scatter(s[f"expected_{dim}"], y, marker="o", s=80, facecolors="none", edgecolors=style.TRAIN,
                   label="Formula")
        ax.scatter(s[f"empirical_{dim}"], y, marker="x", s=50, color=style.TEST, label="nn.Conv2d")
        ax.scatter(s[f"target_{dim}"], y, marker="|", s=200, color="0.4", label="Target")
        ax.set_yticks(y, [f"{c} ({i})" for c, i in zip(s["case"], s["input"])])
        ax.set(xlabel=f"Output {dim}", title=f"Output {dim}")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{int(result.metrics['cases_matching'])} of {int(result.metrics['cases'])} cases match "
                 "floor((N + 2p - k) / s) + 1")
    return {"sizes": fig}


def pooling(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    shapes = result.summary.set_index("operation")["shape"]
    fig = style.image_panels({f"Image {np.asarray(d['image']).shape}": d["image"],
                  f"Max-pooled {shapes['maxpool2d_1ch']}": d["max_pooled"],
                  f"Mean-pooled {np.asarray(d['mean_pooled']).shape}": d["mean_pooled"]}, ncols=3, size=3.4,
                 cmap="viridis", vmin=0, vmax=1)
    fig.suptitle(f"MaxPool2d on 3 channels: {shapes['maxpool2d_3ch']}; MaxPool3d: {shapes['maxpool3d_3ch']}; "
                 f"little CNN: {m['cnn_flat_features']} features, p = {m['cnn_probability']:.3f}")
    return {"pooled": fig}


def transforms(result: Result, p: Mapping[str, Any]):
    d = result.data
    labels = result.table("example_labels")["label"].tolist()
    grid = style.image_grid(np.asarray(d["examples"]), labels, ncols=5, size=1.7)
    fig, axes = style.figure(ncols=3, width=3.4, height=3.6)
    label = result.table("example_class")["label"].iloc[0]
    _show(axes[0], d["original"], f"Original ({label}), {np.asarray(d['original']).shape[0]} px")
    _show(axes[1], d["transformed"], f"Transformed, {np.asarray(d['transformed']).shape[0]} px", cmap="viridis")
    _show(axes[2], d["transformed"], "Transformed (grey)", cmap="gray")
    return {"examples": grid, "transformed": fig}


def custom_dataset(result: Result, p: Mapping[str, Any]):
    d = result.data
    originals, loaded = np.asarray(d["originals"]), np.asarray(d["loaded"])
    flipped = pd.Series(result.summary["flipped"]).astype(bool).tolist()
    n = len(originals)
    fig, axes = style.figure(ncols=n, nrows=2, width=1.4, height=1.6)
    axes = axes.reshape(2, n)
    for i in range(n):
        _show(axes[0, i], originals[i], f"Label {int(result.summary['label'][i])}", cmap="gray")
        _show(axes[1, i], loaded[i], "flipped" if flipped[i] else "as is", cmap="gray")
    axes[0, 0].set_ylabel("Stored")
    axes[1, 0].set_ylabel("Loaded")
    fig.suptitle(f"{int(result.metrics['flipped'])} of {n} flipped by the Dataset's transform")
    return {"loaded": fig}
