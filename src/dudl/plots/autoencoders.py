"""Figures of section autoencoders: image grids of digits and reconstructions, loss curves, codes."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result

SIDE = 28


def rows_of_images(rows: Sequence[tuple[str, np.ndarray]], titles: Sequence[str] | None = None):
    """Rows of flattened digits as pixel values from 0 to 1."""
    return style.image_rows(rows, titles, shape=(SIDE, SIDE), cmap="gray", vmin=0, vmax=1)


def loss_curve(losses: np.ndarray, title: str, xlabel: str = "Iteration"):
    fig, (ax,) = style.figure(width=6.4, height=3.8)
    ax.plot(np.arange(1, len(losses) + 1), losses, color=style.TRAIN, linewidth=0.5, alpha=0.6, label="Each step")
    window = max(1, len(losses) // 50)
    smooth = pd.Series(losses).rolling(window, min_periods=1).mean()
    ax.plot(np.arange(1, len(losses) + 1), smooth, color=style.HIGHLIGHT, label=f"Mean of {window}")
    ax.set(xlabel=xlabel, ylabel="Loss (MSE)", yscale="log", title=title)
    ax.legend()
    return fig


def _final(m: Mapping[str, Any]) -> str:
    return f"Final loss {m['final_loss']:.4f} (last 100: {m['mean_loss_last_100']:.4f})"


def _denoising(result: Result, p: Mapping[str, Any]) -> dict:
    d, m = result.data, result.metrics
    k = p["examples"]
    return {
        "loss": loss_curve(np.asarray(d["losses"]), _final(m)),
        "trained": rows_of_images([("Input", d["originals"]), ("Output", d["trained"])]),
        "noisy": rows_of_images([("Clean", d["clean"][:k]), ("Noisy", d["noisy"][:k])]),
        "denoised": rows_of_images([("Clean", d["clean"]), ("Noisy", d["noisy"]), ("Denoised", d["denoised"])],
                                   titles=[f"MSE {v:.3f}" for v in np.asarray(d["denoised_mse"])]),
    }


def denoising(result: Result, p: Mapping[str, Any]):
    figures = _denoising(result, p)
    d = result.data
    figures["untrained"] = rows_of_images([("Input", d["originals"]), ("Untrained output", d["untrained"])])
    figures["untrained"].suptitle("Before training")
    figures["denoised"].suptitle(f"Denoised: mean MSE {result.metrics['denoised_mse']:.4f} against "
                                 f"{result.metrics['noisy_input_mse']:.4f} for the noisy input")
    return figures


def tied_weights(result: Result, p: Mapping[str, Any]):
    figures = _denoising(result, p)
    figures["trained"].suptitle("Model output with tied layers")
    return figures


def n_units(result: Result, p: Mapping[str, Any]):
    summary = result.summary
    table = summary.pivot(index="bottleneck_units", columns="encoder_units", values="loss")
    fig, (ax,) = style.figure(width=7.2, height=4.4)
    sns.heatmap(table, cmap="Purples", vmin=0.01, vmax=0.04, annot=True, fmt=".3f", annot_kws={"fontsize": 6},
                cbar_kws={"label": "Loss (MSE)"}, ax=ax)
    ax.invert_yaxis()
    ax.set(xlabel="Encoder/decoder units", ylabel="Bottleneck units",
           title=f"{int(result.metrics['trainings'])} autoencoders: loss {result.metrics['min_loss']:.4f} to "
                 f"{result.metrics['max_loss']:.4f}")
    lines, (ax2,) = style.figure(width=6.4, height=4.2)
    sns.lineplot(data=summary, x="encoder_units", y="loss", hue="bottleneck_units", palette=style.SEQUENTIAL,
                 marker="o", ax=ax2)
    ax2.set(xlabel="Encoder/decoder units", ylabel="Loss (MSE)", title="Loss by bottleneck units")
    ax2.legend(title="Bottleneck", fontsize=7)
    return {"loss_map": fig, "loss_by_units": lines}


def latent_code(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    code_fig, axes = style.figure(ncols=2, width=4.8, height=3.8)
    edges, counts = np.asarray(d["code_edges"]), np.asarray(d["code_counts"])
    axes[0].bar((edges[:-1] + edges[1:]) / 2, counts, width=np.diff(edges), color=style.TRAIN)
    axes[0].set(yscale="log", xlabel="Code activation", ylabel="Count (log)",
                title=f"{m['share_of_zero_activations'] * 100:.0f}% of activations are 0")
    shown = axes[1].imshow(np.asarray(d["code_image"]), aspect="auto", cmap="magma", interpolation="nearest")
    axes[1].set(xlabel="Code unit", ylabel="Digit (first 200)", title="Code by digit")
    axes[1].grid(False)
    code_fig.colorbar(shown, ax=axes[1], label="Activation")

    means = d["mean_code"]
    by_digit, (ax,) = style.figure(width=6.8, height=4.0)
    sns.lineplot(data=means, x="unit", y="activation", hue="digit", palette="tab10", marker="o", ax=ax)
    ax.set(xlabel="Code unit", ylabel="Mean activation", title="The model's internal representation of the numbers")
    ax.legend(title="Digit", ncols=2, fontsize=7)

    shares = result.summary
    scree, (ax,) = style.figure(width=5.6, height=3.8)
    ax.plot(shares["component"], shares["data"], marker="o", color=style.TRAIN, label="Pixels")
    ax.plot(shares["component"], shares["code"], marker="s", color=style.TEST, label="Code")
    ax.set(xlabel="Component", ylabel="Variance explained (%)",
           title=f"First two components: pixels {m['data_pc12_share']:.0f}%, code {m['code_pc12_share']:.0f}%")
    ax.legend()

    labels = np.asarray(d["labels"])
    proj, axes = style.figure(ncols=2, width=4.6, height=4.2)
    for ax, key, title in zip(axes, ("data_projection", "code_projection"), ("Pixels", "Code")):
        points = np.asarray(d[key])
        style.scatter_classes(ax, points, labels, names=[str(k) for k in range(10)], s=2)
        ax.set(xlabel="PC 1", ylabel="PC 2", title=f"{title}: first two components")
    axes[0].get_legend().remove()
    axes[1].legend(title="Digit", markerscale=4, fontsize=7, ncols=2)

    example, axes = style.figure(ncols=3, width=3.6, height=3.2, gridspec_kw={"width_ratios": [1, 2, 1.3]})
    axes[0].imshow(np.asarray(d["example_image"]).reshape(SIDE, SIDE), cmap="gray")
    axes[0].axis("off")
    axes[0].set_title(f"The digit {int(d['example_label'])}")
    axes[1].plot(np.asarray(d["example_image"]), color=style.TRAIN, linewidth=0.7)
    axes[1].set(xlabel="Pixel", ylabel="Value", title="784 pixels")
    axes[2].bar(np.arange(len(d["example_code"])), np.asarray(d["example_code"]), color=style.TEST)
    axes[2].set(xlabel="Code unit", ylabel="Activation", title="15 code values")
    return {"loss": loss_curve(np.asarray(d["losses"]), _final(m)), "code": code_fig, "code_by_digit": by_digit,
            "scree": scree, "projections": proj, "example": example}


def occlusion(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    demo, axes = style.figure(ncols=2, width=3.2, height=3.4)
    for ax, key, title in zip(axes, ("demo", "demo_occluded"), ("Original image", "Occluded image")):
        ax.imshow(np.asarray(d[key]), cmap="gray")
        ax.set_title(title)
        ax.axis("off")
    grid = rows_of_images([("Original", d["originals"]), ("Occluded", d["occluded"]),
                           ("De-occluded", d["deoccluded"])])
    j = p["correlation_image"]
    orig, recon, mask = (np.asarray(d[k]) for k in ("originals", "deoccluded", "nonzero_mask"))
    corr, axes = style.figure(ncols=2, width=4.4, height=4.0)
    for ax, pick, r in zip(axes, (np.ones_like(mask, dtype=bool), mask),
                           (m["r_image_all_pixels"], m["r_image_nonzero_pixels"])):
        ax.plot(orig[j][pick], recon[j][pick], ".", color=style.TRAIN, markersize=3)
        ax.set(xlabel="Original pixel values", ylabel="Reconstructed pixel values", title=f"Correlation r={r:.3f}")
    axes[1].set_title(f"Non-zero pixels only: r={m['r_image_nonzero_pixels']:.3f}")
    summary = result.summary
    rs, (ax,) = style.figure(width=6.0, height=3.8)
    ax.plot(summary["image"], summary["r_clean"], "o", markersize=9, color=style.TRAIN, label="No occlusion")
    ax.plot(summary["image"], summary["r_occluded"], "o", markersize=9, color=style.TEST, label="Occlusion")
    ax.set(xlabel="Sample number", ylabel="Correlation with original",
           title=f"Mean r {m['mean_r_clean']:.3f} clean, {m['mean_r_occluded']:.3f} occluded")
    ax.legend()
    return {"demo": demo, "loss": loss_curve(np.asarray(d["losses"]), _final(m), "Batch"), "deoccluded": grid,
            "correlation": corr, "correlations": rs}
