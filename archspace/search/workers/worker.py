"""A worker process: asks the chief's oracle for trials (Keras Tuner's `OracleClient`, selected
by KERASTUNER_TUNER_ID / KERASTUNER_ORACLE_IP / KERASTUNER_ORACLE_PORT), trains them into the
shared run directory, and exits after K trials or past its memory budget so that a fresh
process takes over (TensorFlow keeps every traced graph until the process ends).

Exit codes: 0 the oracle has no trial left; RECYCLE done its share (K trials or memory);
LOST its trial was taken back by the chief (timed out or lease expired)."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from ...errors import ArchError
from ..engine import Restart, SearchRun, fit_outputs, space_hash
from ..events import Quiet
from ..rundir import RunDir
from .heartbeat import EPOCH, EPOCHS, HEARTBEAT, LOG, WORKER, worker_code
from .memory import rss_mb

RECYCLE, LOST = 75, 76
#: set by the chief for the workers it starts: its pid (they exit when it is gone)
CHIEF_PID = "ARCHSPACE_CHIEF_PID"
#: the chief's instructions for its workers, beside Keras Tuner's own files (tuner/)
WORKERS_FILE = "workers.json"


def parse_chief(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ArchError(f"--chief {text}: expected HOST:PORT, e.g. 10.0.0.5:8470",
                        hint="the address the chief prints when it starts")
    return host.strip("[]"), int(port)


def settings_from(d: dict[str, Any]):
    """The chief's Settings, from its search.json."""
    from ..settings import Settings, parse_constraint, parse_objective

    d = dict(d)
    d["objectives"] = tuple(parse_objective(o) for o in d["objectives"])
    d["constraints"] = tuple(parse_constraint(c) for c in d["constraints"])
    d["notes"] = tuple(d.get("notes", ()))
    return Settings(**d)


class WorkerRun(SearchRun):
    """SearchRun that hands the process back after `quota` trials or `budget_mb` of growth."""

    quota: int | None = None
    budget_mb: float | None = None
    done = 0

    def after_trial(self) -> None:
        self.done += 1
        if self.quota and self.done >= self.quota:
            raise Restart(f"{self.done} trial(s) done")
        now = rss_mb()
        if self.budget_mb and now is not None and self.rss0 is not None \
                and now - self.rss0 > self.budget_mb:
            raise Restart(f"memory grew by {now - self.rss0:.0f} MB")


class Heartbeat(Quiet):
    """Listens to the trials this worker runs and renews their leases on the chief, with the
    epoch reached, from a thread (a long epoch must not let a lease expire)."""

    def __init__(self, tuner_id: str, every_s: float):
        self.code = worker_code(tuner_id)
        self.every_s = every_s
        self.oracle: Any = None
        self.trial_id: str | None = None
        self.metrics: dict[str, float] = {}
        self._wake = threading.Event()
        threading.Thread(target=self._loop, daemon=True, name="archspace-heartbeat").start()

    def trial_start(self, info):
        self.trial_id = info["trial_id"]
        self.metrics = {EPOCH: float(info.get("initial_epoch", 0)),
                        EPOCHS: float(info.get("epochs", 0))}
        self._wake.set()

    def epoch_end(self, trial_id, epoch, epochs, logs):
        self.metrics = {EPOCH: float(epoch), EPOCHS: float(epochs),
                        **{LOG + k: float(v) for k, v in logs.items()
                           if isinstance(v, (int, float))}}
        self._wake.set()

    def trial_end(self, record):
        try:
            self.beat()      # still ours? a trial taken back is not reported twice
        except Exception:    # the chief is away: reporting will wait for it
            pass
        self.trial_id = None

    def beat(self) -> None:
        tid, oracle = self.trial_id, self.oracle
        if tid is None or oracle is None:
            return
        trial = oracle.update_trial(tid, {HEARTBEAT: 1.0, WORKER: self.code, **self.metrics})
        if trial.status == "STOPPED":     # the chief took it back: leave without a word
            os._exit(LOST)

    def _loop(self) -> None:
        parent = os.environ.get(CHIEF_PID)
        last = 0.0
        while True:
            woken = self._wake.wait(min(self.every_s, 2.0))
            self._wake.clear()
            if parent and str(os.getppid()) != parent:   # the chief died: nobody to report to
                os._exit(LOST)
            if not woken and time.time() - last < self.every_s:
                continue
            last = time.time()
            try:
                self.beat()
            except Exception:     # the chief is away for a moment; the lease says how long
                time.sleep(1)


def run_worker(space: Any, out: str | os.PathLike, chief: str | None = None, *,
               tuner_id: str | None = None, quota: int | None = None,
               budget_mb: float | None = None, devices: int | None = None) -> int:
    """Run trials for the chief serving the search in `out` until it has none left (or this
    process has done its share). `space` is the space as loaded by the caller (the same file
    as the chief's); the settings and data come from the run directory's search.json."""
    if tuner_id and "chief" in tuner_id:
        raise ArchError(f"--id {tuner_id}: a worker's name must not contain 'chief'",
                        hint="Keras Tuner takes a tuner whose id contains 'chief' for the chief")
    run = RunDir(out)
    if not run.meta_file.exists():
        raise ArchError(f"{run.path} holds no search", hint="start the chief first "
                        "(archspace search ... --chief HOST:PORT) and give its --out; the run "
                        "directory must be on storage every host shares")
    meta = run.meta()
    about: dict[str, Any] = {}
    wf = run.tuner_dir / WORKERS_FILE
    if wf.exists():
        about = json.loads(wf.read_text(encoding="utf-8"))
    chief = chief or about.get("chief")
    if not chief:
        raise ArchError("no chief to work for", hint="pass --chief HOST:PORT")
    host, port = parse_chief(chief)
    if devices and devices > 1:            # before TensorFlow starts (data loading)
        from .devices import use_devices

        use_devices(devices)
    from ..data import load_data
    from ..settings import Settings

    st: Settings = settings_from(meta["settings"])
    space_id = space_hash(space)
    ds = load_data(meta["data"], space, validation_split=st.validation_split,
                   fraction=st.fraction, seed=st.seed)
    space = fit_outputs(space, ds, [])
    if space_hash(space) != meta.get("space_hash"):
        raise ArchError(f"the space differs from the one the chief searches in {run.path}",
                        hint="give every worker the same space file (and --input/--classes) "
                             "as the chief")
    if not tuner_id:
        host_name = os.uname().nodename if hasattr(os, "uname") else "host"
        tuner_id = f"worker-{host_name.replace('chief', 'chf')}-{os.getpid()}"
    os.environ.update(KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP=host,
                      KERASTUNER_ORACLE_PORT=str(port))
    beat = Heartbeat(tuner_id, float(about.get("heartbeat_s", 5.0)))
    eng = WorkerRun(space, st, ds, run, beat, tensorboard=bool(about.get("tensorboard", True)),
                    space_id=space_id)
    eng.quota, eng.budget_mb = quota, budget_mb
    import io
    from contextlib import redirect_stdout

    from ..strategies import make_oracle
    from ..tuner import ArchTuner

    class WorkerTuner(ArchTuner):
        def save(self):      # the chief saves the oracle; a worker's tuner state is empty
            pass

    with redirect_stdout(io.StringIO()):
        tuner = WorkerTuner(make_oracle(eng), eng)
    beat.oracle = tuner.oracle          # Keras Tuner's OracleClient to the chief
    import grpc

    try:
        tuner.search(verbose=0)
    except Restart:
        return RECYCLE
    except grpc.RpcError as e:      # the chief ended (or died) while this worker asked
        if e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
            raise
        raise ArchError(f"the chief at {host}:{port} is gone ({e.code().name})",
                        hint="the search has ended, or its chief stopped: run the chief's "
                             "command again to resume") from None
    return 0


__all__ = ["run_worker", "parse_chief", "settings_from", "WorkerRun", "RECYCLE", "LOST",
           "WORKERS_FILE"]
