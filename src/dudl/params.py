"""params.yaml: loading, schema validation, per-experiment slices, the scale knob and derived seeds.

Torch-free on purpose: the Snakefile, `dudl list` and the figure jobs import this module, and
importing torch costs about two seconds per process.
"""

from __future__ import annotations

import copy
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

SCHEMA_PATH = Path("workflow") / "schemas" / "params.schema.yaml"
TOP_LEVEL_KEYS = ("seed", "scale", "device")


class ParamsError(ValueError):
    """params.yaml is missing, unreadable or breaks the schema; the message names every bad key path."""


def load_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ParamsError(f"{path}: no such file (run from the project root or pass --params)") from exc
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    return data


def schema_for(root: Path) -> dict:
    return load_yaml(root / SCHEMA_PATH)


def key_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts) or "<top level>"


def schema_errors(params: Mapping, schema: Mapping) -> list[str]:
    """Every schema violation as 'key.path: message', sorted by key path."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for err in validator.iter_errors(params):
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


def validate(params: Mapping, root: Path, source: str = "params.yaml") -> None:
    errors = schema_errors(params, schema_for(root))
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
    node[parts[-1]] = yaml.safe_load(value) if isinstance(value, str) else value


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
