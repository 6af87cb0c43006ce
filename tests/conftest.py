"""Shared fixtures: a scratch project root with prepared data, and a helper that runs one experiment at a tiny
scale through the same runner the CLI uses (results and figures land in the scratch root)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dudl import catalog, runner
from dudl.figures import draw
from dudl import params as P
from dudl.data import fetch, prepare, registry

ROOT = Path(__file__).resolve().parents[1]
TINY = 0.02
NEEDS_MIRROR = "needs the offline dataset mirror: set DUDL_MIRROR=../shared/datasets (.ci/run does)"

os.environ.setdefault("DUDL_PROGRESS", "0")


def fetch_and_prepare(root: Path, key: str) -> None:
    """Fetch a mirrored dataset into the scratch root (no upstream) and prepare it; skip the test without a mirror."""
    ds = registry.get(key)
    try:
        fetch.fetch(ds, root, fetch.mirror_roots(), upstream=False, log=lambda m: None)
    except fetch.FetchError:
        pytest.skip(f"{key}: {NEEDS_MIRROR}")
    prepare.prepare(ds, P.load(root), root, log=lambda m: None)


def copy_config(root: Path) -> Path:
    """params.yaml, the schema and the sources (Snakemake lists them as rule inputs): a project root without data."""
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copytree(ROOT / "workflow" / "schemas", root / "workflow" / "schemas", dirs_exist_ok=True)
    shutil.copytree(ROOT / "src", root / "src", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return root


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """A scratch project root with iris and (when a mirror is configured) wine quality, MNIST, heart disease and
    the style images prepared."""
    root = copy_config(tmp_path_factory.mktemp("project"))
    params = P.load(root)
    for key in ("iris", "wine_quality", "mnist", "heart_disease", "style_images"):
        ds = registry.get(key)
        try:
            fetch.fetch(ds, root, fetch.mirror_roots(), upstream=False, log=lambda m: None)
        except fetch.FetchError:
            continue
        prepare.prepare(ds, params, root, log=lambda m: None)
    return root


def run_experiment(root: Path, experiment_id: str, scale: float = TINY, overrides=(), figures: bool = True):
    """Run one experiment like `dudl run` does; skips (saying why) when its data is not available here."""
    exp = catalog.get(experiment_id)
    for key in exp.datasets:
        if not all((root / p).exists() for p in registry.get(key).prepared_paths()):
            pytest.skip(f"{experiment_id} reads {key}: {NEEDS_MIRROR}")
    params = P.load(root, overrides=[f"scale={scale}", *overrides])
    sliced = P.experiment_slice(params, exp.section, exp.name)
    result = runner.run(exp, sliced, root, show_progress=False)
    if figures:
        drawn = draw(exp, sliced, root)
        assert sorted(p.stem for p in drawn) == sorted(exp.figures)
        assert all(p.stat().st_size > 5000 for p in drawn), "a figure is suspiciously small (empty?)"
    return result


def pytest_collection_modifyitems(config, items):
    """The end-to-end tests first: they are the suite's longest part, so on two workers (`make test`, pytest-xdist
    with --dist loadscope) every other module runs beside them instead of after them."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is None)
