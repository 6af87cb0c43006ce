"""Section ffn_milestone: each project at a tiny scale, asserting what its notebook builds and finds."""

import numpy as np
import pytest
import torch

from conftest import run_experiment
from dudl.experiments import ffn_milestone as F


def test_sum_accuracy_counts_predictions_within_one():
    out = torch.tensor([[3.4], [2.0], [-5.1], [7.0]])
    target = torch.tensor([[3.0], [3.0], [-5.0], [5.0]])
    assert float(F.sum_accuracy(out, target)) == pytest.approx(50.0)  # 0.4 and 0.1 off: right; 1.0, 2.0: wrong


def test_adding_machine_trains_fresh_instances_on_integer_pairs(project):
    r = run_experiment(project, "ffn_milestone/adding_machine", scale=0.02)
    pred, table = r.table("predictions"), r.table("instances")
    assert len(pred) == 2000 and np.array_equal(pred["true"], pred["a"] + pred["b"])
    assert pred[["a", "b"]].min().min() >= -10 and pred[["a", "b"]].max().max() <= 10
    assert set(np.unique(pred["a"])) <= set(range(-10, 11)) and len(np.unique(pred["a"])) == 21
    assert len(table) == r.metrics["instances"] >= 2
    last = (np.abs(pred["predicted"] - pred["true"]) < 1).mean() * 100
    assert table["test_acc"].iloc[-1] == pytest.approx(last)
    assert r.metrics["median_test_acc"] == pytest.approx(float(table["test_acc"].median()))


def test_heart_disease_drops_missing_rows_and_scales_all_but_binary_columns(project):
    r = run_experiment(project, "ffn_milestone/heart_disease", scale=0.1)
    m = r.metrics
    assert (m["rows_raw"], m["rows"], m["rows_with_missing"]) == (303, 297, 6)
    assert [m[f"disease_{k}"] for k in range(5)] == [160, 54, 35, 35, 13]  # the course's value counts
    assert (m["train_rows"], m["test_rows"]) == (247, 50)
    scaled, raw = r.table("scaled"), r.table("raw")
    for column in F.HEART_BINARY:
        assert np.array_equal(scaled[column], raw[column])
    others = [c for c in F.HEART_FEATURES if c not in F.HEART_BINARY]
    np.testing.assert_allclose(scaled[others].mean(), 0, atol=1e-9)
    np.testing.assert_allclose(scaled[others].std(ddof=0), 1, atol=1e-9)


def test_missing_data_interpolates_the_removed_sugar_values(project):
    r = run_experiment(project, "ffn_milestone/missing_data", scale=0.1)
    m, filled = r.metrics, r.summary
    assert (m["rows_complete"], m["rows_missing"]) == (1589, 10)
    assert len(set(filled["row"])) == 10
    assert m["train_r"] > 0.5  # 40 epochs already learn sugar from the other columns
    assert r.history["train_loss"].iloc[-1] < r.history["train_loss"].iloc[0]
