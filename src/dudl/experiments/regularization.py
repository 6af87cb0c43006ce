"""Section regularization: dropout, L2 and L1 penalties and minibatch size, on iris and the doughnut qwerties."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from dudl.data import synthetic
from dudl.experiments.common import binary_targets, iris_arrays, split, sweep_curves
from dudl.experiments.training import train_run
from dudl.params import grid
from dudl.models.mlp import mlp
from dudl.results import Result
from dudl.train import Batches, accuracy, evaluate

P = Mapping[str, Any]


def smooth(values: np.ndarray, k: int) -> np.ndarray:
    """The course's boxcar: np.convolve(x, ones(k)/k, mode='same'), zero-padded, so both ends dip."""
    return np.convolve(values, np.ones(k) / k, mode="same")


def _label(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------- data and one training run


def _doughnuts(p: P, ctx) -> tuple[np.ndarray, np.ndarray]:
    return synthetic.doughnut_qwerties(ctx.rng("data"), int(p["data"]["n_per_cluster"]), p["data"]["radii"])


def _data(p: P, ctx):
    """(x, y, loss): the doughnuts (experiments whose params describe them) with float 0/1 targets for
    BCEWithLogitsLoss, else iris for CrossEntropyLoss."""
    if "data" in p:
        x, y = _doughnuts(p, ctx)
        return x, binary_targets(y), nn.BCEWithLogitsLoss()
    _, x, y = iris_arrays(ctx)
    return x, y, nn.CrossEntropyLoss()


def _run(p: P, ctx, key, *, batch_size: int | None = None, dropout: float = 0.0, weight_decay: float = 0.0,
         regularizer: Callable[[nn.Module], torch.Tensor] | None = None, show: bool = False):
    """One network trained the course's way: split (the same for every run of the experiment), DataLoader-like
    minibatches, SGD, train accuracy over the epoch's minibatches, test accuracy in eval mode."""
    x, y, loss = _data(p, ctx)
    data = split(x, y, p["test_size"], seed=ctx.seed_for("split"))
    test_batch = len(data[3]) - p["test_batch_short_by"] if "test_batch_short_by" in p else None
    return train_run(ctx, data, lambda: mlp(p["layers"], dropout=dropout), loss,
                     lambda params: torch.optim.SGD(params, lr=p["lr"], weight_decay=weight_decay),
                     batch_size or p["batch_size"], ctx.scale.epochs(p["epochs"]), key, drop_last=p["drop_last"],
                     test_batch_size=test_batch, regularizer=regularizer, show_progress=show and ctx.show_progress)


def _single_run_result(p: P, ctx, model, history, extra_metrics=None, data=None, keep_model=False) -> Result:
    train_acc, test_acc = float(history.last("train_acc")), float(history.last("test_acc"))
    return Result(
        metrics={"final_train_acc": train_acc, "final_test_acc": test_acc,
                 "final_loss": float(history.last("train_loss")), **(extra_metrics or {})},
        summary=pd.DataFrame([{"batch_size": p["batch_size"], "lr": p["lr"], "epochs": ctx.scale.epochs(p["epochs"]),
                               "final_train_acc": train_acc, "final_test_acc": test_acc}]),
        history=history.frame(),
        data=data or {},
        models={"model": model.state_dict()} if keep_model else {},
    )


def _points_frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y})


# ---------------------------------------------------------------- dropout


def dropout_point(p: P, ctx, rate: float) -> Result:
    """One network per dropout rate (regular_dropout: one Snakemake job each; dropout_example2 loops)."""
    _, history, _ = _run(p, ctx, ("rate", _label(rate)), dropout=rate, show=True)
    last = ctx.scale.epochs(p["last_epochs"])
    train_acc, test_acc = history.last("train_acc", last), history.last("test_acc", last)
    return Result(
        metrics={"dropout_rate": rate, "train_acc": float(train_acc), "test_acc": float(test_acc)},
        summary=pd.DataFrame([{"dropout_rate": rate, "epochs": len(history["train_acc"]), "last_epochs": last,
                               "train_acc": train_acc, "test_acc": test_acc, "train_minus_test": train_acc - test_acc,
                               "final_train_acc": float(history.last("train_acc")),
                               "final_test_acc": float(history.last("test_acc"))}]),
        history=history.frame(),
    )


def _dropout_sweep(parts: Mapping[float, Result], data: dict) -> Result:
    """The sweep table and the representative run: the lowest rate (0, no dropout, in the course's grid)."""
    rates = sorted(parts)
    summary = pd.concat([parts[r].summary for r in rates], ignore_index=True)
    first = parts[rates[0]].history
    best = summary.loc[summary["test_acc"].idxmax()]
    curves = pd.concat([parts[r].history.assign(dropout_rate=r) for r in rates], ignore_index=True)
    return Result(
        metrics={"representative_dropout_rate": rates[0],
                 "test_acc_lowest_rate": float(summary["test_acc"].iloc[0]),
                 "train_minus_test_lowest_rate": float(summary["train_minus_test"].iloc[0]),
                 "best_test_acc": float(best["test_acc"]), "best_test_dropout_rate": float(best["dropout_rate"]),
                 "test_acc_highest_rate": float(summary["test_acc"].iloc[-1]),
                 "train_minus_test_highest_rate": float(summary["train_minus_test"].iloc[-1])},
        summary=summary,
        history=first,
        data={**data, "curves": curves},
    )


def dropout_combine(p: P, ctx, parts: Mapping[float, Result]) -> Result:
    x, y = _doughnuts(p, ctx)
    first = parts[min(parts)].history
    k = p["smoothing"]
    smoothed = pd.DataFrame({"epoch": first["epoch"], "train_acc": smooth(first["train_acc"].to_numpy(), k),
                             "test_acc": smooth(first["test_acc"].to_numpy(), k)})
    return _dropout_sweep(parts, {"points": _points_frame(x, y), "smoothed": smoothed})


def dropout_example2(p: P, ctx) -> Result:
    """The same sweep as regular_dropout on iris; cheap enough to run in one job."""
    rates = ctx.scale.grid(list(p["dropout_rates"]))
    return _dropout_sweep({r: dropout_point(p, ctx, r) for r in ctx.progress(rates, "dropout rates")}, {})


def dropout_in_pytorch(p: P, ctx) -> Result:
    """The notebook's sequence of calls on a vector of ones, in its order, plus nn.Dropout on a long vector."""
    ctx.torch_seed("demo")
    prob = p["p"]
    x = torch.ones(p["n"])
    dropout = nn.Dropout(p=prob)
    out = {"nn.Dropout, train mode": dropout(x)}
    dropout.eval()
    out["nn.Dropout, eval mode"] = dropout(x)
    out["F.dropout, module in eval mode"] = F.dropout(x, p=prob)  # F.dropout knows nothing of the module's mode
    out["F.dropout(training=False)"] = F.dropout(x, p=prob, training=False)
    dropout.train()
    out["nn.Dropout, train mode again"] = dropout(x)
    dropout.eval()
    out["nn.Dropout, eval mode again"] = dropout(x)
    long = nn.Dropout(p=prob).train()(torch.ones(p["n_check"]))

    dropped = [y for name, y in out.items() if "train mode" in name or name.startswith("F.dropout,")]
    survivors = torch.cat([y[y != 0] for y in dropped]).unique()
    passed = [y for name, y in out.items() if "eval mode" in name and name.startswith("nn.")]
    rows = [{"step": name, "zeros": int((y == 0).sum()), "mean": float(y.mean()),
             "values": " ".join(f"{v:g}" for v in y.tolist())} for name, y in out.items()]
    rows.append({"step": f"nn.Dropout, train mode, {p['n_check']} ones", "zeros": int((long == 0).sum()),
                 "mean": float(long.mean()), "values": ""})
    return Result(
        metrics={"p": prob,
                 "train_zero_fraction": float((out["nn.Dropout, train mode"] == 0).float().mean()),
                 "train_mean": float(out["nn.Dropout, train mode"].mean()),
                 "survivor_value": float(survivors.item()) if len(survivors) == 1 else -1.0,
                 "eval_max_abs_change": float(max((y - x).abs().max() for y in passed)),
                 "functional_eval_mode_zeros": int((out["F.dropout, module in eval mode"] == 0).sum()),
                 "functional_training_false_max_abs_change":
                     float((out["F.dropout(training=False)"] - x).abs().max()),
                 "large_zero_fraction": float((long == 0).float().mean()),
                 "large_mean": float(long.mean())},
        summary=pd.DataFrame(rows),
    )


# ---------------------------------------------------------------- L2 and L1


def l1_penalty(lam: float) -> Callable[[nn.Module], torch.Tensor]:
    """The course's L1 term: lambda times the summed absolute weights over the number of weights (no biases)."""

    def penalty(model: nn.Module) -> torch.Tensor:
        weights = [w for name, w in model.named_parameters() if "bias" not in name]
        return lam * sum(w.abs().sum() for w in weights) / sum(w.numel() for w in weights)

    return penalty


def _penalty_sweep(p: P, ctx, train_with: Callable[[float], dict]) -> Result:
    """The L2 and L1 notebooks: one run at a chosen lambda, then one network per lambda, whose smoothed accuracies
    are averaged over an epoch window (500-950 of 1000, scaled with the epochs)."""
    _, single, _ = _run(p, ctx, "single", show=True, **train_with(p["single_lambda"]))
    lambdas = grid(p["lambdas"], ctx.scale)
    runs = {lam: _run(p, ctx, ("lambda", _label(lam)), **train_with(lam))[1]
            for lam in ctx.progress(lambdas, "lambdas")}

    epochs = ctx.scale.epochs(p["epochs"])
    start, stop = (int(e * epochs / p["epochs"]) for e in p["average_epochs"])
    k = p["smoothing"]
    curves = sweep_curves(runs, "lambda", ["train_acc", "test_acc"])
    for column in ("train_acc", "test_acc"):
        curves[column] = np.concatenate([smooth(h[column], k) for h in runs.values()])
    window = curves[(curves["epoch"] > start) & (curves["epoch"] <= stop)]  # the course's [500:950] of 0-based epochs
    means = window.groupby("lambda")[["train_acc", "test_acc"]].mean()
    summary = pd.DataFrame([
        {"lambda": lam, "mean_train_acc": means.loc[lam, "train_acc"], "mean_test_acc": means.loc[lam, "test_acc"],
         "final_train_acc": float(h.last("train_acc")), "final_test_acc": float(h.last("test_acc")),
         "final_loss": float(h.last("train_loss"))}
        for lam, h in runs.items()
    ])
    best = summary.loc[summary["mean_test_acc"].idxmax()]
    return Result(
        metrics={"single_lambda": p["single_lambda"], "single_final_train_acc": float(single.last("train_acc")),
                 "single_final_test_acc": float(single.last("test_acc")), "single_final_loss": float(single.last("train_loss")),
                 "mean_test_acc_smallest_penalty": float(summary["mean_test_acc"].iloc[0]),
                 "mean_test_acc_largest_penalty": float(summary["mean_test_acc"].iloc[-1]),
                 "best_mean_test_acc": float(best["mean_test_acc"]), "best_lambda": float(best["lambda"]),
                 "average_epochs": f"{start}-{stop}"},
        summary=summary,
        history=single.frame(),
        data={"curves": curves},
    )


def l2_regu(p: P, ctx) -> Result:
    return _penalty_sweep(p, ctx, lambda lam: {"weight_decay": lam})


def l1_regu(p: P, ctx) -> Result:
    return _penalty_sweep(p, ctx, lambda lam: {"regularizer": l1_penalty(lam)})


# ---------------------------------------------------------------- minibatches


def minibatch(p: P, ctx) -> Result:
    frame, _, _ = iris_arrays(ctx)
    model, history, (train, _) = _run(p, ctx, "model", show=True)
    return _single_run_result(p, ctx, model, history, {"batches_per_epoch": len(train)},
                              data={"iris": frame}, keep_model=True)


def code_challenge_minibatch_point(p: P, ctx, batch_size: int) -> Result:
    _, history, (train, _) = _run(p, ctx, ("batch", batch_size), batch_size=batch_size, show=True)
    return Result(
        metrics={"batch_size": batch_size, "final_train_acc": float(history.last("train_acc")),
                 "final_test_acc": float(history.last("test_acc"))},
        summary=pd.DataFrame([{"batch_size": batch_size, "batches_per_epoch": len(train),
                               "steps": len(train) * len(history["train_acc"]),
                               "final_train_acc": float(history.last("train_acc")),
                               "final_test_acc": float(history.last("test_acc")),
                               "final_loss": float(history.last("train_loss"))}]),
        history=history.frame(),
    )


def code_challenge_minibatch_combine(p: P, ctx, parts: Mapping[int, Result]) -> Result:
    sizes = sorted(parts)
    summary = pd.concat([parts[b].summary for b in sizes], ignore_index=True)
    curves = pd.concat([parts[b].history[["epoch", "train_acc", "test_acc"]].assign(batch_size=b) for b in sizes],
                       ignore_index=True)
    smallest, largest = summary.iloc[0], summary.iloc[-1]
    return Result(
        metrics={"representative_batch_size": sizes[0],
                 "final_train_acc_smallest_batch": float(smallest["final_train_acc"]),
                 "final_test_acc_smallest_batch": float(smallest["final_test_acc"]),
                 "final_train_acc_largest_batch": float(largest["final_train_acc"]),
                 "final_test_acc_largest_batch": float(largest["final_test_acc"])},
        summary=summary,
        history=parts[sizes[0]].history,
        data={"curves": curves},
    )


def test_batch_t2(p: P, ctx) -> Result:
    x, y = _doughnuts(p, ctx)
    model, history, (_, test) = _run(p, ctx, "model", show=True)
    sizes = [len(yb) for _, yb in test]
    # the same test points as one batch: every point weighs the same
    pooled = float(evaluate(model, Batches(test.x, test.y), metric=accuracy)[1])
    per_batch = [float(evaluate(model, [(xb, yb)], metric=accuracy)[1]) for xb, yb in test]
    return _single_run_result(
        p, ctx, model, history,
        {"first_test_batch_size": sizes[0], "last_test_batch_size": sizes[-1], "test_batches": len(sizes),
         "final_test_acc_all_points": pooled,
         **{f"final_test_acc_batch_{i + 1}": a for i, a in enumerate(per_batch)}},
        data={"points": _points_frame(x, y)},
    )
