"""End to end at a tiny scale: the whole pipeline through `snakemake --cores 2` in a copy of the project, and
one experiment of each section through `dvc repro` in a temporary git repository (plus a `dvc status` of the
whole pipeline), which keeps CI short as sections grow. Both must build the same metrics, find nothing to do a
second time, rerun one experiment alone when its params change, rerun exactly the experiments that import a
changed module, and refuse a bad params.yaml."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dudl import catalog
from conftest import ROOT

pytestmark = pytest.mark.integration

MIRROR = os.environ.get("DUDL_MIRROR") or str(ROOT.parent / "shared" / "datasets")
SCALE = "0.02"
CHANGED = "ann.classify_qwerties.lr"
# What `dvc repro` builds: one cheap experiment per section (two of them read data, so fetch and prepare stages
# run too), and the experiment whose params the tests change.
DVC_EXPERIMENTS = ["math/argmin", "gradient_descent/gd_1d", "ann/classify_qwerties", "overfitting/train_devset_test",
                   "regularization/dropout_in_pytorch", "metaparams/intro2winedata", "measure_performance/aprf",
                   "ffn_milestone/heart_disease", "ffn/about_mnist", "data_handling/dataset_loader",
                   "weights/matrix_sizes", "autoencoders/tied_weights", "convolution/output_size", "gpu/implement",
                   "cnn/gauss_class", "cnn_milestone/psychometric", "transfer_learning/mnist_to_fmnist",
                   "style_transfer/screaming_bathtub", "rnn/intro2rnn", "gans/linear_fmnist", "text/char_lstm"]
# The two Gaussian-blob GANs cost 2-3 s a step on one CPU thread even at SCALE (210 and 30 steps, over 2 minutes
# each, the run's critical path): their smoke runs take fewer steps. Every code path still runs.
SMOKE = {"gans.fewer_layers_gauss.steps": "1500", "gans.cnn_gauss.steps": "250"}
DVC_STAGES = {catalog.get(i).stage_name for i in DVC_EXPERIMENTS}
# (module, the experiments that import it): a change to params.py reruns them all, to stacked.py only those of
# the two sections that train stacked models.
CODE_CHANGES = [("src/dudl/params.py", lambda e: True),
                ("src/dudl/models/stacked.py", lambda e: e.section in {"ann", "weights"})]

if not Path(MIRROR).is_dir():
    pytest.skip(f"integration tests need the dataset mirror ({MIRROR}); set DUDL_MIRROR", allow_module_level=True)


def env() -> dict:
    """Jobs call `dudl` by name: put this interpreter's bin folder (the venv's) first on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "DUDL_MIRROR": MIRROR, "DUDL_PROGRESS": "0", "DVC_NO_ANALYTICS": "1"}


def copy_project(dest: Path) -> Path:
    """The working tree as a clean clone would have it (tracked + untracked-but-not-ignored files), at SCALE."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    set_param(dest, "scale", SCALE)
    for dotted, value in SMOKE.items():
        set_param(dest, dotted, value)
    return dest


def set_param(root: Path, dotted: str, value: str) -> None:
    """Edit one value of params.yaml in place, keeping its layout and comments (as a user would)."""
    path = root / "params.yaml"
    lines = path.read_text().splitlines(keepends=True)
    *parents, leaf = dotted.split(".")
    depth, indent = 0, ""
    for i, line in enumerate(lines):
        if depth < len(parents) and re.match(rf"^{indent}{parents[depth]}:", line):
            depth, indent = depth + 1, indent + "  "
        elif depth == len(parents) and re.match(rf"^{indent}{leaf}:", line):
            comment = line[line.index("#"):].rstrip("\n") if "#" in line else ""
            lines[i] = f"{indent}{leaf}: {value}" + (f"  {comment}" if comment else "") + "\n"
            path.write_text("".join(lines))
            return
    raise KeyError(dotted)


def run(cmd: list[str], root: Path, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=root, env=env(), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return done


def snakemake(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "snakemake", *args], root, check)


def dvc(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([str(Path(sys.executable).parent / "dvc"), *args], root, check)


def planned_rules(dry_run_output: str) -> set[str]:
    return set(re.findall(r"^(?:local)?rule (\S+):$", dry_run_output, re.M))


def all_metrics(root: Path, ids=None) -> dict[str, dict]:
    ids = ids or [e.id for e in catalog.EXPERIMENTS]
    return {i: json.loads((root / catalog.get(i).out_dir / "metrics.json").read_text())["metrics"] for i in ids}


@contextlib.contextmanager
def code_edited(root: Path, module: str):
    """Append a comment to one source file, as a developer's edit would; then put back its bytes and mtime, so
    that neither tool sees a change afterwards."""
    path = root / module
    original, stat = path.read_bytes(), path.stat()
    path.write_bytes(original + b"\n# an edit by tests/test_integration.py\n")
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture(scope="module")
def smk_project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("snakemake"))
    snakemake(root, "--cores", "2")
    return root


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


# ---------------------------------------------------------------- snakemake


def test_snakemake_builds_every_notebook_of_every_section(smk_project):
    """Every notebook is done, except those whose data can be had from nowhere here (offline: CIFAR-10), which
    are listed as skipped with the dataset they lack and how to provide it."""
    from dudl import index as dudl_index
    from dudl import params as P

    index = pd.read_csv(smk_project / "results/index.csv")
    assert len(index) == len(catalog.notebooks())
    lacking = dudl_index.skipped_experiments(P.load(smk_project), smk_project)
    skipped = index[index.status == "skipped"]
    assert set(skipped.experiment) == set(lacking)
    assert all("mirror" in why or "DUDL_" in why for why in skipped.reason), skipped.reason.tolist()
    assert (index[index.status != "skipped"].status == "done").all(), index[index.status != "done"].to_string()
    for exp in catalog.EXPERIMENTS:
        if exp.id in lacking:
            continue
        for path in exp.run_outputs() + exp.figure_outputs():
            assert (smk_project / path).exists(), path
    assert (smk_project / "results/scorecard.csv").exists()
    assert (smk_project / "logs" / "ann" / "classify_qwerties" / "run.log").exists()
    assert (smk_project / "benchmarks" / "ann" / "classify_qwerties" / "run.tsv").exists()


def test_snakemake_report_has_every_figure_with_its_caption(smk_project):
    snakemake(smk_project, "--report", "results/report.html")
    html = (smk_project / "results/report.html").read_text(errors="replace")
    for section in {catalog.SECTIONS[e.section] for e in catalog.EXPERIMENTS}:
        assert section in html
    # Each figure's own caption is rendered (HTML paragraph) beside it, with its notebook id.
    caption = catalog.get("ann/classify_qwerties").figures["predictions"]
    assert f"<p>{caption}</p>" in html
    assert "Course notebook: ANN_classifyQwerties" in html


def test_second_snakemake_run_finds_nothing_to_do(smk_project):
    assert "Nothing to be done" in snakemake(smk_project, "-n").stdout


def test_changing_one_learning_rate_reruns_that_experiment_alone_in_snakemake(smk_project):
    set_param(smk_project, CHANGED, "0.05")
    try:
        planned = planned_rules(snakemake(smk_project, "-n").stdout)
    finally:
        set_param(smk_project, CHANGED, "0.01")
    assert planned == {"ann__classify_qwerties", "ann__classify_qwerties__figures", "index", "all"}


@pytest.mark.parametrize("module, imports", CODE_CHANGES, ids=[m for m, _ in CODE_CHANGES])
def test_a_code_change_reruns_exactly_the_experiments_that_import_it_in_snakemake(smk_project, module, imports):
    from dudl import index as dudl_index
    from dudl import params as P

    lacking = dudl_index.skipped_experiments(P.load(smk_project), smk_project)  # not in the DAG at all
    with code_edited(smk_project, module):
        planned = planned_rules(snakemake(smk_project, "-n").stdout)
    assert {e.slug for e in catalog.EXPERIMENTS if e.slug in planned} == {
        e.slug for e in catalog.EXPERIMENTS if imports(e) and e.id not in lacking}
    assert "Nothing to be done" in snakemake(smk_project, "-n").stdout, "the edit was not undone"


def test_snakemake_refuses_a_bad_params_file_before_any_job(smk_project):
    set_param(smk_project, "ann.regression.lr", "-0.05")
    try:
        done = snakemake(smk_project, "-n", check=False)
    finally:
        set_param(smk_project, "ann.regression.lr", "0.05")
    assert done.returncode != 0
    assert "ann.regression.lr: -0.05 is less than or equal to the minimum of 0" in done.stdout + done.stderr
    assert "rule " not in done.stdout


# ---------------------------------------------------------------- dvc


def test_dvc_reproduces_one_experiment_of_every_section():
    assert {catalog.get(i).section for i in DVC_EXPERIMENTS} == set(catalog.SECTIONS)


def test_dvc_repro_builds_the_same_metrics_as_snakemake(dvc_project, smk_project):
    assert all_metrics(dvc_project, DVC_EXPERIMENTS) == all_metrics(smk_project, DVC_EXPERIMENTS)


def dvc_status(root: Path) -> dict:
    return json.loads(dvc(root, "status", "--json").stdout or "{}")


def test_dvc_status_of_the_whole_pipeline_lists_just_what_was_not_reproduced(dvc_project):
    stages = set(yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"])
    reproduced = DVC_STAGES | {f"{s}-figures" for s in DVC_STAGES}
    datasets = {d for i in DVC_EXPERIMENTS for d in catalog.get(i).datasets}
    assert {"wine_quality", "heart_disease"} <= datasets
    reproduced |= {f"{step}-{d}" for d in datasets for step in ("fetch", "prepare")}
    assert set(dvc_status(dvc_project)) == stages - reproduced


@pytest.mark.parametrize("module, imports", CODE_CHANGES, ids=[m for m, _ in CODE_CHANGES])
def test_a_code_change_reruns_exactly_the_stages_that_import_it_in_dvc(dvc_project, module, imports):
    with code_edited(dvc_project, module):
        status = dvc_status(dvc_project)
    changed = {stage for stage, entries in status.items() for entry in entries
               if isinstance(entry, dict) and module in entry.get("changed deps", {})}
    assert changed & DVC_STAGES == {catalog.get(i).stage_name for i in DVC_EXPERIMENTS if imports(catalog.get(i))}
    # The stages not reproduced here carry the same dependency in dvc.yaml.
    stages = yaml.safe_load((dvc_project / "dvc.yaml").read_text())["stages"]
    assert {e.id for e in catalog.EXPERIMENTS if module in stages[e.stage_name]["deps"]} == {
        e.id for e in catalog.EXPERIMENTS if imports(e)}


def test_dvc_refuses_a_bad_params_file(dvc_project):
    lock = (dvc_project / "dvc.lock").read_text()
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


def test_dvc_experiment_with_one_changed_learning_rate_reruns_that_experiment_alone(dvc_project):
    target = catalog.get("ann/classify_qwerties").stage_name
    done = dvc(dvc_project, "exp", "run", "-S", f"{CHANGED}=0.05", f"{target}-figures")
    ran = set(re.findall(r"Running stage '([^']+)'", done.stdout + done.stderr))
    assert ran <= {"ann-classify_qwerties", "ann-classify_qwerties-figures", "index"}
    assert "ann-classify_qwerties" in ran
    params_diff = dvc(dvc_project, "params", "diff", "--json").stdout
    change = json.loads(params_diff)["params.yaml"][CHANGED]
    assert (change["old"], change["new"]) == (0.01, 0.05)
    metrics_diff = json.loads(dvc(dvc_project, "metrics", "diff", "--json").stdout)
    assert "results/ann/classify_qwerties/metrics.json" in metrics_diff
    assert set(metrics_diff) == {"results/ann/classify_qwerties/metrics.json"}
    shown = dvc(dvc_project, "exp", "show", "--json").stdout
    assert "0.05" in shown
