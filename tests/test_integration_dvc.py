"""End to end at a tiny scale through DVC: one experiment of each section by `dvc repro` in a temporary git
repository (plus a `dvc status` of the whole pipeline), which keeps the test short as sections grow. It must
build the same metrics as Snakemake, list just what it did not reproduce, rerun exactly the stages that import a
changed module, refuse a bad params.yaml, run a `dvc exp` with one changed learning rate alone, run a queued grid
that `dudl compare` reads, and push everything to the default remote and pull it back into an empty cache."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dudl import catalog, compare
from integration import (CHANGED, CODE_CHANGES, DVC_EXPERIMENTS, DVC_STAGES, all_metrics, code_edited, copy_project,
                         dvc, env, lock_holder, needs_mirror, run, snakemake)

# An hour, not the suite's 30 minutes: on two test workers the end-to-end runs share the machine with the rest.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]
needs_mirror()
QWERTIES = "ann/classify_qwerties"
# Built by both tools and compared number for number: experiments without data, with tabular and image data, and
# the one whose datasets depend on its params. Fewer than DVC_EXPERIMENTS: the whole Snakemake run is the other
# worker's, and both tools run the same `dudl run` command from the same catalog.
SAME_IN_BOTH = ["math/argmin", "ann/classify_qwerties", "metaparams/intro2winedata", "ffn/about_mnist",
                "cnn/gauss_class", "style_transfer/screaming_bathtub"]


@pytest.fixture(scope="module")
def dvc_project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("dvc"))
    commit = ["git", "commit", "-qm"]
    for cmd in (["git", "init", "-q"], ["git", "config", "user.name", "dudl test"],  # dvc exp run commits too
                ["git", "config", "user.email", "test@dudl.invalid"], ["git", "add", "-A"], [*commit, "pipeline"]):
        run(cmd, root)
    dvc(root, "repro", *sorted(f"{stage}-figures" for stage in DVC_STAGES))
    run(["git", "add", "dvc.lock"], root)
    run([*commit, "baseline results"], root)
    return root


@pytest.fixture(scope="module")
def smk_of_dvc_experiments(tmp_path_factory) -> Path:
    """Some of the same experiments built by Snakemake in a copy of their own (the whole Snakemake run is
    tests/test_integration.py's, on the other test worker). Cold, so that its benchmark files measure memory."""
    root = copy_project(tmp_path_factory.mktemp("snakemake_dvc_experiments"))
    targets = [str(catalog.get(i).out_dir / "metrics.json") for i in SAME_IN_BOTH]
    snakemake(root, "--cores", "1", *targets, str(catalog.get(SAME_IN_BOTH[0]).figure_dir), warm=False)
    return root


# ---------------------------------------------------------------- dvc


def test_dvc_reproduces_one_experiment_of_every_section():
    assert {catalog.get(i).section for i in DVC_EXPERIMENTS} == set(catalog.SECTIONS)


def test_dvc_repro_builds_the_same_metrics_as_snakemake(dvc_project, smk_of_dvc_experiments):
    assert all_metrics(dvc_project, SAME_IN_BOTH) == all_metrics(smk_of_dvc_experiments, SAME_IN_BOTH)


def test_no_job_used_more_memory_than_it_declared(smk_of_dvc_experiments):
    """Snakemake's benchmark files (peak resident memory) against each job's mem_mb: data, run and figures jobs."""
    from dudl import params as P
    from dudl import resources

    jobs = resources.peak_memory(smk_of_dvc_experiments, P.load(smk_of_dvc_experiments))
    kinds = {f.stem.split("_")[0] for f, _, _ in jobs}
    assert {"run", "figures", "fetch", "prepare"} <= kinds, kinds
    assert all(peak > 20 for _, peak, _ in jobs), jobs  # a real job's memory, not a client's
    over = {str(f): (peak, declared) for f, peak, declared in jobs if peak > declared}
    assert over == {}


def dvc_status(root: Path) -> dict:
    return json.loads(dvc(root, "status", "--json").stdout or "{}")


def test_dvc_status_of_the_whole_pipeline_lists_just_what_was_not_reproduced(dvc_project):
    stages = set(yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"])
    reproduced = DVC_STAGES | {f"{s}-figures" for s in DVC_STAGES} | {"code", "params"}  # upstream of all
    datasets = {d for i in DVC_EXPERIMENTS for d in catalog.get(i).datasets}
    assert {"wine_quality", "heart_disease"} <= datasets
    reproduced |= {f"{step}-{d}" for d in datasets for step in ("fetch", "prepare")}
    assert set(dvc_status(dvc_project)) == stages - reproduced


@pytest.mark.parametrize("module, imports", CODE_CHANGES, ids=[m for m, _ in CODE_CHANGES])
def test_a_code_change_reruns_exactly_the_stages_that_import_it_in_dvc(dvc_project, module, imports):
    # A stage depends on its section's code digest (.dudl/code/<section>.run.txt), which the `code` stage builds
    # from the source files: an edit shows as a change to `code`, then, once `code` has run, as a change to the
    # digests of exactly the sections whose runs import the edited module.
    try:
        with code_edited(dvc_project, module):
            before = dvc_status(dvc_project)
            dvc(dvc_project, "repro", "--single-item", "code")
            status = dvc_status(dvc_project)
    finally:
        dvc(dvc_project, "repro", "--single-item", "code")  # the digests as they were, and dvc.lock with them
    assert {stage for stage, entries in before.items() for entry in entries
            if isinstance(entry, dict) and module in entry.get("changed deps", {})} == {"code"}
    changed = {stage for stage, entries in status.items() for entry in entries
               if isinstance(entry, dict) and any(d.startswith(".dudl/code/") for d in entry.get("changed deps", {}))}
    assert changed & DVC_STAGES == {catalog.get(i).stage_name for i in DVC_EXPERIMENTS if imports(catalog.get(i))}
    # The stages not reproduced here carry the same dependency: their digest lists the module.
    stages = yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"]
    lists = {path: (dvc_project / path).read_text() for path in stages["code"]["outs"]}
    assert {e.id for e in catalog.EXPERIMENTS
            for digest in stages[e.stage_name]["deps"] if digest in lists and f"  {module}\n" in lists[digest]} == {
        e.id for e in catalog.EXPERIMENTS if imports(e)}
    assert "code" not in dvc_status(dvc_project), "the edit was not undone"


def test_dvc_refuses_a_bad_params_file(dvc_project):
    lock = (dvc_project / "dvc.lock").read_text()
    slices = {p: p.read_text() for p in (dvc_project / ".dudl" / "params").glob("*.json")}
    original = (dvc_project / "params.yaml").read_text()
    typo = yaml.safe_load(original)
    typo["ann"]["classify_qwerties"]["lrr"] = typo["ann"]["classify_qwerties"].pop("lr")
    (dvc_project / "params.yaml").write_text(yaml.safe_dump(typo))
    try:
        done = dvc(dvc_project, "repro", "--force", "ann-regression", check=False)
    finally:
        (dvc_project / "params.yaml").write_text(original)
    assert done.returncode != 0
    assert "ann.classify_qwerties.lrr: unknown key (did you mean 'lr'?)" in done.stdout + done.stderr
    assert (dvc_project / "dvc.lock").read_text() == lock
    # the refused `params` stage kept every stage's params slice (persisted outputs: DVC did not delete them)
    assert len(slices) > 100 and {p: p.read_text() for p in slices if p.exists()} == slices


def test_a_queued_dvc_experiment_reruns_one_experiment_alone_and_compares_with_its_baseline(dvc_project):
    """The DVC way to compare params (README): queue experiments with -S, run the queue, read `dvc exp show
    --csv` into pandas and draw it with `dudl compare` (seaborn). One queued learning rate against the baseline's
    keeps it short: each DVC experiment costs minutes here, most of them DVC's own."""
    stage = catalog.get(QWERTIES).stage_name
    dvc(dvc_project, "exp", "run", "--queue", "-n", "lr-0.05", "-S", f"{CHANGED}=0.05", stage)
    dvc(dvc_project, "exp", "run", "--run-all")
    log = dvc(dvc_project, "queue", "logs", "lr-0.05").stdout
    assert set(re.findall(r"Running stage '([^']+)'", log)) == {"params", stage}, log  # params: the slices
    diff = json.loads(dvc(dvc_project, "exp", "diff", "--json", "HEAD", "lr-0.05").stdout)
    change = diff["params"]["params.yaml"][CHANGED]
    assert (change["old"], change["new"]) == (0.01, 0.05)
    assert set(diff["metrics"]) == {"results/ann/classify_qwerties/metrics.json"}

    (dvc_project / "exp.csv").write_text(dvc(dvc_project, "exp", "show", "--csv").stdout)
    shown = compare.read_tables([dvc_project / "exp.csv"], QWERTIES, dvc_project)
    assert {0.01, 0.05} <= set(shown["param.lr"]) and shown["metric.accuracy"].notna().all()
    assert shown.groupby("param.lr")["metric.accuracy"].nunique().max() == 1  # one seed: one value per lr
    done = run(["dudl", "compare", "--runs", "exp.csv", "--experiment", QWERTIES, "--metric", "accuracy",
                "--param", "lr", "--out", "results/compare/grid.png"], dvc_project)
    assert all(re.search(rf"^\s*{lr}\s+\d+\s", done.stdout, re.M) for lr in (0.01, 0.05)), done.stdout
    assert (dvc_project / "results/compare/grid.png").stat().st_size > 10_000


def _outputs(root: Path) -> dict[str, str]:
    """{path: md5} of every file the reproduced stages (those in dvc.lock) write."""
    locked = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    paths = [out["path"] for stage in locked.values() for out in stage.get("outs", [])]
    return {p: hashlib.md5((root / p).read_bytes()).hexdigest() for p in paths}


def test_dvc_push_then_pull_into_an_empty_cache_restores_every_output(dvc_project):
    """What a team does with GPU-built results: push them to the remote (the default is a local folder), then,
    on a machine with an empty cache and no outputs, pull them: DVC and Snakemake then find nothing to do."""
    before = _outputs(dvc_project)
    assert any(p.startswith("data/") for p in before) and any(p.endswith(".png") for p in before)
    targets = sorted(f"{s}-figures" for s in DVC_STAGES)
    dvc(dvc_project, "push", "--with-deps", *targets)
    shutil.rmtree(dvc_project / ".dvc" / "cache")
    for path in before:
        (dvc_project / path).unlink()
    dvc(dvc_project, "pull", "--with-deps", *targets)
    assert _outputs(dvc_project) == before
    assert json.loads(dvc(dvc_project, "status", "--json", "--with-deps", *targets).stdout or "{}") == {}
    # Snakemake keeps no record of files another tool wrote: `--touch` marks them up to date, in DAG order.
    outputs = [str(catalog.get(i).figure_dir) for i in DVC_EXPERIMENTS]
    snakemake(dvc_project, "--cores", "1", "--touch", *outputs)
    assert "Nothing to be done" in snakemake(dvc_project, "-n", *outputs).stdout


def test_a_prepared_file_changed_afterwards_shows_in_dvc_status_and_dudl_verify(dvc_project):
    target = "data/processed/wine_quality/wine.csv"
    path = dvc_project / target
    original, stat = path.read_bytes(), path.stat()
    path.write_bytes(original + b"1,2,3\n")
    try:
        status = json.loads(dvc(dvc_project, "status", "--json", "prepare-wine_quality").stdout or "{}")
        verify = run(["dudl", "verify"], dvc_project, check=False)
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert status == {"prepare-wine_quality": [{"changed outs": {target: "modified"}}]}
    assert verify.returncode == 1 and f"BAD {target}: expected sha256:" in verify.stdout
    assert run(["dudl", "verify"], dvc_project).returncode == 0


KILLED = ["math/argmin", QWERTIES]


def test_a_dvc_repro_killed_mid_way_finishes_on_a_rerun_with_the_same_metrics(dvc_project):
    """`dvc repro` and its stage's job killed with SIGKILL while a stage runs (last in this module: it rewrites two
    experiments' results): the next `dvc repro` clears DVC's stale lock itself, reruns what was not finished, and
    every metrics.json equals the one before."""
    before = all_metrics(dvc_project, KILLED)
    stages = [catalog.get(i).stage_name for i in KILLED]
    locks = [dvc_project / ".dudl" / "locks" / (str(catalog.get(i).out_dir).replace("/", "__") + ".lock")
             for i in KILLED]
    first = subprocess.Popen([str(Path(sys.executable).parent / "dvc"), "repro", "--force", "--single-item",
                              *stages], cwd=dvc_project, env=env(), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not any(lock_holder(lock) for lock in locks):
        assert first.poll() is None and time.monotonic() < deadline, "dvc repro ended before it was killed"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    while any(lock_holder(lock) for lock in locks):  # a warm job dies a moment after its client
        assert time.monotonic() < deadline, "the killed run's job outlived it"
        time.sleep(0.05)
    dvc(dvc_project, "repro", "--single-item", *stages)
    assert all_metrics(dvc_project, KILLED) == before
