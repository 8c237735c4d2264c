"""Search strategies: an open registry of oracle factories.

A strategy is a function `(run: SearchRun) -> keras_tuner.Oracle`, registered by name with
`@strategy("name")` (or lazily, as "module:function"). Built in: random, hyperband, bayesian,
grid (Keras Tuner oracles with static screening), nsga2 and dnas (search/dnas/); any other pymoo algorithm is found
by its name (nsga3, smsemoa, agemoea, moead, spea2, ga, de, ...).
"""

from __future__ import annotations

from typing import Any, Callable, Union

Factory = Callable[[Any], Any]

#: name -> factory, or "module:function" imported on first use (keeps TF/pymoo out of imports)
STRATEGIES: dict[str, Union[Factory, str]] = {
    "random": "archspace.search.strategies.kt:random_oracle",
    "hyperband": "archspace.search.strategies.kt:hyperband_oracle",
    "bayesian": "archspace.search.strategies.kt:bayesian_oracle",
    "grid": "archspace.search.strategies.grid:grid_oracle",
    "nsga2": "archspace.search.strategies.pymoo_oracle:pymoo_oracle",
    # differentiable: a Gumbel-softmax supernet, then the derived architecture as one trial
    "dnas": "archspace.search.dnas.strategy:dnas_oracle",
}


#: name -> "module:function(space, settings)" run before any data is loaded: a strategy that
#: cannot search this space says so at once (dnas: nothing to relax, unknown options)
PREFLIGHT: dict[str, str] = {
    "dnas": "archspace.search.dnas.strategy:preflight",
}


#: name -> "module:Dataclass" of the options the strategy reads itself (strategy_args): in
#: `strategy = dnas(beta=2)` the beta is dnas' size penalty, not the Bayesian `beta` setting
OPTIONS: dict[str, str] = {
    "dnas": "archspace.search.dnas.options:DnasOptions",
}

#: name -> the trials a strategy runs whatever the budget (dnas: the one derived architecture)
FIXED_TRIALS: dict[str, int] = {
    "dnas": 1,
}


def option_names(name: str) -> frozenset[str]:
    """The options strategy `name` reads itself (empty for one without its own)."""
    spec = OPTIONS.get(name)
    if spec is None:
        return frozenset()
    import importlib
    from dataclasses import fields

    module, _, attr = spec.partition(":")
    return frozenset(f.name for f in fields(getattr(importlib.import_module(module), attr)))


def planned_trials(settings: Any) -> int:
    """How many trials the search will run: the budget, or what the strategy fixes."""
    return FIXED_TRIALS.get(settings.strategy, settings.trials)


def preflight(space: Any, settings: Any) -> None:
    check = PREFLIGHT.get(settings.strategy)
    if check is not None:
        import importlib

        module, _, attr = check.partition(":")
        getattr(importlib.import_module(module), attr)(space, settings)


def strategy(name: str):
    """Register a strategy factory under `name`."""
    def deco(fn: Factory) -> Factory:
        STRATEGIES[name] = fn
        return fn
    return deco


def _factory(name: str) -> Factory | None:
    f = STRATEGIES.get(name)
    if isinstance(f, str):
        import importlib

        module, _, attr = f.partition(":")
        f = STRATEGIES[name] = getattr(importlib.import_module(module), attr)
    return f


def known_strategy(name: str) -> bool:
    if name in STRATEGIES:
        return True
    from .algorithms import find_algorithm

    return find_algorithm(name) is not None


def make_oracle(run: Any) -> Any:
    name = run.settings.strategy
    f = _factory(name)
    if f is None:  # any pymoo algorithm by name
        from .pymoo_oracle import pymoo_oracle

        f = pymoo_oracle
    return f(run)


__all__ = ["STRATEGIES", "OPTIONS", "FIXED_TRIALS", "strategy", "make_oracle", "known_strategy",
           "preflight", "option_names", "planned_trials"]
