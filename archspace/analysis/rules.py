"""The lint rules. One small class per code; codes are stable (never reused), the first
paragraph of each docstring is what `archspace lint --rules` and SARIF print, and
docs/lint.md has a heading per code (the help link). Fixtures: tests/lint_fixtures/."""

from __future__ import annotations

from typing import Any, Iterable

from .findings import Finding, Rule, register
from .lint import LintContext, fmt_big

MAX_SHOWN = 8


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def describe_config(config: dict[str, Any], defaults: dict[str, Any]) -> str:
    """'a = 1, b/c = true (every other decision at its default)', or 'the default
    configuration'."""
    diff = {k: v for k, v in config.items() if defaults.get(k, object()) != v}
    if not diff:
        return "the default configuration"
    items = [f"{k} = {_value(v)}" for k, v in diff.items()]
    shown = ", ".join(items[:MAX_SHOWN]) + (f", ... ({len(items) - MAX_SHOWN} more)"
                                            if len(items) > MAX_SHOWN else "")
    return shown + " (every other decision at its default)"


# ---- errors of the loader, as findings ----------------------------------------------------
class _LoadErrors(Rule):
    """(base) errors the loader reports with this code."""

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        for e in ctx.errors:
            if e.code == self.code:
                yield self.finding(ctx, e.message, e.span, hint=e.hint)


@register
class SyntaxError_(_LoadErrors):
    """The file does not parse (the message names the tokens expected)."""

    code, name = "AS001", "syntax-error"


@register
class NameError_(_LoadErrors):
    """An unknown or duplicate name: parameter, block, tap, input, setting."""

    code, name = "AS002", "name-error"


@register
class TypeError_(_LoadErrors):
    """A value of the wrong type or arity, or a malformed domain (int(4, 2), step 0)."""

    code, name = "AS003", "type-error"


@register
class ImportError_(_LoadErrors):
    """An import that cannot be found, read or parsed, or an import cycle."""

    code, name = "AS004", "import-error"


# ---- the whole space ------------------------------------------------------------------------
class _Failures(Rule):
    """(base) configurations that do not build, found by the whole-space check."""

    kind = ""
    advice = ""
    needs_valid = True

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        report = ctx.report
        for f in report.failures:
            if f.kind != self.kind:
                continue
            cfg = describe_config(f.config, ctx.defaults)
            yield self.finding(
                ctx, f"{f.message}, e.g. with {cfg}", f.span,
                hint=f.hint or self.advice,
                statement=f.path, shapes=["x".join(map(str, s)) for s in f.shapes],
                counterexample=f.config, decisions=f.decisions, verified=f.verified)


@register
class ShapeMismatch(_Failures):
    """Some configuration does not build: a shape mismatch, with a counterexample."""

    code, name, kind = "AS101", "shape-mismatch", "shape"
    advice = "make the shapes fit for every choice, or narrow the choices"


@register
class BuildFailure(_Failures):
    """Some configuration does not build for another reason (an argument out of range, a tap
    that is not there), with a counterexample."""

    code, name, kind = "AS102", "build-failure", "build"
    advice = "narrow the domains so that every combination gives valid arguments"


# ---- static checks (StaticChecks in lint.py finds them) -----------------------------------
class _Static(Rule):
    """(base) findings of the static walk."""

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        return [f for f in ctx.static if f.code == self.code]


@register
class UnknownOp(_Static):
    """An op, block or merge that does not exist (with the closest name as a hint)."""

    code, name = "AS103", "unknown-op"


@register
class DefaultOutsideDomain(_Static):
    """A default that is not one of the values its decision can take."""

    code, name = "AS104", "default-out-of-domain"


@register
class DegenerateDomain(_Static):
    """A decision with a single value: int(4, 4), choice(8), a choice of one alternative."""

    code, name, severity = "AS105", "degenerate-domain", "warning"


@register
class EmptyChoice(_Static):
    """A choice with nothing to choose from: choice() or choice { }."""

    code, name = "AS106", "empty-choice"


# ---- decisions that do nothing --------------------------------------------------------------
@register
class UnusedParam(Rule):
    """A declared parameter that nothing uses (its condition is `never`)."""

    code, name, severity = "AS107", "unused-param", "warning"
    needs_valid = True

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        for d in ctx.decisions.decisions:
            if d.when == ():
                yield self.finding(ctx, f"parameter '{d.path}' is never used", d.span,
                                   hint="use it, or delete it")


@register
class UnusedBlock(Rule):
    """A block defined in this file that the network never calls."""

    code, name, severity = "AS108", "unused-block", "warning"

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        space = ctx.space
        if space is None or space.network is None:
            return  # a library file defines blocks for others
        used = ctx.called_blocks  # what the interpreter entered, every alternative included
        for b in space.blocks:
            if b.origin is None and b.name not in used and (
                    b.span is None or b.span.path == ctx.path):
                yield self.finding(ctx, f"block '{b.name}' is never called", b.span,
                                   hint="call it from the network, or delete it")


@register
class NeverActive(Rule):
    """A decision whose condition no configuration satisfies: it can never be active."""

    code, name, severity = "AS109", "never-active", "warning"
    needs_valid = True

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        by_path = ctx.decisions.by_path()
        for path in ctx.cardinality.never_active:
            d = by_path[path]
            yield self.finding(ctx, f"decision '{path}' can never be active (it needs "
                                    f"{d.when_str()})", d.span,
                               hint="its conditions contradict each other")


# ---- size -----------------------------------------------------------------------------------
_METRICS = {"params": "parameters", "trainable_params": "trainable parameters",
            "bytes": "bytes (float32)", "macs": "MACs", "flops": "FLOPs (2 x MACs)"}


def metric_range(ctx: LintContext, metric: str) -> tuple[Any, Any, Any, Any] | None:
    """(min value, max value, min config, max config) of a static metric over the space."""
    r = ctx.report
    pick = {"params": (r.min_params, r.max_params, lambda e: e.params),
            "trainable_params": (r.min_trainable, r.max_trainable, lambda e: e.trainable),
            "bytes": (r.min_params, r.max_params, lambda e: e.bytes),
            "macs": (r.min_macs, r.max_macs, lambda e: e.macs),
            "flops": (r.min_macs, r.max_macs, lambda e: 2 * e.macs)}.get(metric)
    if pick is None or pick[0] is None:
        return None
    lo, hi, get = pick
    return get(lo), get(hi), lo.config, hi.config


@register
class OverBudget(Rule):
    """A size budget (--max-params/--max-bytes/--max-macs, or `search { constraints }`) that
    every configuration breaks, or the default configuration breaks a --max-* budget (error),
    or that only some configurations break or the check cannot prove (warning; an error with
    --strict).

    One finding per budget; the message names the configuration that breaks it (the
    default, or the smallest / largest one). A search constraint the default breaks is a
    warning: the search screens those trials, and spaces from papers often start above it."""

    code, name = "AS110", "over-budget"
    needs_valid = True
    _GET = {"params": lambda e: e.params, "trainable_params": lambda e: e.trainable,
            "bytes": lambda e: e.bytes, "macs": lambda e: e.macs,
            "flops": lambda e: 2 * e.macs}

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        budgets = ctx.budgets()
        if not budgets:
            return
        partial = "error" if ctx.options.strict else "warning"
        for metric, op, bound, span, source in budgets:
            rng = metric_range(ctx, metric)
            if rng is None:
                continue  # a metric only training measures (val_accuracy, latency)
            lo, hi, lo_cfg, hi_cfg = rng
            ok = {"<=": lambda v: v <= bound, "<": lambda v: v < bound,
                  ">=": lambda v: v >= bound, ">": lambda v: v > bound}[op]
            upper = op in ("<=", "<")
            best, worst = (lo, hi) if upper else (hi, lo)
            best_cfg, worst_cfg = (lo_cfg, hi_cfg) if upper else (hi_cfg, lo_cfg)
            what = _METRICS[metric]
            limit = f"{metric} {op} {fmt_big(bound)}" + (f" ({source})" if source != "constraints"
                                                         else "")
            inexact = "" if ctx.report.exact else " (bound used: see AS112)"
            counts = ctx.default_counts
            default = self._GET[metric](counts) if counts is not None else None
            if not ok(best):
                yield self.finding(
                    ctx, f"no configuration meets {limit}: the "
                         f"{'smallest' if upper else 'largest'} has {fmt_big(best)} {what}"
                         f"{inexact}", span,
                    hint=f"the {'smallest' if upper else 'largest'} is "
                         f"{describe_config(best_cfg, ctx.defaults)}",
                    metric=metric, op=op, bound=bound, value=best, config=best_cfg)
            elif default is not None and not ok(default):
                yield self.finding(
                    ctx, f"the default configuration breaks {limit}: it has "
                         f"{fmt_big(default)} {what}", span,
                    severity="error" if source != "constraints" else partial,
                    hint=f"change the defaults: the {'smallest' if upper else 'largest'} "
                         f"({fmt_big(best)} {what}) is "
                         f"{describe_config(best_cfg, ctx.defaults)}",
                    metric=metric, op=op, bound=bound, value=default, config=ctx.defaults)
            elif not ok(worst):
                yield self.finding(
                    ctx, f"some configurations break {limit}: the "
                         f"{'largest' if upper else 'smallest'} has {fmt_big(worst)} {what}"
                         f"{inexact}", span, severity=partial,
                    hint=f"the {'largest' if upper else 'smallest'} is "
                         f"{describe_config(worst_cfg, ctx.defaults)}; a search will reject "
                         f"these trials",
                    metric=metric, op=op, bound=bound, value=worst, config=worst_cfg)
            elif not ctx.report.exact:
                # `worst` is only a bound: no proof that every configuration meets the limit
                yield self.finding(
                    ctx, f"cannot prove that every configuration meets {limit}: the whole-space "
                         f"check was cut (the {'largest' if upper else 'smallest'} found has "
                         f"{fmt_big(worst)} {what}; see AS112)", span, severity=partial,
                    hint="raise --cap, or make the space smaller so that the check is exact",
                    metric=metric, op=op, bound=bound, value=worst, config=worst_cfg)


@register
class OversizedSpace(Rule):
    """More distinct architectures than --max-space (default 10^15)."""

    code, name, severity = "AS111", "oversized-space", "warning"
    needs_valid = True

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        card = ctx.cardinality
        n = card.architectures
        if n <= ctx.options.max_space:
            return
        from .cardinality import fmt_count

        groups = sorted(card.architecture.groups, key=lambda g: -g.count)[:3]
        parts = ", ".join(f"{g.name}: {fmt_count(g.count)}" for g in groups)
        space = ctx.space
        span = space.network[0].span if space is not None and space.network else None
        yield self.finding(ctx, f"the space has {fmt_count(n)} distinct architectures, more "
                                f"than {fmt_count(int(ctx.options.max_space))} (largest parts: "
                                f"{parts})", span,
                           hint="share decisions across copies (`shared param`), fix the ones "
                                "that matter least, or raise --max-space",
                           architectures=str(n))


@register
class CheckIncomplete(Rule):
    """The whole-space check used a bound (state cap, continuous float): not a proof."""

    code, name, severity = "AS112", "check-incomplete", "warning"
    needs_valid = True

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        r = ctx.report
        if r.exact:
            return
        space = ctx.space
        span = space.network[0].span if space is not None and space.network else None
        for note in r.notes:
            yield self.finding(ctx, f"whole-space check incomplete: {note}", span,
                               hint="results hold for the configurations checked; raise the "
                                    "cap (--cap) or give continuous floats a step")


def _plainly_not_dnas(space, value) -> bool:
    """`strategy = random` (a literal other than dnas): known without reading the section
    through the search package, which imports numpy (~50 ms of a lint process)."""
    from ..ir import expr as E

    if isinstance(value, E.Str):
        return value.value != "dnas"
    return isinstance(value, E.Name) and value.name != "dnas" \
        and all(p.name != value.name for p in space.params)


@register
class DnasRelaxation(Rule):
    """With `strategy = dnas`: which decisions the differentiable search relaxes (info), or
    that it has nothing to relax (warning)."""

    code, name, severity = "AS130", "dnas-relaxation", "info"
    needs_valid = True

    def check(self, ctx: LintContext) -> Iterable[Finding]:
        space = ctx.space
        setting = next((s for s in space.search if s.key == "strategy"), None) \
            if space is not None else None
        if setting is None or _plainly_not_dnas(space, setting.value):
            return
        from ..search.settings import section_values

        value = section_values(space, "search").get("strategy")
        if (value[0] if isinstance(value, tuple) else value) != "dnas":
            return
        from ..search.dnas.supernet import relaxation

        relaxed, why = relaxation(space)
        fixed = ", ".join(f"{p} ({r})" for p, r in list(why.items())[:MAX_SHOWN]) + \
            (" ..." if len(why) > MAX_SHOWN else "")
        if not relaxed:
            yield self.finding(ctx, "strategy dnas, but no decision can be relaxed: " +
                               (fixed or "the space has no decisions"), setting.span,
                               severity="warning",
                               hint="dnas mixes choices whose candidates keep the output "
                                    "shape; use a trial strategy (random, nsga2, ...)")
            return
        names = ", ".join(f"{p} ({len(c)})" for p, c in list(relaxed.items())[:MAX_SHOWN]) + \
            (f", ... ({len(relaxed) - MAX_SHOWN} more)" if len(relaxed) > MAX_SHOWN else "")
        yield self.finding(ctx, f"dnas relaxes {len(relaxed)} decision(s): {names}" +
                           (f"; fixed: {fixed}" if why else ""), setting.span,
                           relaxed=list(relaxed), fixed=list(why))
