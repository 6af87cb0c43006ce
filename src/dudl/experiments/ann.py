"""Section ANN: perceptrons and small MLPs on qwerties, synthetic regression and iris (12 notebooks).

No train/test split in this section: the course trains and reports on all the data.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.experiments.common import binary_targets, iris_arrays, qwerties
from dudl.experiments.training import to_tensors
from dudl.params import grid
from dudl.data import synthetic
from dudl.models.mlp import MLP, count_parameters, mlp
from dudl.models.stacked import StackedMLP, stacked_loss
from dudl.results import Result
from dudl.train import Batches, accuracy, fit, probability_accuracy

P = Mapping[str, Any]


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 when either side is constant (the course replaces those NaNs with 0)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    r = float(np.corrcoef(a, b)[0, 1])
    return r if np.isfinite(r) else 0.0


def _regression_run(ctx, x: np.ndarray, y: np.ndarray, p: P, key: str):
    ctx.torch_seed(key)
    model = mlp([1, 1, 1]).to(ctx.device)
    xt, yt = to_tensors(ctx.device, x, y)
    history = fit(model, Batches(xt, yt), nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), show_progress=ctx.show_progress, desc=key)
    with torch.no_grad():
        predictions = model(xt).cpu().numpy()
    return model, history, predictions


def _dead(model: nn.Module, x: np.ndarray) -> int:
    """1 when the network's one hidden ReLU unit is silent on over 90% of the data points: those points pass it
    no gradient, so the run stalls near chance (the course's lecture warns that some runs die). The scorecard
    counts these seeds."""
    with torch.no_grad():
        hidden = model[1](model[0](torch.as_tensor(x, dtype=torch.float32, device=next(model.parameters()).device)))
    return int(float((hidden > 0).float().mean()) < 0.1)


def regression(p: P, ctx) -> Result:
    x, y = synthetic.linear_regression(ctx.rng("data"), p["n"], p["slope"], p["noise_std"])
    model, history, yhat = _regression_run(ctx, x, y, p, "model")
    r = _corr(yhat, y)
    return Result(
        metrics={"final_loss": float(history["train_loss"][-1]), "r_prediction_data": r,
                 "dead_unit": _dead(model, x)},
        summary=pd.DataFrame([{"n": p["n"], "slope": p["slope"], "lr": p["lr"], "final_loss": history["train_loss"][-1],
                               "r_prediction_data": r}]),
        history=history.frame(),
        data={"points": pd.DataFrame({"x": x[:, 0], "y": y[:, 0], "prediction": yhat[:, 0]})},
        models={"model": model.state_dict()},
    )


def code_challenge_regression(p: P, ctx) -> Result:
    """One run at slope .8, then slopes x repetitions trained together as a stack of independent models,
    each on its own freshly drawn data, as the course's 21 x 50 loop does."""
    n, noise = p["n"], p["noise_std"]
    x1, y1 = synthetic.linear_regression(ctx.rng("single"), n, p["single_slope"], noise)
    _, single_history, yhat1 = _regression_run(ctx, x1, y1, p, "single")

    slopes = grid(p["slopes"], ctx.scale)
    reps = ctx.scale.reps(p["repetitions"])
    runs = [(s, r) for s in slopes for r in range(reps)]
    data = [synthetic.linear_regression(ctx.rng("slope", f"{s:g}", r), n, s, noise) for s, r in runs]
    xs, ys = to_tensors(ctx.device, np.stack([d[0] for d in data]), np.stack([d[1] for d in data]))
    ctx.torch_seed("sweep")
    stack = StackedMLP(len(runs), [1, 1, 1]).to(ctx.device)
    history = fit(stack, Batches(xs, ys), stacked_loss("mse"), torch.optim.SGD(stack.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), show_progress=ctx.show_progress, desc=f"{len(runs)} models")
    with torch.no_grad():
        preds = stack(xs).cpu().numpy()
    ys_np = ys.cpu().numpy()
    summary = pd.DataFrame([
        {"slope": s, "repetition": r, "final_loss": float(history["train_loss"][-1][i]),
         "r_prediction_data": _corr(preds[i], ys_np[i])}
        for i, (s, r) in enumerate(runs)
    ])
    means = summary.groupby("slope")[["final_loss", "r_prediction_data"]].mean()
    steep, flat = means.loc[[slopes[0], slopes[-1]]].mean(), means.iloc[(means.index.to_series().abs()).argmin()]
    return Result(
        metrics={
            "single_slope": p["single_slope"],
            "single_r_prediction_data": _corr(yhat1, y1),
            "mean_r_steepest_slopes": float(steep["r_prediction_data"]),
            "mean_r_flattest_slope": float(flat["r_prediction_data"]),
            "mean_loss_steepest_slopes": float(steep["final_loss"]),
            "mean_loss_flattest_slope": float(flat["final_loss"]),
            "models_trained": len(runs) + 1,
        },
        summary=summary,
        history=single_history.frame(),
        data={"single": pd.DataFrame({"x": x1[:, 0], "y": y1[:, 0], "prediction": yhat1[:, 0]}),
              "examples": _example_slopes(runs, xs.cpu().numpy(), ys_np, slopes)},
    )


def _example_slopes(runs, xs, ys, slopes, shown: int = 5) -> pd.DataFrame:
    """The first repetition's data at a few slopes, for the 'what the data look like' figure."""
    picks = {slopes[round(i * (len(slopes) - 1) / (shown - 1))] for i in range(shown)} if len(slopes) > shown else set(slopes)
    frames = [pd.DataFrame({"slope": s, "x": xs[i, :, 0], "y": ys[i, :, 0]})
              for i, (s, r) in enumerate(runs) if r == 0 and s in picks]
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- qwerties, one model


def _qwerty_classifier_run(p: P, ctx, model: nn.Module, key: str):
    """The course's classifyQwerties recipe: full batch, BCELoss on sigmoid outputs, SGD, accuracy at the end."""
    x, y = qwerties(p["data"], ctx.rng("data"))
    xt, yt = to_tensors(ctx.device, x, binary_targets(y))
    model = model.to(ctx.device)
    history = fit(model, Batches(xt, yt), nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), metric=probability_accuracy, show_progress=ctx.show_progress, desc=key)
    with torch.no_grad():
        predicted = (model(xt) > 0.5).float().cpu().numpy()[:, 0]
    return x, y, predicted, history


def classify_qwerties(p: P, ctx) -> Result:
    ctx.torch_seed("model")
    model = mlp(p["layers"], hidden="relu", output="sigmoid")
    x, y, predicted, history = _qwerty_classifier_run(p, ctx, model, "model")
    acc = float((predicted == y).mean() * 100)
    return Result(
        metrics={"accuracy": acc, "final_loss": float(history["train_loss"][-1]),
                 "misclassified": int((predicted != y).sum()), "dead_unit": _dead(model, x)},
        summary=pd.DataFrame([{"lr": p["lr"], "epochs": ctx.scale.epochs(p["epochs"]), "accuracy": acc,
                               "final_loss": history["train_loss"][-1]}]),
        history=history.frame(),
        data={"points": pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y, "predicted": predicted})},
        models={"model": model.state_dict()},
    )


class QwertyNet(nn.Module):
    """ANN_seqVsClass: the same 2-1-1 network, written as a class with an explicit forward."""

    def __init__(self, sizes):
        super().__init__()
        self.input = nn.Linear(sizes[0], sizes[1])
        self.output = nn.Linear(sizes[1], sizes[2])

    def forward(self, x):
        return torch.sigmoid(self.output(torch.relu(self.input(x))))


def seq_vs_class(p: P, ctx) -> Result:
    """Train the class-defined network, and the nn.Sequential one from the same seed: identical numbers show
    that the two definitions are one model."""
    ctx.torch_seed("model")
    x, y, predicted, history = _qwerty_classifier_run(p, ctx, QwertyNet(p["layers"]), "class")
    ctx.torch_seed("model")
    _, _, predicted_seq, history_seq = _qwerty_classifier_run(p, ctx, mlp(p["layers"], output="sigmoid"), "sequential")
    acc = float((predicted == y).mean() * 100)
    diff = float(np.abs(history["train_loss"] - history_seq["train_loss"]).max())
    frame = history.frame()
    frame["train_loss_sequential"] = history_seq["train_loss"]
    return Result(
        metrics={"accuracy": acc, "final_loss": float(history["train_loss"][-1]),
                 "max_abs_loss_difference_class_vs_sequential": diff},
        summary=pd.DataFrame([{"definition": "class", "accuracy": acc, "final_loss": history["train_loss"][-1]},
                              {"definition": "sequential", "accuracy": float((predicted_seq == y).mean() * 100),
                               "final_loss": history_seq["train_loss"][-1]}]),
        history=frame,
        data={"points": pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y, "predicted": predicted})},
    )


# ---------------------------------------------------------------- learning-rate sweeps (stacked models)


def _lr_sweep(p: P, ctx, x: torch.Tensor, y: torch.Tensor, lrs: list[float], sizes, output, loss_kind, epochs, key):
    """len(lrs) independent models, one per learning rate, trained together; final accuracy per model."""
    ctx.torch_seed(key)
    stack = StackedMLP(len(lrs), sizes, output=output).to(ctx.device)
    stack.scale_gradients(lrs)
    metric = accuracy if output is None else probability_accuracy
    history = fit(stack, Batches(x, y), stacked_loss(loss_kind), torch.optim.SGD(stack.parameters(), lr=1.0), epochs,
                  show_progress=ctx.show_progress, desc=f"{key}: {len(lrs)} models")
    with torch.no_grad():
        final = metric(stack(x), y).cpu().numpy()
    return final, history


def learning_rates(p: P, ctx) -> Result:
    x, y = qwerties(p["data"], ctx.rng("data"))
    xt, yt = to_tensors(ctx.device, x, binary_targets(y))
    epochs = ctx.scale.epochs(p["epochs"])

    single_acc, single = _lr_sweep(p, ctx, xt, yt, [p["single_lr"]], [2, 1, 1], None, "bce_logits", epochs, "single")
    lrs = grid(p["lrs"], ctx.scale)
    accs, sweep = _lr_sweep(p, ctx, xt, yt, lrs, [2, 1, 1], None, "bce_logits", epochs, "sweep")

    reps = ctx.scale.reps(p["meta_repetitions"])
    meta_epochs = ctx.scale.epochs(p["meta_epochs"])
    meta_lrs = [lr for _ in range(reps) for lr in lrs]
    meta_accs, _ = _lr_sweep(p, ctx, xt, yt, meta_lrs, [2, 1, 1], None, "bce_logits", meta_epochs, "meta")
    meta = pd.DataFrame({"repetition": np.repeat(np.arange(reps), len(lrs)), "lr": meta_lrs, "accuracy": meta_accs})
    meta_means = meta.groupby("lr")["accuracy"].mean()

    summary = pd.concat([
        pd.DataFrame({"phase": "sweep", "repetition": 0, "lr": lrs, "epochs": epochs, "accuracy": accs}),
        meta.assign(phase="meta", epochs=meta_epochs),
    ], ignore_index=True)[["phase", "repetition", "lr", "epochs", "accuracy"]]
    losses = sweep["train_loss"]  # [epochs, models]
    return Result(
        metrics={
            "single_lr": p["single_lr"],
            "single_accuracy": float(single_acc[0]),
            "proportion_above_70": float((accs > 70).mean()),
            "meta_mean_accuracy": float(meta["accuracy"].mean()),
            "meta_mean_accuracy_lowest_lr": float(meta_means.iloc[0]),
            "meta_mean_accuracy_highest_lr": float(meta_means.iloc[-1]),
            "models_trained": 1 + len(lrs) + len(meta_lrs),
        },
        summary=summary,
        history=single.frame(model=0),
        data={"points": pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y}),
              "sweep_losses": losses, "lrs": np.asarray(lrs)},
    )


def _multilayer_sweep(p: P, ctx, x, y, lrs, key):
    sizes = [2, p["hidden"], 1, 1]
    return _lr_sweep(p, ctx, x, y, lrs, sizes, "sigmoid", "bce", ctx.scale.epochs(p["epochs"]), key)


def multilayer(p: P, ctx) -> Result:
    x, y = qwerties(p["data"], ctx.rng("data"))
    xt, yt = to_tensors(ctx.device, x, binary_targets(y))
    single_acc, single = _multilayer_sweep(p, ctx, xt, yt, [p["single_lr"]], "single")
    lrs = grid(p["lrs"], ctx.scale)
    accs, sweep = _multilayer_sweep(p, ctx, xt, yt, lrs, "sweep")
    return Result(
        metrics={"single_lr": p["single_lr"], "single_accuracy": float(single_acc[0]),
                 "proportion_above_70": float((accs > 70).mean()), "best_accuracy": float(accs.max())},
        summary=pd.DataFrame({"lr": lrs, "accuracy": accs, "final_loss": sweep["train_loss"][-1]}),
        history=single.frame(model=0),
        data={"points": pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y}),
              "sweep_losses": sweep["train_loss"], "lrs": np.asarray(lrs)},
    )


class MultilayerNet(nn.Module):
    """ANN_codeChallengeSeq2class: ANN_multilayer's Sequential model rewritten as a class."""

    def __init__(self, hidden: int):
        super().__init__()
        self.input = nn.Linear(2, hidden)
        self.hidden = nn.Linear(hidden, 1)
        self.output = nn.Linear(1, 1)

    def forward(self, x):
        x = torch.relu(self.input(x))
        x = torch.relu(self.hidden(x))
        return torch.sigmoid(self.output(x))


def code_challenge_seq2class(p: P, ctx) -> Result:
    """The multilayer learning-rate sweep, one class-defined model at a time, as the notebook runs it."""
    x, y = qwerties(p["data"], ctx.rng("data"))
    xt, yt = to_tensors(ctx.device, x, binary_targets(y))
    epochs = ctx.scale.epochs(p["epochs"])

    def train(lr, key, show=False):
        ctx.torch_seed(key)
        model = MultilayerNet(p["hidden"]).to(ctx.device)
        history = fit(model, Batches(xt, yt), nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr), epochs,
                      show_progress=show, desc=key)
        with torch.no_grad():
            return float(probability_accuracy(model(xt), yt)), history

    single_acc, single = train(p["single_lr"], "single", ctx.show_progress)
    lrs = grid(p["lrs"], ctx.scale)
    runs = [train(lr, f"lr={lr:g}") for lr in ctx.progress(lrs, "lr sweep")]
    accs = np.array([a for a, _ in runs])
    return Result(
        metrics={"single_lr": p["single_lr"], "single_accuracy": single_acc,
                 "proportion_above_70": float((accs > 70).mean()), "best_accuracy": float(accs.max())},
        summary=pd.DataFrame({"lr": lrs, "accuracy": accs, "final_loss": [h["train_loss"][-1] for _, h in runs]}),
        history=single.frame(),
        data={"points": pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y}),
              "sweep_losses": np.stack([h["train_loss"] for _, h in runs], axis=1), "lrs": np.asarray(lrs)},
    )


# ---------------------------------------------------------------- multi-class


def _full_batch_classifier(p: P, ctx, model: nn.Module, x: np.ndarray, y: np.ndarray, key: str | None = None):
    """Full-batch SGD with CrossEntropyLoss; returns (history, final outputs). A run of a sweep (key None) shows
    no progress bar and skips the per-epoch accuracy nobody plots."""
    xt, yt = to_tensors(ctx.device, x, y)
    model = model.to(ctx.device)
    history = fit(model, Batches(xt, yt), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), metric=accuracy if key else None,
                  show_progress=bool(key) and ctx.show_progress, desc=key or "")
    with torch.no_grad():
        return history, model(xt).cpu().numpy()


def multioutput(p: P, ctx) -> Result:
    frame, x, y = iris_arrays(ctx)
    ctx.torch_seed("model")
    model = mlp(p["layers"])
    history, logits = _full_batch_classifier(p, ctx, model, x, y, "model")
    probs = torch.softmax(torch.as_tensor(logits), dim=1).numpy()
    acc = float((logits.argmax(1) == y).mean() * 100)
    return Result(
        metrics={"final_accuracy": acc, "final_loss": float(history["train_loss"][-1])},
        summary=pd.DataFrame([{"lr": p["lr"], "epochs": ctx.scale.epochs(p["epochs"]), "final_accuracy": acc}]),
        history=history.frame(),
        data={"iris": frame, "probabilities": probs, "labels": y},
        models={"model": model.state_dict()},
    )


def code_challenge_qwerties(p: P, ctx) -> Result:
    """Softmax as the last layer *and* CrossEntropyLoss (which applies log-softmax again): the course does this
    on purpose to discuss it, so we keep it."""
    x, y = qwerties(p["data"], ctx.rng("data"))
    ctx.torch_seed("model")
    model = mlp(p["layers"], output="softmax")
    history, probs = _full_batch_classifier(p, ctx, model, x, y, "model")
    acc = float((probs.argmax(1) == y).mean() * 100)
    return Result(
        metrics={"final_accuracy": acc, "final_loss": float(history["train_loss"][-1])},
        summary=pd.DataFrame([{"lr": p["lr"], "epochs": ctx.scale.epochs(p["epochs"]), "final_accuracy": acc}]),
        history=history.frame(),
        data={"points": pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y, "predicted": probs.argmax(1)}),
              "probabilities": probs},
        models={"model": model.state_dict()},
    )


def n_hidden_units(p: P, ctx) -> Result:
    _, x, y = iris_arrays(ctx)
    units = [int(u) for u in grid(p["units"], ctx.scale)]
    accs = []
    for n in ctx.progress(units, "hidden units"):
        ctx.torch_seed("units", n)
        history, logits = _full_batch_classifier(p, ctx, mlp([4, n, n, 3]), x, y)
        accs.append(float((logits.argmax(1) == y).mean() * 100))
    summary = pd.DataFrame({"hidden_units": units, "accuracy": accs})
    return Result(
        metrics={"best_accuracy": max(accs), "accuracy_fewest_units": accs[0], "accuracy_most_units": accs[-1],
                 "units_reaching_90": int(summary.query("accuracy >= 90")["hidden_units"].min())
                 if (summary["accuracy"] >= 90).any() else -1},
        summary=summary,
    )


def breadth_vs_depth_point(p: P, ctx, n_layers: int) -> Result:
    """All widths for one depth (one Snakemake job per depth)."""
    _, x, y = iris_arrays(ctx)
    rows = []
    for units in ctx.progress([int(u) for u in grid(p["units"], ctx.scale)], f"{n_layers} layers"):
        ctx.torch_seed("layers", n_layers, "units", units)
        model = MLP(4, units, n_layers, 3)
        _, logits = _full_batch_classifier(p, ctx, model, x, y)
        rows.append({"layers": n_layers, "units": units, "parameters": count_parameters(model),
                     "accuracy": float((logits.argmax(1) == y).mean() * 100)})
    return Result(metrics={"layers": n_layers}, summary=pd.DataFrame(rows))


def breadth_vs_depth_combine(p: P, ctx, parts: Mapping[int, Result]) -> Result:
    summary = pd.concat([parts[k].summary for k in sorted(parts)], ignore_index=True)
    r = _corr(summary["parameters"].to_numpy(float), summary["accuracy"].to_numpy(float))
    by_depth = summary.groupby("layers")["accuracy"].mean()
    return Result(
        metrics={"r_parameters_accuracy": r, "best_accuracy": float(summary["accuracy"].max()),
                 **{f"mean_accuracy_{k}_layers": float(v) for k, v in by_depth.items()}},
        summary=summary,
    )


def num_parameters(p: P, ctx) -> Result:
    rows = []
    nets = {"wide": p["wide"], "deep": p["deep"]}
    for name, sizes in nets.items():
        model = mlp(sizes)
        for layer_name, module in model.named_children():
            if isinstance(module, nn.Linear):
                rows.append({"net": name, "layer": f"Linear({module.in_features},{module.out_features})",
                             "weights": module.weight.numel(), "biases": module.bias.numel()})
    summary = pd.DataFrame(rows)
    summary["parameters"] = summary["weights"] + summary["biases"]
    totals = summary.groupby("net")[["biases", "parameters"]].sum()
    metrics = {}
    for net, sizes in nets.items():
        metrics[f"{net}_nodes"] = int(totals.loc[net, "biases"])  # one bias per node, as the course counts nodes
        metrics[f"{net}_parameters"] = count_parameters(mlp(sizes))
    return Result(metrics=metrics, summary=summary)
