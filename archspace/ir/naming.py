"""Decision path naming: the one place that says what a statement, a repeat copy, a branch
and an argument are called in a decision path (and a layer name)."""

from __future__ import annotations

from typing import Any

from . import expr as E
from .nodes import Branch, CallStmt, ChoiceStmt, MergeStmt, NameRef, OptionalStmt, \
    ParallelStmt, PickStmt, RepeatCountStmt, RepeatStmt, SkipStmt, TowersStmt


def join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def join_layer(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def copy_layer_name(seg: str, k: int) -> str:
    """The layer-name segment of copy k of a repeat: decision path `group1[1]/...` has layers
    `group1_1.`..., so a Keras summary reads against the decision paths. Not `group1[1]`:
    TensorFlow's name scopes refuse brackets (and Keras 3 refuses '/')."""
    return f"{seg}_{k}"


def _static_index(expr: Any, env: dict[str, Any]) -> int | None:
    """Evaluate a label index that depends only on literals and repeat indices."""
    if isinstance(expr, E.Num) and isinstance(expr.value, int):
        return expr.value
    if isinstance(expr, E.Name):
        v = env.get(expr.name)
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if isinstance(expr, E.Neg):
        v = _static_index(expr.operand, env)
        return None if v is None else -v
    if isinstance(expr, E.BinOp) and expr.op in ("+", "-", "*", "//", "%"):
        a, b = _static_index(expr.left, env), _static_index(expr.right, env)
        if a is None or b is None or (expr.op in ("//", "%") and b == 0):
            return None
        return {"+": a + b, "-": a - b, "*": a * b}.get(expr.op) if expr.op in "+-*" \
            else (a // b if expr.op == "//" else a % b)
    return None


def render_ref(ref: NameRef, env: dict[str, Any]) -> str:
    """`fire[2*k+2]` -> 'fire2' when the index is static, else 'fire'."""
    if ref.index is None:
        return ref.name
    idx = _static_index(ref.index, env)
    return ref.name if idx is None else f"{ref.name}{idx}"


def _base_segment(stmt: Any, env: dict[str, Any]) -> str:
    label = getattr(stmt, "label", None)
    if isinstance(label, NameRef):  # (a position's label is a plain string)
        return render_ref(label, env)
    name = getattr(stmt, "name", None)
    if isinstance(stmt, OptionalStmt):
        if stmt.wraps:
            return _base_segment(stmt.body[0], env)
        return name or "optional"
    if isinstance(stmt, CallStmt):
        return stmt.op
    if isinstance(stmt, (RepeatStmt, ChoiceStmt, ParallelStmt, SkipStmt, PickStmt)):
        return name or stmt.kind
    if isinstance(stmt, RepeatCountStmt):
        return name or "repeat"
    if isinstance(stmt, MergeStmt):
        return "merge"
    if isinstance(stmt, TowersStmt):
        return "towers"
    return stmt.kind


def segments(body: tuple, env: dict[str, Any]) -> list[str]:
    """Path segment of every statement of one body, made unique within it."""
    seen: dict[str, int] = {}
    out = []
    for stmt in body:
        base = _base_segment(stmt, env)
        n = seen.get(base, 0) + 1
        seen[base] = n
        out.append(base if n == 1 else f"{base}_{n}")
    return out


def branch_label(branch: Branch, i: int) -> str:
    return branch.label if branch.label is not None else str(i)


def positional_slots(op: Any, args: tuple, kwargs: tuple, env: dict[str, Any]) -> list[str | None]:
    """The argument each positional expression of a call binds to (`Op.slots`, the one
    binding rule): a bare name that is not bound in scope and is a flag's value binds to
    that flag."""
    def flag_of(a: Any) -> Any:
        if isinstance(a, E.Name) and a.name not in env:
            return op._flag_for(a.name)
        return None

    return op.slots(list(args), [kw.name for kw in kwargs], flag_of)
