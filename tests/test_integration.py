"""End to end at a tiny scale through Snakemake: the whole pipeline by `snakemake --cores 2` in a copy of the
project. It must build every notebook whose data can be had, find nothing to do a second time, rerun one
experiment alone when its params change, rerun exactly the experiments that import a changed module, refuse
a bad params.yaml, and write results/report.html, which headless Chromium loads without a console error, showing
its figures. DVC's side is tests/test_integration_dvc.py."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dudl import catalog
from dudl import index as index_module
from dudl import params as P
from integration import (CHANGED, CODE_CHANGES, all_metrics, code_edited, copy_project, env, needs_mirror,
                         planned_rules, set_param, snakemake)

# An hour, not the suite's 30 minutes: on two test workers the end-to-end runs share the machine with the rest.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]
needs_mirror()


@pytest.fixture(scope="module")
def smk_project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("snakemake"))
    snakemake(root, "--cores", "2")
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
    assert (smk_project / "logs" / "benchmarks" / "ann" / "classify_qwerties" / "run.tsv").exists()


def test_snakemake_report_has_every_figure_with_its_caption(smk_project):
    snakemake(smk_project, "--report", "results/workflow_report.html")
    html = (smk_project / "results/workflow_report.html").read_text(errors="replace")
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
    assert planned == {"ann__classify_qwerties", "ann__classify_qwerties__figures", "index", "report_html", "all"}


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


# Cheap at SCALE, with and without data: killed mid-way, then finished.
KILLED = ["ann/classify_qwerties", "ann/multilayer", "metaparams/intro2winedata", "regularization/dropout_in_pytorch"]


def test_a_snakemake_killed_mid_way_finishes_on_a_rerun_with_the_metrics_of_the_uninterrupted_run(
        smk_project, tmp_path_factory):
    """Snakemake and its jobs killed with SIGKILL after the first experiment: the next call is refused (its lock
    is left behind), `--unlock` and a rerun finish the work, and every metrics.json parses and equals the
    uninterrupted run's. That run used --cores 2 and this one --cores 1, so the thread-free scheduling is shown not
    to change a number either."""
    root = copy_project(tmp_path_factory.mktemp("killed"))
    targets = [str(catalog.get(i).out_dir / "metrics.json") for i in KILLED]
    first = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1", *targets], cwd=root, env=env(),
                             start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not any((root / t).exists() for t in targets):
        assert first.poll() is None and time.monotonic() < deadline, "the first run ended before it was killed"
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    done_before = [t for t in targets if (root / t).exists()]
    assert 0 < len(done_before) < len(targets), done_before
    refused = snakemake(root, "--cores", "1", *targets, check=False)
    assert refused.returncode != 0 and "cannot be locked" in refused.stdout + refused.stderr
    snakemake(root, "--unlock")
    snakemake(root, "--cores", "1", "--rerun-incomplete", *targets)
    assert all_metrics(root, KILLED) == all_metrics(smk_project, KILLED)


SPLIT = "regularization/dropout"  # a sweep of 3 points, one job at this scale


def test_a_sweep_split_into_point_jobs_gives_the_files_of_the_one_job_run(smk_project):
    """At SCALE every sweep ran as one job (resources.split_points); `--config split_sweeps_above_s=0` runs this
    one as a job a point and a gather job, as at scale 1.0, and its metrics must be the one job's. (Last in this
    module: it rewrites that experiment's results.)"""
    exp = catalog.get(SPLIT)
    whole = all_metrics(smk_project, [SPLIT])
    assert not (smk_project / exp.out_dir / "points").exists()
    target = str(exp.out_dir / "metrics.json")
    done = snakemake(smk_project, "--cores", "2", "--config", "split_sweeps_above_s=0", "--", target)
    assert {f"{exp.slug}__point", exp.slug} <= planned_rules(done.stdout + done.stderr)
    points = sorted(p.name for p in (smk_project / exp.out_dir / "points").iterdir())
    assert len(points) == 3, points
    assert all_metrics(smk_project, [SPLIT]) == whole


def test_the_report_links_every_figure_with_its_caption_and_the_tables(smk_project):
    page = (smk_project / "results/report.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    lacking = index_module.skipped_experiments(P.load(smk_project), smk_project)
    want = [p for e in catalog.EXPERIMENTS if e.id not in lacking for p in e.figure_outputs()]
    assert sorted(sources) == sorted(p.relative_to(catalog.RESULTS).as_posix() for p in want)
    assert all((smk_project / "results" / s).is_file() for s in sources)
    assert html.escape(catalog.get("ann/classify_qwerties").figures["predictions"]) in page
    assert "Scorecard over seeds" in page and "runs.csv" in page
    for exp_id, why in lacking.items():
        assert html.escape(why) in page


def test_the_report_loads_in_headless_chromium_and_shows_its_figures(smk_project):
    """Debian's chromium and chromium-driver (no browser can be downloaded here); .ci/run installs them."""
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver_path):
        pytest.skip("needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver")
    from PIL import Image
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        driver.get((smk_project / "results/report.html").as_uri())
        figure = driver.find_elements(By.CSS_SELECTOR, "figure img")[3]
        driver.execute_script("arguments[0].scrollIntoView()", figure)
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", figure))
        size = figure.size
        shot = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB"))
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert errors == [], errors
    assert size["width"] > 100 and size["height"] > 50, size
    assert shot.std() > 20 and len(np.unique(shot.reshape(-1, 3), axis=0)) > 100  # a figure, not a blank page
