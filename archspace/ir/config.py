"""Configurations: a mapping from active decision paths to values.

The canonical form keeps only active decisions, fills defaults, uses each domain's own
representative of a value and orders keys as the decision list does; its hash therefore names
one architecture (plus training settings) whatever inactive values were given. The hash covers
the space's content too (`space_hash`): an edited space gives its configurations new hashes.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any, Mapping

from ..cache import PerObject
from ..errors import ConfigError
from .decisions import Decision, DecisionList, decisions_of
from .space import Space


#: problems a configuration check reports before it summarises the rest ("and N more")
MAX_REPORTED = 10


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
    known, plan = _plan(dl)
    problems = []
    unknown = [path for path in values if path not in known]
    for path in unknown[:MAX_REPORTED]:   # suggest() per path is slow on a huge file
        from ..blocks.base import suggest

        problems.append(ConfigError(f"unknown decision '{path}'" + suggest(path, known),
                                    hint="`archspace show FILE` lists every decision"))
    hidden = len(unknown) - len(problems)
    out: dict[str, Any] = {}
    for d, path, default, when, listed in plan:
        if when is not None and not any(all(out.get(p, _MISSING) in vals for p, vals in conj)
                                        for conj in when):
            if strict and path in values:
                problems.append(ConfigError(f"decision '{path}' is inactive here "
                                            f"(active when {d.when_str()})"))
            continue
        v = values.get(path, default)
        try:  # a listed value of its own type: the usual case, one dict lookup
            out[path] = listed[(type(v), v)]
            continue
        except (KeyError, TypeError):
            pass
        if not d.contains(v):
            problems.append(ConfigError(f"{path} = {v!r} is outside its domain {d.domain_str()}"))
            v = default
        out[path] = d.normalize(v)
    more = hidden + max(0, len(problems) - MAX_REPORTED)
    if more:   # a huge file must not print a huge report
        problems = problems[:MAX_REPORTED] + [ConfigError(f"... and {more} more problem(s)")]
    if problems:
        from ..errors import ArchErrors

        raise ArchErrors(problems) if len(problems) > 1 else problems[0]
    return out


_MISSING = object()
_PLANS: PerObject[tuple] = PerObject(64)


def _plan(dl: DecisionList) -> tuple[dict[str, Decision], list[tuple]]:
    """The decision list compiled for checking configurations fast (cached per list): per
    decision its condition as sets and its listed values keyed by (type, value)."""
    hit = _PLANS.get(dl)
    if hit is not None:
        return hit
    plan = []
    for d in dl.decisions:
        when = None if d.when == ((),) else tuple(
            tuple((c.path, frozenset(c.values)) for c in conj) for conj in d.when)
        listed: dict = {}
        if d.kind == "choice":
            listed = {(type(v), v): v for v in d.values or ()}
        elif d.kind == "bool":
            listed = {(bool, False): False, (bool, True): True}
        plan.append((d, d.path, d.default, when, listed))
    return _PLANS.put(dl, (dl.by_path(), plan))


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
    payload = json.dumps({"space": space.name, "space_hash": space_hash(space), "config": cfg},
                         sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


#: the content hash of the last spaces hashed (a bounded cache: see archspace/cache.py)
_SPACE_HASHES: PerObject[str] = PerObject(256)
#: where a space came from, not what it is: left out of its content hash
_LOCATION_KEYS = ("resolved", "origin")


def space_hash(space: Space) -> str:
    """A 16-hex-digit hash of the space's content (its canonical IR: every fixed part, every
    domain, the train and search sections; not where its files lie). Spaces are immutable,
    so it is cached per object."""
    hit = _SPACE_HASHES.get(space)
    if hit is not None:
        return hit
    payload = json.dumps(_strip_locations(space.to_dict()), sort_keys=True,
                         separators=(",", ":"), default=str)
    return _SPACE_HASHES.put(space, hashlib.sha256(payload.encode()).hexdigest()[:16])


def _strip_locations(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _strip_locations(v) for k, v in x.items() if k not in _LOCATION_KEYS}
    if isinstance(x, list):
        return [_strip_locations(v) for v in x]
    return x


def load_config(path: str) -> dict[str, Any]:
    """A configuration file: a JSON object of path -> value (or {"config": {...}})."""
    return load_config_file(path)[0]


def load_config_file(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(configuration, what the file says about it: space, space_hash, hash ...). A search's
    best/config.json names its space; a plain path -> value object names nothing."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    meta: dict[str, Any] = {}
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        meta = {k: v for k, v in data.items() if k != "config"}
        data = data["config"]
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a configuration is a JSON object of decision path -> value")
    return data, meta


def check_config_space(space: Space, meta: Mapping[str, Any], where: str) -> None:
    """Refuse a configuration made for another space: its recorded space name or content hash
    differs from `space`'s (a file that records neither is taken as it is)."""
    name, h = meta.get("space"), meta.get("space_hash")
    if name is not None and name != space.name:
        raise ConfigError(f"{where} is a configuration of space '{name}', not '{space.name}'",
                          hint="pass that space's file, or --force to train it anyway")
    if h is not None and h != space_hash(space):
        raise ConfigError(f"{where} was made for another version of space '{space.name}' "
                          f"(space hash {h}, this file's is {space_hash(space)})",
                          hint="the space was edited since: train with the space it was "
                               "searched in, or pass --force to train it anyway")


__all__ = ["canonical", "config_hash", "default_config", "sample_config", "load_config",
           "load_config_file", "check_config_space", "space_hash", "DecisionList"]
