"""Figures of section weights."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import seaborn as sns

from dudl.plots import style
from dudl.results import Result

CONDITION_LABELS = {"baseline": "Default init", "fc1_zero": "fc1 weights = 0", "all_zero": "All parameters = 0",
                    "all_one": "All parameters = 1"}


def matrix_sizes(result: Result, p: Mapping[str, Any]):
    weights = [np.asarray(result.data[f"weight_{i}"]) for i in range(len(p["layers"]) - 1)]
    fig, axes = style.figure(ncols=len(weights), width=3.0, height=3.6)
    for ax, w in zip(axes, weights):
        shown = ax.imshow(w, cmap=style.DIVERGING, vmin=-0.35, vmax=0.35)
        ax.set(title=f"[{w.shape[0]}, {w.shape[1]}]", xlabel="Input", ylabel="Output")
        ax.grid(False)
    fig.colorbar(shown, ax=list(axes), label="Weight", shrink=0.8)
    outcome = result.table("outcome").set_index("model")["result"]
    fig.suptitle(f"Consistent model: {outcome['consistent']}; inconsistent model: {outcome['inconsistent']}")
    return {"weights": fig}


def demo_inits(result: Result, p: Mapping[str, Any]):
    runs = result.table("runs")
    fig, (ax,) = style.figure(width=6.4, height=4.2)
    sns.lineplot(data=runs.assign(init=runs["run"].map(CONDITION_LABELS)), x="epoch", y="test_acc", hue="init",
                 marker="o", ax=ax)
    ax.set(xlabel="Epoch", ylabel="Test accuracy (%)", ylim=(0, 100), title="Four starts, the same training")
    ax.legend(title="")

    hist, axes = style.figure(ncols=2, width=4.6, height=3.8)
    for ax, layer in zip(axes, ("fc1", "fc2")):
        for condition, color in zip(("baseline", "fc1_zero", "all_zero"), (style.TRAIN, style.TEST, style.EXTRA)):
            values = np.asarray(result.data[f"{condition}_{layer}"])
            if np.ptp(values) == 0:  # all at one value: a histogram would be one bar of infinite density
                ax.axvline(values[0], color=color, label=f"{CONDITION_LABELS[condition]} (all {values[0]:g})")
            else:
                sns.kdeplot(values, color=color, label=CONDITION_LABELS[condition], ax=ax, warn_singular=False)
        ax.set(xlabel="Trained weight", ylabel="Density", title=f"{layer} weights after training")
        ax.legend(fontsize=7)

    params = result.table("all_zero_parameters")
    zero, (ax,) = style.figure(width=7.2, height=3.6)
    for layer, rows in params.groupby("layer", sort=False):
        ax.plot(np.arange(len(rows)), rows["value"].to_numpy(), marker=".", linestyle="none", markersize=2,
                label=layer)
    ax.set(xlabel="Parameter index within its layer (log scale)", ylabel="Value", xscale="symlog",
           title=f"All-zero net after training: {int(result.metrics['all_zero_nonzero_weights'])} weights not 0")
    ax.legend(fontsize=7, ncols=2, markerscale=4)
    return {"accuracy": fig, "histograms": hist, "all_zero_parameters": zero}


def xavier_kaiming(result: Result, p: Mapping[str, Any]):
    m, summary = result.metrics, result.summary
    fig, axes = style.figure(ncols=2, width=4.6, height=3.8)
    bound = m["fc1_default_bound"]
    for ax, values, title in zip(axes, (result.data["biases"], result.data["default_weights"]),
                                 (f"{m['biases']} biases", f"{m['weights']} weights")):
        ax.hist(values, bins=p["bins"], density=True, color=style.TRAIN, alpha=0.75)
        ax.plot([-bound, -bound, bound, bound], [0, 1 / (2 * bound), 1 / (2 * bound), 0], **style.REFERENCE,
                label=f"U(-{bound:.2g}, {bound:.2g})")
        ax.set(xlabel="Initial value", ylabel="Density", title=f"Default init: {title}")
        ax.legend(fontsize=7)

    layers, axes2 = style.figure(ncols=2, width=4.6, height=3.8, sharey=True)
    layer_of = np.asarray(result.data["weight_layer"])
    colors = sns.color_palette(style.SEQUENTIAL, int(layer_of.max()) + 1)
    for ax, key, title in zip(axes2, ("default_weights", "xavier_weights"), ("Default (Kaiming uniform)",
                                                                            "xavier_normal_")):
        values = np.asarray(result.data[key])
        for i, row in summary.iterrows():
            sns.kdeplot(values[layer_of == i], color=colors[i], ax=ax, cut=0,
                        label=f"layer {i} ({int(row['fan_in'])} -> {int(row['fan_out'])})")
        ax.set(xlabel="Weight", ylabel="Density", title=title)
        ax.legend(fontsize=7)
    axes2[1].set_title(f"xavier_normal_: layer 0 var {m['fc1_xavier_variance']:.4f} "
                       f"(theory {m['fc1_xavier_variance_theory']:.3g})")
    return {"default": fig, "layers": layers}


def xavier_kaiming_challenge(result: Result, p: Mapping[str, Any]):
    curves = result.data["curves"]
    first = curves[curves["run"].isin(["xavier_0", "kaiming_0"])].assign(init=lambda f: f["run"].str.split("_").str[0])
    fig, axes = style.figure(ncols=3, width=4.0, height=3.6)
    for ax, column, label in zip(axes, ("train_loss", "train_acc", "test_acc"), ("Loss", "Train accuracy (%)",
                                                                               "Test accuracy (%)")):
        sns.lineplot(data=first, x="epoch", y=column, hue="init", ax=ax, linewidth=0.9)
        ax.set(xlabel="Epoch", ylabel=label, title=label)
    summary, m = result.summary, result.metrics
    reps, axes2 = style.figure(ncols=3, width=3.6, height=3.8)
    for ax, column, label in zip(axes2, ("train_loss", "train_acc", "test_acc"), ("Loss", "Train accuracy",
                                                                                "Test accuracy")):
        sns.stripplot(data=summary, x="init", y=column, hue="init", ax=ax, size=7, jitter=0.15, legend=False)
        ax.set(xlabel="", ylabel=f"{label}, mean of last {p['last_epochs']} epochs",
               title=f"{label} (t={m[f't_{column}']:.2f}, p={m[f'p_{column}']:.3f})")
    return {"curves": fig, "repetitions": reps}


def identical_random(result: Result, p: Mapping[str, Any]):
    weights = result.table("weights")
    fig, (ax,) = style.figure(width=7.0, height=4.0)
    markers = dict(zip(weights["copy"].unique(), ("o", "s", "^", "x", "v", "d")))
    for name, rows in weights.groupby("copy", sort=False):
        ax.plot(rows["index"], rows["weight"], marker=markers[name], linestyle="-", linewidth=0.6,
                markerfacecolor="none", label=name)
    diffs = {k.removeprefix("max_abs_diff_"): v for k, v in result.metrics.items() if k.startswith("max_abs_diff_")}
    ax.set(xlabel="Weight index", ylabel="Weight value",
           title="Max difference " + ", ".join(f"{k}: {v:.3g}" for k, v in diffs.items()))
    ax.legend(fontsize=8)
    return {"weights": fig}


def weight_std(result: Result, p: Mapping[str, Any]):
    summary, m = result.summary, result.metrics
    fig, (ax,) = style.figure(width=6.4, height=4.2)
    ax.plot(summary["std"], summary["last_test_acc"], marker="o", color=style.TEST)
    ax.set(xscale="log", xlabel="Standard deviation of the initial parameters", ylabel="Test accuracy (%)",
           title=f"Best {m['best_test_acc']:.1f}% (sd {m['best_std']:.2g}); "
                 f"{m['test_acc_at_largest_std']:.1f}% at sd {m['largest_std']:.2g}")
    hists = result.data["histograms"]
    fig2, (ax2,) = style.figure(width=6.4, height=4.2)
    norm = style.log_norm(summary["std"])
    cmap = sns.color_palette(style.SEQUENTIAL, as_cmap=True)
    for std, rows in hists.groupby("std"):
        ax2.plot(rows["value"], rows["density"], color=cmap(norm(std)), linewidth=0.9)
    ax2.set_xscale("symlog", linthresh=1e-3)
    ax2.set(yscale="log", xlabel="Trained parameter value (symmetric log)",
            ylabel="Density (log)", title="Trained parameters by initial sd")
    import matplotlib.pyplot as plt

    fig2.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax2, label="Initial sd")
    return {"accuracy_by_std": fig, "histograms": fig2}


def freeze_weights(result: Result, p: Mapping[str, Any]):
    m = result.metrics
    fig, (ax,) = style.figure(width=6.4, height=4.2)
    style.train_test(ax, result.history, "acc")
    ax.axvline(m["frozen_epochs"] + 0.5, **style.REFERENCE)
    ax.text(m["frozen_epochs"] + 1, 5, "Learning switched on", fontsize=8, color="0.35")
    ax.set(ylim=(0, 100), title=f"Frozen: test {m['frozen_test_acc']:.1f}%; unfrozen: {m['final_test_acc']:.1f}%")
    return {"training": fig}


def weight_changes(result: Result, p: Mapping[str, Any]):
    h, m = result.history, result.metrics
    names = [c.removeprefix("change_") for c in h.columns if c.startswith("change_")]
    fig, axes = style.figure(ncols=3, width=4.2, height=3.8)
    style.train_test(axes[0], h, "acc")
    axes[0].set_title(f"Accuracy: test {m['final_test_acc']:.1f}%")
    for name in names:
        axes[1].plot(h["epoch"], h[f"change_{name}"], label=name)
        axes[2].plot(h["epoch"], h[f"cond_{name}"], label=name)
    axes[1].set(xlabel="Epoch", ylabel="Frobenius norm of the change", title="Weight change per epoch")
    axes[2].set(xlabel="Epoch", ylabel="Condition number", ylim=(0, 20), title="Condition number")
    axes[1].legend(fontsize=7)
    frame = result.table("change_vs_accuracy")
    fig2, (ax,) = style.figure(width=5.2, height=4.4)
    ax.scatter(frame["z_weight_change"], frame["z_accuracy_change"], c=frame["epoch"], cmap=style.SEQUENTIAL)
    r = m.get("r_change_accuracy")
    ax.set(xlabel="Weight change (z)", ylabel="Change in train accuracy (z)",
           title="Change in weights by change in accuracy: "
                 + (f"r = {r:.2f}" if r is not None else "r needs 3 epochs or more"))
    return {"characteristics": fig, "change_vs_accuracy": fig2}
