"""The run directory: one folder per search, the one format every strategy writes.

    runs/NAME/
      search.json          what was asked (space, data, settings) - checked on resume
      trials/0003.json     one file per finished trial (completed or failed), written atomically
      skipped.jsonl        proposals never trained: duplicates, oversized, shape errors
      leaderboard.csv/json every trial, best first
      pareto.csv/png       multi-objective runs: the front over all trials, hypervolume
      best/model.keras     the best model so far (saved as soon as it is found)
      best/config.json     its configuration, hash and metrics
      report.html          plots and the best architectures in words
      logs/TRIAL/          TensorBoard scalars + HParams (tensorboard --logdir runs/NAME)
      tuner/               the Keras Tuner project (oracle state, trial.json files)

A trial file is the source of truth: a search that is killed and started again never trains a
trial whose file exists.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import ArchError


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
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

    def checkpoint(self, trial_id: str) -> Path:
        """Weights a later Hyperband round continues from."""
        return self.path / "checkpoints" / f"{trial_id}.weights.h5"

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, meta: dict[str, Any], *, overwrite: bool = False
             ) -> tuple["RunDir", bool]:
        """Create the directory, or reopen it to resume. Returns (run, resumed). A directory
        that holds a different search is an error unless overwrite."""
        run = cls(path)
        meta = json.loads(dumps(meta))     # compare as stored (tuples -> lists)
        if overwrite and run.path.exists():
            run._check_not_locked()
            shutil.rmtree(run.path)
        resumed = False
        if run.meta_file.exists():
            old = json.loads(run.meta_file.read_text(encoding="utf-8"))
            diffs = _differences(old, meta)
            if diffs:
                raise ArchError(
                    f"{run.path} holds a different search ({'; '.join(diffs)})",
                    hint="pass --overwrite to start it again, or --out for a new run directory")
            resumed = True
            meta = {**old, **meta, "created": old.get("created"), "resumed": time.time()}
        elif run.path.exists() and any(run.path.iterdir()):
            raise ArchError(f"{run.path} exists and is not an archspace run directory",
                            hint="pick another --out")
        else:
            meta = {**meta, "created": time.time()}
        run.path.mkdir(parents=True, exist_ok=True)
        run.trials_dir.mkdir(exist_ok=True)
        run._check_not_locked()
        atomic_write(run.meta_file, dumps(meta))
        return run, resumed

    @property
    def _lock(self) -> Path:
        return self.path / ".lock"

    def _check_not_locked(self) -> None:
        try:
            pid = int(self._lock.read_text().strip())
        except (OSError, ValueError):
            return
        if pid != os.getpid() and _alive(pid):
            raise ArchError(f"{self.path} is in use by another search (process {pid})",
                            hint="wait for it, or use another --out")

    def lock(self) -> None:
        self._check_not_locked()
        atomic_write(self._lock, str(os.getpid()))

    def unlock(self) -> None:
        try:
            if int(self._lock.read_text().strip()) == os.getpid():
                self._lock.unlink()
        except (OSError, ValueError):
            pass

    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_file.read_text(encoding="utf-8"))

    # ---- trials ----------------------------------------------------------------------------
    def trial_file(self, trial_id: str) -> Path:
        return self.trials_dir / f"{trial_id}.json"

    def write_trial(self, record: dict[str, Any]) -> None:
        atomic_write(self.trial_file(record["trial_id"]), dumps(record))

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


__all__ = ["RunDir", "atomic_write", "dumps"]
