"""Each experiment's exact code dependencies, derived from imports: the source files whose change can change its
numbers (Snakemake inputs and DVC deps of its run stage) or its figures (of its figures stage).

A run of `ann/classify_qwerties` executes dudl.runner (which loads the params, seeds, and writes results),
dudl.experiments.ann and dudl.catalog.ann (its entry: outputs, sweep `points`, params declaration). Its
dependencies are these modules and every `dudl` module they import, followed transitively: imports anywhere in a
file count (a function-level import runs when the function does), and importing `dudl.a.b` counts `dudl/__init__.py`
and `dudl/a/__init__.py` too, since Python runs them. Three edges are deliberately not followed:
- dudl/catalog/__init__.py loads every section's catalog to list them; an experiment depends on its own section's
  catalog only, so a caption edit in one section reruns nothing elsewhere;
- experiment and plot modules are found by name (importlib), never imported by the runner, so one section's
  code is no dependency of another's;
- the runner and the catalog use this module only to fingerprint resume checkpoints and to list dependencies,
  which never changes a number.
The figures of an experiment depend likewise on dudl.figures, dudl.plots.<section> and dudl.catalog.<section>.
A module's C++ source beside it (dudl/backprop_native.cpp, compiled and loaded by dudl/backprop_native.py) counts
with the module.

Torch-free and cheap (ast, no imports): the Snakefile calls it at parse time. Parsing the hundred-odd source files
is most of its cost (about 0.6 s), so what each file imports is kept in dudl.stampcache, keyed by the file's size
and modification time; the existence checks on those names are redone every time, so a module added or removed
is seen at once.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from dudl.stampcache import StampCache

PACKAGE = "dudl"
SRC = Path(__file__).resolve().parent  # src/dudl
RUN_ENTRY = ("dudl.runner",)
FIGURE_ENTRY = ("dudl.figures",)
# (importer, prefix of imported modules left out): the catalog's loader of every section (see above), and the
# uses of this module and its cache by the runner, the catalog and params (fingerprints of resume checkpoints,
# dependency lists, the cached params schema), none of which touches a number.
NOT_FOLLOWED = {("dudl.catalog", "dudl.catalog."), ("dudl.runner", "dudl.codedeps"), ("dudl.catalog", "dudl.codedeps"),
                ("dudl.params", "dudl.codedeps"), ("dudl.params", "dudl.stampcache")}


def module_path(module: str) -> Path | None:
    """src/dudl/a/b.py or src/dudl/a/b/__init__.py for dudl.a.b; None when no such module exists."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = SRC.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


_IMPORTS = StampCache("imports")


def _parsed_names(module: str, path: Path) -> list[str]:
    """Every module name an import statement of the file names (relative imports resolved), before any check."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .a import b
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from dudl.models import mlp` imports the package and, when mlp is a module, that module too
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def _imported_names(module: str, path: Path) -> list[str]:
    return _IMPORTS.get(f"{module}:{path}", [path], lambda: _parsed_names(module, path))


@functools.lru_cache(maxsize=None)
def imports_of(module: str) -> frozenset[str]:
    """The dudl modules one module imports, anywhere in its file (with the packages Python runs on the way)."""
    path = module_path(module)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for name in _imported_names(module, path):
        if name.split(".")[0] == PACKAGE and module_path(name) is not None:
            found.add(name)
            found.update(p for p in _parents(name) if module_path(p) is not None)
    kept = {m for m in found
            if m != module and not any(module == importer and m.startswith(prefix) for importer, prefix in NOT_FOLLOWED)}
    return frozenset(kept)


def closure(modules: tuple[str, ...]) -> list[str]:
    """The modules given, the packages above them, and everything they import, transitively; sorted."""
    seen: set[str] = set()
    todo = [m for module in modules for m in (*_parents(module), module)]
    while todo:
        module = todo.pop()
        if module in seen or module_path(module) is None:
            continue
        seen.add(module)
        todo.extend(imports_of(module))
    _IMPORTS.save()
    return sorted(seen)


def files(modules: list[str], root: Path = Path("src")) -> list[Path]:
    """Module names as project-relative source paths (src/dudl/...), each followed by the C++ source that module
    compiles and loads, where it has one beside it (dudl/backprop_native.py builds backprop_native.cpp)."""
    paths = []
    for m in modules:
        path = module_path(m)
        paths.append(root / path.relative_to(SRC.parent))
        if path.name != "__init__.py" and path.with_suffix(".cpp").is_file():
            paths.append(root / path.with_suffix(".cpp").relative_to(SRC.parent))
    return paths


@functools.lru_cache(maxsize=None)
def _closure_of(modules: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(closure(modules))


def run_modules(section: str) -> list[str]:
    return list(_closure_of((*RUN_ENTRY, f"dudl.experiments.{section}", f"dudl.catalog.{section}")))


def figure_modules(section: str) -> list[str]:
    return list(_closure_of((*FIGURE_ENTRY, f"dudl.plots.{section}", f"dudl.catalog.{section}")))


def run_code(section: str) -> list[Path]:
    return list(_files_of(tuple(run_modules(section))))


def figure_code(section: str) -> list[Path]:
    return list(_files_of(tuple(figure_modules(section))))


@functools.lru_cache(maxsize=None)
def _files_of(modules: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple(files(list(modules)))


# Code digests: a run or figures job depends on one small file per section and kind instead of its ~70 source
# files, which makes every `snakemake` and `dvc status` call cheaper (thousands of inputs fewer to look up and
# stat). A digest lists the sha256 of each file of the closure, so it changes exactly when one of them does, and
# `git diff --no-index` of two digests, or the file itself, names the files. DVC builds them in its `code` stage
# and compares their contents. Snakemake, which compares modification times, gets them written as it reads the
# Snakefile, each rewritten only when its text changes and dated by its content: the first time a text is seen,
# like the newest of its files (so an edit reruns what it reran when jobs listed the files themselves); a text
# seen before, with the date it had then (DATES). So undoing an edit, switching git branches and back, or a
# checkout that only touches files reruns nothing, and a real change reruns exactly the sections it reaches.
DIGESTS = Path(".dudl") / "code"
DATES = DIGESTS / "dates.json"  # {sha256 of a digest's text: the mtime it was given}
KINDS = ("run", "figures")
_KEEP_DATES = 5000  # the newest texts' dates kept (42 digests a code state)


def digest_path(section: str, kind: str) -> Path:
    return DIGESTS / f"{section}.{kind}.txt"


def digest_files(section: str, kind: str) -> list[Path]:
    return run_code(section) if kind == "run" else figure_code(section)


def _sha256(path: Path, memo: dict[Path, str]) -> str:
    import hashlib

    if path not in memo:
        memo[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return memo[path]


def digest_text(root: Path, files: list[Path], memo: dict[Path, str]) -> str:
    """`memo` keeps each file's hash across the sections of one call: most files are in every section's list."""
    return "".join(f"{_sha256(root / f, memo)}  {f}\n" for f in files)


def sections() -> list[str]:
    """The sections that have experiments, in the catalog's order: one run and one figures digest each."""
    from dudl import catalog

    have = {e.section for e in catalog.EXPERIMENTS}
    return [s for s in catalog.SECTIONS if s in have]


def write_digests(root: Path) -> list[Path]:
    """Every section's digests (`sections()`) under root/.dudl/code/, rewritten only where their text changed, and dated by
    their text (see DATES above). Safe with several writers at once: the same text gets the same date, and every
    file is written whole and renamed into place."""
    import hashlib
    import json
    import os

    from dudl.atomic import atomic_write

    try:
        dates = json.loads((root / DATES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        dates = {}
    written, memo, seen = [], {}, len(dates)
    for section in sections():
        for kind in KINDS:
            target, files = root / digest_path(section, kind), digest_files(section, kind)
            text = digest_text(root, files, memo)
            key = hashlib.sha256(text.encode()).hexdigest()
            if key not in dates:
                dates[key] = max((root / f).stat().st_mtime_ns for f in files)
            try:
                same = target.read_text(encoding="utf-8") == text
            except OSError:
                same = False
            if not same:
                atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            if target.stat().st_mtime_ns != dates[key]:
                os.utime(target, ns=(dates[key], dates[key]))
            written.append(target)
    if len(dates) != seen:
        kept = dict(list(dates.items())[-_KEEP_DATES:])
        atomic_write(root / DATES, lambda tmp: tmp.write_text(json.dumps(kept), encoding="utf-8"))
    return written


def all_code_files() -> list[Path]:
    """Every file some digest covers: the deps of DVC's `code` stage."""
    return sorted({f for section in sections() for kind in KINDS for f in digest_files(section, kind)})
