"""Section ffn_milestone: the three FFN milestone projects: an adding machine trained one pair at a time, heart
disease from the UCI Cleveland table, and residual sugar interpolated where it is missing."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.data import tabular
from dudl.experiments.common import binary_targets, final, split
from dudl.experiments.training import adam, predict, train_run
from dudl.models.mlp import mlp
from dudl.results import Result

P = Mapping[str, Any]
HEART_FEATURES = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope",
                  "ca", "thal"]
HEART_BINARY = ["sex", "fbs", "exang"]  # 0/1 columns the course leaves unscaled


# ---------------------------------------------------------------- project 1: the adding machine


def _pairs(rng: np.random.Generator, p: P) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(p["low"], p["high"] + 1, (p["n"], 2)).astype(np.float32)
    return x, x.sum(axis=1, keepdims=True)


def sum_accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Percent of predictions within 1 of the true sum (the course's |prediction - sum| < 1)."""
    return ((output - target).abs() < 1).float().mean() * 100


def adding_machine(p: P, ctx) -> Result:
    """`instances` fresh models, each trained on its own 2,000 pairs one pair per step (the course's "minibatch"
    of one sample), each tested on 2,000 new pairs."""
    rows = []
    for instance in range(ctx.scale.reps(p["instances"])):
        x_train, y_train = _pairs(ctx.rng("train", instance), p)
        x_test, y_test = _pairs(ctx.rng("test", instance), p)
        model, history, _ = train_run(ctx, (x_train, x_test, y_train, y_test), lambda: mlp(p["layers"]),
                                      nn.MSELoss(), adam(p["lr"]), 1, ctx.scale.epochs(p["epochs"]),
                                      ("instance", instance), metric=sum_accuracy, drop_last=False,
                                      show_progress=ctx.show_progress)
        pred_train, pred_test = predict(model, x_train, ctx.device), predict(model, x_test, ctx.device)
        rows.append({"instance": instance + 1,
                     "train_acc": float((np.abs(pred_train - y_train) < 1).mean() * 100),
                     "test_acc": float((np.abs(pred_test - y_test) < 1).mean() * 100),
                     "final_train_loss": float(history["train_loss"][-1])})
    # The figure shows the last instance on its test pairs, as the course plots its last model.
    last = pd.DataFrame({"a": x_test[:, 0], "b": x_test[:, 1], "true": y_test[:, 0], "predicted": pred_test[:, 0]})
    table = pd.DataFrame(rows)
    return Result(
        metrics={"instances": len(table), "median_test_acc": float(table["test_acc"].median()),
                 "median_train_acc": float(table["train_acc"].median()),
                 "instances_test_acc_above_95": int((table["test_acc"] > 95).sum()),
                 "worst_test_acc": float(table["test_acc"].min())},
        summary=table, data={"instances": table, "predictions": last},
    )


# ---------------------------------------------------------------- project 2: heart disease


def heart_disease(p: P, ctx) -> Result:
    """The Cleveland table without the rows that have a '?', every feature but the 0/1 ones z-scored, disease =
    DISEASE > 0; `test_count` rows held out (the course's test_size=50)."""
    raw = tabular.read_checked_csv(ctx.data_file("heart_disease", "heart.csv"), [*HEART_FEATURES, "num"])
    complete = raw.dropna().reset_index(drop=True)
    scaled = tabular.zscore(complete, [c for c in HEART_FEATURES if c not in HEART_BINARY])
    x = scaled[HEART_FEATURES].to_numpy(np.float32)
    y = binary_targets((scaled["num"] > 0).to_numpy())
    data = split(x, y, p["test_count"], ctx.seed_for("split"))
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"]), nn.BCEWithLogitsLoss(), adam(p["lr"]),
                                  p["batch_size"], ctx.scale.epochs(p["epochs"]), "model",
                                  show_progress=ctx.show_progress)
    counts = complete["num"].value_counts().sort_index()
    metrics = {"rows_raw": len(raw), "rows": len(complete), "rows_with_missing": len(raw) - len(complete),
               **{f"disease_{int(k)}": int(v) for k, v in counts.items()},
               "disease_share": float((complete["num"] > 0).mean()),
               "train_rows": len(data[0]), "test_rows": len(data[1]), **final(history)}
    return Result(
        metrics=metrics,
        summary=pd.DataFrame({"disease": counts.index.astype(int), "rows": counts.to_numpy()}),
        history=history.frame(),
        data={"raw": complete[HEART_FEATURES], "scaled": scaled[HEART_FEATURES]},
        models={"model": model.state_dict()},
    )


# ---------------------------------------------------------------- project 3: interpolating missing data


def missing_data(p: P, ctx) -> Result:
    """All 12 wine columns z-scored (no outlier removal here), `missing` random rows' residual sugar removed; the
    net learns sugar from the other 11 columns on the complete rows and fills in the removed ones."""
    frame = tabular.wine(ctx.data_file("wine_quality", "wine.csv"))
    z = tabular.zscore(frame, list(frame.columns))
    inputs = [c for c in z.columns if c != "residual sugar"]
    removed = np.sort(ctx.rng("missing").choice(len(z), size=p["missing"], replace=False))
    kept = np.setdiff1d(np.arange(len(z)), removed)
    x, y = z[inputs].to_numpy(np.float32), z[["residual sugar"]].to_numpy(np.float32)
    data = (x[kept], x[removed], y[kept], y[removed])
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"]), nn.MSELoss(), adam(p["lr"]),
                                  p["batch_size"], ctx.scale.epochs(p["epochs"]), "model", metric=None,
                                  show_progress=ctx.show_progress)
    pred_train, pred_test = predict(model, x[kept], ctx.device)[:, 0], predict(model, x[removed], ctx.device)[:, 0]
    r_train = float(np.corrcoef(pred_train, y[kept, 0])[0, 1])
    r_test = float(np.corrcoef(pred_test, y[removed, 0])[0, 1])
    predictions = pd.concat([pd.DataFrame({"split": "train", "predicted": pred_train, "true": y[kept, 0]}),
                             pd.DataFrame({"split": "test", "predicted": pred_test, "true": y[removed, 0]})],
                            ignore_index=True)
    return Result(
        metrics={"rows_complete": len(kept), "rows_missing": len(removed), "train_r": r_train, "test_r": r_test,
                 "final_train_loss": float(history["train_loss"][-1])},
        summary=pd.DataFrame({"row": removed, "true": y[removed, 0], "interpolated": pred_test}),
        history=history.frame()[["epoch", "train_loss"]],
        data={"predictions": predictions},
        models={"model": model.state_dict()},
    )
