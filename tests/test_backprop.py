"""dudl.backprop: the hand-made backward must give autograd's numbers bit for bit, and stand aside wherever it
does not apply."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

import pytest
import torch
from torch import nn

from dudl import backprop, backprop_native
from dudl.models.autoencoders import CodeAutoencoder
from dudl.models.mlp import MLP, mlp
from dudl.train import Batches, Later, StepTools, accuracy, fit, supervised_step


def _labels(n: int, classes: int, g: torch.Generator) -> torch.Tensor:
    return torch.randint(0, classes, (n,), generator=g)


def _binary(n: int, g: torch.Generator) -> torch.Tensor:
    return torch.randint(0, 2, (n, 1), generator=g).float()


# (name, build the net, loss, targets(n, generator), make the optimizer, inputs)
CASES = [
    ("mnist net, CE, SGD", lambda: mlp([20, 16, 8, 8, 10]), nn.CrossEntropyLoss(), lambda n, g: _labels(n, 10, g),
     lambda p: torch.optim.SGD(p, lr=0.05), 20),
    ("breadth x depth net, CE, SGD", lambda: MLP(20, 12, 2, 10), nn.CrossEntropyLoss(),
     lambda n, g: _labels(n, 10, g), lambda p: torch.optim.SGD(p, lr=0.05), 20),
    ("GPU port: no input ReLU, log_softmax, NLL", lambda: MLP(20, 12, 1, 10, input_relu=False, output="logsoftmax"),
     nn.NLLLoss(), lambda n, g: _labels(n, 10, g), lambda p: torch.optim.SGD(p, lr=0.05), 20),
    ("qwerties, BCE with logits", lambda: mlp([2, 1, 1]), nn.BCEWithLogitsLoss(), _binary,
     lambda p: torch.optim.SGD(p, lr=0.1), 2),
    ("sigmoid output, BCE", lambda: mlp([2, 8, 1], output="sigmoid"), nn.BCELoss(), _binary,
     lambda p: torch.optim.SGD(p, lr=0.1), 2),
    ("regression, MSE, Adam", lambda: mlp([11, 16, 32, 1]), nn.MSELoss(),
     lambda n, g: torch.randn(n, 1, generator=g), lambda p: torch.optim.Adam(p, lr=0.01), 11),
    ("tanh, leaky ReLU, RMSprop", lambda: nn.Sequential(nn.Linear(4, 9), nn.Tanh(), nn.Linear(9, 9),
                                                         nn.LeakyReLU(0.1), nn.Linear(9, 3)),
     nn.CrossEntropyLoss(), lambda n, g: _labels(n, 3, g), lambda p: torch.optim.RMSprop(p, lr=0.01), 4),
    ("sigmoid hidden, softmax into NLL (the course's mistake), momentum",
     lambda: nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Sequential(nn.Linear(6, 3)), nn.Softmax(dim=1)),
     nn.NLLLoss(), lambda n, g: _labels(n, 3, g), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 4),
    ("activations after activations (none may run in place)",
     lambda: nn.Sequential(nn.Tanh(), nn.Linear(4, 6), nn.Tanh(), nn.ReLU(), nn.Linear(6, 6), nn.Sigmoid(),
                           nn.Tanh(), nn.Linear(6, 3)),
     nn.CrossEntropyLoss(), lambda n, g: _labels(n, 3, g), lambda p: torch.optim.SGD(p, lr=0.1), 4),
    ("no biases, weight decay", lambda: nn.Sequential(nn.Linear(5, 7, bias=False), nn.ReLU(),
                                                       nn.Linear(7, 2, bias=False)),
     nn.CrossEntropyLoss(), lambda n, g: _labels(n, 2, g), lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01), 5),
]


def _train(case, batch_size: int, steps: int, hand: bool, monkeypatch, native: bool = False) -> dict:
    _, build, loss_fn, targets, make_opt, n_in = case
    monkeypatch.setenv(backprop.ENV, "0" if hand else "1")
    monkeypatch.setenv(backprop_native.ENV, "1" if native else "0")
    g = torch.Generator().manual_seed(3)
    x = torch.randn(steps * batch_size, n_in, generator=g)
    y = targets(steps * batch_size, g)
    torch.manual_seed(0)
    model = build()
    opt = make_opt(model.parameters())
    step = supervised_step(model, loss_fn, opt, accuracy if y.dtype == torch.int64 else None)
    tools = StepTools(torch.device("cpu"), "fp32", {"model": model}, None)
    losses, accs = [], []
    data = x.clone()
    for i in range(steps):
        values = step((x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]), tools)
        assert torch.equal(x, data), "a step changed its input batch"
        losses.append(values["train_loss"].detach())
        acc = values.get("train_acc", torch.tensor(0.0))
        accs.append(acc.fn(*acc.args) if isinstance(acc, Later) else acc)
    return {"losses": torch.stack(losses), "accs": torch.stack(accs),
            "params": [p.detach().clone() for p in model.parameters()],
            "grads": [p.grad.clone() for p in model.parameters()], "used_hand": step.hand is not None,
            "used_native": step.hand is not None and step.hand.native is not None}


def native_step():
    """The compiled step, which must build wherever a C++ compiler is (CI has one); the test skips, saying why,
    where there is none."""
    if shutil.which(os.environ.get("CXX", "c++")) is None:
        pytest.skip("no C++ compiler here: the C++ step cannot be built, training takes the Python step")
    op = backprop_native.load()
    assert op is not None, f"the C++ step did not build: see {backprop_native.build_dir()}/failed.txt"
    return op


@pytest.mark.parametrize("native", [True, False], ids=["C++ step", "Python step"])
@pytest.mark.parametrize("batch_size", [1, 7, 32])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_hand_made_backward_gives_autograds_numbers_bit_for_bit(case, batch_size, native, monkeypatch):
    # (_train also checks that the batches it trains on are left as they were)
    if native:
        native_step()
    ours = _train(case, batch_size, 25, hand=True, monkeypatch=monkeypatch, native=native)
    autograd = _train(case, batch_size, 25, hand=False, monkeypatch=monkeypatch)
    assert ours["used_hand"] and not autograd["used_hand"]
    assert ours["used_native"] == native
    assert torch.equal(ours["losses"], autograd["losses"])
    assert torch.equal(ours["accs"], autograd["accs"])
    for mine, theirs in zip(ours["params"], autograd["params"]):
        assert torch.equal(mine, theirs)
    for mine, theirs in zip(ours["grads"], autograd["grads"]):  # .grad is left as backward() leaves it
        assert torch.equal(mine, theirs)


def _net_and_data(monkeypatch, hand: bool, seed: int, n: int, sizes: list[int]):
    """Switch the hand-made backward on or off; (x, class labels, a freshly seeded mlp(sizes))."""
    monkeypatch.setenv(backprop.ENV, "0" if hand else "1")
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, sizes[0], generator=g), _labels(n, sizes[-1], g)
    torch.manual_seed(0)
    return x, y, mlp(sizes)


@pytest.mark.parametrize("native", [True, False], ids=["C++ step", "Python step"])
def test_a_whole_fit_with_a_scheduler_and_two_param_groups_matches_autograd(native, monkeypatch):
    if native:
        native_step()
    monkeypatch.setenv(backprop_native.ENV, "1" if native else "0")

    def run(hand: bool):
        x, y, model = _net_and_data(monkeypatch, hand, 1, 96, [6, 10, 4])
        opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.2},
                               {"params": model[2].parameters()}], lr=0.05)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "lr_scheduler.step() before optimizer.step()"
            history = fit(model, Batches(x, y, 16, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(2)),
                          nn.CrossEntropyLoss(), opt, 4, metric=accuracy, test=Batches(x[:20], y[:20]),
                          scheduler=sched, record_lr=True)
        return history, [p.detach().clone() for p in model.parameters()]

    (h1, p1), (h2, p2) = run(True), run(False)
    for key in ("train_loss", "train_acc", "test_loss", "test_acc", "lr"):
        assert (h1[key] == h2[key]).all(), key
    assert h1["lr"][-1] < h1["lr"][0]  # the scheduler did step
    assert all(torch.equal(a, b) for a, b in zip(p1, p2))


def test_models_with_their_own_forward_declare_the_chain_it_computes():
    torch.manual_seed(0)
    x = torch.randn(9, 20)
    for model in (MLP(20, 12, 2, 10), MLP(20, 12, 0, 10, input_relu=False, output="logsoftmax"),
                  CodeAutoencoder([20, 9, 3, 9, 20])):
        chain = backprop.LayerChain.of(model)
        assert chain is not None
        assert torch.equal(chain.forward(x)[-1], model(x).detach())


@pytest.mark.parametrize("build", [
    lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2)),
    lambda: nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)),
    lambda: nn.Sequential(nn.Conv1d(1, 1, 3)),
    lambda: nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2)),  # an activation we do not replicate
    lambda: nn.LSTM(4, 4),
], ids=["dropout", "batchnorm", "conv", "gelu", "not a chain"])
def test_nets_that_are_not_plain_chains_keep_autograd(build):
    assert backprop.LayerChain.of(build()) is None


def test_shared_or_hooked_weights_keep_autograd():
    shared = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
    shared[2].weight = shared[0].weight
    hooked = mlp([4, 4, 2])
    hooked[0].register_forward_hook(lambda *args: None)
    tensor_hook = mlp([4, 4, 2])
    tensor_hook[0].weight.register_hook(lambda grad: grad * 2)
    for model in (shared, hooked, tensor_hook):
        assert backprop.LayerChain.of(model) is None


def test_layers_frozen_for_a_while_get_autograds_numbers(monkeypatch):
    # weights/freeze_weights: the body's requires_grad is off for the first epochs, then on
    def run(hand: bool):
        x, y, model = _net_and_data(monkeypatch, hand, 4, 64, [6, 8, 8, 3])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        step = supervised_step(model, nn.CrossEntropyLoss(), opt, accuracy)
        tools = StepTools(torch.device("cpu"), "fp32", {"model": model}, None)
        losses = []
        for i in range(16):
            for q in [*model[0].parameters(), *model[2].parameters()]:
                q.requires_grad_(i >= 8)
            losses.append(step((x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4]), tools)["train_loss"].detach())
        return torch.stack(losses), [q.detach().clone() for q in model.parameters()], model

    (l1, p1, m1), (l2, p2, _) = run(True), run(False)
    assert torch.equal(l1, l2) and all(torch.equal(a, b) for a, b in zip(p1, p2))
    torch.manual_seed(0)
    untouched = mlp([6, 8, 8, 3])
    assert not torch.equal(p1[0], untouched[0].weight)  # trained after the thaw


def test_losses_with_options_and_optimizers_over_other_weights_keep_autograd():
    model = mlp([4, 4, 3])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for loss_fn in (nn.CrossEntropyLoss(label_smoothing=0.1), nn.CrossEntropyLoss(weight=torch.ones(3)),
                    nn.MSELoss(reduction="sum"), nn.BCEWithLogitsLoss(pos_weight=torch.ones(1)), nn.L1Loss()):
        assert backprop.hand_step(model, loss_fn, opt) is None
    only_first = torch.optim.SGD(model[0].parameters(), lr=0.1)
    assert backprop.hand_step(model, nn.CrossEntropyLoss(), only_first) is None
    assert backprop.hand_step(model, nn.CrossEntropyLoss(), opt) is not None


def test_targets_of_another_form_fall_back_to_autograd_unchanged(monkeypatch):
    # CrossEntropyLoss with class probabilities as targets: not what the hand-made loss computes
    monkeypatch.setenv(backprop.ENV, "0")
    torch.manual_seed(0)
    model = mlp([4, 5, 3])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step = supervised_step(model, nn.CrossEntropyLoss(), opt)
    assert step.hand is not None
    x, y = torch.randn(8, 4), torch.softmax(torch.randn(8, 3), 1)
    before = [p.detach().clone() for p in model.parameters()]
    values = step((x, y), StepTools(torch.device("cpu"), "fp32", {"model": model}, None))
    assert values["train_loss"].grad_fn is not None  # autograd's loss
    assert torch.isfinite(values["train_loss"])
    assert not all(torch.equal(a, b.detach()) for a, b in zip(before, model.parameters()))  # and it stepped


def test_bf16_or_clipping_take_autograd(monkeypatch):
    monkeypatch.setenv(backprop.ENV, "0")
    model = mlp([4, 5, 3])
    assert not StepTools(torch.device("cpu"), "bf16", {"model": model}, None).plain
    assert not StepTools(torch.device("cpu"), "fp32", {"model": model}, 1.0).plain
    assert StepTools(torch.device("cpu"), "fp32", {"model": model}, None).plain


@pytest.mark.parametrize("hand", [True, False])
def test_accuracy_worked_out_at_the_epochs_end_equals_it_step_by_step(hand, monkeypatch):
    # batches of 7 (no power of two) and a last, smaller batch (no drop_last): per-step accuracies and their
    # epoch mean must be what `accuracy` gives each step
    x, y, model = _net_and_data(monkeypatch, hand, 5, 45, [6, 8, 3])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    step = supervised_step(model, nn.CrossEntropyLoss(), opt, accuracy)

    def watching(batch, tools):
        seen.append((model(batch[0]).detach(), batch[1]))  # the output before this step's update
        return step(batch, tools)

    from dudl.train import train
    for drop_last in (True, False):
        seen.clear()
        history = train(watching, Batches(x, y, 7, drop_last=drop_last), 1, modules=model, optimizers=opt,
                        record_steps=True)
        expected = torch.stack([accuracy(out, target) for out, target in seen])
        assert torch.equal(torch.tensor(history.steps["train_acc"]), expected)
        assert torch.equal(torch.tensor(history["train_acc"][0]), expected.mean())


# One experiment of each kind of training the hand-made backward takes over: full-batch BCE with logits (ann),
# MSE regression (ann), minibatch NLL on MNIST (ffn), a sweep of Adam-trained wine nets (metaparams) and an
# autoencoder with its own chain (autoencoders). Their metrics must not move by a bit.
SAME_NUMBERS = ["ann/classify_qwerties", "ann/regression", "ffn/ffn_on_mnist", "metaparams/optimizers_comparison",
                "autoencoders/latent_code"]


@pytest.mark.parametrize("experiment", SAME_NUMBERS)
def test_experiments_give_the_same_metrics_with_and_without_the_hand_made_backward(project, experiment,
                                                                                   monkeypatch):
    from conftest import run_experiment

    calls = []
    original = backprop.HandStep.__call__
    monkeypatch.setattr(backprop.HandStep, "__call__", lambda self, x, y: calls.append(1) or original(self, x, y))
    metrics = {}
    for env in ("1", "0"):
        monkeypatch.setenv(backprop.ENV, env)
        metrics[env] = run_experiment(project, experiment, figures=False).metrics
    assert calls, f"{experiment} never took the hand-made backward"
    assert metrics["0"] == metrics["1"]


def test_later_accuracy_of_a_stack_of_models_equals_it_step_by_step():
    # a StackedMLP's outputs [M, N, 1] against targets [N, 1]: each step's accuracy broadcasts over the models
    from dudl.models.stacked import StackedMLP, stacked_loss
    from dudl.train import accuracy_later, train

    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(40, 3, generator=g), _binary(40, g)
    torch.manual_seed(0)
    stack = StackedMLP(4, [3, 5, 1])
    opt = torch.optim.SGD(stack.parameters(), lr=0.1)
    seen = []

    def step(batch, tools):
        xb, yb = batch
        out = stack(xb)
        seen.append(accuracy(out.detach(), yb))
        tools.optimize(stacked_loss("bce_logits")(out, yb), opt)
        return {"train_acc": accuracy_later(out, yb)}

    history = train(step, Batches(x, y, 8), 2, modules=stack, optimizers=opt, record_steps=True)
    assert torch.equal(torch.tensor(np.array(history.steps["train_acc"])), torch.stack(seen))
    assert history["train_acc"].shape == (2, 4)


FALLBACK = """
import torch
from torch import nn
from dudl import backprop_native
from dudl.models.mlp import mlp
from dudl.train import StepTools, supervised_step
model = mlp([4, 6, 3])
step = supervised_step(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1))
tools = StepTools(torch.device("cpu"), "fp32", {"m": model}, None)
values = step((torch.randn(8, 4), torch.randint(0, 3, (8,))), tools)
print("native", step.hand.native is not None, "loss", float(values["train_loss"]))
"""


def test_where_the_cpp_step_cannot_be_built_training_takes_the_python_step_and_says_why_once(tmp_path):
    env = {**os.environ, backprop_native.DIR_ENV: str(tmp_path), backprop_native.ENV: "1", "CXX": "false",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}

    def train():
        return subprocess.run([sys.executable, "-c", FALLBACK], capture_output=True, text=True, env=env, check=True)

    first = train()
    assert "native False" in first.stdout and "loss" in first.stdout
    assert "the C++ training step is not available" in first.stderr and "compiling" in first.stderr
    failed = list(tmp_path.glob("backprop-*/failed.txt"))
    assert len(failed) == 1 and failed[0].read_text().strip()
    second = train()  # the reason is kept: no second compile, no second message
    assert "native False" in second.stdout
    assert "compiling" not in second.stderr and "not available" not in second.stderr
