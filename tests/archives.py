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


EMNIST_SPLITS = {"balanced": 47, "byclass": 62, "bymerge": 47, "digits": 10, "letters": 26, "mnist": 10}


def _idx(array: np.ndarray) -> bytes:
    """An unsigned-byte idx file: magic 0x0000 08 <ndim>, then each dimension as a big-endian int32."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_emnist(folder, per_split: int = 52):
    """A gzip.zip in the upstream layout: a gzip/ folder holding, for each of the six splits, gzipped idx files
    emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte.gz and emnist-<split>-mapping.txt. Letters are
    labelled 1-26 as upstream (0 is unused). Returns (archive, the letters training images and labels)."""
    import gzip
    import zipfile

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "gzip.zip"
    letters = None
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("gzip/", "")
        for split, n_classes in EMNIST_SPLITS.items():
            first = 1 if split == "letters" else 0
            mapping = "".join(f"{c} {65 + c - first} {97 + c - first}\n" for c in range(first, first + n_classes))
            zf.writestr(f"gzip/emnist-{split}-mapping.txt", mapping)
            for part in ("train", "test"):
                images = rng.integers(0, 256, (per_split, 28, 28), dtype=np.uint8)
                labels = (np.arange(per_split) % n_classes + first).astype(np.uint8)
                zf.writestr(f"gzip/emnist-{split}-{part}-images-idx3-ubyte.gz", gzip.compress(_idx(images)))
                zf.writestr(f"gzip/emnist-{split}-{part}-labels-idx1-ubyte.gz", gzip.compress(_idx(labels)))
                if (split, part) == ("letters", "train"):
                    letters = images, labels.astype(np.int64)
    return archive, letters


def use_tiny_emnist(tmp_path, monkeypatch, per_split: int = 52):
    """Put a tiny gzip.zip in a mirror (DUDL_MIRROR) and make the registry expect its md5. Returns
    (dataset, the letters training images and labels it holds)."""
    import hashlib

    from dudl.data import registry

    archive, letters = tiny_emnist(tmp_path / "made", per_split)
    mirror = tmp_path / "mirror" / "emnist"
    mirror.mkdir(parents=True)
    shutil.copy(archive, mirror / archive.name)
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    real = registry.get("emnist")
    tiny = dataclasses.replace(real, files=(dataclasses.replace(real.files[0], checksums=(f"md5:{md5}",)),))
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda key: tiny if key == "emnist" else get(key))
    monkeypatch.setenv("DUDL_MIRROR", str(tmp_path / "mirror"))
    return tiny, letters


def use_random_weights(arch, root, monkeypatch, seed: int = 0):
    """A randomly initialised `arch` checkpoint saved under the exact file name torchvision's weight cache
    expects (resnet18-f37072fd.pth ...), in a mirror (DUDL_MIRROR=root/mirror, folder weights/), with the registry
    made to expect its sha256 prefix: `dudl fetch <arch>_weights` and dudl.data.weights.pretrained then run their
    real code on it. Returns the mirror file."""
    import hashlib

    import torch
    from torchvision import models

    from dudl.data import registry

    key = f"{arch}_weights"
    real = registry.get(key)
    mirror = root / "mirror" / real.mirror_dir
    mirror.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    path = mirror / real.files[0].name
    torch.save(getattr(models, arch)(weights=None).state_dict(), path)
    prefix = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    tiny = dataclasses.replace(real, files=(dataclasses.replace(real.files[0], checksums=(f"sha256-prefix:{prefix}",)),))
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda k: tiny if k == key else get(k))
    monkeypatch.setenv("DUDL_MIRROR", str(root / "mirror"))
    return path
