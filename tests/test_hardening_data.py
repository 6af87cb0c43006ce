"""Hardening of downloads and data (issue 12): one test per fault. Interrupted, truncated or corrupt downloads are
refused, the next source is tried and nothing bad stays in data/raw; archives that would write outside their
target are refused naming the archive and the member, by every extraction of the pipeline; a data or model file
changed after it was written is caught by `dudl verify`. Tiny files only, written here."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import signal
import stat
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dudl import cli
from dudl.data import fetch, prepare, registry
from test_data import PAYLOAD, leftovers, put, sha256, toy

def quiet(message: str) -> None:
    pass


# ---------------------------------------------------------------- downloads


class BrokenServer(BaseHTTPRequestHandler):
    """/short/...: announces the whole file, sends 10 bytes and hangs up; /cut/...: a chunked reply cut mid-chunk."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        if self.path.startswith("/short/"):
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:10])
        else:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n" % len(PAYLOAD) + PAYLOAD[:10])
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BrokenServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def upstream(tmp_path) -> Path:
    put(tmp_path / "upstream", "toy.csv", PAYLOAD)
    return tmp_path / "upstream"


def test_truncated_download_is_refused_and_the_next_source_used(tmp_path, server, upstream):
    ds, raw = toy(tmp_path, upstream=upstream), tmp_path / "project" / "data" / "raw" / "toy"
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(ds, tmp_path / "project", [f"{server}/short"], upstream=False, log=quiet)
    assert f"mirror: {server}/short/toy-mirror/toy.csv -> ConnectionError: truncated download: 10 of " \
           f"{len(PAYLOAD)} bytes" in str(info.value)
    assert leftovers(raw) == []
    [path] = fetch.fetch(ds, tmp_path / "project", [f"{server}/short"], upstream=True, log=quiet)
    assert path.read_bytes() == PAYLOAD and leftovers(raw) == ["toy.csv"]


def test_interrupted_download_falls_through_to_the_next_source(tmp_path, server, upstream):
    """A connection lost mid-transfer (http.client's IncompleteRead, no OSError) is one failed source, not a crash."""
    said: list[str] = []
    ds = toy(tmp_path, upstream=upstream)
    with pytest.raises(fetch.FetchError, match="-> ConnectionError: interrupted download: IncompleteRead"):
        fetch.fetch(ds, tmp_path / "project", [f"{server}/cut"], upstream=False, log=quiet)
    [path] = fetch.fetch(ds, tmp_path / "project", [f"{server}/cut"], upstream=True, log=said.append)
    assert path.read_bytes() == PAYLOAD and said[-1].startswith("toy/toy.csv: fetched from upstream")
    assert leftovers(path.parent) == ["toy.csv"]


def test_download_stopped_by_the_user_leaves_nothing(tmp_path, monkeypatch):
    def half_then_ctrl_c(location, dest):
        dest.write_bytes(PAYLOAD[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "_copy_or_download", half_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch(toy(tmp_path), tmp_path / "project", [str(tmp_path / "mirror")], upstream=False, log=quiet)
    assert leftovers(tmp_path / "project" / "data" / "raw" / "toy") == []


def test_partial_file_of_a_killed_fetch_is_removed(tmp_path):
    """A fetch killed outright (SIGKILL: no cleanup runs) leaves atomic_write's temporary file; the next removes it."""
    raw = tmp_path / "project" / "data" / "raw" / "toy"
    put(raw, ".toy.csv.k1ll3d.csv", PAYLOAD[:10])
    put(tmp_path / "mirror" / "toy-mirror", "toy.csv", PAYLOAD)
    said: list[str] = []
    fetch.fetch(toy(tmp_path), tmp_path / "project", [str(tmp_path / "mirror")], upstream=False, log=said.append)
    assert leftovers(raw) == ["toy.csv"]
    assert said[0] == "toy/toy.csv: removed .toy.csv.k1ll3d.csv, left by an interrupted fetch"


def test_corrupt_file_is_never_kept_even_when_no_source_has_a_good_one(tmp_path):
    raw = tmp_path / "project" / "data" / "raw" / "toy"
    put(raw, "toy.csv", b"bit rot")
    put(tmp_path / "mirror" / "toy-mirror", "toy.csv", b"also wrong")
    with pytest.raises(fetch.FetchError, match="checksum mismatch"):
        fetch.fetch(toy(tmp_path), tmp_path / "project", [str(tmp_path / "mirror")], upstream=False, log=quiet)
    assert leftovers(raw) == []


# ---------------------------------------------------------------- archives


def _tar(path: Path, name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("fine.txt"), io.BytesIO(b""))
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, link
        info.size = 0 if link else 5
        tar.addfile(info, None if link else io.BytesIO(b"pwned"))
    return path


TAR_FAULTS = {
    "dotdot": ("ok/../../evil.txt", tarfile.REGTYPE, "", "'..' in its path"),
    "absolute": ("/{tmp}/evil.txt", tarfile.REGTYPE, "", "absolute path"),
    "symlink out": ("link", tarfile.SYMTYPE, "../../evil.txt", "a symlink to '../../evil.txt'"),
    "absolute symlink": ("link", tarfile.SYMTYPE, "/etc/passwd", "a symlink to '/etc/passwd'"),
    "hardlink out": ("link", tarfile.LNKTYPE, "/etc/passwd", "a hard link to '/etc/passwd'"),
}


@pytest.mark.parametrize("fault", TAR_FAULTS)
def test_tar_member_outside_the_target_is_refused_naming_archive_and_member(tmp_path, fault):
    name, kind, link, why = TAR_FAULTS[fault]
    name = name.format(tmp=str(tmp_path).strip("/"))
    archive = _tar(tmp_path / "bad.tar.gz", name, kind, link)
    with pytest.raises(fetch.UnsafeArchiveError) as info:
        fetch.safe_extract(archive, tmp_path / "out" / "x")
    assert f"refusing archive member '{name}' of {archive}: {why}" in str(info.value)
    assert leftovers(tmp_path / "out") == [] and not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("name, symlink", [("../evil.txt", False), ("/evil.txt", False), ("link", True)])
def test_zip_member_outside_the_target_is_refused_naming_archive_and_member(tmp_path, name, symlink):
    """zipfile would quietly rename '..' and absolute members; a symlink entry would land as a file. Both refused."""
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "ok")
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd" if symlink else "pwned")
    with pytest.raises(fetch.UnsafeArchiveError, match=f"refusing archive member '{name}' of {archive}"):
        fetch.safe_extract(archive, tmp_path / "out" / "x")
    assert leftovers(tmp_path / "out") == []


ARCHIVES = {"cifar10": "cifar-10-python.tar.gz", "stl10": "stl10_binary.tar.gz", "celeba": "img_align_celeba.zip"}


@pytest.mark.parametrize("key", ARCHIVES)
def test_prepare_extracts_only_through_safe_extract(tmp_path, monkeypatch, key):
    """The archive torchvision would unpack itself (unguarded: extractall with no filter) once its md5 matched."""
    from torchvision.datasets import CIFAR10, STL10

    raw = tmp_path / "data" / "raw" / key
    raw.mkdir(parents=True)
    archive = raw / ARCHIVES[key]
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("../../../evil.txt", "pwned")
    else:
        _tar(archive, "../../../evil.txt")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5)
    monkeypatch.setattr(STL10, "tgz_md5", md5)
    with pytest.raises(fetch.UnsafeArchiveError, match=f"refusing archive member '../../../evil.txt' of {archive}"):
        prepare.PREPARERS[key](raw, {})
    assert not (tmp_path / "evil.txt").exists() and leftovers(raw) == [archive.name]


def test_unpack_of_a_killed_prepare_is_removed_by_the_next_one(tmp_path):
    """A prepare SIGKILLed mid-unpack leaves its scratch folder (CIFAR-10 unpacked is 180 MB, STL-10 3 GB); the next
    unpack of that archive removes it, and leaves alone the folder of a process that is still unpacking."""
    raw = tmp_path / "raw"
    raw.mkdir()
    archive = raw / "toy.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("inner/data.bin")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"bytes"))
    script = ("import sys, time; from pathlib import Path; from dudl.data.fetch import unpacked\n"
              "with unpacked(Path(sys.argv[1])) as root:\n"
              "    print(root, flush=True); time.sleep(600)\n")
    killed = subprocess.Popen([sys.executable, "-c", script, str(archive)], stdout=subprocess.PIPE, text=True)
    unpacking = subprocess.Popen([sys.executable, "-c", script, str(archive)], stdout=subprocess.PIPE, text=True)
    try:
        killed_root = Path(killed.stdout.readline().strip())
        live_root = Path(unpacking.stdout.readline().strip())
        assert (killed_root / "inner" / "data.bin").read_bytes() == b"bytes"
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        said = []
        assert fetch.remove_stale_scratch(archive, log=said.append) == [killed_root.parent]
        assert said == [f"{archive}: removed {killed_root.parent.name}, left by an interrupted unpack "
                        f"(process {killed.pid})"]
        assert not killed_root.exists() and (live_root / "inner" / "data.bin").exists()
        with fetch.unpacked(archive) as root:  # unpacked itself calls the cleanup first
            assert (root / "inner" / "data.bin").read_bytes() == b"bytes"
        assert leftovers(raw) == sorted([archive.name, live_root.parent.name])
    finally:
        for proc in (killed, unpacking):
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- tampering: dudl verify


def dudl_verify(root: Path, capsys, *flags: str) -> tuple[int, str]:
    code = cli.main(["--root", str(root), "verify", *flags])
    return code, capsys.readouterr().out


@pytest.fixture
def only_toy(tmp_path, monkeypatch):
    """The registry holds just the toy dataset (a raw file from a mirror, one prepared file); returns the root."""
    ds = dataclasses.replace(toy(tmp_path), prepared=("toy.txt",))
    monkeypatch.setattr(registry, "DATASETS", {"toy": ds})
    monkeypatch.setitem(prepare.PREPARERS, "toy", lambda raw, p: {"toy.txt": lambda path: path.write_text("x")})
    put(tmp_path / "mirror" / "toy-mirror", "toy.csv", PAYLOAD)
    root = tmp_path / "project"
    fetch.fetch(ds, root, [str(tmp_path / "mirror")], upstream=False, log=quiet)
    prepare.prepare(ds, {}, root, log=quiet)
    return root


def test_verify_catches_a_raw_file_changed_after_the_fetch(only_toy, capsys):
    assert dudl_verify(only_toy, capsys) == (0, "dudl verify: 2 files checked, 0 bad, 0 unrecorded\n")
    changed = PAYLOAD.replace(b"9.4", b"9.9")
    (only_toy / "data/raw/toy/toy.csv").write_bytes(changed)
    code, out = dudl_verify(only_toy, capsys)
    assert code == 1
    assert f"BAD data/raw/toy/toy.csv: expected sha256:{sha256(PAYLOAD)}, found sha256:{sha256(changed)}" in out


def test_verify_catches_a_processed_file_changed_after_prepare(only_toy, capsys):
    manifest = json.loads((only_toy / "data/processed/toy" / prepare.MANIFEST).read_text())
    assert manifest == {"toy.txt": f"sha256:{sha256(b'x')}"}
    (only_toy / "data/processed/toy/toy.txt").write_text("y")
    code, out = dudl_verify(only_toy, capsys)
    assert code == 1
    assert f"BAD data/processed/toy/toy.txt: expected sha256:{sha256(b'x')}, found sha256:{sha256(b'y')}" in out


def test_verify_accepts_the_version_dvc_checked_out(only_toy, capsys):
    """`dvc checkout` / `dvc exp apply` restores another prepared version than the last prepare recorded: it matches
    what dvc.lock records, and that is no tampering."""
    (only_toy / "data/processed/toy/toy.txt").write_text("y")
    lock = {"schema": "2.0", "stages": {"prepare-toy": {"cmd": "dudl prepare toy", "outs": [
        {"path": "data/processed/toy/toy.txt", "hash": "md5", "md5": hashlib.md5(b"y").hexdigest(), "size": 1}]}}}
    (only_toy / "dvc.lock").write_text(json.dumps(lock))  # JSON is YAML
    assert dudl_verify(only_toy, capsys)[0] == 0


def test_verify_strict_fails_on_a_file_whose_record_was_removed(only_toy, capsys):
    (only_toy / "data/processed/toy" / prepare.MANIFEST).unlink()
    assert dudl_verify(only_toy, capsys)[0] == 0  # files written before records existed still pass by default
    code, out = dudl_verify(only_toy, capsys, "--strict")
    assert code == 1 and "UNRECORDED data/processed/toy/toy.txt: no checksum was recorded" in out


def test_verify_catches_a_model_file_changed_after_the_run(tmp_path, monkeypatch, capsys):
    from conftest import copy_config, run_experiment

    monkeypatch.setattr(registry, "DATASETS", {})
    root = copy_config(tmp_path)
    run_experiment(root, "ann/classify_qwerties", figures=False)
    folder = root / "results/ann/classify_qwerties"
    model = folder / "model.pt"
    recorded = json.loads((folder / "timing.json").read_text())["checksums"]
    assert recorded == {"model.pt": f"sha256:{sha256(model.read_bytes())}"}
    assert "checksums" not in (folder / "metrics.json").read_text()
    assert dudl_verify(root, capsys)[0] == 0
    model.write_bytes(model.read_bytes()[:-1] + b"!")
    code, out = dudl_verify(root, capsys)
    assert code == 1 and f"BAD results/ann/classify_qwerties/model.pt: expected {recorded['model.pt']}, found" in out
