"""Text -> Lark parse tree. Syntax errors become ArchSyntaxError with a friendly expectation."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import ArchErrors, ArchSyntaxError
from .source import MAX_FILE_BYTES, MAX_LINE_CHARS, Span, remember_source

MAX_SYNTAX_ERRORS = 10
MAX_RESYNCS = 100
#: deepest nesting of brackets and braces (a real space nests fewer than 10)
MAX_NESTING = 64
#: deepest parse tree, chains like a + b + c counted as one level (every later stage recurses)
MAX_TREE_DEPTH = 200

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


def _to_error(parser: Lark, e: UnexpectedInput, path: str, text: str = "") -> ArchSyntaxError:
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
        opener = _unclosed(text)
        if opener is not None:
            ch, oline, ocol = opener
            closer = {"{": "}", "(": ")", "[": "]"}[ch]
            return ArchSyntaxError(message, span,
                                   f"the '{ch}' at line {oline}, column {ocol} is never closed: "
                                   f"add a '{closer}'")
    else:
        tok: Token = e.token  # type: ignore[attr-defined]
        span = _token_span(tok, path)
        message = f"unexpected {_describe(tok)}"
        label = _keyword_label(tok, text, path)
        if label is not None:
            return label
    hint = _hint(parser, e, expected, labels, text)
    return ArchSyntaxError(message, span, hint)


def _keyword_label(tok: Token, text: str, path: str) -> ArchSyntaxError | None:
    """`skip: identity` in a choice: the label is a statement keyword, read as the start of a
    statement, so the ':' comes unexpected. Say so at the keyword."""
    from .ir.nodes import STATEMENT_KEYWORDS

    if tok.type != "COLON" or not isinstance(tok.start_pos, int):
        return None
    m = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*$", text[: tok.start_pos])
    if m is None or m.group(1) not in STATEMENT_KEYWORDS:
        return None
    word, at = m.group(1), m.start(1)
    line = text.count("\n", 0, at) + 1
    col = at - text.rfind("\n", 0, at)
    return ArchSyntaxError(f"'{word}' is a keyword and cannot name a branch",
                           Span(path=path, line=line, col=col, end_line=line,
                                end_col=col + len(word)),
                           f"rename the branch, e.g. '{word}_:' ('{word}' starts a statement)")


def _unclosed(text: str) -> tuple[str, int, int] | None:
    """The innermost bracket left open at the end of `text` (strings and comments skipped)."""
    return _scan_brackets(text)[0]


def deepest_bracket(text: str) -> tuple[str, int, int] | None:
    """The first bracket opened at the greatest depth: where 'nested too deeply' points."""
    return _scan_brackets(text)[1]


# what the bracket scan looks at: comments and strings (skipped whole), brackets, newlines
_SCAN = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\[^\n])*"?|[{}()\[\]\n]')
_PAIRS = {"}": "{", ")": "(", "]": "["}


def _scan_brackets(text: str, limit: int | None = None
                   ) -> tuple[tuple[str, int, int] | None, tuple[str, int, int] | None]:
    """(innermost bracket left open, first bracket opened at the greatest depth); with `limit`,
    the second is the first bracket opened deeper than `limit` (None if there is none)."""
    stack: list[tuple[str, int, int]] = []
    deepest: tuple[str, int, int] | None = None
    depth, line, line_start = 0, 1, 0
    for m in _SCAN.finditer(text):
        ch = m.group()
        if ch == "\n":
            line, line_start = line + 1, m.end()
        elif ch in "{([":
            stack.append((ch, line, m.start() - line_start + 1))
            if len(stack) > depth and (limit is None or len(stack) > limit):
                depth, deepest = len(stack), stack[-1]
                if limit is not None:
                    break
        elif ch in _PAIRS and stack and stack[-1][0] == _PAIRS[ch]:
            stack.pop()
    return (stack[-1] if stack else None), deepest


def _token_span(tok: Token, path: str) -> Span | None:
    if tok.line is None:
        return None
    return Span.from_token(tok, path)


def _describe(tok: Token) -> str:
    if tok.type in ("NAME",):
        return f"name '{tok}'"
    if tok.type == "DIMS":
        return f"size {tok}"
    if tok.type in ("INT", "FLOAT"):
        return f"number {tok}"
    if tok.type == "STRING":
        return f"string {tok}"
    return f"'{tok}'"


_VALUE_TOKENS = ("NAME", "INT", "FLOAT", "DIMS", "STRING", "TRUE", "FALSE")
_SECTIONS = ("space", "import", "input", "output", "task", "block", "network", "train", "search")


def _hint(parser: Lark, e: UnexpectedInput, expected: set[str], labels: list[str],
          text: str = "") -> str | None:
    tok = getattr(e, "token", None)
    if tok is not None and tok.type == "NAME":
        close = difflib.get_close_matches(str(tok), _keywords(parser, expected), n=1, cutoff=0.7)
        if close:
            return f"did you mean '{close[0]}'?"
    before = text[: tok.start_pos] if tok is not None and isinstance(tok.start_pos, int) else ""
    if before:
        line_start = before.rfind("\n") + 1
        first = re.match(r"[ \t]*([A-Za-z_][A-Za-z_0-9]*)", before[line_start:])
        opener = _unclosed(before[:line_start])
        if first and first.group(1) in _SECTIONS and opener is not None and opener[0] == "{":
            # `network { ...` then `train {`: the section keyword was read as a statement
            return (f"the '{{' at line {opener[1]}, column {opener[2]} is not closed before "
                    f"'{first.group(1)}': add a '}}'")
        m = re.search(r"([A-Za-z_][A-Za-z_0-9]*)[ \t]*$", before)
        word = m.group(1) if m else None
        if word is not None:
            # `reapeat 1..2 { .. }`: a misspelt keyword parses as a call; the error comes after
            keywords = _keywords(parser, {t.name for t in parser.terminals})
            close = difflib.get_close_matches(word, keywords, n=1, cutoff=0.75)
            if close and word not in keywords:
                return f"did you mean '{close[0]}' instead of '{word}'?"
        opener = _unclosed(before)
        if ("RPAR" in expected and opener is not None and opener[0] == "("
                and opener[1] < tok.line):
            return (f"the '(' at line {opener[1]}, column {opener[2]} is not closed: add a ')'"
                    + (" (or a ',')" if "COMMA" in expected else ""))
    if tok is not None and "COMMA" in expected and tok.type in _VALUE_TOKENS:
        return "expected ',' or ')': is a ',' missing before this?" if "RPAR" in expected \
            else "is a ',' missing before this?"
    if not labels:
        return None
    if len(labels) == 1:
        return f"expected {labels[0]}"
    if len(labels) <= 6:
        return "expected " + ", ".join(labels[:-1]) + " or " + labels[-1]
    return "expected one of " + ", ".join(labels[:6]) + ", ..."


def too_deep(text: str, path: str, where: tuple[int, int] | None = None) -> ArchSyntaxError:
    """The error for input nested deeper than the limits (or than Python's recursion limit)."""
    if where is None:
        b = deepest_bracket(text)
        where = (b[1], b[2]) if b else (1, 1)
    return ArchSyntaxError("input is nested too deeply", Span(path=path, line=where[0],
                                                               col=where[1]),
                           f"at most {MAX_NESTING} levels of brackets and blocks: name inner "
                           "parts with `let` or a `block`")


def check_size(text: str, path: str, lines: bool = True) -> None:
    """Bounds that keep parsing fast: the whole text and (`lines`) every line."""
    if len(text) > MAX_FILE_BYTES:
        raise ArchSyntaxError(f"the source is too large ({len(text):,} characters; at most "
                              f"{MAX_FILE_BYTES:,})", Span(path=path, line=1, col=1),
                              "a space is a small text file")
    if not lines or len(text) <= MAX_LINE_CHARS:
        return
    start, line = 0, 1
    while True:
        end = text.find("\n", start)
        stop = len(text) if end < 0 else end
        if stop - start > MAX_LINE_CHARS:
            raise ArchSyntaxError(f"line {line} is too long ({stop - start:,} characters; at "
                                  f"most {MAX_LINE_CHARS:,})",
                                  Span(path=path, line=line, col=MAX_LINE_CHARS + 1),
                                  "split it over several lines")
        if end < 0:
            return
        start, line = end + 1, line + 1


def check_nesting(text: str, path: str) -> None:
    """Brackets and braces nested deeper than MAX_NESTING: an error at the first too deep."""
    deeper = _scan_brackets(text, MAX_NESTING)[1]
    if deeper is not None:
        raise too_deep(text, path, (deeper[1], deeper[2]))


_CHAINS = ("binop", "compare")


def check_tree_depth(tree: Tree, path: str, text: str) -> None:
    """A parse tree deeper than MAX_TREE_DEPTH (e.g. `- - - ... x`): an error where it gets too
    deep. A chain `a + b + ... + z` is flat: its left-nested operators count as one level."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            meta = node.meta
            where = (meta.line, meta.column) if not getattr(meta, "empty", True) else None
            raise too_deep(text, path, where)
        for i, child in enumerate(node.children):
            if isinstance(child, Tree):
                chain = i == 0 and node.data in _CHAINS and child.data in _CHAINS
                stack.append((child, depth if chain else depth + 1))


def _starts_line(e: UnexpectedInput, text: str) -> bool:
    tok = getattr(e, "token", None)
    if tok is None or tok.type == "$END" or not isinstance(tok.start_pos, int):
        return False
    return not text[text.rfind("\n", 0, tok.start_pos) + 1: tok.start_pos].strip()


def _resync(e: UnexpectedInput) -> bool:
    """Panic-mode recovery for a token that starts a line (likely a new statement): pop the
    parser's stack to the nearest statement-level state that takes it, and feed it there.
    Lark's own recovery only drops tokens, which can leave the parser stuck where it wants one
    missing token. The tree is discarded after any error: only the parser's progress matters."""
    tok, ip = getattr(e, "token", None), getattr(e, "interactive_parser", None)
    if tok is None or ip is None:
        return False
    ps = ip.parser_state
    states = ps.parse_conf.states
    for depth in range(len(ps.state_stack) - 1, 0, -1):
        actions = states[ps.state_stack[depth - 1]]
        # only where a statement or declaration may start: in a body or at the top level
        if tok.type not in actions or not ("RBRACE" in actions or "$END" in actions):
            continue
        trial = ps.copy(deepcopy_values=False)
        del trial.state_stack[depth:]
        del trial.value_stack[depth - 1:]
        try:
            trial.feed_token(tok)
        except Exception:  # noqa: BLE001 - an unexpected token deeper in: try further out
            continue
        ps.state_stack[:] = trial.state_stack
        ps.value_stack[:] = trial.value_stack
        return True
    return False


def _relabel(e: UnexpectedInput) -> bool:
    """After `skip:` (reported by _keyword_label), go on as if the keyword were a label name,
    so that the rest of the choice parses and reports its own errors, not a cascade."""
    from .ir.nodes import STATEMENT_KEYWORDS

    tok, ip = getattr(e, "token", None), getattr(e, "interactive_parser", None)
    if tok is None or ip is None or tok.type != "COLON":
        return False
    ps = ip.parser_state
    prev = ps.value_stack[-1] if ps.value_stack else None
    if not (isinstance(prev, Token) and str(prev) in STATEMENT_KEYWORDS):
        return False
    trial = ps.copy(deepcopy_values=False)
    trial.state_stack.pop()
    trial.value_stack.pop()
    try:
        trial.feed_token(Token.new_borrow_pos("NAME", str(prev), prev))
        trial.feed_token(tok)
    except Exception:  # noqa: BLE001 - not a label position after all
        return False
    ps.state_stack[:] = trial.state_stack
    ps.value_stack[:] = trial.value_stack
    return True


def _state_stack(e: UnexpectedInput) -> tuple | None:
    try:
        return tuple(e.interactive_parser.parser_state.state_stack)  # type: ignore[attr-defined]
    except AttributeError:
        return None


def parse_tree(text: str, path: str = "<string>") -> Tree:
    """Parse text into a Lark tree, reporting every syntax error it can recover from."""
    remember_source(path, text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate (only from Python): not text
        line = text.count("\n", 0, e.start) + 1
        col = e.start - text.rfind("\n", 0, e.start)
        raise ArchSyntaxError(f"invalid character {text[e.start]!r}",
                              Span(path=path, line=line, col=col)) from None
    check_size(text, path, lines=False)
    check_nesting(text, path)
    check_size(text, path)
    parser = get_parser()
    errors: list[ArchSyntaxError] = []
    last_stack: list = [None]
    tries = [0]

    def on_error(e: UnexpectedInput) -> bool:
        # Recovery drops the offending token and goes on. An error in the same parser state as
        # the previous one (nothing accepted in between) or on the same line is a cascade.
        stack = _state_stack(e)
        cascade = bool(errors) and stack is not None and stack == last_stack[0]
        last_stack[0] = stack
        later = bool(errors) and errors[-1].span is not None \
            and max(e.line, 1) > errors[-1].span.line
        if not errors or (later and not cascade):
            errors.append(_to_error(parser, e, path, text))
        if len(errors) >= MAX_SYNTAX_ERRORS:
            return False
        if _relabel(e):
            return True
        if tries[0] < MAX_RESYNCS and _starts_line(e, text):
            tries[0] += 1
            _resync(e)
        return True

    try:
        tree = parser.parse(text, on_error=on_error)
    except UnexpectedInput as e:
        err = _to_error(parser, e, path, text)
        stack = _state_stack(e)
        cascade = bool(errors) and stack is not None and stack == last_stack[0]
        if not errors or (not cascade and err.span and errors[-1].span
                          and err.span.line > errors[-1].span.line):
            errors.append(err)
        tree = None
    except RecursionError:
        errors.append(too_deep(text, path))
        tree = None
    if errors:
        raise ArchErrors(errors) if len(errors) > 1 else errors[0]
    assert tree is not None
    check_tree_depth(tree, path, text)
    return tree
