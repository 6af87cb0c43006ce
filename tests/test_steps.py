"""Each kind of step trains a tiny model through the one trainer (dudl.train.train) on the CPU: supervised with
a DataLoader and torchvision transforms, stacked, autoencoder, GAN, sequence with a carried hidden state, and
image optimization; plus what the trainer does around a step (loss shape check, keep-the-best, clipping,
precision, per-step history)."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dudl import runtime
from dudl.models.stacked import StackedMLP, stacked_loss
from dudl.runtime import seed_torch
from dudl.steps import AutoencoderStep, GANStep, ImageParameter, ImageStep, SequenceStep, freeze
from dudl.train import Batches, KeepBest, StepTools, accuracy, check_loss, evaluate, fit, supervised_step, train


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 1, 8, 8, generator=g) * 0.5 + y[:, None, None, None] * 1.5
    return x, y


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.max_pool2d(torch.relu(self.conv(x)), 2), 1))


def test_supervised_cnn_from_a_dataloader_with_torchvision_transforms():
    """Data stays on the CPU in a DataLoader whose dataset applies a torchvision transform per sample; the
    trainer moves each batch to the model's device."""
    from torchvision.transforms import v2

    x, y = blobs()
    transform = v2.RandomHorizontalFlip(p=0.5)

    class Flipped(TensorDataset):
        def __getitem__(self, i):
            xi, yi = super().__getitem__(i)
            return transform(xi), yi

    gen = seed_torch(0)
    loader = DataLoader(Flipped(x, y), batch_size=20, shuffle=True, generator=gen)
    model = TinyCNN()
    history = fit(model, loader, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), 8,
                  metric=accuracy, test=DataLoader(TensorDataset(x, y), batch_size=50))
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["test_acc"][-1] > 90


def test_a_per_sample_loss_is_refused():
    model = nn.Linear(3, 1)
    x, y = torch.randn(10, 3), torch.randn(10, 1)
    per_sample = lambda out, target: ((out - target) ** 2)[:, 0]  # shape [10]
    with pytest.raises(ValueError, match=r"shape \[10\].*one number"):
        fit(model, Batches(x, y), per_sample, torch.optim.SGD(model.parameters(), lr=0.1), 1)
    unreduced = nn.MSELoss(reduction="none")  # shape [10, 1]
    with pytest.raises(ValueError, match="one value per sample must be reduced"):
        fit(model, Batches(x, y), unreduced, torch.optim.SGD(model.parameters(), lr=0.1), 1)


def test_only_a_stack_may_return_one_loss_per_model():
    stack = StackedMLP(3, [2, 4, 1])
    assert check_loss(torch.ones(3), {"m": stack}).ndim == 0
    with pytest.raises(ValueError, match=r"or \[3\]"):
        check_loss(torch.ones(5), {"m": stack})
    x, y = torch.randn(20, 2), torch.rand(20, 1).round()
    h = fit(stack, Batches(x, y), stacked_loss("bce_logits"), torch.optim.SGD(stack.parameters(), lr=0.1), 3)
    assert h["train_loss"].shape == (3, 3)  # [epochs, models]


def test_autoencoder_learns_to_reconstruct_the_clean_input_from_a_noisy_one():
    seed_torch(1)
    basis = torch.randn(3, 16)
    clean = torch.randn(256, 3) @ basis  # rank-3 data: a 3-unit bottleneck can reconstruct it
    model = nn.Sequential(nn.Linear(16, 3), nn.Linear(3, 16))
    seen_targets = []

    def loss(out, target):
        seen_targets.append(target)
        return nn.functional.mse_loss(out, target)

    noise = lambda x: x + 0.3 * torch.randn_like(x)
    step = AutoencoderStep(model, loss, torch.optim.Adam(model.parameters(), lr=0.01), corrupt=noise)
    history = train(step, Batches(clean, torch.zeros(256), 32, shuffle=True, generator=seed_torch(2)), 30,
                    modules=model, optimizers=step.optimizer, record_steps=True)
    assert history["train_loss"][-1] < 0.2 * history["train_loss"][0]
    assert len(history.steps["train_loss"]) == 30 * 8  # per-step history, as the course's 10,000 iterations
    assert all(t.shape == (32, 16) for t in seen_targets)
    # the targets are clean rows of the data, never the noisy copies
    rows = {tuple(r.tolist()) for r in clean}
    assert all(tuple(r.tolist()) in rows for r in seen_targets[-1])


class OrderedSGD(torch.optim.SGD):
    calls: list = []

    def __init__(self, params, name, **kw):
        super().__init__(params, **kw)
        self.name = name

    def step(self, closure=None):
        OrderedSGD.calls.append(self.name)
        return super().step(closure)


def test_gan_steps_d_then_g_and_records_both_losses_and_d_outputs_per_step():
    seed_torch(3)
    real = torch.randn(512, 1) * 0.5 + 3.0  # the data: N(3, 0.5)
    gen_net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    disc = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
    g_opt = OrderedSGD(gen_net.parameters(), "G", lr=0.05)
    d_opt = OrderedSGD(disc.parameters(), "D", lr=0.05)
    OrderedSGD.calls = []
    step = GANStep(gen_net, disc, g_opt, d_opt, latent=lambda n, device: torch.randn(n, 4, device=device))
    history = train(step, Batches(real, torch.zeros(512), 64, shuffle=True, generator=seed_torch(4)), 40,
                    modules={"generator": gen_net, "discriminator": disc}, optimizers={"g": g_opt, "d": d_opt},
                    record_steps=True)
    steps = 40 * 8
    assert OrderedSGD.calls[:4] == ["D", "G", "D", "G"] and len(OrderedSGD.calls) == 2 * steps
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert len(history.steps[key]) == steps
    d_real, d_fake = np.asarray(history.steps["d_real"]), np.asarray(history.steps["d_fake"])
    assert ((0 <= d_real) & (d_real <= 1)).all() and ((0 <= d_fake) & (d_fake <= 1)).all()
    with torch.no_grad():
        samples = gen_net(torch.randn(2000, 4))
    assert abs(float(samples.mean()) - 3.0) < 1.0  # the generator moved from ~0 towards the data


class TinyRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 8, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x, hidden=None):
        y, hidden = self.rnn(x, hidden)
        return self.out(y[:, -1]), hidden


def sine_windows(n=120, width=10):
    t = torch.arange(n + width + 1, dtype=torch.float32)
    s = torch.sin(t * 0.3)
    x = torch.stack([s[i:i + width] for i in range(n)])[..., None]
    y = torch.stack([s[i + width:i + width + 1] for i in range(n)])
    return x, y


def test_sequence_step_carries_a_detached_hidden_state_across_windows():
    seed_torch(5)
    x, y = sine_windows()
    model = TinyRNN()
    received = []
    original = model.forward

    def spy(x_in, hidden=None):
        received.append(hidden)
        return original(x_in, hidden)

    model.forward = spy
    step = SequenceStep(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.01))
    history = train(step, Batches(x, y, 12), 25, modules=model, optimizers=step.optimizer)
    assert history["train_loss"][-1] < 0.2 * history["train_loss"][0]
    per_epoch = len(Batches(x, y, 12))
    assert received[0] is None and received[per_epoch] is None  # a fresh state every epoch
    carried = received[1]
    assert carried is not None and carried.shape == (1, 12, 8)
    assert carried.grad_fn is None and not carried.requires_grad  # detached: backprop stops at the window
    no_carry = SequenceStep(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.01), carry=False)
    received.clear()
    train(no_carry, Batches(x, y, 12), 1, modules=model, optimizers=no_carry.optimizer)
    assert all(h is None for h in received)


def test_image_optimization_trains_the_input_and_leaves_the_frozen_network_alone():
    seed_torch(6)
    net = freeze(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))
    before = [p.clone() for p in net.parameters()]
    target = net(torch.rand(1, 3, 12, 12))
    image = ImageParameter(torch.rand(1, 3, 12, 12))
    start = image.image.detach().clone()
    opt = torch.optim.Adam(image.parameters(), lr=0.05)

    def losses(img):
        content = nn.functional.mse_loss(net(img), target)
        return {"loss": content, "content": content.detach()}

    step = ImageStep(image, losses, opt, clamp=(0.0, 1.0))
    history = train(step, None, 10, steps_per_epoch=10, modules=image, optimizers=opt)
    assert history["loss"][-1] < 0.3 * history["loss"][0]
    assert not torch.equal(image.image, start)
    assert image.image.min() >= 0 and image.image.max() <= 1
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert all(p.grad is None for p in net.parameters())


def test_keep_best_ends_with_the_best_dev_epoch_weights():
    x, y = torch.randn(100, 4), torch.randint(0, 2, (100,))
    seed_torch(7)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=2.0)  # large: the dev loss jumps around
    snapshots = {}

    def after_epoch():
        loss, acc = evaluate(model, Batches(x, y), nn.CrossEntropyLoss(), accuracy)
        snapshots[len(snapshots) + 1] = {k: v.clone() for k, v in model.state_dict().items()}
        return {"dev_loss": loss, "dev_acc": acc}

    best = KeepBest("dev_loss", mode="min")
    history = train(supervised_step(model, nn.CrossEntropyLoss(), opt), Batches(x, y, 10), 12, modules=model,
                    optimizers=opt, evaluate=after_epoch, keep_best=best)
    losses = history["dev_loss"]
    assert history.best_epoch == int(np.argmin(losses)) + 1
    for key, value in model.state_dict().items():
        assert torch.equal(value, snapshots[history.best_epoch][key])


def test_gradient_clipping_bounds_every_update():
    x, y = torch.randn(20, 3) * 100, torch.randn(20, 1) * 100
    model = nn.Linear(3, 1)
    start = [p.detach().clone() for p in model.parameters()]
    fit(model, Batches(x, y), nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=1.0), 1, clip_grad=0.5)
    moved = math.sqrt(sum(float(((p.detach() - s) ** 2).sum()) for p, s in zip(model.parameters(), start)))
    assert moved == pytest.approx(0.5, rel=1e-4)  # one step of lr 1 with the gradient norm clipped to 0.5


def test_bf16_precision_autocasts_on_the_cpu_and_fp16_needs_cuda():
    x, y = torch.randn(64, 8), torch.randint(0, 3, (64,))
    model = nn.Linear(8, 3)
    seen = []
    original = model.forward
    model.forward = lambda inp: seen.append(original(inp).dtype) or original(inp)
    fit(model, Batches(x, y, 16), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), 1)
    with runtime.run_settings(precision="bf16"):
        fit(model, Batches(x, y, 16), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), 1)
    assert seen[0] == torch.float32 and seen[-1] == torch.bfloat16
    assert model.weight.dtype == torch.float32  # weights stay fp32: autocast, not a cast of the model
    with pytest.raises(RuntimeError, match="fp16 needs CUDA"):
        StepTools(torch.device("cpu"), "fp16", {}, None)
