"""The course's MNIST as its FFN, data and measurePerformance notebooks use it: the 20,000-image stand-in for
Colab's mnist_train_small.csv (from `dudl prepare mnist`), flattened to 784 pixels, divided by the max, and
split 90/10. Torch-free: experiments turn the arrays into batches (32, drop_last) and one test batch with
dudl.experiments.training.loaders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PIXELS = 28 * 28
CLASSES = 10


@dataclass(frozen=True)
class MnistSplit:
    x_train: np.ndarray  # float32 [n_train, 784], in [0, 1]
    x_test: np.ndarray
    y_train: np.ndarray  # int64 digit labels
    y_test: np.ndarray

    def as_tuple(self):
        """(x_train, x_test, y_train, y_test): the order of train_test_split and of training.train_run."""
        return self.x_train, self.x_test, self.y_train, self.y_test


def load_small(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [20000, 784], labels int64 [20000]) of train_small.npz, as the CSV's rows are laid out."""
    with np.load(path) as data:
        images, labels = data["images"], data["labels"]
    return images.reshape(len(images), PIXELS), labels.astype(np.int64)


def normalize(images: np.ndarray) -> np.ndarray:
    """The course's `data / np.max(data)`: float32 in [0, 1] (the max of these images is 255)."""
    return (images / np.max(images)).astype(np.float32)


def course_split(images: np.ndarray, labels: np.ndarray, seed: int, test_size: float = 0.1) -> MnistSplit:
    """The course's unstratified `train_test_split(data, labels, test_size=.1)`, seeded."""
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=test_size, random_state=seed)
    return MnistSplit(x_train, x_test, y_train, y_test)


def standard(images: np.ndarray, labels: np.ndarray, seed: int, keep: np.ndarray | None = None,
             test_size: float = 0.1) -> MnistSplit:
    """Normalise and split in the course's order. `keep`: indices of the rows to use (the course's own
    selections, such as dropping sevens, and a stratified subset at small scales), taken before the split."""
    if keep is not None:
        images, labels = images[keep], labels[keep]
    return course_split(normalize(images), labels, seed, test_size)
