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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ir import Space
from ..ir import expr as E
from ..ir.nodes import (CallStmt, ChoiceStmt, FromStmt, LetStmt, MergeStmt, NameRef,
                        OptionalStmt, OutputStmt, ParallelStmt, ParamDecl, PositionStmt,
                        RepeatStmt, SkipStmt, TowersStmt)
from ..ir.params import BoolParam, ChoiceParam, FixedParam, FloatParam, IntParam

MAX_NODES = 600  # past this, blocks are drawn as single boxes


# ---- expressions back to text ---------------------------------------------------------------
_PREC = {"<=": 1, ">=": 1, "==": 1, "!=": 1, "<": 1, ">": 1, "+": 2, "-": 2, "*": 3, "/": 3,
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
    if isinstance(x, E.BinOp):
        p = _PREC[x.op]
        s = f"{expr_text(x.left, p)} {x.op} {expr_text(x.right, p + 1)}"
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
    kind: str               # block | optional | repeat | branch | towers | parallel
    parent: str | None = None
    dashed: bool = False


@dataclass
class SpaceDiagram:
    title: str
    nodes: list[DNode] = field(default_factory=list)
    edges: list[DEdge] = field(default_factory=list)
    clusters: list[DCluster] = field(default_factory=list)

    # -- construction from the IR ----------------------------------------------------------
    @classmethod
    def of(cls, space: Space) -> "SpaceDiagram":
        d = cls(title=space.name or "space")
        d._blocks = {b.name: b for b in space.blocks}  # type: ignore[attr-defined]
        d._taps: dict[str, str] = {}  # type: ignore[misc]
        first = None
        for inp in space.inputs:
            nid = d.node(f"{inp.name}: {'x'.join(map(str, inp.shape))}", "input", None)
            d._taps[inp.name] = nid
            first = first or nid
        cur = d.body(space.network or (), first, None, (), None)
        if cur is not None and not any(n.kind == "output" for n in d.nodes):
            outs = ", ".join(f"{o.name}: {expr_text(o.units)}" for o in space.outputs)
            end = d.node("output" + (f" {outs}" if outs else ""), "output", None)
            d.edge(cur, end)
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

    def body(self, stmts: Any, cur: str | None, cl: str | None, stack: tuple,
             block_in: str | None) -> str | None:
        for s in stmts:
            cur = self.stmt(s, cur, cl, stack, block_in)
        return cur

    def stmt(self, s: Any, cur: str | None, cl: str | None, stack: tuple,
             block_in: str | None) -> str | None:
        if isinstance(s, (LetStmt, ParamDecl)):
            return cur
        if isinstance(s, CallStmt):
            block = self._blocks.get(s.op)  # type: ignore[attr-defined]
            if block is not None and s.op not in stack and len(self.nodes) < MAX_NODES:
                args = [expr_text(a) for a in s.args] + [
                    f"{k.name}={expr_text(k.value)}" for k in s.kwargs]
                c = self.cluster(f"{s.op}({', '.join(args)})"
                                 + (f" as {ref_text(s.label)}" if s.label else ""), "block", cl)
                out = self.body(block.body, cur, c, stack + (s.op,), cur)
                if out is None or out == cur:  # an empty block
                    out = self.node(s.op, "op", c)
                    self.edge(cur, out)
                self._save(s.label, out)
                return out
            nid = self.node(call_text(s), "op", cl)
            self.edge(cur, nid)
            self._save(s.label, nid)
            return nid
        if isinstance(s, OptionalStmt):
            inner = s.body[0] if s.wraps else None
            name = s.name or _stmt_name(inner)
            default = " (default on)" if isinstance(s.default, E.BoolLit) and s.default.value \
                else ""
            if isinstance(inner, SkipStmt):
                return self.skip(inner, cur, cl, stack, block_in, optional=True)
            c = self.cluster(f"optional {name}{default}", "optional", cl, dashed=True)
            out = self.body(s.body, cur, c, stack, block_in)
            join = self.node("", "join", cl)
            self.edge(out, join)
            self.edge(cur, join, "off", dashed=True)
            return join
        if isinstance(s, RepeatStmt):
            name = (s.name or "repeat") + (f"[{s.index}]" if s.index else "")
            default = f", default {expr_text(s.default)}" if s.default is not None else ""
            c = self.cluster(f"repeat {name} in {expr_text(s.lo)}..{expr_text(s.hi)}{default}"
                             f" (copies)", "repeat", cl)
            out = self.body(s.body, cur, c, stack, block_in)
            return out if out is not None else cur
        if isinstance(s, ChoiceStmt):
            diamond = self.node(f"choice {s.name or ''}".strip(), "choice", cl)
            self.edge(cur, diamond)
            join = self.node("", "join", cl)
            for i, b in enumerate(s.branches):
                label = b.label if b.label is not None else str(i)
                if not b.body:
                    self.edge(diamond, join, label)
                    continue
                c = self.cluster(label, "branch", cl)
                n_before = len(self.edges)
                out = self.body(b.body, diamond, c, stack, block_in)
                for e in self.edges[n_before:]:
                    if e.src == diamond and not e.label:
                        e.label = label
                        break
                self.edge(out, join)
            return join
        if isinstance(s, ParallelStmt):
            merge = self.node(f"merge {expr_text(s.merge)}"
                              + (f" as {ref_text(s.label)}" if s.label else ""), "merge", cl)
            for b in s.branches:
                out = self.body(b.body, cur, cl, stack, block_in)
                self.edge(out, merge)
            self._save(s.label, merge)
            return merge
        if isinstance(s, SkipStmt):
            return self.skip(s, cur, cl, stack, block_in, optional=False)
        if isinstance(s, MergeStmt):
            merge = self.node(f"merge {expr_text(s.op)}"
                              + (f" as {ref_text(s.label)}" if s.label else ""), "merge", cl)
            self.edge(cur, merge)
            src = block_in if s.tap.name == "input" and block_in else self._taps.get(s.tap.name)
            self.edge(src, merge, ref_text(s.tap) + (" (project)" if s.project else ""),
                      dashed=True)
            self._save(s.label, merge)
            return merge
        if isinstance(s, TowersStmt):
            c = self.cluster(f"towers({', '.join(s.inputs)}): one copy per input, merged "
                             f"({expr_text(s.merge)}) at {expr_text(s.at)}", "towers", cl)
            starts = [self._taps.get(n) for n in s.inputs]
            n_before = len(self.nodes)
            out = self.body(s.body, None, c, stack, block_in)
            first = self.nodes[n_before].id if len(self.nodes) > n_before else None
            if first is not None:
                for src, name in zip(starts, s.inputs):
                    self.edge(src, first, name)
            return out if out is not None else cur
        if isinstance(s, PositionStmt):
            nid = self.node(f"@{s.label}: merge point?", "position", cl)
            self.edge(cur, nid)
            return nid
        if isinstance(s, FromStmt):
            return self._taps.get(s.ref.name, cur)
        if isinstance(s, OutputStmt):
            nid = self.node(f"output {s.name}", "output", cl)
            self.edge(cur, nid)
            return nid
        return cur

    def skip(self, s: SkipStmt, cur: str | None, cl: str | None, stack: tuple,
             block_in: str | None, optional: bool) -> str | None:
        c = self.cluster(("optional " if optional else "") + f"skip {s.name or ''}".rstrip(),
                         "skip", cl, dashed=optional)
        out = self.body(s.body, cur, c, stack, block_in)
        op = expr_text(s.merge) if s.merge is not None else "add"
        merge = self.node(f"merge {op}" + (f" as {ref_text(s.label)}" if s.label else ""),
                          "merge", cl)
        self.edge(out, merge)
        self.edge(cur, merge, ("project" if s.project else "skip") + (" (optional)"
                                                                       if optional else ""),
                  dashed=True)
        self._save(s.label, merge)
        return merge

    def _save(self, label: NameRef | None, nid: str) -> None:
        if label is not None:
            self._taps[label.name] = nid  # type: ignore[attr-defined]

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
