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


def serve_tiny(tmp_path, monkeypatch, key: str, archive, md5: str):
    """Put a tiny archive in a mirror (DUDL_MIRROR=tmp_path/mirror, the dataset's folder) and make the registry
    expect its md5 instead of the real file's. Returns the dataset as the registry now hands it out."""
    from dudl.data import registry

    mirror = tmp_path / "mirror" / registry.get(key).mirror_dir
    mirror.mkdir(parents=True)
    shutil.copy(archive, mirror / archive.name)
    real = registry.get(key)
    tiny = dataclasses.replace(real, files=(dataclasses.replace(real.files[0], checksums=(f"md5:{md5}",)),))
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda k: tiny if k == key else get(k))
    monkeypatch.setenv("DUDL_MIRROR", str(tmp_path / "mirror"))
    return tiny


def use_tiny_cifar10(tmp_path, monkeypatch):
    """Put a tiny cifar-10-python.tar.gz in a mirror (DUDL_MIRROR) and make the registry and torchvision's
    CIFAR10 expect its checksums. Returns the md5s."""
    from torchvision.datasets import CIFAR10

    archive, md5 = tiny_cifar10(tmp_path / "made")
    tiny = serve_tiny(tmp_path, monkeypatch, "cifar10", archive, md5["archive"])
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

    archive, letters = tiny_emnist(tmp_path / "made", per_split)
    tiny = serve_tiny(tmp_path, monkeypatch, "emnist", archive, hashlib.md5(archive.read_bytes()).hexdigest())
    return tiny, letters


STL10_CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]


def tiny_stl10(folder, train: int = 20, test: int = 30, unlabeled: int = 3):
    """A stl10_binary.tar.gz in the upstream layout: stl10_binary/ with {train,test}_{X,y}.bin, unlabeled_X.bin,
    class_names.txt and fold_indices.txt. X files are uint8, 3 x 96 x 96 per image in column-major order (each
    channel stored column by column, as the Matlab-written originals); y files uint8 labels 1-10; fold_indices
    ten lines of 0-based training indices. Returns (archive, {member: md5}, {split: (images [N, 3, 96, 96] as
    rows x columns, labels 0-9)})."""
    import hashlib
    import tarfile

    inner = folder / "stl10_binary"
    inner.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", train), ("test", test), ("unlabeled", unlabeled)):
        images = rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)  # [N, C, rows, columns]
        (inner / f"{split}_X.bin").write_bytes(images.transpose(0, 1, 3, 2).tobytes())  # column-major per channel
        if split != "unlabeled":
            labels = (np.arange(n) % 10).astype(np.uint8)
            (inner / f"{split}_y.bin").write_bytes((labels + 1).tobytes())
            arrays[split] = images, labels.astype(np.int64)
    (inner / "class_names.txt").write_text("".join(f"{c}\n" for c in STL10_CLASSES))
    (inner / "fold_indices.txt").write_text("".join(" ".join(map(str, rng.permutation(train)[:max(1, train // 5)]))
                                                    + " \n" for _ in range(10)))
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in inner.iterdir()}
    archive = folder / "stl10_binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(inner, arcname="stl10_binary")
    md5["archive"] = hashlib.md5(archive.read_bytes()).hexdigest()
    return archive, md5, arrays


def use_tiny_stl10(tmp_path, monkeypatch, **sizes):
    """Put a tiny stl10_binary.tar.gz in a mirror (DUDL_MIRROR) and make the registry and torchvision's STL10
    expect its checksums (the archive's and the five binary files' it checks after unpacking). Returns
    (dataset, md5s, the arrays it holds)."""
    from torchvision.datasets import STL10

    archive, md5, arrays = tiny_stl10(tmp_path / "made", **sizes)
    tiny = serve_tiny(tmp_path, monkeypatch, "stl10", archive, md5["archive"])
    monkeypatch.setattr(STL10, "tgz_md5", md5["archive"])
    monkeypatch.setattr(STL10, "train_list", [[name, md5[name]] for name, _ in STL10.train_list])
    monkeypatch.setattr(STL10, "test_list", [[name, md5[name]] for name, _ in STL10.test_list])
    return tiny, md5, arrays


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


CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair Blond_Hair "
    "Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup High_Cheekbones "
    "Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline "
    "Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick "
    "Wearing_Necklace Wearing_Necktie Young").split()
CELEBA_LANDMARKS = ("lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x "
                    "rightmouth_y")


def tiny_celeba(folder, n: int = 12, n_train: int = 8):
    """CelebA's files in the upstream layout and formats: img_align_celeba.zip holding img_align_celeba/000001.jpg
    ... (178 x 218 RGB JPEGs), and the five space-separated lists torchvision's CelebA reads: the partition
    (train 0, valid 1, test 2; the first n_train are train) and identities without header, the attributes (a count
    line, the 40 names, then -1/1 values), boxes and aligned landmarks (a count line and a header each). Returns
    ({file name: path}, the training images as uint8 arrays)."""
    import zipfile

    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    archive = folder / "img_align_celeba.zip"
    train = []
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("img_align_celeba/", "")
        for i, name in enumerate(names):
            pixels = rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)
            path = folder / name
            Image.fromarray(pixels).save(path, quality=95)
            zf.write(path, f"img_align_celeba/{name}")
            if i < n_train:
                train.append(np.asarray(Image.open(path).convert("RGB")))
            path.unlink()
    split = [0 if i < n_train else 1 + (i - n_train) % 2 for i in range(n)]
    attrs = rng.choice([-1, 1], size=(n, len(CELEBA_ATTRIBUTES)))
    lists = {
        "list_eval_partition.txt": "".join(f"{f} {s}\n" for f, s in zip(names, split)),
        "identity_CelebA.txt": "".join(f"{f} {rng.integers(1, 10178)}\n" for f in names),
        "list_attr_celeba.txt": f"{n}\n" + " ".join(CELEBA_ATTRIBUTES) + " \n"
        + "".join(f + "".join(f" {v:2d}" for v in row) + "\n" for f, row in zip(names, attrs)),
        "list_bbox_celeba.txt": f"{n}\nimage_id x_1 y_1 width height\n"
        + "".join(f"{f}    95  71 226 313\n" for f in names),
        "list_landmarks_align_celeba.txt": f"{n}\n{CELEBA_LANDMARKS}\n"
        + "".join(f"{f}    69  109  106  113   77  142   73  152  108  154\n" for f in names),
    }
    files = {"img_align_celeba.zip": archive}
    for name, text in lists.items():
        (folder / name).write_text(text)
        files[name] = folder / name
    return files, np.stack(train)


def use_tiny_celeba(tmp_path, monkeypatch, n: int = 12, n_train: int = 8):
    """Put tiny CelebA files in a mirror (DUDL_MIRROR) and make the registry and torchvision's CelebA.file_list
    expect their md5s (names and Google Drive ids stay the real ones). Returns (dataset, training images)."""
    import hashlib

    from torchvision.datasets import CelebA

    from dudl.data import registry

    files, train = tiny_celeba(tmp_path / "made", n, n_train)
    mirror = tmp_path / "mirror" / "celeba"
    mirror.mkdir(parents=True)
    md5 = {}
    for name, path in files.items():
        shutil.copy(path, mirror / name)
        md5[name] = hashlib.md5(path.read_bytes()).hexdigest()
    real = registry.get("celeba")
    tiny = dataclasses.replace(real, files=tuple(dataclasses.replace(f, checksums=(f"md5:{md5[f.name]}",))
                                                 for f in real.files))
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda key: tiny if key == "celeba" else get(key))
    monkeypatch.setenv("DUDL_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setattr(CelebA, "file_list", [(gid, md5[name], name) for gid, _, name in CelebA.file_list])
    return tiny, train
