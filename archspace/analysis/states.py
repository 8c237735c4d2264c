"""Whole-space analysis: every configuration at once, by state-set abstract interpretation.

The questions "does every configuration build, and which are the smallest and largest models?"
are answered without enumerating configurations (a space easily holds 10^15 of them, the cell
space 10^37).

The idea. Walk the template once, as the `Builder` would for one configuration (the same
`Walker` scoping, naming and evaluation), but carry a *set of states* instead of one tensor.
A state is what the rest of the walk can observe:

- the current shape; a stack of frames for the constructs in progress (the start shape and
  branch outputs of a `parallel`, the residual flag of a `skip`, the count of a `repeat`);
- the shapes of saved taps that a later statement reads;
- the values of decisions that a later statement reads again (a shared ratio, a repeat count
  used by `group1.count`), and the values of block arguments / `let`s already evaluated (the
  Builder evaluates each once, at first use, with the tensor where it was written as `in`).

When a statement needs a decision the state has not read yet, the state *forks* into one state
per value. Only decisions the walk really reads fork, so inactive decisions never do, and the
walk's configuration count equals the exact model count of `cardinality`. After every
statement, what no later statement can read is forgotten and states that became equal
*merge*. "Can read": a first *trace* pass over the very same traversal (no states; every value
unknown, like the Explorer) records the positions where each decision, tap and memoised value
is read; alternatives that exclude each other (the branches of a choice, the walks of a towers
body per merge point) are regions whose reads the states inside a sibling never reach. Since
the future of the walk depends only on the state, merging is exact, and the number of live
states stays small: the number of distinct shapes and live values at one point, not the
number of configurations. Each state keeps, through merges, a witness configuration for the
smallest and largest parameter count, trainable count and MACs (a dynamic program over the same
states: what comes downstream depends on the incoming shape, which is part of the state) and
the number of configurations it stands for.

Two refinements keep the state sets small:
- a `repeat` count forks lazily: at each copy boundary a state splits into "stop here" and "go
  on", so the copies are walked once per shape rather than once per count (unless the body
  itself reads the count);
- in a `towers` body, the inputs run through their own copies in lockstep as *lanes* of one
  state (per-lane shape, stack, taps and memo; shared decisions and counts), so a decision the
  towers share is read by all of them at the same point and forgotten together.

A state that fails (an op does not accept its input shape, merged shapes differ, an argument is
out of range, a tap is missing) is reported with its witness configuration, the statement's path
and source position and the shapes involved, then dropped; the counterexample is replayed
through `build_graph` to confirm it (`Failure.verified`).

The walk also records the count function as a decision diagram (`Diagram`: a fork is a node
branching on one decision, a step an edge with increments, a merge a shared node); counting
one configuration then follows its values through it in microseconds (`StaticCounter`).

Continuous floats (no step) cannot fork. They evaluate to an unknown value; an op whose
arguments are unknown is probed with the float at its default, low and high ends, and when the
result (shape, parameters, MACs) is the same for all, the float provably does not matter there
(dropout rates, BatchNorm momentum). Otherwise the float forks into those three values and the
report says so (`approximate`, `exact` False): values in between were not checked.

Bounds: when more than `cap` states are alive at once, the walk keeps the first `cap` and says
so (`exact` is False, `notes` explains): the failures found are still real and the extremes are
real configurations, but nothing is proven about the rest.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from typing import Any, Callable

from ..blocks.base import ArgError, ShapeError
from ..blocks.common import fmt
from ..blocks.merge import MERGES, merge_out_shape, projection
from ..errors import ArchError, ArchShapeError, ArchTypeError
from .count_diagram import _ZERO, Diagram
from ..ir import Space
from ..ir.decisions import Decision, decisions_of
from ..ir.nodes import CallStmt, LetStmt, NameRef, ParamDecl
from ..ir.walk import UNKNOWN, Scope, Thunk, Walker, join, shape_attr
from ..source import Span

Shape = tuple[int, ...]
BYTES_PER_PARAM = 4
DEFAULT_CAP = 4096
#: a decision with more values than this is not forked on: it is probed like a float
MAX_FORK = 1024
#: extremes kept per state: smallest / largest parameter count, MACs, trainable parameters
MIN_P, MAX_P, MIN_M, MAX_M, MIN_T, MAX_T = range(6)
_EXTREMES = ((MIN_P, 0, min), (MAX_P, 0, max), (MIN_M, 3, min), (MAX_M, 3, max),
             (MIN_T, 1, min), (MAX_T, 1, max))
_MISSING = object()


class Need(Exception):
    """A state needs the value of a decision it has not read: fork it."""

    def __init__(self, decision: Decision, values: tuple | None = None,
                 weights: tuple | None = None):
        super().__init__(decision.path)
        self.decision = decision
        self.values = values
        self.weights = weights


class Fail(Exception):
    """This configuration does not build here."""

    def __init__(self, kind: str, message: str, span: Span | None,
                 shapes: tuple = (), hint: str | None = None):
        super().__init__(message)
        self.kind, self.message, self.span, self.shapes, self.hint = kind, message, span, shapes, hint


def _freeze(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return v


def _frozen_items(d: dict) -> tuple:
    if not d:
        return ()
    return tuple(sorted(((k, _freeze(v)) for k, v in d.items()), key=lambda kv: kv[0]))


def _has_unknown(v: Any) -> bool:
    if v is UNKNOWN:
        return True
    if isinstance(v, (list, tuple)):
        return any(_has_unknown(x) for x in v)
    return False


def chain_dict(chain: Any) -> dict[str, Any]:
    """A witness chain (path, value, parent) -> {path: value}, in the order read."""
    items = []
    while chain is not None:
        path, value, chain = chain
        items.append((path, value))
    return dict(reversed(items))


def _chain_get(chain: Any, path: str) -> Any:
    while chain is not None:
        p, v, chain = chain
        if p == path:
            return v
    return _MISSING


class State:
    """One class of configurations that look the same to the rest of the walk.

    Inside the part of a `towers` body that runs once per input, a state has *lanes*: one
    (shape, stack, taps, memo) per tower, sharing the decisions, the counts and the witnesses.
    Every statement is applied to each lane in turn (`SpaceWalker.lanewise`), so the towers
    read a shared decision at the same point of the walk and forget it together."""

    __slots__ = ("cur", "stack", "taps", "live", "memo", "count", "ext", "lanes", "nid", "tabs")

    def __init__(self, cur: Shape | None):
        self.cur = cur
        self.stack: tuple = ()
        self.taps: dict[str, tuple[str, Shape]] = {}   # rendered name -> (base name, shape)
        self.live: dict[str, Any] = {}                 # decision path -> value
        self.memo: dict[tuple, Any] = {}               # thunk key -> value
        self.count = 1                                 # configurations this state stands for
        # per extreme: (params, trainable, non_trainable, macs, witness chain)
        self.ext: list[tuple] = [(0, 0, 0, 0, None)] * 6
        self.lanes: list[tuple] | None = None          # per tower: (cur, stack, taps, memo)
        self.nid = 0                                   # its node in the count diagram
        # decision path -> (hashable key, per value (value, (its count, the total), 6 count
        # deltas, 6 witness diffs)): a shared decision whose alternatives rejoined in this
        # state (see `SpaceWalker.tabulate`)
        self.tabs: dict[str, tuple] = {}

    def clone(self) -> "State":
        s = State.__new__(State)
        s.cur, s.stack, s.count = self.cur, self.stack, self.count
        s.taps, s.live, s.memo = dict(self.taps), dict(self.live), dict(self.memo)
        s.ext = list(self.ext)
        s.lanes = None if self.lanes is None else [
            (c, k, dict(t), dict(m)) for c, k, t, m in self.lanes]
        s.nid = self.nid
        s.tabs = dict(self.tabs) if self.tabs else {}
        return s

    def key(self) -> tuple:
        tabs = _tab_key(self.tabs) if self.tabs else ()
        if self.lanes is not None:
            return ("lanes", tuple((c, k, _frozen_items(t), _frozen_items(m))
                                   for c, k, t, m in self.lanes), _frozen_items(self.live), tabs)
        return (self.cur, self.stack, _frozen_items(self.taps), _frozen_items(self.live),
                _frozen_items(self.memo), tabs)

    def top(self) -> tuple:
        """The innermost frame (the same structure in every lane)."""
        return (self.lanes[0][1] if self.lanes is not None else self.stack)[-1]

    def add(self, trainable: int, frozen: int, macs: int) -> None:
        p = trainable + frozen
        self.ext = [(a + p, b + trainable, c + frozen, m + macs, ch)
                    for a, b, c, m, ch in self.ext]

    def push(self, frame: tuple) -> "State":
        self.stack = self.stack + (frame,)
        return self

    def pop(self) -> tuple:
        frame = self.stack[-1]
        self.stack = self.stack[:-1]
        return frame

    def fold(self, path: str) -> None:
        """Forget a tabulated decision: each extreme takes its best value."""
        entries = self.tabs.pop(path)[1]
        ext = list(self.ext)
        for i, f, best in _EXTREMES:
            pick = best(entries, key=lambda e: e[2][i][f])
            a, b, c, m, ch = ext[i]
            d = pick[2][i]
            for kv in pick[3][i]:
                ch = (kv[0], kv[1], ch)
            ext[i] = (a + d[0], b + d[1], c + d[2], m + d[3], ch)
        self.ext = ext

    def folded(self) -> "State":
        s = self.clone()
        for path in list(s.tabs):
            s.fold(path)
        return s

    def absorb(self, other: "State") -> None:
        """Merge a state with the same key: counts add, extremes keep the better witness."""
        self.count += other.count
        e, o = self.ext, other.ext
        self.ext = [(o[i] if (o[i][f] < e[i][f] if best is min else o[i][f] > e[i][f]) else e[i])
                    for i, f, best in _EXTREMES]


# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
class SpaceWalker(Walker):
    """Walks a template over a set of states; see the module docstring.

    The same traversal runs twice: a *trace* pass (no states; every decision reads as unknown,
    like the Explorer) records the last position where each decision, tap and memoised value
    is read; the *real* pass then forgets each of them after that position. Both passes visit
    every statement in the same order (all repeat copies, all alternatives, every towers cut),
    whatever the states are, so their positions agree."""

    memoize_thunks = False

    def __init__(self, space: Space, decisions: dict[str, Decision] | None = None, *,
                 cap: int = DEFAULT_CAP, max_failures: int = 20):
        super().__init__(space)
        self.decisions = decisions if decisions is not None else decisions_of(space).by_path()
        self.cap = cap
        self.max_failures = max_failures
        self.trace = True
        self.pos = 0
        # trace: the positions where each decision, tap and memoised thunk is read
        self.dec_reads: dict[str, list[int]] = {}
        self.tap_reads: dict[str, list[int]] = {}
        self.memo_reads: dict[tuple, list[int]] = {}
        # exclusive regions (a choice's branches, a towers body's walks per cut): the trace
        # records where each ends; the real pass keeps a stack of the ones it is inside
        self.regions: list[list[int]] = []
        self.region_seq = 0
        self.excl: list[tuple[int, int]] = []
        self.thunk_keys: dict[int, tuple] = {}
        self._alive: list[Thunk] = []
        self.S: list[State] = []
        self.state: State | None = None
        self.cont: list[Decision] = []
        self.failures: dict[tuple, tuple[Fail, State, str]] = {}
        self.fail_counts: dict[tuple, int] = {}
        self.notes: list[str] = []
        self.approx: set[str] = set()
        self.exact = True
        self.peak = 0
        self.steps = 0
        self.inputs = {i.name: tuple(i.shape) for i in space.inputs}
        self.op_cache: dict[tuple, Any] = {}
        self.eager: set[str] = set()      # repeat counts read inside their own body
        self.dg = Diagram()
        self._reading: set[str] | None = None
        self._read_paths: set[str] = set()
        self._outcomes: dict[int, list] = {}  # per position: the values a condition can take

    # ---- entry ----------------------------------------------------------------------------
    def run(self) -> list[State]:
        self._pass(trace=True)
        first = self.space.inputs[0].shape if self.space.inputs else None
        root = State(tuple(first) if first is not None else None)
        root.nid = self.dg.new()
        self.S = [root]
        self._pass(trace=False)
        for st in self.S:
            self.dg.end.add(st.nid)
        return self.S

    def _pass(self, trace: bool) -> None:
        self.trace, self.pos, self.region_seq, self.excl = trace, 0, 0, []
        self.thunk_keys.clear()
        self._alive.clear()
        root = self.global_scope()
        self._root_env = dict(root.env)
        if self.space.network is not None:
            self.walk_body(self.space.network, root)

    # ---- thunks: memoised per state, like the Builder's once-per-build evaluation ---------
    def _register(self, thunk: Any, key: tuple) -> None:
        if isinstance(thunk, Thunk):
            self.thunk_keys[id(thunk)] = key
            self._alive.append(thunk)

    def global_scope(self) -> Scope:
        scope = super().global_scope()
        for name, b in scope.env.items():
            self._register(b, ("global", name))
        return scope

    def declare(self, decl: ParamDecl, scope: Scope, path: str) -> None:
        super().declare(decl, scope, path)
        self._register(scope.env.get(decl.name), ("fixed", self.pos, path))

    def on_let(self, stmt: LetStmt, seg: str, scope: Scope) -> None:
        super().on_let(stmt, seg, scope)
        self._register(scope.env[stmt.name], ("let", self.pos, stmt.name))

    def block_scope(self, stmt: CallStmt, seg: str, scope: Scope) -> Scope:
        body = super().block_scope(stmt, seg, scope)
        for f in self.blocks[stmt.op].params:
            self._register(body.env.get(f.name), ("arg", self.pos, f.name))
        return body

    def lookup(self, name: str, scope: Scope, span: Span | None) -> Any:
        b = scope.env.get(name)
        if not isinstance(b, Thunk):
            return super().lookup(name, scope, span)
        key = self.thunk_keys.get(id(b)) or ("anon", id(b))
        if self._static and not self.trace:  # a bound or default: the same in every state
            return self.force(b)
        if self.trace:
            _note(self.memo_reads, key, self.pos)
            return self.force(b)
        st = self._st()
        if key in st.memo:
            return st.memo[key]
        n = len(self.cont)
        v = self.force(b)
        if len(self.cont) == n:  # values derived from a continuous float are not kept
            st.memo[key] = v
        return v

    def here(self) -> Any:
        """A token for "the tensor entering this statement" (what `in` means in a thunk
        written here); states record their shape under it when a later evaluation reads it."""
        token = f"\0at@{self.pos}"
        if not self.trace and self.alive(self.tap_reads.get(token), self.pos + 1):
            for st in self.S:
                self.lanewise(st, lambda s: s.taps.__setitem__(token, (token, s.cur)))
        return token

    # ---- decision hooks ---------------------------------------------------------------------
    def _st(self) -> State:
        if self.state is None:
            raise ArchTypeError("internal: a searched value was read outside a state")
        return self.state

    def value(self, path: str, span: Span | None = None) -> Any:
        if self.trace:
            _note(self.dec_reads, path, self.pos)
            return UNKNOWN
        st = self._st()
        if path in st.live:
            return st.live[path]
        d = self.decisions.get(path)
        if d is None:
            raise ArchTypeError(f"internal: no decision at '{path}'", span)
        if self._reading is not None:
            self._reading.add(path)
        if path in st.tabs:
            raise Need(d)
        if (d.kind == "float" and not d.step) or (d.size or 0) > MAX_FORK:
            # a continuous float, or too many values to fork on: probed at representatives
            self.cont.append(d)
            return UNKNOWN
        v = _chain_get(st.ext[MIN_P][4], path)
        if v is not _MISSING:  # read before, forgotten too early: keep the walk consistent
            self._inexact(f"internal: decision '{path}' was read after it was forgotten")
            st.live[path] = v
            return v
        raise Need(d)

    def decision_value(self, path, span):
        return self.value(path, span)

    def decision_domain(self, path: str) -> tuple | None:
        d = self.decisions.get(path)
        return None if d is None else d.domain_values()

    def outcomes(self, read, span):
        # enumerated in the trace pass (every value unknown, like the Explorer); the real pass
        # walks the same arms and copies (positions agree) and reads values per state
        if self.trace:
            seen = dict.fromkeys((type(v), v) for v, _ in super().outcomes(read, span))
            self._outcomes[self.pos] = [(v, ()) for _t, v in seen]
        return self._outcomes[self.pos]

    def repeat_count(self, binding, scope):
        return binding.fixed if binding.fixed is not None else self.value(binding.count_path)

    def in_attr(self, attr, scope, span):
        if self.trace:
            if self._at is not None:
                _note(self.tap_reads, self._at, self.pos)
            return UNKNOWN
        st = self._st()
        cur = st.cur
        if self._at is not None:
            saved = st.taps.get(self._at)
            if saved is None:
                self._inexact("internal: the tensor a block argument's `in` means was not kept")
            else:
                cur = saved[1]
        if cur is None:
            raise Fail("build", f"'in.{attr}' has no tensor to read", span)
        return shape_attr(cur, attr, span)

    # ---- the state-set machinery ------------------------------------------------------------
    def _inexact(self, note: str) -> None:
        self.exact = False
        if note not in self.notes:
            self.notes.append(note)

    @staticmethod
    def lanewise(st: State, fn: Callable[[State], Any]) -> Any:
        """fn(st), once per lane when the state has lanes (each lane swapped in)."""
        if st.lanes is None:
            return fn(st)
        r = None
        for i, lane in enumerate(st.lanes):
            st.cur, st.stack, st.taps, st.memo = lane
            r = fn(st)
            st.lanes[i] = (st.cur, st.stack, st.taps, st.memo)
        st.cur, st.stack, st.taps, st.memo = None, (), {}, {}
        return r

    def each(self, states: list[State], fn: Callable[[State], Any], where: str,
             span: Span | None, per_lane: bool = True) -> list[Any]:
        """fn(state) for every state (every lane), forking a state whenever it needs a new
        decision; a state that fails is recorded and dropped. Returns fn's non-None results."""
        out: list[Any] = []
        work = list(reversed(states))
        while work:
            st = work.pop()
            new = st.clone()
            self.state, self.cont = new, []
            try:
                r = self.lanewise(new, fn) if per_lane else fn(new)
            except Need as n:
                work.extend(reversed(self._fork(st, n)))
                continue
            except Fail as f:
                self._fail(f, st, where)
                continue
            except ArchShapeError as e:
                self._fail(Fail("shape", e.message, e.span or span, (), e.hint), st, where)
                continue
            except ArchError as e:
                self._fail(Fail("build", e.message, e.span or span, (), e.hint), st, where)
                continue
            finally:
                self.state = None
            self.steps += 1
            a, b = st.ext[MIN_P], new.ext[MIN_P]
            new.nid = self.dg.new()
            self.dg.seq(st.nid, new.nid, (b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]))
            if r is not None:
                out.append(r)
        return out

    def _fork(self, st: State, need: Need) -> list[State]:
        d = need.decision
        if d.path in st.tabs:
            return self._unfold(st, d)
        values = need.values if need.values is not None else d.domain_values()
        if values is None:  # pragma: no cover - continuous floats fork with explicit values
            values = (d.default,)
        weights = need.weights or (1,) * len(values)
        kids = []
        for v, w in zip(values, weights):
            k = self._assign(st, d.path, v)
            k.count = st.count * w
            k.nid = self.dg.new()
            kids.append(k)
        self.dg.decide(st.nid, d.path, {k.live[d.path]: k.nid for k in kids})
        return kids

    def _unfold(self, st: State, d: Decision) -> list[State]:
        """A tabulated decision is read again: one state per value, each with its counts."""
        kids = []
        for value, share, deltas, diffs in st.tabs[d.path][1]:
            k = st.clone()
            del k.tabs[d.path]
            k.live[d.path] = value
            ext = []
            for (a, b, c, m, ch), dl, df in zip(k.ext, deltas, diffs):
                for kv in df:
                    ch = (kv[0], kv[1], ch)
                ext.append((a + dl[0], b + dl[1], c + dl[2], m + dl[3], ch))
            k.ext = ext
            k.count = st.count * share[0] // share[1]  # (a multiple of share[1])
            k.nid = self.dg.new()
            kids.append(k)
        self.dg.decide(st.nid, d.path, {k.live[d.path]: k.nid for k in kids})
        return kids

    def tabulate(self, states: list[State], paths: set[str]) -> list[State]:
        """Alternatives of a shared decision that rejoined: states that differ only in its
        value become one state with a table of per-value counts, so that the decision does
        not multiply the states it stays alive through (a genotype shared by every cell).
        Exact: a later read forks the table again (`_unfold`); a decision read no more is
        folded, each extreme taking its best value."""
        self.forget(states, self.pos + 1)  # what settle would drop must not split the groups
        for path in paths:
            if not self.alive(self.dec_reads.get(path), self.pos + 1):
                continue  # read no more: settle merges these states anyway
            groups: dict[tuple, list[State]] = {}
            rest: list[State] = []
            for st in states:
                if path not in st.live:
                    rest.append(st)
                    continue
                live = st.live
                st.live = {k: v for k, v in live.items() if k != path}
                key = st.key()
                st.live = live
                groups.setdefault(key, []).append(st)
            out = rest
            for group in groups.values():
                values = [g.live[path] for g in group]
                if len(group) < 2 or len(set(map(repr, values))) < len(values):
                    out.extend(group)
                    continue
                base = group[0]
                total = sum(g.count for g in group)
                base_dicts = [chain_dict(e[4]) for e in base.ext]
                entries = []
                for g in group:
                    deltas = tuple((e[0] - b[0], e[1] - b[1], e[2] - b[2], e[3] - b[3])
                                   for e, b in zip(g.ext, base.ext))
                    diffs = tuple(tuple((k, v) for k, v in chain_dict(e[4]).items()
                                        if bd.get(k, _MISSING) != v)
                                  for e, bd in zip(g.ext, base_dicts))
                    entries.append((g.live[path], (g.count, total), deltas, diffs))
                merged = base.clone()
                del merged.live[path]
                merged.tabs[path] = (tuple((repr(v), sh, dl) for v, sh, dl, _ in entries),
                                     tuple(entries))
                merged.count = total
                merged.nid = self.dg.new()
                for g in group:
                    self.dg.seq(g.nid, merged.nid, _ZERO)
                out.append(merged)
            states = out
        return states

    @staticmethod
    def _assign(st: State, path: str, value: Any) -> State:
        """A copy of `st` in which decision `path` took `value`."""
        k = st.clone()
        k.live[path] = value
        k.ext = [(a, b, c, m, (path, value, ch)) for a, b, c, m, ch in st.ext]
        return k

    def _fail(self, f: Fail, st: State, where: str) -> None:
        key = (f.kind, f.span.path if f.span else "", f.span.line if f.span else 0,
               f.span.col if f.span else 0)
        self.fail_counts[key] = self.fail_counts.get(key, 0) + st.count
        if key not in self.failures and len(self.failures) < self.max_failures:
            st = st.folded() if st.tabs else st
            # a repeat whose count is still open (lazy) must reach the copy that failed
            stack = st.lanes[0][1] if st.lanes is not None else st.stack
            for frame in stack:
                if frame[0] == "repeat" and frame[1] is None and len(frame) == 4:
                    _kind, _n, rpath, k = frame
                    d = self.decisions.get(rpath)
                    n = d.default if d is not None and d.default > k else k + 1
                    st = self._assign(st, rpath, n)
            self.failures[key] = (f, st, where)

    def partition(self, read: Callable[[], Any], span: Span | None,
                  where: str) -> dict[Any, list[State]]:
        """Split the states by a structural decision's value (forking as needed)."""
        parts: dict[Any, list[State]] = {}
        saved, self._reading = self._reading, set()
        try:
            for v, st in self.each(self.S, lambda st: (read(), st), where, span):
                parts.setdefault(v, []).append(st)
            self._read_paths = self._reading
        finally:
            self._reading = saved
        return parts

    def walk_stmt(self, stmt: Any, seg: str, scope: Scope) -> None:
        super().walk_stmt(stmt, seg, scope)
        self.settle()

    def forget(self, states: list[State], pos: int) -> None:
        """Drop what no statement from `pos` on reads: decisions (a tabulated one is folded),
        taps and memoised values."""
        alive = self.alive
        dr, tr, mr = self.dec_reads, self.tap_reads, self.memo_reads
        cache: dict[Any, bool] = {}

        def keep(table: dict, k: Any) -> bool:
            hit = cache.get(k)
            if hit is None:
                hit = cache[k] = alive(table.get(k), pos)
            return hit

        def release(st: State) -> None:
            if st.taps:
                st.taps = {k: v for k, v in st.taps.items() if keep(tr, v[0])}
            if st.memo:
                st.memo = {k: v for k, v in st.memo.items() if keep(mr, k)}

        for st in states:
            if st.live:
                st.live = {k: v for k, v in st.live.items() if keep(dr, k)}
            if st.tabs:
                for k in [k for k in st.tabs if not keep(dr, k)]:
                    st.fold(k)
            self.lanewise(st, release)

    def settle(self) -> None:
        """Forget what no later statement reads, then merge equal states."""
        if self.trace or not self.S:
            return
        self.forget(self.S, self.pos)
        merged: dict[tuple, State] = {}
        joined: dict[int, list[int]] = {}
        for st in self.S:
            key = st.key()
            other = merged.get(key)
            if other is None:
                merged[key] = st
            else:
                other.absorb(st)
                joined.setdefault(id(other), [other.nid]).append(st.nid)
        for st in merged.values():
            nids = joined.get(id(st))
            if nids:  # the merged configurations continue from one node
                st.nid = self.dg.new()
                for n in nids:
                    self.dg.seq(n, st.nid, _ZERO)
        self.S = list(merged.values())
        self.peak = max(self.peak, len(self.S))
        if len(self.S) > self.cap:
            self._inexact(f"more than {self.cap} distinct states at once: the whole-space check "
                          f"kept {self.cap} (bound used)")
            self.S = self.S[: self.cap]

    def alive(self, reads: list[int] | None, pos: int) -> bool:
        """Is something read at `pos` or later, in a part of the walk that the states being
        walked can still reach (not in a sibling alternative of one they are inside)?"""
        if not reads:
            return False
        i = bisect_left(reads, pos)
        for end, outer in reversed(self.excl):
            if i == len(reads):
                return False
            if reads[i] <= end:
                return True
            i = bisect_right(reads, outer, lo=i)
        return i < len(reads)

    def enter_region(self) -> int:
        rid = self.region_seq
        self.region_seq += 1
        if self.trace:
            self.regions.append([0, 0])
        else:
            end, outer = self.regions[rid]
            self.excl.append((end, outer))
        return rid

    def leave_region(self, rid: int) -> None:
        if self.trace:
            self.regions[rid][0] = self.pos
        else:
            self.excl.pop()

    def close_regions(self, rids: list[int]) -> None:
        if self.trace:
            for rid in rids:
                self.regions[rid][1] = self.pos

    def apply(self, fn: Callable[[State], Any]) -> None:
        """fn on every state and lane, with no decision to read (frames, shape moves)."""
        for st in self.S:
            self.lanewise(st, fn)

    # ---- the domain: sets of states ------------------------------------------------------------
    def render(self, ref: NameRef, scope: Scope) -> str:
        if ref.index is None:
            return ref.name
        idx = self.evaluate(ref.index, scope)
        if idx is UNKNOWN:
            if self.trace:
                return ref.name
            raise Fail("build", f"the index of '{ref.name}[...]' depends on a continuous value",
                       ref.span)
        return f"{ref.name}{idx}"

    def save_tap(self, label: NameRef | None, scope: Scope) -> None:
        # a label that no later statement reads is not even rendered (its index evaluated)
        if label is not None and (self.trace or self.alive(self.tap_reads.get(label.name),
                                                           self.pos + 1)):
            super().save_tap(label, scope)

    def step(self, fn: Callable[[], None], where: str, span: Span | None,
             pure: bool = False) -> None:
        if self.trace:
            fn()
        elif pure:
            try:
                for st in self.S:
                    self.state = st
                    self.lanewise(st, lambda _s: fn())
            finally:
                self.state = None
        else:
            self.S = self.each(self.S, lambda st: (fn(), st)[1], where, span)

    def branches(self, read, arms, where, span, conditional=True) -> None:
        # every arm in both passes, so that their positions agree
        parts: dict[Any, list[State]] = {}
        if self.trace:
            read()
        else:
            parts = self.partition(read, span, where)
            read = self._read_paths
        out: list[State] = []
        rids = []
        for key, run in arms:
            self.S = parts.pop(key, [])
            rids.append(self.enter_region())
            run()
            self.leave_region(rids[-1])
            out.extend(self.S)
        self.close_regions(rids)
        for rest in parts.values():  # states no arm takes (an optional left out)
            out.extend(rest)
        self.S = self.tabulate(out, read) if not self.trace and read else out

    def t_cur(self) -> Any:
        return None if self.trace else self._st().cur

    def t_set(self, x: Any) -> None:
        if not self.trace:
            self._st().cur = x

    def t_push(self, frame: tuple) -> None:
        if self.trace:
            super().t_push(frame)
        else:
            self._st().push(frame)

    def t_pop(self) -> tuple:
        return super().t_pop() if self.trace else self._st().pop()

    def t_top(self) -> tuple:
        return super().t_top() if self.trace else self._st().stack[-1]

    def t_store(self, base: str, name: str) -> None:
        if self.trace:
            return
        st = self._st()
        if st.cur is None or not self.alive(self.tap_reads.get(base), self.pos + 1):
            return  # nothing reads it later
        st.taps[name] = (base, st.cur)

    def t_fetch(self, base: str, name: str, ref: NameRef | None, scope: Scope,
                span: Span | None) -> Shape | None:
        if self.trace:
            _note(self.tap_reads, base, self.pos)
            return None
        st = self._st()
        if ref is None:  # a token: the tensor that entered a block
            return st.taps[name][1]
        if name in self.inputs:
            return self.inputs[name]
        if name in st.taps:
            return st.taps[name][1]
        raise Fail("build", f"no tensor named '{name}' here", span, (),
                   "in this configuration the statement labelled with it was not built")

    def t_call(self, op: Any, stmt: CallStmt, seg: str, scope: Scope, names: list[str],
               flags: dict) -> None:
        pos, kws = self.eval_args(stmt, seg, scope, names, flags)
        if self.trace:
            return
        st = self._st()
        if _has_unknown(pos) or _has_unknown(list(kws.values())):
            out, t, f, m = self.probe(st, op, stmt, seg, scope, names, flags)
        else:
            out, t, f, m = self.apply_op(op, stmt, pos, kws, st.cur)
        st.cur = out
        if self.sharing:  # the weights of an earlier layer: counted there
            t = f = 0
        st.add(t, f, m)

    def t_check_shared(self, first: Any, what: str, span: Span | None) -> None:
        if not self.trace and first != self._st().cur:
            cur = self._st().cur
            raise Fail("shape", shared_mismatch(what, cur, first), span, (cur, first),
                       SHARED_HINT)

    def t_merge(self, op: Any, xs: list[Any], name: str, path: str, span: Span | None,
                op_span: Span | None = None, stmt: Any = None) -> Any:
        return None if self.trace else self.merge_shapes(op, list(xs), span, stmt)

    def t_project(self, x: Any, like: Any, name: str, path: str, span: Span | None) -> Any:
        return None if self.trace else self.project(self._st(), x, like, span)

    def towers_run(self, inputs, run, close, where, span) -> None:
        if self.trace:
            run(inputs[-1])
            close([None] * len(inputs))
            return
        # each input runs through its own copy of the body up to the cut: one lane per tower,
        # all lanes stepping together (decisions are shared, names and taps are per tower)
        for st in self.S:
            st.lanes = [(self.inputs[n], st.stack, dict(st.taps), dict(st.memo))
                        for n in inputs]
            st.cur, st.stack, st.taps, st.memo = None, (), {}, {}
        run(inputs[-1])

        def merge(st: State) -> State:
            lanes, st.lanes = st.lanes, None
            # after the merge the Builder holds the last tower's taps and names
            st.cur, st.stack, st.taps, st.memo = lanes[-1]
            close([lane[0] for lane in lanes])
            return st

        self.S = self.each(self.S, merge, where, span, per_lane=False)

    def copies(self, path: str, lo: int, hi: int, fixed: int | None,
               run: Callable[[int], None], span: Span | None,
               count: Callable[[], int] | None = None) -> None:
        entry = self.pos
        # lazily, a state decides "stop after k copies, or go on" at each copy boundary, so
        # the copies are walked once per shape rather than once per count (not when the body
        # itself reads the count: then it forks up front)
        lazy = fixed is None and path not in self.eager and count is None
        if self.trace:
            if fixed is None:
                count() if count is not None else self.value(path, span)
        elif fixed is not None:
            self.apply(lambda s: s.push(("repeat", fixed)))
        elif lazy:
            for st in self.S:
                v = st.live.get(path)
                self.lanewise(st, lambda s: s.push(("repeat", v, path, -1)))
        else:
            self.S = self.each(self.S, lambda st: st.push((
                "repeat", int(count() if count is not None else self.value(path)))), path, span)
        stopped: list[State] = []

        def at_copy(k: int) -> Callable[[State], None]:
            def set_k(s: State) -> None:
                frame = s.pop()
                s.push(frame[:3] + (k,) if frame[1] is None and len(frame) == 4 else frame)
            return set_k

        for k in range(hi):
            waiting: list[State] = []
            if not self.trace:
                go = []
                for st in self.S:
                    n = st.top()[1]
                    if n is None:
                        if k >= lo:
                            stop = self._assign(st, path, k)
                            stop.nid, on = self.dg.new(), self.dg.new()
                            self.dg.decide(st.nid, path, {k: stop.nid,
                                                          **{v: on for v in range(k + 1, hi + 1)}})
                            st.nid = on
                            stopped.append(stop)
                        self.lanewise(st, at_copy(k))
                        go.append(st)
                    elif n > k:
                        go.append(st)
                    else:
                        waiting.append(st)
                self.S = go
            run(k)
            self.S = self.S + waiting
        if self.trace:
            if fixed is None and count is None and self.dec_reads.get(path, [-1])[-1] > entry:
                self.eager.add(path)
            return
        self.S = [self._assign(st, path, hi) if st.top()[1] is None else st
                  for st in self.S] + stopped  # (nid kept: the only count left is hi)
        self.apply(lambda s: s.pop())

    # ---- shapes and counts --------------------------------------------------------------------
    def apply_op(self, op: Any, stmt: CallStmt, pos: list, kws: dict,
                 in_shape: Shape | None) -> tuple[Shape, int, int, int]:
        """Shape and counts of one op on one input; cached, since many states share them."""
        try:
            key = (stmt.op, _freeze(pos), _freeze(kws), in_shape, stmt.span)
            hit = self.op_cache.get(key)
        except TypeError:  # pragma: no cover - an unhashable argument value
            key, hit = None, None
        if hit is None:
            try:
                hit = self._apply_op(op, stmt, pos, kws, in_shape)
            except Fail as f:
                hit = f
            if key is not None:
                self.op_cache[key] = hit
        if isinstance(hit, Fail):
            raise Fail(hit.kind, hit.message, hit.span, hit.shapes, hit.hint)
        return hit

    def _apply_op(self, op: Any, stmt: CallStmt, pos: list, kws: dict,
                  in_shape: Shape | None) -> tuple[Shape, int, int, int]:
        try:
            args = op.bind(pos, kws)
        except ArgError as e:
            raise Fail("build", str(e), stmt.span) from None
        if in_shape is None:
            raise Fail("build", f"{stmt.op}() has no input tensor", stmt.span)
        try:
            out = tuple(op.out_shape(args, in_shape))
            layers = op.layers(args, in_shape, "x")
        except ShapeError as e:
            raise Fail("shape", f"{stmt.op}() on input {fmt(in_shape)}: {e}", stmt.span,
                       (in_shape,)) from None
        if not layers:
            return out, 0, 0, 0
        trainable, frozen = op.n_params(args, in_shape)
        return out, trainable, frozen, op.macs(args, in_shape)

    def merge_shapes(self, op: Any, shapes: list[Shape], span: Span | None,
                     stmt: Any = None) -> Shape:
        if not isinstance(op, str) or op not in MERGES:
            raise Fail("build", f"unknown merge '{op}'", span, (), "one of " + ", ".join(MERGES))
        try:
            return tuple(merge_out_shape(op, shapes))
        except ShapeError as e:
            why = str(e)
            why = why[len(f"merge {op}: "):] if why.startswith(f"merge {op}: ") else why
            from .hints import merge_fix

            raise Fail("shape", f"merge {op} of " + " and ".join(fmt(s) for s in shapes)
                       + f": {why}", span, tuple(shapes), merge_fix(stmt, op, shapes)) from None

    def project(self, st: State, src: Shape, target: Shape, span: Span | None) -> Shape:
        if src == target:
            return src
        try:
            _specs, (trainable, frozen), macs = projection(src, target, "proj")
        except ShapeError as e:
            raise Fail("shape", f"projection of {fmt(src)} onto {fmt(target)}: {e}", span,
                       (src, target)) from None
        st.add(0 if self.sharing else trainable, 0 if self.sharing else frozen, macs)
        return tuple(target)

    def probe(self, st: State, op: Any, stmt: CallStmt, seg: str, scope: Scope,
              names: list[str], flags: dict) -> tuple[Shape, int, int, int]:
        """An op whose arguments depend on continuous floats: if its shape and counts are the
        same at each float's default, low and high values, the floats do not matter here."""
        floats = list(dict.fromkeys(self.cont))
        if not floats:
            raise Fail("build", f"{stmt.op}(): an argument has no value", stmt.span)
        combos = list(itertools.islice(itertools.product(*[_reps(d)[0] for d in floats]), 64))
        outcomes: list[Any] = []
        saved = self.state
        for combo in combos:
            p = st.clone()
            for d, v in zip(floats, combo):
                p.live[d.path] = v
            self.state, self.cont = p, []
            try:
                pos, kws = self.eval_args(stmt, seg, scope, names, flags)
                outcomes.append(("ok", self.apply_op(op, stmt, pos, kws, st.cur)))
            except (Fail, ArchError) as e:
                outcomes.append(("fail", str(e)))
            finally:
                self.state = saved
        if all(o == outcomes[0] for o in outcomes) and outcomes[0][0] == "ok":
            return outcomes[0][1]
        d = floats[0]
        if all(o[0] == "ok" for o in outcomes):
            self.approx.add(d.path)
            what = "continuous decision" if d.size is None else \
                f"decision with {d.size:,} values"
            self._inexact(f"{what} '{d.path}' changes shapes or counts at "
                          f"{stmt.span or join(scope.path, seg)}: checked at its default and "
                          f"both ends only (bound used)")
        values, weights = _reps(d)
        raise Need(d, values, weights)



def _tab_key(tabs: dict[str, tuple]) -> tuple:
    return tuple(sorted((path, key) for path, (key, _entries) in tabs.items()))


def _note(table: dict, key: Any, pos: int) -> None:
    reads = table.get(key)
    if reads is None:
        table[key] = [pos]
    elif reads[-1] != pos:
        reads.append(pos)


def _reps(d: Decision) -> tuple[tuple, tuple]:
    """Representative values of a continuous float (or of a domain too large to fork on):
    its default (it stands for the whole domain in the configuration count: weight 1 for a
    float, the domain's size otherwise), then its ends (weight 0)."""
    values = [d.default] + [v for v in (d.lo, d.hi) if v != d.default]
    values = list(dict.fromkeys(values))
    return tuple(values), (d.size or 1,) + (0,) * (len(values) - 1)


SHARED_HINT = "layers that share weights need inputs of the same shape at every use"


def shared_mismatch(what: str, shape: Any, first: Any) -> str:
    return (f"{what}: its input is {fmt(shape)}, but the layers it shares were built on "
            f"{fmt(first)}")
