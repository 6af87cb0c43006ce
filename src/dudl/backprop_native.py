"""dudl.backprop's hand-made step compiled: backprop_native.cpp, built once per machine with torch's C++ extension
tools (about 40 s on one core), then loaded by every process that trains a plain net.

Why: after dudl.backprop took autograd out, a step of the course's 784-64-32-32-10 net still made about thirty
calls from Python into torch, each with its own argument parsing, around 1/3 of the step. The C++ step calls the
same ATen kernels with the same arguments, so the numbers stay autograd's bit for bit (tests/test_backprop.py runs
its cases both ways), in one call.

Where it is built: $DUDL_NATIVE_DIR, by default ~/.cache/dudl/native, in a folder named by a digest of the source,
torch's version and the compiler flags (a changed source is a new build, never a stale library). Processes that
start together wait on one file lock, so one of them compiles. `make` builds it at install time
(`python -m dudl.backprop_native`), so pipeline jobs only load it.

Where it cannot be built (no C++ compiler, say), training goes on with the Python step, the same numbers a little
slower; the reason is printed once and kept beside the build, so later processes do not try again. `python -m
dudl.backprop_native` tries again. DUDL_NATIVE=0 keeps the Python step; DUDL_AUTOGRAD_ONLY=1 keeps autograd.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Callable

import torch

ENV = "DUDL_NATIVE"
DIR_ENV = "DUDL_NATIVE_DIR"
SOURCE = Path(__file__).with_suffix(".cpp")
FLAGS = ["-O2"]
LOCK_TIMEOUT_S = 900  # a compile takes about 40 s; a lock held longer than this is a hung build, not a slow one

# the layer and loss codes of backprop_native.cpp
KINDS = {"linear": 0, "identity": 1, "relu": 2, "leaky_relu": 3, "tanh": 4, "sigmoid": 5, "log_softmax": 6,
         "softmax": 7}
LOSSES = {"cross_entropy": 0, "nll": 1, "mse": 2, "bce": 3, "bce_with_logits": 4}

_op: Callable | None = None
_tried = False


def enabled() -> bool:
    return os.environ.get(ENV, "") in ("", "1")


def build_dir() -> Path:
    digest = hashlib.sha256(SOURCE.read_bytes() + f"{torch.__version__} {sys.version} {FLAGS}".encode()).hexdigest()
    root = Path(os.environ.get(DIR_ENV) or Path.home() / ".cache" / "dudl" / "native")
    return root / f"backprop-{digest[:16]}"


def _library(folder: Path) -> Path:
    return folder / "dudl_backprop_native.so"


def _build(folder: Path) -> Path:
    """Compile into `folder` (under the caller's lock); the built library's path."""
    from torch.utils import cpp_extension

    stale = folder / "lock"  # torch's own build lock, left behind by a build that was killed
    if stale.exists():
        stale.unlink()
    print(f"dudl: compiling the C++ training step into {folder} (once per machine, about a minute)",
          file=sys.stderr, flush=True)
    cpp_extension.load(name="dudl_backprop_native", sources=[str(SOURCE)], extra_cflags=FLAGS,
                       build_directory=str(folder), is_python_module=False, verbose=False)
    return _library(folder)


def load(retry: bool = False) -> Callable | None:
    """The compiled step (torch.ops.dudl_backprop.step), building it where needed; None where it cannot be had,
    with the reason printed once a machine (see the module's docstring)."""
    global _op, _tried
    if _op is not None or (_tried and not retry):
        return _op
    _tried = True
    folder = build_dir()
    failed = folder / "failed.txt"
    if failed.exists() and not retry:
        return None
    try:
        library = _library(folder)
        if not library.exists():
            from filelock import FileLock  # torch's own dependency

            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(str(folder.parent / f"{folder.name}.lock"), timeout=LOCK_TIMEOUT_S):
                if not library.exists():  # another process may have built it while this one waited
                    library = _build(folder)
        if not hasattr(torch.ops.dudl_backprop, "step"):
            torch.ops.load_library(str(library))
        _op = torch.ops.dudl_backprop.step
        failed.unlink(missing_ok=True)
    except Exception as error:  # noqa: BLE001 - any failure to build or load means: the Python step
        reason = f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"
        print(f"dudl: the C++ training step is not available ({reason}); training goes on with the Python step "
              f"(the same numbers). `python -m dudl.backprop_native` tries again.", file=sys.stderr, flush=True)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            failed.write_text(reason + "\n")
        except OSError:
            pass
    return _op


def main() -> None:
    op = load(retry=True)
    print(f"dudl: C++ training step {'ready in ' + str(build_dir()) if op is not None else 'not available'}")
    sys.exit(0 if op is not None else 1)


if __name__ == "__main__":
    main()
