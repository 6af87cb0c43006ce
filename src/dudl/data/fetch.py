"""Fetch a dataset's raw files: already-present verified files, then mirrors, then upstream.

Promises: every file is checked against a known checksum before it is kept; writes are atomic (a temporary file
in the target folder, renamed only once verified); a failed or corrupt download leaves nothing behind; when every
source fails the error names the file, each place tried and why, and where to put the file by hand.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import socket
import sys
import tempfile
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from dudl.atomic import atomic_write
from dudl.data.registry import Dataset, RemoteFile

MIRROR_ENV = "DUDL_MIRROR"
OFFLINE_ENV = "DUDL_OFFLINE"
USER_AGENT = "dudl-pipeline/0.1 (+https://github.com/mikexcohen/DeepUnderstandingOfDeepLearning)"
CHUNK = 1 << 20


class FetchError(RuntimeError):
    pass


class UnsafeArchiveError(RuntimeError):  # raised by prepare's extractions too: not a fetch failure
    pass


class ChecksumMismatch(ValueError):
    pass


# ---------------------------------------------------------------- checksums


def digest(path: Path, algo: str = "sha256", gunzip: bool = False) -> str:
    h = hashlib.new(algo)
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def matches(path: Path, checksum: str) -> bool:
    algo, _, expected = checksum.partition(":")
    expected = expected.lower()
    try:
        if algo == "md5-gunzip":
            return digest(path, "md5", gunzip=True) == expected
        if algo == "sha256-prefix":
            return digest(path, "sha256").startswith(expected)
        if algo in ("md5", "sha256"):
            return digest(path, algo) == expected
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    raise ValueError(f"unknown checksum kind '{algo}' in '{checksum}'")


def verify(path: Path, spec: RemoteFile) -> bool:
    return path.is_file() and any(matches(path, c) for c in spec.checksums)


def record(path: Path) -> str:
    """A file's checksum as recorded when the pipeline writes it (prepared files, model files): 'sha256:<hex>'."""
    return f"sha256:{digest(path)}"


# ---------------------------------------------------------------- sources


def mirror_roots(extra: Sequence[str] = ()) -> list[str]:
    """DUDL_MIRROR (several separated by os.pathsep or commas) first, then params' data.mirrors."""
    env = os.environ.get(MIRROR_ENV, "")
    roots = [r for chunk in env.split(os.pathsep) for r in chunk.split(",") if r.strip()]
    return [r.strip() for r in roots] + [str(r) for r in extra if str(r).strip()]


def upstream_allowed() -> bool:
    return os.environ.get(OFFLINE_ENV, "").lower() not in ("1", "true", "yes")


def _is_url(location: str) -> bool:
    return urllib.parse.urlparse(location).scheme in ("http", "https", "file", "ftp")


def mirror_location(root: str, dataset: Dataset, spec: RemoteFile) -> str:
    if _is_url(root):
        return root.rstrip("/") + f"/{dataset.mirror_dir}/{spec.name}"
    return str(Path(root).expanduser() / dataset.mirror_dir / spec.name)


def bundled_location(dataset: Dataset, spec: RemoteFile) -> str | None:
    if not dataset.bundled_with:
        return None
    package, _, subdir = dataset.bundled_with.partition("/")
    try:
        import importlib.util

        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return str(Path(list(found.submodule_search_locations)[0]) / subdir / spec.name)


def _download(url: str, dest: Path, timeout: float = 60.0) -> None:
    if url.startswith("gdrive:"):
        # Google Drive needs a confirmation dance for large files: torchvision's helper does it.
        from torchvision.datasets.utils import download_file_from_google_drive

        download_file_from_google_drive(url.split(":", 1)[1], str(dest.parent), dest.name)
        return
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out, CHUNK)
            expected, got = response.headers.get("Content-Length"), out.tell()
    except http.client.HTTPException as exc:  # IncompleteRead: the connection was lost mid-transfer
        raise ConnectionError(f"interrupted download: {exc!r}") from exc
    if expected is not None and expected.isdigit() and got != int(expected):  # http.client reads short bodies silently
        raise ConnectionError(f"truncated download: {got} of {expected} bytes")


def _copy_or_download(location: str, dest: Path) -> None:
    if _is_url(location) or location.startswith("gdrive:"):
        _download(location, dest)
    else:
        if not Path(location).is_file():
            raise FileNotFoundError(f"no such file {location}")
        shutil.copyfile(location, dest)


# ---------------------------------------------------------------- fetch


@dataclass
class Attempt:
    source: str
    location: str
    outcome: str


def candidate_sources(dataset: Dataset, spec: RemoteFile, mirrors: Sequence[str], upstream: bool) -> list[tuple[str, str]]:
    sources = []
    bundled = bundled_location(dataset, spec)
    if bundled:
        sources.append(("bundled", bundled))
    sources += [("mirror", mirror_location(root, dataset, spec)) for root in mirrors]
    if upstream:
        sources += [("upstream", url) for url in spec.urls]
    return sources


def fetch_file(
    dataset: Dataset,
    spec: RemoteFile,
    target_dir: Path,
    mirrors: Sequence[str] = (),
    upstream: bool = True,
    log: Callable[[str], None] = print,
) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / spec.name
    for partial in target_dir.glob(f".{spec.name}.*"):  # atomic_write's temporary file, left by a killed fetch
        if partial.is_file():
            partial.unlink()
            log(f"{dataset.key}/{spec.name}: removed {partial.name}, left by an interrupted fetch")
    if target.exists():
        if verify(target, spec):
            log(f"{dataset.key}/{spec.name}: present and verified")
            return target
        log(f"{dataset.key}/{spec.name}: present but fails its checksum; fetching it again")
        target.unlink()

    attempts: list[Attempt] = []
    for source, location in candidate_sources(dataset, spec, mirrors, upstream):

        def download_verified(tmp: Path, location=location) -> None:
            _copy_or_download(location, tmp)
            if not verify(tmp, spec):
                raise ChecksumMismatch("checksum mismatch (corrupt or different file)")

        try:
            atomic_write(target, download_verified)
            log(f"{dataset.key}/{spec.name}: fetched from {source} {location}")
            return target
        except (OSError, ValueError) as exc:  # URLError, timeouts and broken transfers are OSErrors
            outcome = str(exc) if isinstance(exc, ChecksumMismatch) else f"{type(exc).__name__}: {exc}"
            attempts.append(Attempt(source, location, outcome))
    raise FetchError(missing_message(dataset, spec, target, attempts, mirrors, upstream))


def missing_message(
    dataset: Dataset, spec: RemoteFile, target: Path, attempts: Iterable[Attempt], mirrors: Sequence[str], upstream: bool
) -> str:
    lines = [f"cannot fetch {dataset.key}/{spec.name} ({dataset.title})."]
    attempts = list(attempts)
    if attempts:
        lines.append("Tried:")
        lines += [f"  - {a.source}: {a.location} -> {a.outcome}" for a in attempts]
    if not mirrors:
        lines.append(f"  - no mirror configured (set {MIRROR_ENV} or data.mirrors in params.yaml)")
    if not upstream:
        lines.append(f"  - upstream download disabled ({OFFLINE_ENV} is set)")
    elif not spec.urls:
        lines.append("  - this file has no upstream URL; it comes only from a mirror")
    lines.append(
        f"To provide it: put the file at {target} (checksum {spec.checksums[0]}), "
        f"or point {MIRROR_ENV} at a folder that holds {dataset.mirror_dir}/{spec.name}."
    )
    return "\n".join(lines)


def fetch(dataset: Dataset, root: Path = Path("."), mirrors: Sequence[str] = (), upstream: bool | None = None,
          log: Callable[[str], None] = print) -> list[Path]:
    upstream = upstream_allowed() if upstream is None else upstream
    return [fetch_file(dataset, spec, root / dataset.raw_dir, mirrors, upstream, log) for spec in dataset.files]


# ---------------------------------------------------------------- availability (for planning the DAG)


_REACHABLE: dict[str, bool] = {}


def host_reachable(url: str, timeout: float = 3.0) -> bool:
    if url.startswith("gdrive:"):
        url = "https://drive.google.com/"
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path)).exists()
    host = parsed.hostname or ""
    if host not in _REACHABLE:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            _REACHABLE[host] = True
        except OSError:
            _REACHABLE[host] = False
    return _REACHABLE[host]


def unavailable_reason(dataset: Dataset, root: Path = Path("."), mirrors: Sequence[str] = (),
                       upstream: bool | None = None) -> str | None:
    """None when every raw file is present or can be had from somewhere; else why not and how to provide it.

    Cheap on purpose (existence checks and one TCP connect per upstream host): the full checksum check happens
    in the fetch job.
    """
    upstream = upstream_allowed() if upstream is None else upstream
    for spec in dataset.files:
        if (root / dataset.raw_dir / spec.name).exists():
            continue
        places = [loc for _, loc in candidate_sources(dataset, spec, mirrors, upstream=False)]
        if any(_is_url(p) or Path(p).is_file() for p in places):
            continue
        if upstream and any(host_reachable(u) for u in spec.urls):
            continue
        how = f"put it at {dataset.raw_dir / spec.name} or set {MIRROR_ENV} to a folder holding {dataset.mirror_dir}/{spec.name}"
        why = "offline and no mirror has it" if spec.urls else "it has no upstream URL and no mirror has it"
        return f"dataset {dataset.key} unavailable: {spec.name} ({why}); {how}"
    return None


# ---------------------------------------------------------------- archives


def _refuse(archive: Path, member: str, why: str) -> None:
    raise UnsafeArchiveError(f"refusing archive member '{member}' of {archive}: {why}")


def _check_name(archive: Path, name: str) -> None:
    if name.startswith(("/", "\\")) or os.path.isabs(name):
        _refuse(archive, name, "absolute path")
    if ".." in Path(name.replace("\\", "/")).parts:
        _refuse(archive, name, "'..' in its path would write outside the target")


def safe_extract(archive: Path, dest: Path) -> Path:
    """Extract a .tar(.gz) or .zip into dest (replacing it): every extraction of the pipeline goes through here.

    Refuses, naming the archive and the member, absolute paths, '..', links and devices. Extracts into a temporary
    sibling folder first, so a refused or broken archive leaves nothing behind.
    """
    import stat
    import tarfile
    import zipfile

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                members = tar.getmembers()
                for m in members:
                    _check_name(archive, m.name)
                    if not (m.isfile() or m.isdir()):
                        kind = "symlink" if m.issym() else "hard link" if m.islnk() else "device or special file"
                        link = f" to '{m.linkname}'" if m.linkname else ""
                        _refuse(archive, m.name, f"a {kind}{link}: links and devices are not allowed")
                # The checks above are the guard; the "data" filter (Python >= 3.11.4) is a second one when present.
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, members=members, **extra)
        elif zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    _check_name(archive, info.filename)
                    if stat.S_ISLNK(info.external_attr >> 16):
                        _refuse(archive, info.filename, "a symlink: links are not allowed")
                zf.extractall(tmp)
        else:
            raise FetchError(f"{archive} is neither a tar nor a zip archive")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
        return dest
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_scratch(archive: Path, log: Callable[[str], None] = print) -> list[Path]:
    """Scratch folders of `unpacked` whose process is gone (a prepare killed mid-unpack: an unpacked CIFAR-10 is
    about 180 MB, STL-10 about 3 GB). A live process's folder is left alone, since two jobs may unpack the same
    archive at once (a prepare and an experiment that opens the archive itself)."""
    removed = []
    for scratch in archive.parent.glob(f".unpack-{archive.name}.*"):
        pid = scratch.name[len(f".unpack-{archive.name}."):].split(".", 1)[0]
        if scratch.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(scratch, ignore_errors=True)
            removed.append(scratch)
            log(f"{archive}: removed {scratch.name}, left by an interrupted unpack (process {pid})")
    return removed


@contextmanager
def unpacked(archive: Path, folder: str = "unpacked") -> Iterator[Path]:
    """The archive safely extracted into <scratch>/<folder>, the scratch folder beside the archive and removed
    afterwards (so data/raw keeps only what was fetched). The scratch folder's name carries the process id, so
    that the next call can remove what a killed one left behind."""
    remove_stale_scratch(archive, log=lambda line: print(line, file=sys.stderr))
    prefix = f".unpack-{archive.name}.{os.getpid()}."
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=prefix) as root:
        yield safe_extract(archive, Path(root) / folder)
