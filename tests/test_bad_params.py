"""Bad params are refused before any job runs, each with its key path (issue 12): zero or negative epochs, absurd
sizes, unknown names, empty sweeps, a CUDA device where there is none, a YAML syntax error (with its line).

Every check goes through dudl.params.load / validate, which `dudl` (and so every DVC stage, `dudl run`) and the
Snakefile call; the one Snakemake run shows its own front door, the YAML check before `configfile:`."""

import copy
import re
import shutil
import subprocess
import sys

import pytest

from dudl import params as P
from dudl import paramspec
from conftest import ROOT


@pytest.fixture(scope="module")
def good():
    return P.load(ROOT)


def errors(params):
    return P.schema_errors(params, P.schema_for(ROOT))


def leaves(node, prefix=""):
    """(key path, value) of every value of params.yaml below a mapping (a list is one value)."""
    for key, value in node.items():
        if isinstance(value, dict):
            yield from leaves(value, f"{prefix}{key}.")
        yield f"{prefix}{key}", value


def put(params, dotted, value):
    """Set one value by its key path (a list item by its index, as the error messages name it)."""
    *parents, leaf = (int(k) if k.isdigit() else k for k in dotted.split("."))
    for key in parents:
        params = params[key]
    params[leaf] = value


def name(dotted):
    return dotted.rsplit(".", 1)[-1]


# ---------------------------------------------------------------- zero or negative epochs

EPOCHS_LIKE = re.compile(r"(^|_)(epochs?|iterations|steps|batches)(_|$)")
EPOCH_INDICES = {"average_epochs"}  # [first, last) epochs of a mean: 0 is the first epoch, not a count


def test_every_epochs_or_steps_key_refuses_zero_and_negatives_with_its_key_path(good):
    keys = [(k, v) for k, v in leaves(good) if EPOCHS_LIKE.search(name(k)) and name(k) not in EPOCH_INDICES
            and not isinstance(v, dict)]
    assert len(keys) > 100 and ("ann.classify_qwerties.epochs", 1000) in keys
    bad, expected = copy.deepcopy(good), []
    for i, (key, value) in enumerate(keys):
        wrong = -i if i % 2 else 0
        if isinstance(value, list):  # a grid of epoch counts (gradient_descent.experiment.epoch_counts)
            put(bad, key, [wrong])
            expected.append(f"{key}.0: {wrong} is less than the minimum of 1")
        else:
            put(bad, key, wrong)
            expected.append(f"{key}: {wrong} is less than the minimum of 1")
    found = errors(bad)
    assert [e for e in expected if e not in found] == []
    with pytest.raises(P.ParamsError, match=r"ann\.classify_qwerties\.epochs: 0 is less than the minimum of 1"):
        P.load(ROOT, overrides=["ann.classify_qwerties.epochs=0"])  # what `dudl --set ... validate` runs


# ---------------------------------------------------------------- absurd sizes

BOUNDS = {  # key name -> its declared maximum (src/dudl/paramspec.py says why each)
    **dict.fromkeys(("hidden", "units", "code", "embedding", "dim", "in_channels", "out_channels", "input_size"),
                    paramspec.MAX_UNITS),
    **dict.fromkeys(("batch_size", "test_batch_size", "dev_batch_size", "fake_batch_size", "batch"),
                    paramspec.MAX_BATCH),
    **dict.fromkeys(("n_per_cluster", "per_class", "images", "samples", "rows"), paramspec.MAX_SAMPLES),
    **dict.fromkeys(("image_size", "resize", "cnn_image_size"), paramspec.MAX_IMAGE_SIZE),
}


def test_absurd_sizes_are_refused_with_their_key_path(good):
    bad = copy.deepcopy(good)
    bad["ann"]["classify_qwerties"]["layers"][1] = 100_000_000
    bad["ann"]["multilayer"]["hidden"] = 100_000_000
    bad["ffn"]["ffn_on_mnist"]["batch_size"] = paramspec.MAX_BATCH + 1
    bad["ann"]["classify_qwerties"]["data"]["n_per_cluster"] = 10**9
    bad["style_transfer"]["screaming_bathtub"]["image_size"] = 100_000
    found = errors(bad)
    assert found == sorted([
        f"ann.classify_qwerties.layers.1: 100000000 is greater than the maximum of {paramspec.MAX_UNITS}",
        f"ann.multilayer.hidden: 100000000 is greater than the maximum of {paramspec.MAX_UNITS}",
        f"ffn.ffn_on_mnist.batch_size: {paramspec.MAX_BATCH + 1} is greater than the maximum of {paramspec.MAX_BATCH}",
        f"ann.classify_qwerties.data.n_per_cluster: 1000000000 is greater than the maximum of {paramspec.MAX_SAMPLES}",
        f"style_transfer.screaming_bathtub.image_size: 100000 is greater than the maximum of "
        f"{paramspec.MAX_IMAGE_SIZE}"]), found
    assert paramspec.MAX_BATCH > 202_599, "a batch may hold the largest dataset (CelebA's 202,599 images)"


def test_every_size_key_has_its_generous_maximum(good):
    """Declared everywhere, not only where a test looks: each size key of every experiment refuses one past its
    bound, and the bound is at least ten times what params.yaml holds there at scale 1.0."""
    sized = [(k, v, BOUNDS[name(k)]) for k, v in leaves(good)
             if name(k) in BOUNDS and isinstance(v, int) and not k.startswith("data.")]
    sized += [(f"{k}.{i}", width, paramspec.MAX_UNITS) for k, v in leaves(good)  # Layers: widths, input first
              if name(k) == "layers" and isinstance(v, list) and k != "ann.breadth_vs_depth.layers"  # (depths)
              for i, width in enumerate(v)]
    assert len(sized) > 150
    assert [(k, v, bound) for k, v, bound in sized if v * 10 > bound] == []
    bad = copy.deepcopy(good)
    for key, _, bound in sized:
        put(bad, key, bound + 1)
    found = errors(bad)
    assert [k for k, _, bound in sized if f"{k}: {bound + 1} is greater than the maximum of {bound}" not in found] \
        == []


# ---------------------------------------------------------------- unknown names


def test_unknown_dataset_optimizer_and_activation_names_are_refused_with_the_choices(good):
    bad = copy.deepcopy(good)
    wrong = {"text.char_lstm.book": "emmma",                                 # a dataset (a novel of the corpus)
             "text.word_embeddings.book": "emmma",
             "gans.linear_fmnist.classes": ["Trouser", "Trousers"],          # Fashion-MNIST's classes, by name
             "ffn.optimizers.optimizers": ["SGD", "Adamm"],
             "metaparams.code_challenge_optimizers.optimizers": ["sgd"],
             "metaparams.activation_comparisons.activations": ["relu", "relux"],
             "rnn.intro2rnn.nonlinearity": "gelu"}
    for key, value in wrong.items():
        put(bad, key, value)
    found = errors(bad)
    for key, value in wrong.items():
        at = key if isinstance(value, str) else f"{key}.{len(value) - 1}"
        shown = value if isinstance(value, str) else value[-1]
        assert any(e.startswith(f"{at}: '{shown}' is not one of [") for e in found), (key, found)
    assert len(found) == len(wrong)
    bad = copy.deepcopy(good)
    bad["data"]["cifar11"] = {"size": 3}
    assert errors(bad) == ["data.cifar11: unknown key"]


# ---------------------------------------------------------------- empty sweeps

MAY_BE_EMPTY = {  # lists that are not sweeps, where none is a choice
    "data.mirrors": "no mirror: upstream only",
    "data_handling.feature_augmentation.hidden": "no hidden layer: a linear model",
    "weights.matrix_sizes.broken_layers": "the deliberately inconsistent model's layers",
}
LOSS_LAYERS = {"content_layers", "style_layers", "style_weights"}  # style transfer's losses: the experiment's choice


def test_every_empty_sweep_is_refused_with_its_key_path(good):
    lists = [k for k, v in leaves(good) if isinstance(v, list) and k not in MAY_BE_EMPTY and name(k) not in LOSS_LAYERS]
    assert len(lists) > 100 and "ffn.optimizers.optimizers" in lists
    bad = copy.deepcopy(good)
    for key in lists:
        put(bad, key, [])
    found = errors(bad)
    assert [k for k in lists if f"{k}: [] should be non-empty" not in found and f"{k}: [] is too short" not in found] \
        == []
    grids = [k for k, v in leaves(good) if isinstance(v, dict) and {"start", "stop", "num"} <= set(v)]
    assert len(grids) > 10
    bad = copy.deepcopy(good)
    for key in grids:
        put(bad, f"{key}.num", 0)
    found = errors(bad)
    assert [k for k in grids if f"{k}.num: 0 is less than the minimum of 1" not in found] == []


def test_every_empty_arange_grid_is_refused_with_its_key_path(good):
    """A JSON schema cannot compare stop with start: an arange grid whose stop is not above its start passes it
    and is caught by validate's own check, which every `dudl` command and the Snakefile run."""
    aranges = [k for k, v in leaves(good) if isinstance(v, dict) and set(v) == {"start", "stop", "step"}]
    assert len(aranges) >= 4 and "data_handling.data_vs_depth.n_per_class" in aranges
    P.validate(good, ROOT)
    bad = copy.deepcopy(good)
    for key in aranges:
        put(bad, f"{key}.stop", bad_start := 5)
        put(bad, f"{key}.start", bad_start)
    with pytest.raises(P.ParamsError) as refused:
        P.validate(bad, ROOT)
    assert [k for k in aranges if f"{k}: np.arange(5, 5, " not in str(refused.value)] == []
    assert f"({len(aranges)} problem(s))" in str(refused.value)


# ---------------------------------------------------------------- device: cuda without CUDA


def test_a_cuda_device_on_a_machine_without_one_is_refused(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(P.ParamsError, match=r"device: 'cuda' but this machine has no CUDA device"):
        P.load(ROOT, overrides=["device=cuda"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert P.load(ROOT, overrides=["device=cuda:0"])["device"] == "cuda:0"
    with pytest.raises(P.ParamsError, match=r"device: 'cuda:1' but this machine has only 1 CUDA device"):
        P.load(ROOT, overrides=["device=cuda:1"])


def test_the_device_check_imports_torch_only_for_a_gpu_device():
    """The Snakefile validates at parse time, on every call: `auto` and `cpu` must not pay torch's import."""
    code = ("import sys; from pathlib import Path; from dudl import params as P\n"
            "for device in ('auto', 'cpu'): P.load(Path(sys.argv[1]), overrides=[f'device={device}'])\n"
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------- YAML syntax errors


@pytest.fixture
def broken(tmp_path):
    """params.yaml with a second mapping value on one line ("epochs: 1000: 3"): its path, line and column."""
    lines = (ROOT / "params.yaml").read_text().splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.lstrip().startswith("epochs:"))
    indent = lines[n][:len(lines[n]) - len(lines[n].lstrip())]
    lines[n] = f"{indent}epochs: 1000: 3\n"
    (tmp_path / "params.yaml").write_text("".join(lines))
    return tmp_path / "params.yaml", n + 1, lines[n].rindex(":") + 1


def test_a_yaml_syntax_error_is_reported_with_its_line_and_column(broken):
    path, line, column = broken
    with pytest.raises(P.ParamsError) as info:
        P.load(ROOT, path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}, column {column}: not valid YAML: mapping values are not allowed")
    assert message.splitlines()[1].strip() == path.read_text().splitlines()[line - 1].strip()


def test_snakemake_reports_the_yaml_error_line_before_any_job(broken):
    """Snakemake's own loader says only "not valid JSON or YAML": the Snakefile checks params.yaml first."""
    path, line, column = broken
    shutil.copy(ROOT / "Snakefile", path.parent / "Snakefile")
    done = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=path.parent,
                          capture_output=True, text=True)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"params.yaml, line {line}, column {column}: not valid YAML" in output, output
    assert "rule " not in done.stdout
