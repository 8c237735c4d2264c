"""The words a highlighter colours, read off the grammar and the op registry."""

from __future__ import annotations

import re
from functools import lru_cache

#: keywords that declare something (coloured as declarations rather than control words)
DECLARATIONS = ("space", "import", "input", "output", "task", "param", "shared", "block",
                "network", "train", "search", "let")
#: parameter kinds: `int(...)`, `float(...)`, `bool`, `fixed(...)` (`choice` is a statement too)
PARAM_KINDS = ("int", "float", "bool", "fixed")
CONSTANTS = ("true", "false")
OBJECTIVES = ("maximize", "minimize")


@lru_cache(maxsize=1)
def keywords() -> tuple[str, ...]:
    """Every word the grammar spells out ("network", "repeat", "default", ...), sorted."""
    from ..parser import grammar_path

    grammar = re.sub(r"//[^\n]*", "", grammar_path().read_text(encoding="utf-8"))
    return tuple(sorted(set(re.findall(r'"([A-Za-z_][A-Za-z_0-9]*)"', grammar))))


def control_keywords() -> tuple[str, ...]:
    """Keywords that are neither declarations, parameter kinds, constants nor objectives."""
    other = set(DECLARATIONS) | set(PARAM_KINDS) | set(CONSTANTS) | set(OBJECTIVES)
    return tuple(w for w in keywords() if w not in other)


@lru_cache(maxsize=1)
def ops() -> tuple[str, ...]:
    """The built-in ops (`conv`, `dense`, ...)."""
    from ..blocks import REGISTRY

    return tuple(sorted(REGISTRY))


@lru_cache(maxsize=1)
def merges() -> tuple[str, ...]:
    """The merge kinds (`add`, `concat`, ...) that are not also op names."""
    from ..blocks import MERGES

    return tuple(sorted(set(MERGES) - set(ops())))
