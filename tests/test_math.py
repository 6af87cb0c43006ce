"""Section math: each demo notebook's numbers, asserting what the notebook demonstrates."""

import json

import numpy as np
import pytest
from scipy import stats

from conftest import run_experiment


def test_softmax_of_one_two_three_matches_the_course(project):
    r = run_experiment(project, "math/softmax")
    m = r.metrics
    np.testing.assert_allclose([m["softmax_0"], m["softmax_1"], m["softmax_2"]], [0.0900, 0.2447, 0.6652], atol=5e-5)
    assert m["softmax_sum"] == pytest.approx(1.0)
    t = r.table("random")
    assert len(t) == 25 and t["z"].between(-5, 14).all()
    np.testing.assert_allclose(t["manual"], t["torch"], rtol=1e-6)  # nn.Softmax computes the same thing
    assert m["r_manual_torch"] == pytest.approx(1.0, abs=1e-9)


def test_randomseed_reproduces_the_printed_numbers_and_leaves_global_state_alone(project):
    before = np.random.get_state()[1].copy()
    m = run_experiment(project, "math/randomseed").metrics
    assert np.array_equal(before, np.random.get_state()[1])
    assert m["seed_draw_1"] == "[ 0.27626589 -1.85462808  0.62390111  1.14531129  1.03719047]"
    assert m["seed_draw_2"] == "[ 1.88663893 -0.11169829 -0.36210134  0.14867505 -0.43778315]"
    assert m["other_seed_draw_1"] == "[-0.24972681 -1.01951826  2.23461339  0.72764703  1.2921122 ]"
    assert m["other_seed_draw_2"] == "[ 1.15494929 -0.0015467  -0.11196868 -1.08136725  0.10265891]"
    assert m["randomstate_matches_global_seed"] == 1 and m["torch_seed_leaves_numpy_alone"] == 1


def test_entropy_numbers_and_the_list_call_really_fails(project):
    m = run_experiment(project, "math/entropy").metrics
    assert m["wrong_entropy"] == pytest.approx(0.3466, abs=5e-5)
    assert m["entropy"] == pytest.approx(0.5623, abs=5e-5) == m["entropy_two_term"]
    assert m["cross_entropy"] == pytest.approx(1.3863, abs=5e-5)
    assert m["cross_entropy_simplified"] == pytest.approx(m["cross_entropy"])
    assert m["torch_binary_cross_entropy"] == pytest.approx(1.3863, abs=5e-5)
    assert m["torch_binary_cross_entropy_on_lists"].startswith("raises ")


def test_argmin_of_vector_and_matrix(project):
    m = run_experiment(project, "math/argmin").metrics
    assert (m["vector_min"], m["vector_argmin"], m["vector_max"], m["vector_argmax"]) == (-3, 3, 40, 1)
    assert json.loads(m["column_minima"]) == [0, 1, 5] and json.loads(m["row_minima"]) == [0, 5]
    assert m["matrix_argmin"] == 0
    assert json.loads(m["column_argmin"]) == [0, 0, 1] and json.loads(m["row_argmin"]) == [0, 2]
    assert m["numpy_torch_agree"] == 1


def test_dot_product_is_minus_two_every_way(project):
    m = run_experiment(project, "math/dotproduct").metrics
    assert {m[k] for k in ("numpy_dot", "numpy_sum_of_products", "torch_dot", "torch_sum_of_products")} == {-2}


def test_derivatives_from_sympy(project):
    m = run_experiment(project, "math/derivatives1").metrics
    assert m["derivative"] == "4*x" and m["derivative_at_1"] == 4
    assert m["relu_derivative"] == "Heaviside(x)"
    assert m["sigmoid_derivative_at_0"] == pytest.approx(0.25)


def test_product_and_chain_rules_follow_the_params(project):
    m = run_experiment(project, "math/derivatives2").metrics
    assert (m["manual_equals_sympy"], m["wrong_way_equals_sympy"], m["chain_rule_manual_equals_sympy"]) == (1, 0, 1)
    assert m["product_rule_sympy"] == "-36*x**5 + 40*x**4"
    other = run_experiment(project, "math/derivatives2", overrides=["math.derivatives2.f=x**2",
                                                                    "math.derivatives2.g=x**3"], figures=False)
    assert other.metrics["product_rule_sympy"] == "5*x**4"


def test_log_and_exp_invert_each_other(project):
    m = run_experiment(project, "math/log").metrics
    assert m["log_at_smallest_x"] == pytest.approx(np.log(1e-4))
    assert m["max_abs_error_exp_of_log"] < 1e-15 and m["max_abs_error_log_of_exp"] < 1e-15


def test_matrix_mult_shapes_and_the_mixed_product(project):
    m = run_experiment(project, "math/matrix_mult").metrics
    assert (m["numpy_ab_shape"], m["numpy_ct_a_shape"], m["torch_ab_shape"]) == ("3x5", "7x4", "3x5")
    assert m["numpy_a_c"] == "raises ValueError"
    assert (m["torch_a_c2_shape"], m["torch_a_c2_dtype"]) == ("3x7", "torch.float32")
    mixed = m["torch_a_c1_numpy_float64"]
    assert mixed.startswith("raises ") or m["max_abs_difference_a_c1_vs_a_c2"] < 1e-5


def test_mean_and_biased_vs_unbiased_variance(project):
    m = run_experiment(project, "math/meanvar").metrics
    assert m["mean"] == pytest.approx(3.142857, abs=5e-7) == m["mean_by_sum"]
    assert m["var_ddof0"] == pytest.approx(4.1224, abs=5e-5)
    assert m["var_ddof1"] == pytest.approx(4.8095, abs=5e-5) == m["var_manual_unbiased"]
    assert m["large_var_ratio"] == pytest.approx(10000 / 9999)


def test_sampling_means_centre_on_the_population_mean(project):
    r = run_experiment(project, "math/sampling")
    m = r.metrics
    assert m["population_mean"] == 1.625
    assert len(r.data["sample_means"]) == m["experiments"] < 10000  # the scale knob shrinks the count
    assert abs(m["mean_of_sample_means"] - 1.625) < 0.5


def test_transpose_swaps_shapes_and_twice_is_identity(project):
    m = run_experiment(project, "math/transpose").metrics
    assert (m["vector_shape"], m["vector_transposed_shape"]) == ("1x4", "4x1")
    assert (m["matrix_shape"], m["matrix_transposed_shape"]) == ("2x4", "4x2")
    assert m["vector_double_transpose_is_original"] == m["matrix_double_transpose_is_original"] == 1
    assert (m["numpy_type"], m["torch_type"]) == ("numpy.ndarray", "torch.Tensor")


def test_ttest_finds_the_course_effect_and_is_reproducible(project):
    r = run_experiment(project, "math/ttest", scale=1.0)
    g = r.table("groups")
    t, p = stats.ttest_ind(g.query("group == 0")["value"], g.query("group == 1")["value"])
    assert (r.metrics["t"], r.metrics["p"]) == (pytest.approx(t), pytest.approx(p))
    assert r.metrics["t"] < 0 and r.metrics["p"] < 0.05
    again = run_experiment(project, "math/ttest", scale=1.0, figures=False)
    assert again.metrics == r.metrics
