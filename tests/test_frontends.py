"""One source of truth: the catalog. The Snakefile and dvc.yaml are derived from it, params.yaml and the
schema cover it, and it covers every notebook of the implemented course sections."""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dudl import catalog, dvcgen, index, resources
from dudl.data import fetch, registry
from dudl import params as P
from conftest import ROOT, copy_config

COURSE_CATALOG = ROOT.parent / "shared" / "course" / "catalog.md"


@pytest.fixture(scope="module")
def params():
    return P.load(ROOT)


def test_committed_dvc_yaml_is_generated_from_the_catalog(params):
    assert (ROOT / "dvc.yaml").read_text() == dvcgen.render(params), "run `dudl dvc-yaml --write`"


def test_only_the_params_stage_reads_params_yaml_and_each_stage_depends_on_its_slice(params, tmp_path):
    """DVC parses params.yaml once per stage that lists keys of it: one stage does, and writes what each stage
    reads to a slice file that stage depends on. A change to one experiment's block changes its slice alone."""
    stages = dvcgen.document(params)["stages"]
    assert [name for name, stage in stages.items() if "params" in stage] == ["params"]
    for exp in catalog.EXPERIMENTS:
        path = str(dvcgen.slice_path(f"{exp.section}.{exp.name}"))
        assert path in stages[exp.stage_name]["deps"] and path in stages[f"{exp.stage_name}-figures"]["deps"]
        assert json.loads(dvcgen.slice_texts(params)[Path(path)]) == {
            **{k: params[k] for k in P.TOP_LEVEL_KEYS}, f"{exp.section}.{exp.name}": params[exp.section][exp.name]}
    assert str(dvcgen.slice_path("data.mnist")) in stages["prepare-mnist"]["deps"]
    assert stages["params"]["outs"] == [{str(p): {"persist": True}} for p in dvcgen.slice_keys(params)]
    assert set(stages["params"]["params"]) == {k for keys in dvcgen.slice_keys(params).values() for k in keys}

    written = dvcgen.write_slices(tmp_path, params)
    before = {p: (tmp_path / p).read_text() for p in written}
    changed = copy.deepcopy(params)
    changed["ann"]["classify_qwerties"]["lr"] *= 2
    dvcgen.write_slices(tmp_path, changed)
    assert [p for p in written if (tmp_path / p).read_text() != before[p]] == [
        dvcgen.slice_path("ann.classify_qwerties")]


def test_dvc_reads_yaml_with_ruamel_s_c_parser():
    """DVC loads dvc.yaml (400 KB) with ruamel.yaml's safe loader for every command: with ruamel.yaml.clib installed
    that loader parses in C, without it in pure Python, a third slower (a dependency of ours for that reason)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.main import CParser

    assert CParser is not None and YAML(typ="safe").Parser is CParser


@pytest.mark.parametrize("exp", catalog.EXPERIMENTS, ids=lambda e: e.id)
def test_every_experiment_has_params_schema_code_and_figures(exp, params):
    assert exp.name in params[exp.section], f"params.yaml lacks {exp.section}.{exp.name}"
    assert exp.params is not None, "its catalog entry must declare its params"
    section = P.schema_for(ROOT)["$defs"][f"Section_{exp.section}"]
    assert exp.name in section["properties"] and exp.name in section["required"], "schema must require it"
    module = importlib.import_module(f"dudl.experiments.{exp.section}")
    names = [f"{exp.name}_point", f"{exp.name}_combine"] if exp.points else [exp.name]
    assert all(callable(getattr(module, n, None)) for n in names)
    assert callable(getattr(importlib.import_module(f"dudl.plots.{exp.section}"), exp.name, None))
    assert exp.figures and all(caption.strip() for caption in exp.figures.values())
    assert all(re.fullmatch(r"[A-Za-z]+_[A-Za-z0-9_]+", nb) for nb in exp.notebooks)


def test_captions_are_plain_rst():
    """Captions render through docutils in the Snakemake report: no markup characters that would break it."""
    for exp in catalog.EXPERIMENTS:
        for name, caption in exp.figures.items():
            assert not re.search(r"[`*|]|^\s*[-#=]", caption, re.M), f"{exp.id}/{name}: {caption!r}"


def course_notebooks(folder: str) -> list[str]:
    text = COURSE_CATALOG.read_text(encoding="utf-8")
    section = re.search(rf"^## Section: {re.escape(folder)}/.*?(?=^## Section: |\Z)", text, re.M | re.S)
    return re.findall(r"^### (\S+) — ", section.group(0), re.M)


# Notebooks of a section that is partly built (README's status table): the list must shrink to nothing.
PENDING: dict[str, list[str]] = {}


@pytest.mark.skipif(not COURSE_CATALOG.exists(), reason="needs ../shared/course/catalog.md beside the repo")
@pytest.mark.parametrize("section", sorted(s for s, f in catalog.SECTIONS.items() if f != catalog.BEYOND_THE_COURSE))
def test_catalog_covers_every_notebook_of_each_implemented_section(section):
    ours = [nb for e in catalog.EXPERIMENTS if e.section == section for nb in e.notebooks]
    expected = course_notebooks(catalog.SECTIONS[section])
    assert expected, f"no notebooks found for {section} in the course catalog"
    assert sorted(ours + PENDING.get(section, [])) == sorted(expected)
    assert not set(ours) & set(PENDING.get(section, [])), "a pending notebook is built: take it off PENDING"


def snakemake_outputs(tmp_path: Path) -> set[str]:
    """Every file in the default target's DAG, from `snakemake --summary` (plans, runs nothing)."""
    copy_config(tmp_path)
    env = {**os.environ, "DUDL_MIRROR": str(ROOT.parent / "shared" / "datasets"),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    out = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--summary",
                          "--cores", "1"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[0] for line in out.splitlines()[1:] if line.strip()}


def dvc_outputs() -> set[str]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    files = set()
    for stage in stages.values():
        for entry in stage.get("outs", []) + stage.get("metrics", []):
            files.add(entry if isinstance(entry, str) else next(iter(entry)))
    return files


@pytest.mark.skipif(not (ROOT.parent / "shared" / "datasets").exists(), reason="needs ../shared/datasets")
def test_snakemake_and_dvc_build_the_same_files(tmp_path):
    smk = snakemake_outputs(tmp_path)
    # Snakemake declares each experiment's figures folder; DVC lists the figures in it. Snakemake also keeps
    # split sweeps' per-point results, which DVC computes in one process.
    smk_files = {f for f in smk if "/points/" not in f and not f.endswith("/figures")}
    figure_dirs = {f for f in smk if f.endswith("/figures")}
    # dvc.yaml has every stage; Snakemake's DAG leaves out what cannot be had here (offline: CIFAR-10 and the
    # experiments that read it), so those are compared apart.
    params = P.load(ROOT)
    mirrors = fetch.mirror_roots(params.get("data", {}).get("mirrors", []))
    absent = [f"data/{part}/{ds.key}/" for ds in registry.DATASETS.values()
              if fetch.unavailable_reason(ds, ROOT, mirrors) for part in ("raw", "processed")]
    skipped = [f"{catalog.get(i).out_dir}/" for i in index.skipped_experiments(params, ROOT)]
    absent += skipped
    dvc = dvc_outputs()
    here = {f for f in dvc if not f.startswith(tuple(absent))}
    # The code digests are DVC's `code` stage's outputs; Snakemake writes them as it reads the Snakefile. The
    # params slices are DVC's alone (`params` stage): a Snakemake job gets its params on its command line.
    dvc_files = {f for f in here if not f.endswith(".png") and not f.startswith((".dudl/code/", ".dudl/params/"))}
    assert smk_files == dvc_files
    assert figure_dirs == {str(Path(f).parent) for f in here if f.endswith(".png")}
    assert all(any(f.startswith(a) for f in dvc) for a in skipped)  # DVC still has the left-out stages


def _snakemake(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), *args],
                          cwd=cwd, env=env, capture_output=True, text=True)


def test_snakemake_lint_is_clean(tmp_path):
    done = _snakemake(["--lint"], copy_config(tmp_path), {**os.environ, "DUDL_OFFLINE": "1"})
    assert "Congratulations, your workflow is in a good condition!" in done.stdout + done.stderr


def test_offline_without_a_mirror_skips_what_needs_missing_data_and_runs_the_rest(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DUDL_MIRROR"} | {"DUDL_OFFLINE": "1"}
    done = _snakemake(["-n", "--cores", "1"], copy_config(tmp_path), env)
    assert done.returncode == 0, done.stderr[-3000:]
    # only a mirror has them offline (iris: scikit-learn), and CIFAR-10, EMNIST and Fashion-MNIST's upstream
    # hosts cannot be reached: every dataset but iris is missing here
    mirrored = ("wine_quality", "mnist", "heart_disease", "style_images", "cifar10", "emnist", "fashion_mnist",
                "stl10", "resnet18_weights", "vgg16_weights", "celeba", "text")
    planned = set(re.findall(r"^(?:local)?rule (\S+):$", done.stdout, re.M))
    for exp in catalog.EXPERIMENTS:
        missing = [d for d in exp.datasets if d in mirrored]
        if missing:
            assert f"dudl: skipping {exp.id}: dataset {missing[0]} unavailable" in done.stderr
            assert exp.slug not in planned
        elif resources.is_gpu_scale(exp) and not resources.cuda_present():
            assert f"dudl: skipping {exp.id}: GPU-scale" in done.stderr and exp.slug not in planned
        else:
            assert exp.slug in planned or f"{exp.slug}__point" in planned
    assert "index" in planned and "fetch_iris" in planned and "fetch_wine_quality" not in planned
    assert "fetch_mnist" not in planned


def test_required_top_level_is_in_git():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for required in ("workflow/", "src/", "data/", "results/", "Snakefile", "dvc.yaml", "params.yaml"):
        assert any(f == required or f.startswith(required) for f in tracked), f"{required} is not in git"
    assert not [f for f in tracked if f.startswith(("data/", "results/")) and not f.endswith("README.md")]
