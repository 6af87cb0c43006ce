"""Figures of section metaparams."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result

ACC_LABEL = "Accuracy (%)"
PANEL_TITLES = {"train_loss": "Losses", "train_acc": "Train accuracy", "test_acc": "Test accuracy",
                "test_loss": "Test loss"}


# ---------------------------------------------------------------- shared pieces


def _palette(values: Sequence, ordered: bool):
    """Ordered sweeps (batch sizes, momenta, lambdas) on a sequential map, categories in the house colours."""
    if ordered:
        return dict(zip(values, sns.color_palette(style.SEQUENTIAL, len(values))))
    return dict(zip(values, style.PALETTE))


def _curves(curves: pd.DataFrame, key: str, panels=("train_acc", "test_acc"), ylim=None, ordered=True,
            label=str, width=5.2):
    """The course's curves-per-condition figure: one panel per measure, one line per swept value."""
    values = list(dict.fromkeys(curves[key]))
    colors = _palette(values, ordered)
    fig, axes = style.figure(ncols=len(panels), width=width, height=4)
    for ax, column in zip(axes, panels):
        for value in values:
            run = curves[curves[key] == value]
            ax.plot(run["epoch"], run[column], color=colors[value], linewidth=1.2, label=label(value))
        ax.set(xlabel="Epoch", ylabel="Loss" if "loss" in column else ACC_LABEL, title=PANEL_TITLES[column])
        if ylim and "acc" in column:
            ax.set_ylim(*ylim)
    axes[-1].legend(title=key.replace("_", " "), loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def _final_bars(summary: pd.DataFrame, key: str, title: str, label=str, train="final_train_acc",
                test="final_test_acc"):
    """Train and test accuracy of each condition as labelled dots (no bars: their baseline would be arbitrary)."""
    names = [label(v) for v in summary[key]]
    positions = np.arange(len(names))
    fig, (ax,) = style.figure(width=max(4.5, 1.3 * len(names) + 2), height=4)
    for offset, column, color, name in ((-0.12, train, style.TRAIN, "Train"), (0.12, test, style.TEST, "Test")):
        ax.plot(positions + offset, summary[column], "o", color=color, markersize=9, label=name)
        for x, y in zip(positions + offset, summary[column]):
            ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    low = min(summary[train].min(), summary[test].min())
    high = max(summary[train].max(), summary[test].max())
    ax.set(xticks=positions, xticklabels=names, xlim=(-0.6, len(names) - 0.4), ylabel=ACC_LABEL,
           ylim=(low - 5, min(high + 5, 105)), title=title)
    ax.legend(loc="best")
    return fig


def _final_vs(summary: pd.DataFrame, key: str, xlabel: str, title: str, log: int | None = None):
    """Final train and test accuracy against a numeric swept parameter."""
    fig, (ax,) = style.figure(width=5.5, height=4)
    for column, color, name in (("final_train_acc", style.TRAIN, "Train"), ("final_test_acc", style.TEST, "Test")):
        ax.plot(summary[key], summary[column], "o-", color=color, label=name, markersize=5)
    if log:
        ax.set_xscale("log", base=log)
        ax.set_xticks(summary[key], [f"{v:g}" for v in summary[key]])
        ax.minorticks_off()
    ax.set(xlabel=xlabel, ylabel=f"Final {ACC_LABEL.lower()}", title=title)
    ax.legend()
    return fig


def _qwerties(ax, points: pd.DataFrame, title: str, errors: bool = False):
    names = [f"Group {k}" for k in range(int(points["label"].max()) + 1)]
    style.scatter_classes(ax, points[["x1", "x2"]].to_numpy(), points["label"].to_numpy(), names=names, s=10)
    if errors:
        wrong = points[points["label"] != points["predicted"]]
        ax.scatter(wrong["x1"], wrong["x2"], marker="x", s=30, color=style.HIGHLIGHT, linewidths=1,
                   label="misclassified")
        ax.legend(fontsize=7)
    ax.set(xlabel="qwerty dimension 1", ylabel="qwerty dimension 2", title=title)


def _group_bars(ax, accuracies: Sequence[float], title: str):
    bars = ax.bar(range(len(accuracies)), accuracies, color=[style.PALETTE[k] for k in range(len(accuracies))])
    ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
    ax.set(xticks=range(len(accuracies)), xlabel="Group", ylabel=ACC_LABEL, title=title,
           ylim=(max(0, min(accuracies) - 10), 102))


def _training(ax_loss, ax_acc, history: pd.DataFrame, title_prefix: str = ""):
    ax_loss.plot(history["epoch"], history["train_loss"], color=style.TRAIN)
    ax_loss.set(xlabel="Epoch", ylabel="Loss", title=f"{title_prefix}Losses")
    style.train_test(ax_acc, history)
    ax_acc.set_title(f"{title_prefix}Accuracy: train {history['train_acc'].iloc[-1]:.1f}%, "
                     f"test {history['test_acc'].iloc[-1]:.1f}%")


# ---------------------------------------------------------------- wine


def intro2winedata(result: Result, p: Mapping[str, Any]):
    raw, z = result.table("raw"), result.table("zscored")
    columns = ["fixed acidity", "volatile acidity", "citric acid", "quality"]
    with plt.rc_context({"figure.constrained_layout.use": False}):
        grid = sns.pairplot(raw[columns], kind="reg", hue="quality", height=1.9, palette=style.SEQUENTIAL,
                            plot_kws={"scatter_kws": {"s": 8, "alpha": 0.6}, "line_kws": {"linewidth": 1}})
    grid.figure.subplots_adjust(top=0.92)
    grid.figure.suptitle("Wine quality: three acidity measures by quality rating", y=0.99)

    def boxplot(frame: pd.DataFrame, title: str):
        fig, (ax,) = style.figure(width=12, height=4)
        ax.boxplot(frame.to_numpy(), tick_labels=list(frame.columns), patch_artist=True, widths=0.6,
                   boxprops={"facecolor": style.TRAIN, "edgecolor": "0.25"}, medianprops={"color": "0.1"},
                   flierprops={"markersize": 2, "markeredgecolor": "0.35"})
        ax.tick_params(axis="x", rotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
        ax.set_title(title)
        return fig

    counts = result.table("quality_counts")
    fig_counts, (ax,) = style.figure(width=5.5, height=4)
    high = counts["quality"] > 5
    ax.bar(counts["quality"], counts["count"], color=[style.TEST if h else style.TRAIN for h in high])
    ax.set(xlabel="Quality rating", ylabel="Count",
           title=f"{result.metrics['proportion_high_quality']:.1%} rated above 5 (orange)")
    return {"pairplot": grid.figure,
            "boxplot_raw": boxplot(raw, "Raw data (1599 wines)"),
            "boxplot_zscored": boxplot(z.assign(quality=raw["quality"]), "Features z-scored (quality unchanged)"),
            "quality_counts": fig_counts}


def code_challenge_sugar(result: Result, p: Mapping[str, Any]):
    sugar = result.data["sugar"]
    fig_sugar, (ax,) = style.figure(width=7, height=3.8)
    ax.plot(sugar, "s", markersize=2, color=style.TRAIN)
    ax.set(xlabel="Data observation", ylabel="Sugar (z-scored)", title="Residual sugar of each wine")

    h, pred = result.history, result.table("predictions")
    fig, axes = style.figure(ncols=2, width=5.5, height=4.3)
    axes[0].plot(h["epoch"], h["train_loss"], color=style.TRAIN, label="Train loss")
    axes[0].plot(h["epoch"], h["test_loss"], color=style.TEST, label="Test loss")
    axes[0].set(xlabel="Epoch", ylabel="Loss (MSE)", title="Train/Test loss")
    axes[0].legend()
    for split, color, marker in (("train", style.TRAIN, "o"), ("test", style.TEST, "^")):
        rows = pred[pred["split"] == split]
        r = result.metrics[f"{split}_r"]
        axes[1].scatter(rows["predicted"], rows["true"], s=10, color=color, marker=marker, alpha=0.7,
                        label=f"{split.capitalize()} r={r:.3f}")
    axes[1].set(xlabel="Model-predicted sugar", ylabel="True sugar", title="Model predictions vs. observations")
    axes[1].legend()

    corr, columns = result.data["correlations"], [str(c) for c in result.data["columns"]]
    fig_corr, (ax,) = style.figure(width=6.5, height=6)
    image = ax.imshow(corr, vmin=-0.3, vmax=0.3, cmap=style.DIVERGING)
    ax.set_xticks(range(len(columns)), columns, rotation=90)
    ax.set_yticks(range(len(columns)), columns)
    ax.grid(False)
    fig_corr.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title("Data correlation matrix")
    return {"sugar": fig_sugar, "training": fig, "correlations": fig_corr}


def batch_norm(result: Result, p: Mapping[str, Any]):
    label = {"with": "WITH batchnorm", "without": "NO batchnorm"}.get
    curves = result.table("curves")
    fig = _curves(curves, "batchnorm", panels=("train_loss", "train_acc", "test_acc"), ordered=False, label=label)
    m = result.metrics
    fig.suptitle(f"Final test accuracy: {m['final_test_acc_with_batchnorm']:.1f}% with, "
                 f"{m['final_test_acc_without_batchnorm']:.1f}% without batch norm", fontweight="bold")
    return {"training": fig,
            "final_accuracy": _final_bars(result.summary, "batchnorm", "Batch normalization", label=label)}


def code_challenge_batches(result: Result, p: Mapping[str, Any]):
    curves, s = result.table("curves"), result.summary.sort_values("batch_size")
    fig_acc = _curves(curves, "batch_size", ylim=(50, 100), width=6)
    fig_time, (ax,) = style.figure(width=5.5, height=4)
    bars = ax.bar([str(b) for b in s["batch_size"]], s["cpu_seconds"], color=style.TRAIN)
    ax.bar_label(bars, fmt="%.0f s", fontsize=8, padding=2)
    ax.set(xlabel="Mini-batch size", ylabel="Computation time (s)",
           title=f"CPU time for {int(curves['epoch'].max())} epochs")
    fig_final = _final_vs(s, "batch_size", "Mini-batch size", "Final accuracy by minibatch size", log=2)
    return {"accuracy": fig_acc, "computation_time": fig_time, "final_accuracy": fig_final}


def activation_funs(result: Result, p: Mapping[str, Any]):
    def lines(frame: pd.DataFrame, title: str, references=True, ylim=(-1, 3)):
        fig, (ax,) = style.figure(width=6, height=4.5)
        for i, column in enumerate(frame.columns.drop("x")):  # thinner each time, so overlapping lines stay visible
            ax.plot(frame["x"], frame[column], linewidth=4 - 1.2 * i, label=column)
        if references:
            for level in (0, 1):
                ax.axhline(level, **style.REFERENCE)
            ax.axvline(0, **style.REFERENCE)
        ax.set(xlabel="x", ylabel=r"$\sigma(x)$", title=title, xlim=(frame["x"].iloc[0], frame["x"].iloc[-1]),
               ylim=ylim)
        ax.legend()
        return fig

    same = result.table("relu_vs_module")
    fig_same, (ax,) = style.figure(width=6, height=4.5)
    ax.plot(same["x"], same["torch_relu"], "o", color=style.TRAIN, markersize=7, label="torch.relu")
    ax.plot(same["x"], same["nn_ReLU"], "s", color=style.TEST, markersize=3, label="nn.ReLU")
    verdict = "identical" if result.metrics["relu_equals_nn_relu"] else "different"
    ax.set(xlabel="x", ylabel=r"$\sigma(x)$", title=f"torch.relu and nn.ReLU: {verdict}")
    ax.legend()

    combo = result.table("combination")
    fig_combo, (ax,) = style.figure(width=6, height=4.5)
    ax.plot(combo["x1"], combo["linear"], "o-", color=style.TRAIN, label="Linear input")
    ax.plot(combo["x1"], combo["relu"], "s", color=style.HIGHLIGHT, label="Nonlinear output")
    w1, w2 = p["weights"]
    ax.set(xlabel="x1 variable", ylabel=r"$\hat{y}$ (output of activation function)",
           title=f"relu({w1:g}*x1 + {w2:g}*x2), x2 = 2*x1")
    ax.legend()
    return {"classic": lines(result.table("functions"), "Various activation functions"),
            "modules": lines(result.table("modules"), "torch.nn activation classes"),
            "relu6": lines(result.table("relu6"), "ReLU6", references=False, ylim=(-1, 10)),
            "relu_vs_module": fig_same, "linear_combination": fig_combo}


def _activation_sweep(result: Result, ylim):
    curves = result.table("curves")
    return {"accuracy": _curves(curves, "activation", ylim=ylim, ordered=False, width=6),
            "final_accuracy": _final_bars(result.summary, "activation", "Final accuracy by activation function")}


def activation_comparisons(result: Result, p: Mapping[str, Any]):
    return _activation_sweep(result, (50, 100))


def code_challenge_relus(result: Result, p: Mapping[str, Any]):
    return _activation_sweep(result, (40, 100))


def code_challenge_dropout(result: Result, p: Mapping[str, Any]):
    h = result.history
    fig, (ax,) = style.figure(width=8, height=4.5)
    ax.plot(h["epoch"], h["train_acc"], "s", color=style.TRAIN, markersize=1.5, label="Train")
    ax.plot(h["epoch"], h["test_acc"], color=style.TEST, linewidth=1.2, label="Test")
    m = result.metrics
    ax.set(xlabel="Epoch", ylabel=ACC_LABEL, ylim=(50, 100),
           title=f"Dropout {p['dropout']}: final train {m['final_train_acc']:.1f}%, test {m['final_test_acc']:.1f}%")
    ax.legend(markerscale=4)
    return {"accuracy": fig}


def loss(result: Result, p: Mapping[str, Any]):
    mse = result.table("mse")
    fig_mse, (ax,) = style.figure(width=5.5, height=4)
    ax.plot(mse["prediction"], mse["loss"], color=style.TRAIN, label="Loss")
    ax.axvline(p["mse_target"], **{**style.REFERENCE, "color": style.HIGHLIGHT}, label="True value")
    ax.set(xlabel="Predicted value", ylabel="Loss", title="Mean squared error")
    ax.legend()

    bce = result.table("bce")
    fig_bce, (ax,) = style.figure(width=5.5, height=4)
    ax.plot(bce["prediction"], bce["correct_0"], color=style.TRAIN, label="correct=0")
    ax.plot(bce["prediction"], bce["correct_1"], color=style.TEST, label="correct=1")
    ax.set(xlabel="Predicted value", ylabel="Loss", title="Binary cross-entropy")
    ax.legend()

    s = result.summary
    fig_ce, (ax,) = style.figure(width=6, height=4)
    positions = np.arange(len(s))
    bars_spec = ((-0.2, "cross_entropy", style.TRAIN, "logits"),
                 (0.2, "cross_entropy_of_softmax", style.TEST, "softmax outputs (double softmax)"))
    for offset, column, color, name in bars_spec:
        bars = ax.bar(positions + offset, s[column], width=0.4, color=color, label=name)
        ax.bar_label(bars, fmt="%.4f", fontsize=7, padding=2)
    logits = ", ".join(f"{v:g}" for v in p["logits"])
    ax.set(xticks=positions, xticklabels=[f"class {c}" for c in s["correct_class"]], xlabel="Correct answer",
           ylabel="CrossEntropyLoss", title=f"Cross-entropy of [{logits}]")
    ax.legend()
    m, z = result.metrics, f"{p['logit']:g}"
    ax.text(0.5, 0.6, f"BCELoss({z}, 1): {m['bce_on_raw_logit_error']} in current torch\n"
                      f"BCELoss(sigmoid({z}), 1) = {m['bce_of_sigmoid_logit']:.4f}\n"
                      f"BCEWithLogitsLoss({z}, 1) = {m['bce_with_logits']:.4f}",
            transform=ax.transAxes, ha="center", va="center", fontsize=8, color="0.3",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.8"})
    return {"mse": fig_mse, "bce": fig_bce, "cross_entropy": fig_ce}


# ---------------------------------------------------------------- qwerties


def multioutput(result: Result, p: Mapping[str, Any]):
    points, m = result.table("points"), result.metrics
    fig_data, (ax,) = style.figure(width=5, height=4.8)
    _qwerties(ax, points, "The qwerties!")

    fig_train, axes = style.figure(ncols=2, width=5.5, height=4)
    _training(axes[0], axes[1], result.history)

    fig_pred, (ax,) = style.figure(width=8, height=3.8)
    ax.plot(points["predicted"], "o", markersize=3, color=style.TRAIN, label="Predicted values")
    ax.plot(points["label"] + 0.2, "s", markersize=3, color=style.TEST, label="True values")
    ax.set(xlabel="Qwerty number", ylabel="Category", yticks=[0, 1, 2], ylim=(-1, 3))
    ax.legend()

    fig_groups, (ax,) = style.figure(width=5, height=4)
    _group_bars(ax, result.data["group_accuracy"], f"Final accuracy = {m['total_accuracy']:.2f}%")

    fig_err, (ax,) = style.figure(width=5.5, height=5.2)
    _qwerties(ax, points, f"The qwerties! ({m['total_accuracy']:.0f}% accurately labeled)", errors=True)
    return {"data": fig_data, "training": fig_train, "predictions": fig_pred, "accuracy_by_group": fig_groups,
            "errors": fig_err}


def momentum(result: Result, p: Mapping[str, Any]):
    fig = _curves(result.table("curves"), "momentum", panels=("train_loss", "train_acc", "test_acc"),
                  ylim=(20, 100), label=lambda v: f"{v:g}")
    s = result.summary
    fig_final, (ax,) = style.figure(width=5.5, height=4)
    names = [f"{v:g}" for v in s["momentum"]]
    ax.plot(names, s["final_train_acc"], "o-", color=style.TRAIN, label="Train")
    ax.plot(names, s["final_test_acc"], "o-", color=style.TEST, label="Test")
    ax.set(xlabel="Momentum", ylabel=f"Final {ACC_LABEL.lower()}", title="Final accuracy by momentum")
    ax.legend()
    return {"training": fig, "final_accuracy": fig_final}


def optimizers_comparison(result: Result, p: Mapping[str, Any]):
    curves, points, s = result.table("curves"), result.table("points"), result.summary
    names = list(s["optimizer"])
    fig, axes = style.figure(ncols=4, nrows=len(names), width=4, height=3.3)
    for row, name in enumerate(names):
        ax = axes[4 * row:4 * row + 4]
        history = curves[curves["optimizer"] == name]
        _training(ax[0], ax[1], history, f"{name}: ")
        ax[1].set_title(f"{name}: Accuracy")
        r = s[s["optimizer"] == name].iloc[0]
        groups = [r[c] for c in sorted(c for c in s.columns if c.startswith("accuracy_group_"))]
        _group_bars(ax[2], groups, f"{name}: Accuracy by group")
        _qwerties(ax[3], points[points["optimizer"] == name],
                  f"{name}: Total accuracy: {r['total_accuracy']:.2f}%", errors=True)
    n = p["last_epochs"]
    fig_perf = _final_bars(s, "optimizer", f"Mean accuracy of the last {n} epochs",
                           train=f"train_acc_last{n}", test=f"test_acc_last{n}")
    return {"panels": fig, "performance": fig_perf}


def code_challenge_optimizers(result: Result, p: Mapping[str, Any]):
    s, n = result.summary, p["last_epochs"]
    fig, (ax,) = style.figure(width=6.5, height=4.5)
    for i, (name, runs) in enumerate(s.groupby("optimizer", sort=False)):
        ax.plot(runs["lr"], runs[f"test_acc_last{n}"], "o-", color=style.PALETTE[i], linewidth=2, markersize=4,
                label=name)
    ax.axhline(100 / 3, **style.REFERENCE, label="chance")
    ax.set_xscale("log")
    ax.set(xlabel="Learning rates", ylabel=f"Test accuracy (ave. last {n} epochs)",
           title="Comparison of optimizers by learning rate")
    ax.legend()
    return {"accuracy_by_lr": fig}


def code_challenge_adam_l2(result: Result, p: Mapping[str, Any]):
    fig = _curves(result.table("curves"), "l2_lambda", ylim=(30, 101), label=lambda v: f"{v:.2f}", width=6)
    fig_final = _final_vs(result.summary, "l2_lambda", "L2 regularization amount (weight_decay)",
                          "Final accuracy by L2 strength")
    return {"accuracy": fig, "final_accuracy": fig_final}


def learning_rate_decay(result: Result, p: Mapping[str, Any]):
    h, m = result.history, result.metrics

    def lr_figure(column: str, title: str):
        fig, (ax,) = style.figure(width=5.5, height=3.8)
        ax.step(h["epoch"], h[column], where="post", color=style.TRAIN, linewidth=2)
        ax.set(xlabel="Epoch", ylabel="Learning rate", title=title, ylim=(0, p["lr"] * 1.1))
        return fig

    fig_acc, (ax,) = style.figure(width=7, height=4.5)
    ax.plot(h["epoch"], h["train_acc"], color=style.HIGHLIGHT, label="Dyn: Train")
    ax.plot(h["epoch"], h["test_acc"], "--", color=style.HIGHLIGHT, label="Dyn: Test")
    ax.plot(h["epoch"], h["train_acc_static"], color=style.TRAIN, label="Stat: Train")
    ax.plot(h["epoch"], h["test_acc_static"], "--", color=style.TRAIN, label="Stat: Test")
    ax.set(xlabel="Training epochs", ylabel=ACC_LABEL,
           title=f"Accuracy over epochs (final test: dynamic {m['dynamic_final_test_acc']:.1f}%, "
                 f"static {m['static_final_test_acc']:.1f}%)")
    ax.legend()

    demo = result.table("demo")
    fig_demo, (ax,) = style.figure(width=6, height=3.8)
    ax.step(demo["step"], demo["lr"], where="post", color=style.TRAIN, marker="o", markersize=3)
    for boundary in demo.loc[demo["batch"] == 0, "step"].iloc[1:]:
        ax.axvline(boundary - 0.5, **style.REFERENCE)
    d = p["demo"]
    ax.set(xlabel="Scheduler step (dashed: a new 'epoch')", ylabel="Learning rate",
           title=f"StepLR(step_size={d['step_size']}, gamma={p['gamma']:g})")
    return {"lr_dynamic": lr_figure("lr", f"Learning rate should change (step size {m['scheduler_step_size']})"),
            "lr_static": lr_figure("lr_static", "Learning rate should stay fixed"),
            "accuracy": fig_acc, "step_lr_demo": fig_demo}
