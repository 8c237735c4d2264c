"""One version of one open document, analysed once: load errors and lint findings, the IR,
the decision list, and (on first use) the sizes each statement builds. Every feature reads
an `Analysis`; nothing here knows the protocol beyond positions."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..analysis.findings import Finding
from ..analysis.graph import Builder
from ..ir import Space
from ..source import MAX_FILE_BYTES, Span
from .outline import Outline
from .positions import lines_of, uri_to_path

log = logging.getLogger("archspace.lsp")

SpanKey = tuple[str, int, int]


def span_key(span: Span) -> SpanKey:
    return (span.path, span.line, span.col)


@dataclass
class Visit:
    """What one pass of the walk through a statement built (a statement in a repeat body or
    a block is passed once per copy or call)."""

    shape: tuple[int, ...] | None
    params: int
    macs: int
    layers: int


class StatementSizes(Builder):
    """The graph builder of one configuration, noting what each statement adds to the graph
    and the shape it leaves."""

    def __init__(self, space: Space, values: dict[str, Any]):
        super().__init__(space, lambda d: values.get(d.path, d.default))
        self.visits: dict[SpanKey, list[Visit]] = {}

    def walk_stmt(self, stmt: Any, seg: str, scope: Any) -> None:
        start = len(self.graph.nodes)
        super().walk_stmt(stmt, seg, scope)
        if stmt.span is None:
            return
        added = self.graph.nodes[start:]
        shape = self.graph.nodes[self.cur].shape if self.cur is not None else None
        self.visits.setdefault(span_key(stmt.span), []).append(
            Visit(shape, sum(n.params for n in added), sum(n.macs for n in added), len(added)))


def sizes_at(space: Space, config: dict[str, Any] | None) -> StatementSizes | None:
    """The per-statement sizes of one configuration (None when it does not build)."""
    from ..errors import ArchError
    from ..ir.config import canonical

    try:
        b = StatementSizes(space, canonical(space, config or {}))
        b.run()
        return b
    except ArchError:
        return None


class Analysis:
    """Load errors, lint findings and IR of one document version."""

    def __init__(self, uri: str, version: int | None, text: str):
        self.uri, self.version, self.text = uri, version, text
        self.lines = lines_of(text)
        self.file = uri_to_path(uri)
        self.space: Space | None = None
        self.findings: list[Finding] = []
        self.ctx: Any = None
        self.display = self.file
        self.deep_done = False
        # the whole-space work (deepen, sizes) runs on a worker thread; one at a time
        self._deep = threading.Lock()
        self._sizes: dict[str, StatementSizes | None] | None = None
        self._load()

    def _load(self) -> None:
        from ..analysis.lint import LintContext, LintOptions, lint_context, load_for_lint
        from ..errors import ArchImportError

        if len(self.text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
            e = ArchImportError(f"too large to analyse (over {MAX_FILE_BYTES:,} bytes)",
                                Span(path=self.display, line=1, col=1),
                                "a space is a small text file")
            self.findings = [_as_finding(e, self.display)]
            return
        try:
            space, errors, self.display, checks = load_for_lint(self.file, self.text)
        except RecursionError:
            from ..parser import too_deep

            space, errors, checks = None, too_deep(self.text, self.file).errors, None
        self.space = space
        try:
            self.ctx = LintContext(self.display, space, errors,
                                   LintOptions(ignore=sorted(deep_codes())), checks)
            self.findings = lint_context(self.ctx)
        except Exception:  # an analysis bug must not hide the load errors
            log.exception("lint failed on %s", self.display)
            self.ctx = None
            self.findings = [_as_finding(e, self.display) for e in errors]

    def deepen(self) -> bool:
        """Add the findings of the rules that need a valid space (the whole-space check,
        budgets, unused decisions: up to a few hundred ms on a large space, so they come
        after the rest). True when they found something."""
        with self._deep:
            return self._deepen()

    def _deepen(self) -> bool:
        if self.deep_done:
            return False
        self.deep_done = True
        if not self.valid:
            return False
        from ..analysis.lint import LintOptions, lint_context

        self.ctx.options = LintOptions(select=sorted(deep_codes()))
        try:
            more = lint_context(self.ctx)
        except Exception:
            log.exception("whole-space rules failed on %s", self.display)
            return False
        self.findings = sorted(self.findings + more, key=Finding.sort_key)
        return bool(more)

    # -- what the features read -------------------------------------------------------------
    @property
    def valid(self) -> bool:
        return self.ctx is not None and self.ctx.valid

    @cached_property
    def outline(self) -> Outline | None:
        return Outline(self.space, self.display) if self.space is not None else None

    @cached_property
    def decisions(self) -> list[Any]:
        if not self.valid:
            return []
        try:
            return list(self.ctx.decisions.decisions)
        except Exception:
            log.exception("decisions failed on %s", self.display)
            return []

    @cached_property
    def decisions_by_span(self) -> dict[SpanKey, list[Any]]:
        """The decisions made where each span stands (a param of a block called in a repeat
        stands for one decision per copy)."""
        out: dict[SpanKey, list[Any]] = {}
        for d in self.decisions:
            if d.span is not None:
                out.setdefault(span_key(d.span), []).append(d)
        return out

    @property
    def sizes(self) -> dict[str, StatementSizes | None]:
        """Per-statement sizes at the default, the smallest and the largest model (the
        whole-space check finds the last two, within its budget)."""
        with self._deep:
            if self._sizes is None:
                self._sizes = self._compute_sizes()
            return self._sizes

    def sizes_if_ready(self, wait: float) -> dict[str, StatementSizes | None] | None:
        """`sizes`, or None when the worker thread is still busy after `wait` seconds (a
        hover does not wait for a slow whole-space check)."""
        if not self._deep.acquire(timeout=wait):
            return None
        try:
            if self._sizes is None:
                self._sizes = self._compute_sizes()
            return self._sizes
        finally:
            self._deep.release()

    def _compute_sizes(self) -> dict[str, StatementSizes | None]:
        if not self.valid:
            return {}
        out: dict[str, StatementSizes | None] = {"default": sizes_at(self.space, None)}
        try:
            report = self.ctx.report
        except Exception:
            log.exception("whole-space check failed on %s", self.display)
            return out
        for name, ext in (("smallest", report.min_params), ("largest", report.max_params)):
            if ext is not None:
                out[name] = sizes_at(self.space, ext.config)
        return out


def deep_codes() -> set[str]:
    """Codes of the lint rules that run only on a space that loads without errors."""
    from ..analysis import rules  # noqa: F401  (fills the registry)
    from ..analysis.findings import RULES

    return {code for code, rule in RULES.items() if rule.needs_valid}


def _as_finding(e: Any, path: str) -> Finding:
    return Finding(code=e.code, severity="error", message=e.message, file=path, span=e.span,
                   hint=e.hint, rule=e.kind.replace(" ", "-"))
