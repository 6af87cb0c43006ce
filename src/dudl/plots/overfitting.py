"""Figures of section overfitting."""

from __future__ import annotations

from typing import Any, Mapping

import seaborn as sns
from matplotlib.colors import ListedColormap

from dudl.plots import style
from dudl.results import Result

PARTS = ("train", "devset", "test")


def _accuracy_panel(ax, history, title: str, markers: bool = False) -> None:
    style.train_test(ax, history, "acc", markers=markers)
    ax.set_title(title)


def manual(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    fig, axes = style.figure(ncols=2, width=5.2, gridspec_kw={"width_ratios": [2, 1]})
    _accuracy_panel(axes[0], result.history,
                    f"Final accuracy: train {m['train_accuracy']:.1f}%, test {m['test_accuracy']:.1f}%")
    counts = result.table("counts")
    sns.barplot(data=counts, x="species", y="flowers", hue="set", hue_order=["train", "test"],
                palette=[style.TRAIN, style.TEST], ax=axes[1])
    axes[1].set(xlabel="", ylabel="Flowers",
                title=f"Mean label: train {m['mean_label_train']:.2f}, test {m['mean_label_test']:.2f}")
    return {"accuracy": fig}


def scikitlearn(result: Result, p: Mapping[str, Any]):
    fig_single, (ax,) = style.figure(width=8, height=4)
    _accuracy_panel(ax, result.history, f"Training proportion {p['single_train_proportion']}: a new split every "
                                        f"epoch (final test {result.metrics['single_final_test_acc']:.0f}%)",
                    markers=True)

    props = result.data["proportions"]
    epochs = result.data["train_acc"].shape[1]
    fig_maps, axes = style.figure(ncols=2, width=5.5, height=4.2)
    for ax, key, title in zip(axes, ("train_acc", "test_acc"), ("Training accuracy", "Test accuracy")):
        image = ax.imshow(result.data[key], aspect="auto", vmin=50, vmax=90, cmap=style.SEQUENTIAL,
                          interpolation="nearest", extent=[0, epochs, props[-1], props[0]])
        ax.set(xlabel="Epochs", ylabel="Training size proportion", title=title)
        ax.grid(False)
    fig_maps.colorbar(image, ax=axes[1], label="Accuracy (%)")
    return {"single_run": fig_single, "heatmaps": fig_maps}


def data_loader(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    fig, (ax,) = style.figure(width=8, height=4)
    _accuracy_panel(ax, result.history, f"Batches of {p['batch_size']}: final train {m['final_train_accuracy']:.1f}%, "
                                        f"test {m['final_test_accuracy']:.1f}%")
    return {"accuracy": fig}


def regression(result: Result, p: Mapping[str, Any]):
    pts = result.table("points")
    m = result.metrics
    fig_pred, (ax,) = style.figure(width=5.5, height=4.5)
    ax.scatter(pts["x"], pts["y"], color="0.3", marker="^", s=18, label="All data")
    for part, color, marker in (("train", style.TRAIN, "s"), ("test", style.TEST, "o")):
        sel = pts[pts["set"] == part]
        ax.scatter(sel["x"], sel["prediction"], facecolors="white", edgecolors=color, marker=marker, s=30,
                   linewidths=1.3, label=f"{part.capitalize()} predictions")
    ax.set(xlabel="x", ylabel="y", title=f"Final MSE: train {m['train_mse']:.2f}, test {m['test_mse']:.2f}")
    ax.legend()

    fig_loss, (ax,) = style.figure()
    style.train_test(ax, result.history, "loss")
    ax.axhline(p["noise_std"] ** 2, **style.REFERENCE)
    ax.set(ylabel="Mean squared error", title="Train and test loss")
    return {"predictions": fig_pred, "losses": fig_loss}


def train_devset_test(result: Result, p: Mapping[str, Any]):
    table = result.table("assignment")
    colors = [style.TRAIN, style.EXTRA, style.TEST]
    fig, axes = style.figure(ncols=2, width=3.6, height=4.6)
    titles = {"sklearn": "train_test_split, twice", "manual": "np.cumsum boundaries"}
    for ax, method in zip(axes, ("sklearn", "manual")):
        rows = table[table["method"] == method].sort_values("row")
        codes = rows["partition"].map({part: i for i, part in enumerate(PARTS)}).to_numpy()
        ax.imshow(codes[:, None], cmap=ListedColormap(colors), vmin=0, vmax=2, aspect="auto")
        for i, (value, part) in enumerate(zip(rows["first_value"], rows["partition"])):
            ax.text(0, i, f"[{value} ... {value + 3}]  {part}", ha="center", va="center", fontsize=8, color="white")
        sizes = rows["partition"].value_counts().reindex(PARTS, fill_value=0)
        ax.set(title=f"{titles[method]}\ntrain / devset / test = {' / '.join(map(str, sizes))}", xticks=[],
               yticks=range(len(rows)), yticklabels=[f"row {r}" for r in rows["row"]])
        ax.grid(False)
    return {"partitions": fig}
