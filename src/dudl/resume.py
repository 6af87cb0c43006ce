"""Resume checkpoints: a training that runs longer than DUDL_CHECKPOINT_SECONDS (120 s by default) saves, at
epoch ends, everything its continuation depends on (models, optimizers, schedulers, loss scalers, every RNG
state, the shuffling generator, history, keep-the-best state, step count). A rerun of the same run after a kill
picks it up and ends with the same numbers as an uninterrupted run (tests/test_resume.py kills one with SIGKILL).

A run's n-th training uses the n-th checkpoint of its folder (results/<section>/<experiment>[/points/<p>]/resume),
so a sweep of many trainings resumes at the one that was interrupted; a finished training whose checkpoint was
written replays instantly from its final state. Each checkpoint carries the run's fingerprint (its params and
the contents of its code): after an edit it no longer matches and is discarded. The runner removes the folder
once the run's outputs are written.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from dudl.atomic import atomic_write
from dudl.checkpoints import load_tensors, save_tensors


def rng_state(generator: torch.Generator | None = None) -> dict:
    """torch (CPU and every CUDA device), numpy's and Python's global RNGs, and a data generator, as tensors and
    plain values (loadable with weights_only=True)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos, "has_gauss": has_gauss,
                  "cached": cached},
        "python": random.getstate(),
        "generator": generator.get_state() if generator is not None else None,
    }


def restore_rng(state: Mapping[str, Any], generator: torch.Generator | None = None) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    random.setstate(_tuples(state["python"]))
    if generator is not None and state["generator"] is not None:
        generator.set_state(state["generator"])


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


class Resume:
    """The checkpoint file of one training of the current run."""

    def __init__(self, path: Path, fingerprint: str, interval: float, desc: str = ""):
        self.path, self.fingerprint, self.interval, self.desc = Path(path), fingerprint, interval, desc
        self.last = time.monotonic()
        self.saved = False

    @classmethod
    def for_training(cls, settings, desc: str = "") -> "Resume | None":
        if settings.resume_dir is None:
            return None
        index = settings.next_training()
        return cls(Path(settings.resume_dir) / f"training-{index:04d}.pt", settings.fingerprint,
                   settings.checkpoint_seconds, desc)

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.interval

    def load(self, epochs: int) -> dict | None:
        """The saved state, or None (none saved, unreadable, from other params or code, or another length)."""
        if not self.path.exists():
            return None
        try:
            state = load_tensors(self.path)
        except Exception as exc:  # noqa: BLE001 - a damaged checkpoint is discarded, never trusted
            print(f"dudl: discarding unreadable checkpoint {self.path}: {exc}", file=sys.stderr)
            self.path.unlink(missing_ok=True)
            return None
        if state.get("fingerprint") != self.fingerprint or state.get("epochs") != epochs:
            print(f"dudl: discarding {self.path}: it belongs to other params or code", file=sys.stderr)
            self.path.unlink(missing_ok=True)
            return None
        self.saved = True
        what = "finished; replaying its final state" if state["done"] else f"resuming at epoch {state['epoch']}"
        print(f"dudl: {self.desc or 'training'}: checkpoint {self.path.name} found, {what}", file=sys.stderr)
        return state

    def save(self, state: dict) -> None:
        state = {**state, "fingerprint": self.fingerprint}
        atomic_write(self.path, lambda tmp: save_tensors(state, tmp))
        self.saved = True
        self.last = time.monotonic()
