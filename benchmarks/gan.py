"""Benchmark: GAN_MNIST's recipe, a course-style loop against the pipeline's experiment code, side by side.

    python -m benchmarks.gan                  # the course's 50,000 steps (each variant, twice)
    python -m benchmarks.gan --steps 2000     # a shorter measure (ratios, not totals, are what to compare)
    python -m benchmarks.gan --threads 2 --repeats 3

Both train the linear GAN (D 784-256-256-1, G 64-256-256-784) from the same initial weights on the same 20,000
digits scaled to -1..1, batches of 100 random indices with replacement (the same draws: one generator for the
indices, torch's global generator for the latent vectors, in the course's order), BCELoss, Adam lr .0003 each.
- course style: the notebook's loop: D on the real and the (not detached) fake batch, backward into G too, then
  G through D with D's weights taking gradients, torch's default (single-tensor) Adam, two `.item()` per step
  into a numpy array;
- ours: dudl.experiments.gans' code path (RandomBatches in records of 100 steps, GANStep, snapshots at fixed
  latents every 5,000 steps, dudl.train.train with record_steps, Adam foreach). The same math: the fake batch of
  D's step without a graph, D's weights frozen in G's step, the multi-tensor Adam; it checks first, on a short
  run, that every recorded loss is bit for bit the course loop's;
- ours + levers: `fast_kernels` (fused Adam), the opt-in joint D pass (real and fake as one batch of 200),
  both, torch.compile of D and G, bf16 autocast. These change the numbers in the last bits (bf16: more).
Rounds are interleaved and the fastest run of each variant counts (benchmarks/cnn.py's compare). It also
times a floor: the matrix products the recipe needs (forward, the weight gradients, the input gradients D's
and G's steps need), nothing else. course style / floor is the most any fp32 loop on this many threads could
gain. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks.cnn import best_of, compare, timed  # noqa: E402
from benchmarks.course import gan_loop  # noqa: E402
from dudl import runtime  # noqa: E402
from dudl.data import mnist  # noqa: E402
from dudl.experiments import gans as G  # noqa: E402
from dudl.models.gans import linear_discriminator, linear_generator  # noqa: E402
from dudl.params import Scale  # noqa: E402

P = {"lr": 0.0003, "betas": [0.9, 0.999], "batch_size": 100, "snapshot_every": 5000, "shown": 12, "joint": False}


class Pair(nn.Module):
    """G and D as one module, so that benchmark_cnn's compare can build (and torch.compile) "the model"."""

    def __init__(self):
        super().__init__()
        self.generator, self.discriminator = linear_generator(), linear_discriminator()


def build() -> Pair:
    return Pair()


def course_loop(pair: Pair, x: torch.Tensor, steps: int, seed: int, out: dict | None = None) -> float:
    """The notebook's loop (benchmarks.course.gan_loop) on the pair's nets."""
    records = gan_loop(pair.generator, pair.discriminator, x, steps, seed, lr=P["lr"], batch=P["batch_size"])
    if out is not None:
        out.update(records)
    return float(records["d_loss"][-max(1, steps // 10):].mean())


def context(seed: int) -> SimpleNamespace:
    """What the experiment code asks of a runner Context, without reseeding torch's global generator (the course
    loop does not either: both draw their latents from where the nets' initialisation left it)."""
    return SimpleNamespace(device=torch.device("cpu"), scale=Scale(1.0), show_progress=False,
                           seed_for=lambda *keys: seed, torch_seed=lambda *keys: torch.Generator().manual_seed(seed))


def our_loop(pair, x: torch.Tensor, steps: int, seed: int, out: dict | None = None, joint: bool = False) -> float:
    compiled = hasattr(pair, "_orig_mod")  # benchmark_cnn's compare hands torch.compile(Pair())
    pair = getattr(pair, "_orig_mod", pair)
    nets = (torch.compile(pair.generator), torch.compile(pair.discriminator)) if compiled else (
        pair.generator, pair.discriminator)
    p, ctx = {**P, "steps": steps, "joint": joint}, context(seed)
    batches, epochs = G.random_steps(p, ctx, x)
    trained = G.train_gan(p, ctx, "linear", batches, epochs, nets=nets)
    if out is not None:
        out.update(trained["records"])
    return float(trained["records"]["d_loss"][-max(1, steps // 10):].mean())


def joint_loop(pair, x, steps: int, seed: int) -> float:
    return our_loop(pair, x, steps, seed, joint=True)


VARIANTS = {  # label: (run settings, torch.compile, loop instead of ours)
    "ours": ({}, False),
    "ours + fast_kernels (fused Adam)": ({"fast_kernels": True}, False),
    "ours + joint D pass": ({}, False, joint_loop),
    "ours + fast_kernels + joint": ({"fast_kernels": True}, False, joint_loop),
    "ours + torch.compile": ({}, True),
    "ours + bf16 (numbers change)": ({"precision": "bf16"}, False),
}


@torch.no_grad()
def floor(pair: Pair, x: torch.Tensor, steps: int, seed: int) -> float:
    """The recipe's matrix products alone: D's step (G forward; D forward on real and fake; D's weight gradients
    and the input gradients inside D), G's step (G and D forward; D's input gradients; G's weight gradients and
    the input gradients inside G)."""
    dw = [m.weight for m in pair.discriminator.modules() if isinstance(m, nn.Linear)]
    gw = [m.weight for m in pair.generator.modules() if isinstance(m, nn.Linear)]
    batch = P["batch_size"]

    def forward(weights, h):
        inputs = []
        for w in weights:
            inputs.append(h)
            h = h @ w.T
        return h, inputs

    def backward(weights, inputs, g, input_grad: bool, weight_grads: bool = True):
        for j in range(len(weights) - 1, -1, -1):
            if weight_grads:
                g.T @ inputs[j]
            if j or input_grad:
                g = g @ weights[j]
        return g

    real = x[:batch]
    for _ in range(steps):
        fake, _ = forward(gw, torch.randn(batch, 64))
        for images in (real, fake):
            out, inputs = forward(dw, images)
            backward(dw, inputs, out, input_grad=False)
        fake, g_inputs = forward(gw, torch.randn(batch, 64))
        out, d_inputs = forward(dw, fake)
        backward(gw, g_inputs, backward(dw, d_inputs, out, input_grad=True, weight_grads=False), input_grad=False)
    return float("nan")


def same_numbers(x: torch.Tensor, steps: int) -> bool:
    """A short run of both loops from the same start: are ours' recorded losses and decisions bit for bit the
    course loop's?"""
    runs = []
    for loop in (course_loop, our_loop):
        torch.manual_seed(0)
        out: dict = {}
        loop(build(), x, steps, seed=0, out=out)
        runs.append(out)
    return all(np.array_equal(np.asarray(runs[0][k], dtype=np.float32), np.asarray(runs[1][k], dtype=np.float32))
               for k in ("d_loss", "g_loss", "real_judged_real", "fake_judged_real"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="GAN steps (the course: 50,000)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant; the fastest counts")
    parser.add_argument("--check-steps", type=int, default=300, help="steps of the bit-for-bit check")
    args = parser.parse_args()
    runtime.configure(args.threads, "cpu")
    images, _ = mnist.load_small(ROOT / "data" / "processed" / "mnist" / "train_small.npz")
    x = torch.tensor(mnist.normalize(images) * 2 - 1)
    print(f"GAN_MNIST recipe, {args.steps} steps of batch 100, {args.threads} thread(s)")
    start = time.perf_counter()
    print(f"ours' losses and decisions bit for bit the course loop's over {args.check_steps} steps: "
          f"{same_numbers(x, args.check_steps)} ({time.perf_counter() - start:.0f} s)", flush=True)
    timed(course_loop, build, x, 50)  # untimed: a process's first training pays one-off costs
    base, ratios = compare("GAN_MNIST", "mean D loss, last 10% of steps", course_loop, our_loop, build,
                           (x, args.steps), (x, 50), args.repeats, variants=VARIANTS)
    least, _ = best_of(args.repeats, floor, build, x, args.steps)
    print(f"  matrix products alone: {least:.1f} s; course style / floor {base / least:.2f}x (the most any fp32 "
          "loop could gain)")
    exact = ratios["ours"]
    best = max((v, k) for k, v in ratios.items() if "bf16" not in k)
    print(f"ratios (course-style / ours): same numbers {exact:.2f}x; best fp32 {best[0]:.2f}x ({best[1]})")


if __name__ == "__main__":
    main()
