"""The shared pieces of the FFN, data and measurePerformance sections: the course's MNIST (subset, scaling,
split), performance measures (scikit-learn's, checked against the course's formulas on counts), the class gap,
confusion-matrix and per-class figures, and model files that round-trip bit-exactly."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from dudl import performance
from dudl.checkpoints import load_checkpoint, save_checkpoint
from dudl.data import fetch, mnist, prepare, registry
from dudl.models.mlp import mlp


def random_labels(seed: int, n: int = 400, classes: int = 2, skill: float = 0.7):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, n)
    y_pred = np.where(rng.random(n) < skill, y_true, rng.integers(0, classes, n))
    return y_true, y_pred


@pytest.mark.parametrize("seed", range(5))
def test_binary_scores_agree_with_the_course_formulas_on_counts(seed):
    y_true, y_pred = random_labels(seed)
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    tn = int(((y_pred == 0) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    ours = performance.scores(y_true, y_pred)
    course = performance.from_counts(tp, fp, tn, fn)
    for measure in performance.MEASURES:
        assert ours[measure] == pytest.approx(float(course[measure]), abs=1e-12), measure
    assert 0.5 < ours["accuracy"] < 1.0  # the random labels are neither chance nor perfect


def test_weighted_and_macro_scores_are_averages_of_the_per_class_ones():
    y_true, y_pred = random_labels(7, n=2000, classes=10, skill=0.8)
    table = performance.per_class(y_true, y_pred, range(10))
    weights = table["n"] / table["n"].sum()
    weighted = performance.scores(y_true, y_pred, average="weighted")
    macro = performance.scores(y_true, y_pred, average="macro")
    for measure in ("precision", "recall", "f1"):
        assert weighted[measure] == pytest.approx(float((table[measure] * weights).sum()))
        assert macro[measure] == pytest.approx(float(table[measure].mean()))
    # Recall of a class is the accuracy on that class's samples; weighted recall is overall accuracy.
    for k in range(10):
        assert table.loc[k, "recall"] == pytest.approx(float((y_pred[y_true == k] == k).mean()))
    assert weighted["recall"] == pytest.approx(weighted["accuracy"])


def test_class_gap_names_the_best_and_the_worst_served_class():
    y_true = np.array([0] * 10 + [1] * 10 + [2] * 10)
    y_pred = np.array([0] * 10 + [1] * 5 + [0] * 5 + [2] * 8 + [1] * 2)
    gap = performance.class_gap(performance.per_class(y_true, y_pred, [0, 1, 2]))
    assert (gap["best_recall_class"], gap["worst_recall_class"]) == (0, 1)
    assert gap["recall_gap"] == pytest.approx(0.5)


def test_confusion_rows_are_true_classes_and_normalised_rows_sum_to_one():
    y_true, y_pred = random_labels(3, n=600, classes=4)
    counts = performance.confusion(y_true, y_pred, range(4))
    assert counts.sum() == 600 and counts.sum(axis=1).tolist() == np.bincount(y_true, minlength=4).tolist()
    assert counts[1, 2] == int(((y_true == 1) & (y_pred == 2)).sum())
    shares = performance.confusion(y_true, y_pred, range(4), normalize="true")
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_confusion_heatmap_writes_every_count_and_per_class_bars_every_class():
    from dudl.plots import style

    style.apply()
    y_true, y_pred = random_labels(4, n=300, classes=3)
    counts = performance.confusion(y_true, y_pred, range(3))
    fig, axes = style.figure(2)
    style.confusion_heatmap(axes[0], counts, range(3), title="Test")
    style.per_class_bars(axes[1], performance.per_class(y_true, y_pred, range(3)), ylim=(0, 1))
    texts = [t.get_text() for t in axes[0].texts]
    assert sorted(texts) == sorted(str(v) for v in counts.ravel())
    assert len(axes[1].patches) >= 6  # precision and recall bars for 3 classes
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_model_files_round_trip_bit_exactly(tmp_path):
    torch.manual_seed(0)
    model = mlp([784, 64, 32, 32, 10])
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 1e-3)  # not the init's values only
    path = save_checkpoint(tmp_path / "model.pt", model, epoch=7)
    torch.manual_seed(1)
    loaded = mlp([784, 64, 32, 32, 10])
    meta = load_checkpoint(path, loaded)  # weights_only=True
    assert meta["meta"]["epoch"] == 7
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name


def test_course_split_is_seeded_and_ninety_ten():
    images = np.random.default_rng(0).integers(0, 256, (1000, 784), dtype=np.uint8)
    labels = np.arange(1000) % 10
    x = mnist.normalize(images)
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() == 1.0
    a, b = mnist.course_split(x, labels, seed=5), mnist.course_split(x, labels, seed=5)
    other = mnist.course_split(x, labels, seed=6)
    assert a.x_train.shape == (900, 784) and a.x_test.shape == (100, 784)
    assert np.array_equal(a.y_test, b.y_test) and np.array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.y_test, other.y_test)


@pytest.mark.skipif(not os.environ.get(fetch.MIRROR_ENV), reason="needs DUDL_MIRROR (the offline dataset mirror)")
def test_standard_mnist_is_the_course_subset_scaled_and_split(tmp_path):
    ds = registry.get("mnist")
    fetch.fetch(ds, tmp_path, fetch.mirror_roots(), upstream=False, log=lambda m: None)
    prepare.prepare(ds, {"data": {"mnist": {"size": 20000, "seed": 20000}}}, tmp_path, log=lambda m: None)
    images, labels = mnist.load_small(tmp_path / ds.processed_dir / "train_small.npz")
    assert images.shape == (20000, 784) and images.dtype == np.uint8
    split = mnist.standard(images, labels, seed=11)
    assert split.x_train.shape == (18000, 784) and split.x_test.shape == (2000, 784)
    assert split.x_train.dtype == np.float32 and split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    counts = np.bincount(np.concatenate([split.y_train, split.y_test]), minlength=10)
    assert counts.sum() == 20000 and counts.min() > 1700 and counts.max() < 2400  # every digit, none dominant
    again = mnist.standard(images, labels, seed=11)
    assert np.array_equal(split.x_test, again.x_test) and np.array_equal(split.y_train, again.y_train)
    keep = np.flatnonzero(labels != 7)
    no_sevens = mnist.standard(images, labels, seed=11, keep=keep)
    assert 7 not in no_sevens.y_train and len(no_sevens.y_train) + len(no_sevens.y_test) == len(keep)
