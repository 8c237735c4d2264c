"""The token stream the formatter lays out: the parser's own tokens (the contextual lexer, so
exactly what the grammar reads) with the comments and ';' found between them, and how many
line breaks came before each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lark import Token, Tree

from ..parser import get_parser, grammar_path

# what may stand between two tokens: the grammar's ignored terminals (WS, COMMENT, SEMI)
_GAP = re.compile(r"(?P<comment>#[^\n]*)|(?P<semi>;)|(?P<nl>\n)|[ \t\f\r]+")


@dataclass
class Item:
    """One token of the source (or a comment, type COMMENT, or a ';', type SEMI)."""

    type: str
    text: str
    breaks: int = 0          # line breaks between the previous item and this one
    pos: int = -1            # offset in the source (-1: a comment or ';')
    unary: bool = False      # a '-' that negates (no space after it)

    @property
    def word(self) -> bool:
        return bool(_WORD.fullmatch(self.text))


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _gap_items(gap: str) -> list[Item]:
    """Comments and ';' in the text between two tokens, each with the breaks before it."""
    out: list[Item] = []
    breaks = 0
    pos = 0
    while pos < len(gap):
        m = _GAP.match(gap, pos)
        if m is None:  # only ignored text lies between tokens: the parser accepted it
            raise AssertionError(f"unexpected text between tokens: {gap[pos:pos + 20]!r}")
        if m.group("comment") is not None:
            out.append(Item("COMMENT", m.group().rstrip(), breaks))
            breaks = 0
        elif m.group("semi") is not None:
            out.append(Item("SEMI", ";", breaks))
            breaks = 0
        elif m.group("nl") is not None:
            breaks += 1
        pos = m.end()
    out.append(Item("", "", breaks))  # carries the breaks before the next token
    return out


def items(text: str) -> list[Item]:
    """Every token, comment and ';' of `text` (which parses) in order. The last item (type
    '$END', empty) carries the breaks after the last token."""
    ip = get_parser().parse_interactive(text)
    out: list[Item] = []
    pos = 0
    for tok in ip.iter_parse():
        if tok.type == "$END":
            break
        *between, rest = _gap_items(text[pos:tok.start_pos])
        out.extend(between)
        out.append(Item(tok.type, str(tok), rest.breaks, tok.start_pos))
        pos = tok.end_pos
    *between, rest = _gap_items(text[pos:])
    out.extend(between)
    out.append(Item("$END", "", rest.breaks))
    _mark_unary(out)
    return out


#: tokens after which a '-' subtracts (a value ends there); after anything else it negates
_VALUE_END = {"NAME", "INT", "FLOAT", "STRING", "DIMS", "TRUE", "FALSE"}


def _mark_unary(seq: list[Item]) -> None:
    prev: Item | None = None
    for it in seq:
        if it.type == "COMMENT":
            continue
        if it.text == "-":
            it.unary = not (prev is not None and (prev.type in _VALUE_END
                                                  or prev.text in (")", "]")))
        prev = it


@lru_cache(maxsize=1)
def _rules() -> dict[str, str]:
    """name -> definition text of every rule of the grammar (comments dropped)."""
    grammar = grammar_path().read_text(encoding="utf-8")
    rules: dict[str, str] = {}
    name = None
    for line in grammar.splitlines():
        line = re.sub(r"//.*", "", line)
        m = re.match(r"[?!]?([a-z_][a-z_0-9]*)\s*:(.*)", line)
        if m:
            name = m.group(1)
            rules[name] = m.group(2)
        elif name is not None and line[:1].isspace():
            rules[name] += " " + line
        else:
            name = None
    return rules


@lru_cache(maxsize=1)
def sequence_rules() -> frozenset[str]:
    """Rules that hold a list of statements (`body: "{" _stmt* "}"`, `start: _item*`): a
    rule name repeated with '*'. Read off the grammar, so a new one needs no change here."""
    return frozenset(name for name, body in _rules().items()
                     if re.search(r"(?<![\w)\]\"])_?[a-z][a-z_0-9]*\*", body))


def statement_starts(tree: Tree) -> set[int]:
    """Offsets where a statement (or a declaration, a setting, a branch) begins: a line that
    begins anywhere else inside braces continues the statement above it."""
    seqs = sequence_rules()
    starts: set[int] = set()
    for node in tree.iter_subtrees():
        if node.data not in seqs:
            continue
        if not node.meta.empty:
            starts.add(node.meta.start_pos)
        for child in node.children:
            if isinstance(child, Tree) and not child.meta.empty:
                starts.add(child.meta.start_pos)
            elif isinstance(child, Token):
                starts.add(child.start_pos)
    return starts


@lru_cache(maxsize=1)
def call_keywords() -> frozenset[str]:
    """Keywords written like a call, `int(...)`, `towers(...)`: read off the grammar (a rule
    or alternative that begins with a keyword followed by "("), so a new one needs no change
    here; a keyword inside a rule (`2 of (a, b)`) keeps its space."""
    grammar = grammar_path().read_text(encoding="utf-8")
    return frozenset(re.findall(r'(?m)^\s*(?:[?!]?[a-z_][a-z_0-9]*\s*:|\|)\s*"([A-Za-z_]+)"'
                                r'\s*\[?\s*"\("', grammar))
