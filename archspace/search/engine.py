"""One search: the facade `search()` and the `SearchRun` every strategy talks to.

The strategy (a Keras Tuner oracle: random, hyperband, bayesian, grid, or pymoo's ask/tell)
proposes decision values; `SearchRun.screen` measures each proposal statically (no model is
built) and turns away oversized, shape-broken and already-trained architectures; the tuner then
calls `SearchRun.run_trial`, which trains, writes the trial file and keeps the best model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ArchError
from ..ir import Space
from ..ir.decisions import decisions_of
from .candidates import Candidate, make_candidate, plain
from .data import Data, load_data, n_classes
from .events import Listener, PrintListener, Quiet
from .rundir import RunDir
from .settings import Settings, resolve
from .trainer import TrialFailed, TrialInterrupted, fit_config, internal_error, where

#: trial statuses that end a trial for good (an interrupted one runs again on resume)
FINISHED = ("completed", "failed")


@dataclass
class SearchResult:
    out: Path
    settings: Settings
    trials: list[dict[str, Any]]
    best: dict[str, Any] | None
    pareto: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    files: dict[str, Path] = field(default_factory=dict)
    #: stopped early to be resumed in a fresh process (see search(max_memory_growth_mb=))
    restart: bool = False

    @property
    def completed(self) -> list[dict[str, Any]]:
        return [t for t in self.trials if t["status"] == "completed"]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [t for t in self.trials if t["status"] == "failed"]

    def __repr__(self) -> str:
        best = self.best and {k: round(v, 4) if isinstance(v, float) else v
                              for k, v in self.best["objectives"].items()}
        return (f"SearchResult(out={str(self.out)!r}, trials={len(self.trials)}, "
                f"completed={len(self.completed)}, failed={len(self.failed)}, "
                f"skipped={self.skipped}, best={best})")


class Restart(Exception):
    """Raised between trials when the process should be restarted (memory); the search
    resumes from its run directory."""


class TooManyFailures(Exception):
    """Raised between trials once `max_failures` trials in a row have failed."""


def rss_mb() -> float | None:
    """This process's memory in MB, None where the platform cannot tell (workers/memory.py)."""
    from .workers.memory import rss_mb as measure

    return measure()


class SearchRun:
    """State shared by the strategy (oracle), the tuner and the run directory."""

    #: proposals a strategy may draw in a row without finding a new feasible architecture
    max_proposals = 500
    #: --prescreen PROXY:F trains a proposal whose proxy ranks in the top F of this many
    #: latest proposals (itself included)
    prescreen_window = 10

    def __init__(self, space: Space, settings: Settings, data: Data, run: RunDir,
                 listener: Listener | None = None, *, tensorboard: bool = True,
                 max_memory_growth_mb: float | None = None, space_id: str | None = None):
        self.space = space
        #: the content hash of the space as given (before fit_outputs), for best/config.json
        self.space_id = space_id or space_hash(space)
        self.settings = settings
        self.data = data
        self.dir = run
        self.listener = listener or Quiet()
        self.tensorboard = tensorboard
        self.paths = {d.path for d in decisions_of(space)}
        self.claims: dict[str, str] = {}
        self._cands: dict[str, Candidate] = {}
        self.best: dict[str, Any] | None = None
        self.skipped = 0
        self.keep_checkpoints = settings.strategy == "hyperband"
        self.max_memory_growth_mb = max_memory_growth_mb
        self.rss0 = rss_mb()
        self.restart = False
        rule = settings.prescreen_rule
        #: the latest proxy scores --prescreen ranks against, and its verdict per architecture;
        #: both come back on resume (the window from its file, the verdicts from the skips)
        self._prescreened: list[float] = run.prescreen_window(rule[0]) if rule else []
        self._verdicts: dict[str, str | None] = {
            r["hash"]: r["reason"] for r in (run.skips() if rule else [])
            if r.get("kind") == "prescreen" and r.get("hash")}
        #: trials with a final result, counted as they end (the folder is read once, here)
        self.finished: set[str] = set()
        self.failures_in_row = 0
        for r in run.trials():
            if r.get("status") not in FINISHED:
                continue
            self.finished.add(r["trial_id"])
            if r.get("hash") and not r.get("continues"):
                self.claims.setdefault(r["hash"], r["trial_id"])
            self._consider_best(r, None)

    # ---- screening -------------------------------------------------------------------------
    def candidate(self, values: Mapping[str, Any]) -> Candidate:
        vals = {k: plain(v) for k, v in values.items() if k in self.paths}
        key = json.dumps(vals, sort_keys=True, default=str)
        c = self._cands.get(key)
        if c is None:
            c = make_candidate(self.space, vals, self.settings)
            if len(self._cands) > 50_000:
                self._cands.clear()
            self._cands[key] = c
        return c

    def screen(self, cand: Candidate) -> str | None:
        """Why this proposal must not be trained, or None."""
        if cand.error:
            return cand.error
        if cand.violations:
            return "; ".join(cand.violations)
        if cand.hash in self.claims:
            return f"duplicate of trial {self.claims[cand.hash]}"
        rule = self.settings.prescreen_rule
        if rule is not None:
            return self._prescreen(cand, *rule)
        return None

    def proxies_of(self, cand: Candidate) -> dict[str, float]:
        """The run's zero-cost proxies of an architecture at initialisation, on one fixed
        minibatch, with weights seeded by its hash: a property of the architecture and the
        data (the same on every call, after a resume, in another search of this process)."""
        from .proxies import CACHE, minibatch

        names = tuple(self.settings.proxies)
        key = (cand.hash, self.data.summary(), names)   # the hash covers the space
        got = CACHE.get(key)
        if got is None:
            from .trainer import proxy_scores

            if getattr(self, "_batch", None) is None:
                self._batch = minibatch(self.data)
            got = proxy_scores(self.space, cand.config, self.data, list(names),
                               seed=int(cand.hash[:8], 16) % 2**31, batch=self._batch)
            CACHE.put(key, got)
        return dict(got)

    def _prescreen(self, cand: Candidate, proxy: str, fraction: float) -> str | None:
        """Train only the proposals whose proxy ranks in the top `fraction` of the latest
        `prescreen_window` proposals: a streaming form of "the better part of each batch"."""
        if cand.hash in self._verdicts:      # screened twice (a strategy re-checks)
            return self._verdicts[cand.hash]
        try:
            score = self.proxies_of(cand)[proxy]
        except TrialFailed:
            return None        # training will say why it fails
        window = (self._prescreened + [score])[-self.prescreen_window:]
        self._prescreened = window
        self.dir.save_prescreen_window(proxy, window)
        keep = max(1, round(fraction * len(window)))
        rank = sum(1 for v in window if v > score)
        verdict = None if rank < keep else (
            f"prescreen: {proxy} {score:.4g} is not in the top {fraction:.0%} of the last "
            f"{len(window)} proposals")
        self._verdicts[cand.hash] = verdict
        return verdict

    def claim(self, cand: Candidate, trial_id: str) -> None:
        self.claims.setdefault(cand.hash, trial_id)

    def skip(self, cand: Candidate, reason: str, **extra: Any) -> None:
        record = {"hash": cand.hash, "reason": reason, "kind": _skip_kind(reason),
                  "config": cand.config, "time": time.time(), **cand.static, **extra}
        self.skipped += 1
        self.dir.add_skip(record)
        self.listener.skipped(record)

    @property
    def hypermodel(self) -> Any:
        """The space's Keras Tuner HyperModel, the one `archspace.to_hypermodel` returns: the
        oracle's hyperparameters and every trial's decisions come from it (search/tuner.py)."""
        if getattr(self, "_hypermodel", None) is None:
            from ..compile.hypermodel import to_hypermodel

            self._hypermodel = to_hypermodel(self.space)
        return self._hypermodel

    def attach(self, oracle: Any) -> None:
        """Claim every architecture the (possibly reloaded) oracle has handed out."""
        for t in getattr(oracle, "trials", {}).values():
            values = t.hyperparameters.values
            if "tuner/trial_id" in values:
                continue
            c = self.candidate(self.hypermodel.decode(values))
            if c.hash:
                self.claims.setdefault(c.hash, t.trial_id)

    # ---- training --------------------------------------------------------------------------
    def run_trial(self, trial_id: str, values: Mapping[str, Any]) -> dict[str, float]:
        """Train one trial (or return the stored result of one that already finished)."""
        done = self.dir.trial(trial_id)
        if done is not None and done.get("status") in FINISHED:
            if done["status"] == "completed":
                return tuner_metrics(done)
            raise TrialFailed(done.get("reason", "failed"))
        s = self.settings
        cand = self.candidate(values)
        continues = values.get("tuner/trial_id")
        self.dir.clear_logs(trial_id)      # a killed attempt's events must not stay beside these
        per_config = s.epochs
        if s.sources.get("epochs") == "searched" and not cand.error:   # train/epochs = choice(..)
            from ..compile.training import train_settings

            per_config = train_settings(self.space, cand.config).epochs
        epochs = int(values.get("tuner/epochs", per_config))
        initial = int(values.get("tuner/initial_epoch", 0))
        init = None
        if continues is not None:
            ck = self.dir.checkpoint(str(continues))
            if ck.exists():
                init = ck
            else:
                initial = 0
        number = _number(trial_id)
        record: dict[str, Any] = {
            "trial_id": trial_id, "number": number, "status": "running",
            "strategy": s.strategy, "hash": cand.hash, "config": cand.config,
            **{k: cand.static.get(k) for k in ("params", "trainable_params", "bytes", "macs")},
            "continues": continues, "started": time.time(),
        }
        for k in ("pymoo/generation", "tuner/bracket", "tuner/round"):
            if k in values:
                record[k.split("/")[1]] = plain(values[k])
        self.listener.trial_start({"trial_id": trial_id, "number": number, "epochs": epochs,
                                   "initial_epoch": initial, "hash": cand.hash,
                                   "params": cand.static.get("params"), "config": cand.config,
                                   "total": s.trials})
        t0 = time.perf_counter()
        try:
            if cand.error:
                raise TrialFailed(cand.error)
            try:
                if s.needs_training:
                    fr = self._fit(trial_id, cand, epochs, initial, init, number)
                else:     # proxies and static metrics only: nothing to train
                    from .trainer import FitResult

                    fr = FitResult(history={}, best_epoch=-1, metrics={}, epochs_run=0,
                                   build_s=0.0, fit_s=0.0, batch_size=0)
                if s.proxies:
                    t1 = time.perf_counter()
                    fr.metrics.update(self.proxies_of(cand))
                    fr.build_s += time.perf_counter() - t1
            except (TrialFailed, TrialInterrupted, KeyboardInterrupt, SystemExit):
                raise
            except Exception as e:
                if internal_error(e):     # our bug, not the model's failure: stop
                    raise TrialInterrupted(f"internal error: {type(e).__name__}: {e} (at "
                                           f"{where(e)}; a bug in archspace, not in the "
                                           "model)") from e
                text = str(e).strip().splitlines()
                raise TrialFailed(f"{type(e).__name__}: {text[0][:300] if text else ''}") from e
        except TrialFailed as e:
            record.update(status="failed", reason=str(e), time_s=time.perf_counter() - t0,
                          ended=time.time(), feasible=False)
            self._ended(record)
            raise
        except TrialInterrupted as e:
            record.update(status="interrupted", reason=str(e), ended=time.time())
            self.dir.write_trial(record)
            raise TrialInterrupted(f"trial {trial_id} stopped the search: {e}; it is marked "
                                   "interrupted and runs again when the search resumes"
                                   ) from e.__cause__
        objectives: dict[str, float] = {}
        for o in s.objectives:
            if o.static:
                objectives[o.metric] = cand.static[o.metric]
            elif o.metric in fr.metrics:
                objectives[o.metric] = float(fr.metrics[o.metric])
            else:
                reason = (f"objective '{o.metric}' was not logged (logged: "
                          f"{', '.join(sorted(fr.metrics)) or 'nothing'})")
                record.update(status="failed", reason=reason, time_s=time.perf_counter() - t0,
                              ended=time.time(), feasible=False)
                self._ended(record)
                raise TrialFailed(reason)
        broken = []
        for c in s.constraints:
            value = cand.static.get(c.metric) if c.static else fr.metrics.get(c.metric)
            if value is not None and not c.ok(float(value)):
                broken.append(f"{c.metric} {value:g} breaks {c}")
        record.update(
            status="completed", objectives=objectives, metrics=fr.metrics,
            feasible=not broken, violations=broken, epochs_run=fr.epochs_run,
            best_epoch=initial + fr.best_epoch + 1, batch_size=fr.batch_size,
            build_s=round(fr.build_s, 3), fit_s=round(fr.fit_s, 3),
            time_s=round(time.perf_counter() - t0, 3), ended=time.time(),
            history=fr.history)
        if self.keep_checkpoints and fr.model is not None:
            ck = self.dir.checkpoint(trial_id)
            ck.parent.mkdir(exist_ok=True)
            fr.model.save_weights(str(ck))
        # best/ is staged before the trial file and swapped in after it: a kill before the
        # trial file retrains the trial; after it, resume finishes the swap (RunDir.recover)
        stage = self._consider_best(record, fr.model)
        self.dir.write_trial(record)
        if stage is not None:
            self.dir.promote_best(stage)
        if self.tensorboard:
            self._hparams(trial_id, cand)
        self._ended(record, written=True)
        return tuner_metrics(record)

    def _ended(self, record: dict[str, Any], written: bool = False) -> None:
        if not written:
            self.dir.write_trial(record)
        self.finished.add(record["trial_id"])
        self.failures_in_row = self.failures_in_row + 1 if record["status"] == "failed" else 0
        self.listener.trial_end(record)

    def _fit(self, trial_id: str, cand: Candidate, epochs: int, initial: int,
             init: Path | None, number: int):
        s = self.settings
        callbacks = []
        if self.tensorboard:
            import keras

            callbacks.append(keras.callbacks.TensorBoard(
                log_dir=str(self.dir.logs_dir / trial_id), write_graph=False, profile_batch=0))
        total = epochs

        def on_epoch(epoch: int, logs: dict[str, float]) -> None:
            self.listener.epoch_end(trial_id, epoch + 1, total, logs)

        arg = lambda key, v: v if s.sources.get(key) in ("argument", "demo") else None  # noqa: E731
        results = []
        for k in range(max(1, s.executions)):
            results.append(fit_config(
                self.space, cand.config, self.data, epochs=epochs, initial_epoch=initial,
                batch_size=arg("batch_size", s.batch_size),
                early_stop=arg("early_stop", s.early_stop), monitor=s.monitored,
                seed=s.seed * 100_003 + number * 31 + k, init_weights=init,
                callbacks=callbacks if k == 0 else [], on_epoch=on_epoch))
        fr = results[-1]
        if len(results) > 1:   # executions: average the best-epoch metrics
            keys = set.intersection(*(set(r.metrics) for r in results))
            fr.metrics = {k: sum(r.metrics[k] for r in results) / len(results) for k in keys}
        return fr

    def _hparams(self, trial_id: str, cand: Candidate) -> None:
        try:
            import tensorflow as tf
            from tensorboard.plugins.hparams import api as hp_api
        except ImportError:  # pragma: no cover
            return
        hparams = {k: v for k, v in cand.config.items()
                   if isinstance(v, (bool, int, float, str))}
        writer = tf.summary.create_file_writer(str(self.dir.logs_dir / trial_id))
        with writer.as_default():
            hp_api.hparams(hparams, trial_id=trial_id)
            for k in ("params", "bytes", "macs"):
                if k in cand.static:
                    tf.summary.scalar(k, float(cand.static[k]), step=0)
        writer.close()

    def after_trial(self) -> None:
        """Between trials. TensorFlow keeps every traced train/test function alive across
        keras.backend.clear_session() (tens of MB per distinct architecture); past
        `max_memory_growth_mb` the search stops here, cleanly, so that the caller can restart
        the process and resume (the CLI does)."""
        if self.failures_in_row >= self.settings.max_failures:
            raise TooManyFailures(f"stopped: {self.failures_in_row} trials in a row failed")
        now = rss_mb() if self.max_memory_growth_mb else None
        if now is not None and self.rss0 is not None \
                and now - self.rss0 > self.max_memory_growth_mb \
                and len(self.finished) < self.settings.trials:
            self.restart = True
            raise Restart(f"memory grew by {now - self.rss0:.0f} MB")

    # ---- the best model --------------------------------------------------------------------
    def better(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        o = self.settings.primary
        va, vb = a["objectives"].get(o.metric), b["objectives"].get(o.metric)
        if va is None or vb is None:
            return vb is None and va is not None
        if va != vb:
            return o.better(va, vb)
        return (a.get("params") or 0) < (b.get("params") or 0)

    def _consider_best(self, record: dict[str, Any], model: Any) -> Path | None:
        """Keep `record` as the best if it is; with a model, stage best/ (the folder to swap in
        once the trial file is written)."""
        if record.get("status") != "completed" or not record.get("feasible", True):
            return None
        if self.best is not None and not self.better(record, self.best):
            return None
        self.best = record
        if model is None:
            return None
        best = self.dir.best_dir
        saved = best / "config.json"
        if saved.exists():      # another worker may have saved a better one meanwhile
            try:
                other = json.loads(saved.read_text(encoding="utf-8"))
                if other.get("trial_id") != record["trial_id"] and other.get("objectives") \
                        and not self.better(record, other):
                    return None
            except (OSError, json.JSONDecodeError):
                pass
        return self.dir.stage_best(record["trial_id"], model,
                                   best_config(self.space, record, self.space_id))


def best_config(space: Space, record: dict[str, Any], space_id: str | None = None
                ) -> dict[str, Any]:
    """best/config.json: the configuration, tied to its space by name and content hash
    (`archspace train` refuses it for another space)."""
    return {"space": space.name, "space_hash": space_id or space_hash(space),
            "trial_id": record["trial_id"], "hash": record["hash"],
            "objectives": record.get("objectives"), "params": record.get("params"),
            "bytes": record.get("bytes"), "macs": record.get("macs"),
            "config": record["config"]}


def tuner_metrics(record: dict[str, Any]) -> dict[str, float]:
    """What Keras Tuner gets: every objective, every logged metric, the static sizes."""
    out = {k: float(v) for k, v in (record.get("metrics") or {}).items()}
    for k in ("params", "bytes", "macs"):
        if record.get(k) is not None:
            out[k] = float(record[k])
    out.update({k: float(v) for k, v in record["objectives"].items()})
    return out


def _number(trial_id: str) -> int:
    try:
        return int(trial_id)
    except ValueError:
        return int(hashlib.sha1(trial_id.encode()).hexdigest()[:6], 16)


def _skip_kind(reason: str) -> str:
    if reason.startswith("duplicate"):
        return "duplicate"
    if "breaks" in reason:
        return "constraint"
    if reason.startswith("prescreen"):
        return "prescreen"
    return "invalid"


# ---- the facade -----------------------------------------------------------------------------
def load_space(space: Space | str | os.PathLike) -> tuple[Space, str | None]:
    if isinstance(space, Space):
        return space, None
    from ..loader import parse_file

    return parse_file(space), str(space)


def fit_outputs(space: Space, data: Data, notes: list[str]) -> Space:
    """A classification space whose output size differs from the data's class count gets the
    data's (a 3-class folder on a 10-class template)."""
    if space.task != "classification" or len(space.outputs) != 1:
        return space
    k = n_classes(data)
    from ..ir.walk import Scope, Walker

    try:
        units = Walker(space).evaluate(space.outputs[0].units, Scope())
    except ArchError:
        return space
    if k and isinstance(units, int) and units != k:
        notes.append(f"output '{space.outputs[0].name}' set to {k} units: the data has "
                     f"{k} classes (the space says {units})")
        return space.with_overrides(outputs={space.outputs[0].name: k})
    return space


def space_hash(space: Space) -> str:
    from ..ir.config import space_hash as content_hash

    return content_hash(space)


def search(space: Space | str | os.PathLike, data: str | Data = "digits", *,
           strategy: str | None = None, trials: int | None = None, epochs: int | None = None,
           fraction: float | None = None, max_params: float | str | None = None,
           out: str | os.PathLike | None = None, seed: int | None = None,
           objectives: list[str] | None = None, constraints: list[str] | None = None,
           batch_size: int | None = None, population: int | None = None,
           overwrite: bool = False, tensorboard: bool = True,
           listener: Listener | None = None, verbose: bool = True,
           max_memory_growth_mb: float | None = None, space_file: str | None = None,
           workers: Any = None,
           **settings: Any) -> SearchResult:
    """Search a space. Every argument left None comes from the space's `search { }` /
    `train { }` sections, else the paper's defaults (see archspace.search.settings).

    Running the same call again resumes the run directory: finished trials are kept, never
    retrained, and the search stops at `trials` in total.

    max_memory_growth_mb: stop between two trials once the process has grown by this much and
    return with `result.restart` set: run the same call in a fresh process to go on (the CLI
    goes on with a worker process).

    space_file: the file a Space given as an object was read from (recorded in search.json
    and used by report.html's retrain command); a path given as `space` is its own.

    workers: a count, or `archspace.search.workers.WorkerOptions`: run the trials in that many
    worker processes (recycled, crash-safe; remote ones too), this process serving the oracle."""
    from .workers.chief import WorkerOptions

    workers = WorkerOptions.of(workers)
    if workers is not None and isinstance(data, Data):
        raise ArchError("worker processes load the data themselves: give its name or path, "
                        "not a loaded Data")
    sp, loaded_from = load_space(space)
    space_file = loaded_from or (str(space_file) if space_file else None)
    if not isinstance(data, Data):
        data = str(data)                 # a path given as a Path
    data_name = data if isinstance(data, str) else data.name
    st = resolve(sp, data=data_name, strategy=strategy, trials=trials, epochs=epochs,
                 fraction=fraction, max_params=max_params, seed=seed, objectives=objectives,
                 constraints=constraints, batch_size=batch_size, population=population,
                 **settings)
    from .strategies import planned_trials, preflight

    preflight(sp, st)                    # before the data: a strategy that cannot run says so
    listener = listener or (PrintListener() if verbose else Quiet())
    notes = list(st.notes)
    if isinstance(data, Data):
        ds = data
    else:
        ds = load_data(data, sp, validation_split=st.validation_split, fraction=st.fraction,
                       seed=st.seed)
    notes.extend(ds.notes)
    space_id = space_hash(sp)            # the space as given, before it is fitted to the data
    sp = fit_outputs(sp, ds, notes)
    out_path = Path(out) if out else Path("runs") / f"{sp.name or 'search'}_{st.strategy}"
    from .. import __version__

    meta = {"archspace": __version__, "space": sp.name, "space_file": space_file,
            "space_hash": space_hash(sp), "data": data_name,
            "data_summary": ds.summary(), "fingerprint": st.fingerprint(),
            "settings": st.to_dict(), "command": sys.argv}
    distributed = "KERASTUNER_TUNER_ID" in os.environ   # chief + workers share the directory
    run, resumed = RunDir.open(out_path, meta, overwrite=overwrite and not distributed,
                               lock=not distributed)     # locked from here to unlock()
    try:
        eng = SearchRun(sp, st, ds, run, listener, tensorboard=tensorboard,
                        max_memory_growth_mb=max_memory_growth_mb, space_id=space_id)
        repaired = run.recover(eng.best and eng.best["trial_id"]) if not distributed else []
    except BaseException:
        run.unlock()
        raise
    info = {"space": sp.name, "strategy": st.strategy, "trials": planned_trials(st),
            "epochs": st.epochs, "data": ds.summary(), "out": str(out_path), "notes": notes,
            "settings": st, "sources": st.sources, "resumed": resumed,
            "finished": len(eng.finished)}
    listener.search_start(info)
    if resumed:
        listener.message(f"resuming {out_path}: {len(eng.finished)} finished trial(s) kept")
    for line in repaired:
        listener.message(f"after a kill: {line}")
    oracle = None
    try:
        from .strategies import make_oracle
        from .tuner import ArchTuner

        oracle = make_oracle(eng)
        with redirect_stdout(io.StringIO()):
            tuner = ArchTuner(oracle, eng)
        oracle = tuner.oracle
        eng.attach(oracle)
        # a trial left running by a kill is retried first, even past the trials asked for
        if len(eng.finished) < st.trials:
            if workers is not None:    # chief of worker processes (search/workers)
                from .workers import serve

                serve(eng, tuner, workers, space_file)
            else:
                tuner.search(verbose=0)
    except Restart as e:
        listener.message(f"{e} since the search started (TensorFlow keeps traced graphs): "
                         "stopping here to resume in a fresh process")
    except TooManyFailures as e:
        listener.message(str(e))
    except BaseException as e:
        # interrupted (Ctrl-C) or crashed: finished trials are on disk; write what we have
        _finish_quietly(eng, oracle, listener)
        stopped = getattr(e, "error", None)     # tuner.SearchStopped: our bug in a trial
        if isinstance(stopped, TrialInterrupted):
            raise stopped from e.__cause__
        raise
    finally:
        run.unlock()
    result = finish(eng, oracle)
    result.restart = eng.restart
    info = {"out": str(out_path), "completed": len(result.completed), "failed":
            len(result.failed), "skipped": result.skipped, "best": result.best,
            "files": result.files, "result": result}
    listener.search_end(info)
    return result


def _check_writable(out: Path) -> None:
    """Fail before training, not after it, when the model cannot be saved at `out`."""
    if out.is_dir():
        raise ArchError(f"--out {out} is a folder", hint="give a file name ending in .keras")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        import tempfile

        with tempfile.NamedTemporaryFile(dir=parent, prefix=".archspace-", suffix=".tmp"):
            pass
    except OSError as e:
        raise ArchError(f"cannot write the model to {out}: {e.strerror or e}",
                        hint="pick a folder you can write to with --out") from None


def _finish_quietly(eng: SearchRun, oracle: Any, listener: Listener) -> None:
    try:
        finish(eng, oracle)
    except Exception as e:  # never hide the original error behind a report error
        listener.message(f"could not write the reports: {type(e).__name__}: {e}")


def finish(eng: SearchRun, oracle: Any = None) -> SearchResult:
    """Leaderboard, Pareto front, plots and report from the run directory."""
    from .report import write_reports

    generations = getattr(oracle, "generations", None)
    files, pareto = write_reports(eng.dir, eng.space, eng.settings, generations=generations)
    records = eng.dir.trials()
    return SearchResult(out=eng.dir.path, settings=eng.settings, trials=records,
                        best=eng.best, pareto=pareto, skipped=len(eng.dir.skips()),
                        files=files)


def train(space: Space | str | os.PathLike, config: Mapping[str, Any] | str | os.PathLike | None
          = None, data: str | Data = "digits", *, epochs: int | None = None,
          batch_size: int | None = None, fraction: float = 1.0, seed: int = 0,
          out: str | os.PathLike | None = "model.keras", listener: Listener | None = None,
          verbose: bool = True, force: bool = False) -> dict[str, Any]:
    """Retrain one configuration (a dict, or a config.json such as runs/NAME/best/config.json)
    and save it. Returns its metrics at the best epoch, sizes and where it was saved.

    A config.json that names its space (name and content hash, as a search writes it) must
    match `space`; force=True trains it anyway. `out` is checked writable before training."""
    from ..ir.config import canonical, check_config_space, config_hash, load_config_file
    from .candidates import static_metrics
    from .settings import space_monitor

    sp, _ = load_space(space)
    listener = listener or (PrintListener() if verbose else Quiet())
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
        raise ArchError(f"batch size must be at least 1, got {batch_size}")
    if epochs is not None and int(epochs) < 1:
        raise ArchError(f"epochs must be at least 1, got {epochs}")
    if out:
        _check_writable(Path(out))
    if config is None:
        values: Mapping[str, Any] = {}
    elif isinstance(config, Mapping):
        values = config
        if isinstance(config.get("config"), Mapping):    # a whole best/config.json, loaded
            values = config["config"]
            if not force:
                check_config_space(sp, config, "the configuration")
    else:
        try:
            values, about = load_config_file(str(config))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ArchError(f"cannot read configuration {config}: {e}") from None
        if not force:
            check_config_space(sp, about, str(config))
    from ..compile.training import train_settings

    ts0 = train_settings(sp, canonical(sp, values))
    ds = data if isinstance(data, Data) else load_data(str(data),
        sp, validation_split=ts0.validation_split, fraction=fraction, seed=seed)
    notes: list[str] = list(ds.notes)
    sp = fit_outputs(sp, ds, notes)
    cfg = canonical(sp, values)
    for n in notes:
        listener.message(n)
    ep = int(epochs or ts0.epochs)
    sizes = static_metrics(sp, cfg)
    listener.message(f"training {config_hash(sp, cfg)} ({sizes['params']:,} params) for up to "
                     f"{ep} epochs on {ds.summary()}")
    monitor = space_monitor(sp)      # the metric its search picked epochs by

    def on_epoch(epoch: int, logs: dict[str, float]) -> None:
        listener.epoch_end("train", epoch + 1, ep, logs)

    try:
        fr = fit_config(sp, cfg, ds, epochs=ep, batch_size=batch_size, monitor=monitor,
                        seed=seed, on_epoch=on_epoch)
    except TrialFailed as e:
        raise ArchError(f"training failed: {e}") from None
    saved = None
    if out:     # a new file renamed over the old: a failed save leaves the old model whole
        tmp = Path(out).with_name(f".{Path(out).stem}.{os.getpid()}.tmp.keras")
        try:
            fr.model.save(str(tmp))
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        saved = str(out)
    return {"hash": config_hash(sp, cfg), "config": cfg, "metrics": fr.metrics,
            "best_epoch": fr.best_epoch + 1, "monitor": monitor.metric,
            "epochs_run": fr.epochs_run, **sizes,
            "time_s": round(fr.build_s + fr.fit_s, 2), "model": saved}


__all__ = ["search", "train", "SearchResult", "SearchRun", "finish"]
