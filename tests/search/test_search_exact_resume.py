"""An NSGA-II search killed (kill -9) in the middle of a generation and resumed proposes
exactly what an uninterrupted search with the same seed proposes when fed the same results.

The objectives are NASWOT and params, which are deterministic (NASWOT is measured at
initialisation with weights seeded by the architecture's hash, on a fixed minibatch): both
runs see the same result for the same architecture, so any difference in what they propose
comes from the resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from search_helpers import space_file

WORKER = """
import sys, archspace
from archspace.search import load_data
space = archspace.parse_file(sys.argv[1])
data = load_data("digits", space, fraction=0.1, seed=0)
archspace.search(space, data=data, strategy="nsga2", trials=12, population=4, seed=3,
                 objectives=["maximize naswot", "minimize params"], out=sys.argv[2],
                 tensorboard=False, verbose=False)
"""


def _search(out, kill_at=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("ARCHSPACE_KILL_AT", None)
    if kill_at:
        env["ARCHSPACE_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-c", WORKER, str(space_file("small")), str(out)],
                          env=env, capture_output=True, text=True, timeout=600)


def _generations(out):
    gens = sorted((out / "tuner" / "pymoo").glob("gen_*.json"))
    return [json.loads(p.read_text()) for p in gens]


def _trials(out):
    recs = [json.loads(p.read_text()) for p in (out / "trials").glob("*.json")]
    return [(r["trial_id"], r["hash"], r["objectives"]) for r in
            sorted(recs, key=lambda r: r["number"])]


@pytest.mark.slow   # three searches in subprocesses (TensorFlow import each)
def test_nsga2_resumed_mid_generation_proposes_what_an_uninterrupted_run_does(tmp_path):
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    first = _search(killed, kill_at="trial@6")      # generation 2 (of 4 individuals) half done
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    assert len(list((killed / "trials").glob("*.json"))) == 5
    assert len(_generations(killed)) == 1
    resumed = _search(killed)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ref = _search(whole)
    assert ref.returncode == 0, ref.stderr[-3000:]
    a, b = _generations(killed), _generations(whole)
    assert len(a) == len(b) >= 3
    for ga, gb in zip(a, b):      # the same individuals asked, told the same results
        assert ga["X"] == gb["X"]
        assert ga["F"] == gb["F"] and ga["G"] == gb["G"]
    assert _trials(killed) == _trials(whole)
