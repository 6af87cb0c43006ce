"""Figures of section math. sympy curves come lambdified from the experiment (data.npz), drawn here with
matplotlib in the house style rather than with sympy's own plot."""

from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from dudl.plots import style
from dudl.results import Result


def _matrix(ax, m: np.ndarray, title: str, vmin: float | None = None, vmax: float | None = None,
            fmt: str = "{:g}", cmap=style.DIVERGING):
    """A small matrix as a heat map with each entry written on it (symmetric colour limits unless given)."""
    import matplotlib as mpl

    m = np.atleast_2d(m)
    vmax = vmax if vmax is not None else float(np.abs(m).max()) or 1.0
    vmin = -vmax if vmin is None else vmin
    image = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax)
    if m.size <= 40:
        colormap, norm = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap, image.norm
        for (i, j), value in np.ndenumerate(m):
            r, g, b, _ = colormap(norm(value))
            ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8, color=ink)
    ax.set_xticks(range(m.shape[1]))
    ax.set_yticks(range(m.shape[0]))
    ax.grid(False)
    ax.set_title(title)


def _tex(text: str) -> str:
    """A sympy expression string ('4*x**3 - 3*x**4') as mathtext for a title."""
    import sympy as sym
    from sympy.parsing.sympy_parser import parse_expr

    return f"${sym.latex(parse_expr(text, local_dict={'x': sym.Symbol('x')}))}$"


def _shape(m: np.ndarray) -> str:
    return "×".join(str(n) for n in np.atleast_2d(m).shape)


# ---------------------------------------------------------------- numpy and torch basics


def argmin(result: Result, p: Mapping[str, Any]):
    v, m, met = result.data["vector"], result.data["matrix"], result.metrics
    fig, axes = style.figure(ncols=2, width=4.6, height=3.6)
    ax = axes[0]
    ax.bar(range(len(v)), v, color=style.TRAIN, alpha=0.6)
    ax.plot(met["vector_argmin"], met["vector_min"], "v", color=style.HIGHLIGHT, markersize=10, label="min")
    ax.plot(met["vector_argmax"], met["vector_max"], "^", color=style.EXTRA, markersize=10, label="max")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set(xticks=range(len(v)), xlabel="Index", ylabel="Value",
           title=f"min {met['vector_min']} at index {met['vector_argmin']}, max {met['vector_max']} at index "
                 f"{met['vector_argmax']}")
    ax.legend()
    ax = axes[1]
    _matrix(ax, m, "", vmin=float(m.min()), vmax=float(m.max()), cmap="Blues")
    cols, rows = json.loads(met["column_argmin"]), json.loads(met["row_argmin"])
    ax.plot(range(m.shape[1]), cols, "o", markersize=26, markerfacecolor="none", markeredgecolor=style.HIGHLIGHT,
            markeredgewidth=2.5, label="column minima (axis=0)")
    ax.plot(rows, range(m.shape[0]), "s", markersize=34, markerfacecolor="none", markeredgecolor=style.EXTRA,
            markeredgewidth=2.5, label="row minima (axis=1)")
    ax.set(xlabel="Column", ylabel="Row",
           title=f"argmin per column {met['column_argmin']}, per row {met['row_argmin']}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, fontsize=8, markerscale=0.4)
    return {"minima": fig}


def dotproduct(result: Result, p: Mapping[str, Any]):
    t = result.table("vectors")
    idx = np.arange(len(t))
    fig, (ax,) = style.figure(width=5.5, height=3.8)
    for k, (column, color) in enumerate((("v1", style.TRAIN), ("v2", style.TEST), ("product", style.HIGHLIGHT))):
        ax.bar(idx + (k - 1) * 0.27, t[column], width=0.27, color=color,
               label={"product": "v1 × v2 (element-wise)"}.get(column, column))
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set(xticks=idx, xlabel="Element", ylabel="Value",
           title=f"v1 · v2 = sum of the products = {result.metrics['numpy_dot']}")
    ax.legend()
    return {"vectors": fig}


def transpose(result: Result, p: Mapping[str, Any]):
    v, m = result.data["vector"], result.data["matrix"]
    vmax = float(max(np.abs(v).max(), np.abs(m).max()))
    fig, axes = style.figure(ncols=4, width=2.4, height=3.0,
                             gridspec_kw={"width_ratios": [v.shape[1], v.shape[0] + 0.6, m.shape[1], m.shape[0] + 0.6]})
    for ax, a, name in zip(axes, (v, v.T, m, m.T), ("vector", "vector.T", "matrix", "matrix.T")):
        _matrix(ax, a, f"{name} ({_shape(a)})", vmin=0, vmax=vmax, cmap=style.SEQUENTIAL)
    fig.suptitle("Transpose: rows become columns; transposing twice gives the original back", fontweight="bold")
    return {"transpose": fig}


def matrix_mult(result: Result, p: Mapping[str, Any]):
    d, met = result.data, result.metrics
    fig, axes = style.figure(ncols=3, nrows=2, width=3.0, height=2.8)
    panels = (("A", d["a"]), ("B", d["b"]), ("A @ B", d["ab"]), ("C.T", d["ct"]), ("A", d["a"]), ("C.T @ A", d["cta"]))
    for ax, (name, m) in zip(axes, panels):
        _matrix(ax, m, f"{name} ({_shape(m)})", fmt="{:.1f}")
    fig.suptitle(f"Inner sizes must match: A @ C {met['numpy_a_c']}.\n"
                 f"torch tensor @ numpy float64 array: {met['torch_a_c1_numpy_float64']}", fontsize=9)
    return {"products": fig}


# ---------------------------------------------------------------- calculus


def _curve(ax, x, y, label=None, **kwargs):
    ax.plot(x, y, label=label, linewidth=2, **kwargs)
    ax.axhline(0, color="0.3", linewidth=0.6)
    ax.axvline(0, color="0.3", linewidth=0.6)
    ax.set_xlim(x.min(), x.max())
    ax.set_xlabel("x")


def derivatives1(result: Result, p: Mapping[str, Any]):
    c, met = result.table("curves"), result.metrics
    figs = {}
    for name, column, title in (("function", "f", f"The function: f(x) = {_tex(met['function'])}"),
                                ("derivative", "df", f"Its derivative: f'(x) = {_tex(met['derivative'])}")):
        fig, (ax,) = style.figure()
        _curve(ax, c["x"], c[column], color=style.TRAIN)
        ax.set(ylabel=f"{column}(x)" if column == "f" else "f'(x)", title=title)
        figs[name] = fig
    for name, (relu, sigmoid), title in (("relu_sigmoid", ("relu", "sigmoid"), "The functions"),
                                         ("relu_sigmoid_derivatives", ("drelu", "dsigmoid"),
                                          f"The derivatives: sigmoid'(0) = {met['sigmoid_derivative_at_0']:g}")):
        fig, (ax,) = style.figure()
        prefix = "d/dx " if relu.startswith("d") else ""
        _curve(ax, c["x"], c[relu], label=f"{prefix}ReLU", color=style.TRAIN)
        _curve(ax, c["x"], c[sigmoid], label=f"{prefix}Sigmoid", color=style.HIGHLIGHT)
        ax.set(ylabel="y", title=title)
        ax.legend()
        figs[name] = fig
    return figs


def derivatives2(result: Result, p: Mapping[str, Any]):
    prod, chain = result.table("product"), result.table("chain")
    fig, axes = style.figure(ncols=2, width=5.0, height=4.0)
    ax = axes[0]
    _curve(ax, prod["x"], prod["sympy"], label="sympy: (fg)'", color=style.TRAIN)
    every = max(1, len(prod) // 25)
    ax.plot(prod["x"][::every], prod["manual"][::every], "o", markerfacecolor="none", color=style.TEST,
            label="by hand: f'g + fg'")
    ax.plot(prod["x"], prod["wrong"], "--", color=style.HIGHLIGHT, label="wrong: f'g'")
    ax.set(ylabel="Derivative of f(x) g(x)", title=f"Product rule: f = {_tex(p['f'])}, g = {_tex(p['g'])}")
    ax.legend()
    ax = axes[1]
    _curve(ax, chain["x"], chain["sympy"], label="sympy", color=style.TRAIN)
    n = p["chain_power"]
    ax.plot(chain["x"][::every], chain["manual"][::every], "o", markerfacecolor="none", color=style.TEST,
            label=f"by hand: ${n}\\,g^{{{n - 1}}}\\,g'$")
    ax.set(ylabel="Derivative", title=f"Chain rule: $g^{{{n}}}$ with g = {_tex(p['chain_inner'])}")
    ax.legend()
    return {"rules": fig}


# ---------------------------------------------------------------- probability and statistics


def entropy(result: Result, p: Mapping[str, Any]):
    c, met = result.table("curves"), result.metrics
    fig, axes = style.figure(ncols=2, width=4.8, height=3.8)
    ax = axes[0]
    ax.plot(c["p"], c["entropy"], color=style.TRAIN, linewidth=2, label="entropy -Σ p ln p")
    ax.plot(c["p"], c["single_term"], "--", color=style.TEST, label="one term only: -p ln p (wrong)")
    pe = p["p_event"]
    ax.plot(pe, met["entropy"], "o", color=style.TRAIN, markersize=8)
    ax.plot(pe, met["wrong_entropy"], "o", color=style.TEST, markersize=8)
    ax.annotate(f"{met['entropy']:.4f}", (pe, met["entropy"]), textcoords="offset points", xytext=(6, 4))
    ax.annotate(f"{met['wrong_entropy']:.4f}", (pe, met["wrong_entropy"]), textcoords="offset points", xytext=(6, -12))
    ax.set(xlabel="p (probability of the event)", ylabel="Entropy (nats)", ylim=(0, 0.8),
           title=f"H(.25, .75) = {met['entropy']:.4f}")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[1]
    ax.plot(c["p"], c["cross_entropy"], color=style.TRAIN, linewidth=2, label="-ln q")
    q0 = p["q"][0]
    ax.plot(q0, met["cross_entropy"], "o", color=style.HIGHLIGHT, markersize=8, label=f"q = {q0:g}")
    ax.annotate(f"numpy {met['cross_entropy']:.4f}\ntorch {met['torch_binary_cross_entropy']:.4f}",
                (q0, met["cross_entropy"]), textcoords="offset points", xytext=(8, 6))
    ax.set(xlabel="q (model's probability of the true event)", ylabel="Cross-entropy (nats)", ylim=(0, 5),
           title=f"Cross-entropy of p = {p['p']} vs q = {p['q']}")
    ax.legend()
    return {"entropy": fig}


def log(result: Result, p: Mapping[str, Any]):
    t = result.table("log")
    fig_log, (ax,) = style.figure(width=8, height=3.5)
    ax.plot(t["x"], t["log"], "s-", color="k", markerfacecolor="w", markersize=4)
    ax.set(xlabel="x", ylabel="log(x)", title=f"log(x) on {len(t)} points: log({t['x'].iloc[0]:g}) = "
                                               f"{result.metrics['log_at_smallest_x']:.4f}")
    s = result.summary
    fig_inv, (ax,) = style.figure(width=5, height=4)
    ax.plot(s["x"], s["x"], color="0.8", linewidth=2, label="unity")
    ax.plot(s["x"], s["exp_log_x"], "o", color=style.TRAIN, markersize=8, label="exp(log(x))")
    ax.plot(s["x"], s["log_exp_x"], "x", color=style.HIGHLIGHT, markersize=8, label="log(exp(x))")
    worst = max(result.metrics["max_abs_error_exp_of_log"], result.metrics["max_abs_error_log_of_exp"])
    ax.set(xlabel="x", ylabel="f(g(x))", title=f"Inverse functions (largest error {worst:.1g})")
    ax.legend()
    return {"log": fig_log, "inverse": fig_inv}


def meanvar(result: Result, p: Mapping[str, Any]):
    x, met = result.data["x"], result.metrics
    fig, axes = style.figure(ncols=2, width=4.8, height=3.8)
    ax = axes[0]
    idx = np.arange(1, len(x) + 1)
    ax.vlines(idx, met["mean"], x, color=style.TEST, linewidth=1.5, label="deviation from the mean")
    ax.plot(idx, x, "o", color=style.TRAIN, markersize=8, label="x")
    ax.axhline(met["mean"], **style.REFERENCE, label=f"mean = {met['mean']:.4f}")
    ax.set(xlabel="Index", ylabel="Value",
           title=f"var: {met['var_ddof0']:.4f} (ddof=0), {met['var_ddof1']:.4f} (ddof=1)")
    ax.legend(fontsize=8, loc="lower left")
    ax = axes[1]
    n = np.unique(np.geomspace(2, max(met["large_n"], 20) * 2, 200).astype(int))
    ax.plot(n, n / (n - 1), color=style.TRAIN)
    for count, label in ((len(x), f"n = {len(x)}: {met['var_ddof1'] / met['var_ddof0']:.4f}"),
                         (met["large_n"], f"n = {met['large_n']:,}: {met['large_var_ratio']:.5f}")):
        ax.plot(count, count / (count - 1), "o", color=style.HIGHLIGHT)
        ax.annotate(label, (count, count / (count - 1)), textcoords="offset points", xytext=(6, 6))
    ax.axhline(1, **style.REFERENCE)
    ax.set(xscale="log", xlabel="n", ylabel="var(ddof=1) / var(ddof=0)", title="Unbiased vs default variance")
    return {"variance": fig}


def randomseed(result: Result, p: Mapping[str, Any]):
    s = result.summary
    seed, other = p["seed"], p["other_seed"]
    fig, axes = style.figure(ncols=2, width=5.0, height=3.8, sharey=True)

    def series(ax, generator, marker, color, size, label=None):
        rows = s[s["generator"] == generator].sort_values(["draw", "index"])
        position = (rows["draw"] - 1) * p["n"] + rows["index"] + 1
        ax.plot(position, rows["value"], marker, color=color, markersize=size, markerfacecolor="none",
                markeredgewidth=1.8, linestyle="none", label=label or generator)

    for ax in axes:
        ax.axvline(p["n"] + 0.5, **style.REFERENCE)
        ax.axhline(0, color="0.3", linewidth=0.6)
        ax.set(xlabel="Number drawn (first draw | second draw)", xticks=range(1, 2 * p["n"] + 1))
    series(axes[0], f"np.random.seed({seed})", "o", style.TRAIN, 11)
    series(axes[0], f"RandomState({seed})", "x", style.HIGHLIGHT, 8)
    series(axes[0], f"torch.manual_seed({seed})", "^", style.EXTRA, 8)
    axes[0].set(ylabel="randn value", title=f"Seed {seed}: numpy's two ways agree")
    axes[0].legend(fontsize=8)
    series(axes[1], f"RandomState({other})", "s", style.TEST, 9)
    axes[1].set(title=f"RandomState({other}): other numbers")
    axes[1].legend(fontsize=8)
    return {"draws": fig}


def sampling(result: Result, p: Mapping[str, Any]):
    means, met = result.data["sample_means"], result.metrics
    fig, (ax,) = style.figure(width=5.5, height=4)
    ax.hist(means, bins=int(p["bins"]), density=True, color=style.TRAIN, alpha=0.8)
    ax.axvline(met["population_mean"], **{**style.REFERENCE, "linewidth": 2, "color": "0.2"},
               label=f"population mean {met['population_mean']:g}")
    ax.set(xlabel="Sample mean", ylabel="Density",
           title=f"{met['experiments']:,} sample means (n = {p['experiment_sample_size']}): "
                 f"mean {met['mean_of_sample_means']:.3f}, sd {met['sd_of_sample_means']:.3f}")
    ax.legend()
    return {"sample_means": fig}


def softmax(result: Result, p: Mapping[str, Any]):
    t, met = result.table("random"), result.metrics
    fig_s, (ax,) = style.figure(width=5, height=4)
    ax.plot(t["z"], t["manual"], "ko")
    ax.set(yscale="log", xlabel="Original number (z)", ylabel="Softmaxified σ",
           title=f"Σσ = {met['random_softmax_sum']:g}")
    fig_t, (ax,) = style.figure(width=5, height=4)
    ax.plot(t["manual"], t["torch"], "ko")
    ax.set(xlabel='"Manual" softmax', ylabel="Pytorch nn.Softmax",
           title=f"The two methods correlate at r = {met['r_manual_torch']:.6f}")
    return {"softmax": fig_s, "manual_vs_torch": fig_t}


def ttest(result: Result, p: Mapping[str, Any]):
    g, met = result.table("groups"), result.metrics
    figs = {}
    for name, x, title in (("groups", "group", f"Group means {met['mean1']:.2f} and {met['mean2']:.2f}"),
                           ("ttest", "jittered", f"t = {met['t']:.2f}, p = {met['p']:.3g}")):
        fig, (ax,) = style.figure(width=6 if name == "ttest" else 4.5, height=4)
        for k, (marker, color) in enumerate((("o", style.HIGHLIGHT), ("s", style.TRAIN))):
            rows = g[g["group"] == k]
            ax.plot(rows[x], rows["value"], marker, color=color, markerfacecolor="w", markersize=10,
                    markeredgewidth=1.5, linestyle="none")
        ax.set(xlim=(-1, 2), xticks=[0, 1], xticklabels=["Group 1", "Group 2"], ylabel="Value", title=title)
        figs[name] = fig
    return figs
