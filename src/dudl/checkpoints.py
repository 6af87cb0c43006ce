"""Model files: a state_dict plus plain metadata, written atomically, loaded with weights_only=True (no pickled
code ever runs). Every model file of the pipeline (results/<section>/<experiment>/<name>.pt) and every resume
checkpoint of the trainer is one."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from dudl.atomic import atomic_write


def save_checkpoint(path: Path, model: nn.Module | dict, **meta) -> Path:
    state = model.state_dict() if isinstance(model, nn.Module) else model
    return atomic_write(Path(path), lambda tmp: torch.save({"state_dict": state, "meta": meta}, tmp))


def load_checkpoint(path: Path, model: nn.Module | None = None, map_location="cpu") -> dict:
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if model is not None:
        model.load_state_dict(checkpoint["state_dict"])
    return checkpoint
