"""The Gaussian-blob images of the CNN section (91 x 91 on a grid linspace(-4, 4, 91)) and of the GAN section
(64 x 64 on linspace(-4, 4, 64)), plus white noise."""

from __future__ import annotations

import numpy as np

SIZE = 91
EXTENT = 4.0


def grid(size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-EXTENT, EXTENT, size)
    return np.meshgrid(x, x)


def two_widths(rng: np.random.Generator, per_class: int, widths=(1.8, 2.4), offset: float = 2.0,
               noise: float = 0.2, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """GaussClass: images [2N, 1, size, size] float32, labels [2N, 1] (0: the narrow width, 1: the wide one,
    alternating); each blob exp(-r^2 / (2 w^2)) at a centre offset * N(0, 1) per axis, + N(0, 1) * noise."""
    xx, yy = grid(size)
    n = 2 * per_class
    images = np.empty((n, 1, size, size), dtype=np.float32)
    labels = (np.arange(n) % 2).astype(np.float32)[:, None]
    for i in range(n):
        cx, cy = offset * rng.standard_normal(2)
        width = widths[i % 2]
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * width ** 2))
        images[i, 0] = blob + rng.standard_normal((size, size)) * noise
    return images, labels


def located(rng: np.random.Generator, n: int, width_range=(5.0, 15.0), noise: float = 0.1,
            size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """findGauss: images [n, 1, size, size] and targets [n, 3] = (centre x, centre y, width) of exp(-r^2 / w),
    the centre (max(x) / 2) * N(0, 1) per axis and w ~ U(5, 15), + N(0, 1) * noise."""
    xx, yy = grid(size)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    targets = np.empty((n, 3), dtype=np.float32)
    low, high = width_range
    for i in range(n):
        cx, cy = EXTENT / 2 * rng.standard_normal(2)
        width = rng.random() * (high - low) + low
        images[i, 0] = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / width) + rng.standard_normal((size, size)) * noise
        targets[i] = (cx, cy, width)
    return images, targets


def occluded(rng: np.random.Generator, n: int, width_range=(2.0, 20.0), offset: float = 1.5, noise: float = 0.2,
             bar_start=(2, 28), bar_thickness=(2, 6), size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """GaussAE and friends: (clean, occluded) images [n, 1, size, size]. Blob i is exp(-r^2 / w_i) with the
    widths evenly spaced over width_range, centred at offset * N(0, 1), + N(0, 1) * noise; its occluded copy
    has one bar set to 1: rows (or, at random, columns) from a start in [bar_start) of a thickness in
    [bar_thickness)."""
    xx, yy = grid(size)
    widths = np.linspace(*width_range, n)
    clean = np.empty((n, 1, size, size), dtype=np.float32)
    barred = np.empty_like(clean)
    for i in range(n):
        cx, cy = offset * rng.standard_normal(2)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / widths[i]) + rng.standard_normal((size, size)) * noise
        clean[i, 0] = blob
        start, thick = rng.integers(*bar_start), rng.integers(*bar_thickness)
        if rng.standard_normal() > 0:
            blob[start:start + thick, :] = 1
        else:
            blob[:, start:start + thick] = 1
        barred[i, 0] = blob
    return clean, barred


GAN_SIZE = 64


def random_widths(rng: np.random.Generator, n: int, offset: float = 2.0, width_low: float = 1.8,
                  width_scale: float = 1 / 0.6, noise: float = 0.2, size: int = GAN_SIZE) -> np.ndarray:
    """The GAN notebooks' blobs: images [n, 1, size, size] float32, each exp(-r^2 / (2 w^2)) at a centre
    offset * N(0, 1) per axis with w = U(0, 1) * width_scale + width_low (the course's rand()/.6 + 1.8),
    + N(0, 1) * noise (the course's randn/5); drawn per image in the course's order (centre, width, noise)."""
    xx, yy = grid(size)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    for i in range(n):
        cx, cy = offset * rng.standard_normal(2)
        width = rng.random() * width_scale + width_low
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * width ** 2))
        images[i, 0] = blob + rng.standard_normal((size, size)) * noise
    return images
