"""Searches whose trials run in worker processes: local (`--workers`), killed, and remote
(`archspace worker`). Loopback only; each test ends only the processes it started, by pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from search_helpers import space_file
from workers_helpers import (check_run, children, cmdline, oracle_state, rss_mb, start, stop,
                             wait_for)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="follows processes through /proc")]

SEARCH = ["search", space_file("small"), "--data", "digits", "--fraction", "0.1",
          "--epochs", "1", "--no-tensorboard", "--seed", "3"]
LIMIT = 900     # seconds: a bound on a test that hangs, not a speed check


def _finish(proc, log, limit=LIMIT) -> int:
    try:
        return proc.wait(limit)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise AssertionError(f"no end in {limit}s:\n{log.read_text()[-3000:]}") from None


def test_two_workers_recycled_every_trial_once_and_the_chief_stays_flat(tmp_path):
    """20 trials in 2 worker processes that each exit after 5 trials: every trial ran once, the
    leaderboard is the trial files, and the chief's memory does not grow with the trials (a
    one-process search grows by tens of MB per trial)."""
    out, log = tmp_path / "run", tmp_path / "chief.log"
    chief = start(SEARCH + ["--trials", "20", "--workers", "2", "--worker-trials", "5",
                            "--out", out], log)
    samples = []                 # (finished trials, chief RSS in MB)
    try:
        while chief.poll() is None:
            done = len(list((out / "trials").glob("*.json"))) if out.exists() else 0
            rss = rss_mb(chief.pid)
            if rss is not None:
                samples.append((done, rss))
            time.sleep(0.5)
    finally:
        stop(chief)
    assert chief.returncode == 0, log.read_text()[-3000:]
    check_run(out, 20)
    starts = (out / "tuner" / "workers" / "w1.log").read_text().count("---- w1-")
    starts += (out / "tuner" / "workers" / "w2.log").read_text().count("---- w2-")
    assert starts >= 4                     # 20 trials at 5 per process: recycled
    early = max(r for d, r in samples if d <= 5)
    late = max(r for d, r in samples)
    assert late - early < 60, (early, late)


def test_a_worker_killed_mid_trial_loses_nothing(tmp_path):
    out, log = tmp_path / "run", tmp_path / "chief.log"
    chief = start(SEARCH + ["--trials", "4", "--workers", "2", "--out", out], log)
    try:
        # a worker holding a trial (the oracle's ongoing trials name it) ...
        held = wait_for(lambda: oracle_state(out).get("ongoing_trials"), 600, "a running trial")
        tuner_id, trial_id = next(iter(held.items()))
        pid = wait_for(lambda: next((c for c in children(chief.pid)
                                     if tuner_id in cmdline(c)), None), 60, "its process")
        time.sleep(1.0)
        if not (out / "trials" / f"{trial_id}.json").exists():   # ... killed mid-trial
            os.kill(pid, signal.SIGKILL)
        else:
            pytest.fail("the trial ended before it could be killed")
        code = _finish(chief, log)
    finally:
        stop(chief)
    assert code == 0, log.read_text()[-3000:]
    records = check_run(out, 4, once=False)
    killed = next(r for r in records if r["trial_id"] == trial_id)
    assert killed["status"] == "completed" or "SIGKILL" in killed.get("reason", "")
    assert f"trial {trial_id}: worker {tuner_id} died (SIGKILL); re-queued" in \
        " ".join(log.read_text().split())


def test_one_chief_and_two_remote_workers_with_nsga2(tmp_path):
    out, log = tmp_path / "run", tmp_path / "chief.log"
    chief = start(SEARCH + ["--trials", "4", "--strategy", "nsga2", "--population", "2",
                            "--chief", "127.0.0.1:0", "--out", out], log)
    workers = []
    try:
        about = out / "tuner" / "workers.json"
        address = wait_for(lambda: about.exists() and json.loads(about.read_text())["chief"],
                           600, "the chief's address")
        worker = ["worker", space_file("small"), "--chief", address, "--out", out]
        workers.append(start(worker + ["--id", "a"], tmp_path / "a.log"))
        # the second joins late: once the first has a trial
        wait_for(lambda: oracle_state(out).get("ongoing_trials"), 600, "a running trial")
        workers.append(start(worker + ["--id", "b"], tmp_path / "b.log"))
        code = _finish(chief, log)
        for w in workers:
            assert _finish(w, tmp_path / "a.log", 120) == 0
    finally:
        stop(chief, *workers)
    assert code == 0, log.read_text()[-3000:]
    check_run(out, 4)
    assert json.loads((out / "generations.json").read_text())
    assert (out / "best" / "model.keras").exists() and (out / "report.html").exists()


def test_a_one_process_search_past_its_memory_budget_goes_on_in_workers(tmp_path):
    """--max-memory-growth in a one-process search: past it, the remaining trials run in a
    worker process (recycled past the same budget), and the search completes (exit 0)."""
    out, log = tmp_path / "run", tmp_path / "chief.log"
    chief = start(SEARCH + ["--trials", "3", "--max-memory-growth", "1", "--out", out], log)
    code = _finish(chief, log)
    text = " ".join(log.read_text().split())
    assert code == 0, text[-3000:]
    assert "memory grew by" in text
    check_run(out, 3)
    assert (out / "tuner" / "workers" / "w1.log").exists()


def test_a_trial_past_the_time_limit_is_ended_then_failed(tmp_path):
    """--trial-timeout: the chief kills the worker of a trial running too long; the trial runs
    once more, times out again and is recorded as failed with the reason."""
    out, log = tmp_path / "run", tmp_path / "chief.log"
    chief = start(SEARCH + ["--trials", "1", "--epochs", "50", "--trial-timeout", "0.5",
                            "--workers", "1", "--out", out], log)
    code = _finish(chief, log)
    text = " ".join(log.read_text().split())
    assert code == 1, text[-3000:]            # no trial completed: exit 1 (findings)
    record = json.loads((out / "trials" / "0.json").read_text())
    assert record["status"] == "failed"
    assert record["reason"] == "timed out after 0.5s (--trial-timeout)"
    assert "trial 0: timed out after 0.5s (--trial-timeout); re-queued" in text
    assert (out / "tuner" / "workers" / "w1.log").read_text().count("---- w1-") >= 2


CHIEF_ONLY = """
import sys
import archspace
from archspace.search.workers import WorkerOptions
archspace.search(sys.argv[1], data="digits", fraction=0.1, epochs=1, trials=3, seed=3,
                 strategy="random", out=sys.argv[2], tensorboard=False,
                 workers=WorkerOptions(count=0, listen="127.0.0.1:0", lease_s=4,
                                       heartbeat_s=0.5))
"""


def test_a_remote_worker_that_vanishes_loses_its_trial_to_the_next(tmp_path):
    """A remote worker killed mid-trial stops renewing its lease: the chief takes the trial
    back when the lease expires and a worker that joins later runs it; nothing is lost or
    run twice to completion."""
    import subprocess as sp

    from search_helpers import ROOT

    out, log = tmp_path / "run", tmp_path / "chief.log"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "wb") as f:
        chief = sp.Popen([sys.executable, "-c", CHIEF_ONLY, str(space_file("small")), str(out)],
                         cwd=ROOT, env=env, stdout=f, stderr=sp.STDOUT)
    workers = []
    try:
        about = out / "tuner" / "workers.json"
        address = wait_for(lambda: about.exists() and json.loads(about.read_text())["chief"],
                           600, "the chief's address")
        worker = ["worker", space_file("small"), "--chief", address, "--out", out]
        workers.append(start(worker + ["--id", "gone"], tmp_path / "gone.log"))
        held = wait_for(lambda: oracle_state(out).get("ongoing_trials", {}).get("gone"), 600,
                        "a trial for the first worker")
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(30)
        workers.append(start(worker + ["--id", "late"], tmp_path / "late.log"))
        code = _finish(chief, log)
        assert _finish(workers[1], tmp_path / "late.log", 120) == 0
    finally:
        stop(chief, *workers)
    assert code == 0, log.read_text()[-3000:]
    records = check_run(out, 3, once=False)
    taken = next(r for r in records if r["trial_id"] == held)
    assert taken["status"] == "completed"
    assert f"trial {held}: worker gone stopped answering" in " ".join(log.read_text().split())
