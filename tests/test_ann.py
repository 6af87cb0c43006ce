"""Section ANN: each experiment at a tiny scale, asserting what the notebook demonstrates."""

import numpy as np
import pytest

from conftest import run_experiment


def test_num_parameters_match_the_course(project):
    m = run_experiment(project, "ann/num_parameters", scale=1.0).metrics
    assert (m["wide_parameters"], m["deep_parameters"]) == (27, 21)
    assert (m["wide_nodes"], m["deep_nodes"]) == (7, 7)


def test_sequential_and_class_definitions_are_the_same_model(project):
    m = run_experiment(project, "ann/seq_vs_class", scale=0.05).metrics
    assert m["max_abs_loss_difference_class_vs_sequential"] == 0.0


def test_regression_learns_a_positive_correlation_or_dies_flat(project):
    r = run_experiment(project, "ann/regression", scale=0.2)
    assert r.history["train_loss"].iloc[-1] < r.history["train_loss"].iloc[0]
    assert set(r.table("points").columns) == {"x", "y", "prediction"}


def test_code_challenge_regression_sweeps_every_slope_and_repetition(project):
    r = run_experiment(project, "ann/code_challenge_regression", scale=0.1)
    s = r.summary
    assert s.groupby("slope").size().nunique() == 1  # same repetitions at every slope
    assert r.metrics["models_trained"] == len(s) + 1
    assert s["r_prediction_data"].between(-1, 1).all()


def test_learning_rates_counts_every_model(project):
    r = run_experiment(project, "ann/learning_rates", scale=0.05)
    sweep = r.summary.query("phase == 'sweep'")
    meta = r.summary.query("phase == 'meta'")
    assert len(meta) == meta["repetition"].nunique() * len(sweep)
    assert r.metrics["models_trained"] == 1 + len(sweep) + len(meta)
    assert r.data["sweep_losses"].shape[1] == len(sweep)


def test_multioutput_probabilities_sum_to_one(project):
    r = run_experiment(project, "ann/multioutput", scale=0.05)
    probs = r.data["probabilities"]
    assert probs.shape == (150, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("experiment", ["ann/classify_qwerties", "ann/code_challenge_qwerties", "ann/multilayer",
                                        "ann/code_challenge_seq2class", "ann/n_hidden_units"])
def test_classifiers_report_accuracies_in_percent(project, experiment):
    r = run_experiment(project, experiment, scale=0.02)
    numbers = [v for k, v in r.metrics.items() if "accuracy" in k and isinstance(v, float)]
    assert numbers and all(0 <= v <= 100 for v in numbers)


def test_breadth_vs_depth_counts_parameters_of_the_intended_model(project):
    r = run_experiment(project, "ann/breadth_vs_depth", scale=0.05)
    s = r.summary
    # input 4->U, L hidden U->U, output U->3: the model the notebook meant (nLayers, not nUnits)
    expected = (4 * s.units + s.units) + s.layers * (s.units * s.units + s.units) + (s.units * 3 + 3)
    assert (s.parameters == expected).all()
    assert sorted(s.layers.unique()) == [1, 2, 3, 4, 5]
