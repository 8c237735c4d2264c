"""The keys a `train { }` or `search { }` section accepts, with what each means and its
default (the SqueezeNetSEMAuto paper's settings where it gives one)."""

from __future__ import annotations

from ..errors import ArchNameError, ErrorSink
from .space import Space

TRAIN_KEYS: dict[str, tuple[object, str]] = {
    "optimizer": ("adam", "adam | rmsprop | sgd | adamw | adagrad | nadam, or a choice of them"),
    "learning_rate": (1e-3, "step size of the optimizer"),
    "momentum": (0.0, "momentum for sgd / rmsprop"),
    "weight_decay": (None, "decoupled weight decay (adamw, sgd)"),
    "loss": (None, "a Keras loss name; default follows the task"),
    "metrics": (None, "a list of Keras metric names; default follows the task"),
    "batch_size": (32, "examples per step"),
    "epochs": (100, "maximum epochs per trial"),
    "early_stop": (5, "early-stopping patience in epochs (0 = off)"),
    "early_stop_monitor": ("val_loss", "metric early stopping watches (monitor replaces it)"),
    "monitor": (None, "the one metric that picks each trial's best epoch, stops it early and "
                      "restores its weights; default: the first trained objective"),
    "validation_split": (0.2, "share of the data held out for validation"),
    "label_smoothing": (0.0, "label smoothing for categorical losses"),
    "seed": (0, "seed for weights, shuffling and splits"),
}

SEARCH_KEYS: dict[str, tuple[object, str]] = {
    "strategy": ("random", "random | hyperband | bayesian | grid | nsga2 | any pymoo algorithm"),
    "trials": (10, "number of trials (architectures) to train"),
    "objectives": (None, "e.g. [maximize val_accuracy, minimize params]"),
    "constraints": (None, "e.g. [params <= 2e6, bytes <= 8e6]"),
    "max_epochs": (100, "Hyperband's max_epochs"),
    "factor": (3, "Hyperband's reduction factor"),
    "alpha": (0.001, "Bayesian optimisation: noise level (paper: 0.001)"),
    "beta": (2.6, "Bayesian optimisation: exploration weight (paper: 2.6)"),
    "initial_points": (2, "Bayesian optimisation: random trials first (paper: 2)"),
    "population": (20, "population size for evolutionary strategies"),
    "executions": (1, "trainings per trial, averaged"),
    "fraction": (1.0, "share of the data used by each trial (paper: 0.1, 0.4, 1.0)"),
    "seed": (0, "seed of the search strategy"),
}


def check_settings(space: Space, sink: ErrorSink) -> None:
    from ..blocks.base import suggest

    for section, keys, settings in (("train", TRAIN_KEYS, space.train),
                                    ("search", SEARCH_KEYS, space.search)):
        seen: set[str] = set()
        for s in settings:
            if s.key not in keys:
                hint = suggest(s.key, keys).strip(" ()") or ("known keys: " + ", ".join(keys))
                sink.add(ArchNameError(f"unknown {section} setting '{s.key}'", s.span, hint))
            elif s.key in seen:
                sink.add(ArchNameError(f"{section} setting '{s.key}' is given twice", s.span))
            seen.add(s.key)


# -- objectives and constraints -------------------------------------------------------------
METRICS_STATIC = ("params", "trainable_params", "bytes", "macs", "flops")


def objectives(space: Space) -> list[tuple[str, str]]:
    """[(direction, metric)] from `objectives = [maximize val_accuracy, minimize params]`;
    default: maximize val_accuracy."""
    from . import expr as E

    for s in space.search:
        if s.key == "objectives":
            items = s.value.items if isinstance(s.value, E.ListExpr) else (s.value,)
            return [(i.direction, i.metric) for i in items if isinstance(i, E.Objective)]
    return [("maximize", "val_accuracy")]


def constraints(space: Space) -> list[tuple[str, str, float]]:
    """[(metric, op, bound)] from `constraints = [params <= 2e6]`."""
    from . import expr as E
    from .walk import Scope, Walker

    out = []
    for s in space.search:
        if s.key != "constraints":
            continue
        items = s.value.items if isinstance(s.value, E.ListExpr) else (s.value,)
        for i in items:
            metric, op, bound = _constraint(i)
            out.append((metric, op, float(Walker(space).evaluate(bound, Scope()))))
    return out


_FLIP = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}


def _constraint(x):
    """A comparison with a metric name on one side, the bound on the other."""
    from ..errors import ArchTypeError
    from . import expr as E

    if not (isinstance(x, E.BinOp) and x.op in _FLIP):
        raise ArchTypeError("a constraint compares a metric with a bound, e.g. params <= 2e6",
                            getattr(x, "span", None))
    if isinstance(x.left, E.Name):
        return x.left.name, x.op, x.right
    if isinstance(x.right, E.Name):
        return x.right.name, _FLIP[x.op], x.left
    raise ArchTypeError("a constraint needs a metric name on one side (params, bytes, macs, "
                        "val_accuracy, ...)", x.span)


def check_objectives(space: Space, sink: ErrorSink) -> None:
    from ..errors import ArchError, ArchTypeError
    from . import expr as E

    for s in space.search:
        if s.key == "objectives":
            items = s.value.items if isinstance(s.value, E.ListExpr) else (s.value,)
            for i in items:
                if not isinstance(i, E.Objective):
                    sink.add(ArchTypeError("an objective reads `maximize METRIC` or "
                                           "`minimize METRIC`", getattr(i, "span", None) or s.span))
        elif s.key == "constraints":
            items = s.value.items if isinstance(s.value, E.ListExpr) else (s.value,)
            for i in items:
                try:
                    _constraint(i)
                except ArchError as e:
                    sink.add(e)
