"""Params declared once, in typed code: the building blocks every experiment's params class uses, and the JSON
schema of the whole params.yaml generated from them.

Each experiment declares its params as a `Block` subclass beside its catalog entry (src/dudl/catalog/<section>.py,
`Experiment(..., params=...)`); the top-level keys, `data` and `resources` are declared here. The values live only
in params.yaml, the file users edit (with its comments): a declaration carries types, bounds and meaning, never a
second copy of the course's numbers. `schema()` turns the declarations into the JSON schema that the Snakefile
and every `dudl` command validate against (dudl.params.validate), and `dudl schema --write` writes it to
workflow/schemas/params.schema.json for editors; a test fails when that file drifts.

Torch-free: the Snakefile imports it at parse time.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model


class Block(BaseModel):
    """A closed mapping of params.yaml: an unknown key is an error, not a silently ignored knob. Every field is
    required (no defaults): params.yaml holds every value, once."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


def unique(**kwargs) -> Any:
    """Field(...) for a list whose items must differ (a sweep that names a value twice is a typo)."""
    return Field(json_schema_extra={"uniqueItems": True}, **kwargs)


# ---------------------------------------------------------------- bounds
# Generous maxima, declared once: the types below carry them into every experiment's declaration, so a typo (an
# extra zero or three, a seed pasted where a size goes) is refused with its key path before any job runs, instead
# of filling the memory or running for weeks. Each sits far above the course's largest value of its kind (at
# scale 1.0) and near what one machine can hold at all; where a real experiment ever needs more, raise it here.

MAX_EPOCHS = 1_000_000      # epochs, iterations or steps: 20x the course's most (GAN_MNIST's 50,000 steps)
MAX_UNITS = 100_000         # a layer's width, hidden units, channels, an embedding: 100x the widest here (784, the
#                             MNIST pixels); a 100,000 x 100,000 Linear alone holds 40 GB of fp32 weights
MAX_DEPTH = 1_000           # layers of one net (breadth vs depth, stacked RNNs): ResNet-1001's depth
MAX_BATCH = 250_000         # a batch: more samples than the largest dataset has (CelebA, 202,599 images)
MAX_SAMPLES = 1_000_000     # points per cluster or class, synthetic images, rows: 250x the course's most (the
#                             sample-size sweeps' 4,000 digits), 16x MNIST's training set
MAX_IMAGE_SIZE = 4_096      # pixels a side: 16x the course's largest (style transfer's 256); one VGG activation
#                             of 64 channels at 4,096 x 4,096 is already 4 GiB
MAX_COUNT = 10_000_000      # anything else counted: repetitions, bins, draws, grid points, ...


# ---------------------------------------------------------------- numbers

Lr = Annotated[float, Field(gt=0, description="learning rate (> 0)")]
Epochs = Annotated[int, Field(ge=1, le=MAX_EPOCHS, description="training epochs (or iterations) at scale 1.0")]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
Units = Annotated[int, Field(ge=1, le=MAX_UNITS)]  # a layer's units, channels, an embedding's size
Depth = Annotated[int, Field(ge=1, le=MAX_DEPTH)]  # layers of a net
BatchSize = Annotated[int, Field(ge=1, le=MAX_BATCH)]
Samples = Annotated[int, Field(ge=1, le=MAX_SAMPLES)]  # points, images, rows
ImageSize = Annotated[int, Field(ge=1, le=MAX_IMAGE_SIZE)]  # pixels a side
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
Proportion = Annotated[float, Field(gt=0, lt=1, description="a proportion strictly between 0 and 1")]
DropoutRate = Annotated[float, Field(ge=0, lt=1)]
Seed = Annotated[int, Field(ge=0)]
Layers = Annotated[list[Units], Field(min_length=2, description="layer sizes, input first, output last")]
Vector = Annotated[list[float], Field(min_length=1)]
Matrix = Annotated[list[Vector], Field(min_length=1)]


def pair_of(item: Any) -> Any:
    """Exactly two `item`s: [low, high], [rows, columns], (c1, c2)."""
    return Annotated[list[item], Field(min_length=2, max_length=2)]


Pair = pair_of(float)

OPTIMIZERS = Literal["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]
ACTIVATIONS = Literal["relu", "relu6", "leakyrelu", "tanh", "sigmoid", "elu", "gelu", "ReLU", "ReLU6", "LeakyReLU",
                      "Tanh", "Sigmoid", "ELU", "GELU"]


# ---------------------------------------------------------------- sweep grids


class Linspace(Block):
    """np.linspace(start, stop, num)."""

    start: float
    stop: float
    num: Count


class Arange(Block):
    """np.arange(start, stop, step): stop excluded."""

    start: float
    stop: float
    step: Positive


class Logspace(Block):
    """np.logspace(log10(start), log10(stop), num): start and stop as plain values."""

    start: Positive
    stop: Positive
    num: Count
    log: Literal[True]


Grid = Union[Vector, Linspace, Arange, Logspace]

_GRIDS: dict[str, Any] = {}


def sweep_of(item: Any) -> Any:
    """A sweep's list of values, each an `item`: one at least, for an empty sweep runs nothing and then fails
    (or draws empty figures) only after the jobs before it have run."""
    return Annotated[list[item], Field(min_length=1)]


def linspace_of(item: Any, name: str) -> Any:
    """np.linspace(start, stop, num) whose ends are `item`s (e.g. linspace_of(Units, "Units"))."""
    key = f"{name}Linspace"
    if key not in _GRIDS:
        _GRIDS[key] = create_model(key, __base__=Block, __doc__=f"np.linspace over {name} values",
                                   start=(item, ...), stop=(item, ...), num=(Count, ...))
    return _GRIDS[key]


def grid_of(item: Any, name: str, log: bool = False, arange: bool = False) -> Any:
    """A sweep grid whose every value is an `item` (e.g. grid_of(Lr, "Lr", log=True)): a list of them, or a
    linspace whose ends are, with `arange` an arange whose ends are (stop excluded), and with `log` (positive
    items only) a logspace. Used where a bad value must be refused before any job runs."""
    key = f"{name}:{log}:{arange}"
    if key not in _GRIDS:
        options = [sweep_of(item), linspace_of(item, name)]
        if arange:
            options.append(create_model(f"{name}Arange", __base__=Block, __doc__=f"np.arange over {name} values",
                                        start=(item, ...), stop=(item, ...), step=(Positive, ...)))
        if log:
            options.append(Logspace)
        _GRIDS[key] = Union[tuple(options)]
    return _GRIDS[key]


# ---------------------------------------------------------------- synthetic data shared by several sections


class Qwerties(Block):
    """Gaussian clouds ("qwerties"): one per center, n_per_cluster points each, spread `blur`."""

    centers: Annotated[list[Pair], Field(min_length=2)]
    n_per_cluster: Samples
    blur: NonNegative


class Doughnuts(Block):
    """Two rings of points ("doughnut qwerties") at the given radii."""

    n_per_cluster: Samples
    radii: Annotated[list[Positive], Field(min_length=2, max_length=2)]


# ---------------------------------------------------------------- top level, data and resources


class MnistSubset(Block):
    """The stand-in for Colab's mnist_train_small.csv: a fixed random subset of the training set."""

    size: Annotated[int, Field(ge=1, le=60000)]
    seed: Seed


class Data(Block):
    mirrors: list[str] = Field(description="folders or URLs laid out like ../shared/datasets")
    mnist: MnistSubset


class Repro(Block):
    """The `repro` target: every experiment with a course reference, over several seeds (dudl.seeds)."""

    seeds: Count = Field(description="seeds per experiment: seed, seed+1, ...")
    long_seeds: Count = Field(description="seeds for an experiment whose run is estimated at over long_above_s")
    long_above_s: Annotated[float, Field(ge=0)] = Field(description="seconds of CPU time, at the run's scale")


class Resources(Block):
    """Overrides of an experiment's scheduling declaration (catalog): Snakemake threads/resources, SLURM requests."""

    threads: Count | None = None
    mem_mb: Count | None = None
    runtime: Count | None = Field(None, description="minutes")
    gpu: Literal[0, 1] | None = None


DEVICE_PATTERN = "^(auto|cpu|cuda(:[0-9]+)?|mps)$"
PRECISIONS = ("fp32", "bf16", "fp16")


def top_level_fields() -> dict[str, Any]:
    """The keys every experiment shares (seed, scale, device, precision) and the pipeline-wide ones."""
    return {
        "seed": (Seed, Field(description="every run's seed derives from this and the run's name")),
        "scale": (Annotated[float, Field(gt=0, le=1)], Field(description="1.0 = the course's settings")),
        "device": (Annotated[str, Field(pattern=DEVICE_PATTERN)], Field(
            description="auto: CUDA for experiments that declare a GPU, when one is present; else the CPU")),
        "precision": (Literal[PRECISIONS], Field(
            description="fp32 (faithful, the default) | bf16 (autocast; CPU or CUDA) | fp16 (autocast, CUDA only)")),
        "fast_kernels": (bool, Field(
            description="channels_last convolutions and fused optimizer steps: faster, the same math, numbers "
                        "equal to the default's only up to float rounding (opt-in)")),
        "gpu_scale_on_cpu": (bool, Field(
            description="run experiments estimated at over 2 hours on a CPU even without CUDA")),
        "split_sweeps_above_s": (Annotated[float, Field(ge=0)], Field(
            description="Snakemake runs a sweep as one job a point where a point is estimated at more than this "
                        "many seconds at this scale; 0 splits every sweep (the numbers are the same either way)")),
        "seeds": (Annotated[list[Seed], Field(min_length=1)], Field(
            description="the seeds every experiment runs over; `seed` is the main run (with figures), each other "
                        "one a run of its own under results/seeds/<seed>/")),
        "repro": (Repro, ...),
        "data": (Data, ...),
    }


def schema(sections: dict[str, dict[str, type[Block]]], experiment_ids: list[str]) -> dict:
    """The JSON schema of params.yaml: top-level keys, data, resources, and one closed block per section holding
    one block per experiment, each generated from its declaration."""
    fields = top_level_fields()
    fields["resources"] = (dict[str, Resources] | None, Field(None, description=(
        "scheduling overrides keyed by section or experiment id, e.g. {ann: {mem_mb: 4000}, "
        "'cnn/cnn4mnist': {threads: 2}}")))
    for section, experiments in sections.items():
        model = create_model(f"Section_{section}", __base__=Block,
                             **{name: (cls, ...) for name, cls in experiments.items()})
        fields[section] = (model, ...)
    root = create_model("Params", __base__=Block, __doc__="dudl params.yaml", **fields)
    doc = root.model_json_schema()
    doc = _strip_titles(doc)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "dudl params.yaml (GENERATED from the declarations in src/dudl: `dudl schema --write`)"
    keys = sorted({*sections, *experiment_ids})
    doc["properties"]["resources"] = {
        "description": fields["resources"][1].description,
        "type": "object",
        "propertyNames": {"enum": keys},
        "additionalProperties": {"$ref": "#/$defs/Resources"},
    }
    return doc


def _strip_titles(node: Any) -> Any:
    """Pydantic titles every field; they only repeat the key. Drop them, but keep a property named 'title'."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue
            if key in ("properties", "$defs"):
                out[key] = {k: _strip_titles(v) for k, v in value.items()}
            else:
                out[key] = _strip_titles(value)
        return out
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


def declared_keys(cls: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key path a declaration names, nested blocks included (a grid or list is one key: its inside is
    its type's business), for the test that params.yaml has exactly these."""
    keys = set()
    for name, info in cls.model_fields.items():
        path = f"{prefix}{name}"
        keys.add(path)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, Block):
            keys |= declared_keys(annotation, path + ".")
    return keys
