"""Search a space: Keras Tuner strategies (random, hyperband, bayesian, grid) and pymoo
(NSGA-II and any pymoo algorithm by name), one run directory format, resume, static screening.

    import archspace
    result = archspace.search("spaces/squeezenet_se_auto.arch", data="digits",
                              strategy="nsga2", trials=20, epochs=3, max_params=2e6)
    result.best["config"], result.pareto

Modules: settings (what a search is asked), data (loaders), candidates (static screening),
engine (the facade and the trial runner), tuner + strategies/ (Keras Tuner and pymoo
adapters: the only places that import them), rundir (the run format), report and pareto.
TensorFlow, Keras Tuner and pymoo load only when a search runs.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .data import LOADERS, Data, load_data, loader
from .events import Listener, PrintListener, Quiet
from .settings import Constraint, Objective, Settings, resolve
from .strategies import STRATEGIES, strategy


def search(*args: Any, **kwargs: Any):
    from .engine import search as _search

    return _search(*args, **kwargs)


search.__doc__ = """Search a space; see archspace.search.engine.search for the arguments."""


def train(*args: Any, **kwargs: Any):
    from .engine import train as _train

    return _train(*args, **kwargs)


train.__doc__ = """Retrain one configuration; see archspace.search.engine.train."""

class _CallableModule(types.ModuleType):
    """`archspace.search(...)` is the search function, and `archspace.search` the package once
    any submodule is imported (Python then sets the package as the attribute): calling the
    package calls the function, so both spellings always work."""

    def __call__(self, *args: Any, **kwargs: Any):
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["search", "train", "Settings", "Objective", "Constraint", "resolve", "STRATEGIES",
           "strategy", "LOADERS", "loader", "load_data", "Data", "Listener", "PrintListener",
           "Quiet"]
