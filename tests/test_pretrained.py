"""Pretrained ImageNet weights through the data layer (dudl.data.weights): fetched from a mirror under the file
name torchvision's cache expects, hash-checked, loaded by torchvision's own weight-enum code with
weights_only=True; a clear "not available" offline; a tampered file refused."""

from __future__ import annotations

import pickle

import pytest
import torch

from archives import use_random_weights
from dudl.data import fetch, weights


def test_registry_file_names_are_torchvision_cache_names():
    for arch in weights.ENUMS:
        url = weights.weight_enum(arch).url
        assert weights.weight_path(arch).name == url.rsplit("/", 1)[1]
        assert weights.weight_path(arch).parent.as_posix() == f"data/raw/{arch}_weights"


def test_missing_weights_are_a_clear_not_available(tmp_path):
    with pytest.raises(weights.WeightsUnavailable) as err:
        weights.pretrained("alexnet", tmp_path)
    text = str(err.value)
    assert "alexnet-owt-7be5be79.pth" in text and "dudl fetch alexnet_weights" in text
    assert str(tmp_path / "data" / "raw" / "alexnet_weights") in text


def test_fetch_then_load_through_torchvisions_enum(tmp_path, monkeypatch):
    source = use_random_weights("resnet18", tmp_path, monkeypatch, seed=3)
    fetch.fetch(weights.dataset("resnet18"), tmp_path, fetch.mirror_roots(), upstream=False, log=lambda m: None)
    placed = weights.weight_path("resnet18", tmp_path)
    assert placed.read_bytes() == source.read_bytes()
    calls = []
    enum_type = type(weights.weight_enum("resnet18"))
    real = enum_type.get_state_dict
    monkeypatch.setattr(enum_type, "get_state_dict", lambda self, *a, **k: calls.append(k) or real(self, *a, **k))
    model = weights.pretrained("resnet18", tmp_path)
    assert calls and calls[0]["weights_only"] is True and calls[0]["model_dir"] == str(placed.parent)
    expected = torch.load(source, weights_only=True)
    assert torch.equal(model.fc.weight, expected["fc.weight"])
    assert torch.equal(model.conv1.weight, expected["conv1.weight"])


def test_file_changed_after_fetch_is_refused(tmp_path, monkeypatch):
    use_random_weights("alexnet", tmp_path, monkeypatch)
    fetch.fetch(weights.dataset("alexnet"), tmp_path, fetch.mirror_roots(), upstream=False, log=lambda m: None)
    path = weights.weight_path("alexnet", tmp_path)
    state = torch.load(path, weights_only=True)
    state["classifier.6.bias"] += 1
    torch.save(state, path)
    with pytest.raises(weights.WeightsUnavailable, match="fails its hash check"):
        weights.pretrained("alexnet", tmp_path)


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_a_weight_file_with_pickled_code_is_refused(tmp_path, monkeypatch):
    """Even with a matching hash, loading goes through weights_only=True: pickled code is an error, not a call."""
    import hashlib
    import dataclasses

    from dudl.data import registry

    path = weights.weight_path("alexnet", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps({"features.0.weight": _Payload()}, protocol=2))
    real = registry.get("alexnet_weights")
    prefix = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    patched = dataclasses.replace(real, files=(dataclasses.replace(real.files[0], checksums=(f"sha256-prefix:{prefix}",)),))
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda k: patched if k == "alexnet_weights" else get(k))
    with pytest.raises(pickle.UnpicklingError):
        weights.pretrained("alexnet", tmp_path)


def test_unknown_network_is_named():
    with pytest.raises(KeyError, match="known: resnet18"):
        weights.weight_path("inception")
