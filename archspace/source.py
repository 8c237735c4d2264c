"""Source positions: where an IR node or an error comes from."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

# Text of every file parsed in this process, so an error can show its line without re-reading.
_SOURCES: dict[str, str] = {}


class Span(BaseModel):
    """A 1-based line/column range in one source file (end exclusive, as Lark reports it)."""

    model_config = ConfigDict(frozen=True)

    path: str = "<string>"
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None

    @classmethod
    def from_meta(cls, meta, path: str) -> "Span | None":
        if getattr(meta, "empty", True):
            return None
        return cls(path=path, line=meta.line, col=meta.column,
                   end_line=meta.end_line, end_col=meta.end_column)

    @classmethod
    def from_token(cls, token, path: str) -> "Span":
        return cls(path=path, line=token.line, col=token.column,
                   end_line=token.end_line, end_col=token.end_column)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


def remember_source(path: str, text: str) -> None:
    _SOURCES[path] = text


def source_line(path: str, line: int) -> str | None:
    text = _SOURCES.get(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        _SOURCES[path] = text
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else None
