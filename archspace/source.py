"""Source positions (where an IR node or an error comes from) and safe reading of source files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .cache import LRU

# Text of the files parsed last in this process, so an error can show its line without
# re-reading. Only text the loader accepted is here: excerpts never read other files from disk.
# Bounded (a long-lived process parses without end): an error about a file parsed more than
# MAX_SOURCES files ago is shown without its source line.
MAX_SOURCES = 256
_SOURCES: LRU[str] = LRU(MAX_SOURCES)
_LINES: LRU[list[str]] = LRU(MAX_SOURCES)

#: largest source file read: a space is a few KB; parsing 256 KB takes seconds already
MAX_FILE_BYTES = 256 * 1024
#: longest source line (the parser's time grows badly with very long lines)
MAX_LINE_CHARS = 10_000

# pseudo-file systems: their "regular" files report size 0 and hold process state
_PSEUDO_ROOTS = ("/proc", "/sys", "/dev")


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
    _LINES.pop(path, None)



def source_line(path: str, line: int) -> str | None:
    """Line `line` of a text the loader read (None for any other file)."""
    if path not in _SOURCES:
        return None
    lines = _LINES.get(path)
    if lines is None:
        # lines as the parser counts them: only '\n' ends one (not \f, \v, \x85, U+2028)
        lines = _LINES[path] = _SOURCES[path].split("\n")
    return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else None


class SourceReadError(Exception):
    """A file that is not a readable source: `message` names it; `line`/`col` where known."""

    def __init__(self, display: str, reason: str, hint: str | None = None,
                 line: int | None = None, col: int | None = None):
        message = reason if reason.startswith("no such file") else f"cannot read {display}: {reason}"
        super().__init__(message)
        self.message, self.hint, self.line, self.col = message, hint, line, col


def read_source(path: Path, display: str) -> str:
    """The text of a source file, refusing what is not one: directories, devices, FIFOs
    (opened without blocking), pseudo-files such as /proc/self/environ, files over
    MAX_FILE_BYTES, binary and non-UTF-8 files. A UTF-8 BOM is dropped."""
    real = os.path.realpath(path)
    if any(real == r or real.startswith(r + os.sep) for r in _PSEUDO_ROOTS):
        raise SourceReadError(display, "not a regular file (a system file)",
                              "a space is a .arch text file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise SourceReadError(display, f"no such file: {display}", "check the path") from None
    except IsADirectoryError:
        raise SourceReadError(display, "it is a directory",
                              "name a .arch file") from None
    except OSError as e:
        raise SourceReadError(display, str(e.strerror or e)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise SourceReadError(display, "it is a directory", "name a .arch file")
        if not stat.S_ISREG(st.st_mode):
            raise SourceReadError(display, "not a regular file (a device, pipe or socket)",
                                  "a space is a .arch text file")
        if st.st_size > MAX_FILE_BYTES:
            raise SourceReadError(display, f"too large ({st.st_size:,} bytes; at most "
                                  f"{MAX_FILE_BYTES:,})", "a space is a small text file", 1, 1)
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise SourceReadError(display, str(e.strerror or e)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise SourceReadError(display, f"too large (over {MAX_FILE_BYTES:,} bytes)",
                              "a space is a small text file", 1, 1)
    if st.st_size == 0 and data:  # a pseudo-file that reports no size
        raise SourceReadError(display, "not a regular file (a system file)",
                              "a space is a .arch text file")
    return decode_source(data, display)


def decode_source(data: bytes, display: str) -> str:
    """UTF-8 text of a file's bytes (BOM dropped), or a SourceReadError at the first bad byte."""
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = e.start if nul < 0 else min(nul, e.start)
        line, col = _position(data, bad)
        what = "a binary file" if nul >= 0 else "not UTF-8 text"
        raise SourceReadError(display, f"{what} (byte 0x{data[bad]:02x} at line {line}, "
                              f"column {col})", "save it as UTF-8 text", line, col) from None
    if nul >= 0:
        line, col = _position(data, nul)
        raise SourceReadError(display, f"a binary file (a NUL byte at line {line}, column "
                              f"{col})", "a space is a .arch text file", line, col)
    return text[1:] if text.startswith("\ufeff") else text


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, col
