"""The one training loop: it learns, it is deterministic, it keeps the course's bookkeeping; and its helpers."""

import numpy as np
import pytest
import torch
from torch import nn

from dudl.checkpoints import load_checkpoint, save_checkpoint
from dudl.data import synthetic
from dudl.models.mlp import mlp
from dudl.models.stacked import StackedMLP, stacked_loss
from dudl.runtime import configure, resolve_device, seed_torch
from dudl.train import Batches, accuracy, evaluate, fit, probability_accuracy


def qwerty_tensors(seed=0):
    x, y = synthetic.qwerties(np.random.default_rng(seed), [[1, 1], [5, 1]], 100, 1.0)
    return torch.tensor(x), torch.tensor(y, dtype=torch.float32)[:, None]


def train_once(seed=1, epochs=60):
    x, y = qwerty_tensors()
    gen = seed_torch(seed)
    model = mlp([2, 8, 1])
    return fit(model, Batches(x, y, 16, shuffle=True, generator=gen), nn.BCEWithLogitsLoss(),
               torch.optim.SGD(model.parameters(), lr=0.05), epochs, metric=accuracy, test=Batches(x, y))


def test_loss_decreases_on_an_easy_problem():
    h = train_once()
    assert h["train_loss"][-5:].mean() < 0.5 * h["train_loss"][:5].mean()
    assert h["test_acc"][-1] > 90


def test_same_seed_gives_bit_identical_history_and_another_seed_does_not():
    a, b, c = train_once(1), train_once(1), train_once(2)
    for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert np.array_equal(a[key], b[key]), key
    assert not np.array_equal(a["train_loss"], c["train_loss"])


def test_batches_follow_dataloader_semantics():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    assert [len(xb) for xb, _ in Batches(x, y, 4)] == [4, 4, 2]
    assert [len(xb) for xb, _ in Batches(x, y, 4, drop_last=True)] == [4, 4]
    assert len(Batches(x, y, 4)) == 3 and len(Batches(x, y, 4, drop_last=True)) == 2 and len(Batches(x, y)) == 1
    gen = torch.Generator().manual_seed(0)
    shuffled = Batches(x, y, 3, shuffle=True, generator=gen)
    first = torch.cat([yb for _, yb in shuffled])
    second = torch.cat([yb for _, yb in shuffled])
    assert sorted(first.tolist()) == list(range(10)) and not torch.equal(first, second)  # each pass reshuffles
    for xb, yb in shuffled:
        assert torch.equal(xb[:, 0].long(), yb)  # rows stay paired
    with pytest.raises(ValueError):
        Batches(x, y, 20, drop_last=True)


def test_evaluation_averages_per_batch_like_the_course():
    """regularization/testBatchT2's point: a 2-sample test batch weighs as much as a 38-sample one."""
    model = nn.Identity()
    out = torch.cat([torch.ones(38, 1), -torch.ones(2, 1)])  # logits: predict 1 for 38 rows, 0 for 2
    target = torch.ones(40, 1)  # all class 1: the last 2 rows are wrong
    _, per_batch = evaluate(model, Batches(out, target, 38), metric=accuracy)
    _, whole = evaluate(model, Batches(out, target), metric=accuracy)
    assert float(whole) == pytest.approx(95.0)
    assert float(per_batch) == pytest.approx(50.0)  # mean of 100% and 0%


def test_accuracy_for_logits_probabilities_and_classes():
    y = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    assert float(accuracy(torch.tensor([[2.0], [-1.0], [-0.5], [3.0]]), y)) == 50.0
    assert float(probability_accuracy(torch.tensor([[0.9], [0.2], [0.7], [0.1]]), y)) == 100.0
    assert float(accuracy(torch.tensor([[0.1, 2.0, 0.0], [3.0, 0.0, 0.0]]), torch.tensor([1, 2]))) == 50.0


def test_regularizer_is_optimised_but_not_recorded():
    """An L1 penalty shrinks the weights (so it is optimized), while the recorded loss is the data loss alone."""
    x, y = qwerty_tensors()

    def run(lam):
        seed_torch(0)
        model = mlp([2, 8, 1])
        l1 = lambda m: lam * sum(p.abs().sum() for n, p in m.named_parameters() if "weight" in n)
        history = fit(model, Batches(x, y), nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.05), 40,
                      regularizer=l1)
        data_loss = float(nn.BCEWithLogitsLoss()(model(x), y).detach())
        weights = float(sum(p.detach().abs().sum() for n, p in model.named_parameters() if "weight" in n))
        return history, data_loss, weights

    plain, _, plain_weights = run(0.0)
    penalized, last_data_loss, penalized_weights = run(0.05)
    assert penalized_weights < 0.8 * plain_weights  # the penalty was optimized
    assert not np.array_equal(plain["train_loss"], penalized["train_loss"])
    # what is recorded is the data loss: at the last epoch, close to the data loss of the final model, and far
    # below data loss + penalty (which would include 0.05 * |W| ~ several tenths)
    assert abs(penalized["train_loss"][-1] - last_data_loss) < 0.05
    assert penalized["train_loss"][-1] < last_data_loss + 0.05 * penalized_weights - 0.05


def reference_loop(model, batches, loss_fn, optimizer, epochs, test):
    """The loop `fit` replaced, verbatim in spirit: what the 58 experiments' numbers were produced with."""
    out_hist = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for _ in range(epochs):
        model.train()
        losses, scores = [], []
        for xb, yb in batches:
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            optimizer.step()
            losses.append(loss.detach())
            scores.append(accuracy(out.detach(), yb))
        out_hist["train_loss"].append(torch.stack(losses).mean(dim=0).numpy())
        out_hist["train_acc"].append(torch.stack(scores).mean(dim=0).numpy())
        test_loss, test_acc = evaluate(model, test, loss_fn, accuracy)
        out_hist["test_loss"].append(test_loss.numpy())
        out_hist["test_acc"].append(test_acc.numpy())
    return {k: np.asarray(v) for k, v in out_hist.items()}


def test_fit_gives_bit_identical_numbers_to_the_loop_it_replaced():
    x, y = qwerty_tensors()
    results = []
    for use_fit in (True, False):
        gen = seed_torch(3)
        model = mlp([2, 8, 1])
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        batches = Batches(x, y, 16, shuffle=True, drop_last=True, generator=gen)
        if use_fit:
            h = fit(model, batches, nn.BCEWithLogitsLoss(), opt, 15, metric=accuracy, test=Batches(x, y, 50))
            results.append({k: h[k] for k in ("train_loss", "train_acc", "test_loss", "test_acc")})
        else:
            results.append(reference_loop(model, batches, nn.BCEWithLogitsLoss(), opt, 15, Batches(x, y, 50)))
        results[-1]["weights"] = model[0].weight.detach().numpy().copy()
    for key in results[0]:
        assert np.array_equal(results[0][key], results[1][key]), key


def test_scheduler_steps_every_batch_and_lr_is_recorded():
    x, y = qwerty_tensors()
    model = mlp([2, 1])
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=25, gamma=0.5)  # 200 rows / 20 = 10 batches per epoch
    h = fit(model, Batches(x, y, 20), nn.BCEWithLogitsLoss(), opt, 6, scheduler=sched, record_lr=True)
    np.testing.assert_allclose(h["lr"], [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025])  # lr after each epoch


def test_checkpoints_round_trip_with_weights_only(tmp_path):
    seed_torch(0)
    model = mlp([2, 3, 1])
    path = save_checkpoint(tmp_path / "ckpt" / "model.pt", model, epoch=7, lr=0.1)
    raw = torch.load(path, weights_only=True)  # no pickled code inside: the safe loader accepts it
    assert raw["meta"] == {"epoch": 7, "lr": 0.1}
    other = mlp([2, 3, 1])
    load_checkpoint(path, other)
    for a, b in zip(model.parameters(), other.parameters()):
        assert torch.equal(a, b)
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]


def test_stacked_models_train_exactly_like_separate_ones():
    """Stacking is a speed-up, not a different experiment: same init, same data -> same weights after training."""
    x, y = qwerty_tensors()
    lrs = [0.001, 0.03, 0.1]
    seed_torch(5)
    stack = StackedMLP(len(lrs), [2, 4, 1])
    singles = []
    for m in range(len(lrs)):
        single = mlp([2, 4, 1])
        with torch.no_grad():
            single[0].weight.copy_(stack.weights[0][m].T), single[0].bias.copy_(stack.biases[0][m, 0])
            single[2].weight.copy_(stack.weights[1][m].T), single[2].bias.copy_(stack.biases[1][m, 0])
        singles.append(single)
    stack.scale_gradients(lrs)
    fit(stack, Batches(x, y), stacked_loss("bce_logits"), torch.optim.SGD(stack.parameters(), lr=1.0), 50)
    for m, (single, lr) in enumerate(zip(singles, lrs)):
        fit(single, Batches(x, y), nn.BCEWithLogitsLoss(), torch.optim.SGD(single.parameters(), lr=lr), 50)
        torch.testing.assert_close(stack.weights[0][m].T, single[0].weight, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(stack.biases[1][m, 0], single[2].bias, rtol=1e-4, atol=1e-5)


def test_stacked_cross_entropy_is_per_model_cross_entropy():
    out = torch.randn(3, 5, 4)
    y = torch.randint(0, 4, (5,))
    expected = torch.stack([nn.functional.cross_entropy(out[m], y) for m in range(3)])
    torch.testing.assert_close(stacked_loss("cross_entropy")(out, y), expected)


def test_stacked_init_matches_nn_linear_bounds():
    seed_torch(0)
    stack = StackedMLP(200, [16, 8, 1])
    w = stack.weights[0]
    assert w.abs().max() <= 1 / 4 and w.abs().max() > 0.24  # U(-1/sqrt(16), 1/sqrt(16))


def test_device_selection_and_threads():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            resolve_device("cuda")
    configure(threads=1, device="cpu")
    assert torch.get_num_threads() == 1


def test_fast_kernels_fuse_the_optimizer_and_lay_convolutions_out_channels_last_at_the_same_numbers():
    from dudl import runtime
    from dudl.models.cnn import mnist_cnn

    x = torch.rand(96, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (96,), generator=torch.Generator().manual_seed(1))

    def run(fast: bool):
        torch.manual_seed(0)
        model = mnist_cnn()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        batches = Batches(x, y, 32, shuffle=True, generator=torch.Generator().manual_seed(2))
        with runtime.run_settings(fast_kernels=fast):
            history = fit(model, batches, nn.CrossEntropyLoss(), opt, 3, metric=accuracy)
        return model, opt, history

    slow_model, slow_opt, slow = run(False)
    fast_model, fast_opt, fast = run(True)
    assert fast_opt.param_groups[0]["fused"] and not slow_opt.param_groups[0].get("fused")
    assert fast_model[3].weight.is_contiguous(memory_format=torch.channels_last)  # Conv2d(10, 20, 5)
    assert not slow_model[3].weight.is_contiguous(memory_format=torch.channels_last)
    assert np.allclose(fast["train_loss"], slow["train_loss"], rtol=1e-4)  # another rounding, the same math
    assert torch.allclose(fast_model[-1].weight, slow_model[-1].weight, atol=1e-5)
