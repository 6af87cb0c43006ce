"""Benchmark: the FFN on MNIST and the breadth x depth sweep, the course's own loop against the pipeline's, side by
side in one run.

    python -m benchmarks.ffn                       # the course's settings: 60 epochs, 15 nets x 60 epochs
    python -m benchmarks.ffn --epochs 3 --sweep-epochs 3 --repeats 3   # a shorter measure
    python -m benchmarks.ffn --parts machine --sweep-epochs 10          # only the sweep on the whole machine
    python -m benchmarks.ffn --parts ffn --threads 2                    # the FFN, every loop on 2 threads

Every variant trains the same net from the same initial weights on the same 18,000 digits, batches of 32
(drop_last), SGD lr .01, and scores the 2,000 test digits once per epoch:
- course: the notebooks' loop as they write it (FFN_FFNonMNIST, FFN_CodeChallengeBreadthDepth): their model
  classes (F.relu between the layers; the FFN ends in log_softmax and trains with NLLLoss, the sweep's nets with
  CrossEntropyLoss), DataLoader(TensorDataset) with shuffle and drop_last, per batch `loss.item()` and an
  accuracy tensor, np.mean of both lists per epoch, and the test set through `next(iter(test_loader))`;
- ours: the pipeline's code path (dudl.train.fit over dudl.train.Batches, what experiments.training.train_run
  calls), which trains these nets with dudl.backprop's hand-made backward, a step a call into C++
  (dudl.backprop_native): autograd's numbers, bit for bit;
- ours, Python step: the same with DUDL_NATIVE=0, the hand-made step written in Python;
- ours, autograd: the same with DUDL_AUTOGRAD_ONLY=1, to show what the hand-made backward gains;
- floor: the same training's matrix products alone (forward and backward, nothing else), the most any fp32
  loop on this many threads could gain.
Rounds are interleaved (course, ours, ours Python step, ours autograd, floor, then again) and the fastest run of
each counts (benchmarks/cnn.py's compare).

The sweep is also timed as each is run on the whole machine: the notebook trains its 15 nets one after another in
one process, with torch's default threads (every core); the pipeline runs them as 15 Snakemake jobs, one thread
each, `--cores N` at a time. `--jobs N` (default: the machine's cores) starts each net as a fresh process, N at a
time (python, imports and data every time, as a Snakemake job pays them), against the course loop in one process
at torch's default threads.

Not a test: timings depend on the machine. Ratios, not totals, are what to compare.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks.course import FFN_LAYERS, CourseMnistNet, course_loop, sgd  # noqa: E402
from dudl import backprop, backprop_native  # noqa: E402
from dudl.data import mnist  # noqa: E402
from dudl.models.mlp import MLP, mlp  # noqa: E402
from dudl.runtime import configure  # noqa: E402
from dudl.train import Batches, accuracy, fit  # noqa: E402

SWEEP = [(layers, units) for units in (50, 100, 150, 200, 250) for layers in (1, 2, 3)]  # the notebook's order


def our_loop(model, x_train, y_train, x_test, y_test, epochs: int, seed: int, make_optimizer=sgd,
             loss_fn: nn.Module | None = None, batch_size: int = 32) -> float:
    train = Batches(x_train, y_train, batch_size, shuffle=True, drop_last=True,
                    generator=torch.Generator().manual_seed(seed))
    history = fit(model, train, loss_fn or nn.CrossEntropyLoss(), make_optimizer(model.parameters()), epochs,
                  metric=accuracy, test=Batches(x_test, y_test, None))
    return float(history["test_acc"][-1])


def with_env(name: str, value: str, loop):
    """`loop` with one environment switch set (DUDL_AUTOGRAD_ONLY=1: autograd; DUDL_NATIVE=0: the Python step)."""

    def run(*args, **kwargs):
        before = os.environ.get(name)
        os.environ[name] = value
        try:
            return loop(*args, **kwargs)
        finally:
            if before is None:
                del os.environ[name]
            else:
                os.environ[name] = before

    return run


def autograd_only(loop):
    """`loop` with dudl.backprop switched off (DUDL_AUTOGRAD_ONLY=1)."""
    return with_env(backprop.ENV, "1", loop)


def python_step(loop):
    """`loop` with dudl.backprop's step in Python, not its compiled C++ (DUDL_NATIVE=0)."""
    return with_env(backprop_native.ENV, "0", loop)


def at_threads(threads: int, loop):
    """`loop` on this many threads (torch's default is one per core: what a notebook gets)."""

    def run(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return loop(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return run


@torch.no_grad()
def matmul_floor(model, x_train, y_train, x_test, y_test, epochs: int, seed: int, **_) -> float:
    """The training's matrix products only: per batch h_i @ W_i^T forward, then dW_i = g^T h_i and (but for the
    first layer, whose input needs no gradient) g @ W_i backward; per epoch one forward of the test set."""
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    n = len(x_train) // 32
    for _ in range(epochs):
        for i in range(n):
            h, inputs = x_train[i * 32:(i + 1) * 32], []
            for w in weights:
                inputs.append(h)
                h = h @ w.T
            g = h
            for j in range(len(weights) - 1, -1, -1):
                g.T @ inputs[j]
                if j:
                    g = g @ weights[j]
        h = x_test
        for w in weights:
            h = h @ w.T
    return float("nan")


def training_flops(layers: list[int], n_train: int, n_test: int, epochs: int, batch: int = 32) -> float:
    """FLOPs of the training's matrix products (2 per multiply-add): per full batch of `batch`, each layer's
    forward and weight gradient, and its input gradient but for the first layer; per epoch a test-set forward."""
    pairs = list(zip(layers[:-1], layers[1:]))
    per_sample = sum(2 * a * b * (3 if i else 2) for i, (a, b) in enumerate(pairs))
    steps = n_train // batch
    return epochs * (steps * batch * per_sample + n_test * sum(2 * a * b for a, b in pairs))


def matmul_rate(size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of a large fp32 matrix product at torch's current threads: the best this CPU does."""
    from benchmarks.stacked import timed

    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm up
    best = min(timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best


def load_data() -> list[torch.Tensor]:
    images, labels = mnist.load_small(ROOT / "data" / "processed" / "mnist" / "train_small.npz")
    split = mnist.standard(images, labels, seed=0)
    return [torch.tensor(a) for a in (split.x_train, split.y_train, split.x_test, split.y_test)]


# ---------------------------------------------------------------- per training, one thread each


def ffn_variants():
    nll = nn.NLLLoss()
    course = lambda m, *a, seed: course_loop(CourseMnistNet(m), *a, seed=seed, loss_fn=nll,  # noqa: E731
                                             test_no_grad=False)
    ours = lambda m, *a, seed: our_loop(m, *a, seed=seed, loss_fn=nll)  # noqa: E731
    return course, ours, {"ours": ({}, False), "ours, Python step": ({}, False, python_step(ours)),
                          "ours, autograd": ({}, False, autograd_only(ours)),
                          "matrix products alone (floor)": ({}, False, matmul_floor),
                          DEFAULT_THREADS: ({}, False, at_threads(os.cpu_count() or 1, course))}


DEFAULT_THREADS = f"course, torch's default {os.cpu_count()} threads"


def sweep_variants():
    return course_loop, our_loop, {"ours": ({}, False), "ours, Python step": ({}, False, python_step(our_loop)),
                                   "ours, autograd": ({}, False, autograd_only(our_loop)),
                                   "matrix products alone (floor)": ({}, False, matmul_floor)}


def ffn_per_training(data, epochs: int, repeats: int) -> dict[str, float]:
    from benchmarks.cnn import compare

    course, ours, variants = ffn_variants()
    print(f"FFN on MNIST ({epochs} epochs), {torch.get_num_threads()} thread(s):")
    course_s, ffn = compare("FFN on MNIST", "test acc", course, ours, lambda: mlp(FFN_LAYERS, output="logsoftmax"),
                     (*data, epochs), (*data, 1), repeats, variants)
    # The floor: the FLOPs the training needs, at the rate of a large matrix product on this CPU
    # (small products run below that rate, so no fp32 loop can reach it).
    flops = training_flops(FFN_LAYERS, len(data[0]), len(data[2]), epochs)
    rate = matmul_rate()
    floor = flops / rate
    ours_s = course_s / ffn["ours"]
    print(f"arithmetic floor: {flops / 1e9:.1f} GFLOP at {rate / 1e9:.1f} GFLOP/s (a 2048 x 2048 product) = "
          f"{floor:.2f} s; ours / floor {ours_s / floor:.2f}x, course style / floor {course_s / floor:.2f}x")
    as_run = ffn["ours"] / ffn[DEFAULT_THREADS]
    print(f"FFN on MNIST as each runs by default here (the notebook at torch's default {os.cpu_count()} threads, "
          f"a pipeline job at {torch.get_num_threads()}): {as_run:.2f}x")
    return {"FFN": ffn["ours"], "FFN, each at its default threads": as_run, "FFN, floor / ours": floor / ours_s}


def sweep_per_training(data, sweep_epochs: int, repeats: int) -> dict[str, float]:
    from benchmarks.cnn import compare

    course, ours, variants = sweep_variants()
    totals: dict[str, float] = {}
    print(f"breadth x depth, {len(SWEEP)} nets ({sweep_epochs} epochs each), {torch.get_num_threads()} thread(s), "
          "one net at a time:")
    for layers, units in SWEEP:
        base, ratios = compare(f"  L{layers} U{units}", "test acc", course, ours,
                               lambda: MLP(mnist.PIXELS, units, layers, mnist.CLASSES), (*data, sweep_epochs),
                               (*data, 1), repeats, variants)
        totals["course"] = totals.get("course", 0.0) + base
        for label, ratio in ratios.items():
            totals[label] = totals.get(label, 0.0) + base / ratio
    print("breadth x depth, the 15 nets together: course {:.1f} s; ".format(totals["course"]) + ", ".join(
        f"{label} {seconds:.1f} s ({totals['course'] / seconds:.2f}x)" for label, seconds in totals.items()
        if label != "course"))
    return {"breadth x depth": totals["course"] / totals["ours"]}


# ---------------------------------------------------------------- the sweep on the whole machine


def one_net(layers: int, units: int, epochs: int) -> None:
    """A pipeline job's work: a fresh process, one thread, the data, one net (as `dudl run ffn/breadth_depth
    --point L*_U*` does, less its params and output files)."""
    configure(1, "cpu")
    data = load_data()
    torch.manual_seed(0)
    our_loop(MLP(mnist.PIXELS, units, layers, mnist.CLASSES), *data, epochs, seed=0)


def whole_machine(sweep_epochs: int, jobs: int) -> float:
    torch.set_num_threads(os.cpu_count() or 1)  # the notebook's torch: every core
    data = load_data()
    start = time.perf_counter()
    for layers, units in SWEEP:
        torch.manual_seed(0)
        course_loop(MLP(mnist.PIXELS, units, layers, mnist.CLASSES), *data, sweep_epochs, seed=0)
    course = time.perf_counter() - start
    torch.set_num_threads(1)

    def job(point):
        subprocess.run([sys.executable, "-m", "benchmarks.ffn", "--one-net", *map(str, point), str(sweep_epochs)],
                       check=True, cwd=ROOT)

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:  # the widest nets first, as a scheduler with estimates would
        list(pool.map(job, sorted(SWEEP, key=lambda p: -p[0] * p[1])))
    ours = time.perf_counter() - start
    print(f"breadth x depth on the whole machine ({os.cpu_count()} cores, {sweep_epochs} epochs a net): course "
          f"notebook, one process at {os.cpu_count()} threads, {course:.1f} s; ours, {len(SWEEP)} jobs of one "
          f"thread, {jobs} at a time, each a fresh process, {ours:.1f} s: {course / ours:.2f}x")
    return course / ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60, help="FFN epochs (the course: 60)")
    parser.add_argument("--sweep-epochs", type=int, default=None, help="epochs per breadth x depth net (default: "
                        "--epochs; the course: 60)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant; the fastest counts")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel jobs for the whole-machine "
                        "sweep")
    parser.add_argument("--threads", type=int, default=1, help="threads of every loop in the ffn and sweep "
                        "parts (the pipeline gives a job one unless it runs alone)")
    parser.add_argument("--parts", default="ffn,sweep,machine", help="which measures, of ffn (the FFN, "
                        "--threads), sweep (the 15 nets one by one, --threads) and machine (the sweep on the whole "
                        "machine)")
    parser.add_argument("--one-net", nargs=3, type=int, metavar=("LAYERS", "UNITS", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_net:
        one_net(*args.one_net)
        return
    configure(args.threads, "cpu")
    data = load_data()
    sweep_epochs = args.sweep_epochs or args.epochs
    parts = set(args.parts.split(","))
    ratios = {}
    if "ffn" in parts:
        ratios.update(ffn_per_training(data, args.epochs, args.repeats))
    if "sweep" in parts:
        ratios.update(sweep_per_training(data, sweep_epochs, args.repeats))
    if "machine" in parts:
        ratios["breadth x depth, whole machine"] = whole_machine(sweep_epochs, args.jobs)
    print("ratios (course / ours): " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
