"""How long `snakemake -n` and `dvc status` take on a project whose every output is up to date, every section
in: the cost a user pays on each call once the pipeline has run. Measured side by side with Snakemake's floor (a
one-rule Snakefile in the same environment) and, with --ref, the same project at another git revision.

    python tools/dag_overhead.py                  # this working tree
    python tools/dag_overhead.py --ref 270a28f    # ... and the tree of that revision, alternately

A complete run takes hours at scale 1.0, so the "complete" project is made up: a copy of the tree in a temporary
folder where every output Snakemake or DVC would write exists as a small placeholder, marked up to date by
`snakemake --touch` and `dvc commit --force`. What the calls then do is what they do after a real complete run:
parse, build the DAG, stat every input and output, hash what changed. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run in `cwd` with this venv's tools, importing `dudl` from cwd/src (another revision's code, for --ref)."""
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]), "DVC_NO_ANALYTICS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(cwd / "src"), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    return done


def copy_tree(rev: str | None, dest: Path) -> Path:
    """The working tree (tracked and untracked-but-not-ignored files), or a revision's tree, as a git repo."""
    dest.mkdir(parents=True)
    if rev is None:
        listed = sh(["git", "ls-files", "-co", "--exclude-standard", "-z"], ROOT).stdout.split("\0")
        for name in filter(None, listed):
            if (ROOT / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, dest / name)
    else:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    sh(["git", "init", "-q"], dest)
    sh(["git", "add", "-A"], dest)
    sh(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "tree"], dest)
    return dest


def placeholder(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("{}\n" if path.suffix == ".json" else "placeholder\n")


def complete(project: Path) -> None:
    """Every output of both tools as a placeholder, then each tool told that all is up to date."""
    summary = sh(["snakemake", "--summary"], project).stdout.splitlines()[1:]
    for line in summary:
        out = project / line.split("\t")[0]
        if out.name == "figures":  # the figures rules' directory outputs
            out.mkdir(parents=True, exist_ok=True)
        else:
            placeholder(out)
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    for stage in stages.values():
        for entry in stage.get("outs", []) + stage.get("metrics", []):
            placeholder(project / (entry if isinstance(entry, str) else next(iter(entry))))
    start = time.perf_counter()
    sh(["snakemake", "--touch", "--cores", "1"], project)
    print(f"  snakemake --touch: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    start = time.perf_counter()
    sh(["dvc", "commit", "--force", "--quiet"], project)
    print(f"  dvc commit: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    left = sh(["snakemake", "-n"], project).stdout
    if "Nothing to be done" not in left:
        raise SystemExit(f"{project}: snakemake still plans jobs after --touch:\n{left[-2000:]}")


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    sh(args, cwd, check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", help="also measure this git revision's tree, alternately with the working tree")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the projects in this (new) folder and keep them")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="dudl-dag-") as scratch:
        tmp = args.keep or scratch
        floor = Path(tmp) / "floor"
        floor.mkdir(parents=True)
        (floor / "Snakefile").write_text('rule all:\n    input: "a.txt"\n')
        (floor / "a.txt").write_text("")
        trees = {"this tree": copy_tree(None, Path(tmp) / "work")}
        if args.ref:
            trees[args.ref] = copy_tree(args.ref, Path(tmp) / "ref")
        for name, project in trees.items():
            print(f"making {name} complete (placeholders, snakemake --touch, dvc commit) ...", file=sys.stderr)
            complete(project)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeats):
            times.setdefault(("snakemake -n", "floor (one rule)"), []).append(timed(["snakemake", "-n"], floor))
            for name, project in trees.items():
                times.setdefault(("snakemake -n", name), []).append(timed(["snakemake", "-n"], project))
                times.setdefault(("dvc status", name), []).append(timed(["dvc", "status"], project))
    rows = {key: statistics.median(v) for key, v in times.items()}
    print(f"{'call':<14} {'project':<18} {'median s':>9}  (of {args.repeats})")
    for (call, name), seconds in rows.items():
        print(f"{call:<14} {name:<18} {seconds:9.2f}")
    if args.ref:
        for call in ("snakemake -n", "dvc status"):
            print(f"{call}: {args.ref} / this tree = {rows[(call, args.ref)] / rows[(call, 'this tree')]:.2f}x")
    print(json.dumps({f"{c} | {n}": round(s, 3) for (c, n), s in rows.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
