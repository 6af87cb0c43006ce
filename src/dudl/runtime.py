"""What a job sets up before any experiment code runs, and what the trainer reads from it while it runs: threads,
device, seeds, CUDA determinism, precision, and where (and how often) the current run checkpoints for resume.

Kept apart from the trainer (dudl.train) so that experiments that never train (math, gradient descent) do not
depend on the trainer's code: their numbers cannot change when it does, and nothing reruns them when it does.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import torch

CHECKPOINT_SECONDS_ENV = "DUDL_CHECKPOINT_SECONDS"
DEFAULT_CHECKPOINT_SECONDS = 120.0  # "a run longer than a few minutes checkpoints now and then"
NONDETERMINISTIC_WARNING = "does not have a deterministic implementation"


# ---------------------------------------------------------------- device and threads


def resolve_device(name: str = "auto", wants_gpu: bool = True) -> torch.device:
    """`auto` is CUDA for an experiment that declares a GPU (catalog `gpu: 1`) when CUDA is present, else the CPU.
    The tiny models of the other experiments run faster on the CPU (a CUDA kernel launch costs more than their
    arithmetic), and keeping them off the GPU is what lets `--resources gpu=1` schedule the GPU's real users."""
    if name == "auto":
        return torch.device("cuda" if wants_gpu and torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device '{name}' requested but CUDA is not available; use device: auto or cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("device 'mps' requested but MPS is not available; use device: auto or cpu")
    return torch.device(name)


def configure(threads: int = 1, device: str = "auto", wants_gpu: bool = True) -> torch.device:
    """Threads from the job (Snakemake's `threads:`), so `--cores N` runs N jobs side by side; on CUDA, the flags
    that make runs repeatable (deterministic_cuda)."""
    torch.set_num_threads(max(1, int(threads)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process
        pass
    resolved = resolve_device(device, wants_gpu)
    if resolved.type == "cuda":
        deterministic_cuda()
    return resolved


def deterministic_cuda() -> None:
    """cuDNN deterministic and not benchmarking, cuBLAS with a fixed workspace, and torch's deterministic
    algorithms where they exist; an op without one warns (warn_only) and the run is then recorded as not
    deterministic (RunSettings.deterministic). Bit-identical to the CPU it never is: metrics.json records the
    device."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS initialises
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)


def seed_torch(seed: int) -> torch.Generator:
    """Seed torch's global RNG (model inits, dropout; every CUDA device too) and return a CPU generator for
    shuffling."""
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


# ---------------------------------------------------------------- the current run


@dataclass
class RunSettings:
    """What the trainer applies to every training of the current run without the experiment code passing it:
    autocast precision, and the folder, fingerprint and interval of resume checkpoints (None: no resume)."""

    precision: str = "fp32"
    fast_kernels: bool = False  # dudl.train.use_fast_kernels on every training
    resume_dir: Path | None = None
    fingerprint: str = ""
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS
    trainings: int = 0  # counts trainer calls: the n-th training of a run resumes from the n-th checkpoint
    nondeterministic_ops: list[str] = field(default_factory=list)

    def next_training(self) -> int:
        self.trainings += 1
        return self.trainings

    @property
    def deterministic(self) -> bool:
        return not self.nondeterministic_ops


_CURRENT: contextvars.ContextVar[RunSettings] = contextvars.ContextVar("dudl_run", default=RunSettings())


def current() -> RunSettings:
    return _CURRENT.get()


def checkpoint_seconds() -> float:
    value = os.environ.get(CHECKPOINT_SECONDS_ENV)
    return DEFAULT_CHECKPOINT_SECONDS if value is None else float(value)


@contextlib.contextmanager
def run_settings(**kwargs) -> Iterator[RunSettings]:
    """Settings for the code run inside; CUDA's 'no deterministic implementation' warnings are collected into
    them (so metrics.json can say whether the run was deterministic) rather than printed once per op."""
    settings = RunSettings(**kwargs)
    token = _CURRENT.set(settings)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            yield settings
        for w in caught:
            text = str(w.message)
            if NONDETERMINISTIC_WARNING in text:
                settings.nondeterministic_ops.append(text.split(" does not")[0][:200])
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    finally:
        _CURRENT.reset(token)
