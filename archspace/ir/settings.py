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
    "early_stop_monitor": ("val_loss", "metric early stopping watches"),
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
