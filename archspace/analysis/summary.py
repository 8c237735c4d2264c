"""What `archspace show` prints beyond the decision list: how big the space is, how big its
models are (default, smallest, largest, exactly), and whether every configuration builds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ArchError
from ..ir import Space
from .cardinality import Cardinality, cardinality, fmt_count
from .space_report import Extreme, SpaceReport
from .states import DEFAULT_CAP
from .whole_space import check_space


@dataclass
class Counts:
    """Exact size of one configuration's model (what Keras' count_params() reports)."""

    params: int
    trainable: int
    non_trainable: int
    macs: int

    @property
    def bytes(self) -> int:
        from .graph import BYTES_PER_PARAM

        return self.params * BYTES_PER_PARAM

    @classmethod
    def of(cls, graph: Any) -> "Counts":
        return cls(params=graph.params, trainable=graph.trainable,
                   non_trainable=graph.non_trainable, macs=graph.macs)

    def to_dict(self) -> dict[str, int]:
        return {"params": self.params, "trainable": self.trainable,
                "non_trainable": self.non_trainable, "bytes": self.bytes, "macs": self.macs}


def static_counts(space: Space, config: dict[str, Any] | None = None) -> Counts:
    """Parameter count (trainable + non-trainable, BatchNorm moving statistics included, as
    Keras counts them), float32 size and MACs of one configuration (default when None)."""
    from .graph import build_graph

    return Counts.of(build_graph(space, config))


class StaticCounter:
    """Exact counts of any configuration of one space, in microseconds.

    The whole-space walk (`check_space`) records the count function as a decision diagram;
    counting a configuration follows its decision values through it (about one dict lookup
    per decision it reads) instead of walking the template. Configurations the diagram cannot
    answer (ones that do not build, or past a bound the walk used) fall back to `build_graph`,
    which also raises the ArchError of a configuration that does not build."""

    def __init__(self, space: Space, report: SpaceReport | None = None, *,
                 cap: int = DEFAULT_CAP):
        self.space = space
        self.report = report if report is not None else check_space(space, cap=cap,
                                                                    verify=False)
        self.diagram = self.report.diagram
        if self.diagram is not None:
            self.diagram.compile()
        self._defaults: dict[str, Any] | None = None
        self._check: dict[str, Any] = {}

    def count(self, config: dict[str, Any] | None = None, *, canonical: bool = False) -> Counts:
        """Counts of `config` (validated and completed with defaults first, unless it is
        already canonical: `canonical=True`)."""
        from ..ir.config import canonical as canon

        if not canonical and self.diagram is not None:
            hit = self._fast(config or {})
            if hit is not None:
                return hit
        values = dict(config or {}) if canonical else canon(self.space, config or {})
        hit = self.diagram.evaluate(values) if self.diagram is not None else None
        if hit is None:
            return static_counts(self.space, values)
        p, t, f, m = hit
        return Counts(params=p, trainable=t, non_trainable=f, macs=m)


    def _fast(self, config: dict[str, Any]) -> Counts | None:
        """Counts in O(the configuration's size + the decisions the diagram reads): every
        given value is checked against its domain (one lookup for a listed value), missing
        ones take their defaults. None when anything is unusual; `count` then takes the
        general path (canonical form, which also reports what is wrong)."""
        from ..ir.config import _plan, decisions_of

        if self._defaults is None:  # once per space
            known, plan = _plan(decisions_of(self.space))
            self._defaults = {d.path: d.default for d in known.values()}
            self._check = {path: _value_check(d, listed) for d, path, _df, _w, listed in plan}
        check = self._check
        for path, v in config.items():
            ok = check.get(path)
            if ok is None:
                return None
            try:
                if not ok(v):
                    return None
            except TypeError:
                return None
        hit = self.diagram.evaluate(config, self._defaults)
        if hit is None:
            return None
        p, t, f, m = hit
        return Counts(params=p, trainable=t, non_trainable=f, macs=m)


def _value_check(d: Any, listed: dict) -> Any:
    """A predicate: is this value already the domain's own representative of itself?"""
    if listed:
        return lambda v: (type(v), v) in listed
    lo, hi, step = d.lo, d.hi, d.step
    if d.kind == "int":
        step = int(step or 1)
        return lambda v: type(v) is int and lo <= v <= hi and (v - lo) % step == 0
    if not step:
        return lambda v: type(v) is float and lo <= v <= hi
    return lambda v: type(v) is float and d.contains(v) and d.normalize(v) == v


def static_counter(space: Space) -> StaticCounter:
    return StaticCounter(space)


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


@dataclass
class Summary:
    """Everything static analysis knows about a space; `to_dict()` for JSON, `render()` for
    the terminal (given the CLI's console module)."""

    space: str | None
    cardinality: Cardinality
    report: SpaceReport
    default: Counts | None
    default_error: str | None
    defaults: dict[str, Any]

    # -- data ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        r = self.report

        def rng(lo: Extreme | None, hi: Extreme | None, get: Any) -> dict[str, Any]:
            # when a limit cut the walk, the extremes found are real configurations: the true
            # minimum is at most `min`, the true maximum at least `max`
            return {"min": get(lo) if lo else None, "max": get(hi) if hi else None,
                    "default": get(self.default) if self.default else None,
                    "exact": r.exact,
                    "min_is": "exact" if r.exact else "upper_bound",
                    "max_is": "exact" if r.exact else "lower_bound"}

        return {
            "cardinality": self.cardinality.to_dict(),
            "default": self.default.to_dict() if self.default else None,
            "default_error": self.default_error,
            "params": rng(r.min_params, r.max_params, lambda e: e.params),
            "trainable": rng(r.min_trainable, r.max_trainable, lambda e: e.trainable),
            "bytes": rng(r.min_params, r.max_params, lambda e: e.bytes),
            "macs": rng(r.min_macs, r.max_macs, lambda e: e.macs),
            "smallest": r.min_params.config if r.min_params else None,
            "largest": r.max_params.config if r.max_params else None,
            "check": r.to_dict(),
        }

    # -- terminal --------------------------------------------------------------------------
    def _diff(self, cfg: dict[str, Any] | None) -> str:
        from .rules import describe_config

        return describe_config(cfg, self.defaults) if cfg is not None else "-"

    def render(self, console: Any) -> None:
        c, r = self.cardinality, self.report
        out = console.out
        arch = fmt_count(c.architectures)
        if not c.architecture.exact:  # the exact count was too much work: a product bound
            arch = "at most " + arch
        if c.infinite:
            arch += " x continuous (" + ", ".join(c.architecture.continuous) + ")"
        rows = [["architectures", arch],
                ["training settings", fmt_count(c.training.count)
                 + (" x continuous (" + ", ".join(c.training.continuous) + ")"
                    if c.training.infinite else "")],
                ["total", fmt_count(c.total)]]
        if c.search.groups:
            rows.insert(2, ["search settings", fmt_count(c.search.count)])
        out.print(console.table("size of the space (distinct configurations"
                                + (", exact)" if c.exact else ")"),
                                ["", "count"], rows))
        parts = [[g.name, fmt_count(g.count), fmt_count(g.naive), str(len(g.decisions)),
                  ", ".join(g.continuous) or "-"] for g in c.architecture.groups]
        if parts:
            out.print(console.table("architecture, by construct (counts multiply)",
                                    ["construct", "distinct", "product of domains",
                                     "decisions", "continuous"], parts))
        d = self.default

        at_most, at_least = ("", "") if r.exact else ("at most ", "at least ")

        def row(name: str, get: Any, lo: Extreme | None, hi: Extreme | None,
                fmt: Any = lambda v: f"{v:,}") -> list[str]:
            return [name, fmt(get(d)) if d else "-",
                    at_most + fmt(get(lo)) if lo else "-",
                    at_least + fmt(get(hi)) if hi else "-"]

        size_fmt = lambda v: f"{v:,} ({human_bytes(v)})"  # noqa: E731
        rows = [row("parameters", lambda e: e.params, r.min_params, r.max_params),
                row("  trainable", lambda e: e.trainable, r.min_trainable, r.max_trainable),
                row("  non-trainable (at those)", lambda e: e.non_trainable, r.min_params,
                    r.max_params),
                row("size, float32 bytes", lambda e: e.bytes, r.min_params, r.max_params,
                    size_fmt),
                row("MACs", lambda e: e.macs, r.min_macs, r.max_macs)]
        title = ("model size (exact; min/max over every configuration)" if r.exact else
                 "model size (bounds only: the whole-space check was cut, see the notes)")
        out.print(console.table(title, ["", "default", "min", "max"], rows))
        if self.default_error:
            out.print(f"default configuration: does not build: {console._escape(self.default_error)}")
        if r.min_params is not None:
            out.print(f"smallest: {console._escape(self._diff(r.min_params.config))}")
            out.print(f"largest:  {console._escape(self._diff(r.max_params.config))}")
        if r.ok:
            if r.exact:
                n = c.architectures if c.architecture.exact else r.configs
                out.print(f"shape check: every configuration builds (proved: "
                          f"{fmt_count(n)} architectures, at most {r.peak_states} "
                          f"distinct states at once)")
            else:
                out.print(f"shape check: no failure found in the part checked (NOT a proof: "
                          f"{fmt_count(r.configs)} architectures checked)")
        else:
            out.print(f"[bold red]shape check: {len(r.failures)} place(s) where some "
                      f"configuration does not build[/]")
            for f in r.failures:
                where = f"{f.span}: " if f.span else ""
                out.print(console._escape(f"  {where}{f.message}; e.g. {self._diff(f.config)}"))
        for n in r.notes:
            out.print(console._escape(f"note: {n}"))


def summarize(space: Space, *, cap: int = DEFAULT_CAP) -> Summary:
    """Cardinality, default / min / max model size and the whole-space check of `space`."""
    from ..ir.config import canonical

    card = cardinality(space)
    report = check_space(space, cap=cap)
    default, error = None, None
    try:
        default = static_counts(space)
    except ArchError as e:
        error = e.message
    return Summary(space=space.name, cardinality=card, report=report, default=default,
                   default_error=error, defaults=canonical(space, {}))


analyze = summarize
