"""Figures of section rnn."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from dudl.plots import style
from dudl.plots.text import text_panels
from dudl.results import Result


def _weight_maps(result: Result, names) -> Any:
    maps = {f"{name} {list(result.data[name].shape)}": result.data[name] for name in names}
    fig = style.image_panels(maps, ncols=len(maps), size=3.2, cmap=style.DIVERGING, aspect="auto")
    for ax, image in zip(fig.axes, maps.values()):
        limit = float(np.abs(image).max())
        ax.images[0].set_clim(-limit, limit)
        fig.colorbar(ax.images[0], ax=ax, shrink=0.8)
    return fig


def intro2rnn(result: Result, p: Mapping[str, Any]):
    return {"weights": _weight_maps(result, [k for k in result.data if k.startswith("rnn_")])}


GATES = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}  # torch's row order


def lstm_gru(result: Result, p: Mapping[str, Any]):
    fig = _weight_maps(result, ["lstm_weight_ih_l0", "gru_weight_ih_l0"])
    for ax, gates in zip(fig.axes, GATES.values()):  # the gates' blocks of `hidden` rows each
        for g, gate in enumerate(gates):
            if g:
                ax.axhline(g * p["hidden"] - 0.5, color="k", linewidth=1.2)
            ax.text(-0.7, (g + 0.5) * p["hidden"], gate, rotation=90, ha="right", va="center", fontsize=8)
    return {"weights": fig}


def _series(ax, values: np.ndarray, label: str = "Actual data", **kwargs) -> None:
    ax.plot(values, "s-", color=style.TRAIN, markersize=kwargs.pop("markersize", 4), markerfacecolor="w",
            label=label, **kwargs)


def _sequence(result: Result, title: str):
    fig, (ax,) = style.figure(width=11, height=3.2)
    series = result.data["series"]
    ax.axhline(0, **style.REFERENCE)
    _series(ax, series, label=None)
    ax.set(xlabel="Sequence index", ylabel="Value", title=title, xlim=(-1, len(series)))
    return fig


def _fit(result: Result, suptitle: str, series: str = "series", preds: str = "predictions",
         scatter_title: str | None = None):
    """Actual vs predicted along the sequence, the errors, and (with scatter_title) predicted against actual."""
    actual, predicted = result.data[series], result.data[preds]
    fig, axes = style.figure(ncols=3 if scatter_title else 2, width=4.6, height=3.6)
    _series(axes[0], actual, markersize=3)
    axes[0].plot(predicted, "o-", color=style.TEST, markersize=3, label="Predicted")
    axes[0].set(ylim=(-1.1, 1.1), xlabel="Sequence index")
    axes[0].legend()
    axes[1].plot(actual - predicted, "^", color="k", markersize=3)
    axes[1].set(ylim=(-1.1, 1.1), title="Errors", xlabel="Sequence index")
    if scatter_title:
        axes[2].plot(actual, predicted, "o", color=style.EXTRA, markersize=3)
        axes[2].set(xlabel="Real data", ylabel="Predicted data", title=scatter_title)
    fig.suptitle(suptitle, fontweight="bold")
    return fig


def _hidden(result: Result):
    fig, (ax,) = style.figure(width=11, height=3.6)
    ax.plot(result.data["hidden"], "s-", markersize=3)
    ax.set(xlabel="Sequence index", ylabel="State value (a.u.)", title="Each line is a different hidden unit")
    return fig


def _input_weights(result: Result):
    w = result.data["input_weights"]
    fig, (ax,) = style.figure(width=4.5, height=3.4)
    ax.bar(range(len(w)), w, color=style.TRAIN)
    ax.set(xlabel="Hidden unit", ylabel="Weight value", title="Input-to-hidden weights", xticks=range(len(w)))
    return fig


def _loss(ax, history, title: str = "Model loss") -> None:
    ax.plot(history["epoch"], history["train_loss"], "s-", color=style.TRAIN, markersize=4)
    ax.set(xlabel="Epoch", ylabel="Loss", title=title)


def alt_sequences(result: Result, p: Mapping[str, Any]):
    m, h = result.metrics, result.history
    training, axes = style.figure(ncols=2, width=5.2, height=3.8)
    _loss(axes[0], h)
    axes[1].plot(h["epoch"], h["train_acc"], "^-", color=style.HIGHLIGHT, markersize=7)
    axes[1].set(xlabel="Epoch", ylabel="Accuracy (%)",
                title=f"Sign accuracy (final accuracy: {m['final_train_acc']:.2f}%)")
    fit = _fit(result, "Performance on training data",
               scatter_title=f"r={m['train_r']:.2f} (but Simpson's paradox!)")
    fit.axes[0].set_title(f"Sign accuracy = {m['train_sign_acc']:.2f}%")
    test = _fit(result, "Performance on unseen test data", "test_series", "test_predictions")
    test.axes[1].set_title(f"Sign accuracy = {m['test_sign_acc']:.2f}%")
    return {"sequence": _sequence(result, "Alternating sequence"), "training": training, "fit": fit,
            "hidden": _hidden(result), "test": test, "weights": _input_weights(result)}


def sine_extrapolate(result: Result, p: Mapping[str, Any]):
    m, d = result.metrics, result.data
    L, n = p["seq_length"], len(d["series"])
    signal, axes = style.figure(ncols=2, width=6.0, height=3.4, gridspec_kw={"width_ratios": [3, 1]})
    _series(axes[0], d["series"], label=None, markersize=2)
    axes[0].set(xlabel="Sequence index", ylabel="Value", title="sin(t + cos(t))")
    _series(axes[1], d["series"][:L], label=None)
    axes[1].set(xlabel="Sequence index", title=f"First {L} data points")
    loss, (ax,) = style.figure(width=5.2, height=3.8)
    _loss(ax, result.history)
    fit = _fit(result, "Performance on training data", scatter_title=f"r={m['train_r']:.2f} (NO Simpson's paradox!)")
    test = _fit(result, "Performance on unseen test data", "test_series", "test_predictions",
                scatter_title=f"r={m['test_r']:.2f}")
    extrapolation, axes = style.figure(ncols=2, width=6.2, height=3.6, sharey=True)
    for ax, key, start, title in ((axes[0], "extrapolated", n, f"Read {n} samples, then free (r={m['extrapolation_r']:.2f})"),
                                  (axes[1], "course_extrapolated", L, f"The course's loop: free from sample {L}")):
        ax.plot(d["truth"], color="0.6", linewidth=1, label="True signal")
        _series(ax, d["series"], markersize=2)
        ax.plot(np.arange(start, len(d[key])), d[key][start:], "o-", color=style.TEST, markersize=2, label="Predicted")
        ax.axvline(start, **style.REFERENCE)
        ax.set(ylim=(-1.6, 1.6), xlabel="Sequence index", title=title)
    axes[0].legend(loc="lower left")
    extrapolation.suptitle("Performance on extrapolated data", fontweight="bold")
    return {"signal": signal, "loss": loss, "fit": fit, "hidden": _hidden(result), "weights": _input_weights(result),
            "test": test, "extrapolation": extrapolation}


def loremipsum(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    chars = list(result.table("characters")["character"])
    labels = [repr(c)[1:-1] if c != " " else "space" for c in chars]
    sequence, (ax,) = style.figure(width=11, height=3.4)
    ax.plot(d["ids"], "k.", markersize=2)
    ax.set(xlabel="Character index", ylabel="Character label", title=f"{m['characters']:,} characters, "
           f"{m['vocabulary']} distinct")
    embeddings = style.image_panels({"Embeddings before training": d["embedding_before"],
                                     "Embeddings after training": d["embedding_after"]}, ncols=2, size=4.0,
                                    cmap=style.SEQUENTIAL)
    loss, (ax,) = style.figure(width=5.2, height=3.8)
    _loss(ax, result.history, f"Final loss: {m['final_train_loss']:.3f}")
    hidden, (ax,) = style.figure(width=8, height=3.6)
    for layer, state in enumerate(d["final_hidden"]):
        ax.plot(state, "o", markersize=3, label=f"Layer {layer + 1}")
    ax.set(xlabel="Hidden unit", ylabel="State value", title="Final hidden state per layer")
    ax.legend()
    emb = d["embedding_after"]
    structure, axes = style.figure(ncols=2, width=5.0, height=4.6)
    image = axes[0].imshow(np.corrcoef(emb), vmin=-0.5, vmax=0.5, cmap=style.DIVERGING)
    axes[0].set(xticks=range(len(labels)), yticks=range(len(labels)), title="Correlation of embeddings")
    axes[0].set_xticklabels(labels, fontsize=6, rotation=90)
    axes[0].set_yticklabels(labels, fontsize=6)
    axes[0].grid(False)
    structure.colorbar(image, ax=axes[0], shrink=0.7)
    eigenvalues = np.sort(np.linalg.eigvalsh(emb @ emb.T))[::-1]
    axes[1].plot(eigenvalues, "s-", color=style.TRAIN, markersize=4)
    axes[1].set(xlabel="Component", ylabel="Eigenvalue", title="Eigenspectrum of embeddings")
    texts = result.table("sample")
    sample = text_panels({"The training text (first 300 characters)": texts["text_start"].iloc[0],
                          f"Generated greedily from '{p['prime']}'": texts["text"].iloc[0]})
    return {"sequence": sequence, "embeddings": embeddings, "loss": loss, "hidden": hidden,
            "embedding_structure": structure, "sample": sample}
