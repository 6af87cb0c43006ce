"""A file named by a param (a user's own CSV or spreadsheet, a photo from the web): a URL or a local path,
copied once into data/raw/external/ (atomically, so a broken download never leaves half a file); tables are
read with pandas.

Unlike the registered datasets there is no checksum to verify against: the file is whatever the param names.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pandas as pd

from dudl.atomic import atomic_write
from dudl.data import fetch
from dudl.data.registry import RAW

EXTERNAL = RAW / "external"
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")


class Unavailable(RuntimeError):
    """The file cannot be had (offline, missing file); the message says why and how to provide it."""


def local_copy(location: str, root: Path = Path(".")) -> Path:
    """Where the file lives under data/raw/external/, copying or downloading it there first if needed."""
    is_url = urllib.parse.urlparse(location).scheme in ("http", "https", "ftp", "file")
    name = Path(urllib.parse.urlparse(location).path).name if is_url else Path(location).name
    if not name:
        raise Unavailable(f"cannot name a local copy of {location!r}: it does not end in a file name")
    target = root / EXTERNAL / name
    if target.exists():
        return target
    source = location if is_url or Path(location).is_absolute() else str(root / location)
    if is_url and not fetch.upstream_allowed():
        raise Unavailable(f"{location} is not here and downloads are disabled ({fetch.OFFLINE_ENV}); "
                               f"put the file at {target}")
    if is_url and not location.startswith("file:") and not fetch.host_reachable(location):
        raise Unavailable(f"{location} cannot be reached (offline?); put the file at {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write(target, lambda tmp: fetch._copy_or_download(source, tmp))
    except OSError as exc:  # urllib's URLError is an OSError
        raise Unavailable(f"cannot copy {location}: {exc}; put the file at {target}") from exc
    return target


def read_table(location: str, root: Path = Path("."), header: int = 0) -> tuple[pd.DataFrame, Path]:
    """(the table, its local copy). Spreadsheets by their suffix go through pandas.read_excel, the rest
    through pandas.read_csv."""
    path = local_copy(location, root)
    if path.suffix.lower() in SPREADSHEETS:
        return pd.read_excel(path, header=header), path
    return pd.read_csv(path, header=header), path
