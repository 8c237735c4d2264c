"""Completion: inside a call's parentheses, the argument names of that op or block (and the
symbols a flag argument takes); elsewhere ops, blocks and statement keywords; everywhere the
names in scope at the cursor (params, lets, taps, inputs, block arguments, repeat indices)."""

from __future__ import annotations

import re

from lsprotocol import types as T

from ..blocks import MERGES, REGISTRY
from ..ir.nodes import STATEMENT_KEYWORDS
from ..ir.settings import SEARCH_KEYS, TRAIN_KEYS
from .document import Analysis
from .positions import to_line_col

#: words that start a top-level item of a file
TOP_KEYWORDS = ("space", "import", "input", "output", "task", "param", "block", "network",
                "train", "search")
#: the inline searched values an expression may hold
PARAM_KINDS = ("choice", "int", "float", "bool", "fixed")
#: characters looked back over to find the call the cursor is in
LOOK_BACK = 4000
#: the keys each settings section takes
SETTINGS = {"train": TRAIN_KEYS, "search": SEARCH_KEYS}

_NAME_KIND = {"param": T.CompletionItemKind.Variable, "let": T.CompletionItemKind.Variable,
              "tap": T.CompletionItemKind.Reference, "input": T.CompletionItemKind.Field,
              "output": T.CompletionItemKind.Constant, "argument": T.CompletionItemKind.Variable,
              "index": T.CompletionItemKind.Variable, "position": T.CompletionItemKind.Reference}


def completion(doc: Analysis, outline_doc: Analysis | None,
               pos: T.Position) -> T.CompletionList:
    """Items at `pos`; `outline_doc` is the latest version that loaded (names in scope come
    from it while the text being typed does not parse)."""
    line, col = to_line_col(pos, doc.lines)
    before = _text_before(doc, line, col)
    callee = enclosing_call(before)
    items: list[T.CompletionItem] = []
    src = outline_doc if outline_doc is not None and outline_doc.outline else None
    section = enclosing_section(before)
    if section in SETTINGS and callee is None:
        keys = SETTINGS[section]
        return T.CompletionList(is_incomplete=False, items=[
            T.CompletionItem(label=k, kind=T.CompletionItemKind.Property,
                             detail=f"{section} setting (default {_plain(dflt)})",
                             documentation=meaning)
            for k, (dflt, meaning) in keys.items()])
    if callee is not None and re.search(r"[(,]\s*[A-Za-z_0-9]*$", before):
        items += _arguments(callee, src)
    elif callee is None:
        items += _callables(src)
        items += [T.CompletionItem(label=k, kind=T.CompletionItemKind.Keyword)
                  for k in sorted(STATEMENT_KEYWORDS | set(TOP_KEYWORDS))]
    if callee is not None:
        items += [T.CompletionItem(label=k, kind=T.CompletionItemKind.Keyword,
                                   detail="searched value") for k in PARAM_KINDS]
    if re.search(r"\bmerge\s+[A-Za-z_]*$", before):
        items += _merges()
    if src is not None:
        seen = set()
        for d in src.outline.visible(line, col):
            if d.kind == "block" or d.name in seen or _later(d, src, line, col):
                continue
            seen.add(d.name)
            items.append(T.CompletionItem(label=d.name, kind=_NAME_KIND.get(d.kind),
                                          detail=d.kind))
    return T.CompletionList(is_incomplete=False, items=_unique(items))


def _text_before(doc: Analysis, line: int, col: int) -> str:
    head = "\n".join(doc.lines[max(0, line - 200):line - 1])
    cur = doc.lines[line - 1][:col - 1] if line <= len(doc.lines) else ""
    text = (head + "\n" + cur) if head else cur
    return text[-LOOK_BACK:]


def enclosing_call(before: str) -> str | None:
    """The name before the innermost '(' still open at the end of `before` (comments and
    strings skipped); None outside parentheses."""
    depth, i = 0, len(before) - 1
    text = re.sub(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"', lambda m: " " * len(m.group()), before)
    while i >= 0:
        c = text[i]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                m = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*$", text[:i])
                return m.group(1) if m else ""
            depth -= 1
        elif c in "{}":
            return None
        i -= 1
    return None


def enclosing_section(before: str) -> str | None:
    """The word before the innermost '{' still open at the end of `before`."""
    text = re.sub(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"', lambda m: " " * len(m.group()), before)
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == "}":
            depth += 1
        elif text[i] == "{":
            if depth == 0:
                m = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*$", text[:i])
                return m.group(1) if m else None
            depth -= 1
    return None


def _plain(value: object) -> str:
    return "none" if value is None else str(value)


def _arguments(callee: str, src: Analysis | None) -> list[T.CompletionItem]:
    from ..cli.ops_cmd import _default

    items = []
    block = src.space.block(callee) if src is not None and src.space is not None else None
    if block is not None:
        for f in block.params:
            items.append(T.CompletionItem(label=f.name + "=", kind=T.CompletionItemKind.Property,
                                          detail=f"argument of block {callee}"))
    elif callee in REGISTRY:
        for a in REGISTRY[callee].signature:
            items.append(T.CompletionItem(label=a.name + "=", kind=T.CompletionItemKind.Property,
                                          detail=f"{a.type}; {_default(a)}",
                                          documentation=a.doc or None))
            if a.flag and a.choices:
                items += [T.CompletionItem(label=c, kind=T.CompletionItemKind.EnumMember,
                                           detail=f"{a.name} of {callee}")
                          for c in sorted(a.choices)]
    return items


def _callables(src: Analysis | None) -> list[T.CompletionItem]:
    from ..cli.ops_cmd import _default

    items = [T.CompletionItem(label=n, kind=T.CompletionItemKind.Function,
                              detail="(" + ", ".join(_default(a) for a in op.signature) + ")",
                              documentation=op.doc)
             for n, op in sorted(REGISTRY.items())]
    if src is not None and src.space is not None:
        for b in src.space.blocks:
            items.append(T.CompletionItem(
                label=b.name, kind=T.CompletionItemKind.Class,
                detail="block(" + ", ".join(f.name for f in b.params) + ")"))
    return items


def _merges() -> list[T.CompletionItem]:
    return [T.CompletionItem(label=n, kind=T.CompletionItemKind.EnumMember, detail="merge",
                             documentation=m.doc) for n, m in MERGES.items()]


def _unique(items: list[T.CompletionItem]) -> list[T.CompletionItem]:
    seen, out = set(), []
    for it in items:
        if it.label not in seen:
            seen.add(it.label)
            out.append(it)
    return out


def _later(d: object, src: Analysis, line: int, col: int) -> bool:
    """A let, param or tap defined after the cursor (not yet usable there)."""
    span = d.span  # type: ignore[attr-defined]
    return (d.kind in ("let", "param", "tap", "position")  # type: ignore[attr-defined]
            and span.path == src.display and (span.line, span.col) > (line, col))
