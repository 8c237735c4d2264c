"""kill -9 in the middle of a search, run it again: no finished trial is lost or retrained, and
the search ends with exactly the trials asked for."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from search_helpers import space_file

WORKER = """
import sys, archspace
from archspace.search import load_data
space = archspace.parse_file(sys.argv[1])
data = load_data("digits", space, fraction=0.1, seed=0)
archspace.search(space, data=data, strategy=sys.argv[2], trials=int(sys.argv[3]), epochs=1,
                 population=2, out=sys.argv[4], tensorboard=False, verbose=False)
"""


def _kill_after(out, n_files: int, *argv: str) -> dict[str, str]:
    """Start a search in a subprocess, kill -9 it once `n_files` trials have finished; return
    the finished trial files' contents."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, "-c", WORKER, *argv, str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    trials = out / "trials"
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            if trials.exists() and len(list(trials.glob("*.json"))) >= n_files:
                break
            if proc.poll() is not None:
                pytest.fail("the search ended before it was killed:\n" +
                            proc.stderr.read().decode()[-3000:])
            time.sleep(0.05)
        else:
            pytest.fail("the search did not get going")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return {p.name: p.read_text() for p in trials.glob("*.json")}


@pytest.mark.slow  # a search in a subprocess (TensorFlow import, training), killed, then resumed
@pytest.mark.parametrize("strategy,trials,kill_at", [("random", 3, 1), ("nsga2", 4, 3)])
def test_kill_and_resume(run_search, tmp_path, strategy, trials, kill_at):
    out = tmp_path / "run"
    before = _kill_after(out, kill_at, str(space_file("small")), strategy, str(trials))
    assert len(before) >= kill_at
    res = run_search("small", strategy=strategy, trials=trials, population=2, out=out)
    assert len(res.trials) == trials                       # exactly what was asked
    after = {p.name: p.read_text() for p in (out / "trials").glob("*.json")}
    for name, text in before.items():                      # finished work kept as it was
        assert after[name] == text
    hashes = [t["hash"] for t in res.trials]
    assert len(set(hashes)) == trials                      # nothing trained twice
    kt = [json.loads(p.read_text()) for p in (out / "tuner").glob("trial_*/trial.json")]
    assert len(kt) == trials and all(t["status"] in ("COMPLETED", "FAILED") for t in kt)
    meta = json.loads((out / "search.json").read_text())
    assert "resumed" in meta
    if strategy == "nsga2":
        gens = json.loads((out / "generations.json").read_text())
        assert [g["generation"] for g in gens] == list(range(1, len(gens) + 1))
        trained = [tid for g in gens for tid in g["trained"]]
        assert len(trained) == len(set(trained))
    # running it once more does nothing: the search is complete
    again = run_search("small", strategy=strategy, trials=trials, population=2, out=out)
    assert len(again.trials) == trials
    assert {p.name: p.read_text() for p in (out / "trials").glob("*.json")} == after


def test_stop_for_memory_then_resume(run_search, tmp_path, monkeypatch):
    # the process "grows" 100 MB per look; past 50 MB the search stops after a trial, asking
    # for a fresh process
    import itertools

    import archspace.search.engine as engine

    grow = itertools.count(0, 100)
    monkeypatch.setattr(engine, "rss_mb", lambda: float(next(grow)))
    first = run_search("small", strategy="random", trials=2, max_memory_growth_mb=50)
    assert first.restart and len(first.trials) == 1
    rest = run_search("small", strategy="random", trials=2)
    assert not rest.restart and len(rest.trials) == 2
    assert rest.trials[0] == first.trials[0]
