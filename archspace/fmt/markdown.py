"""The ```arch examples of a Markdown page, formatted in place (```arch-fragment blocks are
pieces of a file and stay as written)."""

from __future__ import annotations

import re

from ..errors import ArchError, ArchErrors, ArchSyntaxError
from ..source import remember_source
from .api import FormatError, format_source

#: a fenced block: its language and its body (up to the closing fence)
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def arch_blocks(text: str) -> list[tuple[int, str]]:
    """(line of the first body line, body) of every ```arch block."""
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(2))
            for m in FENCE.finditer(text) if m.group(1) == "arch"]


def format_markdown(text: str, *, path: str = "<markdown>") -> str:
    """`text` with every ```arch block in the canonical layout. An error in a block is
    reported at its line in the page."""
    remember_source(path, text)
    out: list[str] = []
    pos = 0
    for m in FENCE.finditer(text):
        if m.group(1) != "arch":
            continue
        first_line = text.count("\n", 0, m.start(2)) + 1
        try:
            body = format_source(m.group(2), path=f"{path}@{first_line}")
        except FormatError:
            raise
        except ArchError as e:
            raise _in_page(e, path, first_line, text) from None
        out.append(text[pos:m.start(2)] + body)
        pos = m.end(2)
    out.append(text[pos:])
    return "".join(out)


def _in_page(error: ArchError, path: str, first_line: int, text: str) -> ArchError:
    """The errors of a block moved to their lines in the page (the excerpt shows the page)."""
    moved = []
    for e in error.errors:
        span = e.span
        if span is not None:
            span = span.model_copy(update={
                "path": path, "line": span.line + first_line - 1,
                "end_line": None if span.end_line is None else span.end_line + first_line - 1})
        moved.append(ArchSyntaxError(e.message, span, e.hint) if isinstance(e, ArchSyntaxError)
                     else type(e)(e.message, span, e.hint))
    remember_source(path, text)
    return ArchErrors(moved) if len(moved) > 1 else moved[0]
