"""What a name means at one point of the walk: scopes, lazily evaluated values (thunks), the
bindings of parameters and repeats, and the conditions under which a region is walked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .base import Node
from .nodes import ParamDecl


class Cond(Node):
    """'decision `path` took one of `values`' -- one term of an activity condition."""

    path: str
    values: tuple[Union[bool, int, float, str], ...]


class _Unknown:
    """A value that depends on a searched decision or a tensor shape (explorer only)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()




@dataclass
class ParamBinding:
    """A declared parameter in scope: its decision path and declaration."""

    path: str
    decl: ParamDecl
    cond: tuple = ()


@dataclass
class RepeatBinding:
    """A repeat's name in scope, for `name.count`."""

    count_path: str
    fixed: int | None
    count: Any = None  # `repeat name = expr`: a Thunk of the count expression (no decision)


class Thunk:
    """A lazily evaluated expression (block arguments, lets): evaluating at first use keeps
    the activity conditions of parameters exact."""

    __slots__ = ("expr", "scope", "where", "done", "value", "at")

    def __init__(self, expr: Any, scope: "Scope", where: str = "", at: Any = None):
        self.expr, self.scope, self.where = expr, scope, where
        self.done, self.value = False, None
        # the tensor `in` means inside `expr`: the one entering the statement that wrote it
        # (Walker.here() when the thunk was made), not the one current at first use
        self.at = at


@dataclass
class Scope:
    path: str = ""
    env: dict[str, Any] = field(default_factory=dict)
    cond: tuple = ()                # conjunction of (path, allowed values) for this region
    shared_path: str | None = None  # path of the innermost repeat (for `shared param`)
    shared_cond: tuple = ()
    layer_prefix: str = ""
    blocks: tuple[str, ...] = ()    # block-call stack, for recursion detection
    in_block: bool = False

    def child(self, **kw: Any) -> "Scope":
        d = dict(path=self.path, env=self.env, cond=self.cond, shared_path=self.shared_path,
                 shared_cond=self.shared_cond, layer_prefix=self.layer_prefix,
                 blocks=self.blocks, in_block=self.in_block)
        d.update(kw)
        return Scope(**d)
