"""Scale shrinks data too: a stratified, seeded subset of training samples for smoke runs of experiments whose
datasets are large (CIFAR-10, CelebA). At fraction 1.0 it is every sample, in order: scale 1.0 is unchanged."""

from __future__ import annotations

import math

import numpy as np


def stratified_subset(labels, fraction: float, rng: np.random.Generator, minimum_per_class: int = 1) -> np.ndarray:
    """Sorted indices of about `fraction` of the samples, the same share of every class (rounded up, at least
    `minimum_per_class`, never more than the class has), drawn by `rng`. Every index when fraction >= 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one per sample (1-D), got shape {labels.shape}")
    if not 0 < fraction:
        raise ValueError(f"fraction must be > 0, got {fraction}")
    if fraction >= 1:
        return np.arange(len(labels))
    picked = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        k = min(len(members), max(minimum_per_class, math.ceil(len(members) * fraction)))
        picked.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(picked)) if picked else np.arange(0)
