"""Section gradient_descent: the hand-written loop, and each notebook's demonstration."""

import numpy as np
import pytest

from conftest import run_experiment
from dudl.experiments import gradient_descent as gd


def test_descend_matches_the_closed_form_of_the_quadratic():
    run = gd.descend(gd.quadratic_deriv, -0.998, 0.01, 100)
    steps = np.arange(1, 101)
    np.testing.assert_allclose(run.estimate, 0.5 + 0.94 ** steps * (-0.998 - 0.5), rtol=0, atol=1e-12)
    assert run.final == pytest.approx(0.4969, abs=5e-5)  # reference_results 4: -0.998 -> 0.4969
    np.testing.assert_allclose(run.gradient, gd.quadratic_deriv(np.r_[-0.998, run.estimate[:-1]]))


def test_vectorised_sweeps_equal_one_run_at_a_time():
    rates = np.linspace(1e-10, 0.1, 7)
    together = gd.descend(gd.damped_sine_deriv, np.zeros(len(rates)), rates, 60).estimate
    for k, lr in enumerate(rates):
        alone = gd.descend(gd.damped_sine_deriv, 0.0, lr, 60).estimate
        np.testing.assert_allclose(together[:, k], alone, rtol=0, atol=1e-12)
        # a run of N epochs is the first N steps of a longer one (experiment 3 reads them off one path)
        np.testing.assert_allclose(gd.descend(gd.damped_sine_deriv, 0.0, lr, 25).final, alone[24], rtol=0, atol=0)


def test_gd_1d_lands_on_the_minimum(project):
    r = run_experiment(project, "gradient_descent/gd_1d", scale=1.0)
    bound = 2.5 * 0.94 ** 100
    assert abs(r.metrics["final_estimate"] - 0.5) < bound and abs(r.metrics["second_final_estimate"] - 0.5) < bound
    h = r.history
    assert list(h.columns[:3]) == ["epoch", "x", "derivative"] and len(h) == 100
    assert h["x"].iloc[-1] == r.metrics["second_final_estimate"]
    assert abs(h["derivative"]).is_monotonic_decreasing  # steps shrink as the slope flattens


def test_gd_2d_sympy_derivative_and_descent(project):
    r = run_experiment(project, "gradient_descent/gd_2d")
    m = r.metrics
    assert m["derivative_x_at_point"] == pytest.approx(-1.07369833656079, abs=1e-12)
    assert gd.peaks(m["final_x"], m["final_y"]) <= gd.peaks(m["start_x"], m["start_y"])
    assert -2 <= m["start_x"] <= 2 and -2 <= m["start_y"] <= 2
    assert r.data["landscape"].shape == (201, 201)


def test_unfortunate_start_never_moves(project):
    r = run_experiment(project, "gradient_descent/code_challenge_start_value")
    assert r.metrics["unfortunate_final_estimate"] == 0.0 and r.metrics["unfortunate_moved"] == 0
    assert (r.history["derivative_unfortunate_start"] == 0).all()
    assert r.metrics["global_minimum"] == pytest.approx(-0.476, abs=1e-3)


def test_dynamic_learning_rates_follow_their_schedules(project):
    r = run_experiment(project, "gradient_descent/code_challenge_lr", scale=1.0)
    h, m = r.history, r.metrics
    assert len(h) == 50
    assert (h["lr_fixed"] == 0.01).all()
    np.testing.assert_allclose(h["lr_grad"], 0.01 * np.abs(h["derivative_grad"]))
    np.testing.assert_allclose(h["lr_time"], 0.1 * (1 - np.arange(1, 51) / 50), atol=1e-15)
    assert m["time_start"] == m["grad_start"]  # the notebook reuses the grad run's initval
    assert m["time_error"] < m["fixed_error"] and m["time_error"] < 1e-3


def test_parametric_experiments(project):
    r = run_experiment(project, "gradient_descent/experiment", scale=0.1)
    d = r.data
    assert d["final_by_rate_epochs"].shape == (len(d["rates"]), len(d["epochs"]))
    assert len(r.summary) == len(d["starts"]) + len(d["rates"]) * (1 + len(d["epochs"]))
    assert r.metrics["global_minimum"] == pytest.approx(-1.4289, abs=1e-3)
    # larger learning rates get further from the start 0 towards the minimum within the same epochs
    assert np.all(np.diff(d["final_by_rate"]) <= 0)
