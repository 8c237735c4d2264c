"""Grid search over the space's canonical configurations.

Keras Tuner's GridSearchOracle walks hyperparameter values, inactive ones included, so a
conditional space yields the same architecture many times; this oracle enumerates canonical
configurations instead (each decision only where it is active, defaults first, the last
decision changing fastest), so every grid point is a distinct architecture. Continuous floats
take `candidates.GRID_POINTS` evenly spaced values (log-spaced for log ranges)."""

from __future__ import annotations

import itertools
from typing import Any

import keras_tuner as kt

from ..candidates import enumerate_configs
from ..kt_adapter import IDLE, RUNNING, STOPPED
from ..tuner import Robust, oracle_kwargs


class GridOracle(Robust, kt.Oracle):
    """Walks the grid once, lazily: one generator per process, advanced past the points a
    resumed run had consumed already, and followed to its end (however many points are
    screened out on the way)."""

    def __init__(self, run: Any, **kw: Any):
        super().__init__(**kw)
        self.run = run
        self.cursor = 0          # grid points consumed (trained or screened out)
        self._points: Any = None

    def _next_points(self):
        if self._points is None:
            self._points = itertools.islice(enumerate_configs(self.run.space), self.cursor,
                                            None)
        return self._points

    def populate_space(self, trial_id):
        for cfg in self._next_points():
            self.cursor += 1
            cand = self.run.candidate(cfg)
            reason = self.run.screen(cand)
            if reason is None:
                self.run.claim(cand, trial_id)
                return {"status": RUNNING, "values": self.run.hypermodel.encode(cand.config)}
            self.run.skip(cand, reason)
        if self.ongoing_trials:
            return {"status": IDLE, "values": None}
        self.run.listener.message(f"grid exhausted: all {self.cursor} points seen")
        return {"status": STOPPED, "values": None}

    def get_state(self):
        state = super().get_state()
        state["grid_cursor"] = self.cursor
        return state

    def set_state(self, state):
        super().set_state(state)
        self.cursor = int(state.get("grid_cursor", 0))
        self._points = None


def grid_oracle(run: Any) -> kt.Oracle:
    return GridOracle(run, max_trials=run.settings.trials, **oracle_kwargs(run))
