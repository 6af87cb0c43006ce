"""Section regularization: each experiment at a tiny scale, asserting what the notebook demonstrates."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from conftest import run_experiment
from dudl import catalog, params as P, results, runner
from dudl.catalog import point_label
from dudl.experiments import regularization as R


def test_dropout_in_pytorch_train_eval_and_functional(project):
    m = run_experiment(project, "regularization/dropout_in_pytorch", scale=1.0).metrics
    assert m["survivor_value"] == 2.0  # kept elements are scaled by 1/(1-p)
    assert m["eval_max_abs_change"] == 0.0  # eval mode passes the input through
    assert m["functional_eval_mode_zeros"] > 0  # F.dropout ignores the module's .eval()
    assert m["functional_training_false_max_abs_change"] == 0.0
    assert 0.47 < m["large_zero_fraction"] < 0.53 and 0.95 < m["large_mean"] < 1.05


def test_dropout_sweep_as_snakemake_jobs_equals_one_process(project):
    """One job per dropout rate and a gather give the same table as `dudl run` in one process."""
    exp = catalog.get("regularization/dropout")
    sliced = P.experiment_slice(P.load(project, overrides=["scale=0.02"]), exp.section, exp.name)
    values = exp.point_values(sliced["experiment"], P.Scale(0.02))
    assert values[0] == 0.0 and len(values) == 3
    for value in values:
        runner.run(exp, sliced, project, point=point_label(value), show_progress=False)
    runner.gather(exp, sliced, project)
    gathered = results.read(project / exp.out_dir)
    whole = run_experiment(project, "regularization/dropout", scale=0.02)
    on_disk = results.read(project / exp.out_dir)
    pd.testing.assert_frame_equal(gathered.summary, on_disk.summary)
    pd.testing.assert_frame_equal(gathered.history, on_disk.history)
    assert list(whole.summary["dropout_rate"]) == values
    assert whole.metrics["representative_dropout_rate"] == 0.0
    assert gathered.metrics == whole.metrics  # bit-identical: point tables are written at full precision


def test_dropout_example2_summarises_every_rate(project):
    r = run_experiment(project, "regularization/dropout_example2", scale=0.05)
    s = r.summary
    assert np.allclose(s["train_minus_test"], s["train_acc"] - s["test_acc"], atol=1e-4)
    assert s["dropout_rate"].is_monotonic_increasing and s["dropout_rate"].iloc[0] == 0.0


def test_l1_penalty_is_mean_absolute_weight_without_biases():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        for i, param in enumerate(model.parameters()):
            param.fill_(-(i + 1.0))  # weights -1 (6 of them) and -3 (3); biases -2 and -4, which must not count
    assert R.l1_penalty(0.5)(model).item() == pytest.approx(0.5 * (6 * 1 + 3 * 3) / 9)


def test_smooth_is_the_courses_zero_padded_boxcar():
    smoothed = R.smooth(np.full(100, 90.0), 10)
    assert smoothed[50] == pytest.approx(90.0)
    # np.convolve(mode='same') with an even width: 5 of 10 samples at the start, 6 at the end
    assert (smoothed[0], smoothed[-1]) == (pytest.approx(45.0), pytest.approx(54.0))


@pytest.mark.parametrize("experiment", ["regularization/l2_regu", "regularization/l1_regu"])
def test_penalty_sweeps_average_the_smoothed_window(project, experiment):
    r = run_experiment(project, experiment, scale=0.05)
    curves, s = r.table("curves"), r.summary
    start, stop = map(int, r.metrics["average_epochs"].split("-"))
    window = curves[(curves["epoch"] > start) & (curves["epoch"] <= stop)]
    expected = window.groupby("lambda")["test_acc"].mean().to_numpy()
    assert np.allclose(s["mean_test_acc"], expected, atol=1e-3)
    assert set(curves["lambda"]) == set(s["lambda"]) and s["lambda"].iloc[0] == 0.0
    assert r.metrics["single_lambda"] > 0 and len(r.history) == curves["epoch"].max()


def test_minibatch_drops_the_last_partial_batch(project):
    m = run_experiment(project, "regularization/minibatch", scale=0.02).metrics
    assert m["batches_per_epoch"] == 7  # 120 training flowers in batches of 16, drop_last


def test_code_challenge_minibatch_one_network_per_batch_size(project):
    r = run_experiment(project, "regularization/code_challenge_minibatch", scale=0.05)
    s = r.summary
    assert list(s["batches_per_epoch"]) == [120 // b for b in s["batch_size"]]
    assert set(r.table("curves")["batch_size"]) == set(s["batch_size"])
    assert r.metrics["representative_batch_size"] == s["batch_size"].min()


def test_test_batch_accuracy_is_the_mean_over_unequal_batches(project):
    m = run_experiment(project, "regularization/test_batch_t2", scale=0.05).metrics
    assert (m["first_test_batch_size"], m["last_test_batch_size"]) == (38, 2)
    b1, b2 = m["final_test_acc_batch_1"], m["final_test_acc_batch_2"]
    assert m["final_test_acc"] == pytest.approx((b1 + b2) / 2, abs=1e-4)  # the course's np.mean(batchAcc)
    assert m["final_test_acc_all_points"] == pytest.approx((38 * b1 + 2 * b2) / 40, abs=1e-4)
