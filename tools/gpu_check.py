"""The CUDA paths of the trainer, in one short script for a lent GPU machine (the `device` tool):

    python tools/gpu_check.py

- a tiny CNN trains from a CPU DataLoader (the trainer moves each batch to the GPU), twice with one seed: with
  the determinism flags of dudl.runtime the two runs must give the same losses;
- fp16 (GradScaler) and bf16 autocast train the same CNN to a finite loss;
- a GAN trains through GANStep on CUDA, recording both losses and D(real)/D(fake) per step;
- the run's determinism record (what metrics.json stores) and a CPU-vs-CUDA timing ratio for a mid-sized CNN.

Exits 2 without CUDA (there is nothing to check), 1 when a check fails. The unit tests cover the same code on
the CPU; this script is never part of CI.
"""

from __future__ import annotations

import os
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dudl import runtime
from dudl.steps import GANStep
from dudl.train import Batches, supervised_step, train


class CNN(nn.Module):
    def __init__(self, width: int = 8, size: int = 16):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(2 * width * (size // 4) ** 2, 2)

    def forward(self, x):
        return self.head(torch.flatten(self.body(x), 1))


def images(n: int, size: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 1, size, size, generator=g) * 0.5 + y[:, None, None, None]
    return x, y


def train_cnn(device, precision="fp32", epochs=3, width=8, size=16, n=512, seed=1):
    runtime.seed_torch(seed)
    x, y = images(n, size)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(seed))
    model = CNN(width, size).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    step = supervised_step(model, nn.CrossEntropyLoss(), opt)
    history = train(step, loader, epochs, modules=model, optimizers=opt, precision=precision)
    return history["train_loss"]


def train_gan(device, steps_per_epoch=8, epochs=5):
    runtime.seed_torch(2)
    real = torch.randn(512, 1) * 0.5 + 3.0
    gen = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)).to(device)
    disc = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid()).to(device)
    g_opt, d_opt = (torch.optim.Adam(m.parameters(), lr=1e-3) for m in (gen, disc))
    step = GANStep(gen, disc, g_opt, d_opt, latent=lambda n, dev: torch.randn(n, 4, device=dev))
    batches = Batches(real, torch.zeros(512), 512 // steps_per_epoch, shuffle=True, generator=runtime.seed_torch(3))
    return train(step, batches, epochs, modules={"generator": gen, "discriminator": disc},
                 optimizers={"g": g_opt, "d": d_opt}, record_steps=True)


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu_check: CUDA is not available here; nothing to check", file=sys.stderr)
        return 2
    failures = []

    def check(ok: bool, what: str) -> None:
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    device = runtime.configure(threads=4, device="auto", wants_gpu=True)
    check(device.type == "cuda", f"auto device for a gpu experiment is {device}")
    check(torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark, "cuDNN deterministic")
    check(os.environ.get("CUBLAS_WORKSPACE_CONFIG") == ":4096:8", "CUBLAS_WORKSPACE_CONFIG set")
    check(torch.are_deterministic_algorithms_enabled(), "use_deterministic_algorithms on (warn_only)")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")

    with runtime.run_settings() as settings:
        first, second = train_cnn(device), train_cnn(device)
        check(list(first) == list(second), f"CNN on CUDA repeats bit for bit: {list(first)}")
        check(bool(first[-1] < first[0]), "CNN loss falls")
        for precision in ("fp16", "bf16"):
            losses = train_cnn(device, precision)
            check(bool(torch.isfinite(torch.as_tensor(losses)).all()), f"{precision} autocast: losses {list(losses)}")
        history = train_gan(device)
        check(all(len(history.steps[k]) == 40 for k in ("d_loss", "g_loss", "d_real", "d_fake")),
              "GAN records d_loss, g_loss, D(real), D(fake) at every step")
    check(settings.deterministic, f"run recorded as deterministic (non-deterministic ops: {settings.nondeterministic_ops})")

    # Benchmark (a ratio, not a target): one mid-sized CNN, CPU vs CUDA, measured side by side here.
    kwargs = dict(epochs=1, width=32, size=32, n=4096)
    train_cnn(device, **{**kwargs, "n": 256})  # warm up CUDA kernels
    cuda_s = timed(train_cnn, device, **kwargs)
    cpu_s = timed(train_cnn, torch.device("cpu"), **kwargs)
    print(f"timing: mid CNN epoch CPU {cpu_s:.2f} s, CUDA {cuda_s:.2f} s, ratio {cpu_s / cuda_s:.1f}x")
    print("gpu_check: " + ("all checks passed" if not failures else f"{len(failures)} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
