"""The arithmetic functions of expressions (ir/functions.py): their values in widths, under
searched values (every domain of the interpreter), and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.analysis.whole_space import check_space
from archspace.errors import ArchNameError, ArchTypeError
from archspace.ir.functions import FUNCTIONS, FunctionError, call_function

WIDTHS = """
input image: 32x32x3
output classes: 10
param alpha = choice(0.35, 0.5, 1.0) default 1.0

network {
  conv(make_divisible(32 * alpha, 8), 3x3, stride=2) as stem
  conv(max(8, floor(in.channels * 0.25)), 1x1) as squeeze
  conv(ceil(in.channels * 1.5), 1x1) as wide
  conv(round(in.channels / 8), 1x1) as rounded
  dense(classes)
}
"""


def widths(config=None):
    graph = archspace.build_graph(archspace.parse(WIDTHS, "widths.arch"), config)
    return [n.shape[-1] for n in graph.nodes if n.name in ("stem", "squeeze", "wide", "rounded")]


@pytest.mark.parametrize("alpha, expected", [
    (0.35, [16, 8, 12, 2]),   # 11.2 -> 8 would lose 29%: 16
    (0.5, [16, 8, 12, 2]),    # 12 / 8 = 1.5 rounds to 2 (halves to even)
    (1.0, [32, 8, 12, 2]),
])
def test_widths(alpha, expected):
    assert widths({"alpha": alpha}) == expected


def test_whole_space_reads_functions_of_searched_values():
    """The whole-space walk forks on alpha and applies the functions in every state."""
    space = archspace.parse(WIDTHS, "widths.arch")
    report = check_space(space)
    params = sorted(archspace.build_graph(space, {"alpha": a}).params for a in (0.35, 0.5, 1.0))
    assert report.ok and report.exact and report.configs == 3
    assert (report.min_params.params, report.max_params.params) == (params[0], params[-1])
    assert params[0] < params[-1]


@pytest.mark.parametrize("name, args, kwargs, value", [
    ("floor", [2.7], {}, 2), ("floor", [-2.5], {}, -3), ("ceil", [2.1], {}, 3),
    ("round", [2.5], {}, 2), ("round", [3.5], {}, 4), ("round", [7], {}, 7),
    ("min", [3, 1, 2], {}, 1), ("max", [1, 2.5], {}, 2.5),
    ("make_divisible", [24 * 1.1, 8], {}, 24), ("make_divisible", [40 * 1.1, 8], {}, 48),
    ("make_divisible", [3, 8], {"min_value": 1}, 9), ("make_divisible", [17, 16, 32], {}, 32),
])
def test_values(name, args, kwargs, value):
    got = call_function(name, args, kwargs)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("name, args, kwargs, message", [
    ("floor", [], {}, "floor() is missing argument 'x'"),
    ("floor", [1, 2], {}, "floor() takes at most 1 argument, got 2"),
    ("ceil", ["same"], {}, "ceil() needs a number, got 'same'"),
    ("round", [True], {}, "needs a number"),
    ("min", [1], {}, "min() needs at least 2 arguments, got 1"),
    ("max", [1, 2], {"key": 1}, "max() takes no named arguments"),
    ("make_divisible", [30], {}, "make_divisible() is missing argument 'divisor'"),
    ("make_divisible", [30, 8], {"divisor": 8}, "got two values for 'divisor'"),
    ("make_divisible", [30, 8], {"min": 8}, "make_divisible() has no argument 'min'"),
    ("make_divisible", [30, 2.5], {}, "'divisor' must be an integer >= 1, got 2.5"),
    ("make_divisible", [30, 8, 0.5], {}, "'min_value' must be an integer"),
])
def test_errors(name, args, kwargs, message):
    with pytest.raises(FunctionError) as err:
        call_function(name, args, kwargs)
    assert message in str(err.value)


def test_every_function_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text()
    for name in FUNCTIONS:
        assert f"`{name}(" in doc, name


def test_names_stay_symbols_without_parentheses():
    space = archspace.parse("""
input image: 16x16x3
output classes: 2
network {
  pool(max, 2x2)
  parallel { conv(4, 1x1) | conv(4, 3x3) } merge max
  conv(max(2, 3), 1x1)
  dense(classes)
}
""", "symbols.arch")
    graph = archspace.build_graph(space)
    assert [n.op for n in graph.nodes if n.kind == "merge"] == ["max"]
    assert graph.nodes[-2].shape == (8, 8, 3)


@pytest.mark.parametrize("body, error, message, hint", [
    ("conv(flor(2.5), 3x3)", ArchNameError, "unknown function 'flor'", "did you mean 'floor'?"),
    ("conv(4 + mx(2, 3), 3x3)", ArchNameError, "unknown function 'mx'", "did you mean 'max'?"),
    ("conv(make_divisible(w, 0), 3x3)", ArchTypeError,
     "make_divisible(): 'divisor' must be an integer >= 1, got 0", None),
])
def test_errors_in_a_space(body, error, message, hint):
    src = f"input image: 8x8x3\nparam w = fixed(24)\nnetwork {{\n  {body}\n}}\n"
    with pytest.raises(error) as err:
        archspace.build_graph(archspace.parse(src, "f.arch"))
    assert err.value.message == message and err.value.hint == hint
    assert err.value.span.line == 4


@pytest.mark.parametrize("body", [
    "let c = ceel(2.5)\n  conv(c, 3x3)",
    "twice(ceel(2.5))",
    "twice(f=ceel(2.5))",
])
def test_unknown_function_in_a_let_or_block_argument(body):
    src = ("input image: 8x8x3\nblock twice(f) { conv(2 * f, 1x1) }\nnetwork {\n  "
           f"{body}\n}}\n")
    with pytest.raises(ArchNameError) as err:
        archspace.parse(src, "f.arch")
    assert err.value.message == "unknown function 'ceel'"
    assert err.value.hint == "did you mean 'ceil'?"
