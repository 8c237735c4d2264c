"""One error family. Every error knows where it happened and renders like a compiler's:

    spaces/x.arch:12:5: error: unknown op 'conv2'
       12 |     conv2(16, 3x3)
          |     ^^^^^
      hint: did you mean 'conv'?
"""

from __future__ import annotations

from typing import Any, Iterable

from .source import Span, source_line


def excerpt(span: Span | None) -> list[str]:
    """The source line of a span and a caret under it (nothing when the text is unknown)."""
    if span is None:
        return []
    text = source_line(span.path, span.line)
    if text is None:
        return []
    gutter = f"{span.line:>5} | "
    start = len(text[: span.col - 1].expandtabs(4))
    width = 1
    if span.end_line == span.line and span.end_col:
        width = max(1, span.end_col - span.col)
    width = min(width, max(1, len(text.rstrip()) - start))
    return [gutter + text.rstrip("\n").expandtabs(4),
            " " * (len(gutter) - 2) + "| " + " " * start + "^" * width]


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
        where = f"{self.span}: " if self.span else ""
        out = [f"{where}{self.kind}: {self.message}"]
        out.extend(excerpt(self.span))
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "code": self.code, "message": self.message}
        if self.span:
            d.update(path=self.span.path, line=self.span.line, col=self.span.col,
                     end_line=self.span.end_line, end_col=self.span.end_col)
        if self.hint:
            d["hint"] = self.hint
        return d


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
        body = "\n\n".join(e.render() for e in self._errors)
        n = len(self._errors)
        return body + (f"\n\n{n} errors" if n > 1 else "")

    def to_dict(self) -> dict[str, Any]:
        return {"errors": [e.to_dict() for e in self._errors]}


class ErrorSink:
    """Collects errors during a pass so that one run reports all of them."""

    def __init__(self) -> None:
        self.items: list[ArchError] = []

    def add(self, error: ArchError) -> None:
        # two passes may find the same fault (the transformer, then the decision walk)
        seen = {(e.message, e.span) for e in self.items}
        self.items.extend(e for e in error.errors if (e.message, e.span) not in seen)

    def raise_if_any(self) -> None:
        if self.items:
            raise ArchErrors(self.items) if len(self.items) > 1 else self.items[0]
