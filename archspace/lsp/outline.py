"""Where things are in a space's IR: the names a file defines (blocks, params, lets, taps,
inputs, block arguments, repeat indices) with the region where each is visible, and the
statements under a position. An index over spans, not an interpreter: what a construct
means stays in `ir.walk.Walker`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..ir import Space
from ..ir.nodes import Branch, CallStmt, LetStmt, ParamDecl, PositionStmt, RepeatStmt
from ..source import Span
from .positions import contains


@dataclass
class Definition:
    name: str
    kind: str            # block | param | let | tap | input | output | argument | index | position | import
    span: Span           # where it is defined (for go to definition)
    scope: Span | None   # the region it is visible in; None: the whole file
    node: Any = None


def statements(body: tuple) -> Iterator[tuple[Any, Span | None]]:
    """Every statement of a body, nested ones too, with the span of the statement that holds
    it (None at the top)."""
    stack = [(s, None) for s in reversed(body)]
    while stack:
        stmt, parent = stack.pop()
        yield stmt, parent
        for inner in reversed(children(stmt)):
            stack.append((inner, stmt.span))


def children(stmt: Any) -> list[Any]:
    """The statements directly inside a statement: its body, or its branches' bodies."""
    out: list[Any] = list(getattr(stmt, "body", ()) or ())
    for b in getattr(stmt, "branches", ()) or ():
        if isinstance(b, Branch):
            out.extend(b.body)
    return out


class Outline:
    """The definitions of one space and the statements of the file `path`."""

    def __init__(self, space: Space, path: str):
        self.space, self.path = space, path
        self.defs: list[Definition] = []
        add = self._add
        for i in space.inputs:
            add(i.name, "input", i.span, None, i)
        for o in space.outputs:
            add(o.name, "output", o.span, None, o)
        for p in space.params:
            add(p.name, "param", p.span, None, p)
        for b in space.blocks:
            add(b.name, "block", b.span, None, b)
            for f in b.params:
                add(f.name, "argument", f.span or b.span, b.span, f)
            self._body(b.body, b.span)
        if space.network:
            self._body(space.network, None)

    def _add(self, name: str | None, kind: str, span: Span | None, scope: Span | None,
             node: Any) -> None:
        if name and span is not None:
            self.defs.append(Definition(name, kind, span, scope, node))

    def _body(self, body: tuple, top: Span | None) -> None:
        for stmt, parent in statements(body):
            scope = parent or top
            if isinstance(stmt, (LetStmt, ParamDecl)):
                self._add(stmt.name, "let" if isinstance(stmt, LetStmt) else "param",
                          stmt.span, scope, stmt)
            elif isinstance(stmt, PositionStmt):
                self._add(stmt.label, "position", stmt.span, top, stmt)
            if isinstance(stmt, RepeatStmt) and stmt.index:
                self._add(stmt.index, "index", stmt.span, stmt.span, stmt)
            label = getattr(stmt, "label", None)
            if label is not None and not isinstance(stmt, PositionStmt):
                self._add(label.name, "tap", label.span or stmt.span, top, stmt)

    # -- queries --------------------------------------------------------------------------
    def visible(self, line: int, col: int) -> list[Definition]:
        """Definitions whose region holds (line, col) (file-wide ones included), innermost
        region first."""
        out = [d for d in self.defs
               if d.scope is None or contains(d.scope, line, col, self.path)]
        return sorted(out, key=lambda d: _depth(d.scope), reverse=True)

    def lookup(self, name: str, line: int, col: int) -> Definition | None:
        """The definition `name` refers to at (line, col): the innermost visible one, and of
        those the last one before the position."""
        found = [d for d in self.visible(line, col) if d.name == name]
        if not found:
            return None
        inner = [d for d in found if _depth(d.scope) == _depth(found[0].scope)]
        before = [d for d in inner if d.span.path == self.path
                  and (d.span.line, d.span.col) <= (line, col)]
        return (before or inner)[-1]

    def statements_at(self, line: int, col: int) -> list[Any]:
        """The statements of this file holding (line, col), outermost first."""
        bodies = [b.body for b in self.space.blocks if b.span and b.span.path == self.path]
        if self.space.network:
            bodies.append(self.space.network)
        out = [s for body in bodies for s, _ in statements(body)
               if contains(s.span, line, col, self.path)]
        return sorted(out, key=lambda s: _depth(s.span))

    def call_at(self, line: int, col: int) -> CallStmt | None:
        calls = [s for s in self.statements_at(line, col) if isinstance(s, CallStmt)]
        return calls[-1] if calls else None


def _depth(span: Span | None) -> tuple:
    """Sort key putting wider regions first (None, the whole file, widest of all)."""
    if span is None:
        return (0,)
    return (1, span.line, span.col, -(span.end_line or span.line), -(span.end_col or span.col))
