"""Section weights: the demo nets' shapes and counts against the course's printouts, each init rule, seeding,
freezing, the per-epoch weight measures, and each notebook at a tiny scale."""

import numpy as np
import pytest
import torch
from torch import nn

from conftest import run_experiment
from dudl.catalog.weights import weight_std_points
from dudl.experiments import weights as W
from dudl.models.mlp import mlp
from dudl.models.stacked import StackedMLP
from dudl.params import Scale


def test_matrix_sizes_match_the_course_and_the_inconsistent_model_fails(project):
    r = run_experiment(project, "weights/matrix_sizes")
    assert r.summary["weight_shape"].tolist() == ["[14, 10]", "[19, 14]", "[8, 19]"]
    assert (r.metrics["output_rows"], r.metrics["output_columns"]) == (5, 8)
    assert r.metrics["broken_model_fails"] == 1
    assert r.table("outcome").set_index("model").loc["inconsistent", "result"] == "raises RuntimeError"


def test_set_initial_changes_only_what_each_demo_says():
    torch.manual_seed(0)
    base = mlp([784, 64, 32, 32, 10])
    fc1 = W.set_initial(mlp([784, 64, 32, 32, 10]), "fc1_zero")
    layers = W.named_layers(fc1)
    assert torch.count_nonzero(layers["fc1"].weight) == 0 and torch.count_nonzero(layers["fc1"].bias) > 0
    assert torch.count_nonzero(layers["fc2"].weight) == layers["fc2"].weight.numel()
    zero, one = W.set_initial(base, "all_zero"), W.set_initial(mlp([784, 64, 32, 32, 10]), "all_one")
    assert all(torch.count_nonzero(q) == 0 for q in zero.parameters())
    assert all(bool((q == 1).all()) for q in one.parameters())
    with pytest.raises(ValueError, match="unknown initial condition"):
        W.set_initial(mlp([2, 2]), "twos")


def test_xavier_kaiming_counts_and_variances_match_the_course(project):
    r = run_experiment(project, "weights/xavier_kaiming")
    assert (r.metrics["biases"], r.metrics["weights"]) == (402, 40200)  # the course prints 402 and 40,200
    assert r.metrics["fc1_weight_max_abs"] <= 0.1 and r.metrics["fc1_bias_max_abs"] <= 0.1
    assert r.metrics["fc1_xavier_variance"] == pytest.approx(0.01, rel=0.05)  # 10,000 draws: within 5%
    assert r.metrics["output_xavier_variance_theory"] == pytest.approx(2 / 102)


def test_init_stack_gives_each_stacked_model_its_own_rule():
    torch.manual_seed(0)
    stack = W.init_stack(StackedMLP(4, [11, 16, 32]), ["xavier", "xavier", "kaiming", "kaiming"])
    w = stack.weights[1]  # [models, in 16, out 32]
    kaiming_bound = np.sqrt(6 / 16)  # kaiming_uniform_ for ReLU: U(-sqrt(6/fan_in), sqrt(6/fan_in))
    assert float(w[2:].abs().max()) <= kaiming_bound and float(w[2:].abs().max()) > 0.8 * kaiming_bound
    xavier_std = np.sqrt(2 / (16 + 32))
    assert float(w[:2].std()) == pytest.approx(xavier_std, rel=0.15)
    assert not torch.equal(w[0], w[1])  # independent draws
    with pytest.raises(ValueError, match="unknown init"):
        W.init_stack(StackedMLP(1, [2, 1]), ["zeros"])


def test_identical_random_seeds_repeat_exactly(project):
    r = run_experiment(project, "weights/identical_random")
    assert r.metrics["max_abs_diff_seed1_seed1_again"] == 0
    assert r.metrics["max_abs_diff_seed1_seed2"] > 0 and r.metrics["max_abs_diff_seed1_unseeded"] > 0
    assert r.metrics["weights"] == 25  # 2*8 + 8*1 + 1*1


def test_freeze_body_keeps_frozen_layers_fixed_and_lets_them_learn_after():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    body = list(model[0].parameters())
    freeze = W.FreezeBody(body, until=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
    head_before = model[2].weight.detach().clone()
    for epoch in range(2):
        freeze.apply(epoch)
        if epoch == 0:
            assert not any(q.requires_grad for q in body)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert freeze.moved == 0.0  # measured when learning switched on, before the body's first step
    assert not torch.equal(model[2].weight, head_before)
    assert not torch.equal(model[0].weight, freeze.initial[0])  # it learns once unfrozen
    copy = W.FreezeBody(body, until=1)
    copy.load_state_dict(freeze.state_dict())
    assert copy.moved == 0.0 and torch.equal(copy.initial[0], freeze.initial[0])


def test_weight_tracker_measures_change_and_condition_like_numpy():
    torch.manual_seed(0)
    model = mlp([784, 64, 32, 32, 10])
    tracker = W.WeightTracker(W.named_layers(model))
    before = model[0].weight.detach().numpy().copy()
    with torch.no_grad():
        model[0].weight.add_(0.01)
    values = tracker.record()
    after = model[0].weight.detach().numpy()
    assert float(values["change_input"]) == pytest.approx(np.linalg.norm(after - before), rel=1e-4)
    assert float(values["cond_fc1"]) == pytest.approx(np.linalg.cond(model[2].weight.detach().numpy()), rel=1e-3)
    assert float(tracker.record()["change_input"]) == 0.0  # the next epoch measures from here


def test_weight_std_grid_is_the_course_logspace():
    p = {"stds": {"start": 1e-4, "stop": 10.0, "num": 25, "log": True}}
    points = weight_std_points(p, Scale(1.0))
    assert len(points) == 25 and points[0] == "std0.0001" and points[-1] == "std10"


def test_demo_inits_all_zero_net_keeps_its_weights_at_zero(project):
    r = run_experiment(project, "weights/demo_inits")
    assert r.metrics["all_zero_nonzero_weights"] == 0
    assert r.metrics["all_zero_output_bias_std"] > 0  # only the output biases learn
    assert set(r.summary["condition"]) == set(W.INIT_CONDITIONS)
    assert len(r.table("runs")) == 4 * len(r.history)


def test_xavier_kaiming_challenge_tests_each_measure(project):
    r = run_experiment(project, "weights/xavier_kaiming_challenge")
    reps = r.metrics["repetitions"]
    assert len(r.summary) == 2 * reps and set(r.summary["init"]) == {"xavier", "kaiming"}
    for column in ("train_loss", "train_acc", "test_acc"):
        assert 0 <= r.metrics[f"p_{column}"] <= 1
    x = r.summary.loc[r.summary["init"] == "xavier", "test_acc"]
    assert r.metrics["mean_test_acc_xavier"] == pytest.approx(x.mean())


def test_weight_std_sweep_and_freezing_and_weight_changes_run(project):
    s = run_experiment(project, "weights/weight_std")
    assert s.metrics["largest_std"] == 10 and len(s.table("histograms")) == 80 * len(s.summary)
    f = run_experiment(project, "weights/freeze_weights")
    assert f.metrics["frozen_body_changed"] == 0.0 and 1 <= f.metrics["frozen_epochs"] < len(f.history)
    c = run_experiment(project, "weights/weight_changes")
    assert all(f"cond_{n}" in c.history and f"change_{n}" in c.history for n in W.LAYER_NAMES)
    assert (c.history[[f"change_{n}" for n in W.LAYER_NAMES]] > 0).all().all()
