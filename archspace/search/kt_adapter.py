"""Every Keras Tuner internal archspace relies on, in one place.

Keras Tuner's public API has no hooks for what the search needs (re-queueing a trial a kill
left running, atomic state files, screening random proposals, declaring the space up front,
the Bayesian oracle's Gaussian process), so archspace overrides or reads a few private methods
and attributes. They are all here, named in `PRIVATE_HOOKS`; the rest of archspace uses the
functions and mixins below. The Keras Tuner version is checked at import against the range
these hooks were written for, so an upgrade that moves them fails at once with what is needed,
not halfway through a search.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import keras_tuner as kt

#: the Keras Tuner versions whose internals this module was written and tested against
SUPPORTED = ((1, 4, 7), (1, 5, 0))      # [from, to)
#: the private names used, for the error message and for a reader checking an upgrade
PRIVATE_HOOKS = (
    "Oracle._retry_queue", "Oracle._tried_so_far", "Oracle._compute_values_hash",
    "Oracle._random_values", "Oracle._save_trial", "Oracle._get_oracle_fname",
    "Oracle._get_trial_dir", "Oracle._project_dir", "Tuner._populate_initial_space",
    "Tuner._is_worker", "Tuner._get_tuner_fname", "keras_tuner.src.config.DEBUG",
    "keras_tuner.src.engine.trial.TrialStatus", "BayesianOptimizationOracle.gpr",
    "BayesianOptimizationOracle._vectorize_trials",
    "BayesianOptimizationOracle._vector_to_values",
    "BayesianOptimizationOracle._nonfixed_space",
    "keras_tuner.src.engine.trial.Trial", "keras_tuner.src.protos",
    "keras_tuner.src.distribute.oracle_chief.OracleServicer",
)


def _version(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out + [0] * (3 - len(out)))


def check_version(found: str) -> None:
    lo, hi = SUPPORTED
    if not lo <= _version(found) < hi:
        from ..errors import ArchError

        raise ArchError(
            f"archspace's search needs keras-tuner >= {'.'.join(map(str, lo))} and < "
            f"{'.'.join(map(str, hi))} (found {found}): it relies on Keras Tuner internals "
            f"({', '.join(PRIVATE_HOOKS)})",
            hint=f"pip install 'keras-tuner>={'.'.join(map(str, lo))},"
                 f"<{'.'.join(map(str, hi))}'")


check_version(getattr(kt, "__version__", "0"))

from keras_tuner.src import config as _kt_config
from keras_tuner.src.engine import trial as _trial_module

TrialStatus = _trial_module.TrialStatus
RUNNING = TrialStatus.RUNNING
STOPPED = TrialStatus.STOPPED
IDLE = TrialStatus.IDLE
FINISHED = (TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.INVALID)
Trial = _trial_module.Trial
FatalError = kt.errors.FatalError
FailedTrialError = kt.errors.FailedTrialError
synchronized = kt.synchronized


# ---- oracle internals -----------------------------------------------------------------------
def retry_queue(oracle: Any) -> list[str]:
    """Trial ids the oracle hands out again before asking for new values."""
    return oracle._retry_queue


def requeue(oracle: Any, trial_id: str) -> None:
    """Hand this trial out again before new values (once)."""
    if trial_id not in oracle._retry_queue:
        oracle._retry_queue.append(trial_id)


def oracle_service() -> tuple[Any, Any]:
    """Keras Tuner's gRPC protos module and its OracleServicer (the chief's side of its
    chief/worker engine; the workers use the public OracleClient through KERASTUNER_*)."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    return protos, OracleServicer


def set_retry_queue(oracle: Any, ids: list[str]) -> None:
    oracle._retry_queue = list(ids)


def mark_tried(oracle: Any, values: dict[str, Any]) -> None:
    """Tell Keras Tuner's random sampler these values were seen (it then draws others)."""
    oracle._tried_so_far.add(oracle._compute_values_hash(values))


def project_dir(oracle: Any) -> str:
    return oracle._project_dir


def oracle_file(oracle: Any) -> str:
    return oracle._get_oracle_fname()


def trial_dir(oracle: Any, trial_id: str) -> str:
    return oracle._get_trial_dir(trial_id)


@contextlib.contextmanager
def quiet_tracebacks() -> Iterator[None]:
    """Keras Tuner's DEBUG prints the traceback of every failed trial; archspace records the
    reason in the trial file instead."""
    saved, _kt_config.DEBUG = _kt_config.DEBUG, False
    try:
        yield
    finally:
        _kt_config.DEBUG = saved


class OracleHooks:
    """Mixin over a Keras Tuner Oracle that turns its private hooks into named ones:

    - `save_trial_file(path, text)` / `save_state_file(path, text)` write its JSON (archspace
      writes them atomically);
    - `screen_random(draw)` wraps its random sampler (`draw()` returns Keras Tuner's next
      random values, or None when it has none left).
    """

    def save_state_file(self, path: str, text: str) -> None:   # pragma: no cover - abstract
        raise NotImplementedError

    def save_trial_file(self, path: str, text: str) -> None:   # pragma: no cover - abstract
        raise NotImplementedError

    def screen_random(self, draw):
        return draw()

    def random_values(self):
        """Keras Tuner's next random values, screened (None when none is left)."""
        return self._random_values()

    # the private overrides
    def save(self):
        import json

        self.save_state_file(oracle_file(self), json.dumps(self.get_state()))

    def _save_trial(self, trial):
        import json
        import os

        self.save_trial_file(os.path.join(trial_dir(self, trial.trial_id), "trial.json"),
                             json.dumps(trial.get_state()))

    def _random_values(self):
        return self.screen_random(super()._random_values)


class TunerHooks:
    """Mixin over a Keras Tuner Tuner: `declare_space()` replaces Keras Tuner's building of
    models to discover the space; `is_worker()` and `tuner_file()` name private ones."""

    def declare_space(self) -> None:   # pragma: no cover - abstract
        raise NotImplementedError

    def _populate_initial_space(self):
        self.declare_space()

    def is_worker(self) -> bool:
        return self._is_worker()

    def tuner_file(self) -> str:
        return self._get_tuner_fname()


# ---- the Bayesian oracle's Gaussian process ---------------------------------------------------
def gp_training_set(oracle: Any):
    """(x, y): the finished trials as vectors in [0, 1]^d and their scores (minimised)."""
    return oracle._vectorize_trials()


def gp_dimensions(oracle: Any) -> int:
    return len(oracle._nonfixed_space())


def gp_values(oracle: Any, vector: Any) -> dict[str, Any]:
    """Keras Tuner values of a point of [0, 1]^d (inactive hyperparameters left out): what
    `_vector_to_values` gives, without copying every hyperparameter through its config into a
    fresh container (5 ms a point, a second for the 200 a proposal may screen)."""
    from keras_tuner.engine.hyperparameters import Fixed

    values: dict[str, Any] = {}
    i = 0
    for hp in oracle.hyperparameters.space:
        if isinstance(hp, Fixed):
            value = hp.value
        else:
            value = hp.prob_to_value(vector[i])
            i += 1
        if all(c.is_active(values) for c in hp.conditions):
            values[hp.name] = value
    return values


def kt_gp_values(oracle: Any, vector: Any) -> dict[str, Any]:
    """Keras Tuner's own conversion, which `gp_values` must equal (tests)."""
    return oracle._vector_to_values(vector)


__all__ = ["RUNNING", "STOPPED", "IDLE", "FINISHED", "TrialStatus", "FatalError",
           "FailedTrialError", "OracleHooks", "TunerHooks", "retry_queue", "set_retry_queue",
           "mark_tried", "project_dir", "oracle_file", "trial_dir", "quiet_tracebacks",
           "gp_training_set", "gp_dimensions", "gp_values", "kt_gp_values", "check_version",
           "PRIVATE_HOOKS", "synchronized"]
