"""Exact code dependencies: each experiment's run depends on the dudl modules it really executes (imports followed
transitively) and on no other section's code; its figures never depend on the trainer."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dudl import catalog, codedeps
from conftest import ROOT

SECTIONS = sorted(catalog.SECTIONS)


def names(paths) -> set[str]:
    return {str(p) for p in paths}


@pytest.mark.parametrize("section", SECTIONS)
def test_every_dudl_import_of_an_experiment_module_is_among_its_deps(section):
    """Read the experiment module's own import statements (module level and inside functions) independently of
    codedeps, and check each imported dudl module's file is a dependency."""
    deps = names(codedeps.run_code(section))
    path = ROOT / "src" / "dudl" / "experiments" / f"{section}.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dudl"):
            imported.add(node.module)
            imported.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names if a.name.startswith("dudl"))
    files = [codedeps.module_path(m) for m in imported]
    files = {str(f.relative_to(ROOT)) for f in files if f is not None}
    assert files, f"{section} imports nothing from dudl?"
    missing = files - deps
    assert not missing, f"{section} imports {sorted(missing)} but its deps lack them"


RUN_AND_LIST = """
import json, sys
from pathlib import Path
from dudl import catalog, runner
from dudl import params as P
exp = catalog.get(sys.argv[2])
params = P.load(Path(sys.argv[1]), overrides=["scale=0.02"])
runner.run(exp, P.experiment_slice(params, exp.section, exp.name), Path(sys.argv[1]), show_progress=False)
print(json.dumps(sorted(m for m in sys.modules if m == "dudl" or m.startswith("dudl."))))
"""


@pytest.mark.parametrize("experiment", ["math/softmax", "gradient_descent/gd_1d", "ann/learning_rates",
                                        "overfitting/manual", "regularization/l2_regu"])
def test_what_a_run_really_loads_is_among_its_deps(experiment, project):
    """Run the experiment in a fresh interpreter and list every dudl module it loaded: all must be deps, except
    the catalog's other sections (loaded to list them), and codedeps and its cache (params keys its cached schema
with them), by design: see dudl.codedeps."""
    exp = catalog.get(experiment)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DUDL_PROGRESS": "0"}
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST, str(project), experiment], capture_output=True,
                          text=True, env=env, check=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    allowed = set(codedeps.run_modules(exp.section))
    unexplained = {m for m in loaded - allowed
                   if not (m.startswith("dudl.catalog.") or m in {"dudl.codedeps", "dudl.stampcache"})}
    assert not unexplained, f"{experiment} loaded {sorted(unexplained)}, which are not among its deps"


def test_params_is_a_dependency_of_every_experiment_and_stacked_only_of_those_importing_it():
    for exp in catalog.EXPERIMENTS:
        assert "src/dudl/params.py" in names(exp.run_code()), exp.id
    users = {e.section for e in catalog.EXPERIMENTS if "src/dudl/models/stacked.py" in names(e.run_code())}
    importers = {s for s in SECTIONS
                 if "dudl.models.stacked" in (ROOT / "src/dudl/experiments" / f"{s}.py").read_text()}
    assert users == importers == {"ann", "weights"}


def test_numpy_only_experiments_do_not_depend_on_the_trainer_or_models():
    deps = names(codedeps.run_code("gradient_descent"))
    assert not {d for d in deps if "models/" in d or d.endswith(("/train.py", "/steps.py"))}, deps
    assert "src/dudl/catalog/gradient_descent.py" in deps and "src/dudl/catalog/ann.py" not in deps


def test_figures_depend_on_plots_not_on_the_trainer():
    for section in SECTIONS:
        deps = names(codedeps.figure_code(section))
        assert f"src/dudl/plots/{section}.py" in deps and "src/dudl/plots/style.py" in deps
        assert "src/dudl/train.py" not in deps and f"src/dudl/experiments/{section}.py" not in deps


def test_relative_and_nested_imports_are_followed(tmp_path, monkeypatch):
    pkg = tmp_path / "dudl"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("def f():\n    from . import b\n    from ..c import g\n")
    (pkg / "sub" / "b.py").write_text("")
    (pkg / "c.py").write_text("import dudl.d\n")
    (pkg / "d.py").write_text("")
    monkeypatch.setattr(codedeps, "SRC", pkg)
    codedeps.imports_of.cache_clear()
    try:
        assert codedeps.closure(("dudl.sub.a",)) == ["dudl", "dudl.c", "dudl.d", "dudl.sub", "dudl.sub.a", "dudl.sub.b"]
    finally:
        codedeps.imports_of.cache_clear()


def test_a_modules_cpp_source_is_a_dependency_of_every_run_that_trains_through_it():
    """dudl.backprop_native compiles and loads backprop_native.cpp: an edit to the C++ step reruns what trains
    with it, and a section that never trains (gradient descent in numpy) does not depend on it."""
    for section in SECTIONS:
        deps = names(codedeps.run_code(section))
        uses = "src/dudl/backprop_native.py" in deps
        assert ("src/dudl/backprop_native.cpp" in deps) == uses, section
    assert "src/dudl/backprop_native.cpp" in names(codedeps.run_code("ffn"))
    assert "src/dudl/backprop_native.cpp" not in names(codedeps.run_code("gradient_descent"))


def test_the_import_cache_follows_edits_and_new_modules(tmp_path, monkeypatch):
    """What a file imports is cached by its size and mtime: an edit is seen at once, and so is a module that
    starts to exist after the cache entry was written."""
    pkg = tmp_path / "dudl"
    (pkg / "sub").mkdir(parents=True)
    for name in ("__init__.py", "sub/__init__.py", "a.py"):
        (pkg / name).write_text("")
    (pkg / "b.py").write_text("from dudl import a\nfrom dudl.sub import later\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(codedeps, "SRC", pkg)
    monkeypatch.setattr(codedeps, "_IMPORTS", codedeps.StampCache("imports-test"))
    codedeps.imports_of.cache_clear()
    try:
        assert codedeps.closure(("dudl.b",)) == ["dudl", "dudl.a", "dudl.b", "dudl.sub"]
        assert codedeps._IMPORTS.path.exists()  # written at the end of closure()
        (pkg / "sub" / "later.py").write_text("")
        codedeps.imports_of.cache_clear()
        codedeps._IMPORTS = codedeps.StampCache("imports-test")  # a new process: the entries come from disk
        assert "dudl.sub.later" in codedeps.closure(("dudl.b",))
        (pkg / "b.py").write_text("from dudl import a\n# edited: imports nothing else\n")
        codedeps.imports_of.cache_clear()
        assert codedeps.closure(("dudl.b",)) == ["dudl", "dudl.a", "dudl.b"]
    finally:
        codedeps.imports_of.cache_clear()


def test_digests_change_with_their_files_and_are_dated_by_their_text(tmp_path):
    """A section's digest lists the sha256 of each of its files. An edit rewrites it, dated like the edited file
    (Snakemake then reruns what the edit reaches); undoing the edit gives back the text and the date it had, so
    nothing reruns; touching a file without changing it changes nothing."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "dudl", src / "dudl")
    [run] = [p for p in codedeps.write_digests(tmp_path) if p.name == "ann.run.txt"]
    listed = [line.split("  ")[1] for line in run.read_text().splitlines()]
    assert listed == [str(p) for p in codedeps.run_code("ann")]
    assert run.stat().st_mtime_ns == max((tmp_path / f).stat().st_mtime_ns for f in listed)
    before, dated = run.read_text(), run.stat().st_mtime_ns
    stacked = src / "dudl" / "models" / "stacked.py"
    original = stacked.read_text()
    os.utime(stacked, ns=(dated + 10**9, dated + 10**9))  # touched, not changed
    codedeps.write_digests(tmp_path)
    assert (run.read_text(), run.stat().st_mtime_ns) == (before, dated)
    stacked.write_text(original + "\n# an edit\n")
    codedeps.write_digests(tmp_path)
    assert run.read_text() != before and run.stat().st_mtime_ns == stacked.stat().st_mtime_ns > dated
    assert "src/dudl/models/stacked.py" not in (tmp_path / codedeps.digest_path("math", "run")).read_text()
    stacked.write_text(original)  # the edit undone: a newer mtime, the old text
    codedeps.write_digests(tmp_path)
    assert (run.read_text(), run.stat().st_mtime_ns) == (before, dated)
