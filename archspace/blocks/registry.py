"""The name -> op table, and the decorator that fills it (built-ins and user ops alike)."""

from __future__ import annotations

import difflib
from typing import Callable, TypeVar, overload

from .base import Op

REGISTRY: dict[str, Op] = {}

T = TypeVar("T", bound=type[Op])


class UnknownOpError(LookupError):
    """`get_op` was asked for a name no op is registered under."""

    def __init__(self, name: str, suggestion: str | None = None):
        super().__init__(f"unknown op '{name}'")
        self.name = name
        self.suggestion = suggestion
        self.hint = f"did you mean '{suggestion}'?" if suggestion else None


@overload
def register(cls: T, *, replace: bool = False) -> T: ...
@overload
def register(cls: None = None, *, replace: bool = False) -> Callable[[T], T]: ...


def register(cls=None, *, replace=False):
    """Class decorator: `@register` or `@register(replace=True)` to override an existing op.

    The class is instantiated once; ops are stateless, so one instance serves every call.
    """
    def add(c: T) -> T:
        if not (isinstance(c, type) and issubclass(c, Op)):
            raise TypeError(f"@register expects an Op subclass, got {c!r}")
        name = getattr(c, "name", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"{c.__name__}.name must be an identifier, got {name!r}")
        if name in REGISTRY and not replace:
            raise ValueError(f"op '{name}' is already registered; pass replace=True to override")
        names = [a.name for a in c.signature]
        if len(set(names)) != len(names):
            raise TypeError(f"op '{name}' has duplicate argument names: {names}")
        for a in c.signature:
            if a.flag and not a.choices:
                raise TypeError(f"op '{name}': flag argument '{a.name}' needs choices")
        REGISTRY[name] = c()
        return c

    return add if cls is None else add(cls)


def get_op(name: str) -> Op:
    try:
        return REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(REGISTRY), n=1, cutoff=0.6)
        raise UnknownOpError(name, close[0] if close else None) from None


def op_names() -> list[str]:
    return sorted(REGISTRY)
