"""The Keras Tuner adapter: every strategy is a Keras Tuner `Oracle`, run by one `ArchTuner`,
so trials, resume (the oracle's own state files) and distributed workers (KERASTUNER_TUNER_ID,
KERASTUNER_ORACLE_IP/PORT) work the same for all of them.

Hyperparameters are the space's decisions, named by their IR paths. A decision active under a
single conjunction of conditions gets Keras Tuner conditional scopes; one active under a
disjunction (an SE ratio used by either of two optional blocks) is scoped by the conditions all
its alternatives share. Values Keras Tuner proposes for inactive decisions are dropped by
`archspace.canonical`, so they never make two trials differ.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras_tuner as kt
from keras_tuner.src.engine import trial as trial_module

from ..ir import Space
from ..ir.decisions import Decision, decisions_of
from .rundir import atomic_write
from .trainer import TrialFailed

RUNNING = trial_module.TrialStatus.RUNNING


# ---- the search space as Keras Tuner hyperparameters ----------------------------------------
def _shared_conditions(d: Decision) -> list[tuple[str, tuple]]:
    """Conditions every alternative of `d.when` has (necessary for `d` to be active)."""
    if not d.when:
        return []
    sets = [{(c.path, tuple(c.values)) for c in conj} for conj in d.when]
    common = set.intersection(*sets)
    order = [(c.path, tuple(c.values)) for c in d.when[0]]
    return [c for c in order if c in common]


def _uniform(values: tuple) -> bool:
    return len({type(v) for v in values}) == 1 and type(values[0]) in (int, float, str, bool)


def declare(space: Space, hp: kt.HyperParameters | None = None) -> kt.HyperParameters:
    """Declare every decision of `space` in `hp` (a new HyperParameters by default)."""
    hp = hp or kt.HyperParameters()
    for d in decisions_of(space):
        if not d.when:            # never active (an unused param)
            continue
        conds = _shared_conditions(d)
        _declare_nested(hp, d, conds)
    return hp


def _declare_nested(hp: kt.HyperParameters, d: Decision, conds: list) -> None:
    if conds:
        (parent, values), rest = conds[0], conds[1:]
        with hp.conditional_scope(parent, list(values)):
            _declare_nested(hp, d, rest)
        return
    _declare_one(hp, d)


def _declare_one(hp: kt.HyperParameters, d: Decision) -> None:
    if d.kind == "bool":
        hp.Boolean(d.path, default=bool(d.default))
    elif d.kind == "int":
        if d.lo == d.hi:
            hp.Fixed(d.path, int(d.lo))
        else:
            hp.Int(d.path, int(d.lo), int(d.hi), step=int(d.step or 1), default=int(d.default))
    elif d.kind == "float":
        if d.lo == d.hi:
            hp.Fixed(d.path, float(d.lo))
        else:
            hp.Float(d.path, float(d.lo), float(d.hi), step=d.step or None,
                     sampling="log" if d.log else "linear", default=float(d.default))
    else:
        values = tuple(d.values or ())
        if len(values) == 1:
            hp.Fixed(d.path, values[0])
        elif _uniform(values):
            hp.Choice(d.path, list(values), default=d.default)
        else:   # mixed types (choice(1, 2.5, auto)): Keras Tuner wants one type; use the text
            hp.Choice(d.path, [str(v) for v in values], default=str(d.default))


def decode(space: Space, values: dict[str, Any]) -> dict[str, Any]:
    """Keras Tuner values -> decision values (undo the text encoding of mixed choices)."""
    by_path = decisions_of(space).by_path()
    out = dict(values)
    for k, v in values.items():
        d = by_path.get(k)
        if d is not None and d.kind == "choice" and isinstance(v, str) and \
                not _uniform(tuple(d.values or ("",))):
            out[k] = next((x for x in d.values or () if str(x) == v), v)
    return out


# ---- oracle mixins --------------------------------------------------------------------------
class Robust:
    """Resume fixes shared by every strategy's oracle:

    - a trial left RUNNING by a kill (trial.json written, oracle.json not yet) is re-queued,
      not orphaned;
    - a trial whose result is already on disk (killed between the trial file and the oracle's
      own save) is never handed out again.
    """

    run: Any

    # Keras Tuner writes its JSON in place: a kill mid-write would leave a torn file that
    # stops the resume. Write both the oracle's state and each trial.json atomically.
    def save(self):
        atomic_write(Path(self._get_oracle_fname()), json.dumps(self.get_state()))

    def _save_trial(self, trial):
        path = Path(self._get_trial_dir(trial.trial_id)) / "trial.json"
        atomic_write(path, json.dumps(trial.get_state()))

    def reload(self):
        super().reload()
        queued = set(self._retry_queue) | {t.trial_id for t in self.ongoing_trials.values()}
        for t in sorted(self.trials.values(), key=lambda t: t.trial_id):
            if t.status == RUNNING and t.trial_id not in queued:
                self._retry_queue.append(t.trial_id)

    @kt.synchronized
    def create_trial(self, tuner_id):
        keep = []
        for tid in self._retry_queue:
            t = self.trials.get(tid)
            if t is not None and t.status in ("COMPLETED", "FAILED"):
                continue
            keep.append(tid)
        self._retry_queue = keep
        return super().create_trial(tuner_id)


class Screened(Robust):
    """Static screening of Keras Tuner's proposals: no trial is created for a configuration
    that breaks a static constraint, does not build, or was already trained in this run."""

    def _random_values(self):
        for _ in range(self.run.max_proposals):
            values = super()._random_values()
            if values is None:
                return None
            cand = self.run.candidate(decode(self.run.space, values))
            reason = self.run.screen(cand)
            if reason is None:
                return values
            self.run.skip(cand, reason)
            self._tried_so_far.add(self._compute_values_hash(values))
        self.run.listener.message(f"no new feasible architecture in {self.run.max_proposals} "
                                  "proposals: the space looks exhausted")
        return None

    def populate_space(self, trial_id):
        response = super().populate_space(trial_id)
        if response.get("status") != RUNNING:
            return response
        values = response["values"]
        if "tuner/trial_id" in values:          # a Hyperband round continuing a trial
            return response
        cand = self.run.candidate(decode(self.run.space, values))
        reason = self.run.screen(cand)
        if reason is not None:                  # a model-based proposal (Bayesian) screened out
            self.run.skip(cand, reason)
            values = self._random_values()
            if values is None:
                return {"status": trial_module.TrialStatus.STOPPED, "values": None}
            response = {"status": RUNNING, "values": values}
            cand = self.run.candidate(decode(self.run.space, values))
        self.run.claim(cand, trial_id)
        return response


def oracle_kwargs(run: Any) -> dict[str, Any]:
    s = run.settings
    return dict(objective=kt.Objective(s.primary.metric, s.primary.direction),
                hyperparameters=declare(run.space), seed=s.seed + 1,
                max_retries_per_trial=0, max_consecutive_failed_trials=s.max_failures)


# ---- the tuner ------------------------------------------------------------------------------
class ArchTuner(kt.Tuner):
    """Runs trials through `SearchRun.run_trial` (no HyperModel build: the model is compiled
    from the canonical configuration after static screening)."""

    def __init__(self, oracle: kt.Oracle, run: Any):
        self.run = run
        os.makedirs(run.dir.path, exist_ok=True)
        super().__init__(oracle=oracle, hypermodel=None, directory=str(run.dir.path),
                         project_name="tuner", overwrite=False)

    def search(self, *args, **kwargs):
        # the trial's reason is in its trial file; Keras Tuner's DEBUG prints every traceback
        from keras_tuner.src import config as kt_config

        saved, kt_config.DEBUG = kt_config.DEBUG, False
        try:
            return super().search(*args, **kwargs)
        finally:
            kt_config.DEBUG = saved

    def run_trial(self, trial, *args, **kwargs):
        values = decode(self.run.space, dict(trial.hyperparameters.values))
        try:
            return self.run.run_trial(trial.trial_id, values)
        except TrialFailed as e:
            raise kt.errors.FailedTrialError(str(e)) from None

    def on_trial_end(self, trial):
        super().on_trial_end(trial)          # the oracle has saved the trial's end
        self.run.after_trial()               # may raise Restart (memory), state is on disk

    def save(self):
        if not self._is_worker():
            self.oracle.save()
        atomic_write(Path(self._get_tuner_fname()), json.dumps(self.get_state()))

    def save_model(self, trial_id, model, step=0):
        pass

    def load_model(self, trial):
        raise NotImplementedError("the best model is in runs/NAME/best/model.keras")


__all__ = ["ArchTuner", "declare", "decode", "Robust", "Screened", "oracle_kwargs"]
