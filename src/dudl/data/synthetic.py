"""The course's synthetic datasets, drawn from a seeded numpy Generator (the course draws them unseeded).

All return float32 features and int64 labels (or float32 targets), ready for torch.from_numpy.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def qwerties(rng: np.random.Generator, centers: Sequence[Sequence[float]], n_per_cluster: int, blur: float):
    """Isotropic 2-D Gaussian clouds ("qwerties"), one per center; label i for the i-th center."""
    xs, ys = [], []
    for label, (cx, cy) in enumerate(centers):
        # x then y draws per cluster, as the course's notebooks do
        x = cx + rng.standard_normal(n_per_cluster) * blur
        y = cy + rng.standard_normal(n_per_cluster) * blur
        xs.append(np.column_stack([x, y]))
        ys.append(np.full(n_per_cluster, label))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def doughnut_qwerties(rng: np.random.Generator, n_per_cluster: int = 200, radii=(10.0, 15.0)):
    """Two noisy rings traced twice around (th in 0..4pi): class 0 noisier in x, class 1 noisier in y."""
    th = np.linspace(0, 4 * np.pi, n_per_cluster)
    r1, r2 = radii
    a = np.column_stack([r1 * np.cos(th) + rng.standard_normal(n_per_cluster) * 3,
                         r1 * np.sin(th) + rng.standard_normal(n_per_cluster)])
    b = np.column_stack([r2 * np.cos(th) + rng.standard_normal(n_per_cluster),
                         r2 * np.sin(th) + rng.standard_normal(n_per_cluster) * 3])
    labels = np.concatenate([np.zeros(n_per_cluster), np.ones(n_per_cluster)])
    return np.concatenate([a, b]).astype(np.float32), labels.astype(np.int64)


def linear_regression(rng: np.random.Generator, n: int, slope: float = 1.0, noise_std: float = 0.5):
    """x ~ N(0,1), y = slope*x + N(0, noise_std^2); both returned as (n, 1) float32 columns."""
    x = rng.standard_normal((n, 1))
    y = slope * x + rng.standard_normal((n, 1)) * noise_std
    return x.astype(np.float32), y.astype(np.float32)
