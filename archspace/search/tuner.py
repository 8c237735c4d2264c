"""The Keras Tuner adapter: every strategy is a Keras Tuner `Oracle`, run by one `ArchTuner`,
so trials, resume (the oracle's own state files) and distributed workers (KERASTUNER_TUNER_ID,
KERASTUNER_ORACLE_IP/PORT) work the same for all of them.

The search space is the HyperModel users get from `archspace.to_hypermodel(space)`
(`SearchRun.hypermodel`): oracles get the hyperparameters its `declare_hyperparameters`
declares (named by IR path, conditional scopes as documented in `compile/hypermodel.py`), the
tuner holds it as its `hypermodel`, and every trial's decisions are read through its lazy
declaration (`graph(hp)`). Values Keras Tuner proposes for inactive decisions are dropped by
`archspace.canonical`, so they never make two trials differ.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras_tuner as kt

from ..errors import ArchError
from . import kt_adapter as kta
from .kt_adapter import RUNNING
from .rundir import atomic_write
from .trainer import TrialFailed, TrialInterrupted


# ---- oracle mixins --------------------------------------------------------------------------
class Robust(kta.OracleHooks):
    """Resume fixes shared by every strategy's oracle:

    - a trial left RUNNING by a kill (trial.json written, oracle.json not yet) is re-queued,
      not orphaned;
    - a trial whose result is already on disk (killed between the trial file and the oracle's
      own save) is never handed out again.
    """

    run: Any

    # Keras Tuner writes its JSON in place: a kill mid-write would leave a torn file that
    # stops the resume. Write both the oracle's state and each trial.json atomically.
    def save_state_file(self, path: str, text: str) -> None:
        atomic_write(Path(path), text)

    def save_trial_file(self, path: str, text: str) -> None:
        atomic_write(Path(path), text)

    def reload(self):
        super().reload()
        queue = kta.retry_queue(self)
        queued = set(queue) | {t.trial_id for t in self.ongoing_trials.values()}
        for t in sorted(self.trials.values(), key=lambda t: t.trial_id):
            if t.status == RUNNING and t.trial_id not in queued:
                queue.append(t.trial_id)

    @kta.synchronized
    def create_trial(self, tuner_id):
        keep = []
        for tid in kta.retry_queue(self):
            t = self.trials.get(tid)
            if t is not None and t.status in ("COMPLETED", "FAILED"):
                continue
            keep.append(tid)
        kta.set_retry_queue(self, keep)
        return super().create_trial(tuner_id)


class Screened(Robust):
    """Static screening of Keras Tuner's proposals: no trial is created for a configuration
    that breaks a static constraint, does not build, or was already trained in this run."""

    def screen_random(self, draw):
        for _ in range(self.run.max_proposals):
            values = draw()
            if values is None:
                return None
            cand = self.run.candidate(self.run.hypermodel.decode(values))
            reason = self.run.screen(cand)
            if reason is None:
                return values
            self.run.skip(cand, reason)
            kta.mark_tried(self, values)
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
        cand = self.run.candidate(self.run.hypermodel.decode(values))
        reason = self.run.screen(cand)
        if reason is not None:                  # a model-based proposal screened out
            self.run.skip(cand, reason)
            values = self.random_values()
            if values is None:
                return {"status": kta.STOPPED, "values": None}
            response = {"status": RUNNING, "values": values}
            cand = self.run.candidate(self.run.hypermodel.decode(values))
        self.run.claim(cand, trial_id)
        return response


def declared_space(run: Any) -> kt.HyperParameters:
    """The oracle's search space: every decision, declared by the run's HyperModel."""
    hp = kt.HyperParameters()
    run.hypermodel.declare_hyperparameters(hp)
    return hp


def oracle_seed(seed: int) -> int:
    """Keras Tuner's random sampler seeds sample k with seed + k, so seeds 0 and 2 would draw
    nearly the same sequence shifted by two: spread the run's seeds over [1, 2**31)."""
    return (int(seed) * 2654435761 + 1) % (2**31 - 1) + 1


def oracle_kwargs(run: Any) -> dict[str, Any]:
    # failures in a row are counted by SearchRun (it stops the search itself), so Keras
    # Tuner's own limit, which it reports only through an error message, never triggers
    s = run.settings
    return dict(objective=kt.Objective(s.primary.metric, s.primary.direction),
                hyperparameters=declared_space(run), seed=oracle_seed(s.seed),
                max_retries_per_trial=0, max_consecutive_failed_trials=10**9)


# ---- the tuner ------------------------------------------------------------------------------
class ArchTuner(kta.TunerHooks, kt.Tuner):
    """Runs trials through `SearchRun.run_trial`. Its `hypermodel` is the run's (the one
    `to_hypermodel` returns): a trial's decisions are what its lazy declaration reads from the
    trial's hyperparameters; the model is then built from that configuration, after static
    screening, by `to_keras` (the HyperModel's own graph-to-Keras build)."""

    def __init__(self, oracle: kt.Oracle, run: Any):
        self.run = run
        os.makedirs(run.dir.path, exist_ok=True)
        super().__init__(oracle=oracle, hypermodel=run.hypermodel, directory=str(run.dir.path),
                         project_name="tuner", overwrite=False)

    def declare_space(self):
        # Keras Tuner would build models until every conditional scope has been active; the
        # HyperModel declares the whole space up front, so declaring is enough
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def trial_values(self, trial) -> dict[str, Any]:
        """The trial's decisions, read through the HyperModel's lazy declaration, plus the
        tuner's own values (`tuner/epochs`, `pymoo/generation` ...)."""
        hp = trial.hyperparameters.copy()
        hm = self.hypermodel
        extra = {k: v for k, v in hp.values.items() if k not in hm.by_path}
        try:
            return {**extra, **hm.graph(hp).config}
        except ArchError:   # does not build: run_trial records why (the candidate's error)
            return {**extra, **hm.decode(hp.values)}

    def search(self, *args, **kwargs):
        with kta.quiet_tracebacks():     # the trial's reason is in its trial file
            return super().search(*args, **kwargs)

    def run_trial(self, trial, *args, **kwargs):
        values = self.trial_values(trial)
        try:
            return self.run.run_trial(trial.trial_id, values)
        except TrialFailed as e:
            raise kta.FailedTrialError(str(e)) from None
        except TrialInterrupted as e:     # archspace's own bug: stop, do not go on
            raise SearchStopped(e) from e.__cause__

    def on_trial_end(self, trial):
        super().on_trial_end(trial)          # the oracle has saved the trial's end
        self.run.after_trial()               # may raise Restart (memory), state is on disk

    def save(self):
        if not self.is_worker():
            self.oracle.save()
        atomic_write(Path(self.tuner_file()), json.dumps(self.get_state()))

    def save_model(self, trial_id, model, step=0):
        pass

    def load_model(self, trial):
        raise NotImplementedError("the best model is in runs/NAME/best/model.keras")


class SearchStopped(kta.FatalError):
    """Carries a TrialInterrupted through Keras Tuner's loop (its fatal errors end the
    search instead of marking the trial failed)."""

    def __init__(self, error: TrialInterrupted):
        super().__init__(str(error))
        self.error = error


__all__ = ["ArchTuner", "SearchStopped", "Robust", "Screened", "declared_space", "oracle_kwargs"]
