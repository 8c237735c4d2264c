"""Keras Tuner's random search, Hyperband and Bayesian optimisation, with the paper's settings
(Bayesian alpha 0.001, beta 2.6, 2 initial points; Hyperband max_epochs = the trial epochs,
factor 3), every proposal screened statically before a trial is created."""

from __future__ import annotations

import warnings
from typing import Any

import keras_tuner as kt
import numpy as np

from .. import kt_adapter as kta
from ..tuner import Screened, oracle_kwargs


class RandomOracle(Screened, kt.oracles.RandomSearchOracle):
    pass


class HyperbandOracle(Screened, kt.oracles.HyperbandOracle):
    pass


class PooledUCB:
    """Keras Tuner's Gaussian process, with a cheaper way to pick where to look next.

    Keras Tuner minimises the upper confidence bound from 50 random starts with L-BFGS-B on
    numerical gradients (one GP prediction per dimension per step: tens of seconds over the
    30-odd genes of a micro-design space), then hands the optimum over whether or not it is a
    new, feasible architecture. Here the bound is computed for a pool of random points and of
    neighbours of the best trials in one vectorised prediction, and the best-scoring point
    that passes static screening (new, within the constraints) is proposed. The pool is drawn
    from a generator seeded by (seed, trial number), so a resumed search proposes the same."""

    #: random points of [0, 1]^d and neighbours of the best trials scored per proposal
    pool = 2000
    neighbours = 500
    #: of these, the best-scoring ones screened before falling back to a random proposal
    screened = 200
    #: restarts of the GP's kernel fit. Keras Tuner's 20 fit the one length scale of its
    #: Matern kernel 21 times over; the restarts come from the seeded GP's own generator, so
    #: fits stay reproducible
    gp_restarts = 2
    #: the kernel's length scale is fitted on at most this many trials (the best half of them
    #: and a seeded sample of the rest), then the GP on all of them with that kernel: each step
    #: of the fit is a Cholesky factorisation, O(trials^3), 40-odd steps a fit (over 1 s a
    #: proposal past 150 trials when fitted on all)
    gp_fit_trials = 80

    def populate_space(self, trial_id):
        done = [t for t in self.trials.values() if t.status == "COMPLETED"]
        if len(done) < max(1, self.num_initial_points):
            values = self.random_values()
            return {"status": kta.STOPPED if values is None else kta.RUNNING, "values": values}
        x, y = kta.gp_training_set(self)
        x = np.nan_to_num(x, posinf=0, neginf=0)
        y = np.nan_to_num(y, posinf=0, neginf=0)
        with warnings.catch_warnings():   # the GP's length-scale bound notes, on every fit
            warnings.simplefilter("ignore")
            self._fit_gp(x, y, len(self.trials))
            pool = self._pool(x, y, len(self.trials))
            mu, sigma = self.gpr.predict(pool, return_std=True)
        ucb = np.asarray(mu).ravel() - self.beta * np.asarray(sigma).ravel()
        for i in np.argsort(ucb, kind="stable")[: self.screened]:
            values = kta.gp_values(self, pool[i])
            cand = self.run.candidate(self.run.hypermodel.decode(values))
            if self.run.screen(cand) is None:
                return {"status": kta.RUNNING, "values": values}
        values = self.random_values()     # nothing new near the optimum: explore
        if values is None:
            return {"status": kta.STOPPED, "values": None}
        return {"status": kta.RUNNING, "values": values}

    def _fit_gp(self, x: np.ndarray, y: np.ndarray, number: int) -> None:
        gpr = self.gpr
        gpr.n_restarts_optimizer = self.gp_restarts
        if len(x) <= self.gp_fit_trials:
            gpr.fit(x, y)
            return
        rng = np.random.default_rng([int(self.seed or 0), number, 1])
        order = np.argsort(y, kind="stable")           # minimised: the best first
        half = self.gp_fit_trials // 2
        rest = rng.choice(order[half:], self.gp_fit_trials - half, replace=False)
        pick = np.concatenate([order[:half], rest])
        gpr.fit(x[pick], y[pick])
        kernel, optimizer = gpr.kernel, gpr.optimizer
        gpr.kernel, gpr.optimizer = gpr.kernel_, None    # that length scale, every trial
        try:
            gpr.fit(x, y)
        finally:           # the next fit starts from Keras Tuner's kernel again (resume)
            gpr.kernel, gpr.optimizer = kernel, optimizer

    def _pool(self, x: np.ndarray, y: np.ndarray, number: int) -> np.ndarray:
        rng = np.random.default_rng([int(self.seed or 0), number])
        d = x.shape[1]
        pool = [rng.random((self.pool, d))]
        if len(x):       # neighbours of the best few: a gene or two moved
            best = x[np.argsort(y)[:5]]
            near = best[rng.integers(0, len(best), self.neighbours)].copy()
            moved = rng.random(near.shape) < 2.0 / max(1, d)
            near[moved] = rng.random(int(moved.sum()))
            pool.append(near)
        return np.concatenate(pool)


class BayesianOracle(Screened, PooledUCB, kt.oracles.BayesianOptimizationOracle):
    pass


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
    o = BayesianOracle(max_trials=s.trials, num_initial_points=max(1, s.initial_points),
                       alpha=s.alpha, beta=s.beta, **oracle_kwargs(run))
    return _attach(o, run)
