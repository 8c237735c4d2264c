"""Go to definition (blocks, params, lets, taps, inputs, imported files) and the document
outline (imports, inputs, outputs, params, blocks, the network's statements, settings)."""

from __future__ import annotations

import os
from typing import Any

from lsprotocol import types as T

from ..ir.nodes import CallStmt
from ..source import Span
from .document import Analysis
from .outline import children
from .positions import contains, path_to_uri, to_line_col, to_range, word_at


def definition(doc: Analysis, pos: T.Position) -> T.Location | None:
    if doc.space is None or doc.outline is None:
        return None
    line, col = to_line_col(pos, doc.lines)
    for imp in doc.space.imports:
        if contains(imp.span, line, col, doc.display) and imp.resolved:
            return T.Location(uri=path_to_uri(imp.resolved),
                              range=T.Range(T.Position(0, 0), T.Position(0, 0)))
    w = word_at(doc.lines, line, col)
    if w is None:
        return None
    d = doc.outline.lookup(w[0], line, col)
    if d is None:
        return None
    return location(doc, d.span)


def location(doc: Analysis, span: Span) -> T.Location:
    if span.path == doc.display:
        return T.Location(uri=doc.uri, range=to_range(span, doc.lines))
    lines = _file_lines(span.path)
    return T.Location(uri=path_to_uri(span.path), range=to_range(span, lines))


def _file_lines(path: str) -> list[str]:
    from ..source import _SOURCES

    text = _SOURCES.get(path)
    if text is None and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            text = None
    return (text or "").split("\n")


# -- outline -------------------------------------------------------------------------------
K = T.SymbolKind


def document_symbols(doc: Analysis) -> list[T.DocumentSymbol]:
    space = doc.space
    if space is None:
        return []
    out: list[T.DocumentSymbol] = []
    mine = lambda n: n.span is not None and n.span.path == doc.display  # noqa: E731
    for imp in space.imports:
        if mine(imp):
            out.append(_sym(doc, f'import "{imp.path}"', K.Module, imp.span))
    for i in space.inputs:
        if mine(i):
            out.append(_sym(doc, i.name, K.Field, i.span, "input " + "x".join(map(str, i.shape))))
    for o in space.outputs:
        if mine(o):
            out.append(_sym(doc, o.name, K.Constant, o.span, "output"))
    for p in space.params:
        if mine(p):
            out.append(_sym(doc, p.name, K.Variable, p.span, "param"))
    for b in space.blocks:
        if mine(b):
            out.append(_sym(doc, b.name, K.Function, b.span,
                            "block(" + ", ".join(f.name for f in b.params) + ")",
                            _statements(doc, b.body)))
    if space.network:
        first, last = space.network[0].span, space.network[-1].span
        if first is not None and last is not None and first.path == doc.display:
            span = Span(path=doc.display, line=first.line, col=first.col,
                        end_line=last.end_line, end_col=last.end_col)
            out.append(_sym(doc, "network", K.Namespace, span, None,
                            _statements(doc, space.network)))
    for section, settings in (("train", space.train), ("search", space.search)):
        kids = [_sym(doc, s.key, K.Property, s.span) for s in settings if mine(s)]
        if kids:
            out.append(_sym(doc, section, K.Struct, _cover(kids, doc), None, kids))
    return out


def _statements(doc: Analysis, body: tuple) -> list[T.DocumentSymbol]:
    out = []
    for stmt in body:
        if stmt.span is None or stmt.span.path != doc.display:
            continue
        name, kind = _describe(stmt)
        out.append(_sym(doc, name, kind, stmt.span, stmt.kind.replace("_", " "),
                        _statements(doc, tuple(children(stmt)))))
    return out


def _describe(stmt: Any) -> tuple[str, T.SymbolKind]:
    label = getattr(stmt, "label", None)
    tag = f" as {label.name}" if label is not None and hasattr(label, "name") else ""
    if isinstance(stmt, CallStmt):
        return stmt.op + tag, K.Method
    name = getattr(stmt, "name", None)
    if stmt.kind in ("let", "param_decl"):
        return name, K.Variable
    if stmt.kind == "position":
        return "@" + stmt.label, K.Key
    if stmt.kind == "from":
        return "from " + stmt.ref.name, K.Event
    if stmt.kind == "output":
        return "output " + stmt.name, K.Event
    word = stmt.kind
    return (f"{word} {name}" if isinstance(name, str) else word) + tag, K.Struct


def _sym(doc: Analysis, name: str, kind: T.SymbolKind, span: Span | None,
         detail: str | None = None, kids: list[T.DocumentSymbol] | None = None
         ) -> T.DocumentSymbol:
    rng = span if isinstance(span, T.Range) else to_range(span, doc.lines)
    return T.DocumentSymbol(name=name or "?", kind=kind, range=rng, selection_range=rng,
                            detail=detail, children=kids or None)


def _cover(kids: list[T.DocumentSymbol], doc: Analysis) -> T.Range:
    return T.Range(kids[0].range.start, kids[-1].range.end)
