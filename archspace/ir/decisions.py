"""The decisions of a space: every searched choice, its IR path, domain, default, and the
condition under which it is active.

A condition is a disjunction of conjunctions of `Cond(path, values)` ("decision `path` took one
of `values`"). Structural decisions (repeat counts, optionals, structure choices, inline
parameters) are active where they stand; a declared `param` is active wherever it is used, so a
ratio used only inside an optional SE block is inactive when the block is off.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterable, Literal, Union

from pydantic import ValidationError

from ..cache import PerObject
from ..errors import ArchError, ArchNameError, ArchTypeError, ErrorSink
from ..source import Span
from .base import Node
from .nodes import CallStmt, NameRef, OptionalStmt, ParamDecl
from .params import BoolParam, ChoiceParam, FixedParam, FloatParam, IntParam
from .space import Space
from .walk import (MAX_REPEAT, UNKNOWN, Cond, ParamBinding, RepeatBinding, Scope,  # noqa: F401
                   Walker, _merge_terms, join, render_ref)

Value = Union[bool, int, float, str]

#: guards against inputs that would take the explorer minutes: copies of one repeat, and
#: statements walked in all (every copy and alternative; the paper's spaces walk < 2,000)
MAX_WALK_STEPS = 10_000
#: a numeric domain with more values than this is not listed (it is handled by arithmetic,
#: sampled, or probed at representative values like a continuous float)
MAX_LISTED = 100_000


class _TooLarge(Exception):
    def __init__(self, stmt: Any):
        super().__init__("space too large")
        self.stmt = stmt



class Decision(Node):
    path: str
    kind: Literal["int", "float", "choice", "bool"]
    source: Literal["param", "inline", "repeat", "optional", "choice", "towers", "pick", "train",
                    "search"]
    lo: float | int | None = None
    hi: float | int | None = None
    step: float | int | None = None
    log: bool = False
    values: tuple[Value, ...] | None = None
    default: Value
    #: disjunction of conjunctions; ((),) means always active, () means never active
    when: tuple[tuple[Cond, ...], ...] = ((),)

    # -- domain ------------------------------------------------------------------------------
    def domain_values(self) -> tuple[Value, ...] | None:
        """Every value of a finite domain, in order; None for a continuous float and for a
        numeric domain too large to list (`MAX_LISTED`; see `size` and `value_at`)."""
        if self.kind == "bool":
            return (False, True)
        if self.kind == "choice":
            return self.values
        if (self.kind == "float" and not self.step) or (self.size or 0) > MAX_LISTED:
            return None
        if self.kind == "int":
            step = int(self.step or 1)
            return tuple(range(int(self.lo), int(self.hi) + 1, step))
        if self.step:
            n = int(math.floor((self.hi - self.lo) / self.step + 1e-9))
            return tuple(_round(self.lo + i * self.step) for i in range(n + 1))
        return None

    @property
    def size(self) -> int | None:
        if self.kind == "int":
            return (int(self.hi) - int(self.lo)) // int(self.step or 1) + 1
        if self.kind == "float" and self.step:
            return int(math.floor((self.hi - self.lo) / self.step + 1e-9)) + 1
        vals = self.domain_values()
        return None if vals is None else len(vals)

    @property
    def listed(self) -> bool:
        """A finite domain small enough to list."""
        return self.kind in ("bool", "choice") or (self.size is not None
                                                   and self.size <= MAX_LISTED)

    def value_at(self, i: int) -> Value:
        """The i-th value of a finite domain, without listing it."""
        if self.kind in ("bool", "choice"):
            return self.domain_values()[i]  # type: ignore[index]
        if self.kind == "int":
            return int(self.lo) + i * int(self.step or 1)
        return _round(self.lo + i * self.step)

    def contains(self, value: Any) -> bool:
        if self.kind == "bool":  # 0 and 1 too, as normalize() maps them (pymoo, numpy)
            return isinstance(value, bool) or (_is_num(value) and value in (0, 1))
        if self.kind == "float" and not self.step:
            return _is_num(value) and self.lo <= value <= self.hi
        if self.kind == "float":
            return _is_num(value) and self._step_value(value) is not None
        if self.kind == "int":  # arithmetic: a domain may be large (int(0, 10**9))
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            step = int(self.step or 1)
            return (isinstance(value, int) and not isinstance(value, bool)
                    and self.lo <= value <= self.hi and (value - self.lo) % step == 0)
        vals = self.domain_values() or ()
        return any(value == v and type(value) is type(v) or
                   (_is_num(value) and _is_num(v) and value == v) for v in vals)

    def _step_value(self, value: Any) -> float | None:
        """The grid point of a stepped float domain that `value` is (within 1e-9), if any."""
        k = round((value - self.lo) / self.step)
        n = int(math.floor((self.hi - self.lo) / self.step + 1e-9))
        if not 0 <= k <= n:
            return None
        v = _round(self.lo + k * self.step)
        return v if abs(value - v) <= 1e-9 * max(1.0, abs(v)) else None

    def normalize(self, value: Any) -> Value:
        """The domain's own representative of `value` (1.0 -> 1 for ints, snap float steps)."""
        if self.kind == "int" and isinstance(value, float) and value.is_integer():
            return int(value)
        if self.kind == "float" and _is_num(value):
            if self.step:
                v = self._step_value(value)
                if v is not None:
                    return v
            return float(value)
        if self.kind == "choice":
            for v in self.values or ():
                if value == v:
                    return v
        if self.kind == "bool" and isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        return value

    def domain_str(self) -> str:
        if self.kind == "bool":
            return "true | false"
        if self.kind == "choice":
            return " | ".join(_fmt(v) for v in self.values or ())
        s = f"{_fmt(self.lo)}..{_fmt(self.hi)}"
        if self.step and not (self.kind == "int" and self.step == 1):
            s += f" step {_fmt(self.step)}"
        if self.log:
            s += " log"
        return s

    def when_str(self) -> str:
        if self.when == ((),):
            return "always"
        if not self.when:
            return "never"
        alts = [" and ".join(f"{c.path} in {{{', '.join(_fmt(v) for v in c.values)}}}"
                             if len(c.values) > 1 else f"{c.path} = {_fmt(c.values[0])}"
                             for c in conj) or "always" for conj in self.when]
        return " or ".join(alts)

    def active(self, values: dict[str, Any]) -> bool:
        return any(all(values.get(c.path, _MISSING) in c.values for c in conj)
                   for conj in self.when)


_MISSING = object()


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


class DecisionList(Node):
    """The decisions of one space, in walk order (a parent always precedes its children)."""

    space: str | None = None
    decisions: tuple[Decision, ...] = ()
    #: fixed values and constants that are not searched but shape the network
    constants: tuple[tuple[str, Value], ...] = ()
    #: decisions whose activity is an over-approximation (used inside an `if` that a tensor
    #: shape decides): counting configurations with them gives an upper bound
    loose: tuple[str, ...] = ()

    def __iter__(self):  # type: ignore[override]
        return iter(self.decisions)

    def __len__(self) -> int:
        return len(self.decisions)

    def by_path(self) -> dict[str, Decision]:
        return {d.path: d for d in self.decisions}

    def get(self, path: str) -> Decision | None:
        return self.by_path().get(path)


# --------------------------------------------------------------------------------------------
class _Pending:
    """A decision being collected: domain fixed at first sight, conditions OR-ed over uses."""

    def __init__(self, fields: dict[str, Any], span: Span | None):
        self.fields = fields
        self.span = span
        self.when: list[tuple[Any, ...]] = []

    def add_when(self, cond: tuple) -> None:
        conj = tuple(cond)
        if conj not in self.when:
            self.when.append(conj)


class Explorer(Walker):
    """Visits every part of the network once per copy/alternative, collecting decisions."""

    memoize_thunks = False

    def __init__(self, space: Space):
        super().__init__(space)
        self.pending: dict[str, _Pending] = {}
        self.sink = ErrorSink()
        self.use_cond: tuple = ()
        self.steps = 0  # statements walked, against MAX_WALK_STEPS
        self._probe_uses: dict[str, list] | None = None  # see outcomes
        self._loose = 0                   # inside `loosely()`
        self.loose_paths: set[str] = set()
        # labels seen so far in walk order, for the static check of taps (`merge .. with x`,
        # `from x`): plain or statically indexed names, and bases of dynamically indexed ones
        self.tap_names: set[str] = set()
        self.tap_bases: set[str] = set()
        from ..blocks import REGISTRY

        self.ops = REGISTRY

    # ---- registration -----------------------------------------------------------------------
    def register(self, path: str, fields: dict[str, Any], cond: tuple | None,
                 span: Span | None) -> None:
        if self._loose:
            self.loose_paths.add(path)
        p = self.pending.get(path)
        if p is None:
            p = self.pending[path] = _Pending(fields, span)
        elif p.fields != fields:
            raise ArchTypeError(f"two different decisions share the path '{path}'", span,
                                "give one of them another name (use 'as' or rename the param)")
        if cond is not None:
            p.add_when(cond)

    def domain(self, param: Any, scope: Scope, span: Span | None) -> dict[str, Any]:
        """Evaluate a parameter's domain statically and check it."""
        if isinstance(param, IntParam):
            lo = self.static(param.lo, scope, "an int() bound", span)
            hi = self.static(param.hi, scope, "an int() bound", span)
            step = self.static(param.step, scope, "an int() step", span) if param.step else 1
            for v in (lo, hi, step):
                if not (_is_num(v) and float(v).is_integer()):
                    raise ArchTypeError(f"int() bounds and step must be integers, got {v!r}",
                                        param.span or span)
            lo, hi, step = int(lo), int(hi), int(step)
            if lo > hi:
                raise ArchTypeError(f"int({lo}, {hi}): the lower bound is above the upper",
                                    param.span or span, f"write int({hi}, {lo})")
            if step <= 0:
                raise ArchTypeError("int() step must be positive", param.span or span)
            f = dict(kind="int", lo=lo, hi=hi, step=step)
            dflt = lo
        elif isinstance(param, FloatParam):
            lo = self.static(param.lo, scope, "a float() bound", span)
            hi = self.static(param.hi, scope, "a float() bound", span)
            step = self.static(param.step, scope, "a float() step", span) if param.step else None
            if not (_is_num(lo) and _is_num(hi)):
                raise ArchTypeError("float() bounds must be numbers", param.span or span)
            if lo > hi:
                raise ArchTypeError(f"float({lo:g}, {hi:g}): the lower bound is above the upper",
                                    param.span or span)
            if step is not None and (not _is_num(step) or step <= 0):
                raise ArchTypeError("float() step must be a positive number", param.span or span)
            if param.log and lo <= 0:
                raise ArchTypeError("float(..., log) needs a positive lower bound",
                                    param.span or span, "log sampling is undefined at 0")
            f = dict(kind="float", lo=float(lo), hi=float(hi),
                     step=float(step) if step else None, log=param.log)
            dflt = float(lo)
        elif isinstance(param, ChoiceParam):
            values = []
            for x in param.values:
                v = self.static(x, scope, "a choice() value", span)
                if isinstance(v, (list, tuple)):
                    raise ArchTypeError("choice() values must be single values", x.span or span,
                                        _single_values_hint(param.values))
                if v in values and type(v) is type(values[values.index(v)]):
                    raise ArchTypeError(f"choice() lists {_fmt(v)} twice", x.span or span)
                values.append(v)
            if not values:  # the transformer reported it with these very words
                raise ArchTypeError("choice() needs at least one value", param.span or span,
                                    "write choice(a, b, ...)")
            f = dict(kind="choice", values=tuple(values))
            dflt = values[0]
        elif isinstance(param, BoolParam):
            f = dict(kind="bool", values=None)
            dflt = False
        else:  # pragma: no cover - fixed params never reach here
            raise AssertionError(param)
        if getattr(param, "default", None) is not None:
            dflt = self.static(param.default, scope, "a default", span)
        d = Decision(path="x", source="param", default=_as_value(dflt), **f)
        if not d.contains(dflt):
            raise ArchTypeError(f"default {_fmt(dflt)} is outside the domain {d.domain_str()}",
                                getattr(param.default, "span", None) or param.span or span,
                                "pick one of the values, or add it to them" if d.kind == "choice"
                                else "pick a default inside the range, or widen the range")
        f["default"] = d.normalize(dflt)
        return f

    # ---- hooks ------------------------------------------------------------------------------
    def declare(self, decl: ParamDecl, scope: Scope, path: str) -> None:
        super().declare(decl, scope, path)
        if not isinstance(decl.param, FixedParam):
            src = "param"
            try:  # a bad domain is reported, and the walk goes on to find the other errors
                self.register(path, dict(self.domain(decl.param, scope, decl.span), source=src),
                              None, decl.span)
            except ArchError as e:
                self.sink.add(e)

    def param_value(self, binding: ParamBinding, scope: Scope, span: Span | None) -> Any:
        # the condition of the statement being walked, not of the scope the name lives in:
        # a block argument is evaluated where the block uses it
        p = self.pending.get(binding.path)
        if self._loose:
            self.loose_paths.add(binding.path)
        if self._probe_uses is not None:  # enumerating a condition: see outcomes
            self._probe_uses.setdefault(binding.path, []).append(self.use_cond)
        elif p is not None:  # None: its declaration was malformed (already reported)
            p.add_when(self.use_cond)
        return UNKNOWN

    @contextmanager
    def loosely(self):
        self._loose += 1
        try:
            yield
        finally:
            self._loose -= 1

    def outcomes(self, read: Any, span: Span | None) -> list:
        # a parameter a condition reads is used under each case that reads it; the cases are
        # merged (`a = 1 or a = 2 or a = 3` -> `a in {1, 2, 3}`) before they become its uses
        saved, self._probe_uses = self._probe_uses, {}
        try:
            out = super().outcomes(read, span)
        finally:
            uses, self._probe_uses = self._probe_uses, saved
        for path, conds in uses.items():
            p = self.pending.get(path)
            for conj in _merge_terms(list(dict.fromkeys(conds))):
                if saved is not None:
                    saved.setdefault(path, []).append(conj)
                elif p is not None:
                    p.add_when(conj)
        return out

    def inline_value(self, param: Any, path: str, scope: Scope, span: Span | None) -> Any:
        if isinstance(param, FixedParam):
            return self.static(param.value, scope, "fixed()", span)
        source = "train" if path.startswith("train/") else (
            "search" if path.startswith("search/") else "inline")
        self.register(path, dict(self.domain(param, scope, span), source=source), self.use_cond,
                      span)
        return UNKNOWN

    def in_attr(self, attr: str, scope: Scope, span: Span | None) -> Any:
        from .walk import SHAPE_ATTRS

        if attr not in SHAPE_ATTRS:
            from ..blocks.base import suggest

            raise ArchNameError(f"'in' has no attribute '.{attr}'", span,
                                suggest(attr, SHAPE_ATTRS).strip(" ()") or
                                "one of " + ", ".join(SHAPE_ATTRS))
        return UNKNOWN

    def repeat_count(self, binding: RepeatBinding, scope: Scope) -> Any:
        return binding.fixed if binding.fixed is not None else UNKNOWN

    def decision_domain(self, path: str) -> tuple | None:
        p = self.pending.get(path)
        if p is None:
            return None
        values = Decision(path=path, **p.fields).domain_values()
        return values if values is not None and len(values) <= MAX_LISTED else None

    def decision_value(self, path: str, span: Span | None) -> Any:
        return UNKNOWN

    def switch_values(self, path: str) -> tuple | None:
        p = self.pending.get(path)
        if p is None:  # its declaration was malformed (already reported)
            return None
        if p.fields.get("kind") != "choice":
            raise ArchTypeError(f"'choice' switches on the parameter '{path}', which must be a "
                                "choice()", p.span)
        return tuple(p.fields.get("values") or ())

    def check_positions(self, at_path: str, positions: list[str], stmt: Any,
                        elsewhere: dict[str, str] | None = None) -> None:
        d = self.pending.get(at_path)
        if d is None:
            return
        for v in d.fields.get("values") or ():
            if v not in positions:
                raise self.position_error(v, positions, elsewhere or {}, stmt)
        d.fields["source"] = "towers"

    # ---- statements -------------------------------------------------------------------------
    def walk_stmt(self, stmt: Any, seg: str, scope: Scope) -> None:
        self.steps += 1
        if self.steps > MAX_WALK_STEPS:
            raise _TooLarge(stmt)
        try:
            super().walk_stmt(stmt, seg, scope)
        except ArchError as e:
            self.sink.add(e)
        except ValidationError as e:  # a value that cannot form a decision (e.g. after an
            # error the transformer already reported): say where, never show pydantic's text
            msg = e.errors()[0].get("msg", "invalid value") if e.errors() else "invalid value"
            self.sink.add(ArchTypeError(f"invalid decision here: {msg}", stmt.span))
        finally:
            self.note_label(stmt, scope)

    def note_label(self, stmt: Any, scope: Scope) -> None:
        if isinstance(stmt, OptionalStmt) and stmt.wraps:
            stmt = stmt.body[0]
        label = getattr(stmt, "label", None)
        if not isinstance(label, NameRef):
            return
        if label.index is None:
            self.tap_names.add(label.name)
            return
        self.tap_bases.add(label.name)
        name = render_ref(label, scope.env)
        if name != label.name:
            self.tap_names.add(name)

    def check_tap(self, ref: NameRef, scope: Scope) -> None:
        """A tap must name an input, `input` (in a block: the block's input) or a label given
        earlier; which labelled copy exists is only known per configuration."""
        if ref.index is not None:
            if ref.name in self.tap_bases:
                return
        elif (ref.name in self.tap_names or self.space.input(ref.name) is not None
              or (ref.name == "input" and scope.in_block)
              or any(ref.name[len(b):].isdigit() for b in self.tap_bases
                     if ref.name.startswith(b))):
            return
        from ..blocks.base import suggest

        known = sorted(self.tap_names | self.tap_bases | {i.name for i in self.space.inputs}
                       | ({"input"} if scope.in_block else set()))
        raise ArchNameError(f"unknown tap '{ref.name}'", ref.span,
                            suggest(ref.name, known).strip(" ()") or
                            f"label an earlier statement with `as {ref.name}`, or name an input")

    # ---- the (absent) tensor: static checks only ----------------------------------------------
    def t_call(self, op: Any, stmt: CallStmt, seg: str, scope: Scope, names: list[str],
               flags: dict[str, frozenset[str]]) -> None:
        pos, kws = self.eval_args(stmt, seg, scope, names, flags)
        from ..blocks.base import ArgError

        try:
            op.check_keywords(kws)  # names are known even where values are searched
            if not any(v is UNKNOWN or _has_unknown(v) for v in list(pos) + list(kws.values())):
                op.bind(pos, kws)
        except ArgError as e:
            raise self.arg_error(stmt, e, scope, names, flags) from None

    def t_merge(self, op: Any, xs: list[Any], name: str, path: str, span: Span | None,
                op_span: Span | None = None, stmt: Any = None) -> Any:
        self.check_merge(op, op_span or span)
        return None

    def t_fetch(self, base: str, name: str, ref: NameRef | None, scope: Scope,
                span: Span | None) -> Any:
        if ref is not None:
            self.check_tap(ref, scope)
        return None

    def check_merge(self, value: Any, span: Any) -> None:
        from ..blocks.merge import MERGES

        if value is UNKNOWN or (isinstance(value, str) and value in MERGES):
            return
        from ..blocks.base import suggest

        if isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], str):
            value = f"{value[0]}(...)"  # a call: `merge coice(add, concat)`
            hint = suggest(value[:-5], ("choice",)).strip(" ()")
        else:
            hint = suggest(str(value), MERGES).strip(" ()")
        raise ArchNameError(f"unknown merge '{value}'", getattr(span, "span", span),
                            hint or "one of " + ", ".join(MERGES))

    # ---- settings -----------------------------------------------------------------------------
    def walk_settings(self, root: Scope) -> None:
        for section, settings in (("train", self.space.train), ("search", self.space.search)):
            for s in settings:
                if s.key in ("objectives", "constraints"):
                    continue  # metric names, not values: checked by settings.check_objectives
                try:
                    self.evaluate(s.value, root, join(section, s.key))
                except ArchError as e:
                    self.sink.add(e)

    def run(self) -> None:
        try:
            root = self.global_scope()
        except ArchError as e:
            self.sink.add(e)
            return
        self._root_env = dict(root.env)
        if self.space.network is not None:
            try:
                self.walk_body(self.space.network, root)
            except _TooLarge as e:
                self.sink.add(ArchTypeError(
                    f"the space is too large to enumerate (over {MAX_WALK_STEPS:,} statements "
                    "across its copies and alternatives)", e.stmt.span,
                    "fewer statements, fewer nested repeats or smaller repeat ranges"))
                return
        self.walk_settings(root)

    @property
    def clean(self) -> bool:
        """The walk met no problem: result() is the space's decision list."""
        return not self.sink.items

    def result(self) -> DecisionList:
        decisions = []
        for path, p in self.pending.items():
            when = tuple(_simplify(p.when))
            decisions.append(Decision(path=path, when=when, span=p.span, **p.fields))
        return DecisionList(space=self.space.name, decisions=tuple(_parents_first(decisions)),
                            loose=tuple(sorted(self.loose_paths & set(self.pending))))


def _parents_first(decisions: list[Decision]) -> list[Decision]:
    """Stable topological order: a decision comes after every decision its condition names
    (a `param` declared before the optional blocks that use it moves after them)."""
    by_path = {d.path: d for d in decisions}
    done: set[str] = set()
    out: list[Decision] = []

    def visit(d: Decision, stack: tuple = ()) -> None:
        if d.path in done or d.path in stack:
            return
        for conj in d.when:
            for c in conj:
                parent = by_path.get(c.path)
                if parent is not None:
                    visit(parent, stack + (d.path,))
        done.add(d.path)
        out.append(d)

    for d in decisions:
        visit(d)
    return out


def _has_unknown(v: Any) -> bool:
    if isinstance(v, (list, tuple)):
        return any(x is UNKNOWN or _has_unknown(x) for x in v)
    return False


def _as_value(v: Any) -> Any:
    return v


def _simplify(conjs: Iterable[tuple]) -> list[tuple]:
    """Drop conjunctions implied by a weaker one: `o` is weaker than `c` when each of its
    conditions is met by every value `c` allows (`g in {1, 2}` is weaker than `g = 2`)."""
    conjs = list(dict.fromkeys(conjs))

    def weaker(o: tuple, c: tuple) -> bool:
        return all(any(b.path == a.path and set(b.values) <= set(a.values) for b in c)
                   for a in o)

    out = []
    for i, c in enumerate(conjs):
        # of two equivalent conjunctions keep the first
        if any(j != i and weaker(o, c) and (not weaker(c, o) or j < i)
               for j, o in enumerate(conjs)):
            continue
        out.append(c)
    return out


#: the decision lists of the last spaces asked about (bounded: see archspace/cache.py)
_CACHE: PerObject[DecisionList] = PerObject(64)


def decisions_of(space: Space) -> DecisionList:
    """The decision list of a space (cached per space object); raises on a malformed space."""
    hit = _CACHE.get(space)
    if hit is not None:
        return hit
    ex = Explorer(space)
    ex.run()
    ex.sink.raise_if_any()
    return remember(space, ex.result())


def remember(space: Space, result: DecisionList) -> DecisionList:
    """Cache the decision list of a space (the loader's check walk already computed it)."""
    return _CACHE.put(space, result)


def _single_values_hint(values: Any) -> str:
    """`choice(3x3, 5x5)`: a kernel size is one number (3 means 3x3), so say `choice(3, 5)`."""
    from . import expr as E

    dims = [x.values for x in values if isinstance(x, E.Dims)]
    if dims and all(len(set(d)) == 1 for d in dims) and len(dims) == len(values):
        return (f"a kernel size is one number for a square kernel: write "
                f"choice({', '.join(str(d[0]) for d in dims)})")
    return ("choice() lists numbers, names or strings; a kernel size is one number for a "
            "square kernel (choice(3, 5)); for other shapes use a `choice NAME { ... }` of "
            "branches")
