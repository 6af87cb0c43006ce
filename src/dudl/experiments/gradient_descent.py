"""Section gradientDescent: gradient descent by hand in numpy, as the course writes it (5 notebooks).

One loop serves every notebook: `descend` is the course's `grad = deriv(x); x = x - lr*grad`, recording the
estimate after each step, the gradient that moved it and the rate used (the course's `modelparams`). It runs
on arrays too, so a sweep over start points or learning rates is one loop over independent estimates: the
same arithmetic per estimate as the course's nested loops, far fewer Python steps. Random start points come
from ctx.rng; iteration counts and sweep grids shrink with ctx.scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from dudl.params import grid
from dudl.results import Result

P = Mapping[str, Any]
Rate = float | np.ndarray | Callable[[int, np.ndarray], Any]


@dataclass
class Descent:
    """Per iteration: the estimate after the step, the gradient that moved it and the learning rate used."""

    estimate: np.ndarray  # [iterations, ...]
    gradient: np.ndarray
    rate: np.ndarray
    start: np.ndarray

    @property
    def final(self) -> np.ndarray:
        return self.estimate[-1]

    def frame(self, columns=("x",)) -> pd.DataFrame:
        """The trajectory of one run as a history table (epoch = iteration, counted from 1)."""
        est = self.estimate.reshape(len(self.estimate), -1)
        grad = self.gradient.reshape(len(self.gradient), -1)
        frame = pd.DataFrame({"epoch": np.arange(1, len(est) + 1)})
        for k, name in enumerate(columns):
            frame[name] = est[:, k]
        for k, name in enumerate(columns):
            frame["derivative" if len(columns) == 1 else f"derivative_{name}"] = grad[:, k]
        frame["lr"] = np.broadcast_to(self.rate.reshape(len(self.rate), -1)[:, 0], len(est))
        return frame


def descend(deriv: Callable[[np.ndarray], np.ndarray], start, lr: Rate, iterations: int) -> Descent:
    """Gradient descent as the course writes it, for iterations >= 1. `lr` is a number (or an array, one rate
    per estimate), or a function (iteration, gradient) -> rate for GradientDescent_codeChallenge_lr's dynamic
    learning rates."""
    x = np.array(start, dtype=float)
    start = x.copy()
    estimates, gradients, rates = [], [], []
    for i in range(iterations):
        grad = deriv(x)
        rate = lr(i, grad) if callable(lr) else lr
        x = x - rate * grad
        estimates.append(x)
        gradients.append(grad)
        rates.append(np.broadcast_to(rate, np.shape(grad)))
    return Descent(np.array(estimates), np.array(gradients), np.array(rates), start)


def x_grid(spec: Mapping[str, Any]) -> np.ndarray:
    """The function's domain (np.linspace); never thinned by scale: starts are drawn from it."""
    return np.linspace(spec["start"], spec["stop"], int(spec["num"]))


def random_start(ctx, x: np.ndarray, *keys) -> float:
    """The course's np.random.choice(x, 1): a random point of the grid."""
    return float(ctx.rng("start", *keys).choice(x))


def global_minimum(f, x: np.ndarray, refine: int = 10001) -> float:
    """Where f is lowest on the grid, refined on a fine grid between the neighbouring grid points."""
    k = int(np.argmin(f(x)))
    fine = np.linspace(x[max(k - 1, 0)], x[min(k + 1, len(x) - 1)], refine)
    return float(fine[np.argmin(f(fine))])


def _curves(x: np.ndarray, f, df) -> pd.DataFrame:
    return pd.DataFrame({"x": x, "f": f(x), "df": df(x)})


# ---------------------------------------------------------------- GradientDescent_1D


def quadratic(x):
    return 3 * x ** 2 - 3 * x + 4


def quadratic_deriv(x):
    return 6 * x - 3


def gd_1d(p: P, ctx) -> Result:
    """Two runs from two random starts, as the notebook: the first is drawn on the function, the second is
    stored iteration by iteration (the history)."""
    x = x_grid(p["x_range"])
    iterations = ctx.scale.epochs(p["iterations"])
    first = descend(quadratic_deriv, random_start(ctx, x, "first"), p["lr"], iterations)
    second = descend(quadratic_deriv, random_start(ctx, x, "second"), p["lr"], iterations)
    runs = {"first": first, "second": second}
    return Result(
        metrics={"start": float(first.start), "final_estimate": float(first.final),
                 "final_value": float(quadratic(first.final)), "final_derivative": float(quadratic_deriv(first.final)),
                 "second_start": float(second.start), "second_final_estimate": float(second.final),
                 "true_minimum": 0.5, "iterations": iterations},
        summary=pd.DataFrame([{"run": k, "start": float(r.start), "lr": p["lr"], "iterations": iterations,
                               "final_estimate": float(r.final), "final_derivative": float(quadratic_deriv(r.final))}
                              for k, r in runs.items()]),
        history=second.frame(),
        data={"curves": _curves(x, quadratic, quadratic_deriv)},
    )


# ---------------------------------------------------------------- GradientDescent_2D


def peaks(x, y, exp=np.exp):
    """MATLAB's "peaks" landscape; with exp=sympy.exp it builds the sympy expression the course derives."""
    return (3 * (1 - x) ** 2 * exp(-(x ** 2) - (y + 1) ** 2)
            - 10 * (x / 5 - x ** 3 - y ** 5) * exp(-x ** 2 - y ** 2)
            - 1 / 3 * exp(-(x + 1) ** 2 - y ** 2))


def peaks_gradient():
    """sympy's partial derivatives of peaks: (symbols, [d/dx, d/dy] expressions, numpy function of (x, y))."""
    import sympy as sym

    sx, sy = sym.symbols("sx,sy")
    expr = peaks(sx, sy, exp=sym.exp)
    partials = [sym.diff(expr, sx), sym.diff(expr, sy)]
    numeric = sym.lambdify((sx, sy), partials, "numpy")
    return (sx, sy), partials, lambda point: np.array(numeric(point[0], point[1]), dtype=float)


def gd_2d(p: P, ctx) -> Result:
    (sx, sy), partials, gradient = peaks_gradient()
    at = dict(zip((sx, sy), p["derivative_at"]))
    dx_at, dy_at = (float(d.subs(at).evalf()) for d in partials)

    axis = x_grid(p["grid"])
    landscape = peaks(*np.meshgrid(axis, axis))  # rows are y, as the course's imshow shows it
    low, high = p["start_range"]
    start = low + (high - low) * ctx.rng("start").random(2)  # the course's np.random.rand(2)*4-2
    run = descend(gradient, start, p["lr"], ctx.scale.epochs(p["iterations"]))
    final = run.final
    return Result(
        metrics={"derivative_x_at_point": dx_at, "derivative_y_at_point": dy_at,
                 "start_x": float(start[0]), "start_y": float(start[1]),
                 "final_x": float(final[0]), "final_y": float(final[1]),
                 "final_value": float(peaks(*final)), "final_gradient_norm": float(np.linalg.norm(gradient(final))),
                 "landscape_min": float(landscape.min()), "landscape_max": float(landscape.max())},
        summary=pd.DataFrame([{"start_x": start[0], "start_y": start[1], "lr": p["lr"], "iterations": len(run.estimate),
                               "final_x": final[0], "final_y": final[1], "final_value": peaks(*final)}]),
        history=run.frame(columns=("x", "y")),
        data={"axis": axis, "landscape": landscape.astype(np.float32), "start": start},
    )


# ---------------------------------------------------------------- GradientDescent_CodeChallengeStartValue


def wavy(x):
    return np.cos(2 * np.pi * x) + x ** 2


def wavy_deriv(x):
    return -2 * np.pi * np.sin(2 * np.pi * x) + 2 * x


def code_challenge_start_value(p: P, ctx) -> Result:
    """A random start, and the challenge's unfortunate start 0: a local maximum where the derivative is
    exactly 0, so gradient descent never moves."""
    x = x_grid(p["x_range"])
    iterations = ctx.scale.epochs(p["iterations"])
    runs = {"random": descend(wavy_deriv, random_start(ctx, x), p["lr"], iterations),
            "unfortunate": descend(wavy_deriv, p["unfortunate_start"], p["lr"], iterations)}
    history = runs["random"].frame()
    history["x_unfortunate_start"] = runs["unfortunate"].estimate
    history["derivative_unfortunate_start"] = runs["unfortunate"].gradient
    best = global_minimum(wavy, x)
    return Result(
        metrics={**{f"{k}_{m}": float(v) for k, r in runs.items()
                    for m, v in (("start", r.start), ("final_estimate", r.final), ("final_value", wavy(r.final)),
                                 ("final_derivative", wavy_deriv(r.final)))},
                 "unfortunate_moved": int(np.any(runs["unfortunate"].estimate != runs["unfortunate"].start)),
                 "global_minimum": best, "global_minimum_value": float(wavy(best))},
        summary=pd.DataFrame([{"run": k, "start": float(r.start), "lr": p["lr"], "iterations": iterations,
                               "final_estimate": float(r.final), "final_value": float(wavy(r.final))}
                              for k, r in runs.items()]),
        history=history,
        data={"curves": _curves(x, wavy, wavy_deriv)},
    )


# ---------------------------------------------------------------- GradientDescent_codeChallenge_lr


def code_challenge_lr(p: P, ctx) -> Result:
    """Fixed rate from one random start; gradient-scaled rate from another; time-decayed rate from the
    gradient-scaled run's start (the notebook reuses initval)."""
    x = x_grid(p["x_range"])
    n = ctx.scale.epochs(p["iterations"])
    base, time_base = p["lr"], p["time_lr"]
    grad_start = random_start(ctx, x, "grad")
    runs = {
        "fixed": descend(quadratic_deriv, random_start(ctx, x, "fixed"), base, n),
        "grad": descend(quadratic_deriv, grad_start, lambda i, g: base * np.abs(g), n),
        "time": descend(quadratic_deriv, grad_start, lambda i, g: time_base * (1 - (i + 1) / n), n),
    }
    history = pd.DataFrame({"epoch": np.arange(1, n + 1)})
    for name, run in runs.items():
        history[f"x_{name}"] = run.estimate
        history[f"derivative_{name}"] = run.gradient
        history[f"lr_{name}"] = run.rate
    return Result(
        metrics={**{f"{k}_{m}": float(v) for k, r in runs.items()
                    for m, v in (("start", r.start), ("final_estimate", r.final), ("error", abs(r.final - 0.5)))},
                 "iterations": n},
        summary=pd.DataFrame([{"schedule": k, "start": float(r.start), "iterations": n,
                               "final_estimate": float(r.final), "error": float(abs(r.final - 0.5)),
                               "mean_lr": float(r.rate.mean())} for k, r in runs.items()]),
        history=history,
    )


# ---------------------------------------------------------------- GradientDescent_experiment


def damped_sine(x):
    return np.sin(x) * np.exp(-x ** 2 * .05)


def damped_sine_deriv(x):
    return np.cos(x) * np.exp(-x ** 2 * .05) - np.sin(x) * .1 * x * np.exp(-x ** 2 * .05)


def experiment(p: P, ctx) -> Result:
    """One run from a random start, then the notebook's three parametric experiments. Experiment 3 runs each
    learning rate once for the longest epoch count and reads every shorter count off the same trajectory:
    a run of N epochs is the first N steps of a longer run from the same start."""
    x = x_grid(p["x_range"])
    lr, iterations, fixed = p["lr"], ctx.scale.epochs(p["iterations"]), p["fixed_start"]
    single = descend(damped_sine_deriv, random_start(ctx, x), lr, iterations)

    starts = np.array(grid(p["start_locations"], ctx.scale))
    by_start = descend(damped_sine_deriv, starts, lr, iterations).final
    rates = np.array(grid(p["learning_rates"], ctx.scale))
    by_rate = descend(damped_sine_deriv, np.full(len(rates), fixed), rates, iterations).final
    epochs = np.array([ctx.scale.epochs(int(e)) for e in np.round(grid(p["epoch_counts"], ctx.scale))])
    trajectory = descend(damped_sine_deriv, np.full(len(rates), fixed), rates, int(epochs.max())).estimate
    by_rate_epochs = trajectory[epochs - 1].T  # [learning rate, epoch count], the course's finalres

    best = global_minimum(damped_sine, x)
    reached = np.abs(by_start - best) < 0.01
    summary = pd.concat([
        pd.DataFrame({"experiment": "start", "start": starts, "lr": lr, "epochs": iterations, "final": by_start}),
        pd.DataFrame({"experiment": "lr", "start": fixed, "lr": rates, "epochs": iterations, "final": by_rate}),
        pd.DataFrame({"experiment": "lr_x_epochs", "start": fixed, "lr": np.repeat(rates, len(epochs)),
                      "epochs": np.tile(epochs, len(rates)), "final": by_rate_epochs.ravel()}),
    ], ignore_index=True)
    return Result(
        metrics={"start": float(single.start), "final_estimate": float(single.final),
                 "final_value": float(damped_sine(single.final)),
                 "final_derivative": float(damped_sine_deriv(single.final)),
                 "global_minimum": best, "global_minimum_value": float(damped_sine(best)),
                 "proportion_starts_reaching_global_minimum": float(reached.mean()),
                 "final_estimate_largest_lr": float(by_rate[-1]), "final_estimate_smallest_lr": float(by_rate[0]),
                 "final_estimate_largest_lr_most_epochs": float(by_rate_epochs[-1, -1]),
                 "iterations": iterations},
        summary=summary,
        history=single.frame(),
        data={"curves": _curves(x, damped_sine, damped_sine_deriv), "starts": starts, "final_by_start": by_start,
              "rates": rates, "final_by_rate": by_rate, "epochs": epochs, "final_by_rate_epochs": by_rate_epochs},
    )
