"""Section gans: the nets' shapes and parameter counts, the 64 x 64 blobs, GANStep against the course's loop
(bit for bit), the fixed-latent snapshots, each experiment at a tiny scale, and the CIFAR-10 and CelebA chains
(fetch -> prepare -> train -> figures) on tiny files in the exact upstream layouts."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from archives import use_tiny_celeba, use_tiny_cifar10
from conftest import fetch_and_prepare, run_experiment
from dudl import params as P
from dudl.data import fetch, gaussians, prepare, registry
from dudl.experiments import gans as G
from dudl.models import gans
from dudl.models.mlp import count_parameters
from dudl.runtime import seed_torch
from dudl.steps import GANStep

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, beside src/


def test_linear_nets_have_the_course_shapes_and_parameter_counts():
    d, g = gans.linear_discriminator(), gans.linear_generator()
    assert g(torch.randn(10, 64)).shape == (10, 784) and d(torch.randn(10, 784)).shape == (10, 1)
    assert d(torch.randn(10, 1, 28, 28)).shape == (10, 1)  # image-shaped batches are flattened
    # by hand: weights + biases of 784-256-256-1 and 64-256-256-784
    assert count_parameters(d) == (784 * 256 + 256) + (256 * 256 + 256) + (256 + 1) == 267_009
    assert count_parameters(g) == (64 * 256 + 256) + (256 * 256 + 256) + (256 * 784 + 784) == 283_920
    out = g(torch.randn(50, 64))
    assert out.min() >= -1 and out.max() <= 1
    assert ((0 <= d(out)) & (d(out) <= 1)).all()


@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan64_goes_1x1_to_64x64_and_back(channels):
    g, d = gans.build("dcgan64", channels)
    sizes, x = [], torch.randn(2, 100, 1, 1)
    for layer in g:
        x = layer(x)
        if isinstance(layer, nn.ConvTranspose2d):
            sizes.append(tuple(x.shape[1:]))
    assert sizes == [(512, 4, 4), (256, 8, 8), (128, 16, 16), (64, 32, 32), (channels, 64, 64)]
    assert d(x).shape == (2, 1)
    assert not any(m.bias is not None for m in [*g, *d] if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    # by hand: no biases; 4 x 4 kernels; batchnorm 2 per channel
    conv_d = channels * 64 * 16 + 64 * 128 * 16 + 128 * 256 * 16 + 256 * 512 * 16 + 512 * 16
    conv_g = 100 * 512 * 16 + 512 * 256 * 16 + 256 * 128 * 16 + 128 * 64 * 16 + 64 * channels * 16
    assert count_parameters(d) == conv_d + 2 * (128 + 256 + 512)
    assert count_parameters(g) == conv_g + 2 * (512 + 256 + 128 + 64)
    if channels == 1:
        assert (count_parameters(g), count_parameters(d)) == (3_574_656, 2_763_520)  # catalog: ~3.5M + 2.8M


def test_dcgan_discriminator_puts_batchnorm_after_the_leaky_relu_as_the_course():
    kinds = [type(m).__name__ for m in gans.dcgan_discriminator(1)]
    assert kinds[:5] == ["Conv2d", "LeakyReLU", "Conv2d", "LeakyReLU", "BatchNorm2d"]


def test_shallow_nets_go_64_21_6_1_and_1_4_16_64():
    g, d = gans.build("shallow")
    x = torch.randn(3, 1, 64, 64)
    assert d[:2](x).shape[-1] == 21 and d[:5](x).shape[-1] == 6 and d(x).shape == (3, 1)
    z = torch.randn(3, 100, 1, 1)
    assert g[:3](z).shape[-1] == 4 and g[:6](z).shape[-1] == 16 and g(z).shape == (3, 1, 64, 64)


def test_gan_blobs_follow_the_course_formula():
    rng = np.random.default_rng(5)
    images = gaussians.random_widths(rng, 3, noise=0.0)
    assert images.shape == (3, 1, 64, 64) and images.dtype == np.float32
    rng = np.random.default_rng(5)
    cx, cy = 2 * rng.standard_normal(2)
    width = rng.random() / 0.6 + 1.8
    xx, yy = gaussians.grid(64)
    np.testing.assert_allclose(images[0, 0], np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * width ** 2)),
                               rtol=1e-6)
    noisy = gaussians.random_widths(np.random.default_rng(1), 200)
    assert 0.15 < float((noisy - gaussians.random_widths(np.random.default_rng(1), 200, noise=0)).std()) < 0.25


def test_gan_step_is_the_course_loop_bit_for_bit_and_the_joint_pass_is_near():
    """benchmarks/gan.py's course-style loop (non-detached fake batch, D's weights taking gradients in G's step,
    default Adam, .item()) and the experiment's code path record the same numbers from the same start."""
    from benchmarks import gan as B

    x = torch.rand(500, 784) * 2 - 1
    assert B.same_numbers(x, 40)
    runs = []
    for joint in (False, True):
        torch.manual_seed(0)
        out = {}
        B.our_loop(B.build(), x, 40, seed=0, out=out, joint=joint)
        runs.append(out["d_loss"])
    np.testing.assert_allclose(runs[0][:10], runs[1][:10], rtol=1e-4)  # the same function, other rounding


def test_joint_d_pass_is_refused_for_a_discriminator_with_batchnorm():
    g, d = gans.build("dcgan64")
    opt = torch.optim.Adam(g.parameters())
    with pytest.raises(ValueError, match="batchnorm"):
        GANStep(g, d, opt, opt, latent=lambda n, dev: torch.randn(n, 100, 1, 1), joint=True)


def test_gan_step_records_the_course_decisions_and_leaves_d_trainable():
    seed_torch(0)
    g, d = gans.linear_generator(), gans.linear_discriminator()
    step = GANStep(g, d, torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters()),
                   latent=lambda n, dev: torch.randn(n, 64))
    from dudl.train import StepTools

    values = step(torch.rand(16, 784) * 2 - 1, StepTools(torch.device("cpu"), "fp32", {"g": g, "d": d}, None))
    assert set(values) == {"d_loss", "g_loss", "d_real", "d_fake", "real_judged_real", "fake_judged_real"}
    assert all(0 <= float(values[k]) <= 1 for k in ("real_judged_real", "fake_judged_real"))
    assert float(values["real_judged_real"]) * 16 == round(float(values["real_judged_real"]) * 16)
    assert all(p.requires_grad for p in d.parameters())


def test_snapshots_draw_no_random_numbers_and_survive_a_resume():
    seed_torch(0)
    g = gans.linear_generator()
    snaps = G.Snapshots(g, torch.randn(4, 64, generator=torch.Generator().manual_seed(1)), every=3)
    before = torch.random.get_rng_state()
    snaps.take(0)
    for step in range(1, 10):
        snaps.after(step)
    assert torch.equal(torch.random.get_rng_state(), before) and g.training
    assert list(snaps.steps()) == [0, 3, 6, 9] and snaps.stacked().shape == (4, 4, 784)
    again = G.Snapshots(g, snaps.latents, every=3)
    again.load_state_dict(snaps.state_dict())
    assert list(again.steps()) == [0, 3, 6, 9] and np.array_equal(again.stacked(), snaps.stacked())


def test_to_signed_is_to_tensor_resize_normalize():
    x = torch.tensor([[[0, 255], [51, 255]]], dtype=torch.uint8)  # [1, 2, 2]
    out = G.to_signed(x)
    assert out.shape == (1, 1, 2, 2) and float(out.min()) == -1 and float(out.max()) == 1
    from torchvision.transforms import functional as F

    rgb = torch.randint(0, 256, (2, 32, 32, 3), dtype=torch.uint8)
    ours = G.to_signed(rgb, 64)
    theirs = torch.stack([F.normalize(F.resize(F.to_tensor(a.numpy()), 64, antialias=True), [.5] * 3, [.5] * 3)
                          for a in rgb])
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_linear_mnist_trains_snapshots_and_draws(project):
    r = run_experiment(project, "gans/linear_mnist", scale=0.005)
    m = r.metrics
    assert m["steps"] == 250 and (m["parameters_generator"], m["parameters_discriminator"]) == (283_920, 267_009)
    assert all(0 <= m[f"{k}_last"] <= 1 for k in ("d_real", "d_fake", "real_judged_real", "fake_judged_real"))
    assert m["d_loss_last"] > 0 and m["g_loss_last"] > 0
    assert list(r.data["snapshot_steps"]) == [0, 25, 50, 75, 100, 125, 150, 175, 200, 225, 250]
    assert r.data["snapshots"].shape == (11, 8, 784) and r.data["samples"].shape == (12, 784)
    assert not np.array_equal(r.data["snapshots"][0], r.data["snapshots"][-1])  # the generator learned something
    assert list(r.history.columns) == ["epoch", *G.RECORDED] and len(r.history) == 2


def test_fashion_gans_use_three_classes(project):
    fetch_and_prepare(project, "fashion_mnist")
    r = run_experiment(project, "gans/linear_fmnist", scale=0.005)
    assert set(r.table("example_labels")["label"]) <= {"Trouser", "Sneaker", "Sandal"}
    assert r.metrics["steps"] == 2 and r.data["samples"].shape == (18, 784)
    r = run_experiment(project, "gans/cnn_fmnist", scale=0.002, overrides=["gans.cnn_fmnist.batch_size=12"])
    assert r.data["examples"].shape[1:] == (1, 64, 64) and r.data["samples"].shape == (18, 1, 64, 64)
    assert set(r.table("example_labels")["label"]) <= {"Trouser", "Sneaker", "Pullover"}
    assert r.metrics["parameters_generator"] == 3_574_656


@pytest.mark.parametrize("name", ["fewer_layers_gauss", "cnn_gauss"])
def test_gaussian_gans_train_on_64x64_blobs(project, name):
    r = run_experiment(project, f"gans/{name}", scale=0.002, overrides=[f"gans.{name}.batch_size=6"])
    assert r.data["examples"].shape == (6, 1, 64, 64)  # 0.2% of 3,000 blobs
    assert r.data["samples"].shape == (18, 1, 64, 64) and r.metrics["steps"] == {"fewer_layers_gauss": 21,
                                                                                 "cnn_gauss": 3}[name]


def _clean(project, key):
    for part in ("raw", "processed"):
        shutil.rmtree(project / "data" / part / key, ignore_errors=True)


def test_cifar10_gan_runs_the_whole_chain_on_a_tiny_upstream_archive(project, tmp_path, monkeypatch):
    tiny, _ = use_tiny_cifar10(tmp_path, monkeypatch)
    try:
        fetch.fetch(tiny, project, fetch.mirror_roots(), log=lambda m: None)
        prepare.prepare(tiny, P.load(project), project, log=lambda *a: None)
        r = run_experiment(project, "gans/cnn_cifar10")
    finally:
        _clean(project, "cifar10")
    assert r.data["examples"].shape[1:] == (3, 64, 64) and r.data["samples"].shape == (18, 3, 64, 64)
    assert r.metrics["steps"] == 2 and r.metrics["parameters_discriminator"] == 2_765_568
    assert len(r.table("example_labels")) == len(r.data["examples"])


def test_celeba_registry_lists_what_torchvisions_class_reads():
    from torchvision.datasets import CelebA

    ours = {f.name: (f.urls[0], f.checksums[0]) for f in registry.get("celeba").files}
    assert ours == {name: (f"gdrive:{gid}", f"md5:{md5}") for gid, md5, name in CelebA.file_list}
    assert registry.get("celeba").prepared == ("train.npz",)


def test_celeba_chain_fetch_prepare_train_figures_on_tiny_upstream_files(project, tmp_path, monkeypatch):
    tiny, train = use_tiny_celeba(tmp_path, monkeypatch, n=12, n_train=8)
    try:
        fetch.fetch(tiny, project, fetch.mirror_roots(), upstream=False, log=lambda m: None)
        prepare.prepare(tiny, P.load(project), project, log=lambda *a: None)
        raw = sorted(p.name for p in (project / "data" / "raw" / "celeba").iterdir())
        with np.load(project / "data" / "processed" / "celeba" / "train.npz") as data:
            images, files = data["images"], data["files"]
        r = run_experiment(project, "gans/cnn_faces", scale=1.0,
                           overrides=["gans.cnn_faces.epochs=3", "gans.cnn_faces.snapshot_every=1",
                                      "gans.cnn_faces.batch_size=4"])
    finally:
        _clean(project, "celeba")
    assert raw == sorted(f.name for f in tiny.files)  # the scratch folder with the unpacked JPEGs is gone
    assert images.shape == (8, 64, 64, 3) and images.dtype == np.uint8  # the training split only
    assert list(files) == [f"{i:06d}.jpg" for i in range(1, 9)]
    from dudl.data.prepare import celeba_face
    from PIL import Image

    np.testing.assert_array_equal(images[0], celeba_face(Image.fromarray(train[0])))
    assert r.metrics["steps"] == 6 and list(r.data["snapshot_steps"]) == [0, 1, 2, 3, 4, 5, 6]
    assert r.data["examples"].shape == (8, 3, 64, 64) and "example_labels" not in r.data


def test_a_killed_gan_resumes_to_the_same_numbers_and_snapshots(project, monkeypatch, capfd):
    from dudl import train

    expected = run_experiment(project, "gans/linear_mnist", scale=0.005, figures=False)
    monkeypatch.setenv("DUDL_CHECKPOINT_SECONDS", "0")
    real_optimize, calls = train.StepTools.optimize, {"n": 0}

    def crash_in_the_second_epoch(self, loss, optimizer, retain_graph=False):
        calls["n"] += 1
        if calls["n"] > 2 * 125 + 40:  # two optimizer steps per GAN step, 125 steps per epoch
            raise KeyboardInterrupt("simulated kill")
        return real_optimize(self, loss, optimizer, retain_graph)

    monkeypatch.setattr(train.StepTools, "optimize", crash_in_the_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(project, "gans/linear_mnist", scale=0.005, figures=False)
    monkeypatch.setattr(train.StepTools, "optimize", real_optimize)
    capfd.readouterr()
    resumed = run_experiment(project, "gans/linear_mnist", scale=0.005, figures=False)
    assert "resuming at epoch 1" in capfd.readouterr().err  # the snapshots of steps 0-125 come from the checkpoint
    assert resumed.metrics == expected.metrics
    assert np.array_equal(resumed.data["snapshot_steps"], expected.data["snapshot_steps"])
    assert np.array_equal(resumed.data["snapshots"], expected.data["snapshots"])
