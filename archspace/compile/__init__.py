"""The Keras back end: one configuration -> `keras.Model`; the space -> Keras Tuner HyperModel;
one configuration -> a standalone Keras script.

    model = to_keras(space, config)          # compiled with the space's train { } settings
    hypermodel = to_hypermodel(space)        # hyperparameters named by decision path
    source = emit_python(space, config)      # imports keras only

Keras and Keras Tuner are imported on first use, never when archspace is imported.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..ir import Space


def to_keras(space: Space, config: Mapping[str, Any] | None = None, *, compile: bool = True,
             name: str | None = None) -> Any:
    """One configuration (default: the default configuration) as a `keras.Model` made of
    built-in layers only, compiled with its training settings unless compile=False."""
    from .keras_model import to_keras as build

    return build(space, config, compile=compile, name=name)


def to_hypermodel(space: Space, *, compile: bool = True, name: str | None = None) -> Any:
    """The space as a `keras_tuner.HyperModel` (any tuner: Random, Hyperband, Bayesian, Grid)."""
    from .hypermodel import to_hypermodel as build

    return build(space, compile=compile, name=name)


def emit_python(space: Space, config: Mapping[str, Any] | None = None) -> str:
    """A standalone Keras script that builds the same model as `to_keras(space, config)`."""
    from .python_emitter import emit_python as emit

    return emit(space, config)


def train_settings(space: Space, config: Mapping[str, Any] | None = None):
    """The `train { }` settings of one configuration (batch size, epochs, optimizer, ...)."""
    from ..ir.config import canonical
    from .training import train_settings as read

    return read(space, canonical(space, config or {}))


__all__ = ["to_keras", "to_hypermodel", "emit_python", "train_settings"]
