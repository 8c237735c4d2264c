"""The one walk over a space's network that every stage shares.

Two walkers derive from `Walker`:
- `decisions.Explorer` visits every alternative, every copy and every optional body to list the
  decisions of the space with the conditions under which they are active;
- `analysis.graph.Builder` follows one configuration and produces the concrete layer graph.

Both name decisions with the same code (`segments`, `eval_args`), so a decision path means the
same thing in the decision list, a configuration, Keras Tuner, pymoo and reports.
Path rules: a statement's segment is its `as` label (index rendered when it depends only on
literals and repeat indices), else its name, else its op; repeated segments in one body get
`_2`, `_3`; repeat copies are `name[k]`; choice and parallel branches add their label; inline
parameters add the argument name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Union

from ..errors import ArchNameError, ArchTypeError
from ..source import Span
from . import expr as E
from .base import Node
from .nodes import (Branch, CallStmt, ChoiceStmt, FromStmt, LetStmt, MergeStmt, NameRef,
                    OptionalStmt, OutputStmt, ParallelStmt, ParamDecl, PositionStmt, RepeatStmt,
                    SkipStmt, TowersStmt)
from .space import Space

MAX_BLOCK_DEPTH = 64


class Cond(Node):
    """'decision `path` took one of `values`' -- one term of an activity condition."""

    path: str
    values: tuple[Union[bool, int, float, str], ...]


class _Unknown:
    """A value that depends on a searched decision or a tensor shape (explorer only)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


@dataclass
class ParamBinding:
    """A declared parameter in scope: its decision path and declaration."""

    path: str
    decl: ParamDecl
    cond: tuple = ()


@dataclass
class RepeatBinding:
    """A repeat's name in scope, for `name.count`."""

    count_path: str
    fixed: int | None


class Thunk:
    """A lazily evaluated expression (block arguments, lets): evaluating at first use keeps
    the activity conditions of parameters exact."""

    __slots__ = ("expr", "scope", "where", "done", "value", "at")

    def __init__(self, expr: Any, scope: "Scope", where: str = "", at: Any = None):
        self.expr, self.scope, self.where = expr, scope, where
        self.done, self.value = False, None
        # the tensor `in` means inside `expr`: the one entering the statement that wrote it
        # (Walker.here() when the thunk was made), not the one current at first use
        self.at = at


@dataclass
class Scope:
    path: str = ""
    env: dict[str, Any] = field(default_factory=dict)
    cond: tuple = ()                # conjunction of (path, allowed values) for this region
    shared_path: str | None = None  # path of the innermost repeat (for `shared param`)
    shared_cond: tuple = ()
    layer_prefix: str = ""
    blocks: tuple[str, ...] = ()    # block-call stack, for recursion detection
    in_block: bool = False

    def child(self, **kw: Any) -> "Scope":
        d = dict(path=self.path, env=self.env, cond=self.cond, shared_path=self.shared_path,
                 shared_cond=self.shared_cond, layer_prefix=self.layer_prefix,
                 blocks=self.blocks, in_block=self.in_block)
        d.update(kw)
        return Scope(**d)


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
        return binop(expr.op, a, b, None)
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
    if isinstance(stmt, (RepeatStmt, ChoiceStmt, ParallelStmt, SkipStmt)):
        return name or stmt.kind
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


def positional_slots(signature_names: list[str], flags: dict[str, frozenset[str]],
                     args: tuple, kwargs: tuple, env: dict[str, Any]) -> list[str | None]:
    """The formal each positional argument binds to, mirroring `Op.bind` (bare symbols that
    name a flag's value bind to that flag)."""
    taken = {kw.name for kw in kwargs}
    out: list[str | None] = []
    slots = [n for n in signature_names if n not in taken]
    si = 0
    for a in args:
        if isinstance(a, E.Name) and a.name not in env:
            flag = next((f for f, ch in flags.items() if a.name in ch and f not in taken), None)
            if flag is not None:
                taken.add(flag)
                out.append(flag)
                continue
        while si < len(slots) and slots[si] in taken:
            si += 1
        if si >= len(slots):
            # variadic tail (reshape dims) or too many arguments: name by position
            out.append(signature_names[-1] if signature_names else None)
            continue
        out.append(slots[si])
        taken.add(slots[si])
        if slots[si] != (signature_names[-1] if signature_names else None):
            si += 1
    return out


class Walker:
    """Structural walk with evaluation. Subclasses decide what a decision's value is and what
    a layer does; this class owns scoping, naming and expression evaluation."""

    def __init__(self, space: Space):
        self.space = space
        self.blocks = {b.name: b for b in space.blocks}
        self._root_env: dict[str, Any] = {}
        self._at: Any = None  # while a thunk is evaluated: the tensor its `in` refers to

    #: the builder evaluates a `let` or block argument once; the explorer re-evaluates at each
    #: use so that a parameter's activity is the union of the places it is really used
    memoize_thunks = True

    # ---- hooks ------------------------------------------------------------------------------
    def decision_value(self, path: str, span: Span | None) -> Any:
        """The value of the decision at `path` (walkers that follow configurations)."""
        raise NotImplementedError

    def param_value(self, binding: ParamBinding, scope: Scope, span: Span | None) -> Any:
        return self.decision_value(binding.path, span)

    def inline_value(self, param: Any, path: str, scope: Scope, span: Span | None) -> Any:
        from .params import FixedParam

        if isinstance(param, FixedParam):
            return self.evaluate(param.value, scope)
        return self.decision_value(path, span)

    def in_attr(self, attr: str, scope: Scope, span: Span | None) -> Any:
        raise NotImplementedError

    def repeat_count(self, binding: RepeatBinding, scope: Scope) -> Any:
        raise NotImplementedError

    def here(self) -> Any:
        """The tensor `in` refers to at this point of the walk (the builder's current node);
        recorded in thunks so that a `let` or block argument reads `in` where it is written."""
        return None

    def input_attr(self, name: str, attr: str, span: Span | None) -> Any:
        shape = self.space.input(name).shape  # type: ignore[union-attr]
        return shape_attr(shape, attr, span)

    # ---- globals ------------------------------------------------------------------------------
    def global_scope(self) -> Scope:
        env: dict[str, Any] = {}
        for out in self.space.outputs:
            env[out.name] = Thunk(out.units, Scope())
        scope = Scope(env=env)
        for decl in self.space.params:
            self.declare(decl, scope, decl.name)
        return scope

    def declare(self, decl: ParamDecl, scope: Scope, path: str) -> None:
        from .params import FixedParam

        if isinstance(decl.param, FixedParam):
            scope.env[decl.name] = Thunk(decl.param.value, scope, path, self.here())
        else:
            scope.env[decl.name] = ParamBinding(path=path, decl=decl, cond=scope.cond)

    # ---- evaluation -------------------------------------------------------------------------
    def evaluate(self, x: Any, scope: Scope, where: str = "", _count: list | None = None) -> Any:
        """Evaluate an expression. `where` is the decision path an inline parameter gets (the
        second one in the same expression gets `where_2`, and so on)."""
        if _count is None:
            _count = [0]
        ev = lambda y, w=where: self.evaluate(y, scope, w, _count)  # noqa: E731
        if isinstance(x, E.Num) or isinstance(x, E.BoolLit) or isinstance(x, E.Str):
            return x.value
        if isinstance(x, E.Dims):
            return tuple(x.values)
        if isinstance(x, E.Name):
            return self.lookup(x.name, scope, x.span)
        if isinstance(x, E.Attr):
            return self.attr(x, scope)
        if isinstance(x, E.InAttr):
            return self.in_attr(x.attr, scope, x.span)
        if isinstance(x, E.Position):
            return x.label
        if isinstance(x, E.Neg):
            v = ev(x.operand)
            if v is UNKNOWN:
                return v
            if not _is_num(v):
                raise ArchTypeError(f"cannot negate {v!r}", x.span)
            return -v
        if isinstance(x, E.BinOp):
            a = ev(x.left)
            b = ev(x.right)
            return binop(x.op, a, b, x.span)
        if isinstance(x, E.ListExpr):
            return [ev(i) for i in x.items]
        if isinstance(x, E.ParamExpr):
            _count[0] += 1
            base = where or "param"
            path = base if _count[0] == 1 else f"{base}_{_count[0]}"
            return self.inline_value(x.param, path, scope, x.span)
        if isinstance(x, E.Objective):
            return (x.direction, x.metric)
        if isinstance(x, E.Call):
            return (x.name, {kw.name: self.evaluate(kw.value, scope, join(where, kw.name))
                             for kw in x.kwargs},
                    [ev(a) for a in x.args])
        raise AssertionError(f"cannot evaluate {type(x).__name__}")

    def lookup(self, name: str, scope: Scope, span: Span | None) -> Any:
        if name not in scope.env:
            return name  # a bare symbol: relu, max, same, add ...
        b = scope.env[name]
        if isinstance(b, Thunk):
            if not self.memoize_thunks:
                return self.force(b)
            if not b.done:
                b.value, b.done = self.force(b), True
            return b.value
        if isinstance(b, ParamBinding):
            return self.param_value(b, scope, span)
        if isinstance(b, RepeatBinding):
            raise ArchTypeError(f"'{name}' is a repeat; use {name}.count for its chosen count",
                                span)
        return b

    def force(self, b: Thunk) -> Any:
        saved = self._at
        if b.at is not None:
            self._at = b.at
        try:
            return self.evaluate(b.expr, b.scope, b.where)
        finally:
            self._at = saved

    def attr(self, x: E.Attr, scope: Scope) -> Any:
        b = scope.env.get(x.obj)
        if isinstance(b, RepeatBinding):
            if x.attr != "count":
                raise ArchNameError(f"a repeat has only '.count', not '.{x.attr}'", x.span,
                                    f"write {x.obj}.count")
            return self.repeat_count(b, scope)
        if self.space.input(x.obj) is not None and x.obj not in scope.env:
            return self.input_attr(x.obj, x.attr, x.span)
        from ..blocks.base import suggest

        if x.attr == "count":
            repeats = [k for k, v in scope.env.items() if isinstance(v, RepeatBinding)]
            raise ArchNameError(f"'{x.obj}.count': no repeat named '{x.obj}' before this", x.span,
                                suggest(x.obj, repeats).strip(" ()") or
                                f"name a repeat earlier in this body: repeat {x.obj} in 1..3 {{ }}")
        raise ArchNameError(f"unknown name '{x.obj}'", x.span,
                            suggest(x.obj, [i.name for i in self.space.inputs]).strip(" ()") or
                            "shape attributes need an input name or 'in'")

    # ---- statements -------------------------------------------------------------------------
    def walk_body(self, body: tuple, scope: Scope) -> None:
        segs = segments(body, scope.env)
        for stmt, seg in zip(body, segs):
            self.walk_stmt(stmt, seg, scope)

    def walk_stmt(self, stmt: Any, seg: str, scope: Scope) -> None:
        method: Callable = getattr(self, "on_" + stmt.kind)
        method(stmt, seg, scope)

    def on_let(self, stmt: LetStmt, seg: str, scope: Scope) -> None:
        scope.env[stmt.name] = Thunk(stmt.value, scope.child(env=dict(scope.env)),
                                     join(scope.path, stmt.name), self.here())

    def on_param_decl(self, stmt: ParamDecl, seg: str, scope: Scope) -> None:
        if stmt.shared:
            if scope.shared_path is None:
                self.declare(stmt, scope, join(scope.path, stmt.name))  # no follow-on errors
                raise ArchTypeError("'shared param' belongs directly inside a repeat body",
                                    stmt.span, "drop 'shared', or move it into a repeat")
            self.declare(stmt, scope.child(cond=scope.shared_cond), join(scope.shared_path, stmt.name))
        else:
            self.declare(stmt, scope, join(scope.path, stmt.name))

    def block_scope(self, stmt: CallStmt, seg: str, scope: Scope) -> Scope:
        """Bind a user block's arguments (lazily) and return the scope of its body."""
        block = self.blocks[stmt.op]
        if len(scope.blocks) >= MAX_BLOCK_DEPTH or stmt.op in scope.blocks:
            raise ArchTypeError(f"block '{stmt.op}' calls itself", stmt.span,
                                "blocks cannot be recursive")
        formals = [f.name for f in block.params]
        if len(stmt.args) > len(formals):
            raise ArchTypeError(f"block '{block.name}' takes {len(formals)} arguments, "
                                f"got {len(stmt.args)}", stmt.span)
        env: dict[str, Any] = dict(self._root_env)
        body_scope = scope.child(path=join(scope.path, seg), env=env,
                                 layer_prefix=self.layer_prefix_for(stmt, seg, scope),
                                 blocks=scope.blocks + (stmt.op,), in_block=True,
                                 shared_path=None, shared_cond=())
        given: dict[str, Any] = {}
        for f, a in zip(formals, stmt.args):
            given[f] = a
        for kw in stmt.kwargs:
            if kw.name not in formals:
                from ..blocks.base import suggest

                raise ArchNameError(f"block '{block.name}' has no argument '{kw.name}'", kw.span,
                                    (suggest(kw.name, formals).strip(" ()") or
                                     "arguments: " + ", ".join(formals)) if formals else
                                    f"block '{block.name}' takes no arguments")
            if kw.name in given:
                raise ArchTypeError(f"argument '{kw.name}' given twice", kw.span)
            given[kw.name] = kw.value
        caller = scope.child(env=dict(scope.env))
        at = self.here()
        for f in block.params:
            # an inline parameter passed to a block is named after the formal
            where = join(scope.path, seg, f.name)
            if f.name in given:
                env[f.name] = Thunk(given[f.name], caller, where, at)
            elif f.default is not None:
                env[f.name] = Thunk(f.default, body_scope, where, at)
            else:
                raise ArchTypeError(f"block '{block.name}' is missing argument '{f.name}'",
                                    stmt.span, f"call it as {block.name}("
                                    + ", ".join(p.name for p in block.params
                                                if p.default is None) + ")")
        return body_scope

    def eval_args(self, stmt: CallStmt, seg: str, scope: Scope, names: list[str],
                  flags: dict[str, frozenset[str]]) -> tuple[list[Any], dict[str, Any]]:
        slots = positional_slots(names, flags, stmt.args, stmt.kwargs, scope.env)
        base = join(scope.path, seg)
        pos = [self.evaluate(a, scope, join(base, s or f"arg{i}"))
               for i, (a, s) in enumerate(zip(stmt.args, slots))]
        kws = {kw.name: self.evaluate(kw.value, scope, join(base, kw.name)) for kw in stmt.kwargs}
        return pos, kws

    def arg_error(self, stmt: CallStmt, e: Exception, scope: Scope, names: list[str],
                  flags: dict[str, frozenset[str]]) -> ArchTypeError:
        """An op's ArgError as a located error: the caret under the argument at fault, and a
        'did you mean' moved into the hint."""
        span = stmt.span
        arg = getattr(e, "arg", None)
        if arg is not None:
            kw = next((k for k in stmt.kwargs if k.name == arg), None)
            if kw is not None:
                span = kw.span or span
            else:
                slots = positional_slots(names, flags, stmt.args, stmt.kwargs, scope.env)
                hit = next((a for a, sl in zip(stmt.args, slots) if sl == arg), None)
                if hit is not None and hit.span is not None:
                    span = hit.span
        message, hint = str(e), None
        if " (did you mean " in message:
            message, _, rest = message.partition(" (did you mean ")
            hint = "did you mean " + rest.rstrip(")")
        return ArchTypeError(message, span, hint)

    def bind_repeat(self, stmt: RepeatStmt, scope: Scope, path: str, fixed: int | None) -> None:
        if stmt.name is not None:
            scope.env[stmt.name] = RepeatBinding(count_path=path, fixed=fixed)

    def copy_scope(self, stmt: RepeatStmt, seg: str, scope: Scope, k: int, cond: tuple,
                   lo: int, hi: int, path: str) -> Scope:
        env = dict(scope.env)
        if stmt.index is not None:
            env[stmt.index] = k
        shared_cond = scope.cond
        if lo == 0 and hi > 0 and lo != hi:
            shared_cond = shared_cond + (Cond(path=path, values=tuple(range(1, hi + 1))),)
        return scope.child(path=join(scope.path, f"{seg}[{k}]"), env=env, cond=cond,
                           shared_path=path, shared_cond=shared_cond)

    def switch_binding(self, stmt: Any, scope: Scope) -> ParamBinding | None:
        """`choice kind { conv3: .. | conv5: .. }` where `kind` names a choice parameter (also
        through block arguments): the structure follows that parameter, no new decision."""
        name, env = stmt.name, scope.env
        for _ in range(MAX_BLOCK_DEPTH):
            if name is None or name not in env:
                return None
            b = env[name]
            if isinstance(b, ParamBinding):
                return b
            if isinstance(b, Thunk) and isinstance(b.expr, E.Name):
                name, env = b.expr.name, b.scope.env
                continue
            return None
        return None

    def layer_prefix_for(self, stmt: Any, seg: str, scope: Scope) -> str:
        return join_layer(scope.layer_prefix, seg)

    def run(self) -> None:
        root = self.global_scope()
        self._root_env = dict(root.env)
        if self.space.network is not None:
            self.walk_body(self.space.network, root)


def join_layer(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def binop(op: str, a: Any, b: Any, span: Span | None) -> Any:
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if op in ("==", "!="):
        return (a == b) if op == "==" else (a != b)
    if not (_is_num(a) and _is_num(b)):
        bad = a if not _is_num(a) else b
        if isinstance(bad, str):
            raise ArchNameError(f"unknown name '{bad}' in arithmetic", span,
                                "declare it with 'param', 'let' or as a block argument")
        raise ArchTypeError(f"'{op}' needs numbers, got {a!r} and {b!r}", span)
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "//":
            return a // b
        if op == "%":
            return a % b
    except ZeroDivisionError:
        raise ArchTypeError("division by zero", span) from None
    return {"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]


SHAPE_ATTRS = ("channels", "height", "width", "length", "size", "rank")


def shape_attr(shape: tuple[int, ...], attr: str, span: Span | None) -> int:
    if attr == "channels":
        return shape[-1]
    if attr == "height" and len(shape) >= 2:
        return shape[0]
    if attr == "width" and len(shape) >= 3:
        return shape[1]
    if attr == "length":
        return shape[0]
    if attr == "size":
        n = 1
        for d in shape:
            n *= d
        return n
    if attr == "rank":
        return len(shape)
    from ..blocks.base import suggest

    raise ArchNameError(f"a tensor of shape {'x'.join(map(str, shape))} has no '.{attr}'", span,
                        "one of " + ", ".join(SHAPE_ATTRS) + suggest(attr, SHAPE_ATTRS))
