"""IR + one configuration -> the concrete layer graph, with shapes, parameters and MACs.

This is where a template becomes one network. The Keras compiler and the Keras Tuner
HyperModel both walk the graph this module builds; the static counters read its totals. Nothing
here imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..blocks import REGISTRY
from ..blocks.base import ArgError, ShapeError
from ..blocks.merge import MERGES, merge_out_shape, projection
from ..errors import ArchNameError, ArchShapeError, ArchTypeError
from ..ir import Space
from ..ir.decisions import Decision, decisions_of
from ..ir.nodes import (CallStmt, ChoiceStmt, FromStmt, MergeStmt, NameRef,
                        OptionalStmt, OutputStmt, ParallelStmt, ParamDecl, PositionStmt,
                        RepeatStmt, SkipStmt, TowersStmt)
from ..ir.walk import (RepeatBinding, Scope, Walker, branch_label, join, join_layer, segments,
                       shape_attr)
from ..source import Span

Shape = tuple[int, ...]
BYTES_PER_PARAM = 4  # float32


@dataclass
class LayerNode:
    """One op instance: becomes zero or more Keras layers (see blocks.base.LayerSpec)."""

    id: int
    name: str
    kind: str                 # input | op | merge | projection
    op: str
    args: dict[str, Any]
    inputs: tuple[int, ...]
    in_shapes: tuple[Shape, ...]
    shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    macs: int = 0
    path: str = ""
    span: Span | None = None

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


@dataclass
class Graph:
    space: str | None
    nodes: list[LayerNode] = field(default_factory=list)
    inputs: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def trainable(self) -> int:
        return sum(n.trainable for n in self.nodes)

    @property
    def non_trainable(self) -> int:
        return sum(n.non_trainable for n in self.nodes)

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def bytes(self) -> int:
        return self.params * BYTES_PER_PARAM

    @property
    def macs(self) -> int:
        return sum(n.macs for n in self.nodes)

    def node(self, i: int) -> LayerNode:
        return self.nodes[i]


def _describe(shape: Shape) -> str:
    return "x".join(map(str, shape))


class Builder(Walker):
    """Follows one configuration through the template."""

    def __init__(self, space: Space, source: Callable[[Decision], Any],
                 decisions: Mapping[str, Decision] | None = None):
        super().__init__(space)
        self.source = source
        self.decisions = dict(decisions) if decisions is not None else \
            decisions_of(space).by_path()
        self.graph = Graph(space=space.name)
        self.taps: dict[str, int] = {}
        self.used_names: set[str] = set()
        self.cur: int | None = None

    # ---- decisions ----------------------------------------------------------------------------
    def decide(self, path: str, span: Span | None) -> Any:
        d = self.decisions.get(path)
        if d is None:  # pragma: no cover - the explorer saw every decision the builder meets
            raise ArchTypeError(f"internal: no decision at '{path}'", span)
        v = self.source(d)
        self.graph.config[path] = v
        return v

    decision_value = decide

    def in_attr(self, attr, scope, span):
        return shape_attr(self.shape(self._at), attr, span)

    def here(self) -> int | None:
        return self.cur

    def repeat_count(self, binding: RepeatBinding, scope):
        return binding.fixed if binding.fixed is not None else self.decide(binding.count_path, None)

    # ---- graph construction -------------------------------------------------------------------
    def shape(self, i: int | None = None) -> Shape:
        return self.graph.nodes[self.cur if i is None else i].shape

    def unique(self, name: str) -> str:
        base, n = name, 1
        while name in self.used_names:
            n += 1
            name = f"{base}_{n}"
        self.used_names.add(name)
        return name

    def add(self, **kw: Any) -> int:
        node = LayerNode(id=len(self.graph.nodes), **kw)
        self.graph.nodes.append(node)
        return node.id

    def render(self, ref: NameRef, scope: Scope) -> str:
        if ref.index is None:
            return ref.name
        idx = self.evaluate(ref.index, scope)
        return f"{ref.name}{idx}"

    def layer_prefix_for(self, stmt, seg, scope):
        label = getattr(stmt, "label", None)
        return join_layer(scope.layer_prefix, self.render(label, scope)) if label else \
            scope.layer_prefix

    def tap(self, ref: NameRef, scope: Scope, span: Span | None) -> int:
        name = self.render(ref, scope)
        if name == "input" and "\0input" in scope.env:
            return scope.env["\0input"]
        if name in self.graph.inputs:
            return self.graph.inputs[name]
        if name in self.taps:
            return self.taps[name]
        from ..blocks.base import suggest

        known = sorted(set(self.taps) | set(self.graph.inputs))
        raise ArchNameError(f"no tensor named '{name}' here", span,
                            suggest(name, known).strip(" ()") or
                            "label a statement with `as NAME` before using it")

    def save_tap(self, label: NameRef | None, scope: Scope) -> None:
        if label is not None and self.cur is not None:
            self.taps[self.render(label, scope)] = self.cur

    def shape_error(self, e: Exception, span: Span | None, what: str) -> ArchShapeError:
        return ArchShapeError(f"{what}: {e}", span,
                              "this configuration does not fit here; see `archspace lint` for "
                              "the whole-space check")

    # ---- statements -----------------------------------------------------------------------------
    def on_call(self, stmt: CallStmt, seg: str, scope: Scope) -> None:
        if stmt.op in self.blocks:
            body = self.block_scope(stmt, seg, scope)
            body.env["\0input"] = self.cur
            self.walk_body(self.blocks[stmt.op].body, body)
            self.save_tap(stmt.label, scope)
            return
        op = REGISTRY[stmt.op]
        names = [a.name for a in op.signature]
        flags = {a.name: a.choices for a in op.signature if a.flag and a.choices}
        pos, kws = self.eval_args(stmt, seg, scope, names, flags)
        try:
            args = op.bind(pos, kws)
        except ArgError as e:
            bad = next((v for v in list(pos) + list(kws.values())
                        if isinstance(v, str) and v not in _ALL_SYMBOLS), None)
            if bad is not None:
                raise ArchNameError(f"unknown name '{bad}'", stmt.span,
                                    "declare it with 'param' or 'let', or pass it as a block "
                                    "argument") from None
            raise self.arg_error(stmt, e, scope, names, flags) from None
        in_shape = self.shape()
        try:
            out = op.out_shape(args, in_shape)
        except ShapeError as e:
            raise self.shape_error(e, stmt.span, f"{stmt.op}() on input {_describe(in_shape)}") from None
        leaf = self.render(stmt.label, scope) if stmt.label else stmt.op
        name = self.unique(join_layer(scope.layer_prefix, leaf))
        if not op.layers(args, in_shape, name):
            self.used_names.discard(name)  # identity, dropout(0): nothing to build
            self.save_tap(stmt.label, scope)
            return
        trainable, frozen = op.n_params(args, in_shape)
        self.cur = self.add(name=name, kind="op", op=stmt.op, args=args, inputs=(self.cur,),
                            in_shapes=(in_shape,), shape=tuple(out), trainable=trainable,
                            non_trainable=frozen, macs=op.macs(args, in_shape),
                            path=join(scope.path, seg), span=stmt.span)
        self.save_tap(stmt.label, scope)

    def merge(self, op: Any, ids: list[int], name: str, path: str, span: Span | None) -> int:
        if op not in MERGES:
            raise ArchNameError(f"unknown merge '{op}'", span, "one of " + ", ".join(MERGES))
        shapes = tuple(self.shape(i) for i in ids)
        try:
            out = merge_out_shape(op, shapes)
        except ShapeError as e:
            raise self.shape_error(e, span, f"merge {op} of " + " and ".join(
                _describe(s) for s in shapes)) from None
        return self.add(name=self.unique(name), kind="merge", op=op, args={}, inputs=tuple(ids),
                        in_shapes=shapes, shape=tuple(out), path=path, span=span)

    def project(self, src: int, target: Shape, name: str, path: str, span: Span | None) -> int:
        in_shape = self.shape(src)
        if in_shape == target:
            return src
        try:
            _specs, (trainable, frozen), macs = projection(in_shape, target, name)
        except ShapeError as e:
            raise self.shape_error(e, span, "projection") from None
        return self.add(name=self.unique(name), kind="projection", op="projection",
                        args={"target": tuple(target)}, inputs=(src,), in_shapes=(in_shape,),
                        shape=tuple(target), trainable=trainable, non_trainable=frozen,
                        macs=macs, path=path, span=span)

    def on_optional(self, stmt: OptionalStmt, seg: str, scope: Scope) -> None:
        on = self.decide(join(scope.path, seg), stmt.span)
        if stmt.wraps:
            inner = stmt.body[0]
            if isinstance(inner, SkipStmt):  # `optional skip {..}`: the body always stays
                self.on_skip(inner, seg, scope, residual=bool(on))
            elif on:
                self.walk_stmt(inner, seg, scope)
            return
        if on:
            prefix = join_layer(scope.layer_prefix, stmt.name) if stmt.name else scope.layer_prefix
            self.walk_body(stmt.body, scope.child(path=join(scope.path, seg), layer_prefix=prefix,
                                                  env=dict(scope.env)))

    def on_repeat(self, stmt: RepeatStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        d = self.decisions.get(path)
        lo = int(self.evaluate(stmt.lo, scope))
        hi = int(self.evaluate(stmt.hi, scope))
        fixed = lo if d is None else None
        count = fixed if fixed is not None else int(self.decide(path, stmt.span))
        self.bind_repeat(stmt, scope, path, fixed)
        for k in range(count):
            self.walk_body(stmt.body, self.copy_scope(stmt, seg, scope, k, (), lo, hi, path))

    def on_choice(self, stmt: ChoiceStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        if self.switch_binding(stmt, scope) is not None:
            chosen = str(self.lookup(stmt.name, scope, stmt.span))
        else:
            chosen = self.decide(path, stmt.span)
        for i, b in enumerate(stmt.branches):
            label = branch_label(b, i)
            if label == chosen:
                self.walk_body(b.body, scope.child(path=join(path, label), env=dict(scope.env)))
                return

    def on_parallel(self, stmt: ParallelStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        op = self.evaluate(stmt.merge, scope, join(path, "merge"))
        start = self.cur
        outs = []
        for i, b in enumerate(stmt.branches):
            self.cur = start
            self.walk_body(b.body, scope.child(path=join(path, branch_label(b, i)),
                                               env=dict(scope.env)))
            outs.append(self.cur)
        leaf = self.render(stmt.label, scope) if stmt.label else str(op)
        self.cur = self.merge(op, outs, join_layer(scope.layer_prefix, leaf), path, stmt.span)
        self.save_tap(stmt.label, scope)

    def on_skip(self, stmt: SkipStmt, seg: str, scope: Scope, residual: bool = True) -> None:
        path = join(scope.path, seg)
        start = self.cur
        self.walk_body(stmt.body, scope.child(path=path, env=dict(scope.env)))
        if residual:  # the merge op is a decision only when the residual is there
            op = self.evaluate(stmt.merge, scope, join(path, "merge")) if stmt.merge else "add"
            leaf = self.render(stmt.label, scope) if stmt.label else (stmt.name or "skip")
            name = join_layer(scope.layer_prefix, leaf)
            other = start
            if stmt.project:
                other = self.project(start, self.shape(), name + ".proj", path, stmt.span)
            self.cur = self.merge(op, [self.cur, other], name, path, stmt.span)
        self.save_tap(stmt.label, scope)

    def on_merge(self, stmt: MergeStmt, seg: str, scope: Scope) -> None:
        path = join(scope.path, seg)
        op = self.evaluate(stmt.op, scope, join(path, "op"))
        other = self.tap(stmt.tap, scope, stmt.tap.span or stmt.span)
        leaf = self.render(stmt.label, scope) if stmt.label else str(op)
        name = join_layer(scope.layer_prefix, leaf)
        if stmt.project:
            other = self.project(other, self.shape(), name + ".proj", path, stmt.span)
        self.cur = self.merge(op, [self.cur, other], name, path, stmt.span)
        self.save_tap(stmt.label, scope)

    def on_towers(self, stmt: TowersStmt, seg: str, scope: Scope) -> None:
        at = self.evaluate(stmt.at, scope, join(scope.path, seg, "at"))
        op = self.evaluate(stmt.merge, scope, join(scope.path, seg, "merge"))
        segs = segments(stmt.body, scope.env)
        cut = next(i for i, s in enumerate(stmt.body)
                   if isinstance(s, PositionStmt) and s.label == at)
        ends = []
        for name in stmt.inputs:
            self.cur = self.graph.inputs[name]
            tower = scope.child(env=dict(scope.env), layer_prefix=join_layer(scope.layer_prefix, name))
            for s, sg in zip(stmt.body[:cut], segs[:cut]):
                self.walk_stmt(s, sg, tower)
            ends.append(self.cur)
        scope.env.update(tower.env)  # names bound before the merge (repeats, lets) stay visible
        self.cur = self.merge(op, ends, join_layer(scope.layer_prefix, f"merge_{at}"),
                              join(scope.path, seg), stmt.span)
        for s, sg in zip(stmt.body[cut:], segs[cut:]):
            self.walk_stmt(s, sg, scope)

    def on_position(self, stmt: PositionStmt, seg, scope):
        pass

    def on_from(self, stmt: FromStmt, seg: str, scope: Scope) -> None:
        self.cur = self.tap(stmt.ref, scope, stmt.span)

    def on_output(self, stmt: OutputStmt, seg: str, scope: Scope) -> None:
        self.graph.outputs[stmt.name] = self.cur

    # ---- entry --------------------------------------------------------------------------------
    def run(self) -> Graph:
        root = self.global_scope()
        self._root_env = dict(root.env)
        for inp in self.space.inputs:
            nid = self.add(name=self.unique(inp.name), kind="input", op="input", args={},
                           inputs=(), in_shapes=(), shape=tuple(inp.shape), path=inp.name,
                           span=inp.span)
            self.graph.inputs[inp.name] = nid
        self.cur = self.graph.inputs[self.space.inputs[0].name] if self.space.inputs else None
        if self.space.network is not None:
            self.walk_body(self.space.network, root)
        if not self.graph.outputs and self.cur is not None:
            name = self.space.outputs[0].name if self.space.outputs else "output"
            self.graph.outputs[name] = self.cur
        # training decisions are part of a configuration even though no layer reads them
        for section, settings in (("train", self.space.train),):
            for s in settings:
                self.evaluate(s.value, root, join(section, s.key))
        return self.graph


def _all_symbols() -> frozenset[str]:
    out: set[str] = set(MERGES)
    for op in REGISTRY.values():
        for a in op.signature:
            out |= set(a.choices or ())
    return frozenset(out)


_ALL_SYMBOLS = _all_symbols()


def build_graph(space: Space, config: Mapping[str, Any] | None = None, *,
                source: Callable[[Decision], Any] | None = None) -> Graph:
    """The layer graph of one configuration (default configuration when none is given).

    `config` is canonicalised first (unknown paths and out-of-domain values are errors).
    `source` instead asks a callback for each decision as the walk meets it (Keras Tuner)."""
    if source is None:
        from ..ir.config import canonical

        values = canonical(space, config or {})
        source = lambda d: values.get(d.path, d.default)  # noqa: E731
    return Builder(space, source).run()
