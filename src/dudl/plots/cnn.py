"""Figures of section cnn."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import seaborn as sns
from matplotlib.patches import Circle

from dudl.catalog.cnn import channel_points
from dudl.plots import style
from dudl.plots.ffn import _final_title, _pixels, _training
from dudl.results import Result

BLOB = dict(cmap="jet", vmin=-1, vmax=1, extent=(-4, 4, -4, 4))


def cnn4mnist(result: Result, p: Mapping[str, Any]):
    return {"training": _training(result, _final_title(result))}


def shifted(result: Result, p: Mapping[str, Any]):
    d = result.data
    example = style.image_panels({"Original": d["example"], f"Rolled by {p['example_shift']} (rows)": d["example_rolled"]},
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
    figures = gauss_class_like(result)
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
    return {**figures, "filters": filters}


def find_gauss(result: Result, p: Mapping[str, Any]):
    d, m, s = result.data, result.metrics, result.summary
    t = np.asarray(d["example_targets"])
    examples = style.image_panels({f"XY=({x:.0f},{y:.0f}), W={w:.0f} ({i})": img for i, ((x, y, w), img) in
                                   enumerate(zip(t, d["examples"]))}, ncols=7, size=1.9, **BLOB)
    h = result.history
    training, (ax,) = style.figure(width=6.0, height=3.8)
    ax.plot(h["epoch"], h["train_loss"], color=style.TRAIN, label="Train")
    ax.plot(h["epoch"], h["test_loss"], color=style.TEST, label="Test")
    ax.set(xlabel="Epoch", ylabel="Loss (MSE)", title=f"Final test loss: {m['final_test_loss']:.3f}")
    ax.legend()
    n = min(20, len(s))
    predictions = style.image_panels({f"Test {i}": img for i, img in enumerate(d["test_images"][:n])}, ncols=10, size=1.6, **BLOB)
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


def _maps_grid(images: np.ndarray, maps: np.ndarray, title: str):
    """Images along the top row and each channel's feature map in the rows below."""
    k, channels = maps.shape[0], maps.shape[1]
    fig, axes = style.figure(ncols=k, nrows=channels + 1, width=1.3, height=1.3)
    axes = axes.reshape(channels + 1, k)
    for j in range(k):
        axes[0, j].imshow(images[j], **BLOB)
        for c in range(channels):
            axes[c + 1, j].imshow(maps[j, c], cmap="inferno", aspect="auto")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    axes[0, 0].set_ylabel("Image", fontsize=7)
    for c in range(channels):
        axes[c + 1, 0].set_ylabel(f"Map {c}", fontsize=7)
    fig.suptitle(title)
    return fig


def _feature_maps(result: Result, p: Mapping[str, Any]):
    figures = gauss_class_like(result)
    d, m = result.data, result.metrics
    shown = np.asarray(d["shown_images"])
    figures["conv1_maps"] = _maps_grid(shown, np.asarray(d["conv1"]),
                                       f"First layer: {m['conv1_shape_h']} x {m['conv1_shape_w']} maps")
    figures["conv2_maps"] = _maps_grid(shown, np.asarray(d["conv2"]),
                                       f"Second layer: {m['conv2_shape_h']} x {m['conv2_shape_w']} maps")
    corr, axes = style.figure(ncols=4, width=3.4, height=3.4, gridspec_kw={"width_ratios": [1.6, 1, 1.6, 1]})
    for (ax_dots, ax_mat), layer in zip(((axes[0], axes[1]), (axes[2], axes[3])), ("1", "2")):
        pairs, mean = np.asarray(d[f"pairs{layer}"]), np.asarray(d[f"mean{layer}"])
        for j in range(pairs.shape[1]):
            ax_dots.plot(np.full(len(pairs), j) + np.random.default_rng(j).uniform(-0.2, 0.2, len(pairs)),
                         pairs[:, j], ".", markersize=3, color=style.TRAIN, alpha=0.5)
        ax_dots.set(xlabel="Channel pair", ylabel="Correlation", ylim=(-1, 1), title=f"Layer {layer}: per image")
        shown_mat = ax_mat.imshow(mean, vmin=-1, vmax=1, cmap=style.DIVERGING)
        ax_mat.set(title=f"Layer {layer}: mean", xlabel="Channel", ylabel="Channel")
        ax_mat.grid(False)
    corr.colorbar(shown_mat, ax=list(axes), shrink=0.7, label="Correlation")
    figures["correlations"] = corr
    return figures


def gauss_class_like(result: Result) -> dict:
    d, s = result.data, result.summary
    # Titles repeat (two classes), and image_panels keys them: the index keeps every panel.
    examples = style.image_panels({f"Class {int(c)} ({i})": img for i, (c, img) in
                                   enumerate(zip(d["example_labels"], d["examples"]))}, ncols=7, size=1.9, **BLOB)
    predictions = style.image_panels({f"T:{t}, P:{g} ({i})": img for i, (t, g, img) in
                                      enumerate(zip(s["true"], s["guess"], d["test_images"]))}, ncols=10, size=1.6, **BLOB)
    return {"examples": examples, "training": _losses_and_accuracy(result), "predictions": predictions}


def feature_maps(result: Result, p: Mapping[str, Any]):
    return _feature_maps(result, p)


def softcoding(result: Result, p: Mapping[str, Any]):
    return _feature_maps(result, p)


def _rows(top: np.ndarray, bottom: np.ndarray, labels=("Input", "Output"), titles=None):
    return style.image_rows([(labels[0], top), (labels[1], bottom)], titles, size=1.5, **BLOB)


def _ae_loss(result: Result, name: str = "MSE"):
    losses = np.asarray(result.data["losses"])
    fig, (ax,) = style.figure(width=6.0, height=3.6)
    ax.plot(np.arange(1, len(losses) + 1), losses, color=style.TRAIN)
    ax.set(xlabel="Iteration", ylabel=f"Loss ({name})", title=f"Model loss (final loss={losses[-1]:.3f})")
    return fig


def gauss_ae(result: Result, p: Mapping[str, Any]):
    d = result.data
    return {"examples": style.image_panels({f"{i}": img for i, img in enumerate(d["examples"])}, ncols=7, size=1.6, **BLOB),
            "untrained": _rows(d["inputs"], d["untrained"], ("Input", "Untrained")), "loss": _ae_loss(result),
            "outputs": _rows(d["inputs"], d["outputs"])}


def ae_occlusion(result: Result, p: Mapping[str, Any]):
    d = result.data
    return {"examples": _rows(d["clean_examples"], d["barred_examples"], ("Clean", "Occluded")),
            "untrained": _rows(d["inputs"], d["untrained"], ("Occluded", "Untrained")), "loss": _ae_loss(result),
            "outputs": _rows(d["inputs"], d["outputs"], ("Occluded", "Output"))}


def custom_loss(result: Result, p: Mapping[str, Any]):
    d = result.data
    inputs, outputs = np.asarray(d["inputs"]), np.asarray(d["outputs"])
    fig = _rows(inputs, outputs, titles=[f"in {a:.2f}, out {b:.2f}" for a, b in zip(inputs.mean(axis=(1, 2)),
                                                                                   outputs.mean(axis=(1, 2)))])
    fig.suptitle("Means of each input and output")
    return {"examples": style.image_panels({f"{i}": img for i, img in enumerate(d["examples"])}, ncols=7, size=1.6, **BLOB),
            "loss": _ae_loss(result, p["loss"]), "outputs": fig}


def linear_units(result: Result, p: Mapping[str, Any]):
    s = result.summary.sort_values("units")
    figures = {}
    for key, column, label in (("loss_by_units", "loss", "Loss"), ("accuracy_by_units", "acc", "Accuracy (%)")):
        fig, (ax,) = style.figure(width=6.0, height=3.8)
        ax.plot(s["units"], s[f"final_train_{column}"], "o-", color=style.TRAIN, label="Train")
        ax.plot(s["units"], s[f"final_test_{column}"], "o-", color=style.TEST, label="Test")
        ax.set(xlabel="Units in the fully connected part (u)", ylabel=label, title=f"{label} by FC width")
        ax.legend()
        figures[key] = fig
    return figures


# ---------------------------------------------------------------- EMNIST letters


def _loss_and_error(result: Result, title: str):
    """Loss and error rate (100 - accuracy, as the EMNIST notebooks plot it) per epoch, train and test."""
    h = result.history.assign(train_err=lambda f: 100 - f["train_acc"], test_err=lambda f: 100 - f["test_acc"])
    fig, axes = style.figure(ncols=2, width=4.8, height=3.8)
    style.train_test(axes[0], h, "loss")
    axes[0].set_title("Loss")
    style.train_test(axes[1], h, "err")
    axes[1].set_title(title)
    return fig


def _letters(result: Result) -> dict:
    d = result.data
    examples = style.image_panels({f"{label} ({i})": img for i, (label, img) in
                                   enumerate(zip(d["example_labels"], d["examples"]))}, ncols=7, size=1.6, cmap="gray")
    title = f"Final model test error rate: {result.metrics['final_test_err']:.2f}%"
    return {"pixels": _pixels(result), "examples": examples, "training": _loss_and_error(result, title)}


def emnist(result: Result, p: Mapping[str, Any]):
    d, s = result.data, result.summary
    figures = _letters(result)
    predictions = style.image_panels({f"True {t}, pred. {g} ({i})": img for i, (t, g, img) in
                                      enumerate(zip(s["true"], s["guess"], d["test_images"]))},
                                     ncols=7, size=1.6, cmap="gray")
    for ax, wrong in zip(predictions.axes, s["true"] != s["guess"]):
        if wrong:
            ax.images[0].set_cmap("hot")
    confusion, (ax,) = style.figure(width=11.0, height=10.0)
    style.confusion_heatmap(ax, np.asarray(d["confusion"]), list(d["classes"]), normalized=True, vmax=0.1,
                            title="Test confusion matrix (rows sum to 1; colour saturates at .1)")
    for text in ax.texts:  # 676 cells: the annotation says only what the colour cannot (the diagonal)
        if float(text.get_text()) < 0.1:
            text.set_text("")
    return {**figures, "predictions": predictions, "confusion": confusion}


def beat_this(result: Result, p: Mapping[str, Any]):
    return _letters(result)


def num_chans(result: Result, p: Mapping[str, Any]):
    s, m = result.summary, result.metrics
    single = channel_points(p, None)[0]
    curves = result.table("curves")
    example = _loss_and_error(Result(metrics={}, history=curves[curves["run"] == single]),
                              f"Channels {p['channels'][0]}, {p['channels'][1]}: test error "
                              f"{m['example_test_err']:.2f}%")
    maps, axes = style.figure(ncols=2, width=5.4, height=4.2)
    for ax, part in zip(axes, ("train", "test")):
        grid = s.pivot(index="c1", columns="c2", values=f"final_{part}_err")
        sns.heatmap(grid, annot=True, fmt=".1f", cmap="viridis_r", square=True, ax=ax,
                    cbar_kws={"label": "Error rate (%)"})
        ax.invert_yaxis()
        ax.set(xlabel="Channels in conv2 (c2)", ylabel="Channels in conv1 (c1)", title=f"Final {part} error")
    by_total, (ax,) = style.figure(width=6.0, height=3.8)
    total = s["c1"] + s["c2"]
    for part, color in (("train", style.TRAIN), ("test", style.TEST)):
        ax.plot(total, s[f"final_{part}_err"], "o", color=color, markersize=7,
                label=f"{part.capitalize()} (r={m[f'r_channels_{part}_err']:.2f})")
    ax.set(xlabel="Total channels (c1 + c2)", ylabel="Final error rate (%)", title="Error rate by number of channels")
    ax.legend()
    return {"example_training": example, "error_maps": maps, "error_by_channels": by_total}
