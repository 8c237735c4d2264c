"""Hypothesis: generated spaces (random statements, nesting, comments and whitespace) and
re-spaced shipped spaces format to a fixed point with the same tokens and the same IR; spacing
and indentation alone never change the result (only line breaks and comments are the
author's)."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from archspace.errors import ArchError, ErrorSink
from archspace.fmt import format_source
from archspace.fmt.tokens import items
from archspace.parser import parse_tree
from archspace.transformer import to_ir

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "spaces").rglob("*.arch"))
           + sorted((ROOT / "tests" / "fixtures" / "valid").glob("*.arch"))]
SETTINGS = settings(max_examples=150, deadline=timedelta(seconds=5), print_blob=True)

NAMES = ["x", "k", "f", "conv", "dense", "relu", "add", "concat", "width", "a", "b"]


# -- a grammar-shaped generator: lists of tokens, joined with random gaps ---------------------
@st.composite
def expr(draw, depth: int = 0) -> list[str]:
    kinds = ["int", "name", "dims", "float", "attr", "str"]
    if depth < 2:
        kinds += ["binop", "neg", "paren", "choice", "list", "call"]
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return [str(draw(st.integers(0, 64)))]
    if kind == "name":
        return [draw(st.sampled_from(NAMES))]
    if kind == "dims":
        return [draw(st.sampled_from(["3x3", "1x1", "32x32x3"]))]
    if kind == "float":
        return [draw(st.sampled_from(["0.5", "1e-3", "2.5E+2"]))]
    if kind == "attr":
        return [draw(st.sampled_from(["in", "image"])), ".", "channels"]
    if kind == "str":
        return ['"s t"']
    if kind == "binop":
        op = draw(st.sampled_from(["+", "-", "*", "//", "%", "<=", "=="]))
        return draw(expr(depth + 1)) + [op] + draw(expr(depth + 1))
    if kind == "neg":
        return ["-"] + draw(expr(depth + 1))
    if kind == "paren":
        return ["("] + draw(expr(depth + 1)) + [")"]
    if kind == "choice":
        return ["choice", "("] + _commas([draw(expr(depth + 1)) for _ in range(2)]) + [")"]
    if kind == "list":
        return ["["] + _commas([draw(expr(depth + 1)) for _ in range(draw(st.integers(0, 3)))]) \
            + ["]"]
    return [draw(st.sampled_from(NAMES)), "("] + draw(args(depth + 1)) + [")"]


def _commas(parts: list[list[str]]) -> list[str]:
    out: list[str] = []
    for i, p in enumerate(parts):
        out += ([","] if i else []) + p
    return out


@st.composite
def args(draw, depth: int = 0) -> list[str]:
    parts = [draw(expr(depth)) for _ in range(draw(st.integers(0, 3)))]
    parts += [[draw(st.sampled_from(["stride", "padding"])), "="] + draw(expr(depth))
              for _ in range(draw(st.integers(0, 1)))]
    return _commas(parts)


@st.composite
def call(draw) -> list[str]:
    out = [draw(st.sampled_from(NAMES))]
    if draw(st.booleans()):
        out += ["("] + draw(args()) + [")"]
    if draw(st.booleans()):
        out += ["as", draw(st.sampled_from(["c", "t"]))]
        if draw(st.booleans()):
            out += ["[", "k", "]"]
    return out


@st.composite
def stmts(draw, depth: int = 0) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(0 if depth else 1, 3))):
        out += draw(stmt(depth))
    return out


@st.composite
def stmt(draw, depth: int) -> list[str]:
    kinds = ["call", "call", "let", "param", "position", "merge"]
    if depth < 3:
        kinds += ["optional", "repeat", "choice", "parallel", "skip"]
    kind = draw(st.sampled_from(kinds))
    if kind == "call":
        return draw(call())
    if kind == "let":
        return ["let", "v", "="] + draw(expr())
    if kind == "param":
        return (["shared"] if draw(st.booleans()) else []) + ["param", "p", "=", "choice", "(",
                                                              "1", ",", "2", ")", "default", "1"]
    if kind == "position":
        return ["@", "here"]
    if kind == "merge":
        return ["merge", "add", "with", "c"]
    body = ["{"] + draw(stmts(depth + 1)) + ["}"]
    if kind == "optional":
        return ["optional"] + (["default", "true"] if draw(st.booleans()) else []) + \
            (["o"] + body if draw(st.booleans()) else draw(call()))
    if kind == "repeat":
        return ["repeat", "r", "[", "i", "]", "in", "1", "..", "3", "default", "2"] + body
    if kind == "skip":
        return ["skip"] + body + ["as", "s"]
    branches = []
    for i in range(draw(st.integers(1, 3))):
        label = [f"b{i}", ":"] if kind == "choice" or draw(st.booleans()) else []
        branches.append(label + draw(stmts(depth + 1)))
    inner: list[str] = []
    for i, b in enumerate(branches):
        inner += (["|"] if i else []) + b
    head = ["choice", "c"] if kind == "choice" else ["parallel"]
    tail = ["merge", "concat"] if kind == "parallel" else []
    return head + ["{"] + inner + ["}"] + tail


@st.composite
def space(draw) -> list[str]:
    out = ["space", "gen", '"a generated space"', "input", "image", ":", "32x32x3",
           "output", "classes", ":", "10"]
    if draw(st.booleans()):
        out += ["block", "blk", "(", "f", ",", "k", "=", "3x3", ")", "{"] + draw(stmts(1)) + ["}"]
    out += ["network", "{"] + draw(stmts()) + ["}"]
    if draw(st.booleans()):
        out += ["train", "{", "epochs", "=", "1", "batch_size", "=", "8", "}"]
    return out


_GLUE = re.compile(r'[\w".]')
GAPS = [" ", " ", "  ", "\n", "\n    ", "\n\n\n", "\t", "", "", " # note\n", "\n# own line\n",
        ";", " ; "]


@st.composite
def rendered(draw) -> str:
    toks = draw(space())
    out = [toks[0]]
    for prev, tok in zip(toks, toks[1:]):
        gap = draw(st.sampled_from(GAPS))
        glued = (_GLUE.match(prev[-1]) and _GLUE.match(tok[0])) or \
            (prev[-1] in "+-*/%<>=!" and tok[0] in "+-*/%<>=!")
        if glued and gap in ("", ";"):
            gap = " "
        out += [gap, tok]
    return "".join(out) + "\n"


def tokens(text: str) -> list[tuple[str, str]]:
    return [(it.type, it.text) for it in items(text)][:-1]


def meaning(text: str):
    try:
        return to_ir(parse_tree(text, "<gen>"), "<gen>", ErrorSink())
    except ArchError as e:
        return e.message


def check(text: str) -> str:
    out = format_source(text)
    assert format_source(out) == out
    assert tokens(out) == tokens(text)
    assert meaning(out) == meaning(text)
    return out


@SETTINGS
@given(text=rendered())
def test_generated_spaces_format(text: str):
    check(text)


@st.composite
def respaced(draw) -> tuple[str, str]:
    """A shipped space with the spaces and tabs between its tokens redrawn (line breaks and
    comments kept)."""
    text = draw(st.sampled_from(SOURCES))
    rng = random.Random(draw(st.integers(0, 2**32)))
    out: list[str] = []
    prev = ""
    for it in items(text)[:-1]:
        if it.breaks:
            out.append("\n" * it.breaks + rng.choice(["", " ", "\t", "      "]))
        elif prev:
            glued = (_GLUE.match(prev[-1]) and _GLUE.match(it.text[0])) or \
                (prev[-1] in "+-*/%<>=!" and it.text[0] in "+-*/%<>=!")
            out.append(rng.choice([" ", "  ", "\t"] + ([] if glued else ["", ""])))
        out.append(it.text)
        prev = it.text
    return text, "".join(out) + "\n"


@settings(SETTINGS, max_examples=80)
@given(case=respaced())
def test_spacing_never_matters(case):
    original, shuffled = case
    assert check(shuffled) == format_source(original)
