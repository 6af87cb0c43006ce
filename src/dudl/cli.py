"""The `dudl` command: list | validate | fetch | prepare | verify | run | gather | figures | index | compare | dvc-yaml.

Snakemake rules and DVC stages call these same commands. Every command validates params.yaml first, so a bad
file is refused, with its key paths, before any work starts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dudl import params as P


def _load_params(args) -> dict:
    return P.load(Path(args.root), Path(args.params) if args.params else None, args.set)


def _slice(args, exp) -> dict:
    if getattr(args, "params_json", None):
        sliced = json.loads(args.params_json)
        errors = [k for k in (*P.TOP_LEVEL_KEYS, "experiment") if k not in sliced]
        if errors:
            raise P.ParamsError(f"--params-json lacks {', '.join(errors)}")
        return sliced
    return P.experiment_slice(_load_params(args), exp.section, exp.name)


def cmd_list(args) -> int:
    from dudl import catalog, resources

    rows = [e for e in catalog.EXPERIMENTS if not args.section or e.section == args.section]
    if args.gpu:
        rows = [e for e in rows if e.gpu]
    if args.ids:
        print("\n".join(e.id for e in rows))
        return 0
    params = _load_params(args)
    scale = float(params["scale"])
    left_out = resources.left_out(params)
    width = max((len(e.id) for e in rows), default=10)
    total = 0.0
    print(f"{'experiment':<{width}}  {'CPU time':>18}  {'thr':>3} {'mem_mb':>6} gpu  notebooks")
    for e in rows:
        seconds, how = resources.cpu_seconds(e, scale)
        total += seconds
        res = resources.resources_for(e, params)
        extra = f"  [data: {', '.join(e.datasets)}]" if e.datasets else ""
        extra += "  [split into sweep points]" if e.points else ""
        extra += "  [GPU-scale: left out here]" if e.id in left_out else ""
        print(f"{e.id:<{width}}  {resources.hours(seconds):>8} {how:>9}  {res['threads']:>3} {res['mem_mb']:>6} "
              f"{res['gpu']:>3}  {', '.join(e.notebooks)}{extra}")
    print(f"\n{len(rows)} experiments reproducing {sum(len(e.notebooks) for e in rows)} course notebooks; "
          f"CPU time at scale {scale:g}: {resources.hours(total)} of job time on a 2-core machine "
          f"(measured: catalog/cpu_times.csv; estimated: the catalog's cpu_minutes)", file=sys.stderr)
    return 0


def cmd_validate(args) -> int:
    _load_params(args)
    print(f"{args.params or 'params.yaml'}: valid")
    return 0


def _datasets(names, everything: bool):
    from dudl.data import registry

    if everything:
        return list(registry.DATASETS.values())
    if not names:
        raise SystemExit("name at least one dataset, or --all")
    return [registry.get(n) for n in names]


def cmd_fetch(args) -> int:
    from dudl.data import fetch

    params = _load_params(args)
    mirrors = fetch.mirror_roots([*args.mirror, *params.get("data", {}).get("mirrors", [])])
    for ds in _datasets(args.datasets, args.all):
        fetch.fetch(ds, Path(args.root), mirrors, log=lambda m: print(m, file=sys.stderr))
    return 0


def cmd_prepare(args) -> int:
    from dudl.data import prepare

    params = _load_params(args)
    for ds in _datasets(args.datasets, args.all):
        if args.params_json:  # Snakemake passes the dataset's effective block (params.yaml plus --config)
            params = {**params, "data": {**params.get("data", {}), ds.key: json.loads(args.params_json)}}
        prepare.prepare(ds, params, Path(args.root), log=lambda m: print(m, file=sys.stderr))
    return 0


def cmd_verify(args) -> int:
    from dudl.verify import verify

    return verify(Path(args.root), strict=args.strict)


def _memory_limit(args, exp, sliced) -> int:
    """The run's mem_mb as Snakemake schedules it (the catalog's, then params.yaml's `resources`), for
    dudl.memguard; none on a GPU, whose driver's host-side buffers are not what mem_mb declares."""
    from dudl import memguard, resources

    if sliced["device"] != "cpu" and resources.cuda_present():
        return 0
    params_file = Path(args.params) if args.params else Path(args.root) / "params.yaml"
    declared = P.load_yaml(params_file).get("resources") if params_file.exists() else None
    config = {"scale": sliced["scale"], "resources": declared or {}}
    return memguard.limit_mb(resources.resources_for(exp, config)["mem_mb"])


def cmd_run(args) -> int:
    from dudl import catalog, memguard, runner
    from dudl.figures import draw

    exp = catalog.get(args.experiment)
    sliced = _slice(args, exp)
    if args.seed is not None:
        from dudl.seeds import for_seed

        if args.figures or args.point:
            raise SystemExit("dudl run --seed: a run over another seed has no figures or point jobs (dudl/seeds.py)")
        exp, sliced = for_seed(exp, args.seed, sliced["seed"]), {**sliced, "seed": args.seed}
    if args.point is None:
        from dudl import resources

        warning = resources.total_warning([exp.id], float(sliced["scale"]))
        if warning:
            print(warning, file=sys.stderr)
    with memguard.bounded(_memory_limit(args, exp, sliced), exp.id,
                          hint=f"Declare more in params.yaml (resources: {{{exp.id}: {{mem_mb: N}}}}), run at a "
                               "smaller scale, or set DUDL_MEM_MB (0: no limit)."):
        result = runner.run(exp, sliced, Path(args.root), args.threads, args.point, show_progress=not args.quiet)
    if args.point is None:
        shown = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
        print(json.dumps({exp.id: shown}, indent=1))
        if args.figures:
            for path in draw(exp, sliced, Path(args.root)):
                print(path, file=sys.stderr)
    return 0


def cmd_gather(args) -> int:
    from dudl import catalog, runner

    exp = catalog.get(args.experiment)
    runner.gather(exp, _slice(args, exp), Path(args.root), args.threads)
    return 0


def cmd_figures(args) -> int:
    from dudl import catalog
    from dudl.figures import draw

    exp = catalog.get(args.experiment)
    for path in draw(exp, _slice(args, exp), Path(args.root)):
        print(path, file=sys.stderr)
    return 0


def cmd_index(args) -> int:
    from dudl import index

    params = _load_params(args)
    skipped = json.loads(args.skipped) if args.skipped else None
    paths = index.write(params, Path(args.root), skipped, Path(args.summary) if args.summary else None)
    for path in paths:
        print(path, file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from dudl import report

    print(report.write(Path(args.root)), file=sys.stderr)
    return 0


def cmd_compare(args) -> int:
    if args.metric or args.param:
        if not (args.metric and args.param):
            raise SystemExit("dudl compare: --metric and --param go together (and --by, optionally)")
        from dudl import compare

        root = Path(args.root)
        tables = [root / t for t in (args.runs or ["results/runs.csv"])]
        missing = [str(t) for t in tables if not t.exists()]
        if missing:
            raise SystemExit(f"no runs table {', '.join(missing)}: run `snakemake` (or `dudl index`) first")
        runs = compare.read_tables(tables, args.experiment, root)
        print(compare.summary(runs, args.metric, args.param, args.by).to_string(index=False))
        out = root / (args.out or compare.default_path(args.metric, args.param, args.by, args.experiment))
        out.parent.mkdir(parents=True, exist_ok=True)
        print(compare.figure(runs, args.metric, args.param, args.by, out), file=sys.stderr)
        return 0
    from dudl import index

    print(index.compare(Path(args.root), [Path(d) for d in args.results], args.section).to_string(index=False))
    return 0


def cmd_dvc_yaml(args) -> int:
    from dudl import dvcgen

    params = _load_params(args)
    text = dvcgen.render(params)
    target = Path(args.root) / "dvc.yaml"
    if args.check:
        if not target.exists() or target.read_text() != text:
            print("dvc.yaml is out of date with the catalog: run `dudl dvc-yaml --write`", file=sys.stderr)
            return 1
        print("dvc.yaml matches the catalog")
        return 0
    if args.write:
        target.write_text(text)
        print(f"wrote {target}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_code_digests(args) -> int:
    from dudl import codedeps

    for path in codedeps.write_digests(Path(args.root)):
        print(path, file=sys.stderr)
    return 0


def cmd_params_slices(args) -> int:
    from dudl import dvcgen

    written = dvcgen.write_slices(Path(args.root), _load_params(args))
    print(f"{len(written)} params slices in {dvcgen.PARAMS_DIR}", file=sys.stderr)
    return 0


def cmd_schema(args) -> int:
    text = P.schema_text()
    target = Path(args.root) / P.SCHEMA_PATH
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(f"{P.SCHEMA_PATH} is out of date with the params declarations: run `dudl schema --write`",
                  file=sys.stderr)
            return 1
        print(f"{P.SCHEMA_PATH} matches the declarations")
        return 0
    if args.write:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        print(f"wrote {target}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dudl", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="project root (holds params.yaml and workflow/); default: .")
    parser.add_argument("--params", help="params file (default: <root>/params.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a param, e.g. --set ann.classify_qwerties.lr=0.05 (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="experiments and the course notebooks they reproduce")
    p.add_argument("--section")
    p.add_argument("--ids", action="store_true", help="only the experiment ids")
    p.add_argument("--gpu", action="store_true", help="only the experiments that declare a GPU")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("validate", help="check params.yaml against workflow/schemas/params.schema.yaml")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("fetch", help="verified raw files into data/raw/<dataset>/ (present -> mirrors -> upstream)")
    p.add_argument("datasets", nargs="*")
    p.add_argument("--all", action="store_true")
    p.add_argument("--mirror", action="append", default=[], help="a mirror folder or URL, tried after $DUDL_MIRROR")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("prepare", help="raw files into data/processed/<dataset>/")
    p.add_argument("datasets", nargs="*")
    p.add_argument("--all", action="store_true")
    p.add_argument("--params-json", help="the dataset's data.<key> block as JSON (what Snakemake passes)")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("verify", help="check every file in data/raw, data/processed and every model file under "
                       "results/ against the checksum recorded for it; list each bad one and exit 1")
    p.add_argument("--strict", action="store_true", help="also fail on files with no checksum recorded")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("run", help="run one experiment, e.g. dudl run ann/classify_qwerties")
    p.add_argument("experiment")
    p.add_argument("--point", help="run only this sweep point (Snakemake's split)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--params-json", help="the experiment's params slice as JSON (what Snakemake passes)")
    p.add_argument("--figures", action="store_true", help="also draw the figures")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--seed", type=int, help="run over this seed instead of `seed`; a seed other than `seed` writes "
                                            "results/seeds/<seed>/<section>/<name>/")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("gather", help="combine an experiment's sweep points")
    p.add_argument("experiment")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--params-json")
    p.set_defaults(func=cmd_gather)

    p = sub.add_parser("figures", help="draw an experiment's figures from its results")
    p.add_argument("experiment")
    p.add_argument("--params-json")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("index", help="write results/index.csv, results/scorecard.csv (over seeds) and results/runs.csv")
    p.add_argument("--skipped", help="JSON {experiment id: reason} of experiments skipped for missing data")
    p.add_argument("--summary", help="also write the scorecard's one-line summary to this file")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("report", help="results/report.html: figures by section, the scorecard, the runs table")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", help="a metric against a param over runs, with seed bands (--metric, --param); "
                                       "or headline metrics side by side for results folders")
    p.add_argument("results", nargs="*", default=["results"])
    p.add_argument("--section")
    p.add_argument("--metric", help="e.g. accuracy (a metric.<name> column of the runs table)")
    p.add_argument("--param", help="e.g. lr (a param.<key> column), or seed")
    p.add_argument("--by", help="a third column to group by (one colour each)")
    p.add_argument("--experiment", help="only this experiment's runs, e.g. ann/classify_qwerties")
    p.add_argument("--runs", action="append", help="a runs table: results/runs.csv (default), or a file of "
                                                   "`dvc exp show --csv` (with --experiment); repeatable")
    p.add_argument("--out", help="the figure (default results/compare/<experiment>__<metric>__<param>.png)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("schema", help="the JSON schema of params.yaml, generated from the params declarations")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"write {P.SCHEMA_PATH}")
    group.add_argument("--check", action="store_true", help=f"fail when {P.SCHEMA_PATH} is out of date")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("code-digests", help=".dudl/code/<section>.{run,figures}.txt: the sha256 of each source "
                       "file a section's runs or figures depend on (what their jobs and stages depend on)")
    p.set_defaults(func=cmd_code_digests)

    p = sub.add_parser("params-slices", help=".dudl/params/<key>.json: the params.yaml values each DVC stage reads "
                       "(DVC's `params` stage writes them; the other stages depend on them)")
    p.set_defaults(func=cmd_params_slices)

    p = sub.add_parser("dvc-yaml", help="generate dvc.yaml from the catalog")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    p.set_defaults(func=cmd_dvc_yaml)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except P.ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyError, FileNotFoundError, RuntimeError, ValueError) as exc:
        from dudl.data.fetch import FetchError

        label = "fetch failed" if isinstance(exc, FetchError) else "error"
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"{label}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
