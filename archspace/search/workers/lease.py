"""Leases on the chief's oracle: who runs which trial, since when, last heard of when.

Keras Tuner's chief keeps `ongoing_trials` (worker id -> trial) and nothing else: a worker that
dies keeps its trial forever. `Leased` is mixed into whatever oracle the strategy made (random,
Bayesian, grid, pymoo's NSGA-II ...) when the search serves workers. A trial handed out gets a
lease; the worker renews it with a heartbeat, sent through Keras Tuner's own `UpdateTrial`
call with the metric `HEARTBEAT` (never recorded as a metric); the chief takes a trial back
(`lose`) when its worker died, timed out or stopped renewing. A trial lost once is re-queued
(Keras Tuner's retry queue, so the next worker to ask runs it); lost twice, it is recorded as
failed with the reason, and the search goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import keras_tuner as kt

from .. import kt_adapter as kta
from .heartbeat import EPOCH, EPOCHS, HEARTBEAT, LOG, WORKER, worker_code

#: a trial may be lost this many times and be re-queued; once more and it is failed
REQUEUES = 1


@dataclass
class Lease:
    trial_id: str
    tuner_id: str
    started: float
    renewed: float
    epoch: int = 0
    epochs: int = 0
    logs: dict[str, float] = field(default_factory=dict)


class Leased:
    """Mixed into the chief's oracle by `lease_oracle`."""

    leases: dict[str, Lease]
    lost: dict[str, int]
    stopped: bool
    gave_up: str | None
    #: called (trial, reason) before a lost trial is ended as failed: writes its trial file
    on_failed: Callable[[Any, str], None] | None

    @kt.synchronized
    def create_trial(self, tuner_id):
        trial = super().create_trial(tuner_id)
        if trial.status == kta.TrialStatus.RUNNING:
            lease = self.leases.get(trial.trial_id)
            if lease is None or lease.tuner_id != tuner_id:
                now = time.time()
                self.leases[trial.trial_id] = Lease(trial.trial_id, tuner_id, now, now)
        elif trial.status == kta.TrialStatus.STOPPED:
            self.stopped = True
        return trial

    @kt.synchronized
    def update_trial(self, trial_id, metrics, step=0):
        if HEARTBEAT not in metrics:
            return super().update_trial(trial_id, metrics, step=step)
        lease = self.leases.get(trial_id)
        if lease is None or worker_code(lease.tuner_id) != metrics.get(WORKER):
            # taken back: tell the worker to stop (it exits without reporting)
            return kta.Trial(self.get_space(), trial_id=trial_id,
                             status=kta.TrialStatus.STOPPED)
        lease.renewed = time.time()
        lease.epoch = int(metrics.get(EPOCH, lease.epoch))
        lease.epochs = int(metrics.get(EPOCHS, lease.epochs))
        lease.logs = {k[len(LOG):]: v for k, v in metrics.items() if k.startswith(LOG)}
        return self.trials[trial_id]

    @kt.synchronized
    def end_trial(self, trial):
        self.leases.pop(trial.trial_id, None)
        try:
            super().end_trial(trial)
        except RuntimeError as e:
            if "consecutive failures" not in str(e):
                raise
            self.gave_up = str(e).splitlines()[0]
            raise

    # ---- the chief's side ----------------------------------------------------------------
    @kt.synchronized
    def held_by(self, tuner_id: str) -> str | None:
        t = self.ongoing_trials.get(tuner_id)
        return t.trial_id if t is not None else None

    @kt.synchronized
    def expired(self, lease_s: float, timeout_s: float | None) -> list[tuple[Lease, str]]:
        """Leases whose worker stopped renewing them, or whose trial ran past the limit."""
        now, out = time.time(), []
        for lease in list(self.leases.values()):
            if timeout_s and now - lease.started > timeout_s:
                out.append((lease, f"timed out after {timeout_s:g}s (--trial-timeout)"))
            elif now - lease.renewed > lease_s:
                out.append((lease, f"worker {lease.tuner_id} stopped answering "
                                   f"(no heartbeat for {lease_s:g}s)"))
        return out

    @kt.synchronized
    def lose(self, trial_id: str, reason: str) -> str:
        """Take a trial back from its worker: 're-queued' the first time, else 'failed'."""
        self.leases.pop(trial_id, None)
        for tuner_id, t in list(self.ongoing_trials.items()):
            if t.trial_id == trial_id:
                self.ongoing_trials.pop(tuner_id)
        trial = self.trials.get(trial_id)
        if trial is None or trial.status in ("COMPLETED", "FAILED"):
            return "done"
        self.lost[trial_id] = self.lost.get(trial_id, 0) + 1
        if self.lost[trial_id] <= REQUEUES:
            kta.requeue(self, trial_id)
            self.save()
            return "re-queued"
        if self.on_failed is not None:
            self.on_failed(trial, reason)
        ended = kta.Trial(trial.hyperparameters, trial_id=trial_id,
                          status=kta.TrialStatus.FAILED)
        ended.message = reason
        try:
            self.end_trial(ended)
        except RuntimeError as e:       # that failure was one too many in a row
            self.gave_up = self.gave_up or str(e).splitlines()[0]
        return "failed"

    @kt.synchronized
    def waiting(self) -> bool:
        """Trials waiting to be run again."""
        return any(self.trials.get(t) is not None and
                   self.trials[t].status not in ("COMPLETED", "FAILED")
                   for t in kta.retry_queue(self))

    @kt.synchronized
    def pending(self) -> bool:
        """Trials running or waiting to be run again."""
        return self.waiting() or any(t.status not in ("COMPLETED", "FAILED")
                                     for t in self.ongoing_trials.values())


def lease_oracle(oracle: Any, on_failed: Callable[[Any, str], None] | None = None) -> Any:
    """Give this oracle (of any strategy) leases, in place."""
    cls = oracle.__class__
    oracle.__class__ = type(f"Leased{cls.__name__}", (Leased, cls), {})
    oracle.leases, oracle.lost, oracle.stopped, oracle.gave_up = {}, {}, False, None
    oracle.on_failed = on_failed
    # no worker holds anything yet: what a killed run left "ongoing" is run again
    for t in oracle.ongoing_trials.values():
        if t.status not in ("COMPLETED", "FAILED"):
            kta.requeue(oracle, t.trial_id)
    oracle.ongoing_trials.clear()
    return oracle


__all__ = ["Leased", "Lease", "lease_oracle", "worker_code", "HEARTBEAT", "WORKER", "EPOCH",
           "EPOCHS", "LOG"]
