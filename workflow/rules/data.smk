# fetch: verified raw files (present -> mirrors -> upstream);  prepare: binary/tabular files experiments load.
for ds in registry.DATASETS.values():

    rule:
        name:
            f"fetch_{ds.key}"
        output:
            [str(p) for p in ds.raw_paths()],
        params:
            key=ds.key,
            mirrors=" ".join(f"--mirror {m}" for m in config.get("data", {}).get("mirrors", [])),
        log:
            f"logs/data/fetch_{ds.key}.log",
        benchmark:
            f"logs/benchmarks/data/fetch_{ds.key}.tsv"
        threads: 1
        resources:
            **resources.JOBS["fetch"],
        conda:
            CONDA_ENV
        shell:
            "dudl fetch {params.key} {params.mirrors} > {log} 2>&1"

    if ds.key in PREP.PREPARERS:

        rule:
            name:
                f"prepare_{ds.key}"
            input:
                [str(p) for p in ds.raw_paths()],
            output:
                [str(p) for p in ds.prepared_paths()],
            params:
                key=ds.key,
                block=json.dumps(PREP.params_for(ds, config), sort_keys=True),
            log:
                f"logs/data/prepare_{ds.key}.log",
            benchmark:
                f"logs/benchmarks/data/prepare_{ds.key}.tsv"
            threads: 1
            resources:
                **resources.JOBS["prepare"],
            conda:
                CONDA_ENV
            shell:
                "dudl prepare {params.key} --params-json {params.block:q} > {log} 2>&1"


rule data:
    """Every dataset with a prepare step that can be had here (mirror, upstream or already present)."""
    input:
        [
            str(p)
            for ds in registry.DATASETS.values()
            if ds.key in PREP.PREPARERS and F.unavailable_reason(ds, mirrors=MIRRORS) is None
            for p in ds.prepared_paths()
        ],
