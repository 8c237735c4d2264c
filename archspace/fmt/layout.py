"""Lay out a token stream: the line breaks the author chose (blank lines collapsed to one),
indentation from the brackets, one spacing rule per pair of neighbouring tokens.

The rules look at tokens and brackets only, never at grammar rules, so a new construct is laid
out without a change here:
  - a line inside brackets is indented one step past the line that opened the innermost one;
    a line that starts with a closing bracket lines up with that opening line;
  - a line that starts with '|' (the next branch of a choice or parallel) hangs the bar one
    step out, so that the branch's statements line up;
  - a line inside braces (or at the top) that does not begin a statement continues the one
    above: one step deeper (the parse tree says where statements begin);
  - a line that ends with a branch label `name:` inside braces indents what follows one step
    more, up to the next '|' or the closing brace;
  - an own-line comment is indented as a statement at its place; trailing comments on
    consecutive lines are aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tokens import Item, call_keywords

INDENT = "  "
#: spaces between code and a trailing comment (at least)
COMMENT_GAP = 2

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_VALUE_END = {"NAME", "INT", "FLOAT", "STRING", "DIMS", "TRUE", "FALSE"}


@dataclass
class _Open:
    char: str
    indent: int        # indent of the line that opened it
    hang: bool = False  # a branch label ended a line: what follows is one step deeper


def _space(prev: Item, cur: Item, inner: str | None) -> str:
    """The text between two tokens on one line; `inner` is the innermost open bracket."""
    p, c = prev.text, cur.text
    if p in ("(", "[", "@") or (prev.unary and p == "-"):
        return ""
    if c in (")", "]", ",", ";", ":"):
        return ""
    if p == "{" and c == "}":
        return ""
    if p in (",", ";", ":"):
        return " "
    if p in (".", "..") or c in (".", ".."):
        return ""
    if c == "=" or p == "=":
        return "" if inner in ("(", "[") else " "
    if c == "(":
        if prev.type == "NAME" or (prev.word and p in call_keywords()):
            return ""
        return " "
    if c == "[":
        return "" if prev.type == "NAME" or p in (")", "]") else " "
    return " "


def _lines(seq: list[Item]) -> list[tuple[int, list[Item]]]:
    """(blank lines before, items) per output line."""
    out: list[tuple[int, list[Item]]] = []
    for it in seq:
        if it.type == "$END":
            break
        if not out or it.breaks:
            out.append((1 if it.breaks > 1 and out else 0, []))
        out[-1][1].append(it)
    return out


def layout(seq: list[Item], starts: set[int]) -> str:
    """The text of `seq`; `starts` holds the offsets where statements begin (a line inside
    braces that begins elsewhere continues a statement: one step deeper)."""
    stack: list[_Open] = []
    rendered: list[tuple[int, str, str | None]] = []  # (blank lines before, code, comment)
    prev_last: Item | None = None
    for blank, line in _lines(seq):
        first = line[0]
        if prev_last is not None and prev_last.text in _OPEN:
            blank = 0
        if first.text in _CLOSE:
            blank = 0
        top = stack[-1] if stack else None
        if first.text == "|" and top is not None:
            top.hang = False
        inner_indent = (top.indent + 1 + top.hang) if top else 0
        if first.text in _CLOSE and top is not None:
            indent = top.indent
        elif first.text == "|" and top is not None:
            indent = top.indent
        else:
            indent = inner_indent
            if (first.pos >= 0 and first.pos not in starts
                    and (top is None or top.char == "{")):
                indent += 1
        # what brackets opened on this line count from: a '|' line's content is one step in
        opener_indent = indent + 1 if first.text == "|" else indent

        code: list[str] = []
        comment = None
        prev: Item | None = None
        for it in line:
            if it.type == "COMMENT":
                if prev is None:
                    code.append(it.text)  # an own-line comment
                else:
                    comment = it.text
                continue
            if prev is not None:
                code.append(_space(prev, it, stack[-1].char if stack else None))
            code.append(it.text)
            if it.text in _OPEN:
                stack.append(_Open(it.text, opener_indent))
            elif it.text in _CLOSE and stack:
                stack.pop()
            prev = it
        if prev is not None:
            prev_last = prev
            if prev.text == ":" and stack and stack[-1].char == "{":
                stack[-1].hang = True
        text = "".join(code)
        rendered.append((blank, INDENT * indent + text if text else "", comment))
    return _join(rendered)


def _join(rendered: list[tuple[int, str, str | None]]) -> str:
    """The lines, trailing comments of consecutive lines aligned one column past the longest
    code among them."""
    out: list[str] = []
    i = 0
    while i < len(rendered):
        j = i
        if rendered[i][2] is not None:
            while (j + 1 < len(rendered) and rendered[j + 1][2] is not None
                   and rendered[j + 1][0] == 0):
                j += 1
            column = max(len(rendered[k][1]) for k in range(i, j + 1)) + COMMENT_GAP
        for k in range(i, j + 1):
            blank, code, comment = rendered[k]
            out.extend([""] * blank)
            out.append(code.ljust(column) + comment if comment is not None else code)
        i = j + 1
    return "\n".join(out) + "\n" if out else ""
