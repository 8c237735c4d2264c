"""archspace: declarative neural-architecture micro-design search.

    import archspace
    space = archspace.parse_file("spaces/squeezenet.arch")
    archspace.decisions(space)            # every searched choice, with domain and condition
    model = archspace.to_keras(space)     # default configuration -> keras.Model

Heavy back ends (TensorFlow, Keras Tuner, pymoo, MediaPipe) load only when used.

Errors: a problem of a space, a file or a configuration raises an `ArchError` subclass (with
`file:line:col` where there is one); an argument of the wrong Python type (a file name where a
Space is expected, bytes for source text, a list for a configuration) raises
`ArchArgumentError`, which is both an `ArchError` and a `TypeError`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any, Callable

from .errors import ArchArgumentError, ArchError
from .ir import Space
from .ir import config as _config
from .ir.decisions import DecisionList, decisions_of
from .loader import parse, parse_file
from ._keras_hook import register_when_keras_loads

register_when_keras_loads()  # archspace layers load with plain keras.saving.load_model

__version__ = "0.1.0"


def _check_space(fn: str, space: Any) -> None:
    if isinstance(space, Space):
        return
    hint = ""
    if isinstance(space, (str, os.PathLike)):
        hint = f": parse it first, {fn}(archspace.parse_file(path), ...)"
    raise ArchArgumentError(f"{fn}() takes a Space, not {type(space).__name__}{hint}")


def _check_config(fn: str, config: Any) -> None:
    if config is None:
        return
    if not isinstance(config, Mapping):
        raise ArchArgumentError(f"{fn}(): a configuration is a dict of decision path -> value, "
                                f"not {type(config).__name__}")
    bad = next((k for k in config if not isinstance(k, str)), None)
    if bad is not None:
        raise ArchArgumentError(f"{fn}(): configuration keys are decision paths (str), got "
                                f"{bad!r}")


def _checked(fn: Callable, name: str, config_arg: bool = True) -> Callable:
    """`fn(space, config=None, ...)` with its arguments' types checked first."""

    @functools.wraps(fn)
    def wrapper(space: Any, *args: Any, **kwargs: Any) -> Any:
        _check_space(name, space)
        if config_arg:
            _check_config(name, args[0] if args else kwargs.get("config",
                                                                 kwargs.get("values")))
        return fn(space, *args, **kwargs)

    return wrapper


def decisions(space: Space) -> DecisionList:
    _check_space("decisions", space)
    return decisions_of(space)


canonical = _checked(_config.canonical, "canonical")
config_hash = _checked(_config.config_hash, "config_hash")
default_config = _checked(_config.default_config, "default_config", config_arg=False)
sample_config = _checked(_config.sample_config, "sample_config", config_arg=False)


def _lint_targets(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(target: Any, *args: Any, **kwargs: Any) -> Any:
        ok = (str, os.PathLike, Space)
        try:
            items = [target] if isinstance(target, ok) else list(target)
        except TypeError:
            items = [target]
        bad = [t for t in items if not isinstance(t, ok)]
        if bad:
            raise ArchArgumentError("lint() takes .arch file names or Spaces (one or a list), "
                                    f"not {type(bad[0]).__name__}")
        return fn(target, *args, **kwargs)

    return wrapper


def __getattr__(name: str) -> Any:
    # back ends are imported on first use so that parse/lint/show never load TensorFlow
    lazy = {
        "to_keras": ("archspace.compile", "to_keras"),
        "to_hypermodel": ("archspace.compile", "to_hypermodel"),
        "lint": ("archspace.analysis", "lint"),
        "analyze": ("archspace.analysis", "analyze"),
        "build_graph": ("archspace.analysis.graph", "build_graph"),
        "search": ("archspace.search", "search"),
    }
    if name in lazy:
        import importlib

        module, attr = lazy[name]
        fn = getattr(importlib.import_module(module), attr)
        if name == "lint":
            return _lint_targets(fn)
        if name in ("to_keras", "build_graph"):
            return _checked(fn, name)
        if name in ("to_hypermodel", "analyze"):
            return _checked(fn, name, config_arg=False)
        return fn
    raise AttributeError(f"module 'archspace' has no attribute '{name}'")


__all__ = ["ArchError", "ArchArgumentError", "Space", "DecisionList", "parse", "parse_file",
           "decisions", "canonical", "config_hash", "default_config", "sample_config",
           "to_keras", "to_hypermodel", "lint", "analyze", "build_graph", "search"]
