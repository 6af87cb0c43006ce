# Shared values for the rules, computed once at parse time from the catalog and the (validated) config.
import json
import sys
from pathlib import Path

from dudl import catalog, codedeps, dvcgen, index, resources, seeds
from dudl import params as P
from dudl.data import fetch as F
from dudl.data import prepare as PREP
from dudl.data import registry

SCALE = P.Scale(float(config["scale"]))
MIRRORS = F.mirror_roots(config.get("data", {}).get("mirrors", []))

# Experiments whose data can be had from nowhere (offline, no mirror), and GPU-scale experiments without CUDA,
# leave the DAG; results/index.csv and this warning say which, why, and how to get them back.
SKIPPED = index.skipped_experiments(config)
# An experiment whose datasets depend on params (style transfer's weight source `auto`) reads what can be had.
_REASON = index.unavailable(config)
CAN_HAVE = lambda key: _REASON(key) is None
RUNNABLE = [e for e in catalog.EXPERIMENTS if e.id not in SKIPPED]
for _id, _why in SKIPPED.items():
    print(f"dudl: skipping {_id}: {_why}", file=sys.stderr)

# Each job's code is its section's digest (dudl.codedeps), written here, before the rules that read it.
codedeps.write_digests(Path("."))

PIPELINE_DATASETS = [
    ds
    for ds in dvcgen.pipeline_datasets()
    if F.unavailable_reason(ds, mirrors=MIRRORS) is None
]


# Runs over seeds besides `seed`: params `seeds` (part of every run), and the `repro` target's (every experiment
# with a course reference, repro.seeds seeds each; fewer for long ones).
SEED_RUNS = [str(seeds.seeded(e, s).out_dir / "metrics.json") for e in RUNNABLE for s in seeds.extra_seeds(config)]
REPRO_RUNS = [str(seeds.seeded(e, s).out_dir / "metrics.json")
              for e in seeds.repro_experiments(RUNNABLE) for s in seeds.repro_seeds(e, config)]


def experiment_resources(exp):
    """threads, mem_mb, runtime, gpu: the catalog's declaration with params.yaml's `resources` overrides."""
    return resources.resources_for(exp, config)


CONDA_ENV = "../envs/dudl.yaml"  # relative to workflow/rules/


onstart:
    # Before a long run starts, say so (job-seconds of the experiments this run will execute, at this scale).
    # An experiment's run rule is named by its slug; its point rules add a suffix, and never run without it.
    _by_slug = {e.slug: e.id for e in catalog.EXPERIMENTS}
    try:
        _ids = sorted({_by_slug[job.rule.name] for job in workflow.dag.needrun_jobs() if job.rule.name in _by_slug})
    except Exception:  # Snakemake internals differ across versions: the warning is a courtesy, never a failure
        _ids = []
    _msg = resources.total_warning(_ids, SCALE.factor, workflow.cores or 1) if _ids else None
    if _msg:
        print(_msg, file=sys.stderr)
