"""Robustness: whatever text `archspace.parse` is given, it either returns a Space or raises an
`ArchError` (rendered and structured without trouble) -- never another exception, never a hang.

Inputs: mutations of every shipped space and library (characters and tokens deleted, inserted,
swapped, lines duplicated or dropped, truncation), soups of the grammar's own terminals, and
plain random text. Hypothesis searches (a fresh random draw each run, about 3,300 examples in
all); a failure it finds is kept in its example database (.hypothesis/) and replayed first next
time, and it prints the `@reproduce_failure` blob to replay it anywhere.
"""

from __future__ import annotations

import re
import signal
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import archspace
from archspace.errors import ArchError
from archspace.ir import Space
from archspace.parser import get_parser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SPACES = ROOT / "spaces"


def shipped_spaces() -> list[Path]:
    """Every shipped template (spaces/*.arch; spaces/lib/ holds block libraries)."""
    return sorted(SPACES.glob("*.arch"))


def shipped_files() -> list[Path]:
    """Every shipped .arch file, templates and libraries."""
    return shipped_spaces() + sorted((SPACES / "lib").glob("*.arch"))


TIME_LIMIT_S = 5  # per example: far above the slowest parse (tens of ms); stops a hang
DEADLINE = timedelta(seconds=2)  # generous: a parse takes tens of ms, a loaded machine 10x that


def _common(n: int) -> settings:
    return settings(max_examples=n, deadline=DEADLINE, print_blob=True)


class Hang(Exception):
    pass


@contextmanager
def time_guard(seconds: int = TIME_LIMIT_S):
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - Windows: no guard
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"parse took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check_parse(text: str, path: str = "<fuzz>") -> None:
    """The property: parse returns a Space or raises an ArchError that renders."""
    try:
        with time_guard():
            space = archspace.parse(text, path)
    except ArchError as e:
        assert e.render()
        assert e.to_dict()
        for one in e.errors:
            assert one.message
            if one.span is not None:
                assert one.span.line >= 1 and one.span.col >= 1
        return
    assert isinstance(space, Space)
    assert Space.from_json(space.to_json()) == space


# -- inputs ----------------------------------------------------------------------------------
SOURCES = [(str(p), p.read_text()) for p in shipped_files()]


def _walk_steps(path: str) -> int:
    """How much work a parse of this file is: statements its decision walk visits."""
    from archspace.ir.decisions import Explorer

    ex = Explorer(archspace.parse_file(path))
    ex.run()
    return ex.steps


# the largest spaces walk hundreds of statements per parse: mutate them in a test of their own
BIG = [s for s in SOURCES if _walk_steps(s[0]) > 300]
SMALL = [s for s in SOURCES if s not in BIG] + [
    (str(p), p.read_text()) for p in sorted((FIXTURES / "valid").glob("*.arch"))]


def _terminals() -> list[str]:
    out = []
    for t in get_parser().terminals:
        if t.pattern.type == "str":
            out.append(t.pattern.value)
    return sorted(set(out))


TERMINALS = _terminals()
WORDS = TERMINALS + [
    "x", "k", "conv", "dense", "fire", "se", "relu", "add", "concat", "image", "classes",
    "1", "0", "-1", "16", "3x3", "32x32x3", "0.5", "1e-3", "1e999", "99999999999999999999",
    "0x0", "2.5E+2", '"s"', '"é"', r'"\x"', r'"\n\""', '"', "\\", "#", "\n", "  ", "{", "}",
    "in.channels", "g.count", "skip[i]", "@p"]
CHARS = st.characters()  # lone surrogates too: parse must reject them cleanly


@st.composite
def mutated(draw, sources):
    path, text = draw(st.sampled_from(sources))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["del", "ins_char", "ins_word", "swap", "truncate",
                                   "dup_line", "del_line", "replace_word", "swap_words"]))
        n = len(text)
        i = draw(st.integers(0, n))
        if op == "del":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        elif op == "ins_char":
            text = text[:i] + draw(CHARS) + text[i:]
        elif op == "ins_word":
            text = text[:i] + draw(st.sampled_from(WORDS)) + " " + text[i:]
        elif op == "swap" and n > 1:
            j = draw(st.integers(0, n - 1))
            a, b = sorted((min(i, n - 1), j))
            text = text[:a] + text[b] + text[a + 1:b] + text[a] + text[b + 1:]
        elif op == "truncate":
            text = text[:i]
        elif op in ("dup_line", "del_line"):
            lines = text.split("\n")
            k = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(k, lines[k])
            else:
                del lines[k]
            text = "\n".join(lines)
        else:
            parts = re.split(r"(\W)", text)
            k = draw(st.integers(0, len(parts) - 1))
            if op == "replace_word":
                parts[k] = draw(st.sampled_from(WORDS))
            else:
                m = draw(st.integers(0, len(parts) - 1))
                parts[k], parts[m] = parts[m], parts[k]
            text = "".join(parts)
    return path, text


PREFIXES = ["", "input image: 32x32x3\noutput classes: 10\n",
            "input image: 32x32x3\nnetwork {\n", "block b(x, y = 2) {\n",
            "input image: 8x8x3\ninput depth: 8x8x1\nnetwork {\n  towers(image, depth) merge add "
            "at choice(@a, @b) {\n"]


@st.composite
def token_soup(draw):
    words = draw(st.lists(st.sampled_from(WORDS), max_size=60))
    seps = draw(st.lists(st.sampled_from([" ", " ", "\n", "", ";"]), min_size=len(words),
                         max_size=len(words)))
    body = "".join(w + s for w, s in zip(words, seps))
    return draw(st.sampled_from(PREFIXES)) + body + draw(st.sampled_from(["", "}", "}\n}"]))


# -- the properties ----------------------------------------------------------------------------
# 1000 + 100 + 1000 + 1200 = 3,300 examples: about 15 s on a quiet machine, well under a
# minute on a loaded 2-core one
@_common(1000)
@given(case=mutated(SMALL))
def test_mutated_spaces(case):
    path, text = case
    check_parse(text, path)


@_common(100)
@given(case=mutated(BIG))
def test_mutated_big_space(case):
    path, text = case
    check_parse(text, path)


@_common(1000)
@given(text=token_soup())
def test_token_soup(text):
    check_parse(text)


@_common(1200)
@given(text=st.text(alphabet=st.sampled_from(sorted(set("".join(TERMINALS))) + list(" \n\t0123"
                                                                                   "9_#\"'\\$")),
                    max_size=200))
def test_random_text(text):
    check_parse(text)


def test_known_nasty_inputs():
    for text in ["", "\n", "#", '"', "{", "}", "network {", "network { }", "\0", "\ufeff",
                 "input x: 0x0\nnetwork { dense(1) }", "input x: 99999999999999999999\n",
                 "network { repeat 0..0 { } }", "input x: 4\nnetwork { repeat 0..100000 { } }",
                 "input x: 4\nnetwork { dense(1 // 0) }", "input x: 4\nnetwork { dense(2.5 % 0) }",
                 "input x: 4\nnetwork { dense(int(1, 10 ** 9)) }",
                 "input x: 4\nparam p = int(0, 1000000000, 1)\nnetwork { dense(p) }",
                 "input x: 4\nnetwork { dense(1e308 * 1e308) }",
                 "input x: 4\nnetwork { dense(8) }\ntrain { learning_rate = 1e999 }",
                 "input x: 4x99999999999999999999\nnetwork { dense(99999999999999999999) }"]:
        check_parse(text)
