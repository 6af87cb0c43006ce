"""`dudl verify`: every data and model file against the checksum recorded for it, to catch a file changed after it
was written (by hand, by another program, by bit rot).

- data/raw/<dataset>/<file>: the registry's checksums (what `dudl fetch` verified it against);
- data/processed/<dataset>/<file>: the sha256 `dudl prepare` recorded beside it (dudl.data.prepare.MANIFEST);
- results/**/<name>.pt: the sha256 the run recorded in its folder's timing.json (dudl.runner.TIMING), under
  "checksums". Resume checkpoints (results/**/resume/) are the trainer's own and are left out.
Processed and model files also pass when they match the md5 dvc.lock records for them (a version DVC checked out).

Files not there are not checked (fetching and preparing them is the pipeline's business). A file with nothing
recorded for it (written before records existed, or its record removed) is listed as unrecorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from dudl.data import fetch, prepare, registry
from dudl.runner import RESUME_DIR, TIMING


@dataclass
class Check:
    path: Path
    expected: tuple[str, ...]  # checksums it may match; empty when nothing was recorded
    fix: str  # the command that writes it again

    @property
    def ok(self) -> bool:
        return any(fetch.matches(self.path, c) for c in self.expected)

    def found(self) -> str:
        """The file's checksum in the kind of the first expected one."""
        algo = self.expected[0].partition(":")[0]
        try:
            hexdigest = fetch.digest(self.path, "md5" if algo.startswith("md5") else "sha256", algo == "md5-gunzip")
        except (OSError, EOFError) as exc:
            return f"unreadable ({exc})"
        return f"{algo}:{hexdigest}"


def _recorded(record: Path, name: str, key: str | None = None) -> tuple[str, ...]:
    """The checksum a json record file (under `key`, if given) holds for the file `name`: one, or none."""
    doc = json.loads(record.read_text()) if record.is_file() else {}
    checksum = (doc.get(key, {}) if key else doc).get(name)
    return (checksum,) if checksum else ()


def _dvc_locked(root: Path) -> dict[str, tuple[str, ...]]:
    """The md5 dvc.lock records for each output: what `dvc repro`, `dvc checkout` or `dvc exp apply` put there (a
    version checked out by DVC is not the one our record describes, and is no tampering)."""
    import yaml

    lock = root / "dvc.lock"
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {}) if lock.is_file() else {}
    return {out["path"]: (f"md5:{out['md5']}",) for stage in stages.values() for out in stage.get("outs", [])
            if "md5" in out}


def checks(root: Path) -> Iterator[Check]:
    locked = _dvc_locked(root)

    def written(path: Path, record: Path, key: str | None = None) -> tuple[str, ...]:
        return _recorded(record, path.name, key) + locked.get(path.relative_to(root).as_posix(), ())

    for ds in registry.DATASETS.values():
        for spec in ds.files:
            if (root / ds.raw_dir / spec.name).is_file():
                yield Check(root / ds.raw_dir / spec.name, spec.checksums, f"dudl fetch {ds.key}")
        for path in (root / ds.processed_dir / name for name in ds.prepared):
            if path.is_file():
                yield Check(path, written(path, path.parent / prepare.MANIFEST), f"dudl prepare {ds.key}")
    for model in sorted((root / "results").rglob("*.pt")):
        if RESUME_DIR not in model.relative_to(root / "results").parts:
            yield Check(model, written(model, model.parent / TIMING, "checksums"), "dudl run <its experiment>")


def verify(root: Path, strict: bool = False, out=print) -> int:
    """Print each bad file with what was expected and what was found (with strict, each unrecorded one too); 1 when
    any file is bad (or, with strict, unrecorded), else 0."""
    bad = unrecorded = total = 0
    for check in checks(root):
        total += 1
        where = check.path.relative_to(root)
        if not check.expected:
            unrecorded += 1
            if strict:
                out(f"UNRECORDED {where}: no checksum was recorded when it was written; `{check.fix}` records one")
        elif not check.ok:
            bad += 1
            out(f"BAD {where}: expected {' or '.join(check.expected)}, found {check.found()}; `{check.fix}` "
                "writes it again")
    listed = "" if strict or not unrecorded else " (--strict lists them)"
    out(f"dudl verify: {total} files checked, {bad} bad, {unrecorded} unrecorded{listed}")
    return 1 if bad or (strict and unrecorded) else 0
