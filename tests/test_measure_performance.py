"""Section measure_performance: each experiment at a tiny scale (the simulation at full scale), asserting what
the notebook demonstrates and that its measures are scikit-learn's on its own predictions."""

import numpy as np
import pytest

from conftest import run_experiment
from dudl import catalog, performance

SMALL = 0.1  # MNIST at 2,000 digits: enough for the per-digit measures to mean something


def test_aprf_simulation_measures_follow_from_the_counts(project):
    r = run_experiment(project, "measure_performance/aprf", scale=1.0)
    sim, m = r.table("simulation"), r.metrics
    assert len(sim) == m["experiments"] == 10000
    assert ((sim.tp >= 1) & (sim.tp <= 49) & (sim.tn >= 1) & (sim.tn <= 49)).all()
    assert ((sim.tp + sim.fn) == 50).all() and ((sim.tn + sim.fp) == 50).all()
    np.testing.assert_allclose(sim.accuracy, (sim.tp + sim.tn) / 100)
    np.testing.assert_allclose(sim.f1, 2 * sim.precision * sim.recall / (sim.precision + sim.recall))
    assert m["accuracy_mean"] == pytest.approx(0.5, abs=0.01)
    # The notebook's point: at one accuracy, F1 still ranges widely.
    assert m["f1_range_at_accuracy_half"] > 0.3 and 0.5 < m["corr_accuracy_f1"] < 1


def test_wine_measures_are_sklearns_and_train_beats_test(project):
    r = run_experiment(project, "measure_performance/aprf_wine", scale=0.05)
    m = r.metrics
    for split in ("train", "test"):
        confusion = r.data["confusion_" + split]
        tn, fp, fn, tp = confusion.ravel()
        course = performance.from_counts(tp, fp, tn, fn)
        for measure in performance.MEASURES:
            assert m[f"{split}_{measure}"] == pytest.approx(float(course[measure])), (split, measure)
    assert r.data["confusion_train"].sum() + r.data["confusion_test"].sum() == 1597
    assert m["train_accuracy"] > 0.6  # 50 epochs of SGD already learn something


def test_mnist_measures_per_digit_and_confusion(project):
    r = run_experiment(project, "measure_performance/aprf_mnist", scale=SMALL)
    m, table = r.metrics, r.table("per_class")
    assert table["class"].tolist() == list(range(10)) and 195 <= table["n"].sum() <= 205  # 10% of ~2,000
    assert m["test_accuracy"] > 0.75
    assert m["test_recall"] == pytest.approx(m["test_accuracy"])  # weighted recall is accuracy
    assert m["recall_gap"] == pytest.approx(table.recall.max() - table.recall.min())
    # Each gap names its own classes: the precision gap must not overwrite the recall gap's.
    assert m["worst_recall_class"] == int(table.loc[table.recall.idxmin(), "class"])
    assert m["best_precision_class"] == int(table.loc[table.precision.idxmax(), "class"])
    np.testing.assert_allclose(r.data["confusion_test"].sum(axis=1), 1.0)
    assert r.history["test_acc"].iloc[-1] == pytest.approx(100 * m["test_accuracy"], abs=1e-3)


def test_unequal_groups_remove_sevens_and_report_the_gap(project):
    r = run_experiment(project, "measure_performance/code_challenge_unequal", scale=SMALL)
    m, counts = r.metrics, r.table("counts")
    assert m["rows_before"] == 20000 and m["sevens_after"] == 500
    assert m["rows_after"] == 20000 - (m["sevens_before"] - 500)
    assert counts.loc[7, "after"] == 500 and (counts.drop(index=7)["after"] == counts.drop(index=7)["before"]).all()
    assert m["seven_recall"] == pytest.approx(float(r.table("per_class").recall[7]))
    assert m["worst_recall"] <= m["seven_recall"] <= m["best_recall"]
    # Few sevens in training: their share in the test set is small too (stratified subset, then a random split).
    assert r.table("per_class").n[7] < r.table("per_class").n.drop(index=7).min()


def test_computation_time_stays_out_of_metrics(project):
    r = run_experiment(project, "measure_performance/time", scale=0.02)
    timings, m = r.summary, r.metrics
    first = timings[timings.training == "first"]
    assert len(first) == len(r.history) and (first.epoch_cpu_seconds > 0).all()
    assert np.all(np.diff(first.cpu_seconds) > 0)
    assert (timings.training != "first").sum() == m["repetitions"] >= 2
    assert not any("second" in k or "time" in k for k in m), "timings must not reach metrics.json"
