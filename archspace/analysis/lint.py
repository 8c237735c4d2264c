"""`archspace lint`: every problem of a .arch file that can be found before training.

    report = archspace.lint(["spaces/a.arch", "spaces/b.arch"], max_params=2e6)
    report.exit_code, [f.code for f in report.findings]

A file is loaded the way `parse_file` loads it, but errors do not stop the run: syntax, name,
type and import errors become findings with their own codes (AS001-AS004), and the rules of
`rules.py` (AS1xx) run on whatever IR there is. Rules that need a valid space (the whole-space
shape check, budgets, cardinality) run only when the file loads without errors. Nothing here
imports TensorFlow or Keras.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import ArchError, ArchImportError, ArchSyntaxError, ErrorSink
from ..ir import Space
from ..ir.decisions import Decision, Explorer
from ..ir.params import ChoiceParam
from ..ir.walk import UNKNOWN
from ..source import Span
from .findings import RULES, Finding
from .states import DEFAULT_CAP

#: codes the loader's errors carry (errors.py); selectable like rule codes
LOAD_CODES = {"AS000": "error", "AS001": "syntax error", "AS002": "name error",
              "AS003": "type error", "AS004": "import error", "AS005": "shape error",
              "AS006": "config error"}
DEFAULT_MAX_SPACE = 10**15


@dataclass
class LintOptions:
    select: Sequence[str] | None = None     # codes or prefixes ("AS1", "ALL"); None = all
    ignore: Sequence[str] = ()
    max_params: float | None = None
    max_bytes: float | None = None
    max_macs: float | None = None
    max_space: float = DEFAULT_MAX_SPACE    # warn when a space has more architectures
    cap: int = DEFAULT_CAP                  # live states of the whole-space check
    strict: bool = False                    # AS110: a budget some configurations break is
                                            # an error too (and one that cannot be proved)

    def __post_init__(self) -> None:
        known = known_codes()
        for code in list(self.select or ()) + list(self.ignore):
            c = code.strip().upper()
            if c != "ALL" and not any(k.startswith(c) for k in known):
                raise ValueError(f"unknown lint code '{code}' (see `archspace lint --rules`)")

    def selected(self, code: str) -> bool:
        sel = [c.strip().upper() for c in self.select] if self.select else ["ALL"]
        if not any(c == "ALL" or code.startswith(c) for c in sel):
            return False
        return not any(c.strip().upper() == "ALL" or code.startswith(c.strip().upper())
                       for c in self.ignore)


def known_codes() -> list[str]:
    from . import rules  # noqa: F401

    return sorted(set(RULES) | set(LOAD_CODES))


# --------------------------------------------------------------------------------------------
class StaticChecks(Explorer):
    """The Explorer's walk, with the problems it would raise on turned into classified
    findings (and the walk carried on past them): unknown ops and merges (AS103), defaults
    outside their domain (AS104), single-value domains (AS105), empty choices (AS106)."""

    def __init__(self, space: Space):
        super().__init__(space)
        self.found: dict[tuple, tuple[str, str, Span | None, str | None]] = {}

    @property
    def clean(self) -> bool:
        # a classified error (an unknown op, a default outside its domain) is one the plain
        # walk would have raised: the decision list is not the space's then
        return super().clean and all(_severity(c) != "error" for c, *_ in self.found.values())

    def note(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        key = (code, span.path if span else "", span.line if span else 0,
               span.col if span else 0)
        self.found.setdefault(key, (code, message, span, hint))

    def domain(self, param: Any, scope: Any, span: Span | None) -> dict[str, Any]:
        where = getattr(param, "span", None) or span
        if isinstance(param, ChoiceParam) and not param.values:
            self.note("AS106", "choice() has no values", where, "write choice(a, b, ...)")
            return dict(kind="choice", values=("?",), default="?")
        dflt = getattr(param, "default", None)
        base = param.model_copy(update={"default": None}) if dflt is not None else param
        f = super().domain(base, scope, span)
        if f["kind"] in ("int", "float") and f["lo"] == f["hi"]:
            self.note("AS105", f"{f['kind']}({_fmt(f['lo'])}, {_fmt(f['hi'])}) has a single "
                      f"value", where, f"write {_fmt(f['lo'])} or fixed({_fmt(f['lo'])}), or "
                      f"widen the range")
        elif f["kind"] == "choice" and len(f["values"]) == 1:
            self.note("AS105", f"choice({_fmt(f['values'][0])}) has a single value", where,
                      f"write {_fmt(f['values'][0])}, or add alternatives")
        if dflt is not None:
            v = self.static(dflt, scope, "a default", span)
            d = Decision(path="x", source="param", **f)
            if d.contains(v):
                f["default"] = d.normalize(v)
            else:
                self.note("AS104", f"default {_fmt(v)} is outside the domain {d.domain_str()}",
                          getattr(dflt, "span", None) or where,
                          "pick one of the values" if d.kind == "choice"
                          else "pick a default inside the range, or widen the range")
        return f

    def defect(self, code: str, error: ArchError) -> None:
        self.note(code, error.message, error.span, error.hint)

    def check_merge(self, value: Any, x: Any) -> None:
        from ..blocks.merge import MERGES

        if value is UNKNOWN or (isinstance(value, str) and value in MERGES):
            return
        if isinstance(value, str):
            from ..blocks.base import suggest

            self.note("AS103", f"unknown merge '{value}'", getattr(x, "span", x),
                      suggest(value, MERGES).strip(" ()") or "one of " + ", ".join(MERGES))
            return
        super().check_merge(value, x)

    def on_choice(self, stmt: Any, seg: str, scope: Any) -> None:
        if not any(b.body for b in stmt.branches):
            self.note("AS106", "this choice has no alternatives", stmt.span,
                      "write choice { a: ... | b: ... }")
        elif len(stmt.branches) == 1:
            self.note("AS105", "a choice with a single alternative", stmt.span,
                      "write the alternative's statements directly, or add alternatives")
        super().on_choice(stmt, seg, scope)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


# --------------------------------------------------------------------------------------------
def load_for_lint(path: str | Path, text: str | None = None
                  ) -> tuple[Space | None, list[ArchError], str, StaticChecks | None]:
    """Load a file as `parse_file` does, collecting every error instead of raising the
    first batch: (space or None when it does not parse, errors, display path, the static
    checks' walk or None when it could not run). `text`: the file's unsaved text (the
    language server). The loader's decision walk is lint's StaticChecks: one walk, not two."""
    from .. import loader

    display = loader._display(Path(path))
    try:  # reads only regular UTF-8 files; imports stay inside the allowed folders
        space, sink, display, _ = loader.load_collecting(path, text)
    except ArchError as e:
        return None, e.errors, display, None
    checks = None
    if not any(isinstance(e, (ArchImportError, ArchSyntaxError)) for e in sink.items):
        checks = StaticChecks(space)
        try:
            loader._check(space, sink, checks)
        except ArchError as e:  # pragma: no cover - _check collects into the sink
            sink.add(e)
        except Exception:
            # a follow-on of an error already reported (the IR holds a placeholder there)
            if not sink.items:
                raise
    errors: list[ArchError] = []
    seen: set[tuple] = set()
    for e in sink.items:  # one error per place: later ones there are follow-ons
        key = (e.span.path, e.span.line, e.span.col) if e.span else (id(e),)
        if key not in seen:
            seen.add(key)
            errors.append(e)
    return space, errors, display, checks


class LintContext:
    """One file under lint: its IR, load errors and static findings, and the analyses the
    rules share (computed once, on first use)."""

    def __init__(self, path: str, space: Space | None, errors: list[ArchError],
                 options: LintOptions, checks: StaticChecks | None = None):
        """`checks`: the StaticChecks walk the load already ran (see load_for_lint); without
        it, the walk runs here."""
        self.path = path
        self.space = space
        self.options = options
        self.raw_errors = errors
        self.static: list[Finding] = []
        self.timings: dict[str, float] = {}
        self.called_blocks: set[str] = set()
        if checks is None and space is not None and not any(
                isinstance(e, (ArchImportError, ArchSyntaxError)) for e in errors):
            checks = StaticChecks(space)
            t = time.perf_counter()
            try:
                checks.run()
            except Exception:
                if not errors:  # else: a follow-on of an error already reported
                    raise
            self.timings["static"] = time.perf_counter() - t
        if checks is not None:
            self.called_blocks = checks.called_blocks
            for code, message, span, hint in checks.found.values():
                self.static.append(Finding(code=code, severity=_severity(code),
                                           message=message, file=path, span=span, hint=hint,
                                           rule=RULES[code].name))
        at = {(f.path, f.line, f.col) for f in self.static if f.severity == "error"}
        # a loader error at a place a rule classified (unknown op, bad default) is the same
        # problem: keep the classified finding only
        self.errors = [e for e in errors
                       if not (e.span and (e.span.path, e.span.line, e.span.col) in at)]

    @classmethod
    def from_file(cls, path: str | Path, options: LintOptions) -> "LintContext":
        t = time.perf_counter()
        space, errors, display, checks = load_for_lint(path)
        ctx = cls(display, space, errors, options, checks)
        ctx.timings["load"] = time.perf_counter() - t
        return ctx

    @classmethod
    def from_space(cls, space: Space, options: LintOptions) -> "LintContext":
        path = space.span.path if space.span else (space.name or "<space>")
        return cls(path, space, [], options)

    @property
    def valid(self) -> bool:
        """The space loads as `parse_file` would load it: the deep analyses can run."""
        return self.space is not None and not self.raw_errors and not any(
            f.severity == "error" for f in self.static)

    def _timed(self, name: str, fn: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[name] = time.perf_counter() - t

    @cached_property
    def decisions(self) -> Any:
        from ..ir.decisions import decisions_of

        return decisions_of(self.space)

    @cached_property
    def cardinality(self) -> Any:
        from .cardinality import cardinality

        return self._timed("cardinality", lambda: cardinality(self.decisions))

    @cached_property
    def report(self) -> Any:
        from .whole_space import check_space

        return self._timed("whole-space", lambda: check_space(self.space, cap=self.options.cap))

    @cached_property
    def default_counts(self) -> Any:
        """Exact counts of the default configuration, None when it does not build."""
        from .summary import StaticCounter

        try:
            return StaticCounter(self.space, self.report).count()
        except ArchError:
            return None

    @cached_property
    def defaults(self) -> dict[str, Any]:
        from ..ir.config import canonical

        return canonical(self.space, {})

    def budgets(self) -> list[tuple[str, str, float, Span | None, str]]:
        """(metric, op, bound, span, source) from the options and `search { constraints }`."""
        out: list[tuple[str, str, float, Span | None, str]] = []
        o = self.options
        for metric, bound in (("params", o.max_params), ("bytes", o.max_bytes),
                              ("macs", o.max_macs)):
            if bound is not None:
                out.append((metric, "<=", float(bound), None, f"--max-{metric}"))
        if self.space is not None:
            from ..ir import expr as E
            from ..ir.settings import constraints

            try:
                values = constraints(self.space)
            except ArchError:
                values = []
            items = [i for s in self.space.search if s.key == "constraints"
                     for i in (s.value.items if isinstance(s.value, E.ListExpr) else (s.value,))]
            for (metric, op, bound), item in zip(values, items):
                out.append((metric, op, bound, getattr(item, "span", None), "constraints"))
        return out


def _severity(code: str) -> str:
    rule = RULES.get(code)
    return rule.severity if rule else "error"


# --------------------------------------------------------------------------------------------
@dataclass
class LintReport:
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    @property
    def exit_code(self) -> int:
        """1 when there is an error, else 0 (warnings do not fail a build)."""
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "findings": [f.to_dict() for f in self.findings],
                "summary": {"files": len(self.files), "errors": self.errors,
                            "warnings": self.warnings, "infos": self.count("info")}}

    def render(self, fmt: str = "text") -> str:
        from .report import render

        return render(self, fmt)


def lint_context(ctx: LintContext) -> list[Finding]:
    """Run every selected rule on one file."""
    from . import rules  # noqa: F401  (fills the registry)

    out: list[Finding] = []
    for code, rule_cls in sorted(RULES.items()):
        if not ctx.options.selected(code):
            continue
        if rule_cls.needs_valid and not ctx.valid:
            continue
        out.extend(rule_cls().check(ctx))
    for e in ctx.errors:  # codes no rule class claims (AS000, AS005, AS006)
        if e.code not in RULES and ctx.options.selected(e.code):
            out.append(Finding(code=e.code, severity="error", message=e.message, file=ctx.path,
                               span=e.span, hint=e.hint, rule=e.kind.replace(" ", "-")))
    out.sort(key=Finding.sort_key)
    return out


def lint(target: str | Path | Space | Iterable[str | Path | Space], *,
         select: Sequence[str] | None = None, ignore: Sequence[str] = (),
         max_params: float | None = None, max_bytes: float | None = None,
         max_macs: float | None = None, max_space: float | None = None,
         cap: int = DEFAULT_CAP, strict: bool = False) -> LintReport:
    """Lint one or more .arch files (or parsed spaces); see `archspace lint --rules`.
    `strict`: a size budget that only some configurations break (AS110) is an error too."""
    options = LintOptions(select=select, ignore=ignore, max_params=max_params,
                          max_bytes=max_bytes, max_macs=max_macs,
                          max_space=DEFAULT_MAX_SPACE if max_space is None else max_space,
                          cap=cap, strict=strict)
    targets = [target] if isinstance(target, (str, Path, Space)) else list(target)
    report = LintReport()
    for t in targets:
        start = time.perf_counter()
        ctx = (LintContext.from_space(t, options) if isinstance(t, Space)
               else LintContext.from_file(t, options))
        report.files.append(ctx.path)
        report.findings.extend(lint_context(ctx))
        ctx.timings["total"] = time.perf_counter() - start
        report.timings[ctx.path] = dict(ctx.timings)
    return report


def fmt_big(n: float) -> str:
    """2,000,000 -> '2,000,000'; 1.5e12 -> '1.5e+12'."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:g}"
    n = int(n)
    return f"{n:,}" if abs(n) < 10**12 else f"{float(n):.3g}"


__all__ = ["lint", "LintOptions", "LintReport", "LintContext", "StaticChecks", "Finding",
           "known_codes", "load_for_lint", "DEFAULT_MAX_SPACE"]
