"""Text -> Lark parse tree. Syntax errors become ArchSyntaxError with a friendly expectation."""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import ArchErrors, ArchSyntaxError
from .source import Span, remember_source

MAX_SYNTAX_ERRORS = 10

# What the user should read instead of a terminal's name.
_LABELS = {
    "NAME": "a name", "INT": "an integer", "FLOAT": "a number", "STRING": "a string",
    "DIMS": "a size like 3x3", "COMP_OP": "a comparison", "ADD_OP": "'+'", "MINUS": "'-'",
    "MUL_OP": "'*' or '/'", "OBJECTIVE_DIR": "'maximize' or 'minimize'", "TRUE": "'true'",
    "FALSE": "'false'", "SHARED": "'shared'", "PROJECT": "'project'", "$END": "end of file",
}


def grammar_path() -> Path:
    """The grammar ships inside the wheel as archspace/grammar/; an editable install or a
    source checkout finds it at the repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / "archspace.lark",
                      here.parent / "grammar" / "archspace.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("archspace.lark not found beside the package or at the repo root")


@lru_cache(maxsize=1)
def get_parser() -> Lark:
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr",
                propagate_positions=True, maybe_placeholders=True, cache=True)


def _label(parser: Lark, terminal: str) -> str:
    if terminal in _LABELS:
        return _LABELS[terminal]
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return terminal
    if pattern.type == "str":
        return f"'{pattern.value}'"
    return terminal.lower()


def _keywords(parser: Lark, expected: set[str]) -> list[str]:
    out = []
    for t in expected:
        try:
            pattern = parser.get_terminal(t).pattern
        except KeyError:
            continue
        if pattern.type == "str" and pattern.value.isalpha():
            out.append(pattern.value)
    return out


def _to_error(parser: Lark, e: UnexpectedInput, path: str) -> ArchSyntaxError:
    line, col = max(e.line, 1), max(e.column, 1)
    if isinstance(e, UnexpectedCharacters):
        ch = e.char
        span = Span(path=path, line=line, col=col, end_line=line, end_col=col + 1)
        hint = None
        if ch == '"':
            hint = "strings must end on the same line"
        elif ch in "{}()[],=:|":
            hint = "check the brackets and separators before this point"
        return ArchSyntaxError(f"unexpected character {ch!r}", span, hint)
    expected = set(getattr(e, "expected", None) or getattr(e, "accepts", None) or ())
    labels = sorted({_label(parser, t) for t in expected})
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        span = Span(path=path, line=line, col=col, end_line=line, end_col=col + 1)
        if isinstance(e, UnexpectedToken):
            span = _token_span(e.token, path) or span
        message = "unexpected end of file"
    else:
        tok: Token = e.token  # type: ignore[attr-defined]
        span = _token_span(tok, path)
        message = f"unexpected {_describe(tok)}"
    hint = _hint(parser, e, expected, labels)
    return ArchSyntaxError(message, span, hint)


def _token_span(tok: Token, path: str) -> Span | None:
    if tok.line is None:
        return None
    return Span.from_token(tok, path)


def _describe(tok: Token) -> str:
    if tok.type in ("NAME",):
        return f"name '{tok}'"
    if tok.type in ("INT", "FLOAT", "DIMS"):
        return f"number {tok}"
    if tok.type == "STRING":
        return f"string {tok}"
    return f"'{tok}'"


def _hint(parser: Lark, e: UnexpectedInput, expected: set[str], labels: list[str]) -> str | None:
    tok = getattr(e, "token", None)
    if tok is not None and tok.type == "NAME":
        close = difflib.get_close_matches(str(tok), _keywords(parser, expected), n=1, cutoff=0.7)
        if close:
            return f"did you mean '{close[0]}'?"
    if not labels:
        return None
    if len(labels) == 1:
        return f"expected {labels[0]}"
    if len(labels) <= 6:
        return "expected " + ", ".join(labels[:-1]) + " or " + labels[-1]
    return "expected one of " + ", ".join(labels[:6]) + ", ..."


def parse_tree(text: str, path: str = "<string>") -> Tree:
    """Parse text into a Lark tree, reporting every syntax error it can recover from."""
    remember_source(path, text)
    parser = get_parser()
    errors: list[ArchSyntaxError] = []

    def on_error(e: UnexpectedInput) -> bool:
        err = _to_error(parser, e, path)
        # after the first error, report only errors on later lines: recovery cascades otherwise
        if not errors or (err.span and errors[-1].span and err.span.line > errors[-1].span.line):
            errors.append(err)
        return len(errors) < MAX_SYNTAX_ERRORS

    try:
        tree = parser.parse(text, on_error=on_error)
    except UnexpectedInput as e:
        err = _to_error(parser, e, path)
        if not errors or (err.span and errors[-1].span and err.span.line > errors[-1].span.line):
            errors.append(err)
        tree = None
    except RecursionError:
        errors.append(ArchSyntaxError("input is nested too deeply", Span(path=path, line=1, col=1)))
        tree = None
    if errors:
        raise ArchErrors(errors) if len(errors) > 1 else errors[0]
    assert tree is not None
    return tree
