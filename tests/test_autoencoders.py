"""Section autoencoders: the models' shapes and parameter counts, random batches with replacement, the noise
and occlusion the course applies, and each notebook at a tiny scale."""

import numpy as np
import pytest
import torch

from conftest import run_experiment
from dudl.catalog.autoencoders import unit_points
from dudl.experiments import autoencoders as A
from dudl.models.autoencoders import CodeAutoencoder, TiedAutoencoder, autoencoder
from dudl.models.mlp import count_parameters
from dudl.params import Scale
from dudl.train import RandomBatches


def test_autoencoders_have_the_course_shapes_and_counts():
    assert count_parameters(autoencoder([784, 250, 50, 250, 784])) == 784 * 250 + 250 + 250 * 50 + 50 + 50 * 250 + 250 + 250 * 784 + 784
    coded = CodeAutoencoder([784, 150, 15, 150, 784])
    x = torch.rand(6, 784)
    code, out = coded.encode(x), coded(x)
    assert code.shape == (6, 15) and (code >= 0).all() and out.shape == (6, 784)
    assert ((out > 0) & (out < 1)).all()  # sigmoid output: pixel values
    tied = TiedAutoencoder(784, 128, 50)
    assert count_parameters(tied) == 784 * 128 + 128 + 50 * 128 + 128 * 784 + 784  # one matrix, used twice
    assert tied.encode(x).shape == (6, 50) and tied(x).shape == (6, 784)
    with pytest.raises(ValueError, match="code layer"):
        CodeAutoencoder([784, 150, 3])


def test_tied_weights_get_one_gradient_from_both_uses():
    torch.manual_seed(0)
    tied = TiedAutoencoder(8, 5, 3)
    x = torch.rand(4, 8)
    torch.nn.functional.mse_loss(tied(x), x).backward()
    grad_both = tied.tied.grad.clone()
    # the same loss with the decoder's use of the matrix detached gives a different (the encoder's only) gradient
    tied.zero_grad()
    h = torch.relu(torch.relu(tied.input(x)) @ tied.tied.T)
    out = torch.sigmoid(tied.output(torch.relu(h @ tied.tied.detach())))
    torch.nn.functional.mse_loss(out, x).backward()
    assert not torch.allclose(grad_both, tied.tied.grad)


def test_random_batches_draw_with_replacement_and_repeat_with_their_seed():
    x = torch.arange(10.0).reshape(10, 1)
    a = [b.clone() for b in RandomBatches(x, 32, 3, torch.Generator().manual_seed(1))]
    b = [b.clone() for b in RandomBatches(x, 32, 3, torch.Generator().manual_seed(1))]
    assert len(a) == 3 and all(torch.equal(u, v) for u, v in zip(a, b))
    assert a[0].shape == (32, 1) and len(torch.unique(a[0])) < 32  # 32 draws from 10 rows must repeat
    pairs = list(RandomBatches(x, 4, 2, torch.Generator().manual_seed(0), y=x * 2))
    assert all(torch.equal(yb, xb * 2) for xb, yb in pairs)
    with pytest.raises(ValueError):
        RandomBatches(x, 0, 1)


def test_noise_and_occlusion_are_the_course_ones(project):
    class Ctx:
        def rng(self, *keys):
            return np.random.default_rng(0)

    images = np.zeros((4, 784), dtype=np.float32)
    noisy = A.add_noise(Ctx(), images + 0.9, 0.25)
    assert noisy.max() <= 1 and noisy.min() >= 0.9 and (noisy == 1).any()  # clipped at 1
    occluded, bars = A.occlude(Ctx(), images, 10, 20)
    grids = occluded.reshape(4, 28, 28)
    for i, row in bars.iterrows():
        line = grids[i][row["position"], :] if row["bar"] == "row" else grids[i][:, row["position"]]
        assert (line == 1).all() and grids[i].sum() == 28 and 10 <= row["position"] <= 20
    assert bars["bar"].tolist() == ["row", "column", "row", "column"]


def test_unit_grid_is_the_course_linspace():
    p = {"encoder_units": {"start": 10, "stop": 500, "num": 12}}
    assert unit_points(p, Scale(1.0)) == [f"E{e}" for e in (10, 54, 99, 143, 188, 232, 277, 321, 366, 410, 455, 500)]


@pytest.mark.parametrize("name", ["denoising", "tied_weights"])
def test_denoising_autoencoders_learn_and_report(project, name):
    r = run_experiment(project, f"autoencoders/{name}")
    losses = np.asarray(r.data["losses"])
    assert r.metrics["iterations"] == len(losses) and losses[-20:].mean() < losses[:20].mean()
    assert r.data["denoised"].shape == (10, 784) and 0 < r.metrics["noisy_input_mse"] < 0.03


def test_latent_code_and_occlusion_and_units_run(project):
    c = run_experiment(project, "autoencoders/latent_code")
    assert c.metrics["code_units"] == 15 and len(c.summary) == 15
    assert c.summary["code"].sum() == pytest.approx(100, abs=1e-3)  # 15 components of a 15-unit code: all of it
    o = run_experiment(project, "autoencoders/occlusion")
    assert len(o.summary) == 10 and -1 <= o.metrics["mean_r_occluded"] <= 1
    u = run_experiment(project, "autoencoders/n_units")
    assert u.metrics["trainings"] == len(u.summary) and u.summary["loss"].gt(0).all()
