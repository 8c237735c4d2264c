"""Hints for shape failures, written in the statement's own syntax: the fix offered is one that
applies to that statement and those shapes (no `skip project` for a `merge ... with`)."""

from __future__ import annotations

from typing import Any

from ..blocks.base import ShapeError
from ..blocks.merge import projection
from ..ir import expr as E
from ..ir.nodes import MergeStmt, SkipStmt


def _projects(src: tuple, target: tuple) -> bool:
    try:
        projection(src, target, "p")
    except ShapeError:
        return False
    return True


def _ref_text(ref: Any) -> str:
    return ref.name if ref.index is None else f"{ref.name}[...]"


def merge_fix(stmt: Any, op: Any, shapes: list | tuple) -> str | None:
    """The fixes for a `merge OP with TAP` or `skip` whose two inputs do not fit: shapes[0] is
    the current tensor (the body's output), shapes[1] the tap (the skip's input)."""
    if not isinstance(stmt, (MergeStmt, SkipStmt)) or len(shapes) != 2:
        return None
    cur, other = tuple(shapes[0]), tuple(shapes[1])
    channels_only = len(cur) == len(other) and cur[:-1] == other[:-1]
    fixes = []
    if isinstance(stmt, MergeStmt):
        tap = _ref_text(stmt.tap)
        written = op if isinstance(stmt.op, (E.Name, E.Str)) else "..."  # a searched op
        if not stmt.project and _projects(other, cur):
            fixes.append(f"`merge {written} with {tap} project` (a 1x1 conv maps the tap onto "
                         f"{'x'.join(map(str, cur))})")
        if op != "concat" and channels_only:
            fixes.append(f"`merge concat with {tap}` (channel counts may differ)")
        if not channels_only and not fixes:
            fixes.append(f"a tap with the current tensor's size ({'x'.join(map(str, cur[:-1]))})")
    else:
        skip = f"skip {stmt.name}" if stmt.name else "skip"
        if not stmt.project and _projects(other, cur):
            fixes.append(f"`{skip} project {{ ... }}` (a 1x1 conv maps the skip's input onto "
                         "the body's output)")
        if op != "concat" and channels_only:
            fixes.append(f"`{skip} merge concat {{ ... }}` (channel counts may differ)")
    if not fixes:
        return None
    return "write " + ", or ".join(fixes) + "; or narrow the choices that change the shapes"
