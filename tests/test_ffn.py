"""Section ffn: the course's MNIST subset and split, the pixel transforms, and each notebook at a tiny scale."""

import numpy as np
import pytest
import torch

from conftest import run_experiment
from dudl.catalog.ffn import breadth_depth_points, optimizer_points
from dudl.data import mnist
from dudl.experiments import ffn as F
from dudl.params import Scale


@pytest.fixture(scope="module")
def digits(project):
    path = project / "data" / "processed" / "mnist" / "train_small.npz"
    if not path.exists():
        pytest.skip("needs the offline dataset mirror: set DUDL_MIRROR=../shared/datasets (.ci/run does)")
    return mnist.load_small(path)


def test_mnist_subset_and_split_are_deterministic_with_the_course_sizes(digits):
    images, labels = digits
    assert images.shape == (20000, 784) and images.dtype == np.uint8 and labels.shape == (20000,)
    counts = np.bincount(labels, minlength=10)
    assert counts.sum() == 20000 and counts.min() > 1500  # every digit is there in about its MNIST share
    a, b = (mnist.standard(images, labels, seed=3) for _ in range(2))
    assert (len(a.y_train), len(a.y_test)) == (18000, 2000)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert a.x_train.min() == 0 and a.x_train.max() == 1 and a.x_train.dtype == np.float32
    assert np.bincount(np.concatenate([a.y_train, a.y_test]), minlength=10).tolist() == counts.tolist()


def test_roll_moves_each_image_sideways_by_its_own_shift():
    images = np.arange(2 * 784).reshape(2, 784)
    rolled = F.roll(images, np.array([3, -28]))
    assert np.array_equal(rolled[0].reshape(28, 28), np.roll(images[0].reshape(28, 28), 3, axis=1))
    assert np.array_equal(rolled[1], images[1])  # a full turn is the image itself


def test_parameter_histogram_is_a_density_over_its_range():
    torch.manual_seed(0)
    model = torch.nn.Linear(50, 20)
    hist = F.parameter_histogram(model, 40, (-1, 1))
    assert hist.shape == (40,) and hist.sum() * (2 / 40) == pytest.approx(1.0)


def test_sweep_points_are_the_course_grids():
    assert len(optimizer_points({"optimizers": ["SGD", "RMSprop", "Adam"],
                                 "lrs": {"start": 1e-4, "stop": 0.1, "num": 6, "log": True}}, Scale(1.0))) == 18
    assert len(breadth_depth_points({"hidden_layers": [1, 2, 3], "units": {"start": 50, "stop": 250, "num": 5}},
                                    Scale(1.0))) == 15


def test_about_mnist_counts_the_digits(project, digits):
    r = run_experiment(project, "ffn/about_mnist")
    assert r.metrics["images"] == 20000 and r.metrics["sevens"] == int((digits[1] == 7).sum())
    assert r.summary["count"].sum() == 20000 and -1 <= r.metrics["seven_corr_min"] < r.metrics["seven_corr_max"] <= 1


@pytest.mark.parametrize("name", ["ffn_on_mnist", "binarized", "normalization", "scrambled", "shifted"])
def test_mnist_variants_train_and_report(project, name):
    r = run_experiment(project, f"ffn/{name}")
    assert 0 <= r.metrics["final_test_acc"] <= 100 and len(r.history) >= 2
    if name == "binarized":
        assert r.metrics["unique_values_binarized"] == 2 and r.metrics["unique_values_raw"] > 2
    if name == "normalization":
        assert r.metrics["train_max"] == 1 and r.metrics["test_max"] == 1
    if name == "scrambled":
        assert r.metrics["pixels_moved"] > 700
    if name == "shifted":
        assert -10 <= r.metrics["shift_min"] and r.metrics["shift_max"] <= 10


def test_missing7_never_trains_on_a_seven_and_shows_them_all(project, digits):
    r = run_experiment(project, "ffn/missing7")
    assert r.metrics["sevens"] == int((digits[1] == 7).sum())
    assert r.summary["share_of_sevens"].sum() == pytest.approx(1.0)


def test_weight_histograms_take_one_histogram_per_epoch_and_the_start(project):
    r = run_experiment(project, "ffn/weight_histograms")
    assert r.data["histograms"].shape[0] == len(r.history) + 1 == len(r.summary)


def test_sweeps_combine_their_points(project):
    r = run_experiment(project, "ffn/breadth_depth")
    row = r.summary.iloc[0]
    u, layers = int(row["units"]), int(row["hidden_layers"])
    assert row["parameters"] == 784 * u + u + layers * (u * u + u) + u * 10 + 10
    o = run_experiment(project, "ffn/optimizers")
    assert set(o.summary["optimizer"]) == {"SGD", "RMSprop", "Adam"}
    assert o.metrics["best_run_test_acc"] == pytest.approx(o.summary["last_test_acc"].max())
