"""Configurations: a mapping from active decision paths to values.

The canonical form keeps only active decisions, fills defaults, uses each domain's own
representative of a value and orders keys as the decision list does; its hash therefore names
one architecture (plus training settings) whatever inactive values were given.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any, Mapping

from ..errors import ConfigError
from .decisions import Decision, DecisionList, decisions_of
from .space import Space


def _json_value(v: Any) -> Any:
    """numpy scalars (pymoo, Keras Tuner) -> plain Python."""
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict, str)):
        v = v.item()
    return v


def canonical(space: Space, values: Mapping[str, Any] | None = None, *,
              strict: bool = False) -> dict[str, Any]:
    """Validate `values` against the space and return its canonical configuration.

    Unknown paths and out-of-domain values are errors; values for inactive decisions are
    dropped (or, with strict=True, reported)."""
    values = {k: _json_value(v) for k, v in dict(values or {}).items()}
    dl = decisions_of(space)
    known = dl.by_path()
    problems = []
    for path in values:
        if path not in known:
            from ..blocks.base import suggest

            problems.append(ConfigError(f"unknown decision '{path}'" + suggest(path, known),
                                        hint="`archspace show FILE` lists every decision"))
    out: dict[str, Any] = {}
    for d in dl.decisions:
        if not d.active(out):
            if strict and d.path in values:
                problems.append(ConfigError(f"decision '{d.path}' is inactive here "
                                            f"(active when {d.when_str()})"))
            continue
        v = values.get(d.path, d.default)
        if not d.contains(v):
            problems.append(ConfigError(f"{d.path} = {v!r} is outside its domain {d.domain_str()}"))
            v = d.default
        out[d.path] = d.normalize(v)
    if problems:
        from ..errors import ArchErrors

        raise ArchErrors(problems) if len(problems) > 1 else problems[0]
    return out


def default_config(space: Space) -> dict[str, Any]:
    return canonical(space, {})


def sample_config(space: Space, seed: int | random.Random | None = None) -> dict[str, Any]:
    """A uniformly random configuration (log-uniform for log floats), active decisions only."""
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    out: dict[str, Any] = {}
    for d in decisions_of(space).decisions:
        if d.active(out):
            out[d.path] = sample_value(d, rng)
    return out


def sample_value(d: Decision, rng: random.Random) -> Any:
    if d.kind == "int":  # without listing the domain: it may be large
        return rng.randrange(int(d.lo), int(d.hi) + 1, int(d.step or 1))
    if d.kind == "float" and d.step:
        return d.normalize(d.lo + rng.randrange(d.size or 1) * d.step)
    vals = d.domain_values()
    if vals is not None:
        return rng.choice(vals)
    if d.log:
        return float(math.exp(rng.uniform(math.log(d.lo), math.log(d.hi))))
    return float(rng.uniform(d.lo, d.hi))


def config_hash(space: Space, values: Mapping[str, Any] | None = None, *,
                architecture_only: bool = False) -> str:
    """A stable 16-hex-digit hash of the canonical configuration.

    architecture_only drops training decisions, so two trials of one network with different
    learning rates share it."""
    cfg = canonical(space, values)
    if architecture_only:
        cfg = {k: v for k, v in cfg.items() if not k.startswith(("train/", "search/"))}
    payload = json.dumps({"space": space.name, "config": cfg}, sort_keys=True,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def load_config(path: str) -> dict[str, Any]:
    """A configuration file: a JSON object of path -> value (or {"config": {...}})."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        data = data["config"]
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a configuration is a JSON object of decision path -> value")
    return data


__all__ = ["canonical", "config_hash", "default_config", "sample_config", "load_config",
           "DecisionList"]
