"""Section gpu: the same work on the CPU and, where present, CUDA; without CUDA both run on the CPU and say so."""

import torch

from conftest import run_experiment
from dudl.models.mlp import MLP


def test_implement_times_each_device_it_has_and_says_which(project):
    r = run_experiment(project, "gpu/implement")
    assert r.metrics["ran_on_cuda"] == int(torch.cuda.is_available())
    assert len(r.summary) == 1 + int(torch.cuda.is_available()) and (r.summary["median_ms"] > 0).all()
    assert r.data["cpu_outputs"].shape == (1000, 2) and "median_ms" not in r.metrics  # timings stay out


def test_gpu_port_net_has_no_relu_after_its_input_layer_and_log_softmax_out():
    torch.manual_seed(0)
    net = MLP(4, 3, 1, 2, input_relu=False, output="logsoftmax")
    seen = {}
    net.layers["hidden0"].register_forward_hook(lambda m, inp, out: seen.update(x=inp[0]))
    out = net(torch.randn(64, 4))
    assert (seen["x"] < 0).any()  # the input layer's negative values reach hidden0 unclipped
    assert torch.allclose(out.exp().sum(dim=1), torch.ones(64))
    plain = MLP(4, 3, 1, 2)
    plain.layers["hidden0"].register_forward_hook(lambda m, inp, out: seen.update(y=inp[0]))
    plain(torch.randn(64, 4))
    assert (seen["y"] >= 0).all()


def test_breadth_depth_port_runs_where_it_can(project):
    r = run_experiment(project, "gpu/breadth_depth")
    assert r.metrics["ran_on_cuda"] == int(torch.cuda.is_available())
    row = r.summary.iloc[0]
    u, layers = int(row["units"]), int(row["hidden_layers"])
    assert row["parameters"] == 784 * u + u + layers * (u * u + u) + u * 10 + 10
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert all(device.startswith(expected) for device in r.summary["device"])
