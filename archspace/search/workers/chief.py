"""The chief: serves the search's oracle over Keras Tuner's gRPC service (its
`OracleServicer`, the one `keras_tuner`'s own chief runs) and supervises local worker
processes: starts them, starts a fresh one when one exits (K trials done, memory budget, crash,
kill), takes back the trial of a worker that died, hung or went silent (see lease.py), and
shows the progress of all of them from the trial files and the leases' heartbeats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ArchError
from ..rundir import atomic_write
from .worker import CHIEF_PID, LOST, RECYCLE, WORKERS_FILE, parse_chief


@dataclass
class WorkerOptions:
    """How a search runs its trials in worker processes (`search(..., workers=...)`)."""

    count: int = 1                      # local worker processes
    quota: int | None = None            # trials per worker process, then a fresh one
    budget_mb: float | None = 2000.0    # memory growth per worker process, then a fresh one
    trial_timeout: float | None = None  # seconds; a trial past it is taken back
    listen: str | None = None           # HOST:PORT served to remote workers (else loopback)
    lease_s: float = 60.0               # a running trial not heard of this long is taken back
    heartbeat_s: float = 5.0
    space_file: str | None = None
    inputs: list[str] = field(default_factory=list)
    classes: int | None = None
    import_paths: list[str] = field(default_factory=list)
    devices: int | None = None
    #: worker starts in a row that end before running a trial, then the search stops
    max_bad_starts: int = 3

    @classmethod
    def of(cls, value: Any) -> "WorkerOptions | None":
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ArchError(f"workers must be a count of processes, got {value!r}")
        return cls(count=value)


def start_server(oracle: Any, host: str, port: int) -> tuple[Any, int]:
    """Keras Tuner's oracle service on host:port (0: a free port); returns (server, port)."""
    from concurrent import futures

    import grpc
    from ..kt_adapter import oracle_service

    protos, OracleServicer = oracle_service()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    protos.get_service_grpc().add_OracleServicer_to_server(OracleServicer(oracle), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise ArchError(f"cannot serve the oracle on {host}:{port}",
                        hint="the port is taken or the address is not this host's: pick "
                             "another --chief HOST:PORT")
    server.start()
    return server, bound


class Slot:
    """One local worker process at a time, restarted as needed."""

    def __init__(self, index: int):
        self.index = index
        self.proc: subprocess.Popen | None = None
        self.tuner_id = ""
        self.starts = 0
        self.bad_starts = 0
        self.kill_reason: str | None = None
        self.done = False
        self.log: Path | None = None


class Supervisor:
    def __init__(self, eng: Any, oracle: Any, opts: WorkerOptions, address: str,
                 space_file: str | None):
        self.eng, self.oracle, self.opts = eng, oracle, opts
        self.address = address
        self.space_file = space_file
        self.slots = [Slot(i + 1) for i in range(opts.count)]
        self.seen = {p.stem for p in eng.dir.trials_dir.glob("*.json")}
        self.shown: Any = None
        self.last_scan = 0.0

    # ---- processes -------------------------------------------------------------------------
    def _argv(self, slot: Slot) -> list[str]:
        o = self.opts
        argv = [sys.executable, "-c", "import sys; from archspace.cli.app import main; "
                "sys.exit(main())"]
        for d in o.import_paths:
            argv += ["--import-path", str(d)]
        argv += ["worker", str(self.space_file), "--chief", self.address,
                 "--out", str(self.eng.dir.path), "--id", slot.tuner_id]
        if o.quota:
            argv += ["--worker-trials", str(o.quota)]
        argv += ["--max-memory-growth",    # in bytes
                 str(max(1, round(o.budget_mb * 1e6))) if o.budget_mb else "0"]
        for spec in o.inputs:
            argv += ["--input", spec]
        if o.classes is not None:
            argv += ["--classes", str(o.classes)]
        if o.devices:
            argv += ["--devices", str(o.devices)]
        return argv

    def start(self, slot: Slot) -> None:
        slot.starts += 1
        slot.tuner_id = f"w{slot.index}-{slot.starts}"
        slot.kill_reason = None
        logs = self.eng.dir.tuner_dir / "workers"
        logs.mkdir(parents=True, exist_ok=True)
        slot.log = logs / f"w{slot.index}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env[CHIEF_PID] = str(os.getpid())     # a worker outliving its chief exits
        with open(slot.log, "ab") as log:
            log.write(f"---- {slot.tuner_id} {time.ctime()}\n".encode())
            log.flush()
            slot.proc = subprocess.Popen(self._argv(slot), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, env=env)

    def _tail(self, slot: Slot) -> str:
        try:
            lines = [l for l in slot.log.read_text(errors="replace").splitlines() if l.strip()]
        except (OSError, AttributeError):
            return ""
        return lines[-1][:300] if lines else ""

    def _death(self, slot: Slot, code: int) -> str:
        if slot.kill_reason:
            return slot.kill_reason
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"worker {slot.tuner_id} died ({name})"
        tail = self._tail(slot)
        return f"worker {slot.tuner_id} exited with code {code}" + (f": {tail}" if tail else "")

    def reap(self) -> None:
        for slot in self.slots:
            if slot.proc is None or slot.proc.poll() is None:
                continue
            code = slot.proc.returncode
            slot.proc = None
            held = self.oracle.held_by(slot.tuner_id)
            if held is not None:
                slot.bad_starts = 0
                reason = self._death(slot, code)
                outcome = self.oracle.lose(held, reason)
                self.eng.listener.message(f"trial {held}: {reason}; {outcome}")
            elif code not in (0, RECYCLE, LOST):
                slot.bad_starts += 1
                if slot.bad_starts >= self.opts.max_bad_starts:
                    raise ArchError(f"worker process {slot.index} failed {slot.bad_starts} "
                                    f"times before running a trial: "
                                    f"{self._death(slot, code)}",
                                    hint=f"its log: {slot.log}")
            else:
                slot.bad_starts = 0
            if code == 0 and not self.oracle.waiting():
                slot.done = True          # the oracle has no trial left for it

    def spawn(self) -> None:
        alive = any(s.proc is not None for s in self.slots)
        for slot in self.slots:
            if slot.proc is None and (not slot.done or (not alive and self.oracle.waiting())):
                slot.done = False
                self.start(slot)
                alive = True

    def reclaim(self) -> None:
        by_id = {s.tuner_id: s for s in self.slots if s.proc is not None}
        for lease, reason in self.oracle.expired(self.opts.lease_s, self.opts.trial_timeout):
            slot = by_id.get(lease.tuner_id)
            if slot is not None:           # ours: end the process, reap() takes the trial back
                if slot.kill_reason is None:
                    slot.kill_reason = reason
                    slot.proc.kill()
            else:
                outcome = self.oracle.lose(lease.trial_id, reason)
                self.eng.listener.message(f"trial {lease.trial_id}: {reason}; {outcome}")

    def stop(self) -> None:
        """End the worker processes this chief started (and only those)."""
        for slot in self.slots:
            if slot.proc is not None and slot.proc.poll() is None:
                slot.proc.terminate()
        deadline = time.time() + 10
        for slot in self.slots:
            if slot.proc is None:
                continue
            try:
                slot.proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                slot.proc.kill()
                slot.proc.wait()
            slot.proc = None

    # ---- progress ----------------------------------------------------------------------------
    def progress(self) -> None:
        eng = self.eng
        now = time.time()
        if now - self.last_scan >= 1.0:
            self.last_scan = now
            for p in sorted(eng.dir.trials_dir.glob("*.json")):
                if p.stem in self.seen:
                    continue
                record = eng.dir.trial(p.stem)
                if record is None:
                    continue
                self.seen.add(p.stem)
                eng._consider_best(record, None)
                eng.listener.trial_end(record)
        show = getattr(eng.listener, "workers", None)
        if show is None:
            return
        rows = []
        for lease in sorted(self.oracle.leases.values(), key=lambda l: l.tuner_id):
            rows.append({"worker": lease.tuner_id, "trial_id": lease.trial_id,
                         "epoch": lease.epoch, "epochs": lease.epochs, "logs": lease.logs,
                         "since": lease.started})
        state = (json.dumps(rows, sort_keys=True, default=str),
                 eng.best and eng.best["trial_id"])
        if state != self.shown:
            self.shown = state
            show(rows, eng.best)

    def finished(self) -> bool:
        return (self.oracle.stopped and not self.oracle.pending()
                and all(s.proc is None for s in self.slots))

    def run(self) -> None:
        while True:
            self.reap()
            self.reclaim()
            self.progress()
            if self.oracle.gave_up or self.finished():
                break
            self.spawn()
            time.sleep(0.25)
        self.last_scan = 0
        self.progress()


def _failed_record(eng: Any, trial: Any, reason: str) -> None:
    """The trial file of a trial lost too often: failed, with the reason."""
    from ..engine import _number

    if eng.dir.trial(trial.trial_id) is not None:
        return
    values = dict(trial.hyperparameters.values)
    cand = eng.candidate(eng.hypermodel.decode(values))
    eng.dir.write_trial({
        "trial_id": trial.trial_id, "number": _number(trial.trial_id), "status": "failed",
        "strategy": eng.settings.strategy, "hash": cand.hash, "config": cand.config,
        **{k: cand.static.get(k) for k in ("params", "trainable_params", "bytes", "macs")},
        "continues": values.get("tuner/trial_id"), "reason": reason, "ended": time.time(),
        "feasible": False})


def _on_sigterm() -> Any:
    """A chief told to stop (SIGTERM) stops its workers first, as on Ctrl-C."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


def serve(eng: Any, tuner: Any, opts: WorkerOptions, space_file: str | None = None) -> None:
    """Run the rest of the search in worker processes; returns when the oracle is done."""
    space_file = opts.space_file or space_file
    if opts.count and not space_file:
        raise ArchError("worker processes need the space as a file",
                        hint="pass the .arch file's path, not a parsed Space")
    from .lease import lease_oracle

    oracle = lease_oracle(tuner.oracle, lambda trial, reason: _failed_record(eng, trial, reason))
    oracle.verbose = 0                  # Keras Tuner's own printing: the listener shows progress
    host, port = parse_chief(opts.listen) if opts.listen else ("127.0.0.1", 0)
    server, port = start_server(oracle, host, port)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    address = f"{host}:{port}"
    atomic_write(eng.dir.tuner_dir / WORKERS_FILE, json.dumps({
        "chief": address, "tensorboard": eng.tensorboard, "heartbeat_s": opts.heartbeat_s,
        "lease_s": opts.lease_s}))
    if opts.listen:
        reach = f"HOST:{port}" if local != host else address   # HOST: this machine's name
        eng.listener.message(f"serving the oracle on {address}: start workers with "
                             f"`archspace worker SPACE --chief {reach} --out "
                             f"{eng.dir.path}`")
    sup = Supervisor(eng, oracle, opts, f"{local}:{port}", space_file)
    saved = _on_sigterm()
    try:
        sup.run()
        time.sleep(0.5)         # a last worker's "no trial left" answer is on its way
    finally:
        sup.stop()
        server.stop(grace=None)
        if saved is not None:
            signal.signal(signal.SIGTERM, saved)
    if oracle.gave_up:
        raise RuntimeError(oracle.gave_up)


__all__ = ["WorkerOptions", "serve", "start_server", "Supervisor"]
