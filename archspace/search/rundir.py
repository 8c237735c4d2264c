"""The run directory: one folder per search, the one format every strategy writes.

    runs/NAME/
      search.json          what was asked (space, data, settings) - checked on resume
      trials/0003.json     one file per finished trial (completed or failed), written atomically
      skipped.jsonl        proposals never trained: duplicates, oversized, shape errors
      prescreen.json       --prescreen's window of latest proxy scores (so a resume ranks the
                           next proposal as an uninterrupted run would)
      leaderboard.csv/json every trial, best first
      pareto.csv/png       multi-objective runs: the front over all trials, hypervolume
      best/model.keras     the best model so far (saved as soon as it is found)
      best/config.json     its configuration, hash and metrics
      report.html          plots and the best architectures in words
      logs/TRIAL/          TensorBoard scalars + HParams (tensorboard --logdir runs/NAME)
      tuner/               the Keras Tuner project (oracle state, trial.json files)
      .archspace-run       the marker: only a folder holding it is ever deleted (--overwrite)
      .lock                held (flock) by the search writing here; released when it ends

A trial file is the source of truth: a search that is killed and started again never trains a
trial whose file exists. Updates that span files are atomic: best/ is built as a new folder
(.best.new-TRIAL.tmp) and renamed into place after the trial file is written; a resume finishes
or undoes a swap cut short and deletes the temporary files a kill left.

ARCHSPACE_KILL_AT=POINT[@N] (a test hook) kills the process with SIGKILL the N-th time it
reaches the write point POINT (see `kill_point`), to check the above.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import ArchError


MARKER = ".archspace-run"
#: run locks this process holds: resolved .lock path -> (fd, count)
_HELD: dict[str, tuple[int, int]] = {}
KILL_ENV = "ARCHSPACE_KILL_AT"
_kill_counts: dict[str, int] = {}


def kill_point(name: str) -> None:
    """Crash-test hook: with ARCHSPACE_KILL_AT=NAME[@N], die by SIGKILL (no cleanup, as kill -9)
    the N-th time (default: first) this process reaches the write point NAME. Points:
    every atomic_write (the file's name, 'trial' for a trial file, with the temporary file
    written and not yet renamed), 'best-model' and 'best-swap' (see RunDir)."""
    want = os.environ.get(KILL_ENV)
    if not want:
        return
    target, _, nth = want.partition("@")
    if target != name:
        return
    _kill_counts[name] = _kill_counts.get(name, 0) + 1
    if _kill_counts[name] == int(nth or 1):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        os._exit(137)  # pragma: no cover


def _umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it: put it back at once
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str, point: str | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; run files follow the umask
        kill_point(point or path.name)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(obj, indent=indent, default=_json_default, allow_nan=True)


def _json_default(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (set, tuple)):
        return list(v)
    if isinstance(v, Path):
        return str(v)
    return str(v)


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock_fd: int | None = None
        self._lock_key = ""

    def __del__(self) -> None:   # a forgotten unlock() must not keep the folder locked
        try:
            self.unlock()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    # ---- layout ----------------------------------------------------------------------------
    @property
    def trials_dir(self) -> Path:
        return self.path / "trials"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def tuner_dir(self) -> Path:
        return self.path / "tuner"

    @property
    def best_dir(self) -> Path:
        return self.path / "best"

    @property
    def meta_file(self) -> Path:
        return self.path / "search.json"

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    def checkpoint(self, trial_id: str) -> Path:
        """Weights a later Hyperband round continues from."""
        return self.path / "checkpoints" / f"{trial_id}.weights.h5"

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, meta: dict[str, Any], *, overwrite: bool = False,
             lock: bool = True) -> tuple["RunDir", bool]:
        """Create the directory, or reopen it to resume. Returns (run, resumed). A directory
        that holds a different search is an error unless overwrite; one that is not a run
        directory (no marker file) is never written into nor deleted. With lock, the run is
        locked on return (released by unlock())."""
        run = cls(path)
        meta = json.loads(dumps(meta))     # compare as stored (tuples -> lists)
        p = run.path
        if p.exists() and not p.is_dir():
            raise ArchError(f"{p} exists and is not a directory", hint="pick another --out")
        nonempty = p.is_dir() and any(p.iterdir())
        if overwrite and nonempty:
            run._check_removable()
        elif nonempty and not run.marker.exists() and not run.meta_file.exists():
            raise ArchError(f"{p} exists and is not an archspace run directory",
                            hint="pick another --out (or an empty or new folder)")
        p.mkdir(parents=True, exist_ok=True)
        try:
            if lock:
                run.lock()
            if overwrite and nonempty:
                run._clear()
            if not run.marker.exists():   # also adopts a run folder of an older version
                atomic_write(run.marker, dumps({"archspace_run": 1, "created": time.time()}))
            resumed = False
            if run.meta_file.exists():
                old = json.loads(run.meta_file.read_text(encoding="utf-8"))
                diffs = _differences(old, meta)
                if diffs:
                    raise ArchError(
                        f"{p} holds a different search ({'; '.join(diffs)})",
                        hint="pass --overwrite to start it again, or --out for a new run "
                             "directory")
                resumed = True
                meta = {**old, **meta, "created": old.get("created"), "resumed": time.time()}
            else:
                meta = {**meta, "created": time.time()}
            run.trials_dir.mkdir(exist_ok=True)
            atomic_write(run.meta_file, dumps(meta), point="search.json")
        except BaseException:
            run.unlock()
            raise
        return run, resumed

    def _check_removable(self) -> None:
        """--overwrite deletes only a run directory: one with the marker, and never the
        current folder, one above it, the home folder or the file system's root."""
        p = self.path
        try:
            real, cwd = p.resolve(), Path.cwd().resolve()
        except OSError as e:
            raise ArchError(f"cannot resolve {p}: {e}") from None
        protected = {Path(real.anchor), Path.home().resolve(), cwd, *cwd.parents}
        if real in protected:
            raise ArchError(f"--overwrite refused: {p} is the current folder, a folder above "
                            "it, the home folder or the root",
                            hint="pass a run directory, e.g. --out runs/NAME")
        if not self.marker.is_file():
            raise ArchError(f"{p} is not an archspace run directory (no {MARKER} file): "
                            "--overwrite deletes nothing there",
                            hint="pick another --out, or delete the folder yourself")

    def _clear(self) -> None:
        """Empty the run directory (the caller holds its lock). The marker goes last, so that a
        kill midway leaves a folder --overwrite still recognises."""
        keep = {MARKER, ".lock"}
        for child in list(self.path.iterdir()):
            if child.name in keep:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        self.marker.unlink()

    # ---- the lock: one search writes a run directory at a time ------------------------------
    @property
    def _lock(self) -> Path:
        return self.path / ".lock"

    def lock(self) -> None:
        """Take the run's lock or fail at once. flock is atomic and released by the kernel
        when its process ends (kill -9 included), so a stale .lock file never blocks. Within
        one process the lock is shared (counted), as one search reopens its folder."""
        if self._lock_fd is not None:
            return
        key = str(self._lock.resolve())
        if key in _HELD:
            fd, n = _HELD[key]
            _HELD[key] = (fd, n + 1)
            self._lock_fd, self._lock_key = fd, key
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock (Windows)
            fd = self._lock_exclusive()
        else:
            fd = os.open(self._lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self._in_use() from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        _HELD[key] = (fd, 1)
        self._lock_fd = fd
        self._lock_key = key

    def _lock_exclusive(self) -> int:  # pragma: no cover - used where flock is missing
        for _ in range(2):
            try:
                fd = os.open(self._lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
                return fd
            except FileExistsError:
                holder = self._holder()
                pid = int(holder[0]) if holder and holder[0].isdigit() else None
                if pid is not None and _alive(pid):
                    raise self._in_use() from None
                self._lock.unlink(missing_ok=True)     # its process is gone: stale
        raise self._in_use()

    def _holder(self) -> list[str]:
        try:
            return self._lock.read_text(encoding="utf-8").split()
        except OSError:
            return []

    def _in_use(self) -> ArchError:
        h = self._holder()
        who = f" (process {h[0]}" + (f" on {h[1]})" if len(h) > 1 else ")") if h else ""
        return ArchError(f"{self.path} is in use by another search{who}",
                         hint=f"wait for it, or use another --out; the lock ends with its "
                              f"process. If none runs (a file system without locks), delete "
                              f"{self._lock}")

    def unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is None:
            return
        key = self._lock_key
        n = _HELD.get(key, (fd, 1))[1] - 1
        if n > 0:
            _HELD[key] = (fd, n)
            return
        _HELD.pop(key, None)
        try:   # the file stays: deleting it would let two processes lock two different files
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)     # releases the flock

    # ---- best/: one trial's model and config, swapped in whole ------------------------------
    def stage_best(self, trial_id: str, model: Any, config: dict[str, Any]) -> Path:
        """Write a trial's model and config into a new folder (complete once config.json,
        written last, exists); promote_best() swaps it in."""
        stage = self.path / f".best.new-{trial_id}.tmp"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
        model.save(str(stage / "model.keras"))
        kill_point("best-model")
        config = {**config, "model_sha256": file_sha256(stage / "model.keras")}
        atomic_write(stage / "config.json", dumps(config), point="best-config")
        return stage

    def promote_best(self, stage: Path) -> None:
        old = self.path / f".best.old-{os.getpid()}.tmp"
        if old.exists():
            shutil.rmtree(old)
        if self.best_dir.exists():
            os.replace(self.best_dir, old)
        kill_point("best-swap")
        os.replace(stage, self.best_dir)
        shutil.rmtree(old, ignore_errors=True)

    def recover(self, best_trial: str | None) -> list[str]:
        """After a kill (the caller holds the lock): finish or undo a best/ swap cut short,
        delete what a killed process left (temporary files, staged folders, the TensorBoard
        events of trials that have no trial file). Returns what it did, for a message."""
        done: list[str] = []
        staged = {p.name[len(".best.new-"):-len(".tmp")]: p
                  for p in self.path.glob(".best.new-*.tmp") if p.is_dir()}
        olds = sorted(p for p in self.path.glob(".best.old-*.tmp") if p.is_dir())
        stage = staged.pop(best_trial, None) if best_trial else None
        if stage is not None and (stage / "config.json").is_file() and \
                self.trial_file(best_trial).exists():   # type: ignore[arg-type]
            self.promote_best(stage)
            done.append(f"best/ completed with trial {best_trial}")
        elif not self.best_dir.exists() and olds:
            os.replace(olds.pop(), self.best_dir)
            done.append("best/ restored")
        for p in list(staged.values()) + olds:
            shutil.rmtree(p, ignore_errors=True)
        if self.logs_dir.is_dir():
            for d in self.logs_dir.iterdir():
                if d.is_dir() and not self.trial_file(d.name).exists():
                    shutil.rmtree(d, ignore_errors=True)
        tmps = [p for p in self.path.rglob(".*.tmp") if p.is_file()]
        for p in tmps:
            p.unlink(missing_ok=True)
        if tmps:
            done.append(f"{len(tmps)} temporary file(s) of a killed run deleted")
        return done

    def clear_logs(self, trial_id: str) -> None:
        """A trial about to (re)train: drop a killed attempt's TensorBoard events."""
        shutil.rmtree(self.logs_dir / trial_id, ignore_errors=True)

    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_file.read_text(encoding="utf-8"))

    # ---- trials ----------------------------------------------------------------------------
    def trial_file(self, trial_id: str) -> Path:
        return self.trials_dir / f"{trial_id}.json"

    def write_trial(self, record: dict[str, Any]) -> None:
        atomic_write(self.trial_file(record["trial_id"]), dumps(record), point="trial")

    def trial(self, trial_id: str) -> dict[str, Any] | None:
        p = self.trial_file(trial_id)
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def trials(self) -> list[dict[str, Any]]:
        out = []
        if self.trials_dir.exists():
            for p in self.trials_dir.glob("*.json"):
                try:
                    out.append(json.loads(p.read_text(encoding="utf-8")))
                except (OSError, json.JSONDecodeError):
                    continue
        return sorted(out, key=lambda r: (r.get("number", 0), r["trial_id"]))

    def add_skip(self, record: dict[str, Any]) -> None:
        with open(self.path / "skipped.jsonl", "a", encoding="utf-8") as f:
            f.write(dumps(record, indent=None) + "\n")
            f.flush()

    def skips(self) -> list[dict[str, Any]]:
        p = self.path / "skipped.jsonl"
        out = []
        if p.exists():
            for line in p.read_text(encoding="utf-8").splitlines():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:   # a torn last line after kill -9
                    continue
        return out

    @property
    def prescreen_file(self) -> Path:
        return self.path / "prescreen.json"

    def prescreen_window(self, proxy: str) -> list[float]:
        """The saved --prescreen window of `proxy` scores (empty when none or another proxy)."""
        try:
            saved = json.loads(self.prescreen_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return []
        if not isinstance(saved, dict) or saved.get("proxy") != proxy:
            return []
        return [float(v) for v in saved.get("window", []) if isinstance(v, (int, float))]

    def save_prescreen_window(self, proxy: str, window: list[float]) -> None:
        atomic_write(self.prescreen_file, dumps({"proxy": proxy, "window": window}))

    def iter_files(self) -> Iterator[Path]:
        yield from sorted(p for p in self.path.rglob("*") if p.is_file())


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for key in ("space_hash", "data"):
        if old.get(key) != new.get(key):
            what = "the space changed" if key == "space_hash" else \
                f"data {old.get(key)!r} vs {new.get(key)!r}"
            out.append(what)
    a, b = old.get("fingerprint", {}), new.get("fingerprint", {})
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            out.append(f"{k} {a.get(k)!r} vs {b.get(k)!r}")
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed child not yet reaped) is not alive
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


__all__ = ["RunDir", "atomic_write", "dumps", "kill_point", "file_sha256", "MARKER"]
