"""The data layer: checksums, mirror before upstream, atomic and safe writes, clear offline errors, prepare."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dudl.data import fetch, prepare, registry
from dudl.data.registry import Dataset, RemoteFile

PAYLOAD = b"quality;alcohol\n5;9.4\n6;10.2\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def toy(tmp_path: Path, payload: bytes = PAYLOAD, upstream: Path | None = None) -> Dataset:
    """A one-file dataset whose upstream is a file:// URL (a stand-in for a web server)."""
    urls = (upstream.as_uri() + "/toy.csv",) if upstream else ()
    return Dataset(key="toy", title="toy data", licence="CC0", homepage="", mirror_dir="toy-mirror",
                   files=(RemoteFile("toy.csv", (f"sha256:{sha256(payload)}",), urls),))


def put(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------- checksums


def test_checksum_pass_and_fail(tmp_path):
    spec = toy(tmp_path).files[0]
    good = put(tmp_path, "good.csv", PAYLOAD)
    bad = put(tmp_path, "bad.csv", PAYLOAD.replace(b"9.4", b"9.5"))
    assert fetch.verify(good, spec)
    assert not fetch.verify(bad, spec)
    assert not fetch.verify(tmp_path / "missing.csv", spec)


def test_recompressed_gzip_verifies_by_its_content(tmp_path):
    """The shared MNIST mirror recompressed the .gz files: the bytes differ from upstream, the content does not."""
    content = bytes(range(256)) * 40
    a = put(tmp_path, "a.gz", gzip.compress(content, mtime=0, compresslevel=9))
    b = put(tmp_path, "b.gz", gzip.compress(content, mtime=12345, compresslevel=1))
    assert a.read_bytes() != b.read_bytes()
    spec = RemoteFile("x.gz", (f"md5:{hashlib.md5(a.read_bytes()).hexdigest()}",
                               f"md5-gunzip:{hashlib.md5(content).hexdigest()}"))
    assert fetch.verify(a, spec) and fetch.verify(b, spec)
    assert not fetch.verify(put(tmp_path, "c.gz", gzip.compress(content[:-1])), spec)


def test_weights_verify_like_torchvision_by_hash_prefix_in_the_name(tmp_path):
    data = b"not really resnet weights"
    path = put(tmp_path, f"resnet18-{sha256(data)[:8]}.pth", data)
    spec = RemoteFile(path.name, (f"sha256-prefix:{sha256(data)[:8]}",))
    assert fetch.verify(path, spec)
    path.write_bytes(data + b"!")
    assert not fetch.verify(path, spec)


# ---------------------------------------------------------------- sources and their order


def test_mirror_is_tried_before_upstream(tmp_path):
    upstream = tmp_path / "upstream"
    put(upstream, "toy.csv", PAYLOAD)
    mirror = tmp_path / "mirror"
    put(mirror / "toy-mirror", "toy.csv", PAYLOAD)
    ds = toy(tmp_path, upstream=upstream)
    said: list[str] = []
    fetch.fetch(ds, tmp_path / "project", [str(mirror)], upstream=True, log=said.append)
    assert "fetched from mirror" in said[-1]
    # gone from the mirror: upstream is next
    (mirror / "toy-mirror" / "toy.csv").unlink()
    (tmp_path / "project" / ds.raw_dir / "toy.csv").unlink()
    fetch.fetch(ds, tmp_path / "project", [str(mirror)], upstream=True, log=said.append)
    assert "fetched from upstream" in said[-1]
    # present and verified: nothing is fetched
    fetch.fetch(ds, tmp_path / "project", [], upstream=False, log=said.append)
    assert said[-1].endswith("present and verified")


def test_mirror_from_environment_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch.MIRROR_ENV, os.pathsep.join(["/env/one", "/env/two"]))
    assert fetch.mirror_roots(["/params/three"]) == ["/env/one", "/env/two", "/params/three"]


def test_corrupt_download_leaves_nothing_behind(tmp_path):
    mirror = tmp_path / "mirror"
    put(mirror / "toy-mirror", "toy.csv", b"truncated")
    ds = toy(tmp_path)
    target = tmp_path / "project" / ds.raw_dir
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(ds, tmp_path / "project", [str(mirror)], upstream=False, log=lambda m: None)
    assert "checksum mismatch" in str(info.value)
    assert leftovers(target) == []  # no half file, no temporary file


def test_corrupt_mirror_falls_through_to_a_good_upstream(tmp_path):
    mirror, upstream = tmp_path / "mirror", tmp_path / "upstream"
    put(mirror / "toy-mirror", "toy.csv", b"corrupt")
    put(upstream, "toy.csv", PAYLOAD)
    ds = toy(tmp_path, upstream=upstream)
    [path] = fetch.fetch(ds, tmp_path / "project", [str(mirror)], upstream=True, log=lambda m: None)
    assert path.read_bytes() == PAYLOAD and leftovers(path.parent) == ["toy.csv"]


def test_present_but_corrupt_file_is_fetched_again(tmp_path):
    mirror = tmp_path / "mirror"
    put(mirror / "toy-mirror", "toy.csv", PAYLOAD)
    ds = toy(tmp_path)
    put(tmp_path / "project" / ds.raw_dir, "toy.csv", b"bit rot")
    [path] = fetch.fetch(ds, tmp_path / "project", [str(mirror)], upstream=False, log=lambda m: None)
    assert path.read_bytes() == PAYLOAD


def test_offline_error_names_the_file_what_was_tried_and_where_to_put_it(tmp_path):
    upstream = tmp_path / "nowhere"
    ds = toy(tmp_path, upstream=upstream)
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(ds, tmp_path / "project", [], upstream=False, log=lambda m: None)
    message = str(info.value)
    assert "cannot fetch toy/toy.csv" in message
    assert "no mirror configured" in message and "DUDL_MIRROR" in message
    assert "upstream download disabled" in message
    assert f"put the file at {tmp_path / 'project' / 'data' / 'raw' / 'toy' / 'toy.csv'}" in message
    assert f"sha256:{sha256(PAYLOAD)}" in message


def test_unreachable_upstream_is_reported_per_url(tmp_path):
    ds = toy(tmp_path, upstream=tmp_path / "gone")
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(ds, tmp_path / "project", [], upstream=True, log=lambda m: None)
    assert f"upstream: {(tmp_path / 'gone').as_uri()}/toy.csv -> URLError" in str(info.value)


def test_unavailable_reason_says_why_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch.OFFLINE_ENV, "1")
    monkeypatch.delenv(fetch.MIRROR_ENV, raising=False)
    reason = fetch.unavailable_reason(registry.get("wine_quality"), tmp_path, [])
    assert reason.startswith("dataset wine_quality unavailable: winequality-red.csv")
    assert "DUDL_MIRROR" in reason and "data/raw/wine_quality/winequality-red.csv" in reason
    assert fetch.unavailable_reason(registry.get("iris"), tmp_path, []) is None  # bundled with scikit-learn
    mirror = tmp_path / "mirror"
    put(mirror / "wine-quality", "winequality-red.csv", b"x")
    assert fetch.unavailable_reason(registry.get("wine_quality"), tmp_path, [str(mirror)]) is None


# ---------------------------------------------------------------- archives


def _tar(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo("link")
            info.type, info.linkname = tarfile.SYMTYPE, symlink
            tar.addfile(info)
    return path


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/evil.txt", "ok/../../evil.txt"])
def test_unsafe_tar_member_is_refused_and_nothing_is_extracted(tmp_path, member):
    archive = _tar(tmp_path / "a.tar.gz", {"fine.txt": b"ok", member: b"pwned"})
    with pytest.raises(fetch.UnsafeArchiveError, match="refusing archive member"):
        fetch.safe_extract(archive, tmp_path / "out" / "extracted")
    assert leftovers(tmp_path / "out") == []
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_tar_links_are_refused(tmp_path):
    archive = _tar(tmp_path / "a.tar.gz", {"fine.txt": b"ok"}, symlink="/etc/passwd")
    with pytest.raises(fetch.UnsafeArchiveError, match="links and devices"):
        fetch.safe_extract(archive, tmp_path / "out")


def test_unsafe_zip_member_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        zf.writestr("../evil.txt", "pwned")
    with pytest.raises(fetch.UnsafeArchiveError):
        fetch.safe_extract(tmp_path / "a.zip", tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_safe_archive_extracts_in_full(tmp_path):
    archive = _tar(tmp_path / "a.tar.gz", {"./cifar-10-batches-py/data_batch_1": b"1", "./cifar-10-batches-py/meta": b"2"})
    out = fetch.safe_extract(archive, tmp_path / "cifar10")
    assert (out / "cifar-10-batches-py" / "data_batch_1").read_bytes() == b"1"


# ---------------------------------------------------------------- registry


def test_registry_matches_torchvisions_own_download_code():
    import torchvision.datasets as tvd

    def md5s(dataset):
        return {f.name: [c.split(":")[1] for c in f.checksums if c.startswith("md5:")][0] for f in dataset.files}

    for ours, theirs in (("mnist", tvd.MNIST), ("fashion_mnist", tvd.FashionMNIST)):
        ds = registry.get(ours)
        assert md5s(ds) == dict(theirs.resources)
        assert {u.rsplit("/", 1)[0] + "/" for f in ds.files for u in f.urls} == set(theirs.mirrors)
    cifar = registry.get("cifar10").files[0]
    assert (cifar.name, cifar.urls[0], cifar.checksums[0]) == (tvd.CIFAR10.filename, tvd.CIFAR10.url, f"md5:{tvd.CIFAR10.tgz_md5}")
    emnist = registry.get("emnist").files[0]
    assert (emnist.urls[0], emnist.checksums[0]) == (tvd.EMNIST.url, f"md5:{tvd.EMNIST.md5}")
    stl = registry.get("stl10").files[0]
    assert (stl.name, stl.urls[0], stl.checksums[0]) == (tvd.STL10.filename, tvd.STL10.url, f"md5:{tvd.STL10.tgz_md5}")
    celeba = {name: (gid, md5) for gid, md5, name in tvd.CelebA.file_list}
    for f in registry.get("celeba").files:
        assert f.urls[0] == f"gdrive:{celeba[f.name][0]}" and f.checksums[0] == f"md5:{celeba[f.name][1]}"


def test_registry_weights_match_torchvision_weight_enums():
    from torchvision import models

    urls = {w.url for w in (models.ResNet18_Weights.IMAGENET1K_V1, models.VGG16_Weights.IMAGENET1K_V1,
                            models.VGG19_Weights.IMAGENET1K_V1, models.AlexNet_Weights.IMAGENET1K_V1)}
    assert {registry.get(f"{arch}_weights").files[0].urls[0] for arch in ("resnet18", "vgg16", "vgg19", "alexnet")} == urls


def test_every_dataset_has_licence_homepage_and_a_checksum_per_file():
    for ds in registry.DATASETS.values():
        assert ds.licence and ds.homepage and ds.title
        for f in ds.files:
            assert f.checksums and all(":" in c for c in f.checksums)
            assert f.urls or ds.bundled_with or ds.key == "text", f"{ds.key}/{f.name} has no source but a mirror"


@pytest.mark.skipif(not os.environ.get(fetch.MIRROR_ENV), reason="needs DUDL_MIRROR (the offline dataset mirror)")
def test_every_mirrored_file_verifies_against_the_registry():
    checked = 0
    for ds in registry.DATASETS.values():
        for f in ds.files:
            for root in fetch.mirror_roots():
                path = Path(fetch.mirror_location(root, ds, f))
                if path.exists():
                    assert fetch.verify(path, f), f"{path} fails its registry checksum"
                    checked += 1
    assert checked >= 17  # mnist 4, fashion 4, wine, heart, text 6, starry night


# ---------------------------------------------------------------- prepare


def _idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_mnist_prepare_on_tiny_files_in_the_upstream_idx_format(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 10)):
        _idx(raw / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _idx(raw / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    writers = prepare.prepare_mnist(raw, {"size": 20, "seed": 3})
    for name, write in writers.items():
        write(tmp_path / name)
    small = np.load(tmp_path / "train_small.npz")
    train = np.load(tmp_path / "train.npz")
    assert small["images"].shape == (20, 28, 28) and small["images"].dtype == np.uint8
    np.testing.assert_array_equal(small["images"], train["images"][small["indices"]])
    np.testing.assert_array_equal(small["labels"], prepare.read_idx(raw / "train-labels-idx1-ubyte.gz")[small["indices"]])


def test_mnist_subset_is_fixed_by_its_seed():
    labels = np.arange(1000) % 10
    a = prepare.mnist_small_subset(labels, 200, seed=5)
    assert np.array_equal(a, prepare.mnist_small_subset(labels, 200, seed=5))
    assert not np.array_equal(a, prepare.mnist_small_subset(labels, 200, seed=6))
    assert len(np.unique(a)) == 200


def test_read_idx_refuses_a_truncated_file(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(5)))
    with pytest.raises(ValueError, match="expected 10 values"):
        prepare.read_idx(path)


def test_prepared_tabular_datasets(project):
    import pandas as pd

    from dudl.data import tabular

    frame, x, y = tabular.iris(project / registry.get("iris").prepared_paths()[0])
    assert x.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    wine_csv = project / registry.get("wine_quality").prepared_paths()[0]
    if not wine_csv.exists():
        pytest.skip("wine quality needs DUDL_MIRROR")
    wine = tabular.wine_binary(pd.read_csv(wine_csv))
    assert len(wine) == 1597  # two total-sulfur-dioxide outliers dropped
    assert abs(wine["boolQuality"].mean() - 0.53) < 0.01
    np.testing.assert_allclose(wine[tabular.WINE_FEATURES].mean(), 0, atol=1e-9)
    np.testing.assert_allclose(wine[tabular.WINE_FEATURES].std(ddof=0), 1, atol=1e-9)


@pytest.mark.skipif(not os.environ.get(fetch.MIRROR_ENV), reason="needs DUDL_MIRROR (the offline dataset mirror)")
def test_real_mnist_subset_stands_in_for_colabs_file(tmp_path):
    ds = registry.get("mnist")
    fetch.fetch(ds, tmp_path, fetch.mirror_roots(), upstream=False, log=lambda m: None)
    prepare.prepare(ds, {"data": {"mnist": {"size": 20000, "seed": 20000}}}, tmp_path, log=lambda m: None)
    small = np.load(tmp_path / ds.processed_dir / "train_small.npz")
    assert small["images"].shape == (20000, 28, 28)
    sevens = int((small["labels"] == 7).sum())
    assert 1950 <= sevens <= 2300, f"{sevens} sevens; Colab's file has 2,126 (reference_results 12)"
