# One run rule and one figures rule per experiment of the catalog; a sweep split into points gets one job per
# point plus a gather job (where its points are long enough to be worth a job each: resources.split_points).
# Each rule gets only its own params slice, so editing one experiment's params reruns that experiment alone.
# A run over another seed than `seed` (params `seeds`, the `repro` target) is a job of the seed rules at the end
# of this file, writing results/seeds/<seed>/ (dudl/seeds.py); it is never split into points.
# JOB: per experiment, once, its code and data inputs, its params slice and its resources (the seed rules below
# look them up too).
JOB = {}
for exp in RUNNABLE:
    res = JOB[exp.id] = dict(
        inputs=dvcgen.experiment_inputs(exp, exp.datasets_for(config, CAN_HAVE)),
        sliced=json.dumps(P.experiment_slice(config, exp.section, exp.name), sort_keys=True),
        **experiment_resources(exp),
    )
    inputs, sliced = res["inputs"], res["sliced"]
    # gpu only where declared: `--resources gpu=1` then lets one such job at a time hold the GPU, and the SLURM
    # executor turns it into `--gpus=1`.
    extra = {"gpu": res["gpu"]} if res["gpu"] else {}
    labels = [catalog.point_label(v) for v in resources.split_points(exp, config)]

    if labels:

        rule:
            name:
                f"{exp.slug}__point"
            input:
                inputs,
            output:
                [str(exp.out_dir / "points" / "{point}" / p.name) for p in exp.point_outputs()],
            wildcard_constraints:
                point="|".join(labels).replace(".", r"\."),
            params:
                id=exp.id,
                sliced=sliced,
            log:
                f"logs/{exp.section}/{exp.name}/point_{{point}}.log",
            benchmark:
                f"logs/benchmarks/{exp.section}/{exp.name}/point_{{point}}.tsv"
            threads: res["threads"]
            conda:
                CONDA_ENV
            resources:
                mem_mb=res["mem_mb"],
                runtime=res["runtime"],
                **extra,
            shell:
                "dudl run {params.id} --point {wildcards.point} --params-json {params.sliced:q} "
                "--threads {threads} > {log} 2>&1"

    rule:
        name:
            exp.slug
        input:
            inputs + [str(exp.point_dir(v) / "metrics.json") for v in labels],
        output:
            [str(p) for p in exp.run_outputs()],
        params:
            id=exp.id,
            sliced=sliced,
            command="gather" if labels else "run",
        log:
            f"logs/{exp.section}/{exp.name}/run.log",
        benchmark:
            f"logs/benchmarks/{exp.section}/{exp.name}/run.tsv"
        threads: res["threads"]
        conda:
            CONDA_ENV
        resources:
            mem_mb=res["mem_mb"],
            runtime=res["runtime"],
            **extra,
        shell:
            "dudl {params.command} {params.id} --params-json {params.sliced:q} --threads {threads} > {log} 2>&1"

    rule:
        name:
            f"{exp.slug}__figures"
        input:
            dvcgen.figure_inputs(exp),
        output:
            report(
                directory(str(exp.figure_dir)),
                patterns=["{figure}.png"],
                caption="../report/figure.rst",
                category=catalog.SECTIONS[exp.section],
                subcategory=exp.name,
                labels={"experiment": exp.name, "figure": "{figure}"},
            ),
        params:
            id=exp.id,
            sliced=sliced,
            captions=dict(exp.figures),
            notebooks=", ".join(exp.notebooks) or "none (beyond the course)",
        log:
            f"logs/{exp.section}/{exp.name}/figures.log",
        benchmark:
            f"logs/benchmarks/{exp.section}/{exp.name}/figures.tsv"
        threads: 1
        resources:
            **resources.JOBS["figures"],
        conda:
            CONDA_ENV
        shell:
            "dudl figures {params.id} --params-json {params.sliced:q} > {log} 2>&1"


# Runs over other seeds: one rule per shape of outputs (a dozen), not one per experiment, since every extra rule
# costs each `snakemake` call its parse time. Wildcards: {seed} and {exp} (section/name); what differs between
# the experiments of a rule (code and data inputs, params slice, resources) is looked up by {exp} in JOB.
SEED_SHAPES = {}
for exp in RUNNABLE:
    names = [p.name for p in exp.run_outputs()]
    shape = "_".join(Path(n).stem for n in names) + ("_gpu" if JOB[exp.id]["gpu"] else "")
    SEED_SHAPES.setdefault(shape, (names, []))[1].append(exp)

for shape, (names, exps) in SEED_SHAPES.items():

    rule:
        name:
            f"seed_run__{shape}"
        input:
            lambda wc: JOB[wc.exp]["inputs"],
        output:
            [f"{seeds.SEEDS_DIR}/{{seed}}/{{exp}}/{name}" for name in names],
        wildcard_constraints:
            seed=r"\d+",
            exp="|".join(e.id for e in exps),
        params:
            sliced=lambda wc: JOB[wc.exp]["sliced"],
        log:
            "logs/seeds/{seed}/{exp}.log",
        benchmark:
            "logs/benchmarks/seeds/{seed}/{exp}.tsv"
        threads: lambda wc: JOB[wc.exp]["threads"]
        conda:
            CONDA_ENV
        resources:
            mem_mb=lambda wc: JOB[wc.exp]["mem_mb"],
            runtime=lambda wc: JOB[wc.exp]["runtime"],
            # gpu only for the shapes of experiments that declare one, as the rules above
            **({"gpu": lambda wc: JOB[wc.exp]["gpu"]} if shape.endswith("_gpu") else {}),
        shell:
            "dudl run {wildcards.exp} --seed {wildcards.seed} --quiet --params-json {params.sliced:q} "
            "--threads {threads} > {log} 2>&1"
