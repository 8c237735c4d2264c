"""Keras Tuner's random search, Hyperband and Bayesian optimisation, with the paper's settings
(Bayesian alpha 0.001, beta 2.6, 2 initial points; Hyperband max_epochs = the trial epochs,
factor 3), every proposal screened statically before a trial is created."""

from __future__ import annotations

import warnings
from typing import Any

import keras_tuner as kt

from ..tuner import Screened, oracle_kwargs


class RandomOracle(Screened, kt.oracles.RandomSearchOracle):
    pass


class HyperbandOracle(Screened, kt.oracles.HyperbandOracle):
    pass


class BayesianOracle(Screened, kt.oracles.BayesianOptimizationOracle):
    def populate_space(self, trial_id):
        with warnings.catch_warnings():   # the GP's length-scale bound notes, on every fit
            warnings.simplefilter("ignore")
            return super().populate_space(trial_id)


def _attach(oracle: Any, run: Any) -> Any:
    oracle.run = run
    return oracle


def random_oracle(run: Any) -> kt.Oracle:
    return _attach(RandomOracle(max_trials=run.settings.trials, **oracle_kwargs(run)), run)


def hyperband_oracle(run: Any) -> kt.Oracle:
    s = run.settings
    o = HyperbandOracle(max_epochs=max(1, s.max_epochs), factor=max(2, s.factor),
                        hyperband_iterations=10**9, **oracle_kwargs(run))
    o.max_trials = s.trials          # the trial budget, as for every strategy
    return _attach(o, run)


def bayesian_oracle(run: Any) -> kt.Oracle:
    s = run.settings
    return _attach(BayesianOracle(max_trials=s.trials, num_initial_points=max(1, s.initial_points),
                                  alpha=s.alpha, beta=s.beta, **oracle_kwargs(run)), run)
