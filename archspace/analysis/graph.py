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
from ..ir.nodes import CallStmt
from ..ir.walk import RepeatBinding, Scope, Walker, join, join_layer, shape_attr
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
    #: the node whose layers (and weights) this one applies again (`shared` repeat, `reuse`);
    #: its parameters are counted there
    shares: int | None = None

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
        self.next_suffix: dict[str, int] = {}
        self.cur: int | None = None
        self.owners: dict[tuple, int] = {}  # (statement, path) -> the node that owns its weights

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
        if name in self.used_names:
            base, n = name, self.next_suffix.get(name, 1)
            while name in self.used_names:
                n += 1
                name = f"{base}_{n}"
            # the next collision starts here (linear, not quadratic); one back, so that a
            # name freed right away (an op that builds nothing) is given again
            self.next_suffix[base] = n - 1
        self.used_names.add(name)
        return name

    def add(self, **kw: Any) -> int:
        node = LayerNode(id=len(self.graph.nodes), **kw)
        self.graph.nodes.append(node)
        return node.id

    def layer_prefix_for(self, stmt, seg, scope):
        label = getattr(stmt, "label", None)
        return join_layer(scope.layer_prefix, self.render(label, scope)) if label else \
            scope.layer_prefix

    def shape_error(self, e: Exception, span: Span | None, what: str) -> ArchShapeError:
        return ArchShapeError(f"{what}: {e}", span,
                              "this configuration does not fit here; see `archspace lint` for "
                              "the whole-space check")

    # ---- the domain: one tensor, one choice ------------------------------------------------------
    def branches(self, read, arms, where, span, conditional=True):
        chosen = read()
        for key, run in arms:
            if key == chosen:
                run()
                return

    def copies(self, path, lo, hi, fixed, run, span, count=None):
        count = fixed if fixed is not None else int(count() if count is not None
                                                     else self.decide(path, span))
        for k in range(count):
            run(k)

    def towers_run(self, inputs, run, close, where, span):
        ends = []
        for name in inputs:  # one tower after the other; decisions are shared
            self.cur = self.graph.inputs[name]
            run(name)
            ends.append(self.cur)
        close(ends)

    def t_cur(self) -> int | None:
        return self.cur

    def t_set(self, x: int | None) -> None:
        self.cur = x

    def t_store(self, base: str, name: str) -> None:
        if self.cur is not None:
            self.taps[name] = self.cur

    def t_fetch(self, base, name, ref, scope, span) -> int:
        if name in self.graph.inputs and not name.startswith("\0"):
            return self.graph.inputs[name]
        if name in self.taps:
            return self.taps[name]
        from ..blocks.base import suggest

        known = sorted({t for t in self.taps if not t.startswith("\0")} | set(self.graph.inputs))
        raise ArchNameError(f"no tensor named '{name}' here", span,
                            suggest(name, known).strip(" ()") or
                            "label a statement with `as NAME` before using it")

    def t_output(self, name: str) -> None:
        self.graph.outputs[name] = self.cur

    def t_call(self, op, stmt: CallStmt, seg: str, scope: Scope, names, flags) -> None:
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
            return
        trainable, frozen = op.n_params(args, in_shape)
        path = join(scope.path, seg)
        owner = self.shared_owner((id(stmt), path), stmt.op, args, in_shape, stmt.span)
        if owner is not None:
            trainable = frozen = 0
        nid = self.add(name=name, kind="op", op=stmt.op, args=args, inputs=(self.cur,),
                       in_shapes=(in_shape,), shape=tuple(out), trainable=trainable,
                       non_trainable=frozen, macs=op.macs(args, in_shape),
                       path=path, span=stmt.span, shares=owner)
        if owner is None:
            self.owners[(id(stmt), path)] = nid
        self.cur = nid

    def shared_owner(self, key: tuple, op: str, args: dict, in_shape: Shape,
                     span: Span | None) -> int | None:
        """While sharing: the node whose weights a new layer applies (same op, arguments and
        input shape, or an error)."""
        if not self.sharing:
            return None
        owner = self.owners.get(key)
        if owner is None:
            raise ArchTypeError(f"{op}(): this layer shares weights, but the statement built "
                                "no layer the first time", span,
                                "a shared repeat's copies and a reuse must build the same "
                                "layers as the first")
        first = self.graph.nodes[owner]
        while first.shares is not None:
            owner, first = first.shares, self.graph.nodes[first.shares]
        if first.in_shapes[0] != in_shape:
            from .states import SHARED_HINT, shared_mismatch

            raise ArchShapeError(shared_mismatch(f"{op}()", in_shape, first.in_shapes[0]),
                                 span, SHARED_HINT)
        if first.args != args:
            raise ArchTypeError(f"{op}(): its arguments differ from those of the layer whose "
                                "weights it shares", span,
                                "a shared layer is one layer: the same arguments at every use")
        return owner

    def t_check_shared(self, first: Any, what: str, span: Span | None) -> None:
        if self.shape(first) != self.shape():
            from .states import SHARED_HINT, shared_mismatch

            raise ArchShapeError(shared_mismatch(what, self.shape(), self.shape(first)), span,
                                 SHARED_HINT)

    def t_merge(self, op, xs, name, path, span, op_span=None, stmt=None) -> int:
        return self.merge(op, list(xs), name, path, span, stmt)

    def t_project(self, x, like, name, path, span) -> int:
        return self.project(x, self.shape(like), name, path, span)

    def merge(self, op: Any, ids: list[int], name: str, path: str, span: Span | None,
              stmt: Any = None) -> int:
        if op not in MERGES:
            raise ArchNameError(f"unknown merge '{op}'", span, "one of " + ", ".join(MERGES))
        shapes = tuple(self.shape(i) for i in ids)
        try:
            out = merge_out_shape(op, shapes)
        except ShapeError as e:
            from .hints import merge_fix

            why = str(e).removeprefix(f"merge {op}: ")
            err = ArchShapeError(f"merge {op} of " + " and ".join(_describe(s) for s in shapes)
                                 + f": {why}", span,
                                 merge_fix(stmt, op, shapes) or self.shape_error(e, span, "").hint)
            err.shapes = shapes  # type: ignore[attr-defined]  (the lint report lists them)
            raise err from None
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
        key = ("projection", path)
        owner = self.shared_owner(key, "projection", {"target": tuple(target)}, in_shape, span)
        if owner is not None:
            trainable = frozen = 0
        nid = self.add(name=self.unique(name), kind="projection", op="projection",
                       args={"target": tuple(target)}, inputs=(src,), in_shapes=(in_shape,),
                       shape=tuple(target), trainable=trainable, non_trainable=frozen,
                       macs=macs, path=path, span=span, shares=owner)
        if owner is None:
            self.owners[key] = nid
        return nid

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
