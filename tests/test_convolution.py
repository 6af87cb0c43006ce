"""Section convolution: convolution by hand against scipy and torch, the layers' shapes and the output sizes the
course prints, pooling, the CIFAR-10 chain (fetch, prepare, transforms, figures) on a tiny upstream-format
archive, and the custom Dataset."""

import shutil

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d

from archives import use_tiny_cifar10
from conftest import run_experiment
from dudl import params as P
from dudl.data import fetch, prepare
from dudl.experiments import convolution as C


def test_convolution_by_hand_is_scipy_convolution():
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((12, 9)), rng.standard_normal((3, 3))
    ours = C.convolve_by_hand(image, kernel)
    assert ours.shape == (10, 7) and np.allclose(ours, convolve2d(image, kernel, mode="valid"))
    assert C.gaussian_kernel(7, 7.0)[3, 3] == 1.0  # exp(0) at the centre of linspace(-3, 3, 7)


def test_output_size_formula_matches_torch_for_many_shapes():
    for n, k, s, p in [(28, 5, 1, 0), (227, 11, 4, 1), (96, 5, 2, 3), (31, 4, 3, 2)]:
        layer = torch.nn.Conv2d(1, 1, k, stride=s, padding=p)
        assert layer(torch.zeros(1, 1, n, n)).shape[-1] == C.expected_size(n, k, s, p)


def test_notebook_answers_give_their_target_sizes(project):
    r = run_experiment(project, "convolution/output_size")
    cases = P.experiment_slice(P.load(project), "convolution", "output_size")["experiment"]["cases"]
    reordered = C.output_size({"cases": dict(reversed(list(cases.items())))}, None)
    assert reordered.metrics == r.metrics  # by name, whatever order the params arrive in
    assert r.metrics["cases_matching"] == r.metrics["cases"] == 6
    assert (r.metrics["worked_example_height"], r.metrics["worked_example_width"]) == (252, 84)  # "[1 252 84]"
    alexnet = r.summary.set_index("case").loc["alexnet"]
    assert (alexnet["empirical_channels"], alexnet["empirical_height"]) == (96, 55)


def test_conv_layers_have_the_course_shapes(project):
    conv = run_experiment(project, "convolution/conv2")
    assert conv.summary["weight"].iloc[0] == "[15, 3, 5, 5]" and conv.summary["output"].iloc[0] == "[1, 15, 60, 60]"
    transpose = run_experiment(project, "convolution/conv2_transpose")
    assert transpose.summary["weight"].iloc[0] == "[3, 15, 5, 5]"
    assert transpose.summary["output"].iloc[0] == "[1, 15, 68, 68]"


def test_conv_in_code_stands_in_the_offline_photo_and_says_so(project, monkeypatch):
    monkeypatch.setenv(fetch.OFFLINE_ENV, "1")
    r = run_experiment(project, "convolution/conv_in_code")
    assert r.metrics["max_abs_diff_manual_scipy"] < 1e-10 and r.metrics["max_abs_diff_torch_scipy"] < 1e-10
    assert r.metrics["photo_is_the_course_one"] == 0 and "Starry Night" in r.summary["photo"].iloc[0]
    assert "put the file at" in r.summary["photo"].iloc[0] and "data/raw/external/De_nieuwe" in r.summary["photo"].iloc[0]


def test_conv_in_code_uses_the_course_photo_when_it_is_there(project, tmp_path):
    from PIL import Image

    local = tmp_path / "bathtub.png"
    Image.fromarray(np.full((40, 50, 3), 200, dtype=np.uint8)).save(local)
    try:
        r = run_experiment(project, "convolution/conv_in_code", overrides=[f"convolution.conv_in_code.photo={local}"])
    finally:
        (project / "data" / "raw" / "external" / local.name).unlink(missing_ok=True)
    assert r.metrics["photo_is_the_course_one"] == 1 and (r.metrics["photo_height"], r.metrics["photo_width"]) == (40, 50)


def test_pooling_shapes(project):
    r = run_experiment(project, "convolution/pooling")
    assert (r.metrics["maxpool2d_3ch_channels"], r.metrics["maxpool3d_channels"], r.metrics["pooled_height"]) == (3, 1, 10)
    assert r.metrics["cnn_conv_height"] == 43 and r.metrics["cnn_flat_features"] == 588
    assert 0 < r.metrics["cnn_probability"] < 1


def test_transforms_run_the_whole_cifar10_chain_on_a_tiny_upstream_archive(project, tmp_path, monkeypatch):
    """fetch (from a mirror, checksummed) -> prepare (torchvision's CIFAR10 opens the archive) -> the experiment
    -> its figures, on an archive in the exact upstream layout."""
    tiny, _ = use_tiny_cifar10(tmp_path, monkeypatch)
    try:
        fetch.fetch(tiny, project, fetch.mirror_roots())
        written = prepare.prepare(tiny, P.load(project), project, log=lambda *a: None)
        assert sorted(p.name for p in written) == ["test.npz", "train.npz"]
        with np.load(project / "data" / "processed" / "cifar10" / "train.npz") as data:
            assert data["images"].shape == (20, 32, 32, 3) and data["images"].dtype == np.uint8
            assert list(data["classes"])[:2] == ["airplane", "automobile"]
        r = run_experiment(project, "convolution/transforms")
    finally:
        for part in ("raw", "processed"):
            shutil.rmtree(project / "data" / part / "cifar10", ignore_errors=True)
    assert r.metrics["train_images"] == 20 and r.metrics["classes"] == 10
    assert (r.metrics["transformed_channels"], r.metrics["transformed_height"]) == (1, 128)


def test_custom_dataset_applies_its_transform_per_item(project):
    r = run_experiment(project, "convolution/custom_dataset")
    assert (r.metrics["batch_size"], r.metrics["batch_channels"], r.metrics["batch_height"]) == (8, 1, 28)
    assert r.metrics["labels_kept"] == 1 and 0 <= r.metrics["flipped"] <= 8
    x = torch.arange(6.0).reshape(2, 1, 1, 3)
    ds = C.TransformedTensors(x, torch.tensor([0, 1]), lambda t: t * 2)
    assert torch.equal(ds[1][0], x[1] * 2) and len(ds) == 2
    with pytest.raises(ValueError):
        C.TransformedTensors(x, torch.tensor([0]))
