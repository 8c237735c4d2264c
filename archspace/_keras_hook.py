"""Register archspace's Keras layers (compile/layers.py) as soon as keras is imported.

`import archspace` must not import keras (parse, lint and show stay fast), yet a saved model
that holds an archspace layer should load with plain `keras.saving.load_model` after
`import archspace`. So: keras already imported -> register now; else a one-shot import hook
registers right after keras finishes importing.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from typing import Any


def _register() -> None:
    from .compile import layers  # noqa: F401  (registers on import)


class _AfterKeras(importlib.abc.Loader):
    def __init__(self, loader: Any):
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        _register()


class _KerasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "keras":
            return None
        sys.meta_path.remove(self)  # one shot; the lookup below must not find us again
        spec = importlib.util.find_spec("keras")
        if spec is not None and spec.loader is not None:
            spec.loader = _AfterKeras(spec.loader)
        return spec


def register_when_keras_loads() -> None:
    if "keras" in sys.modules:
        if sys.modules["keras"] is not None:  # None: keras blocked on purpose (no extra)
            _register()
    elif not any(isinstance(f, _KerasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _KerasFinder())
