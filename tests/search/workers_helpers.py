"""Processes for the worker tests: a command of this tree in a child process, the processes a
process started (from /proc), and ending only those, by pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from search_helpers import ROOT

CLI = [sys.executable, "-c", "import sys; from archspace.cli.app import main; sys.exit(main())"]


def start(args: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT) + os.pathsep +
               os.environ.get("PYTHONPATH", ""))
    with open(log, "ab") as f:
        return subprocess.Popen(CLI + [str(a) for a in args], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(d.name))
    return out


def cmdline(pid: int) -> list[str]:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_text().split("\0")
    except OSError:
        return []


def rss_mb(pid: int) -> float | None:
    from archspace.search.workers.memory import rss_mb as measure

    return measure(pid)


def stop(*procs: subprocess.Popen) -> None:
    """End these processes and the processes they started, by pid (a test that failed)."""
    for p in procs:
        if p.poll() is None:
            for c in children(p.pid):
                _kill(c)
            _kill(p.pid)
            p.wait(30)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for(cond, timeout: float, what: str, poll: float = 0.2):
    end = time.time() + timeout
    while time.time() < end:
        value = cond()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def oracle_state(out: Path) -> dict:
    try:
        return json.loads((out / "tuner" / "oracle.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def check_run(out: Path, trials: int, once: bool = True) -> list[dict]:
    """Every trial has its file (and, with `once`, ended exactly once in the oracle), and the
    leaderboard lists exactly the trial files. Returns the trial records."""
    records = [json.loads(p.read_text()) for p in sorted((out / "trials").glob("*.json"))]
    ids = sorted(int(r["trial_id"]) for r in records)
    assert ids == list(range(trials)), ids
    state = oracle_state(out)
    assert sorted(int(t) for t in state["run_times"]) == list(range(trials))
    if once:
        assert all(n == 1 for n in state["run_times"].values()), state["run_times"]
    rows = json.loads((out / "leaderboard.json").read_text())
    assert sorted((r["trial_id"], r["hash"]) for r in rows) == \
        sorted((r["trial_id"], r["hash"]) for r in records)
    hashes = [r["hash"] for r in records if r["status"] == "completed"]
    assert len(hashes) == len(set(hashes))      # no architecture trained twice
    return records
