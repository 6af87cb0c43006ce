"""Tiny archives in the exact upstream formats of datasets that have no offline copy, and the monkeypatching
that routes the real download path (data layer fetch from a mirror, torchvision's own classes) to them. Only the
checksums, which belong to the real files, are swapped for the tiny files' own."""

import dataclasses
import shutil

import numpy as np


def tiny_cifar10(folder, per_batch: int = 4):
    """A cifar-10-python.tar.gz in the upstream layout (cifar-10-batches-py/ with five pickled train batches,
    a test batch and batches.meta), a few images each; returns (archive, {member: md5})."""
    import hashlib
    import pickle
    import tarfile

    inner = folder / "cifar-10-batches-py"
    inner.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        batch = {"batch_label": name, "labels": rng.integers(0, 10, per_batch).tolist(),
                 "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 "filenames": [f"{name}_{i}.png" for i in range(per_batch)]}
        (inner / name).write_bytes(pickle.dumps(batch, protocol=2))
    labels = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (inner / "batches.meta").write_bytes(pickle.dumps({"label_names": labels, "num_vis": 3072}, protocol=2))
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in inner.iterdir()}
    archive = folder / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(inner, arcname="cifar-10-batches-py")
    md5["archive"] = hashlib.md5(archive.read_bytes()).hexdigest()
    return archive, md5


def use_tiny_cifar10(tmp_path, monkeypatch):
    """Put a tiny cifar-10-python.tar.gz in a mirror (DUDL_MIRROR) and make the registry and torchvision's
    CIFAR10 expect its checksums. Returns the md5s."""
    from torchvision.datasets import CIFAR10

    from dudl.data import registry

    archive, md5 = tiny_cifar10(tmp_path / "made")
    mirror = tmp_path / "mirror" / "cifar10"
    mirror.mkdir(parents=True)
    shutil.copy(archive, mirror / archive.name)
    real = registry.get("cifar10")
    tiny = dataclasses.replace(real, files=(dataclasses.replace(real.files[0], checksums=(f"md5:{md5['archive']}",)),))
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda key: tiny if key == "cifar10" else get(key))
    monkeypatch.setenv("DUDL_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5["archive"])
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    return tiny, md5
