"""A picture of the *space*, not of one model: every place where it may vary.

Blocks are drawn expanded as boxes; an `optional` part is a dashed box with a dashed "off"
edge around it; a `repeat` is a box labelled with its range; a `choice` is a diamond whose
alternatives rejoin; `parallel` branches and skips end in a merge node; taps draw an edge from
where they were saved; `towers` is a box that each input enters, with its possible merge
points marked. Output: Mermaid (GitHub renders it in Markdown) and Graphviz DOT text; SVG, PNG
or PDF when Graphviz's `dot` program is installed.

    text = to_mermaid(space); text = to_dot(space)
    write_diagram(space, "space.svg", console)      # what `archspace show --diagram` calls
"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ir import Space
from ..ir import expr as E
from ..ir.nodes import (CallStmt, NameRef, ParallelStmt, PickStmt, RepeatCountStmt, SkipStmt,
                        TowersStmt)
from ..ir.params import BoolParam, ChoiceParam, FixedParam, FloatParam, IntParam
from ..ir.walk import UNKNOWN, Walker

MAX_NODES = 600  # past this, blocks are drawn as single boxes


# ---- expressions back to text ---------------------------------------------------------------
_PREC = {"or": 0.2, "and": 0.4, "<=": 1, ">=": 1, "==": 1, "!=": 1, "<": 1, ">": 1, "+": 2, "-": 2, "*": 3, "/": 3,
         "//": 3, "%": 3}


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def param_text(p: Any) -> str:
    d = f" default {expr_text(p.default)}" if getattr(p, "default", None) is not None else ""
    if isinstance(p, IntParam):
        step = f", step={expr_text(p.step)}" if p.step is not None else ""
        return f"int({expr_text(p.lo)}, {expr_text(p.hi)}{step}){d}"
    if isinstance(p, FloatParam):
        extra = f", step={expr_text(p.step)}" if p.step is not None else (", log" if p.log else "")
        return f"float({expr_text(p.lo)}, {expr_text(p.hi)}{extra}){d}"
    if isinstance(p, ChoiceParam):
        return "choice(" + ", ".join(expr_text(v) for v in p.values) + f"){d}"
    if isinstance(p, BoolParam):
        return f"bool{d}"
    if isinstance(p, FixedParam):
        return f"fixed({expr_text(p.value)})"
    return "?"


def expr_text(x: Any, prec: int = 0) -> str:
    """An expression as .arch source (normalised spacing)."""
    if x is None:
        return ""
    if isinstance(x, (E.Num, E.BoolLit)):
        return _num(x.value)
    if isinstance(x, E.Str):
        return '"' + x.value.replace('"', '\\"') + '"'
    if isinstance(x, E.Dims):
        return "x".join(map(str, x.values))
    if isinstance(x, E.Name):
        return x.name
    if isinstance(x, E.Attr):
        return f"{x.obj}.{x.attr}"
    if isinstance(x, E.InAttr):
        return f"in.{x.attr}"
    if isinstance(x, E.Position):
        return f"@{x.label}"
    if isinstance(x, E.Neg):
        return "-" + expr_text(x.operand, 4)
    if isinstance(x, E.Not):
        s = "not " + expr_text(x.operand, 0.5)
        return f"({s})" if prec > 0.5 else s
    if isinstance(x, E.BinOp):
        p = _PREC[x.op]
        s = f"{expr_text(x.left, p)} {x.op} {expr_text(x.right, p + (1 if p >= 1 else 0.1))}"
        return f"({s})" if p < prec else s
    if isinstance(x, E.ListExpr):
        return "[" + ", ".join(expr_text(i) for i in x.items) + "]"
    if isinstance(x, E.ParamExpr):
        return param_text(x.param)
    if isinstance(x, E.Objective):
        return f"{x.direction} {x.metric}"
    if isinstance(x, E.Call):
        args = [expr_text(a) for a in x.args] + [f"{k.name}={expr_text(k.value)}"
                                                 for k in x.kwargs]
        return f"{x.name}(" + ", ".join(args) + ")"
    return "?"


def ref_text(ref: NameRef | None) -> str:
    if ref is None:
        return ""
    return ref.name + (f"[{expr_text(ref.index)}]" if ref.index is not None else "")


def _stmt_name(stmt: Any) -> str:
    """How an `optional <statement>` is called in the picture."""
    if stmt is None:
        return "optional"
    label = getattr(stmt, "label", None)
    if label is not None:
        return ref_text(label)
    if isinstance(stmt, CallStmt):
        return stmt.op
    name = getattr(stmt, "name", None)
    return name if isinstance(name, str) else stmt.kind


def call_text(stmt: CallStmt) -> str:
    args = [expr_text(a) for a in stmt.args] + [f"{k.name}={expr_text(k.value)}"
                                                for k in stmt.kwargs]
    s = stmt.op + (f"({', '.join(args)})" if args else "")
    return s + (f" as {ref_text(stmt.label)}" if stmt.label else "")


# ---- the diagram as data ----------------------------------------------------------------------
@dataclass
class DNode:
    id: str
    label: str
    kind: str = "op"        # op | input | output | merge | choice | join | position
    cluster: str | None = None


@dataclass
class DEdge:
    src: str
    dst: str
    label: str = ""
    dashed: bool = False


@dataclass
class DCluster:
    id: str
    label: str
    kind: str               # block | optional | repeat | branch | towers | parallel | reuse
    parent: str | None = None
    dashed: bool = False


@dataclass
class SpaceDiagram:
    title: str
    nodes: list[DNode] = field(default_factory=list)
    edges: list[DEdge] = field(default_factory=list)
    clusters: list[DCluster] = field(default_factory=list)

    # -- construction: the interpreter's walk, drawn ------------------------------------------
    @classmethod
    def of(cls, space: Space) -> "SpaceDiagram":
        d = cls(title=space.name or "space")
        w = _Drawing(space, d)
        for inp in space.inputs:
            nid = d.node(f"{inp.name}: {'x'.join(map(str, inp.shape))}", "input", None)
            w.taps[inp.name] = nid
            w.cur = w.cur or nid
        w.run()
        if w.cur is not None and not any(n.kind == "output" for n in d.nodes):
            outs = ", ".join(f"{o.name}: {expr_text(o.units)}" for o in space.outputs)
            end = d.node("output" + (f" {outs}" if outs else ""), "output", None)
            d.edge(w.cur, end)
        return d

    def node(self, label: str, kind: str, cluster: str | None) -> str:
        nid = f"n{len(self.nodes)}"
        self.nodes.append(DNode(nid, label, kind, cluster))
        return nid

    def edge(self, src: str | None, dst: str, label: str = "", dashed: bool = False) -> None:
        if src is not None:
            self.edges.append(DEdge(src, dst, label, dashed))

    def cluster(self, label: str, kind: str, parent: str | None, dashed: bool = False) -> str:
        cid = f"c{len(self.clusters)}"
        self.clusters.append(DCluster(cid, label, kind, parent, dashed))
        return cid

    # -- rendering ---------------------------------------------------------------------------
    def _children(self) -> tuple[dict, dict]:
        kids: dict[str | None, list[DCluster]] = {}
        members: dict[str | None, list[DNode]] = {}
        for c in self.clusters:
            kids.setdefault(c.parent, []).append(c)
        for n in self.nodes:
            members.setdefault(n.cluster, []).append(n)
        return kids, members

    def to_mermaid(self) -> str:
        kids, members = self._children()
        lines = ["flowchart TD"]
        shape = {"op": ('["', '"]'), "input": ('[/"', '"/]'), "output": ('[\\"', '"\\]'),
                 "merge": ('(("', '"))'), "choice": ('{"', '"}'), "join": ('(("', '"))'),
                 "position": ('{{"', '"}}')}

        def esc(s: str) -> str:
            return s.replace('"', "#quot;") or " "

        def emit(cid: str | None, depth: int) -> None:
            pad = "  " * depth
            for n in members.get(cid, []):
                a, b = shape[n.kind]
                lines.append(f"{pad}{n.id}{a}{esc(n.label if n.kind != 'join' else ' ')}{b}")
            for c in kids.get(cid, []):
                lines.append(f'{pad}subgraph {c.id}["{esc(c.label)}"]')
                emit(c.id, depth + 1)
                lines.append(f"{pad}end")

        emit(None, 1)
        for e in self.edges:
            arrow = "-.->" if e.dashed else "-->"
            label = f"|{esc(e.label)}|" if e.label else ""
            lines.append(f"  {e.src} {arrow}{label} {e.dst}")
        for c in self.clusters:
            if c.dashed:
                lines.append(f"  style {c.id} stroke-dasharray: 5 5")
        for n in self.nodes:
            if n.kind == "join":
                lines.append(f"  style {n.id} fill:#888,stroke:#888")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        kids, members = self._children()
        shape = {"op": "box", "input": "parallelogram", "output": "box", "merge": "circle",
                 "choice": "diamond", "join": "point", "position": "hexagon"}

        def q(s: str) -> str:
            return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

        lines = [f"digraph {q(self.title)} {{", "  rankdir=TB;",
                 '  node [shape=box, fontname="Helvetica", fontsize=10];',
                 '  edge [fontname="Helvetica", fontsize=9];']

        def emit(cid: str | None, depth: int) -> None:
            pad = "  " * depth
            for n in members.get(cid, []):
                style = ', style="rounded,bold"' if n.kind in ("input", "output") else ""
                lines.append(f"{pad}{n.id} [label={q(n.label)}, shape={shape[n.kind]}{style}];")
            for c in kids.get(cid, []):
                lines.append(f"{pad}subgraph cluster_{c.id} {{")
                lines.append(f"{pad}  label={q(c.label)};")
                lines.append(f'{pad}  style="{"dashed" if c.dashed else "rounded"}";')
                emit(c.id, depth + 1)
                lines.append(f"{pad}}}")

        emit(None, 1)
        for e in self.edges:
            attrs = []
            if e.label:
                attrs.append(f"label={q(e.label)}")
            if e.dashed:
                attrs.append("style=dashed")
            lines.append(f"  {e.src} -> {e.dst}" + (f" [{', '.join(attrs)}]" if attrs else "")
                         + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"


class _Drawing(Walker):
    """The diagram domain of the interpreter (`ir.walk`): every alternative once, a repeat's
    body once, each construct drawn as the region the interpreter announces; searched values
    stay unknown, labels are the source text."""

    memoize_thunks = False

    def __init__(self, space: Space, d: SpaceDiagram):
        super().__init__(space)
        self.d = d
        self.cur: str | None = None
        self.cl: str | None = None           # the cluster being drawn into
        self.taps: dict[str, str] = {}
        self.frames: list[tuple] = []        # open regions: (kind, data...)
        self.muted = 0                       # inside a block drawn as one box (past MAX_NODES)

    # values: nothing searched is known here
    def decision_value(self, path: str, span: Any) -> Any:
        return UNKNOWN

    def param_value(self, binding: Any, scope: Any, span: Any) -> Any:
        return UNKNOWN

    def inline_value(self, param: Any, path: str, scope: Any, span: Any) -> Any:
        return UNKNOWN if not isinstance(param, FixedParam) else \
            self.evaluate(param.value, scope)

    def in_attr(self, attr: str, scope: Any, span: Any) -> Any:
        return UNKNOWN

    def repeat_count(self, binding: Any, scope: Any) -> Any:
        return binding.fixed if binding.fixed is not None else UNKNOWN

    def render(self, ref: NameRef, scope: Any) -> str:
        return ref.name

    # control: every alternative, a repeat's body once, towers bodies once
    def copies(self, path, lo, hi, fixed, run, span, count=None) -> None:
        if hi > 0:
            run(0)

    def unknown_count(self, stmt: Any) -> int:
        return 1  # a `repeat name = expr` body is drawn once, like every repeat's

    def towers_run(self, inputs, run, close, where, span) -> None:
        starts = [self.taps.get(n) for n in inputs]
        self.cur = None
        first = len(self.d.nodes)
        run(inputs[-1])
        if len(self.d.nodes) > first:
            for src, name in zip(starts, inputs):
                self.d.edge(src, self.d.nodes[first].id, name)
        self.t_pop()  # the merge point is drawn where the body marks it (@position)

    # the drawing
    def t_cur(self) -> Any:
        return self.cur

    def t_set(self, x: Any) -> None:
        self.cur = x

    def t_call(self, op, stmt, seg, scope, names, flags) -> None:
        if self.muted:
            return
        nid = self.d.node(call_text(stmt), "op", self.cl)
        self.d.edge(self.cur, nid)
        self.cur = nid

    def t_store(self, base: str, name: str) -> None:
        if self.cur is not None and not self.muted:
            self.taps[base] = self.cur

    def t_fetch(self, base, name, ref, scope, span) -> Any:
        return self.taps.get(base, self.cur)

    def t_project(self, x, like, name, path, span) -> Any:
        return x

    def t_merge(self, op, xs, name, path, span, op_span=None, stmt=None) -> Any:
        if self.muted or isinstance(stmt, TowersStmt):
            return self.cur
        as_ = f" as {ref_text(stmt.label)}" if getattr(stmt, "label", None) else ""
        if isinstance(stmt, PickStmt):  # after the join of the picked edges
            merge = self.d.node(f"merge {expr_text(stmt.merge)}{as_}", "merge", self.cl)
            self.d.edge(self.cur, merge)
            return merge
        if isinstance(stmt, ParallelStmt):
            merge = self.d.node(f"merge {expr_text(stmt.merge)}{as_}", "merge", self.cl)
            for x in xs:
                self.d.edge(x, merge)
            return merge
        if isinstance(stmt, SkipStmt):
            optional = self.frames[-1][1] if self.frames and self.frames[-1][0] == "skip" \
                else False
            parent = self.frames[-1][2] if self.frames and self.frames[-1][0] == "skip" \
                else self.cl
            text = expr_text(stmt.merge) if stmt.merge is not None else "add"
            merge = self.d.node(f"merge {text}{as_}", "merge", parent)
            self.d.edge(xs[0], merge)
            self.d.edge(xs[1], merge, ("project" if stmt.project else "skip")
                        + (" (optional)" if optional else ""), dashed=True)
            return merge
        merge = self.d.node(f"merge {expr_text(stmt.op)}{as_}", "merge", self.cl)
        self.d.edge(xs[0], merge)
        self.d.edge(xs[1], merge, ref_text(stmt.tap) + (" (project)" if stmt.project else ""),
                    dashed=True)
        return merge

    def t_position(self, label: str) -> None:
        if not self.muted:
            nid = self.d.node(f"@{label}: merge point?", "position", self.cl)
            self.d.edge(self.cur, nid)
            self.cur = nid

    def t_output(self, name: str) -> None:
        if not self.muted:
            nid = self.d.node(f"output {name}", "output", self.cl)
            self.d.edge(self.cur, nid)
            self.cur = nid

    @contextmanager
    def region(self, kind: str, stmt: Any = None, label: str | None = None):
        if self.muted:
            self.muted += kind == "block"
            try:
                yield
            finally:
                self.muted -= kind == "block"
            return
        d, parent, start = self.d, self.cl, self.cur
        if kind == "block" and len(d.nodes) >= MAX_NODES:  # too big: one box per block
            nid = d.node(call_text(stmt), "op", parent)
            d.edge(start, nid)
            self.muted += 1
            try:
                yield
            finally:
                self.muted -= 1
                self.cur = nid
            return
        if kind == "block":
            args = [expr_text(a) for a in stmt.args] + [
                f"{k.name}={expr_text(k.value)}" for k in stmt.kwargs]
            self.cl = d.cluster(f"{stmt.op}({', '.join(args)})"
                                + (f" as {ref_text(stmt.label)}" if stmt.label else ""),
                                "block", parent)
        elif kind == "optional":
            inner = stmt.body[0] if stmt.wraps else None
            default = " (default on)" if isinstance(stmt.default, E.BoolLit) and \
                stmt.default.value else ""
            self.cl = d.cluster(f"optional {stmt.name or _stmt_name(inner)}{default}",
                                "optional", parent, dashed=True)
        elif kind == "repeat" and isinstance(stmt, RepeatCountStmt):
            name = (stmt.name or "repeat") + (f"[{stmt.index}]" if stmt.index else "")
            self.cl = d.cluster(f"repeat {name} = {expr_text(stmt.count)} (copies)", "repeat",
                                parent)
        elif kind == "repeat":
            name = (stmt.name or "repeat") + (f"[{stmt.index}]" if stmt.index else "")
            default = f", default {expr_text(stmt.default)}" if stmt.default is not None else ""
            self.cl = d.cluster(f"repeat {name} in {expr_text(stmt.lo)}..{expr_text(stmt.hi)}"
                                f"{default} " + ("(copies share one set of weights)"
                                                 if stmt.shared else "(copies)"),
                                "repeat", parent)
        elif kind in ("choice", "if", "pick"):
            text = f"choice {stmt.name or ''}".strip() if kind == "choice" else \
                f"if {expr_text(stmt.cond)}" if kind == "if" else \
                f"pick {stmt.name + ' ' if stmt.name else ''}{expr_text(stmt.k)} of (" + \
                ", ".join(ref_text(r) for r in stmt.taps) + ")"
            diamond = d.node(text, "choice", parent)
            d.edge(start, diamond)
            join = d.node("", "join", parent)
            self.frames.append(("choice", diamond, join))
            try:
                yield
            finally:
                self.frames.pop()
                self.cur = join
            return
        elif kind == "branch":
            _kind, diamond, join = self.frames[-1]
            if not stmt.body:
                d.edge(diamond, join, label or "")
                yield
                return
            self.cl = d.cluster(label or "", "branch", parent)
            self.cur, n_before = diamond, len(d.edges)
            try:
                yield
            finally:
                for e in d.edges[n_before:]:
                    if e.src == diamond and not e.label:
                        e.label = label or ""
                        break
                d.edge(self.cur, join)
                self.cl = parent
            return
        elif kind == "skip":
            optional = label == "optional"
            self.cl = d.cluster(("optional " if optional else "")
                                + f"skip {stmt.name or ''}".rstrip(), "skip", parent,
                                dashed=optional)
            self.frames.append(("skip", optional, parent))
            try:
                yield
            finally:
                self.frames.pop()
                self.cl = parent
            return
        elif kind == "reuse":
            self.cl = d.cluster(f"reuse {ref_text(stmt.ref)} (its layers again, same weights)",
                                "reuse", parent)
        elif kind == "towers":
            self.cl = d.cluster(f"towers({', '.join(stmt.inputs)}): one copy per input, merged "
                                f"({expr_text(stmt.merge)}) at {expr_text(stmt.at)}", "towers",
                                parent)
        try:
            yield
        finally:
            self.cl = parent
        if kind == "block" and self.cur == start:  # an empty block
            self.cur = d.node(stmt.op, "op", self.cl)
            d.edge(start, self.cur)
        elif kind == "optional":
            join = d.node("", "join", parent)
            d.edge(self.cur, join)
            d.edge(start, join, "off", dashed=True)
            self.cur = join


def to_mermaid(space: Space) -> str:
    return SpaceDiagram.of(space).to_mermaid()


def to_dot(space: Space) -> str:
    return SpaceDiagram.of(space).to_dot()


def render_image(dot_text: str, target: str | Path) -> bool:
    """Run Graphviz's `dot` to write an SVG/PNG/PDF; False when `dot` is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return False
    fmt = Path(target).suffix.lstrip(".").lower()
    subprocess.run([exe, f"-T{fmt}", "-o", str(target)], input=dot_text, text=True,
                   check=True, timeout=120, capture_output=True)
    return True


def write_diagram(space: Space, target: str, console: Any) -> str | None:
    """`mermaid` or `dot` prints the text; a .mmd/.md/.dot/.gv path writes it; a .svg/.png/.pdf
    path renders it with Graphviz (or, without it, writes the .dot beside it and says so).
    Returns the path written, if any."""
    from ..errors import ArchError

    d = SpaceDiagram.of(space)
    kind = target.lower()
    if kind in ("mermaid", "mmd"):
        console.write_text(d.to_mermaid(), None)
        return None
    if kind in ("dot", "graphviz", "gv"):
        console.write_text(d.to_dot(), None)
        return None
    path = Path(target)
    ext = path.suffix.lower()
    if ext in (".mmd", ".mermaid"):
        console.write_text(d.to_mermaid(), str(path))
    elif ext == ".md":
        console.write_text("```mermaid\n" + d.to_mermaid() + "```\n", str(path))
    elif ext in (".dot", ".gv"):
        console.write_text(d.to_dot(), str(path))
    elif ext in (".svg", ".png", ".pdf"):
        dot_text = d.to_dot()
        try:
            done = render_image(dot_text, path)
        except (OSError, subprocess.SubprocessError) as e:
            raise ArchError(f"graphviz could not render {path}: {e}") from None
        if done:
            console.err.print(f"wrote {path}")
            return str(path)
        fallback = path.with_suffix(".dot")
        console.write_text(dot_text, str(fallback))
        console.err.print(f"graphviz's `dot` is not installed, so {path} was not drawn; render "
                          f"it with: dot -T{ext[1:]} {fallback} -o {path}")
        return str(fallback)
    else:
        raise ArchError(f"--diagram {target}: give mermaid, dot, or a .mmd/.md/.dot/.svg/.png/"
                        f".pdf file")
    return str(path)
