"""Benchmark: CNN_CNN4MNIST and the denoising autoencoder, a course-style loop against the pipeline's trainer
and the speed levers of issue 8, side by side in one run.

    python -m benchmarks.cnn                  # 2 epochs of CNN4MNIST, 2,000 autoencoder iterations
    python -m benchmarks.cnn --threads 2      # both cores for one job (a job that runs alone)
    python -m benchmarks.cnn --epochs 10 --iterations 10000   # the course's full trainings
    python -m benchmarks.cnn --repeats 3      # each variant three times; the fastest run counts

Every variant trains the same net from the same initial weights on the same data, with batches drawn from the
same seed by each loop's own sampler (so the orders, and the numbers, differ a little between course style and
ours; the levers change nothing in the order):
- CNN4MNIST: the 18,000 training digits as 1 x 28 x 28, batches of 32 (drop_last, the same order), Adam .001,
  CrossEntropyLoss, the 2,000 test digits scored once per epoch;
- denoising: the 784-250-50-250-784 autoencoder, Adam .001, MSELoss, each iteration one batch of 32 drawn at
  random with replacement (the same draws for every variant), every step's loss kept.
Variants:
- course style: DataLoader(TensorDataset) (CNN) or numpy's random choice (autoencoder) and a per-batch `.item()`,
  as the notebooks write them;
- ours: dudl.train (fit over Batches; train over RandomBatches with record_steps);
- ours + the trainer's levers: `fast_kernels` (channels_last convolutions, fused optimizer steps), torch.compile
  of the net, both, and bf16 autocast (the `precision` knob).
It prints each time, the ratio course-style / variant, and the final test accuracy or mean loss of the last
100 steps, so that a lever that changes the numbers shows it. For the autoencoder it also times a floor, the
same steps' matrix products alone (benchmarks/ffn.py's), the most any fp32 loop could gain. Not a test: timings depend on the machine. A
lever's numbers equal the eager run's only up to float rounding (another conv algorithm sums in another order).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks.course import autoencoder_loop, course_loop  # noqa: E402
from benchmarks.ffn import matmul_floor, our_loop  # noqa: E402
from dudl import runtime  # noqa: E402
from dudl.data import mnist  # noqa: E402
from dudl.models.autoencoders import autoencoder  # noqa: E402
from dudl.models.cnn import mnist_cnn  # noqa: E402
from dudl.train import RandomBatches, supervised_step, train  # noqa: E402

# ---------------------------------------------------------------- CNN4MNIST


def adam(parameters):
    return torch.optim.Adam(parameters, lr=0.001)


def cnn_course(model, data, epochs: int, seed: int) -> float:
    return course_loop(model, *data, epochs, seed, make_optimizer=adam)


def cnn_ours(model, data, epochs: int, seed: int) -> float:
    return our_loop(model, *data, epochs, seed, make_optimizer=adam)


# ---------------------------------------------------------------- denoising autoencoder


def ae_course(model, x, iterations: int, seed: int) -> float:
    return float(autoencoder_loop(model, x, iterations, seed)[-100:].mean())


def ae_ours(model, x, iterations: int, seed: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    batches = RandomBatches(x, 32, iterations, torch.Generator().manual_seed(seed), y=x)
    history = train(supervised_step(model, nn.MSELoss(), opt), batches, 1, modules=model, optimizers=opt,
                    record_steps=True, show_progress=False)
    return float(np.mean(history.steps["train_loss"][-100:]))


def timed(loop, build, *args) -> tuple[float, float]:
    torch.manual_seed(0)
    model = build()
    start = time.perf_counter()
    result = loop(model, *args, seed=0)
    return time.perf_counter() - start, result


VARIANTS = {  # label: (run settings, compile the net)
    "ours": ({}, False),
    "ours + fast_kernels": ({"fast_kernels": True}, False),
    "ours + torch.compile": ({}, True),
    "ours + fast_kernels + compile": ({"fast_kernels": True}, True),
    "ours + bf16 (numbers change)": ({"precision": "bf16"}, False),
}


def best_of(repeats: int, loop, build, *args) -> tuple[float, float]:
    """The fastest of `repeats` identical runs (the same seed, so the same result)."""
    runs = [timed(loop, build, *args) for _ in range(repeats)]
    return min(r[0] for r in runs), runs[0][1]


def compare(name: str, unit: str, course, ours, build, args, warm_args, repeats: int,
            variants: dict | None = None) -> tuple[float, dict]:
    """Every variant `repeats` times, in interleaved rounds (course style, ours, each lever, then again), and
    the fastest run of each counts: the CPU's clock and the neighbours' load drift over minutes, and rounds
    spread that drift over all variants alike. `warm_args`: a short run of the same work, which pays
    torch.compile's one-off cost outside the timing (a long run amortizes it). Returns (course-style seconds,
    {variant: course-style / variant}). `variants`: instead of VARIANTS, {label: (run settings, compile, and
    optionally a loop of its own instead of `ours`)}."""
    runs = {"course style": (course, build, {}, False)}
    for label, (settings, compiled, *loop) in (variants or VARIANTS).items():
        runs[label] = (loop[0] if loop else ours, (lambda: torch.compile(build())) if compiled else build, settings,
                       compiled)
    for label, (loop, make, settings, compiled) in runs.items():
        if compiled:
            with runtime.run_settings(**settings):
                timed(loop, make, *warm_args)
    seconds: dict[str, float] = {}
    results: dict[str, float] = {}
    for _ in range(repeats):
        for label, (loop, make, settings, _compiled) in runs.items():
            with runtime.run_settings(**settings):
                took, results[label] = timed(loop, make, *args)
            seconds[label] = min(took, seconds.get(label, took))
    base = seconds.pop("course style")
    print(f"{name}: course style {base:.1f} s ({unit} {results['course style']:.4g})")
    ratios = {}
    for label, took in seconds.items():
        ratios[label] = base / took
        print(f"  {label:32s} {took:7.1f} s  {ratios[label]:5.2f}x  ({unit} {results[label]:.4g})", flush=True)
    return base, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="CNN4MNIST epochs (the course: 10)")
    parser.add_argument("--iterations", type=int, default=2000, help="autoencoder iterations (the course: 10,000)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant; the fastest counts")
    args = parser.parse_args()
    runtime.configure(args.threads, "cpu")
    images, labels = mnist.load_small(ROOT / "data" / "processed" / "mnist" / "train_small.npz")
    split = mnist.standard(images, labels, seed=0)
    as_images = lambda a: torch.tensor(a).reshape(-1, 1, 28, 28)  # noqa: E731
    cnn_data = [as_images(split.x_train), torch.tensor(split.y_train), as_images(split.x_test), torch.tensor(split.y_test)]
    ae_data = torch.tensor(mnist.normalize(images))
    print(f"{args.threads} thread(s); CNN4MNIST {args.epochs} epochs, denoising autoencoder {args.iterations} "
          "iterations")
    denoiser = lambda: autoencoder([784, 250, 50, 250, 784])  # noqa: E731
    # one untimed pass of each loop: a process's first training pays one-off costs (allocator, library set-up)
    timed(cnn_course, mnist_cnn, cnn_data, 1)
    timed(ae_course, denoiser, ae_data, 50)
    _, cnn = compare("CNN4MNIST", "test acc", cnn_course, cnn_ours, mnist_cnn, (cnn_data, args.epochs),
                     (cnn_data, 1), args.repeats)
    course_ae, ae = compare("denoising autoencoder", "mean loss, last 100 steps", ae_course, ae_ours, denoiser,
                            (ae_data, args.iterations), (ae_data, 50), args.repeats)
    rows = ae_data[torch.arange(32 * args.iterations) % len(ae_data)]
    floor, _ = best_of(args.repeats, lambda m, seed: matmul_floor(m, rows, None, ae_data[:1], None, 1, seed),
                       denoiser)
    print(f"  matrix products alone: {floor:.1f} s; course style / floor {course_ae / floor:.2f}x (the most any "
          "fp32 loop could gain)")
    best = lambda r: max((v, k) for k, v in r.items() if "bf16" not in k)  # noqa: E731
    print("best fp32 ratio (course-style / variant): CNN4MNIST {:.2f}x ({}), denoising {:.2f}x ({})".format(
        *best(cnn), *best(ae)))


if __name__ == "__main__":
    main()
