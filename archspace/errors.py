"""One error family. Every error knows where it happened and renders like a compiler's:

    spaces/x.arch:12:5: error: unknown op 'conv2'
       12 |     conv2(16, 3x3)
          |     ^^^^^
      hint: did you mean 'conv'?
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .source import Span, source_line

#: widest excerpt line shown (a longer line is cut to a window around the caret)
EXCERPT_WIDTH = 120
#: most errors one render shows (then "... and K more")
MAX_SHOWN_ERRORS = 50

# C0 and C1 control characters (but tab and newline), DEL, and the bidirectional overrides
# that make text display differently from what it is ("Trojan source")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069]")


def sanitize(text: str, keep_newlines: bool = True) -> str:
    """User text made safe for a terminal or a log: control characters (ESC of an escape
    sequence, BEL, CR, bidi overrides...) are shown as escapes such as \\x1b, never sent raw."""
    out = _CONTROL.sub(_visible, text)
    return out if keep_newlines else out.replace("\n", "\\n").replace("\t", "\\t")


def _visible(m: "re.Match[str]") -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def excerpt(span: Span | None) -> list[str]:
    """The source line of a span and a caret under it (nothing when the text is unknown).
    Control characters are shown escaped; a long line is cut to EXCERPT_WIDTH characters
    around the caret, with '…' where text was left out."""
    if span is None:
        return []
    text = source_line(span.path, span.line)
    if text is None:
        return []
    gutter = f"{span.line:>5} | "
    text = text.rstrip()
    end = span.end_col if span.end_line == span.line and span.end_col else span.col + 1
    head = text[: max(0, span.col - 1)]
    under = text[max(0, span.col - 1): max(0, end - 1)]
    # display cells: a tab is shown as 4 spaces, a control character as its escape
    start = len(_shown(head))
    shown = _shown(text)
    width = min(max(1, len(_shown(under))), max(1, len(shown) - start))
    if len(shown) > EXCERPT_WIDTH:
        lo = max(0, min(start - EXCERPT_WIDTH // 3, len(shown) - EXCERPT_WIDTH))
        hi = lo + EXCERPT_WIDTH
        window = shown[lo:hi]
        caret_at = start - lo
        if lo > 0:
            window, caret_at = "…" + window, caret_at + 1
        if hi < len(shown):
            window += "…"
        width = min(width, max(1, hi - start))
        shown, start = window, caret_at
    return [gutter + shown, " " * (len(gutter) - 2) + "| " + " " * start + "^" * width]


def _shown(text: str) -> str:
    return sanitize(text).replace("\t", "    ")


class ArchError(Exception):
    """Base of every error archspace reports to a user."""

    kind = "error"
    code = "AS000"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    def __str__(self) -> str:
        return self.render()

    @property
    def errors(self) -> list["ArchError"]:
        return [self]

    def render(self) -> str:
        where = f"{sanitize(str(self.span), False)}: " if self.span else ""
        out = [f"{where}{self.kind}: {sanitize(self.message, False)}"]
        out.extend(excerpt(self.span))
        if self.hint:
            out.append(f"  hint: {sanitize(self.hint, False)}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "code": self.code, "message": self.message}
        if self.span:
            d.update(path=self.span.path, line=self.span.line, col=self.span.col,
                     end_line=self.span.end_line, end_col=self.span.end_col)
        if self.hint:
            d["hint"] = self.hint
        return d


class ArchArgumentError(ArchError, TypeError):
    """A Python API function called with an argument of the wrong type (a str where a Space
    is expected, bytes for source text...). Both an ArchError and a TypeError."""

    kind = "argument error"
    code = "AS000"


class ArchSyntaxError(ArchError):
    kind = "syntax error"
    code = "AS001"


class ArchNameError(ArchError):
    kind = "name error"
    code = "AS002"


class ArchTypeError(ArchError):
    """Wrong type, wrong arity, value out of range."""

    kind = "type error"
    code = "AS003"


class ArchImportError(ArchError):
    kind = "import error"
    code = "AS004"


class ArchShapeError(ArchError):
    kind = "shape error"
    code = "AS005"


class ConfigError(ArchError):
    """A configuration does not fit its space (unknown path, value outside domain, inactive)."""

    kind = "config error"
    code = "AS006"


class ArchErrors(ArchError):
    """Several errors found in one pass; renders them all, in source order."""

    def __init__(self, errors: Iterable[ArchError]):
        flat: list[ArchError] = []
        for e in errors:
            flat.extend(e.errors)
        flat.sort(key=lambda e: (e.span.path, e.span.line, e.span.col) if e.span else ("", 0, 0))
        self._errors = flat
        first = flat[0]
        super().__init__(first.message, first.span, first.hint)
        self.kind = first.kind
        self.code = first.code

    @property
    def errors(self) -> list[ArchError]:
        return list(self._errors)

    def render(self) -> str:
        n = len(self._errors)
        body = "\n\n".join(e.render() for e in self._errors[:MAX_SHOWN_ERRORS])
        if n > MAX_SHOWN_ERRORS:
            body += f"\n\n... and {n - MAX_SHOWN_ERRORS} more"
        return body + (f"\n\n{n} errors" if n > 1 else "")

    def to_dict(self) -> dict[str, Any]:
        return {"errors": [e.to_dict() for e in self._errors]}


class ErrorSink:
    """Collects errors during a pass so that one run reports all of them."""

    def __init__(self) -> None:
        self.items: list[ArchError] = []
        self._seen: set[tuple] = set()  # kept, not rebuilt per add: 20,000 errors stay linear

    def add(self, error: ArchError) -> None:
        # two passes may find the same fault (the transformer, then the decision walk)
        for e in error.errors:
            key = (e.message, e.span)
            if key not in self._seen:
                self._seen.add(key)
                self.items.append(e)

    def raise_if_any(self) -> None:
        if self.items:
            raise ArchErrors(self.items) if len(self.items) > 1 else self.items[0]
