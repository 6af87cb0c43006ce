# dudl: the course "A Deep Understanding of Deep Learning" as one reproducible pipeline.
# Thin on purpose: config, schema validation, includes. Rules are generated from the experiment catalog
# (src/dudl/catalog), the same list that generates dvc.yaml.
from pathlib import Path

from snakemake.utils import min_version

from dudl import params as P
from dudl import resources as R
from dudl.snakemake_fixes import fast_configfile_loader, keep_one_reevaluation_timer

min_version("8.20")
# Snakemake's job-rate limiter piles up scheduler wake-up timers, one more per finished job (upstream bug): keep one.
keep_one_reevaluation_timer()
# `configfile:` parses YAML in pure Python (0.17 s a call): the same parse with libyaml, where nothing is templated.
fast_configfile_loader()

# A syntax error in params.yaml, with its line and column (Snakemake's loader below would name neither).
P.check_yaml(Path("params.yaml"))


configfile: "params.yaml"


P.retype_overrides(config, workflow.config_settings.overwrite_config or {})
# The schema check every `dudl` command runs too: a bad key is refused here, with its key path, before any job.
P.validate(config, Path(workflow.basedir), source="params.yaml (with any --config overrides)")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.index.output,
        rules.report_html.output,
        [str(p) for ds in PIPELINE_DATASETS for p in ds.prepared_paths()],


# Every job declares its memory and time: a scheduler reserves them, and tests hold jobs to them.
if R.undeclared(workflow.rules):
    raise ValueError(f"rules without {' and '.join(R.DECLARED)}: {', '.join(R.undeclared(workflow.rules))}")
