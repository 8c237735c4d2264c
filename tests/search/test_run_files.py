"""Files a run writes: permissions follow the umask, plotting leaves matplotlib's global state
alone (a notebook keeps its backend)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from archspace.search.rundir import atomic_write


def test_run_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "trials.csv", "a,b\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "trials.csv").stat().st_mode) == 0o644


def test_pareto_plot_keeps_the_matplotlib_backend(tmp_path):
    """Run in a fresh interpreter: the backend a user chose must survive a report."""
    code = f"""
import matplotlib
matplotlib.use("svg")
from archspace.search.report import pareto_plot
from archspace.search.settings import Objective
recs = [dict(trial_id=str(i), status="completed", feasible=True,
             objectives={{"val_accuracy": 0.5 + i / 10, "params": 1000 * (i + 1)}})
        for i in range(3)]
objs = [Objective(metric="val_accuracy", direction="max"), Objective(metric="params",
        direction="min")]
hv = [dict(generation=i + 1, hypervolume=0.1 * i) for i in range(3)]
pareto_plot(__import__("pathlib").Path({str(tmp_path / 'p.png')!r}), recs, recs[:1], objs, hv)
print(matplotlib.get_backend())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().lower() == "svg"
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
