"""Model files: a state_dict plus plain metadata, written atomically, loaded with weights_only=True (no pickled
code ever runs). Every model file of the pipeline (results/<section>/<experiment>/<name>.pt) and every resume
checkpoint of the trainer is one; every torch.load of the package goes through load_tensors."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from torch import nn

from dudl.atomic import atomic_write, write_stream


class UnsafeFile(pickle.UnpicklingError):
    """A file that should hold tensors and plain data holds pickled code (or other objects): refused, nothing ran."""


def load_tensors(path: Path, map_location="cpu"):
    """torch.load(path, weights_only=True): tensors and plain data only. A file that holds anything else (a pickled
    function or class, which a full unpickler would call) is an UnsafeFile naming it, and none of it runs."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = str(exc).split("WeightsUnpickler error:", 1)[-1].strip().split(". ")[0]
        raise UnsafeFile(f"{path}: refused: it holds pickled code or objects, not only tensors and plain data "
                         f"({detail}); it was not loaded and none of it ran. Delete it and let dudl write it "
                         f"again") from exc


def save_tensors(obj, path: Path) -> None:
    """torch.save(obj, path); a failed write (disk full) is the OSError itself, not torch's own RuntimeError."""
    write_stream(path, lambda fh: torch.save(obj, fh))


def save_checkpoint(path: Path, model: nn.Module | dict, **meta) -> Path:
    state = model.state_dict() if isinstance(model, nn.Module) else model
    return atomic_write(Path(path), lambda tmp: save_tensors({"state_dict": state, "meta": meta}, tmp))


def load_checkpoint(path: Path, model: nn.Module | None = None, map_location="cpu") -> dict:
    checkpoint = load_tensors(path, map_location=map_location)
    if model is not None:
        model.load_state_dict(checkpoint["state_dict"])
    return checkpoint
