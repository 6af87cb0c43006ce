"""A small on-disk cache for values derived from source files (what a module imports, the params schema), keyed
by those files' sizes and modification times. It saves each `snakemake` and `dudl` call a second of parsing. A
value is recomputed the moment one of its files changes, and a cache that cannot be read or written only makes
the call slower, never wrong.

The cache lives in $XDG_CACHE_HOME/dudl (default ~/.cache/dudl), one JSON file per kind of value and source tree.
DUDL_STAMPCACHE=0 turns it off (every value computed afresh, nothing written).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from dudl.atomic import atomic_write

SRC = Path(__file__).resolve().parent  # src/dudl


def stamp(paths: Iterable[Path]) -> list:
    """[size, mtime_ns] of each file, in order: what changes when a file is edited, checked out or replaced."""
    return [[st.st_size, st.st_mtime_ns] for st in (p.stat() for p in paths)]


def _file(kind: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dudl" / f"{kind}-{hashlib.sha1(str(SRC).encode()).hexdigest()[:12]}.json"


class StampCache:
    """{key: [stamp, value]} for one kind of value, read once a process and written back by `save`."""

    def __init__(self, kind: str):
        self.path = _file(kind)
        self._entries: dict[str, list] | None = None
        self._dirty = False

    @property
    def entries(self) -> dict[str, list]:
        if self._entries is None:
            try:
                self._entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._entries = {}
        return self._entries

    def get(self, key: str, files: Iterable[Path], compute: Callable[[], Any]) -> Any:
        """The value for `key`, recomputed (and marked for saving) when a file's stamp differs from the cached one."""
        if os.environ.get("DUDL_STAMPCACHE", "1") == "0":
            return compute()
        current = stamp(files)
        cached = self.entries.get(key)
        if cached is not None and cached[0] == current:
            return cached[1]
        value = compute()
        self.entries[key] = [current, value]
        self._dirty = True
        return value

    def save(self) -> None:
        """Written whole and renamed into place (dudl.atomic), so that two processes at once leave one complete file."""
        if not self._dirty:
            return
        self._dirty = False
        try:
            atomic_write(self.path, lambda tmp: tmp.write_text(json.dumps(self.entries), encoding="utf-8"))
        except OSError:
            pass
