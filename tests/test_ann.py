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
    points = r.table("points")
    assert set(points.columns) == {"x", "y", "prediction"}
    r_data = np.corrcoef(points["prediction"], points["y"])[0, 1] if np.ptp(points["prediction"]) > 0 else 0.0
    assert r.metrics["r_prediction_data"] == pytest.approx(r_data, abs=1e-6)  # the metric is the figure's data
    if np.ptp(points["prediction"]) == 0:  # died flat: a dead ReLU unit predicts one constant
        assert r.metrics["r_prediction_data"] == 0.0
    else:  # learned: y = x + noise/2 gives a strong positive correlation
        assert r.metrics["r_prediction_data"] > 0.6


def test_code_challenge_regression_sweeps_every_slope_and_repetition(project):
    r = run_experiment(project, "ann/code_challenge_regression", scale=0.1)
    s = r.summary
    assert s.groupby("slope").size().nunique() == 1  # same repetitions at every slope
    assert r.metrics["models_trained"] == len(s) + 1
    assert s["r_prediction_data"].between(-1, 1).all()


def test_learning_rates_counts_every_model(project):
    """At the course's settings (about 10 s: the models train stacked), the notebook's 2,041 models: one at
    lr .01, 40 learning rates, and 50 repetitions of the 40."""
    r = run_experiment(project, "ann/learning_rates", scale=1.0, figures=False)
    assert r.metrics["models_trained"] == 2041
    sweep = r.summary.query("phase == 'sweep'")
    meta = r.summary.query("phase == 'meta'")
    assert len(sweep) == 40 and sorted(meta["repetition"].unique()) == list(range(50)) and len(meta) == 2000
    np.testing.assert_allclose(sorted(sweep["lr"]), np.linspace(0.001, 0.1, 40))
    assert r.data["sweep_losses"].shape == (1000, 40)


def test_multioutput_probabilities_are_the_saved_models_and_give_its_accuracy(project):
    import torch

    from dudl.checkpoints import load_checkpoint
    from dudl.data import tabular
    from dudl.models.mlp import mlp

    r = run_experiment(project, "ann/multioutput", scale=0.05)
    probs = r.data["probabilities"]
    assert probs.shape == (150, 3)
    model = mlp([4, 64, 64, 3])
    load_checkpoint(project / "results/ann/multioutput/model.pt", model)
    _, x, y = tabular.iris(project / "data/processed/iris/iris.csv")
    with torch.no_grad():
        expected = torch.softmax(model(torch.tensor(x)), dim=1).numpy()
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-7)
    assert np.array_equal(r.data["labels"], y)
    assert r.metrics["final_accuracy"] == pytest.approx(100 * np.mean(probs.argmax(1) == y))


@pytest.mark.parametrize("experiment", ["ann/classify_qwerties", "ann/code_challenge_qwerties", "ann/multilayer",
                                        "ann/code_challenge_seq2class", "ann/n_hidden_units"])
def test_classifiers_report_accuracies_in_percent(project, experiment):
    """Percent, not fractions: every accuracy is a whole number of points out of the data, times 100/n; and at
    least one is above 1 (a fraction never is)."""
    r = run_experiment(project, experiment, scale=0.02)
    numbers = [v for k, v in r.metrics.items() if "accuracy" in k and isinstance(v, float)]
    n = 150 if experiment == "ann/n_hidden_units" else (300 if experiment == "ann/code_challenge_qwerties" else 200)
    assert numbers and all(0 <= v <= 100 for v in numbers)
    assert max(numbers) > 1
    for value in numbers:
        assert value * n / 100 == pytest.approx(round(value * n / 100), abs=1e-3), (value, n)


def test_breadth_vs_depth_counts_parameters_of_the_intended_model(project):
    r = run_experiment(project, "ann/breadth_vs_depth", scale=0.05)
    s = r.summary
    # input 4->U, L hidden U->U, output U->3: the model the notebook meant (nLayers, not nUnits)
    expected = (4 * s.units + s.units) + s.layers * (s.units * s.units + s.units) + (s.units * 3 + 3)
    assert (s.parameters == expected).all()
    assert sorted(s.layers.unique()) == [1, 2, 3, 4, 5]
