# dudl: the course "A Deep Understanding of Deep Learning" as one reproducible pipeline.
# Thin on purpose: config, schema validation, includes. Rules are generated from the experiment catalog
# (src/dudl/catalog), the same list that generates dvc.yaml.
from snakemake.utils import min_version, validate

min_version("8.20")


configfile: "params.yaml"


validate(config, "workflow/schemas/params.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.index.output,
        [str(p) for ds in PIPELINE_DATASETS for p in ds.prepared_paths()],
