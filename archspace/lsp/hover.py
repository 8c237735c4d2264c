"""Hover: what the name or statement under the cursor is, in Markdown.

- an op: its signature and what it builds (the op registry, as `archspace ops NAME`);
- a block: its signature and where it is defined;
- a parameter or an inline searched value: its decisions (path, domain, default, when
  active), as `archspace show` lists them;
- a statement (hovering its op, label or keyword): the shape it leaves and the parameters it
  adds at the default and in the smallest and largest models of the space."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as T

from ..blocks import MERGES, REGISTRY
from ..blocks.common import fmt
from ..ir.nodes import STATEMENT_KEYWORDS
from ..source import Span
from .document import Analysis, Visit, span_key
from .positions import contains, span_size, to_line_col, word_at

#: decisions listed in one hover (a param of a block called in a repeat has one per copy)
MAX_DECISIONS = 6
#: passes of one statement listed (copies of a repeat, calls of a block)
MAX_VISITS = 4
#: longest a hover waits for a whole-space check running on the worker thread
SIZES_WAIT_S = 0.1


def hover(doc: Analysis, pos: T.Position) -> T.Hover | None:
    line, col = to_line_col(pos, doc.lines)
    w = word_at(doc.lines, line, col)
    if w is None:
        return None
    word, start, end = w
    text = _hover_text(doc, word, line, col)
    if not text:
        return None
    rng = T.Range(T.Position(pos.line, _u16(doc, line, start)), T.Position(pos.line, _u16(doc, line, end)))
    return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text), range=rng)


def _u16(doc: Analysis, line: int, col: int) -> int:
    from .positions import utf16_col

    return utf16_col(doc.lines[line - 1], col - 1)


def _hover_text(doc: Analysis, word: str, line: int, col: int) -> str | None:
    outline = doc.outline
    call = outline.call_at(line, col) if outline else None
    if call is not None and word == call.op and col <= call.span.col + len(call.op):
        return _callee(doc, call.op, _sizes(doc, call.span))
    if outline is not None:
        d = outline.lookup(word, line, col)
        if d is not None and not (d.kind == "block" and word in REGISTRY):
            return _definition(doc, d)
    setting = _setting(doc, word, line, col)
    if setting:
        return setting
    inline = _decisions_at(doc, line, col)
    if inline:
        return _decision_text(inline)
    if word in REGISTRY:
        return _op(word)
    if word in MERGES:
        return f"**merge {word}**: {MERGES[word].doc}"
    if word in STATEMENT_KEYWORDS and outline is not None:
        stmts = [s for s in outline.statements_at(line, col)
                 if s.span.line == line and s.span.col <= col]
        if stmts:
            s = stmts[-1]
            parts = [f"**{word}** statement"]
            own = doc.decisions_by_span.get(span_key(s.span), [])
            if own:
                parts.append(_decision_text(own))
            parts.append(_sizes(doc, s.span))
            return "\n\n".join(p for p in parts if p)
    return None


def _setting(doc: Analysis, word: str, line: int, col: int) -> str | None:
    """A `train` / `search` key under the cursor: what it means and its default."""
    if doc.space is None:
        return None
    from ..ir.settings import SEARCH_KEYS, TRAIN_KEYS

    for section, keys, settings in (("train", TRAIN_KEYS, doc.space.train),
                                    ("search", SEARCH_KEYS, doc.space.search)):
        for st in settings:
            if st.key == word and st.span is not None and st.span.line == line \
                    and contains(st.span, line, col, doc.display) and word in keys:
                dflt, meaning = keys[word]
                default = "none" if dflt is None else dflt
                return f"**{section}.{word}**: {meaning} (default {default})"
    return None


# -- ops and blocks ------------------------------------------------------------------------
def _op(name: str, sizes: str = "") -> str:
    """Signature, what it builds, (what this statement builds,) the arguments in detail."""
    from ..cli.ops_cmd import _default

    op = REGISTRY[name]
    sig = ", ".join(_default(a) for a in op.signature)
    rows = ["| argument | type | default | values |", "|---|---|---|---|"]
    for a in op.signature:
        default = _default(a).partition("=")[2] or "(required)"
        values = ", ".join(sorted(a.choices)) if a.choices else ""
        rows.append(f"| `{a.name}` | {a.type} | {default} | {values} |")
    parts = [f"```arch\n{name}({sig})\n```\nop: {op.doc}", sizes,
             "\n".join(rows) if op.signature else ""]
    return "\n\n".join(p for p in parts if p)


def _callee(doc: Analysis, name: str, sizes: str = "") -> str:
    if doc.space is not None:
        b = doc.space.block(name)
        if b is not None:
            return "\n\n".join(p for p in (_block(doc, b), sizes) if p)
    if name in REGISTRY:
        return _op(name, sizes)
    return f"`{name}`: unknown op or block"


def _block(doc: Analysis, b: Any) -> str:
    args = ", ".join(f.name + (f" = {_source(doc, f.default)}" if f.default is not None else "")
                     for f in b.params)
    where = f"\n\ndefined at {b.span}" if b.span else ""
    return f"```arch\nblock {b.name}({args})\n```\nblock of {len(b.body)} statement(s){where}"


def _source(doc: Analysis, expr: Any) -> str:
    return _span_text(doc, getattr(expr, "span", None)) or "..."


# -- definitions ---------------------------------------------------------------------------
def _definition(doc: Analysis, d: Any) -> str:
    node = d.node
    if d.kind == "block":
        return _block(doc, node)
    if d.kind == "param":
        found = doc.decisions_by_span.get(span_key(node.span), []) if node.span else []
        head = f"```arch\n{_span_text(doc, node.span)}\n```"
        if not found:
            return head + "\n\nnot searched here (fixed, or not used by the network)" \
                if doc.valid else head
        return head + "\n\n" + _decision_text(found)
    if d.kind == "input":
        return f"input **{node.name}**: {fmt(node.shape)}"
    if d.kind == "output":
        return f"output **{node.name}**: {_source(doc, node.units)} units"
    if d.kind == "tap":
        return (f"tap **{d.name}**, set by `{_span_text(doc, node.span)}`\n\n"
                + _sizes(doc, node.span))
    if d.kind == "let":
        return f"```arch\n{_span_text(doc, node.span)}\n```"
    if d.kind == "argument":
        return f"argument **{d.name}** of a block" + (
            f" (default {_source(doc, node.default)})" if getattr(node, "default", None) else "")
    if d.kind == "index":
        return f"**{d.name}**: the copy number of this repeat (0, 1, ...)"
    return f"**{d.name}** ({d.kind})"


def _span_text(doc: Analysis, span: Span | None) -> str:
    """The first line of a span's source (from this document, else the file's text)."""
    if span is None:
        return ""
    if span.path == doc.display:
        text = doc.lines[span.line - 1] if span.line <= len(doc.lines) else ""
    else:
        from ..source import source_line

        text = source_line(span.path, span.line) or ""
    end = span.end_col if span.end_line == span.line and span.end_col else len(text) + 1
    return text[span.col - 1:end - 1].strip()


# -- decisions -----------------------------------------------------------------------------
def _decisions_at(doc: Analysis, line: int, col: int) -> list[Any]:
    """Decisions of inline searched values (in the network or the settings) under the
    cursor (the innermost span)."""
    hits = [d for d in doc.decisions if d.source in ("inline", "train", "search")
            and contains(d.span, line, col, doc.display)]
    if not hits:
        return []
    best = min(span_size(d.span) for d in hits)
    return [d for d in hits if span_size(d.span) == best]


def _decision_text(found: list[Any]) -> str:
    from ..cli.show import _fmt_value

    rows = ["| decision | domain | default | active when |", "|---|---|---|---|"]
    for d in found[:MAX_DECISIONS]:
        rows.append(f"| `{d.path}` | {_cell(d.domain_str())} ({d.kind}) | "
                    f"{_cell(_fmt_value(d.default))} | {_cell(d.when_str())} |")
    more = f"\n\n... and {len(found) - MAX_DECISIONS} more" if len(found) > MAX_DECISIONS else ""
    return "\n".join(rows) + more


def _cell(text: str) -> str:
    text = text.replace("|", "\\|")
    return text if len(text) <= 200 else text[:199] + "…"


# -- sizes ---------------------------------------------------------------------------------
def _sizes(doc: Analysis, span: Span | None) -> str:
    if span is None or not doc.valid:
        return ""
    key = span_key(span)
    rows = []
    titles = {"default": "default", "smallest": "smallest model", "largest": "largest model"}
    ready = doc.sizes_if_ready(SIZES_WAIT_S)
    if ready is None:
        return "*(the sizes are being computed: hover again in a moment)*"
    for name, sizes in ready.items():
        if sizes is None:
            rows.append(f"| {titles[name]} | does not build | | |")
            continue
        visits = sizes.visits.get(key)
        total = f" ({sizes.graph.params:,} in all)" if name != "default" else ""
        if not visits:
            rows.append(f"| {titles[name]}{total} | not built | | |")
            continue
        rows.append(f"| {titles[name]}{total} | {_shapes(visits)} | "
                    f"{sum(v.params for v in visits):,} | {sum(v.macs for v in visits):,} |")
    if not rows:
        return ""
    return "\n".join(["| configuration | output shape | params | MACs |", "|---|---|---|---|"]
                     + rows)


def _shapes(visits: list[Visit]) -> str:
    shapes = [fmt(v.shape) if v.shape is not None else "-" for v in visits]
    text = ", ".join(shapes[:MAX_VISITS]) + (", …" if len(shapes) > MAX_VISITS else "")
    return text if len(visits) == 1 else f"{text} ({len(visits)} passes)"
