"""Section data_handling (course folder data/): loaders, external tables, sample size vs depth, balance, augmentation, saving and keeping models."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import recall_score

from archives import use_tiny_cifar10
from conftest import run_experiment
from dudl.checkpoints import load_checkpoint, save_checkpoint
from dudl.experiments import data_handling as D
from dudl.experiments.mnist_recipe import log_softmax_net
from dudl.models.mlp import count_parameters


def test_depth_nets_have_the_course_parameter_counts():
    counts = [count_parameters(D.depth_net(layers, units)) for layers, units in ((1, 80), (5, 16), (10, 8), (20, 4))]
    assert counts == [483, 1187, 699, 407]


def test_per_class_accuracy_is_recall():
    rng = np.random.default_rng(1)
    truth, guess = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    ours = D.per_class_accuracy(guess, truth, range(3))
    np.testing.assert_allclose(list(ours.values()), recall_score(truth, guess, average=None) * 100)


def test_noisy_copies_and_distance_feature():
    x = np.zeros((5, 4), np.float32)
    noisy = D.noisy_copies(x, np.random.default_rng(0), 0.5)
    assert noisy.min() >= 0 and noisy.max() <= 0.5 and noisy.std() > 0
    assert np.allclose(D.with_distance(np.array([[3.0, 4.0]]))[0], [3, 4, 5])


def test_save_and_load_round_trip_bit_exactly(tmp_path):
    torch.manual_seed(0)
    model = log_softmax_net([784, 64, 32, 32, 10])
    path = save_checkpoint(tmp_path / "m.pt", model)
    fresh = log_softmax_net([784, 64, 32, 32, 10])
    load_checkpoint(path, fresh)  # weights_only=True inside
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), name
    x = torch.rand(7, 784)
    assert torch.equal(model(x), fresh(x))


def test_dataset_loader_hands_out_sorted_labels_in_order(project):
    m = run_experiment(project, "data_handling/dataset_loader").metrics
    assert (m["batches"], m["batch_size"], m["first_batch_unique_labels"], m["labels_in_order"]) == (4, 25, 1, 1)
    assert [m[f"count_label_{k}"] for k in range(1, 5)] == [25] * 4 and m["shuffled_first_batch_unique_labels"] > 1


def test_data2colab_reads_a_users_table_and_says_why_it_skips(project, tmp_path):
    table = tmp_path / "mine.xlsx"
    pd.DataFrame({"state": ["A", "B", "C"], "rate": [1.5, 2.0, 3.5]}).to_excel(table, index=False, startrow=2)
    r = run_experiment(project, "data_handling/data2colab", overrides=[f"data_handling.data2colab.table={table}",
                                                                "data_handling.data2colab.header=2"])
    assert (r.metrics["table_rows"], r.metrics["table_columns"], r.metrics["sources_tried"]) == (3, 2, 2)
    assert (project / "data" / "raw" / "external" / "mine.xlsx").exists()
    cifar = r.summary[r.summary["source"] == "torchvision CIFAR10"].iloc[0]
    if cifar["status"] == "skipped":
        assert "cifar10" in cifar["reason"] and r.metrics["cifar10_read"] == 0
    missing = run_experiment(project, "data_handling/data2colab", figures=False,
                             overrides=[f"data_handling.data2colab.table={tmp_path / 'absent.csv'}"])
    assert missing.metrics["table_read"] == 0 and "absent.csv" in missing.summary["reason"].iloc[0]


def test_data_vs_depth_trains_every_architecture_at_every_size(project):
    r = run_experiment(project, "data_handling/data_vs_depth", scale=0.05)
    assert r.summary.groupby("n_per_class")["architecture"].nunique().eq(4).all()
    assert r.metrics["parameters_L1_U80"] == 483


def test_unbalanced_reports_per_class_accuracy_and_the_gap(project):
    r = run_experiment(project, "data_handling/unbalanced", scale=0.02)
    s = r.summary
    assert list(s["threshold"]) == [4, 5, 6]
    assert np.allclose(s["gap"], (s["acc_bad"] - s["acc_good"]).abs())
    assert (s["train_good"].diff().dropna() < 0).all()  # a higher threshold leaves fewer good wines


def test_oversampling_doubles_before_the_split(project):
    r = run_experiment(project, "data_handling/oversampling", scale=0.05)
    s = r.summary.set_index("run")
    n = int(s.loc[s["copies"] != "single", "unique"].min())
    assert s.loc[f"N{n}_doubled", "train_size"] == 2 * s.loc[f"N{n}_original", "train_size"]


def test_noise_augmentation_scores_the_held_out_digits(project):
    r = run_experiment(project, "data_handling/noise_augmentation", scale=0.05)
    s = r.summary
    assert (s["test_digits"] > 0).all() and {"original", "augmented"} == set(s["copies"])


def test_feature_augmentation_runs_the_t_test(project):
    from scipy import stats

    r = run_experiment(project, "data_handling/feature_augmentation", scale=0.05)
    s = r.summary
    t, p = stats.ttest_ind(s[s["features"] == 2]["test_acc"], s[s["features"] == 3]["test_acc"])
    assert r.metrics["p_value"] == pytest.approx(p) and r.metrics["t_statistic"] == pytest.approx(t)


def test_save_load_experiment_writes_a_model_that_loads_with_weights_only(project):
    r = run_experiment(project, "data_handling/save_load")
    assert r.metrics["max_abs_difference"] == 0 and r.metrics["weights_identical"] == 1
    assert r.metrics["untrained_abs_difference"] > 0
    net = log_softmax_net([784, 64, 32, 32, 10])
    load_checkpoint(project / "results" / "data_handling" / "save_load" / "model.pt", net)


def test_save_the_best_keeps_the_best_devset_epoch(project):
    r = run_experiment(project, "data_handling/save_the_best", scale=0.1)
    h, m = r.history, r.metrics
    assert m["best_dev_acc"] == pytest.approx(h["dev_acc"].max())
    assert h["dev_acc"].iloc[m["best_epoch"] - 1] == pytest.approx(h["dev_acc"].max())
    assert (project / "results" / "data_handling" / "save_the_best" / "best.pt").exists()


def test_data2colab_opens_cifar10_through_torchvision_from_the_data_layer(project, tmp_path, monkeypatch):
    """CIFAR-10 has no offline copy: a tiny archive in the exact upstream format goes through the real path
    (the data layer fetches it from a mirror, torchvision's CIFAR10(download=True) verifies and unpacks it);
    only the checksums, which belong to the real 170 MB files, are swapped for the tiny files' own."""
    import shutil

    use_tiny_cifar10(tmp_path, monkeypatch)
    shutil.rmtree(project / "data" / "raw" / "cifar10", ignore_errors=True)
    try:
        r = run_experiment(project, "data_handling/data2colab")
    finally:
        shutil.rmtree(project / "data" / "raw" / "cifar10", ignore_errors=True)
    m = r.metrics
    assert (m["cifar10_read"], m["cifar10_train"], m["cifar10_test"]) == (1, 20, 4)
    assert (m["cifar10_height"], m["cifar10_width"], m["cifar10_channels"], m["cifar10_classes"]) == (32, 32, 3, 10)
    assert r.data["cifar_examples"].shape[1:] == (32, 32, 3)
