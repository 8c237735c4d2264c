"""The interpreter of the language: what every construct means, written once.

`Walker` owns scoping (lets, block arguments as lazily evaluated thunks, optional and branch
bodies keeping their names local), expression evaluation, and the meaning of each statement:
a call, `optional`, `repeat`, `choice` (a new decision, a switch on a choice parameter, or a
static switch on a constant), `parallel`, `skip`, `merge`, `towers`, `from`, `output`, and
which decision each one reads, under which condition, with which path (`naming`).

A *domain* is a subclass that says what a value is and how a decision is read; it implements
the small interface at the top of the class (`register`, `step`, `branches`, `copies`,
`towers_run` and the `t_*` tensor operations) and nothing else:
- `ir.decisions.Explorer`: the declaration domain (every alternative and copy; decisions and
  their activity conditions; static checks);
- `analysis.graph.Builder`: one configuration -> the layer graph (and, with a callback as the
  source of values, the lazy declaration of Keras Tuner hyperparameters);
- `analysis.states.SpaceWalker`: sets of states (whole-space shapes, exact min/max, counts);
- `compile.training._SettingsReader`: the training settings of one configuration.
- `search.dnas.supernet.Supernet` (a Builder): the dnas supernet, every candidate of a
  relaxable decision walked from the same tensor and joined in a mix node.
A new construct is an `on_<kind>` method here; the domains get it for free.
"""

from __future__ import annotations

import itertools
import math
from contextlib import contextmanager, nullcontext
from typing import Any, Callable

from ..errors import ArchError, ArchNameError, ArchTypeError
from ..source import Span
from . import expr as E
from .functions import FUNCTIONS, apply_function, unknown_calls
from .nodes import (STATEMENT_KEYWORDS, Branch, CallStmt, ChoiceStmt, FromStmt, IfStmt,
                    LetStmt, MergeStmt, NameRef, OptionalStmt, OutputStmt, ParallelStmt,
                    ParamDecl, PickStmt, PositionStmt, RepeatCountStmt, RepeatStmt, SkipStmt,
                    TowersStmt)
from .naming import (_static_index, branch_label, copy_layer_name, join, join_layer,  # noqa: F401
                     positional_slots, render_ref, segments)
from .scope import UNKNOWN, Cond, ParamBinding, RepeatBinding, Scope, Thunk  # noqa: F401
from .space import Space

MAX_BLOCK_DEPTH = 64
MAX_REPEAT = 256  # copies of one repeat
#: a condition or count is enumerated over the decisions it reads: at most this many cases
MAX_OUTCOMES = 4096
#: sets of one `pick` (C(n, k)); past it the decision is too large to list
MAX_PICK_SETS = 10_000


class _ProbeNeed(Exception):
    """While a condition is enumerated: it read decision `path`, not assigned yet."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


class Walker:
    """Structural walk with evaluation. Subclasses decide what a decision's value is and what
    a layer does; this class owns scoping, naming and expression evaluation."""

    def __init__(self, space: Space):
        self.space = space
        self.blocks = {b.name: b for b in space.blocks}
        self._root_env: dict[str, Any] = {}
        self._at: Any = None  # while a thunk is evaluated: the tensor its `in` refers to
        self._frames: list[tuple] = []   # construct frames of a walk without tensors
        self._static = False             # evaluating a value needed before any decision
        self.use_cond: tuple = ()        # the condition of the statement being walked
        self.pos = 0                     # statements entered and left, in walk order
        self.called_blocks: set[str] = set()  # user blocks the walk entered
        self._slots: dict[tuple, list] = {}   # see slots_of
        self.sharing = 0                 # > 0: layers built now reuse earlier ones' weights
        self._reusable: dict[str, tuple] = {}  # label -> (statement, seg, scope): `reuse`
        self._reused_label: NameRef | None = None
        self._probe: dict[str, Any] | None = None  # see outcomes: assumed decision values

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

    def decision_domain(self, path: str) -> tuple | None:
        """Every value of the decision at `path`, when this walk knows its domain (used to
        enumerate a searched condition, see `outcomes`); None: it stays unknown."""
        return None

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
        if isinstance(x, E.BinOp) and x.op in ("and", "or"):
            return self.logic(x, ev)
        if isinstance(x, E.Not):
            v = truth(ev(x.operand), x.span)
            return v if v is UNKNOWN else not v
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
            return self.probed(path, self.inline_value(x.param, path, scope, x.span))
        if isinstance(x, E.Objective):
            return (x.direction, x.metric)
        if isinstance(x, E.Call):
            if x.name in FUNCTIONS:  # floor(w * alpha): arithmetic
                return apply_function(x, [ev(a) for a in x.args],
                                      {kw.name: ev(kw.value) for kw in x.kwargs})
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
            return self.probed(b.path, self.param_value(b, scope, span))
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
            if b.count is not None:  # `repeat name = expr`: the expression, not a decision
                return self.force(b.count)
            return self.probed(b.count_path, self.repeat_count(b, scope))
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
        self.pos += 1
        saved, self.use_cond = self.use_cond, scope.cond
        try:
            method(stmt, seg, scope)
        finally:
            self.use_cond = saved
            self.pos += 1

    def on_let(self, stmt: LetStmt, seg: str, scope: Scope) -> None:
        try:
            unknown_calls(stmt.value)
        except ArchError:
            scope.env[stmt.name] = UNKNOWN  # no follow-on errors where it is used
            raise
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
        self.called_blocks.add(stmt.op)
        if stmt.op in scope.blocks:
            raise ArchTypeError(f"block '{stmt.op}' calls itself", stmt.span,
                                "blocks cannot be recursive")
        if len(scope.blocks) >= MAX_BLOCK_DEPTH:
            raise ArchTypeError(f"blocks nested too deeply: more than {MAX_BLOCK_DEPTH} block "
                                f"calls inside each other", stmt.span,
                                "flatten the chain of blocks")
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
        for a in list(stmt.args) + [kw.value for kw in stmt.kwargs]:
            unknown_calls(a)
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
        slots = self.slots_of(stmt, scope.env)
        base = join(scope.path, seg)
        for a in list(stmt.args) + [kw.value for kw in stmt.kwargs]:
            unknown_calls(a)
        pos = [self.evaluate(a, scope, join(base, s or f"arg{i}"))
               for i, (a, s) in enumerate(zip(stmt.args, slots))]
        kws = {kw.name: self.evaluate(kw.value, scope, join(base, kw.name)) for kw in stmt.kwargs}
        return pos, kws

    def slots_of(self, stmt: CallStmt, env: dict[str, Any]) -> list[str | None]:
        """`positional_slots` of a call, cached: it depends on the environment only through
        which bare names in the arguments are bound."""
        key = (id(stmt), tuple(a.name in env for a in stmt.args if isinstance(a, E.Name)))
        hit = self._slots.get(key)
        if hit is None:
            hit = self._slots[key] = positional_slots(self.op_of(stmt), stmt.args,
                                                      stmt.kwargs, env)
        return hit

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
                slots = positional_slots(self.op_of(stmt), stmt.args, stmt.kwargs, scope.env)
                hit = next((a for a, sl in zip(stmt.args, slots) if sl == arg), None)
                if hit is not None and hit.span is not None:
                    span = hit.span
        message, hint = str(e), getattr(e, "hint", None)
        if " (did you mean " in message:
            message, _, rest = message.partition(" (did you mean ")
            hint = "did you mean " + rest.rstrip(")")
        return ArchTypeError(message, span, hint)

    # ==== the domain interface ==================================================================
    # A domain says what a value is and how a decision is read; the `on_*` methods below say
    # what each construct means, once, for every domain. The defaults describe a walk with no
    # tensors (the decision list): frames are kept so that construct code can pop what it
    # pushed, and every tensor is None.
    def register(self, path: str, fields: dict[str, Any], cond: tuple | None,
                 span: Span | None) -> None:
        """A structural decision stands here (the declaration domain records it)."""

    def step(self, fn: Callable[[], None], where: str, span: Span | None,
             pure: bool = False) -> None:
        """Run `fn` once per tensor context of the domain (one graph, every state, every
        lane). `pure`: fn reads no decision (no fork needed)."""
        fn()

    def branches(self, read: Callable[[], Any], arms: list[tuple[Any, Callable[[], None]]],
                 where: str, span: Span | None, conditional: bool = True) -> None:
        """Exclusive alternatives: arm `(key, run)` is walked where `read()` gives `key`.
        `conditional=False`: every arm walks the same statements (towers merge points), so a
        domain that visits all alternatives may visit one."""
        read()
        for _key, run in arms if conditional else arms[:1]:
            run()

    def copies(self, path: str, lo: int, hi: int, fixed: int | None,
               run: Callable[[int], None], span: Span | None,
               count: Callable[[], int] | None = None) -> None:
        """Repeat copies: copy k is walked where the count is above k. The count is the
        decision at `path`, or `count()` (a `repeat name = expr`, no decision of its own)."""
        for k in range(hi):
            run(k)

    def towers_run(self, inputs: tuple[str, ...], run: Callable[[str], None],
                   close: Callable[[list[Any]], None], where: str, span: Span | None) -> None:
        """Each input runs through its own copy of a towers body up to the cut (`run(name)`
        walks it for the input `name`); then `close(ends)` merges the ends."""
        run(inputs[-1])
        self.step(lambda: close([None] * len(inputs)), where, span)

    def t_cur(self) -> Any:
        return None

    def t_set(self, x: Any) -> None:
        pass

    def t_push(self, frame: tuple) -> None:
        self._frames.append(frame)

    def t_pop(self) -> tuple:
        return self._frames.pop()

    def t_top(self) -> tuple:
        return self._frames[-1]

    def t_call(self, op: Any, stmt: CallStmt, seg: str, scope: Scope, names: list[str],
               flags: dict[str, frozenset[str]]) -> None:
        """Apply a primitive op to the current tensor (its arguments evaluated here)."""
        self.eval_args(stmt, seg, scope, names, flags)

    def t_merge(self, op: Any, xs: list[Any], name: str, path: str, span: Span | None,
                op_span: Span | None = None, stmt: Any = None) -> Any:
        return None

    def t_project(self, x: Any, like: Any, name: str, path: str, span: Span | None) -> Any:
        return None

    def t_store(self, base: str, name: str) -> None:
        """Save the current tensor as tap `name` (`base`: the label without its index)."""

    def t_fetch(self, base: str, name: str, ref: NameRef | None, scope: Scope,
                span: Span | None) -> Any:
        return None

    def t_output(self, name: str) -> None:
        pass

    def t_check_shared(self, first: Any, what: str, span: Span | None) -> None:
        """Layers about to be applied again (`what`): the current tensor must have the shape
        of `first`, the tensor they were built on."""

    def t_position(self, label: str) -> None:
        """A towers merge point is marked here."""

    def region(self, kind: str, stmt: Any = None, label: str | None = None) -> Any:
        """A context around the part of the walk that one construct owns (`block`,
        `optional`, `repeat`, `choice` and each of its `branch`es, `parallel`, `skip`,
        `towers`, `reuse`): the diagram domain draws it; the others need nothing."""
        return _NO_REGION

    def render(self, ref: NameRef, scope: Scope) -> str:
        """A label's name in this walk: `fire[k + 2]` -> 'fire3'."""
        if ref.index is None:
            return ref.name
        idx = self.evaluate(ref.index, scope)
        return ref.name if idx is UNKNOWN else f"{ref.name}{idx}"

    def switch_values(self, path: str) -> tuple | None:
        """The domain of the choice parameter at `path`, when this walk knows it."""
        return None

    # ==== what each construct means =============================================================
    def static(self, x: Any, scope: Scope, what: str, span: Span | None) -> Any:
        """A value that must be known before any decision is taken (bounds, defaults)."""
        saved, self._static = self._static, True
        try:
            v = self.evaluate(x, scope, "")
        finally:
            self._static = saved
        if v is UNKNOWN:
            raise ArchTypeError(f"{what} must not depend on a searched value or a tensor shape",
                                getattr(x, "span", None) or span,
                                "use literals, block arguments or repeat indices here")
        return v

    def save_tap(self, label: NameRef | None, scope: Scope) -> None:
        if label is not None and label is not self._reused_label:
            self.t_store(label.name, self.render(label, scope))

    def read_tap(self, ref: NameRef, scope: Scope, span: Span | None) -> Any:
        if ref.name == "input" and ref.index is None and "\0input" in scope.env:
            token = scope.env["\0input"]  # in a block: the tensor that entered it
            return self.t_fetch(token, token, None, scope, span)
        return self.t_fetch(ref.name, self.render(ref, scope), ref, scope, span)

    def leaf(self, label: NameRef | None, scope: Scope, fallback: str) -> str:
        return self.render(label, scope) if label is not None else fallback

    def defect(self, code: str, error: ArchError) -> None:
        """A problem in the template that lint classifies under `code` (AS103 unknown op,
        AS104 default outside its domain): an error here; lint's domain records it and the
        walk goes on with a fallback."""
        raise error

    def op_of(self, stmt: CallStmt) -> Any:
        from ..blocks import REGISTRY

        op = REGISTRY.get(stmt.op)
        if op is None:
            from ..blocks.base import suggest

            # statement keywords too: a misspelt `optinal conv(..)` parses as two calls
            candidates = list(REGISTRY) + list(self.blocks) + sorted(STATEMENT_KEYWORDS)
            hint = suggest(stmt.op, candidates).strip(" ()") or None
            span = stmt.span and stmt.span.model_copy(update={
                "end_line": stmt.span.line, "end_col": stmt.span.col + len(stmt.op)})
            self.defect("AS103", ArchNameError(
                f"unknown op or block '{stmt.op}'", span,
                hint or "see `archspace ops` for the built-in ops, or define it with `block`"))
        return op

    def on_call(self, stmt: CallStmt, seg: str, scope: Scope) -> None:
        where = join(scope.path, seg)
        if stmt.label is not None and stmt.label is not self._reused_label:
            self.note_reusable(stmt, seg, scope)
        if stmt.op in self.blocks:
            body = self.block_scope(stmt, seg, scope)
            token = f"\0input@{self.pos}"
            body.env["\0input"] = token
            self.step(lambda: self.t_store(token, token), where, stmt.span, pure=True)
            with self.region("block", stmt):
                self.walk_body(self.blocks[stmt.op].body, body)
            if stmt.label is not None:
                self.step(lambda: self.save_tap(stmt.label, scope), where, stmt.span)
            return
        op = self.op_of(stmt)
        if op is None:  # recorded by lint's domain
            return
        names = [a.name for a in op.signature]
        flags = {a.name: a.choices for a in op.signature if a.flag and a.choices}

        def one() -> None:
            self.t_call(op, stmt, seg, scope, names, flags)
            self.save_tap(stmt.label, scope)

        self.step(one, where, stmt.span)

    def on_optional(self, stmt: OptionalStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        default = self.static(stmt.default, scope, "a default", stmt.span) \
            if stmt.default else False
        if not isinstance(default, bool):
            raise ArchTypeError("an optional's default must be true or false",
                                stmt.default.span if stmt.default else stmt.span,
                                "write `optional default true ...`")
        self.register(path, dict(kind="bool", values=None, default=default, source="optional"),
                      scope.cond, stmt.span)
        inner = scope.child(cond=scope.cond + (Cond(path=path, values=(True,)),))
        if stmt.wraps and isinstance(stmt.body[0], SkipStmt):
            # `optional skip { body }`: only the residual is optional, the body always stays
            self.on_skip(stmt.body[0], seg, scope, residual=path, merge_scope=inner)
            return

        def run() -> None:
            if stmt.wraps:
                self.walk_stmt(stmt.body[0], seg, inner)
            else:  # a body keeps its names local, like every other body
                prefix = join_layer(scope.layer_prefix, stmt.name) if stmt.name \
                    else scope.layer_prefix
                self.walk_body(stmt.body, inner.child(path=path, env=dict(scope.env),
                                                      layer_prefix=prefix))

        with self.region("optional", stmt):
            self.branches(lambda: self.decision_value(path, stmt.span), [(True, run)], path,
                          stmt.span)

    def repeat_bounds(self, stmt: RepeatStmt, scope: Scope) -> tuple[int, int, int]:
        lo = self.static(stmt.lo, scope, "a repeat bound", stmt.span)
        hi = self.static(stmt.hi, scope, "a repeat bound", stmt.span)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (lo, hi)):
            raise ArchTypeError(f"repeat bounds must be integers >= 0, got {lo!r}..{hi!r}",
                                stmt.span)
        if lo > hi:
            raise ArchTypeError(f"repeat {lo}..{hi}: the lower bound is above the upper",
                                stmt.span, f"write {hi}..{lo}")
        if hi > MAX_REPEAT:
            raise ArchTypeError(f"repeat {lo}..{hi}: at most {MAX_REPEAT} copies", stmt.span)
        default = self.static(stmt.default, scope, "a default", stmt.span) \
            if stmt.default else lo
        if not (isinstance(default, int) and not isinstance(default, bool)
                and lo <= default <= hi):
            self.defect("AS104", ArchTypeError(
                f"default {default!r} is outside the repeat range {lo}..{hi}",
                getattr(stmt.default, "span", None) or stmt.span,
                f"the default count is an integer in {lo}..{hi}"))
            default = lo
        return lo, hi, default

    def on_repeat(self, stmt: RepeatStmt, seg: str, scope: Scope) -> None:
        path, lo, hi, fixed = self.enter_repeat(stmt, seg, scope)

        def copy(k: int) -> None:
            cond = scope.cond
            if k >= lo:  # copy k exists when the count is above k
                cond = cond + (Cond(path=path, values=tuple(range(k + 1, hi + 1))),)
            with self.shared_copy(stmt, k, path):
                self.walk_body(stmt.body, self.copy_scope(stmt, seg, scope, k, cond, lo, hi,
                                                          path))

        with self.region("repeat", stmt):
            self.copies(path, lo, hi, fixed, copy, stmt.span)

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
        return scope.child(path=join(scope.path, seg if stmt.shared else f"{seg}[{k}]"),
                           env=env, cond=cond,
                           shared_path=path, shared_cond=shared_cond,
                           layer_prefix=join_layer(scope.layer_prefix, copy_layer_name(seg, k)))

    def switch_binding(self, stmt: Any, scope: Scope) -> ParamBinding | None:
        """`choice kind { conv3: .. | conv5: .. }` where `kind` names a choice parameter (also
        through block arguments and lets): the structure follows that parameter."""
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

    def on_choice(self, stmt: ChoiceStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        labels = [branch_label(b, i) for i, b in enumerate(stmt.branches)]

        def arm(label: str, b: Branch, cond: tuple) -> tuple[Any, Callable[[], None]]:
            def run() -> None:
                with self.region("branch", b, label):
                    self.walk_body(b.body, scope.child(path=join(path, label), cond=cond,
                                                       env=dict(scope.env)))
            return label, run

        if stmt.name is not None and stmt.name in scope.env:
            # the name is bound: the structure follows it, no new decision
            binding = self.switch_binding(stmt, scope)
            if binding is None:
                self.static_switch(stmt, scope, labels, path)
                return
            values = self.switch_values(binding.path)
            if values is not None:
                check_switch(stmt, labels, values)
            arms = []
            for label, b in zip(labels, stmt.branches):
                value = next((v for v in values or () if str(v) == label), label)
                arms.append(arm(label, b, scope.cond + (Cond(path=binding.path,
                                                             values=(value,)),)))
            with self.region("choice", stmt):
                self.branches(lambda: str(self.lookup(stmt.name, scope, stmt.span)), arms,
                              path, stmt.span)
            return
        default = labels[0]
        if stmt.default is not None:
            d = stmt.default
            default = d.name if isinstance(d, E.Name) else self.static(d, scope, "a default",
                                                                        stmt.span)
            if isinstance(default, int) and not isinstance(default, bool) and \
                    str(default) in labels:
                default = str(default)
            if default not in labels:
                self.defect("AS104", ArchTypeError(
                    f"default '{_label_of(default)}' is not one of the alternatives",
                    getattr(d, "span", None) or stmt.span, "alternatives: " + ", ".join(labels)))
                default = labels[0]
        self.register(path, dict(kind="choice", values=tuple(labels), default=default,
                                 source="choice"), scope.cond, stmt.span)
        with self.region("choice", stmt):
            self.branches(lambda: self.decision_value(path, stmt.span),
                          [arm(label, b, scope.cond + (Cond(path=path, values=(label,)),))
                           for label, b in zip(labels, stmt.branches)], path, stmt.span)

    def static_switch(self, stmt: ChoiceStmt, scope: Scope, labels: list[str],
                      path: str) -> None:
        """`choice kind { .. }` where `kind` is a constant (a block argument, a let, a fixed
        param, a repeat index): the branch is picked when the template is read."""
        b = scope.env[stmt.name]
        if isinstance(b, RepeatBinding):
            raise ArchTypeError(f"'choice {stmt.name}' switches on a repeat", stmt.span,
                                f"switch on {stmt.name}.count, through a let")
        value = self.static(E.Name(name=stmt.name, span=stmt.span), scope,
                            f"'choice {stmt.name}' switches on '{stmt.name}', which", stmt.span)
        label = _label_of(value)
        if label not in labels:
            via = f" (as a call of block '{scope.blocks[-1]}' gave it)" if scope.blocks else ""
            raise ArchTypeError(f"'choice {stmt.name}': '{stmt.name}' is {label}{via}, which is "
                                "not one of the alternatives", stmt.span,
                                "alternatives: " + ", ".join(labels))
        b = stmt.branches[labels.index(label)]
        self.walk_body(b.body, scope.child(path=join(path, label), env=dict(scope.env)))

    def on_parallel(self, stmt: ParallelStmt, seg: str, scope: Scope) -> None:
        with self.region("parallel", stmt):
            self._parallel(stmt, seg, scope)

    def _parallel(self, stmt: ParallelStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        self.step(lambda: self.t_push(("parallel", self.t_cur(), self.evaluate(
            stmt.merge, scope, join(path, "merge")), ())), path, stmt.span)

        def collect() -> None:
            kind, first, op, outs = self.t_pop()
            self.t_push((kind, first, op, outs + (self.t_cur(),)))

        for i, b in enumerate(stmt.branches):
            self.step(lambda: self.t_set(self.t_top()[1]), path, stmt.span, pure=True)
            self.walk_body(b.body, scope.child(path=join(path, branch_label(b, i)),
                                               env=dict(scope.env)))
            self.step(collect, path, stmt.span, pure=True)

        def close() -> None:
            _kind, _start, op, outs = self.t_pop()
            name = join_layer(scope.layer_prefix, self.leaf(stmt.label, scope, str(op)))
            self.t_set(self.t_merge(op, list(outs), name, path, stmt.span,
                                    getattr(stmt.merge, "span", None), stmt))
            self.save_tap(stmt.label, scope)

        self.step(close, path, stmt.span)

    def on_skip(self, stmt: SkipStmt, seg: str, scope: Scope, residual: str | None = None,
                merge_scope: Scope | None = None) -> None:
        """`skip { body }`; `residual` names the optional that decides whether the residual
        is there (`optional skip`); its merge op is read only when it is."""
        with self.region("skip", stmt, "optional" if residual else None):
            self._skip(stmt, seg, scope, residual, merge_scope)

    def _skip(self, stmt: SkipStmt, seg: str, scope: Scope, residual: str | None,
              merge_scope: Scope | None) -> None:
        path = join(scope.path, seg)
        ms = merge_scope or scope

        def open_() -> None:
            on = True if residual is None else bool(self.decision_value(residual, stmt.span))
            self.t_push(("skip", self.t_cur(), on))

        self.step(open_, path, stmt.span, pure=residual is None)
        self.walk_body(stmt.body, scope.child(path=path, env=dict(scope.env)))

        def close() -> None:
            _kind, start, on = self.t_pop()
            if on:
                op = self.evaluate(stmt.merge, ms, join(path, "merge")) if stmt.merge \
                    else "add"
                name = join_layer(scope.layer_prefix,
                                  self.leaf(stmt.label, scope, stmt.name or "skip"))
                other = start
                if stmt.project:
                    other = self.t_project(start, self.t_cur(), name + ".proj", path, stmt.span)
                self.t_set(self.t_merge(op, [self.t_cur(), other], name, path, stmt.span,
                                        getattr(stmt.merge, "span", None), stmt))
            self.save_tap(stmt.label, scope)

        with self.using(ms.cond):
            self.step(close, path, stmt.span)

    def on_merge(self, stmt: MergeStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        span = stmt.tap.span or stmt.span

        def one() -> None:
            op = self.evaluate(stmt.op, scope, join(path, "op"))
            other = self.read_tap(stmt.tap, scope, span)
            name = join_layer(scope.layer_prefix, self.leaf(stmt.label, scope, str(op)))
            if stmt.project:
                other = self.t_project(other, self.t_cur(), name + ".proj", path, stmt.span)
            self.t_set(self.t_merge(op, [self.t_cur(), other], name, path, stmt.span,
                                    getattr(stmt.op, "span", None), stmt))
            self.save_tap(stmt.label, scope)

        self.step(one, path, stmt.span)

    def on_towers(self, stmt: TowersStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        at_path = join(path, "at")
        for name in stmt.inputs:
            if self.space.input(name) is None:
                from ..blocks.base import suggest

                raise ArchNameError(f"towers: unknown input '{name}'", stmt.span,
                                    suggest(name, [i.name for i in self.space.inputs]).strip(" ()")
                                    or "declare it with `input NAME: HxWxC`")
        if len(stmt.inputs) < 2:
            raise ArchTypeError("towers needs at least two inputs", stmt.span)
        segs = segments(stmt.body, scope.env)
        cuts, elsewhere = self.towers_positions(stmt, scope)
        named = _position_names(stmt.at, scope)
        positions = [p for p in cuts if p in named] if named else list(cuts)

        def read_at() -> Any:
            at = self.evaluate(stmt.at, scope, at_path)
            self.check_positions(at_path, list(cuts), stmt, elsewhere)
            if at is not UNKNOWN and at not in cuts:
                raise self.position_error(at, list(cuts), elsewhere, stmt)
            return at

        def arm(label: str) -> Callable[[], None]:
            cut = cuts[label]

            def run() -> None:
                self.step(lambda: self.t_push(("towers", label, self.evaluate(
                    stmt.merge, scope, join(path, "merge")))), path, stmt.span)
                envs: list[tuple[dict, dict]] = []

                def tower(name: str) -> None:
                    t = scope.child(env=dict(scope.env),
                                    layer_prefix=join_layer(scope.layer_prefix, name))
                    inner: dict[int, dict] = {}
                    self.walk_before_cut(stmt.body, segs, t, cut, inner)
                    envs.append((t.env, inner))

                def close(ends: list[Any]) -> None:
                    _kind, _at, op = self.t_pop()
                    self.t_set(self.t_merge(op, ends, join_layer(scope.layer_prefix,
                                                                 f"merge_{label}"),
                                            path, stmt.span, getattr(stmt.merge, "span", None),
                                            stmt))

                self.towers_run(stmt.inputs, tower, close, path, stmt.span)
                # names bound before the merge stay visible (the last tower's)
                scope.env.update(envs[-1][0])
                self.walk_after_cut(stmt.body, segs, scope, cut, envs[-1][1])
            return run

        with self.region("towers", stmt):
            self.branches(read_at, [(p, arm(p)) for p in positions], path, stmt.span,
                          conditional=False)

    # ---- towers merge positions ---------------------------------------------------------------
    # A position is a statement boundary of the towers body's main path: the body itself and,
    # inside a `repeat` there, the copies every configuration builds (k < lo). It is named by
    # an `@name` marker or by the label of the statement it follows (`as fire[2 * k + 3]` in
    # copy 0 names `@fire3`). Its *cut* says where the per-input part ends: `(n,)` = before
    # statement n; `(i, k, *cut)` = inside copy k of the repeat at statement i, at `cut`.
    def towers_positions(self, stmt: TowersStmt, scope: Scope
                         ) -> tuple[dict[str, tuple], dict[str, str]]:
        """The merge positions of a towers body (name -> cut, in body order), and the labels
        that cannot be one (name -> why: a copy some configurations do not build)."""
        found: dict[str, list] = {}  # name -> the cut of each boundary it names (or why not)
        ints = {k: v for k, v in scope.env.items() if isinstance(v, int)}

        def scan(body: tuple, env: dict, at: tuple, why: str) -> None:
            for i, s in enumerate(body):
                if isinstance(s, PositionStmt):
                    name, n = s.label, i
                else:
                    label = getattr(s.body[0] if isinstance(s, OptionalStmt) and s.wraps
                                    else s, "label", None)
                    name = render_ref(label, env) if isinstance(label, NameRef) and (
                        label.index is None or _static_index(label.index, env) is not None) \
                        else None
                    n = i + 1
                if name is not None:
                    found.setdefault(name, []).append(why or at + (n,))
                if isinstance(s, RepeatStmt):
                    lo, hi = _static_index(s.lo, env), _static_index(s.hi, env)
                    if lo is None or hi is None:
                        continue
                    for k in range(min(hi, MAX_REPEAT)):
                        sub = dict(env, **({s.index: k} if s.index else {}))
                        scan(s.body, sub, at + (i, k), why or (
                            "" if k < lo else f"it is in copy {k} of repeat "
                            f"'{s.name or 'repeat'}', which only a count above {k} builds"))

        scan(stmt.body, ints, (), "")
        cuts: dict[str, tuple] = {}
        elsewhere: dict[str, str] = {}
        for name, where in found.items():
            where = list(dict.fromkeys(where))  # `conv(..) as a` then `@a`: one boundary
            if len(where) > 1:
                elsewhere[name] = f"it names {len(where)} statement boundaries"
            elif isinstance(where[0], str):
                elsewhere[name] = where[0]
            else:
                cuts[name] = where[0]
        return cuts, elsewhere

    def position_error(self, name: Any, cuts: list[str], elsewhere: dict[str, str],
                       stmt: TowersStmt) -> ArchError:
        span = getattr(stmt.at, "span", None) or stmt.span
        at = stmt.at.param.values if isinstance(stmt.at, E.ParamExpr) and \
            hasattr(stmt.at.param, "values") else (stmt.at,)
        span = next((v.span for v in at if isinstance(v, E.Position) and v.label == name
                     and v.span is not None), span)
        if name in elsewhere:
            return ArchNameError(f"towers merge position '@{name}' cannot be a merge point: "
                                 f"{elsewhere[name]}", span,
                                 "positions: " + ", ".join("@" + p for p in cuts))
        return ArchNameError(f"towers merge position '@{name}' is not marked in the body", span,
                             "positions: " + ", ".join("@" + p for p in cuts))

    def walk_before_cut(self, body: tuple, segs: list[str], scope: Scope, cut: tuple,
                        inner: dict[int, dict], depth: int = 0) -> None:
        """Walk a towers body up to a cut (once per input); `inner` keeps the environment of
        each repeat copy the cut is in, for the rest of that copy after the merge."""
        n = cut[0]
        for s, sg in zip(body[:n], segs[:n]):
            self.walk_stmt(s, sg, scope)
        if len(cut) == 1:
            return
        rep, seg, k = body[n], segs[n], cut[1]
        self.pos += 1
        with self.region("repeat", rep):
            path, lo, hi, fixed = self.enter_repeat(rep, seg, scope)
            for j in range(k):  # copies below `lo`: built in every configuration
                self.walk_body(rep.body, self.copy_scope(rep, seg, scope, j, scope.cond, lo, hi,
                                                         path))
            cs = self.copy_scope(rep, seg, scope, k, scope.cond, lo, hi, path)
            self.walk_before_cut(rep.body, segments(rep.body, cs.env), cs, cut[2:], inner,
                                 depth + 1)
            inner[depth] = cs.env

    def walk_after_cut(self, body: tuple, segs: list[str], scope: Scope, cut: tuple,
                       inner: dict[int, dict], depth: int = 0) -> None:
        """The rest of a towers body after the merge (once): what `walk_before_cut` left."""
        n = cut[0]
        if len(cut) > 1:
            rep, seg, k = body[n], segs[n], cut[1]
            with self.region("repeat", rep):
                path, lo, hi, fixed = self.enter_repeat(rep, seg, scope)
                cs = self.copy_scope(rep, seg, scope, k, scope.cond, lo, hi, path)
                cs.env.update(inner[depth])
                self.walk_after_cut(rep.body, segments(rep.body, cs.env), cs, cut[2:], inner,
                                    depth + 1)

                def copy(j: int) -> None:
                    if j > k:
                        cond = scope.cond
                        if j >= lo:
                            cond = cond + (Cond(path=path, values=tuple(range(j + 1, hi + 1))),)
                        self.walk_body(rep.body, self.copy_scope(rep, seg, scope, j, cond, lo,
                                                                 hi, path))

                self.copies(path, lo, hi, fixed, copy, rep.span)
            self.pos += 1
            n += 1
        for s, sg in zip(body[n:], segs[n:]):
            self.walk_stmt(s, sg, scope)

    def enter_repeat(self, rep: RepeatStmt, seg: str, scope: Scope
                     ) -> tuple[str, int, int, int | None]:
        """A repeat's count: its decision (unless fixed) and its name in scope; `on_repeat` and
        a repeat that a towers cut splits both start here."""
        path = join(scope.path, seg)
        lo, hi, default = self.repeat_bounds(rep, scope)
        fixed = lo if lo == hi else None
        if fixed is None:
            self.register(path, dict(kind="int", lo=lo, hi=hi, step=1, default=default,
                                     source="repeat"), scope.cond, rep.span)
        self.bind_repeat(rep, scope, path, fixed)
        return path, lo, hi, fixed

    # ---- weight sharing -------------------------------------------------------------------------
    # A `shared` repeat's copies after the first, and a `reuse NAME`, walk statements again with
    # `sharing` on: each layer they build applies the weights of the layer the same statement
    # (at the same decision path) built first. Decisions are the first copy's (a shared repeat's
    # copies have one path, `seg`, not `seg[k]`), so the layers can only differ through the
    # tensor that enters them: that input must have the first one's shape.
    @contextmanager
    def shared_copy(self, stmt: RepeatStmt, k: int, path: str):
        if not stmt.shared:
            yield
            return
        if stmt.index is not None:
            raise ArchTypeError("a shared repeat has no index: its copies are one set of layers",
                                stmt.span, f"write `repeat {stmt.name or 'NAME'} in ... shared`")
        token = f"\0shared@{path}"
        if k == 0:
            self.step(lambda: self.t_store(token, token), path, stmt.span, pure=True)
            yield
            return
        self.step(lambda: self.t_check_shared(
            self.t_fetch(token, token, None, Scope(), stmt.span),
            f"copy {k} of shared repeat '{stmt.name or 'repeat'}'", stmt.span), path, stmt.span)
        self.sharing += 1
        try:
            yield
        finally:
            self.sharing -= 1

    def note_reusable(self, stmt: CallStmt, seg: str, scope: Scope) -> None:
        """A labelled call can be applied again by `reuse`: remember it and its input."""
        name = render_ref(stmt.label, scope.env)
        self._reusable[name] = (stmt, seg, scope)
        token = f"\0reuse@{name}"
        self.step(lambda: self.t_store(token, token), join(scope.path, seg), stmt.span,
                  pure=True)

    def on_reuse(self, stmt: Any, seg: str, scope: Scope) -> None:
        name = render_ref(stmt.ref, scope.env)
        hit = self._reusable.get(name)
        if hit is None:
            from ..blocks.base import suggest

            raise ArchNameError(f"reuse: no labelled call '{name}' before this", stmt.span,
                                suggest(name, list(self._reusable)).strip(" ()") or
                                f"label an op or block call earlier: conv(..) as {name}")
        target, tseg, tscope = hit
        token = f"\0reuse@{name}"
        self.step(lambda: self.t_check_shared(self.t_fetch(token, token, None, Scope(),
                                                           stmt.span),
                                              f"reuse {name}", stmt.span),
                  join(scope.path, seg), stmt.span)
        saved, self._reused_label = self._reused_label, target.label
        self.sharing += 1
        try:
            with self.using(scope.cond), self.region("reuse", stmt):
                self.on_call(target, tseg, tscope)
        finally:
            self.sharing -= 1
            self._reused_label = saved

    def check_positions(self, at_path: str, positions: list[str], stmt: TowersStmt,
                        elsewhere: dict[str, str] | None = None) -> None:
        """The declaration domain checks that every value of the merge point is marked."""

    def on_position(self, stmt: PositionStmt, seg: str, scope: Scope) -> None:
        self.step(lambda: self.t_position(stmt.label), join(scope.path, seg), stmt.span,
                  pure=True)

    def on_from(self, stmt: FromStmt, seg: str, scope: Scope) -> None:
        self.step(lambda: self.t_set(self.read_tap(stmt.ref, scope, stmt.span)),
                  join(scope.path, seg), stmt.span)

    def on_output(self, stmt: OutputStmt, seg: str, scope: Scope) -> None:
        if self.space.outputs and not any(o.name == stmt.name for o in self.space.outputs):
            from ..blocks.base import suggest

            raise ArchNameError(f"unknown output '{stmt.name}'", stmt.span,
                                suggest(stmt.name, [o.name for o in self.space.outputs]).strip(" ()")
                                or "declare it with `output NAME: UNITS`")
        self.step(lambda: self.t_output(stmt.name), join(scope.path, seg), stmt.span, pure=True)

    # ---- conditions, counts that are expressions, k-of-n picks ---------------------------------
    def logic(self, x: E.BinOp, ev: Callable[[Any], Any]) -> Any:
        """`a and b`, `a or b`, short-circuit like Python (the right side is not evaluated, so
        its decisions are not read, when the left decides); an unknown side stays unknown
        unless the other side decides."""
        a = truth(ev(x.left), getattr(x.left, "span", None) or x.span)
        if a is (x.op == "or"):
            return a
        b = truth(ev(x.right), getattr(x.right, "span", None) or x.span)
        if a is UNKNOWN and b is not (x.op == "or"):
            return UNKNOWN
        return b

    def probed(self, path: str, value: Any) -> Any:
        """A decision's value as a walk reads it; while `outcomes` enumerates a condition, an
        unknown value is the one assumed for that case (or a request to assume one)."""
        if self._probe is None or value is not UNKNOWN:
            return value
        if path in self._probe:
            return self._probe[path]
        raise _ProbeNeed(path)

    def outcomes(self, read: Callable[[], Any], span: Span | None) -> list[tuple[Any, tuple]]:
        """Every value `read()` (an evaluation) takes, each with the condition (a conjunction
        of `Cond`) under which it does: the decisions it reads are assumed one value at a
        time, in the order it reads them. A walk that knows every value (one configuration)
        gets one outcome with no condition; a value no decision explains (a tensor shape, a
        continuous float) stays UNKNOWN."""
        out: list[tuple[Any, tuple]] = []
        todo: list[dict[str, Any]] = [{}]
        saved, use = self._probe, self.use_cond
        try:
            while todo:
                assumed = todo.pop()
                self._probe = assumed
                # a decision read after others is used only where they took these values
                # (`wide and kernel > 1` reads kernel only where wide is true)
                terms = tuple(Cond(path=p, values=(v,))
                              for p, v in assumed.items() if v is not UNKNOWN)
                self.use_cond = _conjoin(use, terms) or use + terms
                try:
                    value = read()
                except _ProbeNeed as need:
                    values = self.decision_domain(need.path)
                    if values is None:
                        todo.append({**assumed, need.path: UNKNOWN})
                    else:
                        todo.extend({**assumed, need.path: v} for v in reversed(values))
                    if len(todo) + len(out) > MAX_OUTCOMES:
                        raise ArchTypeError(f"this condition depends on too many decisions (over "
                                            f"{MAX_OUTCOMES:,} combinations of their values)",
                                            span, "split it, or use fewer searched values") \
                            from None
                    continue
                out.append((value, tuple(Cond(path=p, values=(v,))
                                         for p, v in assumed.items() if v is not UNKNOWN)))
        finally:
            self._probe, self.use_cond = saved, use
        return _merge_outcomes(out)

    def on_if(self, stmt: IfStmt, seg: str, scope: Scope) -> None:
        """The body whose condition holds. Static conditions leave one arm; a searched one
        keeps both, each walked under the decision values that lead to it."""
        path = join(scope.path, seg)

        def read() -> Any:
            return truth(self.evaluate(stmt.cond, scope, join(path, "cond")),
                         getattr(stmt.cond, "span", None) or stmt.span)

        outs = self.outcomes(read, stmt.span)
        arms = []
        for key, body, label in ((True, stmt.then, "then"), (False, stmt.orelse or (), "else")):
            conjs = _union([c for v, c in outs if v is key or v is UNKNOWN])
            if conjs:
                arms.append((key, self._if_arm(body, label, scope, join(path, label), conjs)))
        if any(c for _v, c in outs):  # enumerated: the uses of its decisions are recorded
            read = lambda: UNKNOWN  # noqa: E731
        # decided by a shape (or a continuous float): both bodies are walked where either
        # may be built, so the activity of the decisions inside is an over-approximation
        loose = self.loosely() if any(v is UNKNOWN for v, _c in outs) else _NO_REGION
        with self.region("if", stmt), loose:
            self.branches(read, arms, path, stmt.span)

    def loosely(self) -> Any:
        """A context in which the decisions registered or used may be reported active where
        they are not (the declaration domain marks them; cardinality is then a bound)."""
        return _NO_REGION

    def _if_arm(self, body: tuple, label: str, scope: Scope, path: str,
                conjs: list[tuple]) -> Callable[[], None]:
        def run() -> None:
            with self.region("branch", Branch(label=label, body=body), label):
                for conj in conjs:  # several only in the declaration domain (a disjunction)
                    cond = _conjoin(scope.cond, conj)
                    if cond is not None:
                        self.walk_body(body, scope.child(path=path, cond=cond,
                                                         env=dict(scope.env)))
        return run

    def on_repeat_count(self, stmt: RepeatCountStmt, seg: str, scope: Scope) -> None:
        """`repeat up[i] = down.count { }`: copy k exists where the count is above k."""
        path = join(scope.path, seg)
        span = getattr(stmt.count, "span", None) or stmt.span

        def read() -> Any:
            v = self.evaluate(stmt.count, scope, join(path, "count"))
            if v is UNKNOWN:
                return v
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not (isinstance(v, int) and not isinstance(v, bool)) or v < 0:
                raise ArchTypeError(f"a repeat count must be an integer >= 0, got {v!r}", span,
                                    "use // for an integer division")
            if v > MAX_REPEAT:
                raise ArchTypeError(f"repeat count {v}: at most {MAX_REPEAT} copies", span)
            return v

        outs = self.outcomes(read, stmt.span)
        counts = [v for v, _ in outs if v is not UNKNOWN]
        if len(counts) < len(outs):
            counts.append(self.unknown_count(stmt))
        lo, hi = min(counts), max(counts)
        if stmt.name is not None:
            scope.env[stmt.name] = RepeatBinding(
                count_path=path, fixed=None,
                count=Thunk(stmt.count, scope.child(env=dict(scope.env)), join(path, "count"),
                            self.here()))
        copy0 = _union([c for v, c in outs if v is UNKNOWN or v > 0])
        shared_cond = scope.cond + (copy0[0] if len(copy0) == 1 else ())

        def copy(k: int) -> None:
            for conj in _union([c for v, c in outs if v is UNKNOWN or v > k]):
                cond = _conjoin(scope.cond, conj)
                if cond is None:
                    continue
                env = dict(scope.env)
                if stmt.index is not None:
                    env[stmt.index] = k
                self.walk_body(stmt.body, scope.child(
                    path=join(scope.path, f"{seg}[{k}]"), env=env, cond=cond,
                    shared_path=path, shared_cond=shared_cond))

        with self.region("repeat", stmt):
            self.copies(path, lo, hi, lo if lo == hi else None, copy, stmt.span, count=read)

    def unknown_count(self, stmt: RepeatCountStmt) -> int:
        """A `repeat name = expr` whose count no decision explains."""
        raise ArchTypeError("the count of `repeat ... = expr` must depend only on constants and "
                            "decisions, not on a tensor shape or a continuous float",
                            getattr(stmt.count, "span", None) or stmt.span,
                            "count with a repeat's .count, an int() or choice() parameter")

    def on_pick(self, stmt: PickStmt, seg: str, scope: Scope) -> None:
        """`pick n 2 of (a, b, c) merge add { edge }`: one decision over the k-element sets of
        the taps (unordered: each set once); each tap in the set runs through its own copy of
        the edge body, in the order listed, and the results are merged."""
        path = join(scope.path, seg)
        names = [self.tap_name(ref, scope) for ref in stmt.taps]
        k = self.static(stmt.k, scope, "the number of picked inputs", stmt.span)
        if not (isinstance(k, int) and not isinstance(k, bool)) or not 1 <= k <= len(names):
            raise ArchTypeError(f"pick {k!r} of {len(names)} inputs: the number picked must be "
                                f"an integer in 1..{len(names)}",
                                getattr(stmt.k, "span", None) or stmt.span)
        twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if twice is not None:
            raise ArchTypeError(f"pick lists the input '{twice}' twice", stmt.span,
                                "each input may be picked once")
        if math.comb(len(names), k) > MAX_PICK_SETS:
            raise ArchTypeError(f"pick {k} of {len(names)}: more than {MAX_PICK_SETS:,} sets",
                                stmt.span, "pick from fewer inputs")
        sets = [PICK_SEP.join(c) for c in itertools.combinations(names, k)]
        self.register(path, dict(kind="choice", values=tuple(sets), default=sets[0],
                                 source="pick"), scope.cond, stmt.span)
        self.step(lambda: self.t_push(("pick", self.t_cur(), self.evaluate(
            stmt.merge, scope, join(path, "merge")), ())), path, stmt.span)

        def collect() -> None:
            kind, start, op, outs = self.t_pop()
            self.t_push((kind, start, op, outs + (self.t_cur(),)))

        def edge(ref: NameRef, name: str) -> Callable[[], None]:
            holding = tuple(s for s in sets if name in s.split(PICK_SEP))
            inner = scope.child(path=join(path, name), env=dict(scope.env),
                                cond=scope.cond + (Cond(path=path, values=holding),))

            def run() -> None:
                with self.region("branch", Branch(label=name, body=stmt.body), name):
                    self.step(lambda: self.t_set(self.read_tap(ref, scope, ref.span or stmt.span)),
                              path, stmt.span)
                    self.walk_body(stmt.body, inner)
                self.step(collect, path, stmt.span, pure=True)
            return run

        def picked(name: str) -> Any:
            v = self.decision_value(path, stmt.span)
            return v if v is UNKNOWN else name in str(v).split(PICK_SEP)

        with self.region("pick", stmt):
            for ref, name in zip(stmt.taps, names):
                self.pos += 1  # each edge reads the decision at a position of its own
                self.branches(lambda name=name: picked(name), [(True, edge(ref, name))],
                              join(path, name), stmt.span)

        def close() -> None:
            _kind, start, op, outs = self.t_pop()
            if len(outs) == 1:  # pick 1: the edge's output, nothing to merge
                self.t_set(outs[0])
            else:
                leaf = self.leaf(stmt.label, scope, stmt.name or str(op))
                self.t_set(self.t_merge(op, list(outs), join_layer(scope.layer_prefix, leaf),
                                        path, stmt.span, getattr(stmt.merge, "span", None), stmt))
            self.save_tap(stmt.label, scope)

        self.step(close, path, stmt.span)

    def tap_name(self, ref: NameRef, scope: Scope) -> str:
        """A tap's name when the template is read (`n[i + 1]` with a static index -> 'n2')."""
        if ref.index is None:
            return ref.name
        idx = self.static(ref.index, scope, "the index of a picked input", ref.span)
        return f"{ref.name}{idx}"

    # ---- conditions of use ----------------------------------------------------------------------
    @contextmanager
    def using(self, cond: tuple):
        """Decisions read inside are used under `cond` (the declaration domain's conditions)."""
        saved, self.use_cond = self.use_cond, cond
        try:
            yield
        finally:
            self.use_cond = saved

    def run(self) -> None:
        root = self.global_scope()
        self._root_env = dict(root.env)
        if self.space.network is not None:
            self.walk_body(self.space.network, root)


_NO_REGION = nullcontext()


def check_switch(stmt: ChoiceStmt, labels: list[str], values: tuple) -> None:
    """`choice kind { .. }` on a choice parameter: one branch per value."""
    values = [str(v) for v in values]
    missing = [v for v in values if v not in labels]
    extra = [lb for lb in labels if lb not in values]
    if missing or extra:
        raise ArchTypeError(
            f"'choice {stmt.name}' must have one branch per value of the parameter",
            stmt.span, (f"missing: {', '.join(missing)}" if missing else "") +
            ("; " if missing and extra else "") + (f"not a value: {', '.join(extra)}"
                                                  if extra else ""))


def _position_names(at: Any, scope: Scope) -> set[str]:
    """The positions a towers `at` expression can name (`choice(@a, @b)`, `@a`, a parameter
    declared as one of those); empty when it cannot be told statically."""
    from .params import ChoiceParam

    if isinstance(at, E.Position):
        return {at.label}
    if isinstance(at, E.Name) and isinstance(scope.env.get(at.name), ParamBinding):
        at = E.ParamExpr(param=scope.env[at.name].decl.param)
    if isinstance(at, E.ParamExpr) and isinstance(at.param, ChoiceParam):
        names = {v.label for v in at.param.values if isinstance(v, E.Position)}
        return names if len(names) == len(at.param.values) else set()
    return set()


def _label_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)



def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


#: joins the taps of one set in a `pick` decision's values: 'c0+n1'
PICK_SEP = "+"


def truth(v: Any, span: Span | None) -> Any:
    """A condition's value: true, false or UNKNOWN; anything else is an error."""
    if v is UNKNOWN or isinstance(v, bool):
        return v
    raise ArchTypeError(f"a condition must be true or false, got {_label_of(v)}", span,
                        "compare it, e.g. `x != 0`")


def _union(conjs: list[tuple]) -> list[tuple]:
    """A disjunction of conjunctions, those equal but for one decision's values merged
    (`d = 2 or d = 3` -> `d in {2, 3}`)."""
    if () in conjs:
        return [()]
    groups: dict[tuple, list] = {}  # first (linear): equal but for the last term's values
    for conj in conjs:
        vals = groups.setdefault((conj[:-1], conj[-1].path), [])
        vals.extend(v for v in conj[-1].values if v not in vals)
    return _merge_terms([pre + (Cond(path=p, values=tuple(vals)),)
                         for (pre, p), vals in groups.items()])


def _merge_terms(conjs: list[tuple], limit: int = 64) -> list[tuple]:
    """Conjunctions equal but for the values of one decision become one (`a = 1 and b = 2 or
    a = 1 and b = 3` -> `a = 1 and b in {2, 3}`): what an enumerated condition leaves."""
    if len(conjs) > limit:
        return conjs
    conjs = list(conjs)
    i = 0
    while i < len(conjs):
        for j in range(i + 1, len(conjs)):
            merged = _merge_pair(conjs[i], conjs[j])
            if merged is not None:
                conjs[i] = merged
                del conjs[j]
                break
        else:
            i += 1
    return conjs


def _merge_pair(a: tuple, b: tuple) -> tuple | None:
    da, db = {c.path: c for c in a}, {c.path: c for c in b}
    if len(da) != len(a) or len(db) != len(b) or da.keys() != db.keys():
        return None
    diff = [p for p in da if set(da[p].values) != set(db[p].values)]
    if len(diff) != 1:
        return None
    p = diff[0]
    values = da[p].values + tuple(v for v in db[p].values if v not in da[p].values)
    return tuple(Cond(path=p, values=values) if c.path == p else c for c in a)


def _conjoin(cond: tuple, conj: tuple) -> tuple | None:
    """`cond and conj`, a term on a decision `cond` already constrains intersected with it
    (`g in {2, 3} and g = 3` -> `g = 3`); None when no value is left (never walked)."""
    out = list(cond)
    for term in conj:
        i = next((j for j, c in enumerate(out) if c.path == term.path), None)
        if i is None:
            out.append(term)
            continue
        values = tuple(v for v in out[i].values if v in term.values)
        if not values:
            return None
        out[i] = Cond(path=term.path, values=values)
    return tuple(out)


def _merge_outcomes(out: list[tuple[Any, tuple]]) -> list[tuple[Any, tuple]]:
    """Outcomes with the same value and conditions that `_union` merges, merged."""
    by_value: dict[Any, tuple[Any, list]] = {}
    for v, conj in out:
        key = (type(v), v)
        by_value.setdefault(key, (v, []))[1].append(conj)
    return [(v, c) for v, conjs in by_value.values() for c in _union(conjs)]


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
