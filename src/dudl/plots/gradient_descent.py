"""Figures of section gradient_descent."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import seaborn as sns

from dudl.plots import style
from dudl.results import Result


def _function(curves: pd.DataFrame, title: str | None = None, dashed_derivative: bool = False):
    """f and f' against x, as the course plots them."""
    fig, (ax,) = style.figure(width=6, height=4.2)
    ax.plot(curves["x"], curves["f"], color=style.TRAIN, label="f(x)")
    ax.plot(curves["x"], curves["df"], "--" if dashed_derivative else "-", color=style.TEST, label="df")
    ax.axhline(0, color="0.3", linewidth=0.6)
    ax.set(xlim=(curves["x"].iloc[0], curves["x"].iloc[-1]), xlabel="x", ylabel="f(x)", title=title)
    ax.legend()
    return fig, ax


def _mark(ax, x: float, f: float, df: float, label: str, marker: str = "o", color=style.HIGHLIGHT):
    """An estimate marked on the function and on its derivative (the course's two red dots); the x axis
    widens when gradient descent left the plotted domain."""
    ax.plot([x, x], [f, df], marker, color=color, markersize=8, linestyle="none", label=label)
    low, high = ax.get_xlim()
    margin = 0.03 * (high - low)
    ax.set_xlim(min(low, x - margin), max(high, x + margin))
    ax.legend()


def _trajectory(history: pd.DataFrame, final: float):
    fig, axes = style.figure(ncols=2, width=5, height=3.6)
    for ax, column, label in zip(axes, ("x", "derivative"), ("Local minimum", "Derivative")):
        ax.plot(history["epoch"], history[column], "o-", color=style.TRAIN, markerfacecolor="w", markersize=4)
        ax.set(xlabel="Iteration", ylabel=label, title=f"Final estimated minimum: {final:.5f}")
    return fig


def gd_1d(result: Result, p: Mapping[str, Any]):
    curves, met = result.table("curves"), result.metrics
    fig_f, _ = _function(curves, title="f(x) = 3x² − 3x + 4 and its derivative 6x − 3")
    fig_min, ax = _function(curves, title=f"Empirical local minimum: {met['final_estimate']:.5f}")
    _mark(ax, met["final_estimate"], met["final_value"], met["final_derivative"], "f(x) min")
    return {"function": fig_f, "minimum": fig_min,
            "trajectory": _trajectory(result.history, met["second_final_estimate"])}


def _landscape(result: Result, title: str):
    axis, z = result.data["axis"], result.data["landscape"]
    fig, (ax,) = style.figure(width=5.2, height=4.4)
    image = ax.imshow(z, extent=[axis[0], axis[-1], axis[0], axis[-1]], vmin=-5, vmax=5, origin="lower",
                      cmap=style.SEQUENTIAL)
    fig.colorbar(image, ax=ax)
    ax.grid(False)
    ax.set(xlabel="x", ylabel="y", title=title)
    return fig, ax


def gd_2d(result: Result, p: Mapping[str, Any]):
    met, h = result.metrics, result.history
    fig_land, _ = _landscape(result, f"peaks(x, y); sympy df/dx at {tuple(p['derivative_at'])} = "
                                     f"{met['derivative_x_at_point']:.8f}")
    fig_gd, ax = _landscape(result, f"From ({met['start_x']:.2f}, {met['start_y']:.2f}) to "
                                    f"({met['final_x']:.2f}, {met['final_y']:.2f}), f = {met['final_value']:.3f}")
    ax.plot(np.r_[met["start_x"], h["x"]], np.r_[met["start_y"], h["y"]], color=style.HIGHLIGHT, linewidth=1.5)
    ax.plot(met["start_x"], met["start_y"], "s", color=style.TRAIN, markeredgecolor="w", markersize=9,
            label="rnd start")
    ax.plot(met["final_x"], met["final_y"], "o", color=style.HIGHLIGHT, markeredgecolor="w", markersize=9,
            label="local min")
    ax.legend(loc="upper left", frameon=True)
    return {"landscape": fig_land, "descent": fig_gd}


def code_challenge_start_value(result: Result, p: Mapping[str, Any]):
    curves, met = result.table("curves"), result.metrics
    fig_f, _ = _function(curves, title="f(x) = cos(2πx) + x² and its derivative")
    fig_min, ax = _function(curves, title=f"Empirical local minimum: {met['random_final_estimate']:.5f} "
                                          f"(start {met['random_start']:.3f})\nfrom x = {p['unfortunate_start']:g}: "
                                          f"{met['unfortunate_final_estimate']:g}, it never moves")
    for run, label, marker, color in (("random", "from a random start", "o", style.HIGHLIGHT),
                                      ("unfortunate", f"from x = {p['unfortunate_start']:g} (stuck)", "s", "k")):
        _mark(ax, met[f"{run}_final_estimate"], met[f"{run}_final_value"], met[f"{run}_final_derivative"], label,
              marker=marker, color=color)
    return {"function": fig_f, "minimum": fig_min}


def code_challenge_lr(result: Result, p: Mapping[str, Any]):
    h = result.history
    fig, axes = style.figure(ncols=3, width=4, height=3.4)
    runs = (("fixed", "Fixed l.r.", style.TRAIN), ("grad", "Grad-based l.r.", style.TEST),
            ("time", "Time-based l.r.", style.EXTRA))
    for ax, quantity, label in zip(axes, ("x", "derivative", "lr"), ("Local minimum", "Derivative", "Learning rate")):
        for name, legend, color in runs:
            ax.plot(h["epoch"], h[f"{quantity}_{name}"], "o-", color=color, markerfacecolor="w", markersize=3,
                    label=legend)
        ax.set(xlabel="Iteration", ylabel=label)
    axes[0].axhline(0.5, **style.REFERENCE)
    met = result.metrics
    axes[0].set_title("Final: " + ", ".join(f"{n} {met[f'{n}_final_estimate']:.3f}" for n, _, _ in runs))
    axes[2].legend()
    return {"dynamic_lr": fig}


def experiment(result: Result, p: Mapping[str, Any]):
    curves, met, d = result.table("curves"), result.metrics, result.data
    fig_f, _ = _function(curves, title="f(x) = sin(x) exp(−0.05x²) and its derivative", dashed_derivative=True)
    fig_single, ax = _function(curves, title=f"Empirical local minimum: {met['final_estimate']:.5f}",
                               dashed_derivative=True)
    _mark(ax, met["final_estimate"], met["final_value"], met["final_derivative"], "f(x) min")

    fig_start, (ax,) = style.figure(width=5, height=3.8)
    ax.plot(d["starts"], d["final_by_start"], "s-", color=style.TRAIN, markersize=4)
    ax.axhline(met["global_minimum"], **style.REFERENCE, label="global minimum")
    ax.set(xlabel="Starting guess", ylabel="Final guess",
           title=f"{met['proportion_starts_reaching_global_minimum']:.0%} of starts reach the global minimum")
    ax.legend()

    fig_lr, (ax,) = style.figure(width=5, height=3.8)
    ax.plot(d["rates"], d["final_by_rate"], "s-", color=style.TRAIN, markersize=4)
    ax.axhline(met["global_minimum"], **style.REFERENCE, label="global minimum")
    ax.set(xlabel="Learning rate", ylabel="Final guess", title=f"Start {p['fixed_start']:g}, "
                                                                f"{met['iterations']} epochs")
    ax.legend()

    rates, epochs, final = d["rates"], d["epochs"], d["final_by_rate_epochs"]
    fig_heat, (ax,) = style.figure(width=6, height=4.4)
    image = ax.imshow(final.T, extent=[rates[0], rates[-1], epochs[0], epochs[-1]], aspect="auto", origin="lower",
                      vmin=-1.45, vmax=-1.2, cmap=style.SEQUENTIAL)
    fig_heat.colorbar(image, ax=ax)
    ax.grid(False)
    ax.set(xlabel="Learning rate", ylabel="Training epochs", title="Final guess")

    fig_lines, (ax,) = style.figure(width=6, height=4.2)
    colors = sns.color_palette(style.SEQUENTIAL, len(epochs))
    for k in range(len(epochs)):
        ax.plot(rates, final[:, k], color=colors[k], linewidth=1)
    ax.set(xlabel="Learning rates", ylabel="Final function estimate",
           title=f"Each line is a training epochs N ({epochs[0]} dark ... {epochs[-1]} light)")
    return {"function": fig_f, "single_run": fig_single, "start_locations": fig_start, "learning_rates": fig_lr,
            "lr_epochs_heatmap": fig_heat, "lr_epochs_lines": fig_lines}
