"""`python -m benchmarks --smoke` (what `make bench` runs at the smallest bounds): every experiment gets a CSV row
with finite positive times and both metrics, the chart is drawn, and the output ends with the median line. The
structure only: timings are never asserted (they depend on the machine)."""

from __future__ import annotations

import csv
import math
import re
import sys
from pathlib import Path

import pytest

from conftest import NEEDS_MIRROR
from dudl.data import fetch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, beside src/

from benchmarks import cases, run  # noqa: E402


def test_every_case_has_each_mode_and_a_reference():
    from benchmarks import reference

    assert len(cases.CASES) >= 10
    for case in cases.CASES:
        assert set(case.bounds) == {"default", "quick", "smoke"}, case.name
        assert case.reference_name in reference.REFERENCES, case.name
        assert all("scale" not in case.bounds[m] for m in ("default",)), "the default bound runs at scale 1.0"


def test_smoke_run_writes_a_row_per_experiment_and_the_median_line(project, tmp_path, capsys):
    if not fetch.mirror_roots():
        pytest.skip(NEEDS_MIRROR)
    assert run.main(["--smoke", "--out", str(tmp_path), "--data-root", str(project)]) == 0
    out = capsys.readouterr().out.rstrip().splitlines()
    assert re.fullmatch(r"median speedup: \d+\.\d\d", out[-1]), out[-1]
    with (tmp_path / "bench.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["dudl_run"] for r in rows] == [c.experiment for c in cases.CASES]
    for r in rows:
        for column in ("ref_s", "ours_s", "speedup"):
            assert math.isfinite(float(r[column])) and float(r[column]) > 0, (r["experiment"], column)
        for column in ("ref_metric", "ours_metric"):
            assert math.isfinite(float(r[column])), (r["experiment"], column)
        assert r["metric"] and r["bound"] and r["agree"] in ("True", "False")
    median = float(out[-1].split(": ")[1])
    assert median == pytest.approx(sorted(float(r["speedup"]) for r in rows)[len(rows) // 2], abs=0.006)
    assert (tmp_path / "speedup.png").stat().st_size > 5000


def test_the_course_net_of_the_deep_dives_starts_from_the_given_weights():
    import torch

    from benchmarks.course import CourseNet
    from dudl.models.mlp import mlp

    torch.manual_seed(0)
    ours = mlp([11, 16, 32, 32, 1])
    course = CourseNet([11, 16, 32, 32, 1], weights_from=ours)
    x = torch.randn(5, 11)
    assert torch.equal(course(x), ours(x))
    with pytest.raises(ValueError):  # a net of another depth is refused, not half copied
        CourseNet([11, 16, 1], weights_from=ours)


def test_wine_per_step_bench_times_each_variant_and_ours_agree_exactly(project, capsys):
    if not fetch.mirror_roots():
        pytest.skip(NEEDS_MIRROR)
    from benchmarks import wine

    table = wine.per_step(wine.load_wines(project), [64], epochs=1, repeats=1)
    assert set(table[64]) == {"course style", "ours", "ours, Python step", "ours, autograd"}
    assert all(math.isfinite(ms) and ms > 0 for ms in table[64].values())
    accuracies = dict(re.findall(r"^\s+(ours[^\d]*?)\s+[\d.]+ s .*\(test acc ([\d.]+)\)$", capsys.readouterr().out,
                                 re.M))
    assert len(accuracies) == 3 and len(set(accuracies.values())) == 1, accuracies  # C++, Python, autograd: one number
