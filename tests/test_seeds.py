"""Seeds as a dimension: runs over other seeds in folders of their own, the scorecard over seeds, the runs table,
`dudl compare` with seed bands, and the Snakemake targets (`seeds`, `repro`) that plan them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dudl import catalog, cli, compare, index, runs, scorecard, seeds
from dudl import params as P
from conftest import ROOT, copy_config

QWERTIES = "ann/classify_qwerties"


def test_judge_separates_identities_reproductions_and_differences():
    assert scorecard.judge([27.0, 27.0, 27.0], 27, 27)["verdict"] == "identity"
    assert scorecard.judge([27.0], 27, 27)["verdict"] == "identity"  # one seed: only an exact reference
    assert scorecard.judge([0.5], 0.4, 0.6)["verdict"] == "reproduced"
    spread = scorecard.judge([50.0, 90.0, 91.0, 92.0, 93.0], 85, 100)
    assert spread["verdict"] == "reproduced" and spread["inside"] == pytest.approx(0.8)
    far = scorecard.judge([10.0, 11.0, 12.0], 20, 30)
    assert far["verdict"] == "differs" and far["gap_sd"] == pytest.approx((20 - 11) / 1.0)
    same_but_outside = scorecard.judge([1598.0, 1598.0], 1599, 1599)
    assert same_but_outside["verdict"] == "differs" and np.isnan(same_but_outside["gap_sd"])


def test_a_run_over_another_seed_has_its_own_folder_and_the_numbers_of_a_main_run_with_that_seed(tmp_path):
    from dudl import runner

    exp = catalog.get(QWERTIES)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    a, b = copy_config(tmp_path / "a"), copy_config(tmp_path / "b")
    sliced = P.experiment_slice(P.load(a, overrides=["scale=0.02"]), exp.section, exp.name)
    main = runner.run(exp, sliced, a, show_progress=False)
    other = runner.run(seeds.for_seed(exp, 18, 17), {**sliced, "seed": 18}, a, show_progress=False)
    assert (a / "results/seeds/18/ann/classify_qwerties/metrics.json").exists()
    assert main.metrics != other.metrics  # another seed, other data and init
    assert seeds.for_seed(exp, 17, 17) is exp
    rerun = runner.run(exp, {**sliced, "seed": 18}, b, show_progress=False)  # `seed: 18` as the main seed
    assert rerun.metrics == other.metrics


def test_dudl_run_seed_writes_the_seed_folder(tmp_path, capsys):
    root = copy_config(tmp_path)
    code = cli.main(["--root", str(root), "--set", "scale=0.02", "run", QWERTIES, "--seed", "21", "--quiet"])
    assert code == 0
    written = json.loads((root / "results/seeds/21/ann/classify_qwerties/metrics.json").read_text())
    timing = json.loads((root / "results/seeds/21/ann/classify_qwerties/timing.json").read_text())
    assert written["meta"]["seed"] == 21 and timing["wall_s"] > 0 and "wall_s" not in written["meta"]
    assert not (root / "results/ann/classify_qwerties").exists()


def _write_run(root: Path, seed: int | None, accuracy: float, dead: int, scale: float = 1.0) -> None:
    base = root / "results" if seed is None else root / "results/seeds" / str(seed)
    folder = base / "ann/classify_qwerties"
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"seed": 17 if seed is None else seed, "scale": scale, "device": "cpu"}
    (folder / "timing.json").write_text(json.dumps({"wall_s": 2.5}))
    (folder / "metrics.json").write_text(json.dumps({"metrics": {"accuracy": accuracy, "dead_unit": dead},
                                                     "meta": meta}))


def test_scorecard_and_runs_table_over_seeds(tmp_path):
    root = copy_config(tmp_path)
    for seed, accuracy, dead in ((None, 52.0, 1), (18, 93.5, 0), (19, 91.0, 0), (20, 50.5, 1), (21, 92.0, 0)):
        _write_run(root, seed, accuracy, dead)
    params = P.load(root)
    index.write(params, root, skipped={}, summary=root / "results/repro.txt")

    card = pd.read_csv(root / "results/scorecard.csv")
    row = card[(card.experiment == QWERTIES) & (card.metric == "accuracy")].iloc[0]
    assert row.seeds == 5 and row.verdict == "reproduced" and row["median"] == 91.0
    assert row.inside == pytest.approx(0.6) and row.note == "2 of 5 seeds die" and row.value == 52.0
    assert (card[card.experiment == "ann/learning_rates"].verdict == "missing").all()
    assert "1 reproduced, 0 differs, 0 identity" in (root / "results/repro.txt").read_text()

    table = pd.read_csv(root / "results/runs.csv")
    mine = table[table.experiment == QWERTIES].set_index("seed")
    assert sorted(mine.index) == [17, 18, 19, 20, 21]
    assert mine.loc[17, "run"] == "main" and mine.loc[20, "run"] == "seed 20"
    assert mine.loc[19, "metric.accuracy"] == 91.0 and mine.loc[19, "wall_s"] == 2.5
    assert (mine["param.lr"] == params["ann"]["classify_qwerties"]["lr"]).all()
    assert set(runs.ID_COLUMNS) <= set(table.columns)


def test_a_smaller_scale_is_not_compared_with_the_course(tmp_path):
    root = copy_config(tmp_path)
    _write_run(root, None, 92.0, 0, scale=0.1)
    card = scorecard.scorecard_frame(root)
    assert card[card.experiment == QWERTIES].verdict.iloc[0] == "not comparable (scale 0.1)"


def test_compare_draws_a_metric_against_a_param_with_seed_bands(tmp_path, capsys):
    root = copy_config(tmp_path)
    rows = [{"experiment": QWERTIES, "section": "ann", "run": f"seed {s}", "seed": s, "param.lr": lr,
             "param.opt": opt, "metric.accuracy": 50 + 400 * lr + s % 3}
            for s in range(10) for lr in (0.01, 0.05, 0.1) for opt in ("SGD", "Adam")]
    (root / "results").mkdir()
    pd.DataFrame(rows).to_csv(root / "results/runs.csv", index=False)
    assert cli.main(["--root", str(root), "compare", "--metric", "accuracy", "--param", "lr", "--by", "opt",
                     "--experiment", QWERTIES]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"0\.05\s+SGD\s+10\s+71\.0", printed), printed  # 10 seeds; median of 70, 71, 72 ...
    figure = root / "results/compare/ann_classify_qwerties__accuracy__lr__opt.png"
    assert figure.stat().st_size > 10_000
    with pytest.raises(SystemExit, match="no metric 'acuracy' in the runs table; metrics there: accuracy"):
        cli.main(["--root", str(root), "compare", "--metric", "acuracy", "--param", "lr"])


def test_compare_reads_dvc_exp_show_in_both_column_forms():
    short = pd.DataFrame({"Experiment": [None, "exp-a"], "rev": ["workspace", "abc"],
                          "metrics.accuracy": [90.0, 80.0], "meta.wall_s": [1.0, 2.0],
                          "ann.classify_qwerties.lr": [0.01, 0.05], "seed": [17, 17]})
    long = short.rename(columns={
        "metrics.accuracy": "results/ann/classify_qwerties/metrics.json:metrics.accuracy",
        "meta.wall_s": "results/ann/classify_qwerties/metrics.json:meta.wall_s",
        "ann.classify_qwerties.lr": "params.yaml:ann.classify_qwerties.lr", "seed": "params.yaml:seed"})
    long["results/ann/regression/metrics.json:metrics.accuracy"] = [1.0, 2.0]  # another experiment's file
    short["metrics.vector_min"] = long["metrics.vector_min"] = [-3.0, -3.0]  # math/argmin's, named bare: unique
    for frame in (short, long):
        rows = compare.from_dvc_exp_show(frame, QWERTIES, {"metrics.accuracy", "meta.wall_s"})
        assert "metric.vector_min" not in rows
        assert list(rows["param.lr"]) == [0.01, 0.05] and list(rows["metric.accuracy"]) == [90.0, 80.0]
        assert list(rows["run"]) == ["workspace", "exp-a"] and list(rows["wall_s"]) == [1.0, 2.0]


def _planned_seed_jobs(root: Path, *args: str) -> dict[str, set[int]]:
    """{experiment slug: seeds} of the seed_run__* jobs a dry run plans."""
    env = {**os.environ, "DUDL_MIRROR": str(ROOT.parent / "shared" / "datasets"),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    out = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "-n",
                          "--cores", "1", *args], cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    found: dict[str, set[int]] = {}
    for wildcards in re.findall(r"^rule seed_run__\S+:\n(?:.*\n)*?\s+wildcards: (.*)", out, re.M):
        values = dict(w.split("=", 1) for w in wildcards.split(", "))
        found.setdefault(catalog.get(values["exp"]).slug, set()).add(int(values["seed"]))
    return found


def test_snakemake_plans_seed_runs_for_seeds_and_repro_but_not_by_default(tmp_path):
    root = copy_config(tmp_path)
    assert _planned_seed_jobs(root) == {}  # the default seeds: [17] adds nothing to `make run`
    config = P.load(root)
    runnable = {e.slug for e in catalog.EXPERIMENTS if e.id not in index.skipped_experiments(config, root)}
    planned = _planned_seed_jobs(root, "repro", "--config", "seeds=[17,40]")
    assert {rule for rule, s in planned.items() if 40 in s} == runnable  # `seeds` reaches every experiment
    for exp in catalog.EXPERIMENTS:
        if exp.slug in runnable:
            want = set(seeds.repro_seeds(exp, config)) if exp.expect else set()
            assert planned.get(exp.slug, set()) - {40} == want, exp.id
    short = catalog.get("ann/num_parameters")
    assert seeds.repro_seeds(short, config) == list(range(18, 27))  # repro.seeds: 10, the main one included
