"""Between source spans (1-based lines, code-point columns, end exclusive, as Lark reports
them) and LSP positions (0-based lines, UTF-16 columns); the word under the cursor."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as T

from ..source import Span

_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def lines_of(text: str) -> list[str]:
    # as the parser counts lines: only '\n' ends one
    return text.split("\n")


def utf16_col(line: str, col: int) -> int:
    """UTF-16 offset of code-point column `col` (0-based) of `line`."""
    head = line[:col]
    return len(head) + sum(1 for c in head if ord(c) > 0xFFFF)


def char_col(line: str, col16: int) -> int:
    """Code-point column (0-based) of UTF-16 offset `col16` of `line`."""
    units = 0
    for i, c in enumerate(line):
        if units >= col16:
            return i
        units += 2 if ord(c) > 0xFFFF else 1
    return len(line)


def to_range(span: Span | None, lines: list[str]) -> T.Range:
    """The LSP range of a span of this text (the first character when it has no end)."""
    if span is None:
        return T.Range(T.Position(0, 0), T.Position(0, 0))

    def pos(line: int, col: int) -> T.Position:
        i = min(max(line - 1, 0), max(len(lines) - 1, 0))
        text = lines[i] if lines else ""
        return T.Position(i, utf16_col(text, max(col - 1, 0)))

    start = pos(span.line, span.col)
    if span.end_line is None or span.end_col is None:
        end = pos(span.line, span.col + 1)
    else:
        end = pos(span.end_line, span.end_col)
    return T.Range(start, end)


def to_line_col(pos: T.Position, lines: list[str]) -> tuple[int, int]:
    """1-based (line, code-point column) of an LSP position."""
    text = lines[pos.line] if 0 <= pos.line < len(lines) else ""
    return pos.line + 1, char_col(text, pos.character) + 1


def contains(span: Span | None, line: int, col: int, path: str) -> bool:
    if span is None or span.path != path or span.end_line is None or span.end_col is None:
        return False
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def span_size(span: Span) -> tuple[int, int]:
    return ((span.end_line or span.line) - span.line,
            (span.end_col or span.col) - span.col)


def word_at(lines: list[str], line: int, col: int) -> tuple[str, int, int] | None:
    """(word, start col, end col) of the identifier under 1-based (line, col); a cursor just
    after a word counts as on it (as editors place it after typing)."""
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    for m in _WORD.finditer(text):
        if m.start() + 1 <= col <= m.end() + 1:
            return m.group(), m.start() + 1, m.end() + 1
    return None


def uri_to_path(uri: str) -> str:
    """The file of a file: URI; other schemes (an unsaved buffer) get a name in the current
    folder, so imports resolve from there."""
    u = urlparse(uri)
    if u.scheme == "file":
        path = unquote(u.path)
        if os.name == "nt" and re.match(r"^/[A-Za-z]:", path):
            path = path[1:]
        return path
    return os.path.join(os.getcwd(), os.path.basename(unquote(u.path)) or "untitled.arch")


def path_to_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()
