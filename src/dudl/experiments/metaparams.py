"""Section metaparams: activation functions, minibatch size, batch norm, losses, optimizers, momentum, weight decay
and learning-rate decay (15 notebooks), on the red-wine data and on three qwerty clusters.

Every comparison trains its conditions from the same seed: the same split, the same initial weights and the same
minibatch order, so a difference between two curves comes from the metaparameter alone (the course draws each
model afresh, unseeded). Comparisons whose conditions each cost seconds on the wine data run as one Snakemake job
per condition (`<name>_point`, `<name>_combine`).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.data import tabular
from dudl.experiments.common import FINAL, binary_targets, final, qwerties, split, sweep_curves, wine_split
from dudl.experiments.mistakes import outcome
from dudl.experiments.training import loaders, optimizer, predict, sgd, train_run
from dudl.params import grid
from dudl.models.mlp import mlp
from dudl.results import Result

P = Mapping[str, Any]
QUALITY_THRESHOLD = 5  # boolQuality = quality > 5, as every wine notebook labels it
SULFUR_MAX = 200  # the wine notebooks drop the two rows with total sulfur dioxide >= 200


# ---------------------------------------------------------------- small helpers


def key(value: Any) -> str:
    """A swept value as part of a metric name: 0.95 -> 0p95, 1e-04 -> 0p0001 (no dots: dvc metrics nests on them)."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", "p").replace("-", "m").lower()


def last_mean(history, n: int) -> dict[str, float]:
    """Means over the last n epochs (the course's np.mean(testAcc[-10:]))."""
    return {f"{c}_last{n}": float(history.last(c, n)) for c in ("train_acc", "test_acc") if c in history}


# ---------------------------------------------------------------- data


def qwerty_split(p: P, ctx):
    """(x, y, (x_train, x_test, y_train, y_test)): the three qwerty clusters and their train/test split."""
    x, y = qwerties(p["data"], ctx.rng("data"))
    return x, y, split(x, y, p["test_size"], ctx.seed_for("split"))


# ---------------------------------------------------------------- models the course writes by hand


def batchnorm_wine_net(sizes, batchnorm: bool) -> nn.Sequential:
    """metaparams_batchNorm's ANNwine_withBNorm: ReLU after every hidden layer and, when on, BatchNorm1d on the
    input of each hidden Linear layer (after the input layer's ReLU and after fc1's), not on the output layer's."""
    layers: list[nn.Module] = []
    n_linear = len(sizes) - 1
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if batchnorm and 0 < i < n_linear - 1:
            layers.append(nn.BatchNorm1d(n_in))
        layers.append(nn.Linear(n_in, n_out))
        if i < n_linear - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def dropout_wine_net(sizes, rate: float) -> nn.Sequential:
    """metaparams_codeChallengeDropout's ANNwine: dropout after the activations of fc1 and fc2, not after the
    input layer's."""
    layers: list[nn.Module] = []
    n_linear = len(sizes) - 1
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < n_linear - 1:
            layers.append(nn.ReLU())
            if i > 0:
                layers.append(nn.Dropout(rate))
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- wine comparisons, one job per condition


def _wine_condition(p: P, ctx, column: str, value, build, batch_size: int | None = None) -> Result:
    """One condition of a wine comparison: BCEWithLogits, SGD, the course's epochs."""
    data = wine_split(p, ctx)
    batch_size = batch_size or p["batch_size"]
    start = time.process_time()
    _, history, _ = train_run(ctx, data, build, nn.BCEWithLogitsLoss(), sgd(p["lr"]), batch_size,
                       ctx.scale.epochs(p["epochs"]), "model", show_progress=ctx.show_progress)
    seconds = time.process_time() - start
    row = {column: value, "batch_size": batch_size, "batches_per_epoch": len(data[0]) // batch_size, **final(history)}
    return Result(metrics={column: value, **final(history)},
                  summary=pd.DataFrame([row]).assign(cpu_seconds=seconds),
                  history=history.frame())


def _combine_conditions(parts: Mapping[Any, Result], column: str, representative, label=key) -> Result:
    """One summary row, the final train and test accuracy (metrics) and the curves (data) of every condition;
    history.csv holds the representative condition's curves."""
    metrics: dict[str, Any] = {}
    for value, part in parts.items():
        for name in ("final_train_acc", "final_test_acc"):
            metrics[f"{name}_{label(value)}"] = part.metrics[name]
    curves = pd.concat([part.history.assign(**{column: value}) for value, part in parts.items()],
                       ignore_index=True)
    summary = pd.concat([part.summary for part in parts.values()], ignore_index=True)
    return Result(metrics=metrics, summary=summary, history=parts[representative].history,
                  data={"curves": curves})


def batch_norm_point(p: P, ctx, condition: str) -> Result:
    return _wine_condition(p, ctx, "batchnorm", condition,
                           lambda: batchnorm_wine_net(p["layers"], condition == "with"))


def batch_norm_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    return _combine_conditions(parts, "batchnorm", "with", label=lambda c: f"{c}_batchnorm")


def code_challenge_batches_point(p: P, ctx, batch_size: int) -> Result:
    """One batch size; its CPU time (time.process_time around training, as the notebook measures it) goes to
    summary.csv only: timings differ between runs, metrics must not."""
    return _wine_condition(p, ctx, "batch_size", batch_size, lambda: mlp(p["layers"]), batch_size=batch_size)


def code_challenge_batches_combine(p: P, ctx, parts: Mapping[int, Result]) -> Result:
    sizes = sorted(parts)
    representative = 32 if 32 in parts else sizes[len(sizes) // 2]  # the batch size most wine notebooks use
    return _combine_conditions(parts, "batch_size", representative, label=lambda b: f"batch_{b}")


def activation_comparisons_point(p: P, ctx, name: str) -> Result:
    """One hidden activation, by the name either notebook uses (torch.relu or nn.ReLU compute the same)."""
    return _wine_condition(p, ctx, "activation", name, lambda: mlp(p["layers"], hidden=name))


def activation_comparisons_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    return _combine_conditions(parts, "activation", p["activations"][0])


code_challenge_relus_point, code_challenge_relus_combine = activation_comparisons_point, activation_comparisons_combine


# ---------------------------------------------------------------- wine, single runs and demos


def intro2winedata(p: P, ctx) -> Result:
    """The data exploration notebook: raw columns, the z-scored features (written out with ddof=1, on all 1599
    rows: this notebook only mentions the outlier removal), the binarized quality and the batch sizes a
    DataLoader without drop_last yields."""
    raw = tabular.wine(ctx.data_file("wine_quality", "wine.csv"))
    features = [c for c in raw.columns if c != "quality"]
    z = raw.copy()
    z[features] = (raw[features] - raw[features].mean()) / raw[features].std(ddof=1)
    z["boolQuality"] = (raw["quality"] > QUALITY_THRESHOLD).astype(np.int64)

    x = z[features].to_numpy(np.float32)
    y = binary_targets(z["boolQuality"].to_numpy())
    x_train, x_test, y_train, y_test = split(x, y, p["test_size"], ctx.seed_for("split"))
    train_batches, _ = loaders(ctx, x_train, y_train, x_test, y_test, p["batch_size"], "loader", drop_last=False)
    sizes = [len(xb) for xb, _ in train_batches]

    summary = pd.DataFrame({"column": raw.columns, "unique_values": [raw[c].nunique() for c in raw.columns],
                            "mean": raw.mean().to_numpy(), "std": raw.std(ddof=1).to_numpy(),
                            "min": raw.min().to_numpy(), "max": raw.max().to_numpy()})
    counts = raw["quality"].value_counts().sort_index()
    return Result(
        metrics={"rows": len(raw), "features": len(features), "quality_levels": int(raw["quality"].nunique()),
                 "proportion_high_quality": float(z["boolQuality"].mean()),
                 "rows_total_sulfur_dioxide_ge_200": int((raw["total sulfur dioxide"] >= SULFUR_MAX).sum()),
                 "train_size": len(x_train), "test_size": len(x_test), "batch_size": p["batch_size"],
                 "batches_per_epoch": len(sizes), "last_batch_size": sizes[-1],
                 "max_abs_mean_after_zscore": float(z[features].mean().abs().max())},
        summary=summary,
        data={"raw": raw, "zscored": z[features], "quality_counts": pd.DataFrame({"quality": counts.index,
                                                                                   "count": counts.to_numpy()})},
    )


def code_challenge_sugar(p: P, ctx) -> Result:
    """Regression: residual sugar from the other 11 columns, all z-scored (quality included), MSE loss."""
    frame = tabular.wine(ctx.data_file("wine_quality", "wine.csv"))
    kept = frame[frame["total sulfur dioxide"] < SULFUR_MAX].reset_index(drop=True)
    z = tabular.zscore(kept, list(kept.columns))
    inputs = [c for c in z.columns if c != "residual sugar"]
    data = split(z[inputs].to_numpy(np.float32), z[["residual sugar"]].to_numpy(np.float32), p["test_size"],
                 ctx.seed_for("split"))
    x_train, x_test, y_train, y_test = data
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"]), nn.MSELoss(), sgd(p["lr"]), p["batch_size"],
                                  ctx.scale.epochs(p["epochs"]), "model", metric=None, show_progress=ctx.show_progress)
    pred_train, pred_test = predict(model, x_train, ctx.device), predict(model, x_test, ctx.device)
    r_train = float(np.corrcoef(pred_train[:, 0], y_train[:, 0])[0, 1])
    r_test = float(np.corrcoef(pred_test[:, 0], y_test[:, 0])[0, 1])
    test_loss = history["test_loss"]
    predictions = pd.concat([pd.DataFrame({"split": "train", "predicted": pred_train[:, 0], "true": y_train[:, 0]}),
                             pd.DataFrame({"split": "test", "predicted": pred_test[:, 0], "true": y_test[:, 0]})],
                            ignore_index=True)
    metrics = {"train_r": r_train, "test_r": r_test, **final(history),
               "min_test_loss": float(test_loss.min()), "epoch_min_test_loss": int(test_loss.argmin()) + 1}
    return Result(
        metrics=metrics,
        summary=pd.DataFrame([{"lr": p["lr"], "batch_size": p["batch_size"], "epochs": len(test_loss), **metrics}]),
        history=history.frame(),
        data={"sugar": z["residual sugar"].to_numpy(), "predictions": predictions,
              "correlations": np.corrcoef(z.to_numpy().T), "columns": np.asarray(z.columns, dtype=str)},
        models={"model": model.state_dict()},
    )


def code_challenge_dropout(p: P, ctx) -> Result:
    """ANNwine with dropout .25, Adam, five big minibatches per epoch (batch size int(n_train / 5)), 3000 epochs."""
    data = wine_split(p, ctx)
    batch_size = int(len(data[0]) / p["batches_per_epoch"])
    model, history, _ = train_run(ctx, data, lambda: dropout_wine_net(p["layers"], p["dropout"]), nn.BCEWithLogitsLoss(),
                           lambda params: optimizer("Adam", params, p["lr"]), batch_size,
                           ctx.scale.epochs(p["epochs"]), "model", show_progress=ctx.show_progress)
    x_test, y_test = data[1], data[3]
    eval_acc = float(((predict(model, x_test, ctx.device) > 0) == y_test).mean() * 100)
    metrics = {"batch_size": batch_size, **final(history), **last_mean(history, 100),
               "test_acc_eval_mode": eval_acc}
    return Result(
        metrics=metrics,
        summary=pd.DataFrame([{"dropout": p["dropout"], "lr": p["lr"], **metrics}]),
        history=history.frame(),
        models={"model": model.state_dict()},
    )


def activation_funs(p: P, ctx) -> Result:
    """The activation-function demo: torch functions, nn classes, ReLU6's ceiling, torch.relu == nn.ReLU, and a
    ReLU of a linear combination of two inputs."""
    x = torch.tensor(grid(p["x"]), dtype=torch.float32)
    functions = {name: getattr(torch, name)(x) for name in ("relu", "sigmoid", "tanh")}
    modules = {name: getattr(nn, name)()(x) for name in ("ReLU6", "Hardshrink", "LeakyReLU")}
    x6 = torch.tensor(grid(p["relu6_x"]), dtype=torch.float32)
    x1 = torch.tensor(grid(p["x1"]), dtype=torch.float32)
    w1, w2 = p["weights"]
    linear = x1 * w1 + (2 * x1) * w2  # the notebook's x2 = 2*x1
    nonlinear = torch.relu(linear)
    same = bool(torch.equal(torch.relu(x), nn.ReLU()(x)))
    return Result(
        metrics={"relu_equals_nn_relu": int(same), "relu6_max": float(nn.ReLU6()(x6).max()),
                 "leakyrelu_slope": float(nn.LeakyReLU().negative_slope),
                 "linear_combination_slope": float(w1 + 2 * w2)},
        summary=pd.DataFrame([{"function": k, "min": float(v.min()), "max": float(v.max())}
                              for k, v in {**functions, **modules}.items()]),
        data={"functions": pd.DataFrame({"x": x.numpy(), **{k: v.numpy() for k, v in functions.items()}}),
              "modules": pd.DataFrame({"x": x.numpy(), **{k: v.numpy() for k, v in modules.items()}}),
              "relu6": pd.DataFrame({"x": x6.numpy(), "ReLU6": nn.ReLU6()(x6).numpy()}),
              "relu_vs_module": pd.DataFrame({"x": x.numpy(), "torch_relu": torch.relu(x).numpy(),
                                              "nn_ReLU": nn.ReLU()(x).numpy()}),
              "combination": pd.DataFrame({"x1": x1.numpy(), "linear": linear.numpy(), "relu": nonlinear.numpy()})},
    )


def loss(p: P, ctx) -> Result:
    """Loss functions on hand-made numbers. The course feeds BCELoss a raw logit (2); current torch refuses that,
    so we record the error and compute what the notebook means: BCE of sigmoid(2), and BCEWithLogits(2)."""
    mse, bce = nn.MSELoss(), nn.BCELoss()
    yhat = torch.tensor(grid(p["mse_predictions"]), dtype=torch.float32)
    target = torch.tensor(p["mse_target"])
    mse_curve = torch.stack([mse(v, target) for v in yhat])
    probs = torch.tensor(grid(p["bce_predictions"]), dtype=torch.float32)
    bce_curves = {c: torch.stack([bce(v, torch.tensor(float(c))) for v in probs]) for c in (0, 1)}

    logit, one = torch.tensor(p["logit"]), torch.tensor(1.0)
    raw_error, _ = outcome(lambda: bce(logit, one))  # torch checks that BCELoss inputs are probabilities
    bce_sigmoid = float(bce(torch.sigmoid(logit), one))
    bce_logits = float(nn.BCEWithLogitsLoss()(logit, one))

    ce = nn.CrossEntropyLoss()
    logits = torch.tensor([p["logits"]], dtype=torch.float32)
    softmaxed = torch.softmax(logits, dim=1)
    ce_raw = [float(ce(logits, torch.tensor([i]))) for i in range(logits.shape[1])]
    ce_double = [float(ce(softmaxed, torch.tensor([i]))) for i in range(logits.shape[1])]
    x, y = (torch.tensor(v) for v in p["custom_pair"])
    custom = float(torch.abs(x - y))  # the notebook's myLoss: |x - y|

    summary = pd.DataFrame({"correct_class": range(len(ce_raw)), "logit": p["logits"],
                            "softmax": softmaxed[0].numpy(), "log_softmax": torch.log_softmax(logits, 1)[0].numpy(),
                            "cross_entropy": ce_raw, "cross_entropy_of_softmax": ce_double})
    return Result(
        metrics={"mse_min_at": float(yhat[mse_curve.argmin()]), "bce_on_raw_logit_error": raw_error,
                 "bce_of_sigmoid_logit": bce_sigmoid, "bce_with_logits": bce_logits,
                 **{f"cross_entropy_target_{i}": v for i, v in enumerate(ce_raw)},
                 **{f"cross_entropy_of_softmax_target_{i}": v for i, v in enumerate(ce_double)},
                 "custom_l1_loss": custom},
        summary=summary,
        data={"mse": pd.DataFrame({"prediction": yhat.numpy(), "loss": mse_curve.numpy()}),
              "bce": pd.DataFrame({"prediction": probs.numpy(), "correct_0": bce_curves[0].numpy(),
                                   "correct_1": bce_curves[1].numpy()})},
    )


# ---------------------------------------------------------------- three qwerty clusters


def _qwerty_run(p: P, ctx, data, make_optimizer, **fit_kwargs):
    """The qwertyNet recipe: CrossEntropyLoss, minibatches, the notebook's epochs; every run from one seed."""
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"]), nn.CrossEntropyLoss(), make_optimizer,
                                  p["batch_size"], ctx.scale.epochs(p["epochs"]), "model", **fit_kwargs)
    return model, history


def _labelled(model, x, y, device) -> tuple[pd.DataFrame, float, list[float]]:
    """Every qwerty with its predicted label (the notebooks score the trained net on all the data), the total
    accuracy and the accuracy per group."""
    predicted = predict(model, x, device).argmax(1)
    correct = predicted == y
    groups = [float(correct[y == k].mean() * 100) for k in np.unique(y)]
    points = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y, "predicted": predicted})
    return points, float(correct.mean() * 100), groups


def multioutput(p: P, ctx) -> Result:
    x, y, data = qwerty_split(p, ctx)
    model, history = _qwerty_run(p, ctx, data, sgd(p["lr"]), show_progress=ctx.show_progress)
    points, total, groups = _labelled(model, x, y, ctx.device)
    metrics = {**final(history), "total_accuracy": total, **{f"accuracy_group_{k}": a for k, a in enumerate(groups)}}
    return Result(
        metrics=metrics,
        summary=pd.DataFrame([{"lr": p["lr"], "batch_size": p["batch_size"], "epochs": len(history["train_loss"]),
                               **metrics}]),
        history=history.frame(),
        data={"points": points, "group_accuracy": np.asarray(groups)},
        models={"model": model.state_dict()},
    )


def _qwerty_sweep(p: P, ctx, column: str, values, make_optimizer, representative,
                  per_run: Callable | None = None) -> Result:
    """One qwerty run per value; summary row and final accuracies per value, curves of all, history of one."""
    _, _, data = qwerty_split(p, ctx)
    histories, rows, metrics = {}, [], {}
    for value in ctx.progress(values, column):
        model, history = _qwerty_run(p, ctx, data, make_optimizer(value))
        histories[value] = history
        extra = per_run(value, model) if per_run else {}
        means = last_mean(history, p["last_epochs"]) if "last_epochs" in p else {}
        rows.append({column: value, **final(history), **means, **extra})
        for name in ("final_train_acc", "final_test_acc"):
            metrics[f"{name}_{column}_{key(value)}"] = rows[-1][name]
    return Result(metrics=metrics, summary=pd.DataFrame(rows), history=histories[representative].frame(),
                  data={"curves": sweep_curves(histories, column, FINAL)})


def momentum(p: P, ctx) -> Result:
    momenta = ctx.scale.grid(list(p["momenta"]))
    representative = min(momenta, key=lambda m: abs(m - 0.9))
    return _qwerty_sweep(p, ctx, "momentum", momenta, lambda m: sgd(p["lr"], momentum=m), representative)


def optimizers_comparison(p: P, ctx) -> Result:
    """SGD, RMSprop and Adam at lr .01; per optimizer the course's 2x2 panel (needs each net's labels of all the
    data) and its 'performance' line: mean train and test accuracy over the last 10 epochs."""
    x, y, _ = qwerty_split(p, ctx)
    labelled = {}

    def score(name, model):
        points, total, groups = _labelled(model, x, y, ctx.device)
        labelled[name] = points.assign(optimizer=name)
        return {"total_accuracy": total, **{f"accuracy_group_{k}": a for k, a in enumerate(groups)}}

    optimizers = list(p["optimizers"])
    result = _qwerty_sweep(p, ctx, "optimizer", optimizers, lambda o: (lambda params: optimizer(o, params, p["lr"])),
                           "Adam" if "Adam" in optimizers else optimizers[0], per_run=score)
    n = p["last_epochs"]
    for row in result.summary.to_dict("records"):
        o = key(row["optimizer"])
        result.metrics[f"{o}_train_acc_last{n}"] = row[f"train_acc_last{n}"]
        result.metrics[f"{o}_test_acc_last{n}"] = row[f"test_acc_last{n}"]
        result.metrics[f"{o}_total_accuracy"] = row["total_accuracy"]
    result.metrics["performance"] = "; ".join(
        f"{r['optimizer']}: train {r[f'train_acc_last{n}']:.1f}%, test {r[f'test_acc_last{n}']:.1f}%"
        for r in result.summary.to_dict("records"))
    result.data["points"] = pd.concat(labelled.values(), ignore_index=True)
    return result


REPRESENTATIVE_LR = 0.01  # code_challenge_optimizers' history.csv: Adam at the grid's rate nearest this


def code_challenge_optimizers(p: P, ctx) -> Result:
    """20 learning rates x {SGD, RMSprop, Adam}: mean test accuracy over the last 10 epochs of each run."""
    _, _, data = qwerty_split(p, ctx)
    lrs = grid(p["lrs"], ctx.scale)
    n = p["last_epochs"]
    rows, metrics, histories = [], {}, {}
    for name in p["optimizers"]:
        for lr in ctx.progress(lrs, name):
            _, history = _qwerty_run(p, ctx, data, lambda params: optimizer(name, params, lr))
            histories[name, lr] = history
            rows.append({"optimizer": name, "lr": lr, **final(history), **last_mean(history, n)})
    summary = pd.DataFrame(rows)
    name = "Adam" if "Adam" in p["optimizers"] else p["optimizers"][0]
    representative = histories[name, min(lrs, key=lambda lr: abs(np.log10(lr / REPRESENTATIVE_LR)))]
    near_1e3 = min(lrs, key=lambda lr: abs(np.log10(lr) + 3))
    for name, runs in summary.groupby("optimizer", sort=False):
        o, acc = key(name), runs.set_index("lr")[f"test_acc_last{n}"]
        metrics[f"{o}_best_test_acc_last{n}"] = float(acc.max())
        metrics[f"{o}_best_lr"] = float(acc.idxmax())
        metrics[f"{o}_test_acc_last{n}_lowest_lr"] = float(acc.iloc[0])
        metrics[f"{o}_test_acc_last{n}_highest_lr"] = float(acc.iloc[-1])
        metrics[f"{o}_test_acc_last{n}_lr_near_1em3"] = float(acc[near_1e3])
    metrics["lr_near_1em3"] = near_1e3
    metrics["models_trained"] = len(rows)
    return Result(metrics=metrics, summary=summary, history=representative.frame())


def code_challenge_adam_l2(p: P, ctx) -> Result:
    lambdas = grid(p["l2_lambdas"], ctx.scale)
    return _qwerty_sweep(p, ctx, "l2_lambda", lambdas,
                         lambda lam: (lambda params: optimizer("Adam", params, p["lr"], weight_decay=lam)), lambdas[0])


def learning_rate_decay(p: P, ctx) -> Result:
    """SGD with StepLR(step_size = batch size x batches per epoch = 800 batches, gamma .5), stepped after every
    batch (dynamic), against the same run without the scheduler (static); plus the StepLR printout demo."""
    _, _, data = qwerty_split(p, ctx)
    step_size = p["batch_size"] * (len(data[0]) // p["batch_size"])  # the notebook's batchsize*len(train_loader)

    def step_lr(opt):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=p["gamma"])

    dynamic = _qwerty_run(p, ctx, data, sgd(p["lr"]), make_scheduler=step_lr, scheduler_every="batch",
                          record_lr=True)[1]
    static = _qwerty_run(p, ctx, data, sgd(p["lr"]), record_lr=True)[1]
    lr = dynamic["lr"]
    history = dynamic.frame()
    for column in ("train_acc", "test_acc", "lr"):
        history[f"{column}_static"] = static[column]

    demo = _step_lr_demo(p["demo"], p["lr"], p["gamma"])
    metrics = {"scheduler_step_size": step_size,
               **{f"dynamic_{k}": v for k, v in final(dynamic).items()},
               **{f"static_{k}": v for k, v in final(static).items()},
               **{f"lr_epoch_{e}": float(lr[e - 1]) for e in (1, 15, 16, 32, 48) if e <= len(lr)},
               "final_lr": float(lr[-1]), "demo_final_lr": float(demo["lr"].iloc[-1])}
    summary = pd.DataFrame([{"schedule": name, "initial_lr": p["lr"], "final_lr": float(h["lr"][-1]), **final(h)}
                            for name, h in (("dynamic", dynamic), ("static", static))])
    return Result(metrics=metrics, summary=summary, history=history, data={"demo": demo})


def _step_lr_demo(demo: P, lr: float, gamma: float) -> pd.DataFrame:
    """The notebook's printout: a StepLR(step_size=5) read and stepped 10 times per 'epoch' for 3 epochs."""
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=demo["step_size"], gamma=gamma)
    rows = []
    for epoch in range(demo["epochs"]):
        for batch in range(demo["batches"]):
            rows.append({"epoch": epoch, "batch": batch, "step": len(rows), "lr": scheduler.get_last_lr()[0]})
            opt.step()
            scheduler.step()
    return pd.DataFrame(rows)
