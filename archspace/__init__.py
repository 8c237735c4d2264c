"""archspace: declarative neural-architecture micro-design search.

    import archspace
    space = archspace.parse_file("spaces/squeezenet.arch")
    archspace.decisions(space)            # every searched choice, with domain and condition
    model = archspace.to_keras(space)     # default configuration -> keras.Model

Heavy back ends (TensorFlow, Keras Tuner, pymoo, MediaPipe) load only when used.
"""

from __future__ import annotations

from typing import Any

from .errors import ArchError
from .ir import Space
from .ir.config import canonical, config_hash, default_config, sample_config
from .ir.decisions import DecisionList, decisions_of
from .loader import parse, parse_file

__version__ = "0.1.0"


def decisions(space: Space) -> DecisionList:
    return decisions_of(space)


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
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'archspace' has no attribute '{name}'")


__all__ = ["ArchError", "Space", "DecisionList", "parse", "parse_file", "decisions",
           "canonical", "config_hash", "default_config", "sample_config", "to_keras",
           "to_hypermodel", "lint", "analyze", "build_graph", "search"]
