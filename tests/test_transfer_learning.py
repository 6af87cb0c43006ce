"""Section transfer_learning: the nets and the surgery on them (encoder copy, head replacement, freezing), the
prepare steps it added (EMNIST digits, STL-10 in its upstream binary layout), and every experiment at a tiny scale:
MNIST -> Fashion-MNIST on the offline mirror, the others through fetch -> prepare -> run -> figures on tiny
upstream-format archives and randomly initialized ImageNet checkpoints under torchvision's file names."""

import gzip
import shutil
import zipfile

import numpy as np
import pytest
import torch
from torch import nn

from archives import use_random_weights, use_tiny_cifar10, use_tiny_emnist, use_tiny_stl10
from conftest import run_experiment
from dudl.checkpoints import load_checkpoint
from dudl import params as P
from dudl.data import fetch, prepare, registry, weights
from dudl.models.cnn_milestone import cifar_autoencoder
from dudl.models.mlp import count_parameters
from dudl.models.transfer_learning import (cifar_encoder_classifier, copy_encoder, fmnist_autoencoder,
                                           fmnist_encoder_classifier, head_name, replace_head)
from dudl.steps import freeze

QUIET = dict(log=lambda *a: None)


@pytest.fixture
def cleanup(project):
    """Remove what a test fetched or prepared into the shared scratch project (other tests expect it absent)."""
    keys = []
    yield keys
    for key in keys:
        for part in ("raw", "processed"):
            shutil.rmtree(project / "data" / part / key, ignore_errors=True)


def _load(project, key: str):
    ds = registry.get(key)
    fetch.fetch(ds, project, fetch.mirror_roots(), **QUIET)
    return prepare.prepare(ds, P.load(project), project, **QUIET)


def _fashion_mnist(project, cleanup):
    ds = registry.get("fashion_mnist")
    try:
        fetch.fetch(ds, project, fetch.mirror_roots(), upstream=False, **QUIET)
    except fetch.FetchError:
        pytest.skip("fashion_mnist: needs the offline dataset mirror (DUDL_MIRROR)")
    cleanup.append("fashion_mnist")
    prepare.prepare(ds, P.load(project), project, **QUIET)


# ---------------------------------------------------------------- nets and surgery


def test_autoencoder_and_encoder_classifiers_have_the_course_sizes():
    ae, net = fmnist_autoencoder(), fmnist_encoder_classifier()
    assert ae(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 28, 28) and isinstance(ae[-1], nn.LeakyReLU)
    assert net[:4](torch.zeros(2, 1, 28, 28)).shape == (2, 32, 7, 7)  # the notebook's 7*7*32 = 1568
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10) and isinstance(net[-1], nn.LeakyReLU)  # as the course
    assert count_parameters(net) == (16 * 9 + 16) + (16 * 32 * 9 + 32) + (1568 * 50 + 50) + (50 * 10 + 10) == 83_760
    cifar = cifar_encoder_classifier()
    assert cifar(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert count_parameters(cifar) == ((3 * 16 * 16 + 16) + (16 * 32 * 16 + 32) + (32 * 64 * 16 + 64)
                                       + (1024 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10)) == 181_946


def test_copy_encoder_copies_the_convolutions_and_nothing_else():
    torch.manual_seed(0)
    ae, net = cifar_autoencoder(), cifar_encoder_classifier()
    head = net[-2].weight.detach().clone()
    assert copy_encoder(ae, net) == 3
    for i in (0, 2, 4):
        assert torch.equal(net[i].weight, ae[i].weight) and torch.equal(net[i].bias, ae[i].bias)
    assert torch.equal(net[-2].weight, head)  # the linear layers keep their own init
    net[0].weight.data += 1  # a copy, not the same tensor
    assert not torch.equal(net[0].weight, ae[0].weight)
    with pytest.raises(ValueError):
        copy_encoder(fmnist_autoencoder(), cifar_encoder_classifier())  # 2 convs cannot fill 3


def test_replacing_the_head_of_a_frozen_imagenet_net_leaves_only_it_trainable():
    from torchvision import models

    net = models.resnet18(weights=None)
    assert count_parameters(net, trainable_only=False) == 11_689_512
    freeze(net)
    new = replace_head(net, head_name("resnet18"), 10)
    assert net.fc is new and (new.in_features, new.out_features) == (512, 10)
    assert count_parameters(net) == 5_130 and count_parameters(net, trainable_only=False) == 11_181_642
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert replace_head(seq, "2", 5) is seq[2] and seq(torch.zeros(1, 4)).shape == (1, 5)
    with pytest.raises(TypeError):
        replace_head(seq, "1", 5)


def test_imagenet_normalize_is_to_tensor_then_the_course_normalize():
    import torchvision.transforms as T
    from PIL import Image

    from dudl.experiments.transfer_learning import Normalized, imagenet_normalize

    images = np.random.default_rng(0).integers(0, 256, (2, 3, 5, 4), dtype=np.uint8)
    course = T.Compose([T.ToTensor(), T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    expected = torch.stack([course(Image.fromarray(i.transpose(1, 2, 0))) for i in images])
    assert torch.allclose(imagenet_normalize(torch.as_tensor(images)), expected, atol=1e-6)
    batches = Normalized([(torch.as_tensor(images), torch.tensor([3, 4]))])
    (x, y), = list(batches)
    assert x.dtype == torch.float32 and torch.allclose(x, expected, atol=1e-6) and y.tolist() == [3, 4]


# ---------------------------------------------------------------- prepare: EMNIST digits, STL-10


def test_emnist_prepare_writes_letters_and_digits(project, tmp_path, monkeypatch, cleanup):
    tiny, (letters, _) = use_tiny_emnist(tmp_path, monkeypatch, per_split=30)
    cleanup.append("emnist")
    written = _load(project, "emnist")
    assert [p.name for p in written] == list(registry.get("emnist").prepared) == ["letters.npz", "digits.npz"]
    with zipfile.ZipFile(tmp_path / "mirror" / "emnist" / "gzip.zip") as zf:
        raw = gzip.decompress(zf.read("gzip/emnist-digits-train-images-idx3-ubyte.gz"))
    with np.load(written[1]) as d:
        assert np.array_equal(d["images"].ravel(), np.frombuffer(raw, np.uint8, offset=16))
        assert list(d["labels"][:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1] and len(d["classes"]) == 10
    with np.load(written[0]) as d:
        assert np.array_equal(d["images"], letters)


def test_stl10_prepare_reads_the_upstream_binary_layout(project, tmp_path, monkeypatch, cleanup):
    """Column-major 3 x 96 x 96 images and 1-10 labels in, rows x columns and 0-9 out, through torchvision's
    STL10 (its md5 checks of all five binary files included); nothing unpacked is left in data/raw."""
    tiny, md5, arrays = use_tiny_stl10(tmp_path, monkeypatch)
    cleanup.append("stl10")
    written = _load(project, "stl10")
    assert [p.name for p in written] == ["train.npz", "test.npz"]
    for path in written:
        with np.load(path) as d:
            images, labels = arrays[path.stem]
            assert d["images"].dtype == np.uint8 and d["images"].shape == (len(labels), 3, 96, 96)
            assert np.array_equal(d["images"], images) and np.array_equal(d["labels"], labels)
            assert list(d["classes"][:3]) == ["airplane", "bird", "car"]
    assert sorted(p.name for p in (project / "data" / "raw" / "stl10").iterdir()) == ["stl10_binary.tar.gz"]


def test_stl10_prepare_refuses_binaries_that_fail_torchvisions_md5(project, tmp_path, monkeypatch, cleanup):
    from torchvision.datasets import STL10

    use_tiny_stl10(tmp_path, monkeypatch)
    cleanup.append("stl10")
    fetch.fetch(registry.get("stl10"), project, fetch.mirror_roots(), **QUIET)
    monkeypatch.setattr(STL10, "test_list", [["test_X.bin", "0" * 32], STL10.test_list[1]])
    with pytest.raises(RuntimeError, match="md5"):
        prepare.prepare(registry.get("stl10"), P.load(project), project, **QUIET)
    assert not (project / "data" / "processed" / "stl10" / "test.npz").exists()


# ---------------------------------------------------------------- the experiments


def test_mnist_to_fmnist_copies_every_weight_then_fine_tunes(project, cleanup):
    _fashion_mnist(project, cleanup)
    r = run_experiment(project, "transfer_learning/mnist_to_fmnist")
    m = r.metrics
    assert m["conv1_diff_before_copy"] > 0 and m["conv1_diff_after_copy"] == 0  # the course's two prints
    assert m["fashion_images"] == 1200 and m["parameters"] == 30_840 and 0 <= m["fashion_test_acc"] <= 100
    assert list(r.summary["accuracy"])[1] == m["digit_net_fashion_acc"] and len(r.history) == 2


def test_letters_to_numbers_trains_the_new_head_and_keeps_frozen_layers(project, tmp_path, monkeypatch, cleanup):
    use_tiny_emnist(tmp_path, monkeypatch, per_split=130)
    cleanup.append("emnist")
    _load(project, "emnist")
    short = ["transfer_learning.letters_to_numbers.source_epochs=2"]
    r = run_experiment(project, "transfer_learning/letters_to_numbers", scale=1.0, overrides=short)
    m = r.metrics
    assert (m["letter_images"], m["digit_images"], m["parameters"]) == (130, 130, 16_490)
    assert m["all_head_change"] > 0 and m["all_feature_change"] > 0  # the intended run: everything trains
    assert m["frozen_head_change"] > 0 and m["frozen_feature_change"] == 0  # conv + batchnorm frozen
    assert m["frozen_trainable_parameters"] == 294 * 50 + 50 + 50 * 10 + 10
    assert m["final_test_err"] == pytest.approx(100 - m["final_test_acc"]) and len(r.summary) == 6
    bug = run_experiment(project, "transfer_learning/letters_to_numbers", scale=1.0, figures=False,
                         overrides=[*short, "transfer_learning.letters_to_numbers.course_optimizer=true"])
    assert bug.metrics["all_head_change"] == 0 and bug.metrics["frozen_head_change"] == 0  # the course's bug
    assert bug.metrics["all_feature_change"] > 0


def _pretrained_run(project, tmp_path, monkeypatch, cleanup, arch: str, experiment: str):
    source = use_random_weights(arch, tmp_path, monkeypatch, seed=1)
    use_tiny_stl10(tmp_path, monkeypatch)
    cleanup += ["stl10", f"{arch}_weights"]
    _load(project, "stl10")
    fetch.fetch(weights.dataset(arch), project, fetch.mirror_roots(), upstream=False, **QUIET)
    r = run_experiment(project, f"transfer_learning/{experiment}", scale=1.0,
                       overrides=[f"transfer_learning.{experiment}.epochs=2"])
    return r, torch.load(source, weights_only=True)


def test_resnet_trains_only_its_new_fc_on_stl10(project, tmp_path, monkeypatch, cleanup):
    r, imagenet = _pretrained_run(project, tmp_path, monkeypatch, cleanup, "resnet18", "resnet")
    m = r.metrics
    assert (m["train_images"], m["test_images"], m["parameters_imagenet"]) == (20, 30, 11_689_512)
    assert m["trainable_parameters"] == 5_130 and m["parameters"] == 11_181_642 and len(r.history) == 2
    trained = load_checkpoint(project / "results" / "transfer_learning" / "resnet" / "model.pt")["state_dict"]
    weights_of = {n for n in imagenet if not n.startswith("fc.") and not n.endswith(("running_mean", "running_var",
                                                                                     "num_batches_tracked"))}
    assert all(torch.equal(trained[n], imagenet[n]) for n in weights_of)  # the frozen weights did not move
    assert trained["fc.weight"].shape == (10, 512)
    # as the course's net in train mode: the frozen batchnorm layers still update their running statistics
    assert not torch.equal(trained["bn1.running_mean"], imagenet["bn1.running_mean"])
    assert len(r.summary) == 16 and r.data["test_images"].shape == (16, 3, 96, 96)


def test_vgg16_trains_only_classifier_6(project, tmp_path, monkeypatch, cleanup):
    """The weight-loading path is the resnet test's (and tests/test_pretrained.py's); a 528 MB random checkpoint
    written, hashed and fetched would add 20 s, so here weights.pretrained hands out a randomly initialized VGG-16
    (and says what it was asked for)."""
    from torchvision import models

    asked = []
    monkeypatch.setattr(weights, "pretrained", lambda arch, root: asked.append((arch, root)) or models.vgg16())
    use_tiny_stl10(tmp_path, monkeypatch, train=10, test=10)  # VGG-16 at 96 x 96: 0.06 s an image here
    cleanup.append("stl10")
    _load(project, "stl10")
    r = run_experiment(project, "transfer_learning/vgg16", scale=1.0, overrides=["transfer_learning.vgg16.epochs=1"])
    m = r.metrics
    assert asked == [("vgg16", project)]
    assert m["parameters_imagenet"] == 138_357_544  # reference_results 36 (torchsummary, 1,000 classes)
    assert m["trainable_parameters"] == 4096 * 10 + 10 and m["parameters"] == 134_301_514
    head = load_checkpoint(project / "results" / "transfer_learning" / "vgg16" / "head.pt")["state_dict"]
    assert head["weight"].shape == (10, 4096) and len(r.history) == 1


def test_missing_imagenet_weights_fail_with_where_to_put_them(project, tmp_path, monkeypatch, cleanup):
    use_tiny_stl10(tmp_path, monkeypatch)
    cleanup.append("stl10")
    _load(project, "stl10")
    with pytest.raises(weights.WeightsUnavailable, match="resnet18-f37072fd.pth"):
        run_experiment(project, "transfer_learning/resnet", scale=1.0, figures=False)


def test_pretrain_fmnist_compares_naive_and_pretrained(project, cleanup):
    _fashion_mnist(project, cleanup)
    r = run_experiment(project, "transfer_learning/pretrain_fmnist")
    m = r.metrics
    assert (m["train_images"], m["dev_images"], m["test_images"]) == (1200, 120, 80)
    assert m["ae_final_dev_loss"] > 0 and 0 <= m["pretrained_test_acc"] <= 100 and m["parameters"] == 83_760
    assert {"naive_train_acc", "naive_dev_acc", "pretrained_dev_loss"} <= set(r.history.columns)
    assert r.data["maps_pretrained"].shape == r.data["maps_naive"].shape == (16, 26, 26)
    assert r.data["reconstructions"].shape == r.data["originals"].shape == (10, 1, 28, 28)
    saved = {k: load_checkpoint(project / "results" / "transfer_learning" / "pretrain_fmnist" / f"{k}.pt")["state_dict"]
             for k in ("autoencoder", "naive", "pretrained")}
    assert not torch.equal(saved["naive"]["0.weight"], saved["pretrained"]["0.weight"])


def test_pretrain_cifar_runs_on_a_tiny_upstream_archive(project, tmp_path, monkeypatch, cleanup):
    use_tiny_cifar10(tmp_path, monkeypatch)
    cleanup.append("cifar10")
    _load(project, "cifar10")
    r = run_experiment(project, "transfer_learning/pretrain_cifar", scale=1.0,
                       overrides=["transfer_learning.pretrain_cifar.ae_epochs=2",
                                  "transfer_learning.pretrain_cifar.epochs=2",
                                  "transfer_learning.pretrain_cifar.small_size=12"])
    m = r.metrics
    assert (m["ae_train_images"], m["train_images"], m["test_images"]) == (20, 12, 4)
    assert m["parameters"] == 181_946 and m["ae_final_test_loss"] > 0
    assert len(r.history) == 2 and r.data["reconstructions"].shape == (4, 3, 32, 32)
