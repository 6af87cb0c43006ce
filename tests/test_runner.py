"""Runner, results store, CLI and index: the glue that the Snakefile and dvc.yaml call."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dudl import catalog, cli, index, results, runner
from dudl.figures import draw
from dudl import params as P
from conftest import TINY, copy_config, run_experiment


def test_results_round_trip_tables_arrays_and_json_safe_metrics(tmp_path):
    table = pd.DataFrame({"name": ["relu", "tanh"], "acc": [90.5, 88.0], "n": [1, 2]})
    res = results.Result(metrics={"acc": np.float32(90.5), "bad": float("nan"), "n": np.int64(3), "label": "x"},
                         summary=table, history=pd.DataFrame({"epoch": [1, 2], "train_loss": [0.7, 0.5]}),
                         data={"curves": np.arange(6.0).reshape(2, 3), "table": table})
    results.write(res, tmp_path)
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["metrics"] == {"acc": 90.5, "bad": None, "n": 3, "label": "x"}  # NaN is not JSON: null
    back = results.read(tmp_path)
    pd.testing.assert_frame_equal(back.table("table"), table)
    np.testing.assert_array_equal(back.data["curves"], np.arange(6.0).reshape(2, 3))
    assert back.history["train_loss"].tolist() == [0.7, 0.5]
    with np.load(tmp_path / "data.npz", allow_pickle=False) as npz:  # readable without pickle
        assert set(npz.files) == {"curves", "table::table"}


def test_split_sweep_gathered_from_points_equals_one_process_run(project):
    """Snakemake runs ann/breadth_vs_depth as one job per depth plus a gather; DVC runs it in one process.
    Both must write the same numbers."""
    exp = catalog.get("ann/breadth_vs_depth")
    params = P.load(project, overrides=[f"scale={TINY}"])
    sliced = P.experiment_slice(params, exp.section, exp.name)
    whole = runner.run(exp, sliced, project, show_progress=False)
    labels = [catalog.point_label(v) for v in exp.point_values(sliced["experiment"], P.Scale(TINY))]
    assert len(labels) == 5
    for label in reversed(labels):  # order must not matter
        runner.run(exp, sliced, project, point=label, show_progress=False)
    gathered = runner.gather(exp, sliced, project)
    assert gathered.metrics == whole.metrics
    pd.testing.assert_frame_equal(gathered.summary, whole.summary)
    with pytest.raises(KeyError, match="no sweep point '9'"):
        runner.run(exp, sliced, project, point="9", show_progress=False)


def test_metrics_record_provenance(project):
    run_experiment(project, "ann/num_parameters", figures=False)
    meta = json.loads((project / "results/ann/num_parameters/metrics.json").read_text())["meta"]
    assert meta["seed"] == 17 and meta["scale"] == TINY and meta["threads"] == 1
    assert meta["device"] == "cpu" and meta["torch"]


def test_cli_run_writes_results_and_figures(project, capsys):
    assert cli.main(["--root", str(project), "--set", "scale=0.02", "run", "ann/classify_qwerties", "--figures",
                     "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["ann/classify_qwerties"]) >= {"accuracy", "final_loss"}
    out = project / "results/ann/classify_qwerties"
    assert (out / "figures/predictions.png").exists()
    from dudl.models.mlp import mlp
    from dudl.checkpoints import load_checkpoint

    model = mlp([2, 1, 1], output="sigmoid")
    checkpoint = load_checkpoint(out / "model.pt", model)  # weights_only=True: no pickled code in model files
    assert checkpoint["meta"]["seed"] == 17 and checkpoint["meta"]["scale"] == 0.02


def test_cli_refuses_bad_params_with_the_key_path(project, capsys):
    assert cli.main(["--root", str(project), "--set", "ann.classify_qwerties.lr=-1", "run", "ann/classify_qwerties"]) == 2
    assert "ann.classify_qwerties.lr: -1 is less than or equal to the minimum of 0" in capsys.readouterr().err


def test_cli_unknown_experiment_suggests_names(project, capsys):
    assert cli.main(["--root", str(project), "run", "ann/classify"]) == 1
    assert "Did you mean: ann/classify_qwerties" in capsys.readouterr().err


def test_index_lists_every_notebook_with_status_and_reason(tmp_path):
    root = copy_config(tmp_path)
    exp = catalog.get("ann/num_parameters")
    params = P.load(root, overrides=["scale=1.0"])
    runner.run(exp, P.experiment_slice(params, exp.section, exp.name), root, show_progress=False)
    draw(exp, P.experiment_slice(params, exp.section, exp.name), root)
    skipped = {"ann/multioutput": "dataset iris unavailable: because a test says so"}
    index.write(params, root, skipped)
    frame = pd.read_csv(root / "results/index.csv").set_index("notebook")
    assert sorted(frame.index) == sorted(nb for nb, _ in catalog.notebooks())
    assert frame.loc["ANN_numParameters", "status"] == "done"
    assert frame.loc["ANN_multioutput", "status"] == "skipped"
    assert "because a test says so" in frame.loc["ANN_multioutput", "reason"]
    assert frame.loc["ANN_regression", "status"] == "not run"
    card = pd.read_csv(root / "results/scorecard.csv")
    row = card[(card.experiment == "ann/num_parameters") & (card.metric == "wide_parameters")].iloc[0]
    assert row.value == 27 and row.verdict == "identity"  # one seed, an exact reference
    assert (card[card.experiment == "ann/learning_rates"].verdict == "missing").all()


def test_compare_puts_two_results_folders_side_by_side(tmp_path):
    for folder, value in (("a", 1.0), ("b", 2.0)):
        results.write(results.Result(metrics={"accuracy": value}), tmp_path / folder / "ann" / "regression",
                      figures_data=False)
    table = index.compare(tmp_path, [Path("a"), Path("b")])
    row = table[table.metric == "accuracy"].iloc[0]
    assert (row["a"], row["b"]) == (1.0, 2.0)


def test_sweeps_write_every_runs_curves_for_dvc_plots(project):
    r = run_experiment(project, "regularization/dropout_example2", scale=0.05, figures=False)
    curves = pd.read_csv(project / "results/regularization/dropout_example2/curves.csv")
    rates = r.summary["dropout_rate"].tolist()
    epochs = r.history["epoch"].max()
    assert len(curves) == len(rates) * epochs
    assert curves["run"].unique().tolist() == [f"dropout_rate={v:g}" for v in rates]
    first = curves[curves.run == curves.run.iloc[0]].reset_index(drop=True)
    np.testing.assert_allclose(first["test_acc"], r.history["test_acc"], rtol=1e-6)  # the representative run


def test_dvc_plots_every_sweep_metric_with_one_line_per_run():
    import yaml

    from conftest import ROOT

    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    template = json.loads((ROOT / ".dvc" / "plots" / "runs.json").read_text())
    assert template["encoding"]["color"]["field"] == "run"
    for exp in catalog.EXPERIMENTS:
        for column in exp.curves:
            [entry] = [p[f"{exp.id} {column}"] for p in plots if isinstance(p, dict) and f"{exp.id} {column}" in p]
            assert entry["template"] == "runs" and entry["y"] == {str(exp.out_dir / "curves.csv"): column}
