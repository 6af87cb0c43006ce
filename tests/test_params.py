"""params.yaml: schema refusals name the key path; overrides, slices, seeds and the scale knob."""

import copy
import os

import pytest
import yaml

from dudl import params as P
from conftest import ROOT


@pytest.fixture(scope="module")
def good():
    return P.load(ROOT)


def errors(params):
    return P.schema_errors(params, P.schema_for(ROOT))


def test_committed_params_are_valid(good):
    assert errors(good) == []
    assert good["scale"] == 1.0, "params.yaml must hold the course's settings (scale 1.0)"


def test_typo_key_is_refused_with_its_path_and_a_hint(good):
    bad = copy.deepcopy(good)
    bad["ann"]["classify_qwerties"]["lrr"] = bad["ann"]["classify_qwerties"].pop("lr")
    found = errors(bad)
    assert "ann.classify_qwerties.lrr: unknown key (did you mean 'lr'?)" in found
    assert any(e.startswith("ann.classify_qwerties:") and "'lr' is a required property" in e for e in found)


def test_negative_learning_rate_is_refused(good):
    bad = copy.deepcopy(good)
    bad["ann"]["regression"]["lr"] = -0.05
    assert errors(bad) == ["ann.regression.lr: -0.05 is less than or equal to the minimum of 0"]


def test_unknown_dataset_and_wrong_types_are_refused(good):
    bad = copy.deepcopy(good)
    bad["data"]["cifar11"] = {"size": 3}
    bad["ann"]["classify_qwerties"]["epochs"] = "ten"
    bad["scale"] = 0
    found = "\n".join(errors(bad))
    assert "data.cifar11: unknown key" in found
    assert "ann.classify_qwerties.epochs: 'ten' is not of type 'integer'" in found
    assert "scale: 0 is less than or equal to the minimum of 0" in found


def test_load_raises_one_error_listing_every_problem(tmp_path, good):
    bad = copy.deepcopy(good)
    bad["ann"]["regression"]["lr"] = -1
    bad["seeed"] = 3
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(P.ParamsError) as info:
        P.load(ROOT, tmp_path / "params.yaml")
    message = str(info.value)
    assert "2 problem(s)" in message and "ann.regression.lr" in message and "seeed: unknown key" in message


def test_overrides_parse_values_as_yaml(good):
    loaded = P.load(ROOT, overrides=["ann.regression.lr=0.1", "scale=0.5"])
    assert loaded["ann"]["regression"]["lr"] == 0.1 and loaded["scale"] == 0.5
    with pytest.raises(P.ParamsError, match="ann.regression.lr"):
        P.load(ROOT, overrides=["ann.regression.lr=-3"])


def test_slice_holds_only_what_the_experiment_reads(good):
    sliced = P.experiment_slice(good, "ann", "regression")
    assert set(sliced) == {"seed", "scale", "device", "precision", "fast_kernels", "experiment"}
    assert sliced["experiment"] == good["ann"]["regression"]
    assert P.experiment_keys("ann", "regression") == ["seed", "scale", "device", "precision", "fast_kernels", "ann.regression"]


def test_derived_seeds_are_stable_and_distinct():
    # Stable across processes and Python versions (sha256, not hash()): results depend on it.
    assert P.derive_seed(17, "ann/regression", "torch", "model") == P.derive_seed(17, "ann/regression", "torch", "model")
    assert P.derive_seed(17, "a") == 1411785248
    assert len({P.derive_seed(17, "x", i) for i in range(1000)}) == 1000
    assert all(0 <= P.derive_seed(s, "k") < 2**31 for s in range(50))


def test_scale_shrinks_epochs_reps_and_grids_but_full_scale_is_the_course():
    full, small = P.Scale(1.0), P.Scale(0.1)
    assert full.epochs(1000) == 1000 and small.epochs(1000) == 100 and P.Scale(0.001).epochs(1000) == 2
    assert small.reps(50) == 5 and P.Scale(0.001).reps(50) == 2
    values = list(range(40))
    assert full.grid(values) == values
    thinned = small.grid(values)
    assert len(thinned) == 4 and thinned[0] == 0 and thinned[-1] == 39
    assert P.Scale(0.01).grid(values) == [0, 20, 39]
    assert small.grid([1, 2]) == [1, 2]


def _keys(node, declared, prefix=""):
    """params.yaml's key paths, descending into a mapping where the declaration names keys inside it."""
    out = set()
    for key, value in node.items():
        out.add(prefix + key)
        if isinstance(value, dict) and any(d.startswith(prefix + key + ".") for d in declared):
            out |= _keys(value, declared, prefix + key + ".")
    return out


def test_params_yaml_has_every_declared_key_and_nothing_else(good):
    """Declared once: each experiment's block in params.yaml has exactly the keys its declaration names."""
    from dudl import catalog
    from dudl.paramspec import declared_keys, top_level_fields

    for exp in catalog.EXPERIMENTS:
        assert exp.params is not None, f"{exp.id} declares no params"
        declared = declared_keys(exp.params)
        assert _keys(good[exp.section][exp.name], declared) == declared, exp.id
    sections = {e.section for e in catalog.EXPERIMENTS}
    for section in sections:
        assert set(good[section]) == {e.name for e in catalog.EXPERIMENTS if e.section == section}
    assert set(good) - {"resources"} == {*top_level_fields(), *sections}
    assert {"seed", "scale", "device", "precision", "fast_kernels", "gpu_scale_on_cpu", "split_sweeps_above_s",
            "data"} <= set(good)


def test_the_committed_schema_file_is_generated_from_the_declarations():
    assert (ROOT / P.SCHEMA_PATH).read_text() == P.schema_text(), "run `dudl schema --write`"


def test_a_declaration_change_changes_what_is_refused(good, monkeypatch):
    """The schema is the declarations': tighten one bound in code and params.yaml's value is refused. (The edit is
    made in memory, where the on-disk schema cache, keyed by the source files, cannot see it: the cache is off.)"""
    monkeypatch.setenv("DUDL_STAMPCACHE", "0")
    from typing import Annotated

    from pydantic import Field, create_model

    from dudl import catalog

    exp = catalog.get("ann/regression")
    stricter = create_model("Stricter", __base__=exp.params, lr=(Annotated[float, Field(gt=1.0)], ...))
    object.__setattr__(exp, "params", stricter)
    P._generated_schema.cache_clear()
    try:
        assert "ann.regression.lr: 0.05 is less than or equal to the minimum of 1.0" in P.schema_errors(good, P.schema_for())
    finally:
        object.__setattr__(exp, "params", exp.params.__base__)
        P._generated_schema.cache_clear()
    assert P.schema_errors(good, P.schema_for()) == []


def test_grid_items_are_checked_and_the_error_names_the_closest_alternative(good):
    bad = copy.deepcopy(good)
    bad["ann"]["learning_rates"]["lrs"] = [0.01, -0.5]
    found = errors(bad)
    assert found == ["ann.learning_rates.lrs.1: -0.5 is less than or equal to the minimum of 0"], found


VALIDATE_TWICE = """
import sys
from pathlib import Path
from dudl import params as P
params = P.load_yaml(Path(sys.argv[1]))
if sys.argv[2] == "bad":
    params["ann"]["classify_qwerties"]["epochs"] = 0
try:
    P.validate(params, Path("."))
    print("valid", "jsonschema" in sys.modules)
except P.ParamsError as exc:
    print("refused", "jsonschema" in sys.modules, str(exc).splitlines()[1].strip())
"""


def test_a_validation_is_remembered_for_the_same_params_and_only_for_them(tmp_path):
    """Every `snakemake` call and `dudl` command validates the same params.yaml: the second process finds the
    result in dudl.stampcache without importing jsonschema; other params are validated afresh, and refused."""
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "DUDL_STAMPCACHE": "1"}

    def validate(which: str) -> str:
        return subprocess.run([sys.executable, "-c", VALIDATE_TWICE, str(ROOT / "params.yaml"), which], env=env,
                              capture_output=True, text=True, check=True, timeout=120).stdout.strip()

    assert validate("good") == "valid True"
    assert validate("good") == "valid False"
    refused = "refused True ann.classify_qwerties.epochs: 0 is less than the minimum of 1"
    assert validate("bad") == refused
    assert validate("bad") == "refused False ann.classify_qwerties.epochs: 0 is less than the minimum of 1"
    assert validate("good") == "valid True"  # one entry: the last params seen
