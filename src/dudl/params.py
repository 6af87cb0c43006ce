"""params.yaml: loading, schema validation, per-experiment slices, the scale knob and derived seeds.

Torch-free on purpose: the Snakefile, `dudl list` and the figure jobs import this module, and
importing torch costs about two seconds per process.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import yaml

SCHEMA_PATH = Path("workflow") / "schemas" / "params.schema.json"  # GENERATED (`dudl schema --write`), for editors
TOP_LEVEL_KEYS = ("seed", "scale", "device", "precision", "fast_kernels")  # what every experiment reads besides its own block


class ParamsError(ValueError):
    """params.yaml is missing, unreadable or breaks the schema; the message names every bad key path."""


# libyaml's parser where PyYAML was built with it: the same constructor and values, ten times faster on our
# 1,100-line params.yaml, which every job reads.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except FileNotFoundError as exc:
        raise ParamsError(f"{path}: no such file (run from the project root or pass --params)") from exc
    except yaml.YAMLError as exc:
        raise ParamsError(yaml_error(path, exc)) from exc
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    return data


def check_yaml(path: Path) -> None:
    """For the Snakefile, before its `configfile:` reads `path`: a syntax error with its line and column, which
    Snakemake's own loader does not give ("not valid JSON or YAML"). A missing file is left to Snakemake."""
    if path.exists():
        load_yaml(path)


def yaml_error(path: Path | str, exc: yaml.YAMLError) -> str:
    """'params.yaml, line 12, column 9: not valid YAML: <what>', then the line with a caret under the column."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return f"{path}: not valid YAML: {exc}"
    what = exc.problem or str(exc)
    if exc.context:  # e.g. "while parsing a flow sequence", and where that starts
        start = exc.context_mark
        where = f" that starts at line {start.line + 1}, column {start.column + 1}" if start else ""
        what += f" ({exc.context}{where})"
    try:
        line = Path(path).read_text(encoding="utf-8").splitlines()[mark.line]
    except (OSError, IndexError):
        line = None
    shown = f"\n    {line}\n    {' ' * mark.column}^" if line is not None else ""
    return f"{path}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {what}{shown}"


def schema_for(root: Path | None = None) -> dict:
    """The JSON schema of params.yaml, generated from the params declarations (dudl.paramspec and each catalog
    entry's `params`). `root` is accepted for callers that name a project; the schema is the code's."""
    return copy.deepcopy(_generated_schema())


@functools.lru_cache(maxsize=1)
def _generated_schema() -> dict:
    """Generating it from the pydantic declarations takes about half a second, on every `snakemake` call: it is
    kept in dudl.stampcache, keyed by every source file the declarations come from."""
    from dudl.stampcache import StampCache

    cache = StampCache("params-schema")
    schema = cache.get("schema", _declaration_files(), _schema_from_declarations)
    cache.save()
    return schema


@functools.lru_cache(maxsize=1)
def _declaration_files() -> tuple[Path, ...]:
    """The source files the params declarations come from: what the schema, and so a validation, depends on."""
    from dudl import catalog, codedeps

    declared = codedeps.closure(("dudl.paramspec", "dudl.catalog", *(f"dudl.catalog.{s}" for s in catalog.SECTIONS)))
    return tuple(codedeps.files(declared, codedeps.SRC.parent))


def _schema_errors_of(params: Mapping) -> list[str]:
    """schema_errors against the generated schema, remembered for the last params seen (dudl.stampcache, keyed by
    the params' sha256 and the declarations' stamps): every `snakemake` call and every `dudl` command validates the
    same params.yaml, and jsonschema's import and walk take about 0.2 s of each."""
    import json

    from dudl.stampcache import StampCache

    text = json.dumps(params, sort_keys=True, default=repr)
    key = hashlib.sha256(text.encode()).hexdigest()
    cache = StampCache("params-validation")
    if key not in cache.entries:
        cache.entries.clear()  # one entry: the params a project validates again and again
    errors = cache.get(key, _declaration_files(), lambda: schema_errors(params, schema_for()))
    cache.save()
    return list(errors)  # the caller extends it: not the cached list


def _schema_from_declarations() -> dict:
    from dudl import catalog, paramspec

    sections: dict[str, dict] = {}
    for exp in catalog.EXPERIMENTS:
        if exp.params is None:
            raise ParamsError(f"{exp.id} declares no params (catalog entry: params=...)")
        sections.setdefault(exp.section, {})[exp.name] = exp.params
    return paramspec.schema(sections, [e.id for e in catalog.EXPERIMENTS])


def schema_text() -> str:
    """The generated schema as the text of workflow/schemas/params.schema.json."""
    import json

    return json.dumps(schema_for(), indent=1, sort_keys=False) + "\n"


def key_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts) or "<top level>"


def schema_errors(params: Mapping, schema: Mapping) -> list[str]:
    """Every schema violation as 'key.path: message', sorted by key path."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for err in validator.iter_errors(params):
        if err.validator in ("anyOf", "oneOf") and err.context:
            # "not valid under any of the given schemas" says little: report the alternative of the value's own
            # shape that came closest (a list item out of range, say), not "is not of type 'object'".
            shaped = [e for e in err.context if e.validator not in ("type", "required", "additionalProperties")]
            err = (max(shaped, key=lambda e: len(e.absolute_path)) if shaped
                   else jsonschema.exceptions.best_match(err.context))
        path = list(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - allowed):
                hint = _closest(extra, allowed)
                messages.append(f"{key_path(path + [extra])}: unknown key{hint}")
            continue
        messages.append(f"{key_path(path)}: {err.message}")
    return sorted(set(messages))


def _closest(word: str, candidates: Iterable[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, sorted(candidates), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


def retype_overrides(config: dict, overrides: Mapping) -> None:
    """Snakemake reads the inside of a `--config key=[..]` or `key={..}` value with YAML's BaseLoader, which
    leaves every number a string (`seeds=[17,40]` -> ["17", "40"]). Read those leaves as YAML, as the top-level
    value itself and `dvc exp run -S` are read, so a list of seeds on the command line means numbers."""

    def retyped(value: Any) -> Any:
        if isinstance(value, list):
            return [retyped(v) for v in value]
        if isinstance(value, dict):
            return {k: retyped(v) for k, v in value.items()}
        return yaml.safe_load(value) if isinstance(value, str) else value

    def walk(node: dict, given: Mapping) -> None:
        for key, value in given.items():
            if isinstance(value, Mapping) and isinstance(node.get(key), dict):
                walk(node[key], value)
            elif isinstance(value, (list, dict)):
                node[key] = retyped(value)

    walk(config, overrides)


def device_errors(params: Mapping) -> list[str]:
    """`device: cuda` (cuda:N, mps) on a machine without one: refused here, before any job runs, not by the first
    job that reaches the device. torch is imported only for such a value: it costs about two seconds, which every
    `snakemake` call would otherwise pay for `auto` and `cpu` too."""
    device = params.get("device")
    if not isinstance(device, str) or device in ("auto", "cpu"):
        return []
    import torch

    if device == "mps":
        if torch.backends.mps.is_available():
            return []
        return ["device: 'mps' but this machine has no MPS device; use auto or cpu"]
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if int(device.partition(":")[2] or 0) < count:
        return []
    have = f"only {count} CUDA device(s)" if count else "no CUDA device (torch.cuda.is_available() is False)"
    return [f"device: '{device}' but this machine has {have}; use auto (CUDA where present) or cpu"]


def empty_grid_errors(node: Any, path: Sequence[Any] = ()) -> list[str]:
    """Every {start, stop, step} grid (np.arange) that holds no value, with its key path: a JSON schema cannot
    compare two fields, so the schema accepts {start: 5, stop: 1, step: 1}, and the sweep would run nothing and
    then fail, or draw empty figures, only after the jobs before it had run."""
    if isinstance(node, Mapping):
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in node.values())
        if set(node) == {"start", "stop", "step"} and numbers:
            start, stop, step = node["start"], node["stop"], node["step"]
            if step > 0 and len(np.arange(start, stop, step)) == 0:
                return [f"{key_path(path)}: np.arange({start}, {stop}, {step}) is empty "
                        "(stop is excluded and must be above start)"]
            return []
        return [e for key, value in node.items() for e in empty_grid_errors(value, [*path, key])]
    if isinstance(node, list):
        return [e for i, value in enumerate(node) for e in empty_grid_errors(value, [*path, i])]
    return []


def validate(params: Mapping, root: Path, source: str = "params.yaml") -> None:
    errors = _schema_errors_of(params)
    if not any(e.startswith("device:") for e in errors):  # a value the schema accepts, checked against the machine
        errors += device_errors(params)
    errors += empty_grid_errors(params)
    if errors:
        listing = "\n  ".join(errors)
        raise ParamsError(f"{source} is invalid ({len(errors)} problem(s)):\n  {listing}")


def set_key(params: dict, dotted: str, value: Any) -> None:
    """Apply one `key.path=value` override (the value parsed as YAML, like `dvc exp run -S`)."""
    node = params
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            raise ParamsError(f"{dotted}: '{part}' is not a mapping in params.yaml")
        node = node[part]
    try:
        node[parts[-1]] = yaml.safe_load(value) if isinstance(value, str) else value
    except yaml.YAMLError as exc:
        raise ParamsError(f"{dotted}={value}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc


def load(root: Path = Path("."), path: Path | None = None, overrides: Sequence[str] = ()) -> dict:
    """Read params.yaml (plus `key=value` overrides) and validate it against the schema."""
    path = path or root / "params.yaml"
    params = load_yaml(path)
    for item in overrides:
        if "=" not in item:
            raise ParamsError(f"override '{item}' must look like key.path=value")
        key, value = item.split("=", 1)
        set_key(params, key.strip(), value)
    validate(params, root, source=str(path))
    return params


def experiment_keys(section: str, name: str) -> list[str]:
    """The params.yaml keys one experiment reads: what DVC lists under the stage's `params`."""
    return [*TOP_LEVEL_KEYS, f"{section}.{name}"]


def experiment_slice(params: Mapping, section: str, name: str) -> dict:
    """Only what one experiment reads, so that Snakemake reruns it when, and only when, this changes."""
    try:
        own = params[section][name]
    except KeyError as exc:
        raise ParamsError(f"params.yaml has no block {section}.{name}") from exc
    sliced = {key: params[key] for key in TOP_LEVEL_KEYS}
    sliced["experiment"] = copy.deepcopy(own)
    return sliced


def derive_seed(base: int, *keys: Any) -> int:
    """A stable 31-bit seed from the top-level seed and a path of names (independent of run order)."""
    text = "/".join([str(base), *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class Scale:
    """The `scale` knob: 1.0 is the course's settings; smaller shrinks epochs, counts, grids and repetitions.

    Categorical sweeps (optimizers, activation functions) are never shrunk: they are the experiment.
    """

    factor: float = 1.0

    @property
    def full(self) -> bool:
        return self.factor >= 1.0

    def epochs(self, n: int, minimum: int = 2) -> int:
        return n if self.full else max(min(minimum, n), math.ceil(n * self.factor))

    def count(self, n: int, minimum: int = 1) -> int:
        return n if self.full else max(min(minimum, n), math.ceil(n * self.factor))

    def reps(self, n: int, minimum: int = 2) -> int:
        return self.count(n, minimum)

    def grid(self, values: Sequence, minimum: int = 3) -> list:
        """Evenly spaced points of a numeric grid, first and last always kept."""
        values = list(values)
        k = len(values) if self.full else max(min(minimum, len(values)), math.ceil(len(values) * self.factor))
        if k >= len(values):
            return values
        if k == 1:
            return [values[0]]
        picks = sorted({round(i * (len(values) - 1) / (k - 1)) for i in range(k)})
        return [values[i] for i in picks]


def grid(spec: Any, scale: Scale | None = None, minimum: int = 3) -> list:
    """A sweep grid from params: a list, {start, stop, num} (linspace), {start, stop, step} (arange, stop
    excluded, like np.arange) or {start, stop, num, log: true} (logspace over the exponents given by start/stop
    as plain values, like np.logspace(np.log10(start), np.log10(stop), num)). `scale` thins numeric grids."""
    if isinstance(spec, Mapping):
        if "step" in spec:
            values = np.arange(spec["start"], spec["stop"], spec["step"])
        elif spec.get("log"):
            values = np.logspace(np.log10(spec["start"]), np.log10(spec["stop"]), int(spec["num"]))
        else:
            values = np.linspace(spec["start"], spec["stop"], int(spec["num"]))
        values = [v.item() for v in values]
    else:
        values = list(spec)
    return scale.grid(values, minimum) if scale is not None else values
