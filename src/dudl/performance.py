"""Measuring performance (course section measurePerformance/, and wherever an experiment reports more than
accuracy): accuracy, precision, recall and F1 from scikit-learn's metrics, per class and overall, confusion
matrices, and the gap between the best- and the worst-served class (the headline of the unbalanced-data and
unequal-groups experiments). Torch-free: it takes labels as arrays.

`from_counts` is the course's own arithmetic on TP/FP/TN/FN (measurePerformance_APRF simulates counts, not
labels); tests check that it and scikit-learn agree.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

MEASURES = ("accuracy", "precision", "recall", "f1")


def scores(y_true: np.ndarray, y_pred: np.ndarray, average: str = "binary") -> dict[str, float]:
    """accuracy, precision, recall, F1. `binary`: class 1 is the positive one (the course's wine labels);
    `weighted` / `macro`: averages over classes (the course's MNIST choice is weighted). A class never
    predicted has precision 0, as scikit-learn warns and the course's numbers assume."""
    from sklearn import metrics

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "precision": float(metrics.precision_score(y_true, y_pred, average=average, zero_division=0)),
        "recall": float(metrics.recall_score(y_true, y_pred, average=average, zero_division=0)),
        "f1": float(metrics.f1_score(y_true, y_pred, average=average, zero_division=0)),
    }


def per_class(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[int]) -> pd.DataFrame:
    """One row per class: its number of true samples, precision, recall (= the accuracy on that class's
    samples) and F1."""
    from sklearn import metrics

    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        np.asarray(y_true), np.asarray(y_pred), labels=list(classes), zero_division=0)
    return pd.DataFrame({"class": list(classes), "n": support.astype(np.int64), "precision": precision,
                         "recall": recall, "f1": f1})


def class_gap(table: pd.DataFrame, measure: str = "recall") -> dict[str, float | int]:
    """The best- and the worst-served class by `measure` and the gap between them: how much worse the model
    does for the group it serves worst."""
    best, worst = table.loc[table[measure].idxmax()], table.loc[table[measure].idxmin()]
    # Keys name the measure, classes included: gaps by two measures can sit side by side in one metrics dict.
    return {f"best_{measure}": float(best[measure]), f"best_{measure}_class": int(best["class"]),
            f"worst_{measure}": float(worst[measure]), f"worst_{measure}_class": int(worst["class"]),
            f"{measure}_gap": float(best[measure] - worst[measure])}


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[int], normalize: str | None = None):
    """Rows: true class, columns: predicted class (scikit-learn's layout); `normalize="true"` divides each row
    by its class's count, as the course's MNIST confusion matrices do."""
    from sklearn import metrics

    return metrics.confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=list(classes), normalize=normalize)


def from_counts(tp, fp, tn, fn) -> dict[str, np.ndarray]:
    """The course's formulas on counts (arrays allowed): accuracy (TP+TN)/all, precision TP/(TP+FP), recall
    TP/(TP+FN), F1 = TP / (TP + (FP+FN)/2)."""
    tp, fp, tn, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, tn, fn))
    return {
        "accuracy": (tp + tn) / (tp + tn + fp + fn),
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": tp / (tp + (fp + fn) / 2),
    }
