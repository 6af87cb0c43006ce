"""Section cnn: the nets' sizes and parameter counts, the Gaussian generators, the course's roll, each notebook at a
tiny scale, and the EMNIST chain (fetch -> prepare -> train -> figures) on a tiny archive in the upstream layout."""

import shutil

import numpy as np
import pytest
import torch

from archives import use_tiny_emnist
from conftest import run_experiment
from dudl.data import gaussians
from dudl.experiments import cnn as C
from dudl.models.cnn import GAUSS_FLAT, gauss_conv, gauss_net, mnist_cnn
from dudl.models.mlp import count_parameters


def test_mnist_cnn_has_the_course_sizes_and_parameters():
    net = mnist_cnn()
    assert net[:6](torch.zeros(2, 1, 28, 28)).shape == (2, 20, 5, 5)  # 28 -> 26 -> 13 -> 11 -> 5
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert count_parameters(net) == (1 * 10 * 25 + 10) + (10 * 20 * 25 + 20) + (500 * 50 + 50) + (50 * 10 + 10)


def test_gauss_nets_flatten_4_x_22_x_22():
    assert gauss_conv()(torch.zeros(1, 1, 91, 91)).shape == (1, GAUSS_FLAT) and GAUSS_FLAT == 1936
    assert gauss_net(3)(torch.zeros(5, 1, 91, 91)).shape == (5, 3)


def test_gaussian_generators_follow_the_course():
    rng = np.random.default_rng(0)
    images, labels = gaussians.two_widths(rng, 5, noise=0.0)
    assert images.shape == (10, 1, 91, 91) and labels[:, 0].tolist() == [0, 1] * 5
    assert np.isclose(images.max(axis=(1, 2, 3)), 1, atol=0.05).all()  # a noiseless blob peaks near 1
    wide, narrow = ((images[labels[:, 0] == k, 0] > 0.5).sum(axis=(1, 2)).mean() for k in (1, 0))
    assert wide > narrow
    located, targets = gaussians.located(np.random.default_rng(1), 20, noise=0.0)
    xx, yy = gaussians.grid()
    inside = 0
    for image, (cx, cy, w) in zip(located[:, 0], targets):
        assert 5 <= w <= 15
        if max(abs(cx), abs(cy)) < 3.9:  # a centre can fall off the -4..4 grid (its peak is then at the edge)
            peak = np.unravel_index(image.argmax(), image.shape)
            assert abs(xx[peak] - cx) < 0.1 and abs(yy[peak] - cy) < 0.1
            inside += 1
    assert inside >= 10


def test_roll_rows_shifts_vertically_as_the_course_does():
    images = np.arange(2 * 784, dtype=float).reshape(2, 1, 28, 28)
    rolled = C.roll_rows(images, np.array([3, 0]))
    assert np.array_equal(rolled[0, 0], np.roll(images[0, 0], 3, axis=0)) and np.array_equal(rolled[1], images[1])


def test_cnn_experiments_train_and_report(project):
    r = run_experiment(project, "cnn/cnn4mnist")
    assert 0 <= r.metrics["final_test_acc"] <= 100 and r.metrics["parameters"] == count_parameters(mnist_cnn())
    s = run_experiment(project, "cnn/shifted")
    assert -10 <= s.metrics["shift_min"] < s.metrics["shift_max"] <= 10
    g = run_experiment(project, "cnn/gauss_class")
    assert g.data["filters1"].shape == (6, 3, 3) and g.data["filters2"].shape == (4, 6, 3, 3)
    from dudl.plots import cnn as plots

    drawn = plots.gauss_class(g, {})
    shown = lambda fig: sum(bool(ax.images) for ax in fig.axes)  # noqa: E731
    # two classes: the titles repeat, and every image still gets its panel
    assert shown(drawn["examples"]) == 21 and shown(drawn["predictions"]) == len(g.summary)
    f = run_experiment(project, "cnn/find_gauss")
    assert -1 <= f.metrics["r_width"] <= 1 and {"true_x", "pred_width"} <= set(f.summary.columns)


def test_occluded_blobs_have_one_bar_of_ones_and_a_clean_twin():
    clean, barred = gaussians.occluded(np.random.default_rng(0), 6, noise=0.0)
    assert clean.shape == barred.shape == (6, 1, 91, 91)
    for c, b in zip(clean[:, 0], barred[:, 0]):
        changed = c != b
        rows, cols = changed.any(axis=1), changed.any(axis=0)
        assert (b[changed] == 1).all()
        assert (rows.sum() == 91 and 2 <= cols.sum() <= 5) or (cols.sum() == 91 and 2 <= rows.sum() <= 5)


def test_feature_map_nets_size_their_code_from_the_layers():
    from dudl.models.cnn import FeatureMapNet, gauss_autoencoder

    assert FeatureMapNet().fc1.in_features == 1936
    soft = FeatureMapNet((3, 6), (3, 2), (2, 3), padding=0)
    a1, a2 = soft.maps(torch.zeros(1, 1, 91, 91))
    assert a1.shape == (1, 3, 45, 30) and a2.shape == (1, 6, 10, 5) and soft.fc1.in_features == 60
    assert gauss_autoencoder()(torch.zeros(2, 1, 91, 91)).shape == (2, 1, 91, 91)


def test_custom_losses_are_what_they_say():
    y = torch.randn(4, 1, 5, 5)
    assert C.l1_loss(y + 0.5, y) == pytest.approx(0.5)
    assert C.l2_mean_loss(y + 0.5, y) == pytest.approx(0.25 + abs(float((y + 0.5).mean())), rel=1e-5)
    assert C.correlation_loss(3 * y + 7, y) == pytest.approx(-1.0, abs=1e-5)  # blind to offset and scale


@pytest.mark.parametrize("name", ["feature_maps", "softcoding"])
def test_feature_map_experiments_record_maps_and_correlations(project, name):
    r = run_experiment(project, f"cnn/{name}")
    k = r.data["conv1"].shape[0]
    assert r.data["shown_images"].shape[0] == k and r.data["mean1"].shape[0] == r.data["conv1"].shape[1]
    assert 0 <= r.metrics["mean_abs_corr_conv2"] <= 1


@pytest.mark.parametrize("name", ["gauss_ae", "ae_occlusion", "custom_loss"])
def test_conv_autoencoders_run(project, name):
    r = run_experiment(project, f"cnn/{name}")
    assert r.metrics["iterations"] == len(r.data["losses"]) and r.data["outputs"].shape[1:] == (91, 91)


def test_linear_units_grid_and_sweep(project):
    from dudl.catalog.cnn import unit_points
    from dudl.models.cnn import gauss_wide_net
    from dudl.params import Scale

    points = unit_points({"units": {"start": 5, "stop": 500, "num": 20}}, Scale(1.0))
    assert len(points) == 20 and points[:3] == ["U5", "U31", "U57"] and points[-1] == "U500"
    assert gauss_wide_net(7)(torch.zeros(2, 1, 91, 91)).shape == (2, 1)
    r = run_experiment(project, "cnn/linear_units")
    assert len(r.summary) >= 3 and r.metrics["min_test_acc"] <= r.metrics["max_test_acc"]


def test_emnist_nets_have_the_course_sizes_and_parameters():
    from dudl.models.cnn import emnist_deep_net, emnist_net

    net = emnist_net()
    assert net[:8](torch.zeros(2, 1, 28, 28)).shape == (2, 6, 7, 7)  # 28 -> 14 -> 7, the notebook's 7*7*6 = 294
    # conv 1*6*9+6, BatchNorm 2*6, conv 6*6*9+6, BatchNorm 2*6, 294*50+50, 50*26+26
    assert count_parameters(net) == 60 + 12 + 330 + 12 + 14750 + 1326 == 16490
    assert emnist_net((3, 7))(torch.zeros(2, 1, 28, 28)).shape == (2, 26)
    deep = emnist_deep_net()
    assert deep[:15](torch.zeros(2, 1, 28, 28)).shape == (2, 256, 2, 2)  # the notebook's 2*2*256 = 1024
    assert count_parameters(deep) == 640 + 128 + 73856 + 256 + 295168 + 512 + 262400 + 16448 + 1690 == 651098


def test_emnist_registry_keeps_torchvisions_download_path():
    from torchvision.datasets import EMNIST

    from dudl.data import registry

    spec = registry.get("emnist").files[0]
    assert spec.urls == (EMNIST.url,) and spec.checksums == (f"md5:{EMNIST.md5}",)


def test_channel_grid_puts_the_single_run_first():
    from dudl.catalog.cnn import channel_points

    points = channel_points({"channels": [3, 7], "values": [2, 5, 8]}, None)
    assert points[0] == "c3_7" and len(points) == 10 and points[1:4] == ["c2_2", "c2_5", "c2_8"]
    assert len(channel_points({"channels": [5, 5], "values": [2, 5, 8]}, None)) == 9  # the single run is in the grid


@pytest.fixture
def tiny_emnist(project, tmp_path, monkeypatch):
    """The letters of a tiny upstream gzip.zip, fetched from a mirror and prepared by torchvision's EMNIST."""
    from dudl import params as P
    from dudl.data import fetch, prepare

    tiny, letters = use_tiny_emnist(tmp_path, monkeypatch, per_split=260)
    try:
        fetch.fetch(tiny, project, fetch.mirror_roots(), log=lambda *a: None)
        written = prepare.prepare(tiny, P.load(project), project, log=lambda *a: None)
        yield written, letters
    finally:
        for part in ("raw", "processed"):
            shutil.rmtree(project / "data" / part / "emnist", ignore_errors=True)


def test_emnist_chain_runs_on_a_tiny_upstream_archive(project, tiny_emnist):
    written, (images, labels) = tiny_emnist
    assert [p.name for p in written] == ["letters.npz", "digits.npz"]  # digits: for transfer learning
    with np.load(written[0]) as data:
        assert np.array_equal(data["images"], images) and np.array_equal(data["labels"], labels)
        assert data["classes"][0] == "N/A" and data["classes"][1] == "a" and len(data["classes"]) == 27
    assert not list((project / "data" / "raw" / "emnist").glob(".emnist.*")), "the unpacked files were left behind"
    epochs = ["cnn.emnist.epochs=2", "cnn.num_chans.epochs=2", "cnn.beat_this.epochs=2"]
    r = run_experiment(project, "cnn/emnist", scale=1.0, overrides=epochs)
    assert r.metrics["images"] == 260 and r.metrics["final_test_err"] == pytest.approx(100 - r.metrics["final_test_acc"])
    assert r.data["confusion"].shape == (26, 26) and r.metrics["parameters"] == 16490
    assert np.array_equal(r.data["examples"][0], images[0].T)  # drawn transposed back, as the course's I.T
    pixels = r.table("pixels")
    assert pixels[pixels.stage == "after"]["value"].max() == 1.0
    assert pixels[pixels.stage == "before"]["count"].sum() == images.size
    n = run_experiment(project, "cnn/num_chans", scale=1.0, overrides=epochs)
    assert len(n.summary) == 9 and set(n.summary["c1"]) == {2, 5, 8}
    assert -1 <= n.metrics["r_channels_test_err"] <= 1 and set(n.table("curves")["run"]) >= {"c3_7", "c8_8"}
    b = run_experiment(project, "cnn/beat_this", scale=1.0, overrides=epochs)
    assert b.metrics["images"] == 260 and 0 <= b.metrics["final_test_err"] <= 100


def test_fast_kernels_param_reaches_the_trainer_and_is_recorded(project):
    fast = run_experiment(project, "cnn/softcoding", overrides=["fast_kernels=true"], figures=False)
    slow = run_experiment(project, "cnn/softcoding", figures=False)
    assert fast.meta["fast_kernels"] is True and "fast_kernels" not in slow.meta
    assert fast.metrics["final_train_loss"] == pytest.approx(slow.metrics["final_train_loss"], rel=1e-3)
