"""Section math: the math prerequisites (13 demo notebooks, no training).

Each experiment computes what its notebook prints and what its figures need. Where a notebook demonstrates a
mistake (math_entropy's loss on Python lists, math_matrixMult's mixed numpy/torch product), the wrong call is
really made inside try/except and its outcome recorded as a string metric, next to the intended computation.
Only math_randomseed uses literal seeds (the notebook's own): reproducing its printed numbers is its point.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import sympy as sym
import torch
import torch.nn.functional as F
from scipy import stats
from torch import nn

from dudl.experiments.mistakes import outcome
from dudl.results import Result

P = Mapping[str, Any]
X = sym.Symbol("x")


# ---------------------------------------------------------------- small helpers


def _listing(values) -> str:
    """An array as a short JSON list for a string metric, e.g. '[0, 1, 5]'."""
    return json.dumps(np.asarray(values).tolist())


def _shape(a) -> str:
    return "x".join(str(n) for n in tuple(a.shape))


def _type_name(obj) -> str:
    """'numpy.ndarray', 'torch.Tensor': what the notebook prints with type()."""
    cls = type(obj)
    return f"{cls.__module__.split('.')[0]}.{cls.__name__}"


def expression(text: str) -> sym.Expr:
    """A sympy expression in x from params.yaml (e.g. '4*x**3 - 3*x**4')."""
    from sympy.parsing.sympy_parser import parse_expr

    return parse_expr(text, local_dict={"x": X})


def on_grid(x_range: Sequence[float], points: int, **expressions: sym.Expr) -> pd.DataFrame:
    """sympy expressions evaluated on an x grid (lambdify), one column each: the figures plot these."""
    x = np.linspace(float(x_range[0]), float(x_range[1]), int(points))
    columns = {"x": x}
    for name, expr in expressions.items():
        columns[name] = np.broadcast_to(sym.lambdify(X, expr, "numpy")(x), x.shape).astype(float)
    return pd.DataFrame(columns)


def _value(expr: sym.Expr, at: float) -> float:
    return float(expr.subs(X, at).evalf())


# ---------------------------------------------------------------- numpy and torch basics


def argmin(p: P, ctx) -> Result:
    v, m = np.array(p["vector"]), np.array(p["matrix"])
    tv, tm = torch.tensor(v), torch.tensor(m)
    found = {  # (library, array, operation, axis) -> (values, indices)
        ("numpy", "vector", "min", "all"): (np.min(v), np.argmin(v)),
        ("numpy", "vector", "max", "all"): (np.max(v), np.argmax(v)),
        ("torch", "vector", "min", "all"): (torch.min(tv), torch.argmin(tv)),
        ("torch", "vector", "max", "all"): (torch.max(tv), torch.argmax(tv)),
        ("numpy", "matrix", "min", "all"): (np.min(m), np.argmin(m)),
        ("torch", "matrix", "min", "all"): (torch.min(tm), torch.argmin(tm)),
    }
    for axis in (0, 1):
        found[("numpy", "matrix", "min", axis)] = (np.min(m, axis=axis), np.argmin(m, axis=axis))
        values, indices = torch.min(tm, axis=axis)  # torch returns values and indices together
        found[("torch", "matrix", "min", axis)] = (values, indices)
    summary = pd.DataFrame([{"library": lib, "array": arr, "operation": op, "axis": axis,
                             "values": _listing(vals), "indices": _listing(idx)}
                            for (lib, arr, op, axis), (vals, idx) in found.items()])
    listed = {key: (_listing(vals), _listing(idx)) for key, (vals, idx) in found.items()}
    agree = all(listed[("torch", *rest)] == answer for (lib, *rest), answer in listed.items() if lib == "numpy")
    return Result(
        metrics={
            "vector_min": v.min().item(), "vector_max": v.max().item(),
            "vector_argmin": int(np.argmin(v)), "vector_argmax": int(np.argmax(v)),
            "matrix_min": m.min().item(), "matrix_argmin": int(np.argmin(m)),
            "column_minima": _listing(m.min(axis=0)), "column_argmin": _listing(m.argmin(axis=0)),
            "row_minima": _listing(m.min(axis=1)), "row_argmin": _listing(m.argmin(axis=1)),
            "numpy_torch_agree": int(agree),
        },
        summary=summary,
        data={"vector": v, "matrix": m},
    )


def dotproduct(p: P, ctx) -> Result:
    v1, v2 = np.array(p["v1"]), np.array(p["v2"])
    t1, t2 = torch.tensor(v1), torch.tensor(v2)
    values = {"numpy_dot": np.dot(v1, v2).item(), "numpy_sum_of_products": np.sum(v1 * v2).item(),
              "torch_dot": torch.dot(t1, t2).item(), "torch_sum_of_products": torch.sum(t1 * t2).item()}
    return Result(
        metrics=values,
        summary=pd.DataFrame([{"method": k, "result": v} for k, v in values.items()]),
        data={"vectors": pd.DataFrame({"v1": v1, "v2": v2, "product": v1 * v2})},
    )


def transpose(p: P, ctx) -> Result:
    arrays = {"vector": np.array(p["vector"]), "matrix": np.array(p["matrix"])}
    metrics, rows = {}, []
    for name, a in arrays.items():
        t = torch.tensor(a)
        same = np.array_equal(a.T.T, a) and torch.equal(t.T.T, t) and np.array_equal(t.T.numpy(), a.T)
        metrics |= {f"{name}_shape": _shape(a), f"{name}_transposed_shape": _shape(a.T),
                    f"{name}_double_transpose_is_original": int(same)}
        rows += [{"array": name, "library": lib, "type": type_name, "shape": _shape(x), "transposed_shape": _shape(x.T)}
                 for lib, x, type_name in (("numpy", a, _type_name(a)), ("torch", t, _type_name(t)))]
    metrics |= {"numpy_type": _type_name(arrays["vector"]), "torch_type": _type_name(torch.tensor(arrays["vector"]))}
    return Result(metrics=metrics, summary=pd.DataFrame(rows), data=arrays)


def matrix_mult(p: P, ctx) -> Result:
    rng = ctx.rng("numpy")
    a, b, c = (rng.standard_normal(tuple(p[k])) for k in ("a_shape", "b_shape", "c_shape"))
    ab, cta = a @ b, c.T @ a
    numpy_ac, _ = outcome(lambda: a @ c)  # the notebook comments these out: inner sizes differ

    ctx.torch_seed("torch")
    ta, tb = torch.randn(*p["a_shape"]), torch.randn(*p["b_shape"])
    c1 = ctx.rng("c1").standard_normal(tuple(p["c1_shape"]))
    c2 = torch.tensor(c1, dtype=torch.float)
    mixed, mixed_result = outcome(lambda: ta @ c1)  # the course expects this to fail: a numpy float64 array
    ta_c2 = ta @ c2
    if mixed_result is not None:
        mixed = f"no error: {type(mixed_result).__name__} of {mixed_result.dtype}"
    metrics = {
        "numpy_ab_shape": _shape(ab), "numpy_ct_a_shape": _shape(cta), "numpy_a_c": numpy_ac,
        "torch_ab_shape": _shape(ta @ tb), "torch_a_c1_numpy_float64": mixed,
        "torch_a_c2_shape": _shape(ta_c2), "torch_a_c2_dtype": str(ta_c2.dtype),
    }
    if mixed_result is not None:
        difference = np.asarray(mixed_result) - ta_c2.double().numpy()  # float64 vs float32 rounding only
        metrics["max_abs_difference_a_c1_vs_a_c2"] = float(np.abs(difference).max())
    return Result(
        metrics=metrics,
        summary=pd.DataFrame([{"product": k.removesuffix("_shape"), "outcome": v} for k, v in metrics.items()
                              if isinstance(v, str)]),
        data={"a": a, "b": b, "ab": ab, "ct": c.T, "cta": cta},
    )


# ---------------------------------------------------------------- calculus (sympy)


def derivatives1(p: P, ctx) -> Result:
    f = expression(p["function"])
    relu, sigmoid = sym.Max(0, X), 1 / (1 + sym.exp(-X))
    df, drelu, dsigmoid = sym.diff(f, X), sym.diff(relu, X), sym.diff(sigmoid, X)
    curves = on_grid(p["x_range"], p["points"], f=f, df=df, relu=relu, sigmoid=sigmoid, drelu=drelu,
                     dsigmoid=dsigmoid)
    summary = pd.DataFrame([{"function": name, "expression": str(e), "derivative": str(d)}
                            for name, e, d in (("f", f, df), ("relu", relu, drelu), ("sigmoid", sigmoid, dsigmoid))])
    return Result(
        metrics={"function": str(f), "derivative": str(df), "derivative_at_1": _value(df, 1),
                 "relu_derivative": str(drelu), "sigmoid_derivative": str(dsigmoid),
                 "sigmoid_derivative_at_0": _value(dsigmoid, 0)},
        summary=summary,
        data={"curves": curves},
    )


def derivatives2(p: P, ctx) -> Result:
    f, g = expression(p["f"]), expression(p["g"])
    df, dg = sym.diff(f, X), sym.diff(g, X)
    manual, wrong, via_sympy = df * g + f * dg, df * dg, sym.diff(f * g, X)

    inner = expression(p["chain_inner"])
    n = int(p["chain_power"])
    chained = inner ** n
    chain_sympy, chain_manual = sym.diff(chained, X), n * inner ** (n - 1) * sym.diff(inner, X)

    def same(a, b) -> int:
        return int(sym.simplify(a - b) == 0)

    rows = [("f", f), ("g", g), ("f'", df), ("g'", dg), ("product rule by hand: f'g + fg'", manual),
            ("sympy: (fg)'", via_sympy), ("the wrong way: f'g'", wrong), ("chain: (inner)^n", chained),
            ("chain: sympy derivative", chain_sympy), ("chain rule by hand", chain_manual)]
    return Result(
        metrics={"product_rule_manual": str(sym.expand(manual)), "product_rule_sympy": str(sym.expand(via_sympy)),
                 "product_wrong_way": str(sym.expand(wrong)), "manual_equals_sympy": same(manual, via_sympy),
                 "wrong_way_equals_sympy": same(wrong, via_sympy), "chain_rule_sympy": str(chain_sympy),
                 "chain_rule_manual_equals_sympy": same(chain_manual, chain_sympy)},
        summary=pd.DataFrame([{"what": w, "expression": str(e)} for w, e in rows]),
        data={"product": on_grid(p["x_range"], p["points"], manual=manual, sympy=via_sympy, wrong=wrong),
              "chain": on_grid(p["x_range"], p["points"], function=chained, sympy=chain_sympy, manual=chain_manual)},
    )


# ---------------------------------------------------------------- probability and statistics


def entropy(p: P, ctx) -> Result:
    p_event = float(p["p_event"])
    wrong = -(p_event * np.log(p_event))  # one term only: NOT the entropy
    h = 0.0
    for prob in p["distribution"]:
        h -= prob * np.log(prob)
    last = p["distribution"][-1]  # the notebook's two-term formula reuses the loop variable
    h_two = -(last * np.log(last) + (1 - last) * np.log(1 - last))

    true, model = p["p"], p["q"]
    cross = 0.0
    for pi, qi in zip(true, model):
        cross -= pi * np.log(qi)
    cross_two = -(true[0] * np.log(model[0]) + true[1] * np.log(model[1]))
    simplified = -np.log(model[0])  # valid because p = [1, 0]

    q_tensor, p_tensor = torch.Tensor(model), torch.Tensor(true)
    on_lists, _ = outcome(lambda: F.binary_cross_entropy(true, model))  # what the notebook runs
    bce = F.binary_cross_entropy(q_tensor, p_tensor).item()  # what it means: input q, target p, as tensors

    grid = np.linspace(0.001, 0.999, 999)
    return Result(
        metrics={"wrong_entropy": float(wrong), "entropy": float(h), "entropy_two_term": float(h_two),
                 "cross_entropy": float(cross), "cross_entropy_two_term": float(cross_two),
                 "cross_entropy_simplified": float(simplified), "torch_binary_cross_entropy": bce,
                 "torch_binary_cross_entropy_on_lists": on_lists},
        summary=pd.DataFrame({"quantity": ["entropy", "wrong single-term entropy", "cross-entropy (numpy)",
                                           "binary cross-entropy (torch, tensors)"],
                              "value": [h, wrong, cross, bce]}),
        data={"curves": pd.DataFrame({"p": grid, "entropy": -(grid * np.log(grid) + (1 - grid) * np.log(1 - grid)),
                                      "single_term": -grid * np.log(grid), "cross_entropy": -np.log(grid)})},
    )


def log(p: P, ctx) -> Result:
    lo, hi = (float(v) for v in p["x_range"])
    x = np.linspace(lo, hi, int(p["points"]))
    xi = np.linspace(lo, hi, int(p["inverse_points"]))
    exp_log, log_exp = np.exp(np.log(xi)), np.log(np.exp(xi))
    return Result(
        metrics={"log_at_smallest_x": float(np.log(x[0])), "log_at_largest_x": float(np.log(x[-1])),
                 "max_abs_error_exp_of_log": float(np.abs(exp_log - xi).max()),
                 "max_abs_error_log_of_exp": float(np.abs(log_exp - xi).max())},
        summary=pd.DataFrame({"x": xi, "exp_log_x": exp_log, "log_exp_x": log_exp}),
        data={"log": pd.DataFrame({"x": x, "log": np.log(x)})},
    )


def meanvar(p: P, ctx) -> Result:
    x = np.array(p["x"], dtype=float)
    n = len(x)
    mean = np.mean(x)
    var_manual = (1 / (n - 1)) * np.sum((x - mean) ** 2)
    large = ctx.rng("large").integers(0, int(p["high"]), size=int(p["large_n"]))
    v0, v1 = np.var(large, ddof=0), np.var(large, ddof=1)
    return Result(
        metrics={"mean": float(mean), "mean_by_sum": float(np.sum(x) / n), "var_ddof0": float(np.var(x)),
                 "var_manual_unbiased": float(var_manual), "var_ddof1": float(np.var(x, ddof=1)),
                 "large_n": int(p["large_n"]), "large_var_ddof0": float(v0), "large_var_ddof1": float(v1),
                 "large_var_ratio": float(v1 / v0)},
        summary=pd.DataFrame([{"data": "x", "n": n, "var_ddof0": np.var(x), "var_ddof1": np.var(x, ddof=1)},
                              {"data": "large", "n": len(large), "var_ddof0": v0, "var_ddof1": v1}]),
        data={"x": x},
    )


def randomseed(p: P, ctx) -> Result:
    """The notebook's literal seeds, so its printed numbers come back digit for digit. numpy's and torch's
    global generators are restored afterwards: nothing else in this process notices."""
    seed, other, n = int(p["seed"]), int(p["other_seed"]), int(p["n"])
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        global_draws = [np.random.randn(n), np.random.randn(n)]
        first, second = np.random.RandomState(seed), np.random.RandomState(other)
        state_draws = [first.randn(n), second.randn(n), first.randn(n), second.randn(n)]  # the notebook's order
        before = np.random.get_state()[1].copy()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            torch_tensor = torch.randn(n)
        torch_draw = torch_tensor.numpy().astype(float)
        numpy_untouched = np.array_equal(before, np.random.get_state()[1])
    finally:
        np.random.set_state(saved)

    draws = {(f"np.random.seed({seed})", 1): global_draws[0], (f"np.random.seed({seed})", 2): global_draws[1],
             (f"RandomState({seed})", 1): state_draws[0], (f"RandomState({seed})", 2): state_draws[2],
             (f"RandomState({other})", 1): state_draws[1], (f"RandomState({other})", 2): state_draws[3],
             (f"torch.manual_seed({seed})", 1): torch_draw}
    summary = pd.DataFrame([{"generator": g, "draw": d, "index": i, "value": v}
                            for (g, d), values in draws.items() for i, v in enumerate(values)])
    printed = lambda a: np.array2string(a, precision=8)  # noqa: E731 - exactly as the notebook prints them
    return Result(
        metrics={"seed_first_value": float(global_draws[0][0]), "other_seed_first_value": float(state_draws[1][0]),
                 "seed_draw_1": printed(global_draws[0]), "seed_draw_2": printed(global_draws[1]),
                 "other_seed_draw_1": printed(state_draws[1]), "other_seed_draw_2": printed(state_draws[3]),
                 "randomstate_matches_global_seed": int(np.array_equal(np.concatenate(global_draws),
                                                                       np.concatenate(state_draws[::2]))),
                 "torch_seed_draw": str(torch_tensor), "torch_seed_leaves_numpy_alone": int(numpy_untouched)},
        summary=summary,
    )


def sampling(p: P, ctx) -> Result:
    population = np.array(p["population"], dtype=float)
    sample = ctx.rng("sample").choice(population, size=int(p["sample_size"]), replace=True)
    experiments = ctx.scale.count(int(p["experiments"]))
    size = int(p["experiment_sample_size"])
    means = ctx.rng("experiments").choice(population, size=(experiments, size), replace=True).mean(axis=1)
    return Result(
        metrics={"population_mean": float(population.mean()), "sample_mean": float(sample.mean()),
                 "experiments": experiments, "mean_of_sample_means": float(means.mean()),
                 "sd_of_sample_means": float(means.std()),
                 "standard_error_expected": float(population.std() / np.sqrt(size))},
        summary=pd.DataFrame([{"experiments": experiments, "sample_size": size, "population_mean": population.mean(),
                               "mean_of_sample_means": means.mean(), "sd_of_sample_means": means.std()}]),
        data={"sample_means": means},
    )


def softmax(p: P, ctx) -> Result:
    def manual(z):
        num = np.exp(z)
        return num / np.sum(num)

    z = np.array(p["z"], dtype=float)
    sigma = manual(z)
    zr = ctx.rng("z").integers(int(p["random_low"]), int(p["random_high"]), size=int(p["random_n"]))
    sigma_r = manual(zr)
    sigma_t = nn.Softmax(dim=0)(torch.Tensor(zr)).numpy().astype(float)
    r = float(np.corrcoef(sigma_r, sigma_t)[0, 1])
    return Result(
        metrics={**{f"softmax_{i}": float(s) for i, s in enumerate(sigma)}, "softmax_sum": float(sigma.sum()),
                 "random_softmax_sum": float(sigma_r.sum()), "r_manual_torch": r,
                 "max_abs_difference_manual_torch": float(np.abs(sigma_r - sigma_t).max())},
        summary=pd.DataFrame({"z": z, "softmax": sigma}),
        data={"random": pd.DataFrame({"z": zr, "manual": sigma_r, "torch": sigma_t})},
    )


def ttest(p: P, ctx) -> Result:
    rng = ctx.rng("data")
    data1 = p["mu1"] + rng.standard_normal(int(p["n1"]))
    data2 = p["mu2"] + rng.standard_normal(int(p["n2"]))
    t, pval = stats.ttest_ind(data1, data2)
    jitter = ctx.rng("jitter")
    groups = pd.DataFrame({"group": np.r_[np.zeros(len(data1), int), np.ones(len(data2), int)],
                           "value": np.r_[data1, data2]})
    groups["jittered"] = groups["group"] + jitter.standard_normal(len(groups)) / p["jitter_divisor"]
    return Result(
        metrics={"t": float(t), "p": float(pval), "df": len(data1) + len(data2) - 2,
                 "mean1": float(data1.mean()), "mean2": float(data2.mean())},
        summary=pd.DataFrame([{"n1": len(data1), "n2": len(data2), "mu1": p["mu1"], "mu2": p["mu2"],
                               "mean1": data1.mean(), "mean2": data2.mean(), "t": t, "p": pval}]),
        data={"groups": groups},
    )
