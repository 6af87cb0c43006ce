"""What the end-to-end tests share (tests/test_integration.py for Snakemake, tests/test_integration_dvc.py for DVC):
a copy of the project as a clean clone has it at a tiny scale, the two tools' command lines, params and code
edits as a user makes them. Two modules, so that `make test`'s two workers run the two tools side by side."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dudl import catalog
from conftest import ROOT

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
# The runs that cost most at SCALE take fewer or smaller steps here; every code path still runs. Measured alone
# on this machine (run job, before -> after): the two Gaussian-blob GANs (2-3 s a step on one thread even at
# SCALE: fewer steps, and batches of 16 instead of 86) 25 s -> 12-14 s; the 64 x 64 FMNIST GAN one pass of its
# subset instead of two, 50 s -> 27 s; the MNIST GAN 1,000 -> 200 steps, 24 s -> 11 s; style transfer on a 64-pixel
# image instead of 256, 43 s -> 12 s (in the DVC run too).
SMOKE = {"gans.fewer_layers_gauss.steps": "1500", "gans.fewer_layers_gauss.batch_size": "16",
         "gans.cnn_gauss.steps": "250", "gans.cnn_gauss.batch_size": "16", "gans.cnn_fmnist.epochs": "1",
         "gans.linear_mnist.steps": "10000", "style_transfer.screaming_bathtub.image_size": "64"}
DVC_STAGES = {catalog.get(i).stage_name for i in DVC_EXPERIMENTS}
# (module, the experiments that import it): a change to params.py reruns them all, to stacked.py only those of
# the two sections that train stacked models.
CODE_CHANGES = [("src/dudl/params.py", lambda e: True),
                ("src/dudl/models/stacked.py", lambda e: e.section in {"ann", "weights"})]

def env() -> dict:
    """Jobs call `dudl` by name: put this interpreter's bin folder (the venv's) first on PATH. Jobs start warm
    (src/dudl/warm.py; tests/test_warm.py checks that a warm job writes what a cold one does): at this scale the
    imports of torch and seaborn were most of each job's time."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "DUDL_MIRROR": MIRROR, "DUDL_PROGRESS": "0", "DVC_NO_ANALYTICS": "1",
            "DUDL_WARM": "1"}


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


def run(cmd: list[str], root: Path, check: bool = True, warm: bool = True) -> subprocess.CompletedProcess:
    """`warm=False`: jobs start cold, so that Snakemake's benchmark files measure their memory."""
    done = subprocess.run(cmd, cwd=root, env=env() | ({} if warm else {"DUDL_WARM": "0"}), capture_output=True,
                          text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return done


def snakemake(root: Path, *args: str, check: bool = True, warm: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "snakemake", *args], root, check, warm)


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
    path.write_bytes(original + b"\n# an edit by tests/integration.py\n")
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def lock_holder(lock: Path) -> int | None:
    """The pid that holds an flock on this file now (a `dudl run`'s dudl.runlock), read from /proc/locks: a probe
    that took the lock itself could make the very run it watches find its lock busy."""
    try:
        inode = str(lock.stat().st_ino)
    except FileNotFoundError:
        return None
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 15295 fe:00:2213283 0 EOF" (waiters have "->")
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == inode:
            return int(fields[4])
    return None


def needs_mirror() -> None:
    """Skip the calling module (at import) without the dataset mirror."""
    if not Path(MIRROR).is_dir():
        pytest.skip(f"integration tests need the dataset mirror ({MIRROR}); set DUDL_MIRROR", allow_module_level=True)
