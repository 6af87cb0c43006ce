"""Section cnn_milestone: the nets' sizes and parameter counts, the bars and the anti-aliased test lines, random
flips, the dev/test split, and each project at a tiny scale (the CIFAR-10 ones on a tiny upstream-format archive,
through fetch -> prepare -> run -> figures)."""

import shutil

import numpy as np
import pytest
import torch

from archives import use_tiny_cifar10
from conftest import fetch_and_prepare, run_experiment
from dudl import params as P
from dudl.data import fetch, prepare, registry
from dudl.experiments import cnn_milestone as M
from dudl.models.cnn_milestone import bar_net, cifar_autoencoder, cifar_classifier, fashion_classifier
from dudl.models.mlp import count_parameters
from dudl.params import Scale


def test_nets_have_the_course_sizes_and_parameter_counts():
    # The notebooks print no summary: the counts are by hand (weights + biases; batchnorm: 2 per channel).
    cifar = cifar_classifier()
    assert cifar[:12](torch.zeros(2, 3, 32, 32)).shape == (2, 256, 2, 2)  # 32 -> 16 -> 7 -> 2
    assert cifar(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert count_parameters(cifar) == ((3 * 64 * 9 + 64) + 2 * 64 + (64 * 128 * 9 + 128) + 2 * 128
                                       + (128 * 256 * 9 + 256) + 2 * 256 + (1024 * 256 + 256) + (256 * 64 + 64)
                                       + (64 * 10 + 10)) == 651_210
    fashion = fashion_classifier()
    assert fashion[:8](torch.zeros(2, 1, 28, 28)).shape == (2, 32, 6, 6)  # 28 -> 14 -> 6
    assert count_parameters(fashion) == ((1 * 16 * 9 + 16) + 2 * 16 + (16 * 32 * 9 + 32) + 2 * 32 + (1152 * 64 + 64)
                                         + (64 * 32 + 32) + (32 * 10 + 10)) == 81_098
    ae = cifar_autoencoder()
    assert ae[:6](torch.zeros(2, 3, 32, 32)).shape == (2, 64, 4, 4)  # 32 -> 16 -> 8 -> 4
    assert ae(torch.zeros(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    assert isinstance(ae[-1], torch.nn.LeakyReLU)  # the course's leaky ReLU on the output too
    assert count_parameters(ae) == ((3 * 16 * 16 + 16) + (16 * 32 * 16 + 32) + (32 * 64 * 16 + 64)
                                    + (64 * 32 * 16 + 32) + (32 * 16 * 16 + 16) + (16 * 3 * 16 + 3)) == 83_619
    bars = bar_net()
    assert bars[:6](torch.zeros(2, 1, 30, 30)).shape == (2, 10, 7, 7)  # 30 -> 15 -> 7
    assert count_parameters(bars) == (1 * 5 * 9 + 5) + (5 * 10 * 9 + 10) + (490 * 15 + 15) + (15 + 1) == 7_891


def test_dropout_is_off_in_eval_mode():
    net = fashion_classifier().eval()
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(net(x), net(x))


def test_signed_unit_is_to_tensor_then_normalize():
    images = np.array([[[[0, 255, 51]]]], dtype=np.uint8)  # [1, 1, 1, 3]: one RGB pixel
    x = M.signed_unit(images)
    assert x.shape == (1, 3, 1, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 0, 0], [-1, 1, 51 / 255 * 2 - 1], rtol=1e-6)
    assert M.signed_unit(np.zeros((2, 28, 28), dtype=np.uint8)).shape == (2, 1, 28, 28)


def test_noisy_bars_have_one_bar_of_ones_labelled_by_orientation():
    images, labels = M.noisy_bars(np.random.default_rng(0), 40)
    assert images.shape == (40, 1, 30, 30) and set(labels) == {0, 1}
    for image, label in zip(images[:, 0], labels):
        ones = image == 1
        full = ones.all(axis=0 if label else 1)  # vertical: whole columns of 1s; horizontal: whole rows
        assert 2 <= full.sum() <= 5 and full[2:].any() and not full[:2].any()


def test_line_images_are_the_course_lines_shallow_then_steep():
    images, slopes = M.line_images(30)
    assert images.shape == (60, 1, 30, 30) and images.max() <= 1 and images.min() == 0
    assert slopes[0] == pytest.approx(1) and slopes[29] == pytest.approx(-1)
    assert np.all(np.abs(slopes[:30]) <= 1 + 1e-9) and np.all(np.abs(slopes[30:]) >= 1 - 1e-9)
    assert max(abs(slopes)) == pytest.approx(29)  # the two nearly vertical lines the course's xlim clips
    assert images[0, 0, 0, 0] == 1 and images[0, 0, 29, 29] == 1  # the diagonal from (0, 0) to (29, 29)


def test_random_flips_flip_whole_images_about_half_the_time():
    x = torch.arange(200 * 4, dtype=torch.float32).reshape(200, 1, 1, 4)
    batches = M.RandomFlips([(x, torch.zeros(200))], 0.5, torch.Generator().manual_seed(0))
    (xb, _), = list(batches)
    same = (xb == x).flatten(1).all(1)
    flipped = (xb == x.flip(-1)).flatten(1).all(1)
    assert bool((same | flipped).all()) and 70 < int(flipped.sum()) < 130
    (again, _), = list(batches)
    assert not torch.equal(again, xb)  # drawn anew on every pass, as a Dataset transform is


def test_dev_test_split_is_the_course_6000_4000_at_scale_one():
    class Ctx:
        scale = Scale(1.0)

        @staticmethod
        def rng(*keys):
            return np.random.default_rng(0)

    dev, test = M.dev_test_split(Ctx, 10_000, 6000)
    assert (len(dev), len(test)) == (6000, 4000) and not set(dev) & set(test)
    Ctx.scale = Scale(0.02)
    dev, test = M.dev_test_split(Ctx, 3, 6000)
    assert (len(dev), len(test)) == (2, 1)  # a tiny archive still has both sets


def test_psychometric_trains_and_scores_the_lines(project):
    r = run_experiment(project, "cnn_milestone/psychometric")
    assert r.metrics["lines"] == len(r.summary) == 60 and r.metrics["images"] == 200
    assert 0 <= r.metrics["percent_vertical"] <= 100 and r.summary["p_vertical"].between(0, 1).all()
    assert list(r.history.columns) == ["epoch", "train_loss", "train_acc", "test_loss", "test_acc"]


def test_fashion_mnist_trains_with_a_dev_and_a_test_set(project):
    fetch_and_prepare(project, "fashion_mnist")
    r = run_experiment(project, "cnn_milestone/fashion_mnist")
    m = r.metrics
    assert (m["train_images"], m["dev_images"], m["test_images"]) == (1200, 120, 80)  # 2% of 60,000 and 10,000
    assert m["parameters"] == 81_098 and 0 <= m["test_acc"] <= 100
    assert list(r.history.columns) == ["epoch", "train_loss", "train_acc", "dev_loss", "dev_acc"]
    assert r.data["examples"].shape == (18, 1, 28, 28) and len(r.table("example_labels")) == 18


def test_cifar10_projects_run_the_whole_chain_on_a_tiny_upstream_archive(project, tmp_path, monkeypatch):
    """fetch (from a mirror, checksummed) -> prepare (torchvision's CIFAR10) -> both CIFAR-10 projects -> their
    figures, on an archive in the exact upstream layout (20 training and 4 test images)."""
    tiny, _ = use_tiny_cifar10(tmp_path, monkeypatch)
    try:
        fetch.fetch(tiny, project, fetch.mirror_roots())
        prepare.prepare(tiny, P.load(project), project, log=lambda *a: None)
        classify = run_experiment(project, "cnn_milestone/cifar10_classify")
        ae = run_experiment(project, "cnn_milestone/cifar10_autoencoder")
    finally:
        for part in ("raw", "processed"):
            shutil.rmtree(project / "data" / part / "cifar10", ignore_errors=True)
    m = classify.metrics
    assert m["classes"] == 10 and m["parameters"] == 651_210
    assert m["dev_images"] >= 1 and m["test_images"] >= 1 and m["train_images"] <= 20
    assert classify.data["examples"].shape[1:] == (3, 32, 32)
    assert ae.metrics["parameters"] == 83_619 and ae.metrics["final_test_loss"] > 0
    assert ae.data["reconstructions"].shape == ae.data["originals"].shape
    assert ae.data["originals"].shape[1:] == (3, 32, 32)
