"""What the whole-space walk proves: failures with counterexamples and the configurations at
each end of the space (plain data, for the terminal, JSON and lint rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..blocks.common import fmt
from ..source import Span

if TYPE_CHECKING:
    from .count_diagram import Diagram

Shape = tuple[int, ...]
BYTES_PER_PARAM = 4
_MISSING = object()


@dataclass
class Extreme:
    """One configuration at an end of the space, with its exact counts."""

    params: int
    trainable: int
    non_trainable: int
    macs: int
    config: dict[str, Any]
    verified: bool | None = None   # build_graph of `config` gives the same counts

    @property
    def bytes(self) -> int:
        return self.params * BYTES_PER_PARAM

    def to_dict(self) -> dict[str, Any]:
        return {"params": self.params, "trainable": self.trainable,
                "non_trainable": self.non_trainable, "bytes": self.bytes, "macs": self.macs,
                "config": self.config, "verified": self.verified}


@dataclass
class Failure:
    """A configuration that does not build, and where and why."""

    kind: str                  # "shape" or "build"
    message: str
    span: Span | None
    path: str                  # the statement's path in the network
    shapes: tuple              # the shapes involved (input shape, or the merged shapes)
    config: dict[str, Any]     # a full canonical configuration that fails here
    decisions: dict[str, Any]  # the decisions the walk read to get there
    hint: str | None = None
    count: int = 0             # partial configurations that failed here
    verified: bool | None = None

    def non_default(self, defaults: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in self.config.items() if defaults.get(k, _MISSING) != v}

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "message": self.message, "path": self.path,
                             "shapes": [fmt(s) for s in self.shapes], "config": self.config,
                             "decisions": self.decisions, "verified": self.verified}
        if self.span:
            d.update(file=self.span.path, line=self.span.line, col=self.span.col)
        if self.hint:
            d["hint"] = self.hint
        return d


@dataclass
class SpaceReport:
    """What the whole-space walk proved."""

    failures: list[Failure] = field(default_factory=list)
    min_params: Extreme | None = None
    max_params: Extreme | None = None
    min_macs: Extreme | None = None
    max_macs: Extreme | None = None
    min_trainable: Extreme | None = None
    max_trainable: Extreme | None = None
    #: canonical configurations that build (discrete part; exact when `exact`)
    configs: int = 0
    exact: bool = True
    notes: list[str] = field(default_factory=list)
    approximate: list[str] = field(default_factory=list)   # continuous floats that matter
    peak_states: int = 0
    steps: int = 0            # state x statement visits
    outputs: list[Shape] = field(default_factory=list)     # distinct final shapes
    #: the count function as a decision diagram (see `Diagram`; `summary.StaticCounter`)
    diagram: "Diagram | None" = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        ex = lambda e: e.to_dict() if e else None  # noqa: E731
        return {"ok": self.ok, "exact": self.exact, "notes": self.notes,
                "approximate": self.approximate, "configs": self.configs,
                "failures": [f.to_dict() for f in self.failures],
                "params": {"min": ex(self.min_params), "max": ex(self.max_params)},
                "macs": {"min": ex(self.min_macs), "max": ex(self.max_macs)},
                "trainable": {"min": ex(self.min_trainable), "max": ex(self.max_trainable)},
                "peak_states": self.peak_states, "steps": self.steps,
                "outputs": [fmt(s) for s in self.outputs]}
