"""Arithmetic functions an expression can call: `floor(x)`, `ceil(x)`, `round(x)`, `min(a, b)`,
`max(a, b)`, `make_divisible(v, divisor, min_value)`. Widths are integers, and `int(..)` is
the integer *parameter* kind, so these are how a computed width (`32 * alpha`) becomes one.

A name here is a function only when called with parentheses: `max` alone is still the bare
symbol of `merge max` or `pool(max)`. Calls of other names are settings values
(`bayesian(alpha=0.001)`) and are left to the settings readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import ArchNameError, ArchTypeError
from . import expr as E
from .scope import UNKNOWN


class FunctionError(Exception):
    """A function was called with the wrong number or kind of arguments; `hint` says how to
    call it."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]          # in order; the first `required` must be given
    required: int
    fn: Callable[..., Any]
    doc: str
    variadic: bool = False           # min / max: any number >= `required` of positionals

    @property
    def usage(self) -> str:
        if self.variadic:
            return f"{self.name}(a, b, ...)"
        shown = [p if i < self.required else f"{p}=.." for i, p in enumerate(self.params)]
        return f"{self.name}(" + ", ".join(shown) + ")"


def _number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """The nearest multiple of `divisor` to `v`, at least `min_value` (default: divisor), and
    never more than 10% below `v`: keras.applications' `_make_divisible` (MobileNet v2/v3,
    EfficientNet's round_filters)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return int(new_v)


def _make_divisible(v: Any, divisor: Any, min_value: Any = None) -> int:
    if not (isinstance(divisor, int) and not isinstance(divisor, bool) and divisor >= 1):
        raise FunctionError(f"make_divisible(): 'divisor' must be an integer >= 1, got "
                            f"{divisor!r}")
    if min_value is not None and not (_number(min_value) and float(min_value).is_integer()):
        raise FunctionError(f"make_divisible(): 'min_value' must be an integer, got "
                            f"{min_value!r}")
    return make_divisible(v, divisor, None if min_value is None else int(min_value))


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("floor", ("x",), 1, math.floor, "the largest integer <= x"),
    Function("ceil", ("x",), 1, math.ceil, "the smallest integer >= x"),
    # Python's round: halves go to the even neighbour (round(2.5) == 2, round(3.5) == 4)
    Function("round", ("x",), 1, lambda x: int(round(x)), "the nearest integer (halves to even)"),
    Function("min", ("a", "b"), 2, min, "the smallest of its arguments", variadic=True),
    Function("max", ("a", "b"), 2, max, "the largest of its arguments", variadic=True),
    Function("make_divisible", ("v", "divisor", "min_value"), 2, _make_divisible,
             "v rounded to a multiple of divisor, as keras.applications' _make_divisible"),
)}


def call_function(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Apply FUNCTIONS[name] to evaluated arguments; raise FunctionError for a wrong call."""
    f = FUNCTIONS[name]
    if f.variadic:
        if kwargs:
            raise FunctionError(f"{name}() takes no named arguments", f"write {f.usage}")
        if len(args) < f.required:
            raise FunctionError(f"{name}() needs at least {f.required} arguments, got "
                                f"{len(args)}", f"write {f.usage}")
        values = list(args)
    else:
        if len(args) > len(f.params):
            raise FunctionError(f"{name}() takes at most {len(f.params)} argument"
                                f"{'s' if len(f.params) > 1 else ''}, got {len(args)}",
                                f"write {f.usage}")
        bound = dict(zip(f.params, args))
        for k, v in kwargs.items():
            if k not in f.params:
                raise FunctionError(f"{name}() has no argument '{k}'", f"write {f.usage}")
            if k in bound:
                raise FunctionError(f"{name}() got two values for '{k}'", f"write {f.usage}")
            bound[k] = v
        missing = [p for p in f.params[:f.required] if p not in bound]
        if missing:
            raise FunctionError(f"{name}() is missing argument '{missing[0]}'",
                                f"write {f.usage}")
        values = [bound[p] for p in f.params if p in bound]
    # the value being rounded (every argument of min / max) must be a number
    for v in values if f.variadic else values[:1]:
        if not _number(v):
            raise FunctionError(f"{name}() needs a number, got {v!r}")
    return f.fn(*values)


def apply_function(x: E.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """A call of FUNCTIONS on evaluated arguments, as the interpreter evaluates it: unknown
    while an argument is (a searched value the walk does not follow)."""
    if any(v is UNKNOWN for v in args) or any(v is UNKNOWN for v in kwargs.values()):
        return UNKNOWN
    try:
        return call_function(x.name, args, kwargs)
    except FunctionError as e:
        raise ArchTypeError(str(e), x.span, e.hint) from None


def unknown_calls(x: Any) -> None:
    """An op argument may call only the arithmetic functions (other calls are settings values,
    such as `bayesian(alpha=0.001)`): name the misspelt one instead of a type error later."""
    if isinstance(x, E.Call) and x.name not in FUNCTIONS:
        from ..blocks.base import suggest

        raise ArchNameError(f"unknown function '{x.name}'", x.span,
                            suggest(x.name, FUNCTIONS).strip(" ()") or
                            "functions: " + ", ".join(sorted(FUNCTIONS)))
    # fields looked up in the node's __dict__: a missing attribute of a pydantic model costs
    # an exception in its __getattr__, and this runs on every op argument of every walk
    fields = getattr(x, "__dict__", None) or {}
    for name in ("left", "right", "operand"):
        child = fields.get(name)
        if child is not None:
            unknown_calls(child)
    for child in fields.get("args") or fields.get("items") or ():
        unknown_calls(child)
    for kw in fields.get("kwargs") or ():
        unknown_calls(kw.value)
