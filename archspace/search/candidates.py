"""A proposed configuration, checked before any model is built: its canonical form and hash,
its static size (parameters, bytes, MACs from the layer graph, no TensorFlow) and the static
constraints it breaks. Every strategy screens its proposals through `screen()`, so no trial is
spent on an oversized, shape-broken or already-trained architecture."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from ..errors import ArchError
from ..ir import Space
from ..ir.config import canonical, config_hash
from ..ir.decisions import Decision, decisions_of
from .settings import Constraint, Settings, fmt_number


@dataclass
class Candidate:
    config: dict[str, Any]
    hash: str = ""
    static: dict[str, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def feasible(self) -> bool:
        return self.error is None and not self.violations

    def constraint_values(self, constraints: tuple[Constraint, ...]) -> list[float]:
        """pymoo's G for the static constraints (0 for the trained ones: unknown yet)."""
        return [c.violation(self.static[c.metric]) if c.static and c.metric in self.static
                else 0.0 for c in constraints]


def plain(v: Any) -> Any:
    """numpy scalars (pymoo, Keras Tuner) -> Python scalars, before pydantic or JSON."""
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict, str)):
        return v.item()
    return v


def static_metrics(space: Space, config: Mapping[str, Any]) -> dict[str, float]:
    from ..analysis.graph import build_graph

    g = build_graph(space, config)
    return {"params": g.params, "trainable_params": g.trainable,
            "non_trainable_params": g.non_trainable, "bytes": g.bytes, "macs": g.macs,
            "flops": 2 * g.macs}


def make_candidate(space: Space, values: Mapping[str, Any], settings: Settings) -> Candidate:
    """Canonicalise `values` (unknown keys such as Keras Tuner's `tuner/...` are dropped) and
    measure the configuration statically."""
    known = decisions_of(space).by_path()
    raw = {k: plain(v) for k, v in values.items() if k in known}
    try:
        cfg = canonical(space, raw)
    except ArchError as e:
        return Candidate(config=raw, error=f"invalid configuration: {e.message}")
    cand = Candidate(config=cfg, hash=config_hash(space, cfg))
    try:
        cand.static = static_metrics(space, cfg)
    except ArchError as e:
        cand.error = f"{e.kind}: {e.message}"
        return cand
    for c in settings.constraints:
        if c.static and not c.ok(cand.static[c.metric]):
            cand.violations.append(f"{c.metric} {fmt_number(cand.static[c.metric])} breaks {c}")
    return cand


# ---- whole-space views the strategies use --------------------------------------------------
#: values a continuous float takes in a grid
GRID_POINTS = 5


def grid_values(d: Decision) -> list[Any]:
    """The values a grid gives decision `d`, its default first."""
    vals = d.domain_values()
    if vals is None and d.size is not None:  # too many values to list: evenly spaced ones
        n = d.size
        vals = list(dict.fromkeys(d.value_at(round(i * (n - 1) / (GRID_POINTS - 1)))
                                  for i in range(GRID_POINTS)))
    if vals is None:
        n = GRID_POINTS - 1
        if d.log:
            a, b = math.log(d.lo), math.log(d.hi)
            vals = [float(f"{math.exp(a + (b - a) * i / n):.6g}") for i in range(n + 1)]
        else:
            vals = [float(f"{d.lo + (d.hi - d.lo) * i / n:.6g}") for i in range(n + 1)]
    vals = list(vals)
    if d.default in vals:
        vals.remove(d.default)
    return [d.default] + vals


def enumerate_configs(space: Space) -> Iterator[dict[str, Any]]:
    """Every canonical configuration of the space (each decision only where it is active,
    defaults first, the last decision changing fastest): each one a distinct configuration."""
    decisions = [d for d in decisions_of(space) if d.when]
    grids = [grid_values(d) for d in decisions]
    cfg: dict[str, Any] = {}

    def rec(i: int) -> Iterator[dict[str, Any]]:
        if i == len(decisions):
            yield dict(cfg)
            return
        d = decisions[i]
        if not d.active(cfg):
            yield from rec(i + 1)
            return
        for v in grids[i]:
            cfg[d.path] = v
            yield from rec(i + 1)
        del cfg[d.path]

    yield from rec(0)


class Genome:
    """A fixed-length genome: one real gene in [0, 1] per decision. A gene maps onto its
    decision's domain (the k-th of n values, or a point of a float range, log-scaled for log
    ranges); the genes of inactive decisions are ignored (canonical drops them)."""

    def __init__(self, space: Space):
        self.decisions = [d for d in decisions_of(space) if d.when]

    def __len__(self) -> int:
        return len(self.decisions)

    def decode(self, x: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for d, g in zip(self.decisions, [float(v) for v in x]):
            g = min(max(g, 0.0), 1.0)
            if d.size is not None:  # a finite domain, listed or not
                out[d.path] = d.value_at(min(int(g * d.size), d.size - 1))
            elif d.log:
                a, b = math.log(d.lo), math.log(d.hi)
                out[d.path] = float(math.exp(a + g * (b - a)))
            else:
                out[d.path] = float(d.lo + g * (d.hi - d.lo))
        return out


class MixedGenome:
    """pymoo's mixed-variable encoding: one variable per decision, of the kind that suits it:
    a choice is a `Choice` (unordered: mutation picks another option, crossover swaps), a
    bool a `Binary`, an int (or a stepped float) an `Integer` index into its ordered values,
    a continuous float a `Real` (over log(value) for a log range). An individual is a dict
    path -> gene; the genes of inactive decisions are carried but ignored (canonical drops
    them, and duplicates are found by architecture)."""

    def __init__(self, space: Space):
        self.decisions = [d for d in decisions_of(space) if d.when]

    def __len__(self) -> int:
        return len(self.decisions)

    def variables(self) -> dict[str, Any]:
        from pymoo.core.variable import Binary, Choice, Integer, Real

        out: dict[str, Any] = {}
        for d in self.decisions:
            if d.kind == "bool":
                out[d.path] = Binary()
            elif d.kind == "choice":
                out[d.path] = Choice(options=list(range(d.size or 1)))
            elif d.size is not None:
                out[d.path] = Integer(bounds=(0, d.size - 1))
            elif d.log:
                out[d.path] = Real(bounds=(math.log(d.lo), math.log(d.hi)))
            else:
                out[d.path] = Real(bounds=(float(d.lo), float(d.hi)))
        return out

    def decode(self, x: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for d in self.decisions:
            if d.path not in x:
                continue
            g = plain(x[d.path])
            if d.kind == "bool":
                out[d.path] = bool(g)
            elif d.size is not None:
                out[d.path] = d.value_at(min(max(int(g), 0), d.size - 1))
            elif d.log:
                out[d.path] = float(min(max(math.exp(float(g)), d.lo), d.hi))
            else:
                out[d.path] = float(min(max(float(g), d.lo), d.hi))
        return out

    @staticmethod
    def stored(x: Mapping[str, Any]) -> dict[str, Any]:
        """An individual as JSON (numpy scalars made plain)."""
        return {k: plain(v) for k, v in x.items()}


__all__ = ["Candidate", "make_candidate", "static_metrics", "plain", "enumerate_configs",
           "grid_values", "Genome", "MixedGenome"]
