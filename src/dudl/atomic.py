"""Atomic file writes: write to a temporary file beside the target, then rename. A crash or an exception
leaves either the old file or nothing, never half a file; a full disk is an OSError naming the target."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

# errnos of a write that ran out of room: the disk, the user's quota, the largest file allowed (RLIMIT_FSIZE)
OUT_OF_ROOM = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary path in path's folder (same suffix), then rename it to path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix,
                               dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the permissions open() would
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno not in OUT_OF_ROOM:
            raise
        raise OSError(exc.errno, f"{path} not written: {exc.strerror} (disk or quota full, or the file size limit "
                                 f"reached); the file there before, if any, is unchanged") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


class _Watched:
    """A binary file that remembers the first OSError of its writes."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.error = fh, None

    def write(self, data) -> int:
        try:
            return self.fh.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def __getattr__(self, name):
        return getattr(self.fh, name)


def write_stream(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Open path for binary writing and call write(file). For libraries that write through a file object but report a
    failed write as an error of their own (torch.save says `unexpected pos 704 vs 598` when the disk is full): the
    OSError of the write is what is raised."""
    with open(path, "wb") as fh:
        watched = _Watched(fh)
        try:
            write(watched)
        except Exception:
            if watched.error is None:
                raise
            raise watched.error from None
