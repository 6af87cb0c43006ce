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

Torch-free and cheap (ast, no imports): the Snakefile calls it at parse time.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = "dudl"
SRC = Path(__file__).resolve().parent  # src/dudl
RUN_ENTRY = ("dudl.runner",)
FIGURE_ENTRY = ("dudl.figures",)
# (importer, prefix of imported modules left out): the catalog's loader of every section (see above), and the
# runner's and the catalog's uses of this module (fingerprints of resume checkpoints, dependency lists), which
# never touch a number.
NOT_FOLLOWED = {("dudl.catalog", "dudl.catalog."), ("dudl.runner", "dudl.codedeps"), ("dudl.catalog", "dudl.codedeps")}


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


@functools.lru_cache(maxsize=None)
def imports_of(module: str) -> frozenset[str]:
    """The dudl modules one module imports, anywhere in its file (with the packages Python runs on the way)."""
    path = module_path(module)
    if path is None:
        return frozenset()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .a import b
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from dudl.models import mlp` imports the package and, when mlp is a module, that module too
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
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


def run_modules(section: str) -> list[str]:
    return closure((*RUN_ENTRY, f"dudl.experiments.{section}", f"dudl.catalog.{section}"))


def figure_modules(section: str) -> list[str]:
    return closure((*FIGURE_ENTRY, f"dudl.plots.{section}", f"dudl.catalog.{section}"))


def run_code(section: str) -> list[Path]:
    return files(run_modules(section))


def figure_code(section: str) -> list[Path]:
    return files(figure_modules(section))
