"""Section overfitting: each experiment at a tiny scale, asserting what the notebook demonstrates."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from conftest import run_experiment
from dudl.experiments import overfitting as O


def test_manual_split_holds_out_a_fifth_of_the_flowers(project):
    r = run_experiment(project, "overfitting/manual", scale=0.05)
    m = r.metrics
    assert (m["train_size"], m["test_size"]) == (120, 30)
    assert m["mean_label_all"] == 1.0  # 50 flowers of each species: labels 0, 1, 2 average to 1
    counts = r.table("counts")
    assert counts["flowers"].sum() == 150
    assert counts.groupby("species")["flowers"].sum().eq(50).all()
    assert 0 <= m["test_accuracy"] <= 100 and {"train_acc", "test_acc"} <= set(r.history.columns)


@pytest.mark.parametrize("proportion", [0.2, 0.2833333, 0.45, 0.8, 0.95])
def test_test_count_matches_a_train_size_split(proportion):
    n = 150
    _, x_test = train_test_split(np.arange(n), train_size=proportion, random_state=0)
    assert O.test_count(n, proportion) == len(x_test)


def test_a_fresh_split_is_drawn_every_epoch(project):
    from dudl import catalog, params as P
    from dudl.runner import make_context

    exp = catalog.get("overfitting/scikitlearn")
    ctx = make_context(exp, P.experiment_slice(P.load(project), exp.section, exp.name), project, show_progress=False)
    x = np.arange(150, dtype=np.float32).reshape(-1, 1)
    y = np.arange(150)
    batches = O.FreshSplitEveryEpoch(ctx, x, y, 0.8, ("test",))
    seen = []
    for _ in range(2):
        (xb, _), = list(batches)
        (xt, _), = list(batches.test)
        train_rows, test_rows = set(xb[:, 0].tolist()), set(xt[:, 0].tolist())
        assert (len(train_rows), len(test_rows)) == (120, 30)
        assert train_rows.isdisjoint(test_rows) and len(train_rows | test_rows) == 150
        seen.append(test_rows)
    assert seen[0] != seen[1]


def test_scikitlearn_sweeps_every_training_proportion(project):
    r = run_experiment(project, "overfitting/scikitlearn", scale=0.05)
    assert (r.metrics["fake_train_rows"], r.metrics["fake_test_rows"]) == (8, 2)
    props = r.data["proportions"]
    assert r.data["train_acc"].shape == r.data["test_acc"].shape == (len(props), len(r.history))
    assert list(r.summary["train_size"]) == [150 - O.test_count(150, q) for q in props]


def test_data_loader_batches(project):
    m = run_experiment(project, "overfitting/data_loader", scale=0.05).metrics
    assert (m["train_batches_per_epoch"], m["test_batches"]) == (10, 1)  # 120 flowers in 12s; 30 in one batch
    assert (m["fake_train_batches"], m["fake_test_batches"]) == (2, 2)  # 8 rows in 4s; 2 rows one at a time


def test_regression_reports_train_and_test_error(project):
    r = run_experiment(project, "overfitting/regression", scale=0.2)
    m = r.metrics
    assert (m["n_train"], m["n_test"]) == (80, 20)
    assert m["train_mse"] == pytest.approx(r.history["train_loss"].iloc[-1], rel=1e-5)
    assert m["test_mse"] == pytest.approx(r.history["test_loss"].iloc[-1], rel=1e-5)
    assert r.history["train_loss"].iloc[-1] < r.history["train_loss"].iloc[0]


def test_train_devset_test_splits_8_1_1_both_ways(project):
    r = run_experiment(project, "overfitting/train_devset_test", scale=1.0)
    m = r.metrics
    for method in ("sklearn", "manual"):
        assert [m[f"{method}_{part}_size"] for part in ("train", "devset", "test")] == [8, 1, 1]
        rows = r.table("assignment").query("method == @method")["row"]
        assert sorted(rows) == list(range(10))  # every row in exactly one partition
    assert m["manual_boundaries"] == "8 9 10"
    assert m["literal_second_split_raises"] == 1  # the course's train_size=.1 of 2 rows
