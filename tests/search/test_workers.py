"""The pieces of worker-process searches that need no second process: memory readings in MB
whatever the platform's units, leases on a real oracle, the chief's settings as a worker reads
them, and the command line's checks."""

from __future__ import annotations

import os
import sys

import pytest

import archspace
from archspace.cli.app import main
from archspace.search.workers.memory import maxrss_mb, peak_rss_mb, rss_mb

from search_helpers import space_file


# ---- memory -------------------------------------------------------------------------------
@pytest.mark.parametrize("platform,value", [("linux", 2048 * 1024), ("darwin", 2048 * 2**20),
                                            ("freebsd13", 2048 * 1024)])
def test_maxrss_is_read_in_the_platforms_unit(platform, value):
    # 2 GB as each platform's ru_maxrss says it: kilobytes, except macOS (bytes)
    assert maxrss_mb(value, platform) == 2048


def test_memory_readings_agree_with_the_kernel():
    now, peak = rss_mb(), peak_rss_mb()
    assert now is not None and peak is not None and 1 < now <= peak + 1
    assert rss_mb(os.getpid()) == pytest.approx(now, rel=0.2)
    try:
        import resource
    except ImportError:          # Windows: no resource module, yet no crash above
        return
    from_rusage = maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    assert from_rusage == pytest.approx(peak, rel=0.2)   # the same number, the same unit


# ---- leases on a real oracle --------------------------------------------------------------
@pytest.fixture
def leased(digits32, tmp_path):
    from archspace.search.engine import SearchRun
    from archspace.search.rundir import RunDir
    from archspace.search.settings import resolve
    from archspace.search.strategies import make_oracle
    from archspace.search.tuner import ArchTuner
    from archspace.search.workers.chief import _failed_record
    from archspace.search.workers.lease import lease_oracle

    space = archspace.parse_file(space_file("small"))
    st = resolve(space, data="digits", trials=3, epochs=1)
    run, _ = RunDir.open(tmp_path / "run", {"space": space.name}, lock=False)
    eng = SearchRun(space, st, digits32, run, tensorboard=False)
    tuner = ArchTuner(make_oracle(eng), eng)
    return eng, lease_oracle(tuner.oracle, lambda t, r: _failed_record(eng, t, r))


def test_a_lost_trial_is_requeued_once_then_failed_with_the_reason(leased):
    from archspace.search.workers.heartbeat import HEARTBEAT, WORKER, worker_code

    eng, oracle = leased
    first = oracle.create_trial("a")
    assert oracle.held_by("a") == first.trial_id and oracle.pending()
    beat = {HEARTBEAT: 1.0, WORKER: worker_code("a"), "archspace/epoch": 1.0}
    assert oracle.update_trial(first.trial_id, beat).status == "RUNNING"
    assert oracle.leases[first.trial_id].epoch == 1
    assert oracle.expired(lease_s=60, timeout_s=None) == []
    lease, reason = oracle.expired(lease_s=-1, timeout_s=None)[0]
    assert lease.tuner_id == "a" and "stopped answering" in reason

    assert oracle.lose(first.trial_id, "worker a died (SIGKILL)") == "re-queued"
    # the lost worker's heartbeat is told to stop; the next worker gets the same trial
    assert oracle.update_trial(first.trial_id, beat).status == "STOPPED"
    again = oracle.create_trial("b")
    assert again.trial_id == first.trial_id and oracle.held_by("a") is None
    lease, reason = oracle.expired(lease_s=60, timeout_s=-1)[0]
    assert "timed out" in reason

    assert oracle.lose(first.trial_id, reason) == "failed"
    record = eng.dir.trial(first.trial_id)
    assert record["status"] == "failed" and "timed out" in record["reason"]
    assert oracle.trials[first.trial_id].status == "FAILED" and not oracle.pending()
    # the search goes on with the next trial
    assert oracle.create_trial("b").trial_id != first.trial_id


def test_a_worker_reads_the_chiefs_settings(run_search):
    import json

    from archspace.search.workers.worker import settings_from

    res = run_search("small", trials=1, max_params=5000, constraints=["bytes <= 8M"])
    meta = json.loads((res.out / "search.json").read_text())
    assert settings_from(meta["settings"]) == res.settings


# ---- the command line ---------------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    (["--workers", "0"], "--workers 0 runs no trial"),
    (["--workers", "2", "--worker-trials", "0"], "--worker-trials must be at least 1"),
    (["--trial-timeout", "0"], "--trial-timeout must be positive"),
    (["--chief", "nowhere"], "expected HOST:PORT"),
])
def test_bad_worker_options_exit_2_before_anything_runs(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    assert main(["search", str(space_file("small")), "--out", str(out)] + args) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_a_worker_without_a_search_says_so(tmp_path, capsys):
    assert main(["worker", str(space_file("small")), "--chief", "127.0.0.1:1",
                 "--out", str(tmp_path)]) == 2
    assert "holds no search" in capsys.readouterr().err


def test_a_worker_named_like_the_chief_is_refused(run_search, capsys):
    # Keras Tuner takes any tuner whose id contains "chief" for the chief
    res = run_search("small", trials=1)
    assert main(["worker", str(space_file("small")), "--chief", "127.0.0.1:1",
                 "--out", str(res.out), "--id", "chief-2"]) == 2
    assert "must not contain 'chief'" in capsys.readouterr().err


# ---- several devices for one trial ----------------------------------------------------------
DEVICES = """
import sys
from archspace.search.workers.devices import use_devices
strategy = use_devices(2)
import archspace
from archspace.search import load_data
from archspace.search.trainer import fit_config
space = archspace.parse_file(sys.argv[1])
data = load_data("digits", space, fraction=0.05, seed=0)
fr = fit_config(space, {}, data, epochs=1)
print(strategy.num_replicas_in_sync, type(fr.model.weights[0].value).__name__,
      fr.metrics["val_accuracy"] >= 0)
"""


@pytest.mark.slow
def test_two_logical_cpus_train_one_trial_mirrored():
    import subprocess

    from search_helpers import ROOT

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", DEVICES, str(space_file("small"))], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    replicas, variable, ok = proc.stdout.split()[-3:]
    assert replicas == "2" and "Mirrored" in variable and ok == "True"


def test_worker_options_and_chief_addresses():
    from archspace.errors import ArchError
    from archspace.search.workers import WorkerOptions
    from archspace.search.workers.worker import parse_chief

    assert WorkerOptions.of(None) is None and WorkerOptions.of(3).count == 3
    with pytest.raises(ArchError, match="count of processes"):
        WorkerOptions.of("two")
    assert parse_chief("10.0.0.5:8470") == ("10.0.0.5", 8470)
    assert parse_chief("[::1]:0") == ("::1", 0)
    for bad in ("host", "host:", ":80", "host:http", "host:70000"):
        with pytest.raises(ArchError, match="HOST:PORT"):
            parse_chief(bad)


def test_the_chief_shows_a_line_per_worker_and_the_best_so_far():
    from archspace.cli.search_cmd import RichListener

    shown = RichListener()
    shown._start(20, 3)
    try:
        rows = [{"worker": "w1-2", "trial_id": "07", "epoch": 2, "epochs": 5,
                 "logs": {"val_accuracy": 0.5}, "since": 0.0},
                {"worker": "w2-1", "trial_id": "08", "epoch": 0, "epochs": 5, "logs": {},
                 "since": 0.0}]
        best = {"trial_id": "03", "objectives": {"val_accuracy": 0.8125, "params": 1000}}
        shown.workers(rows, best)
        lines = {(t.description, t.fields["metrics"]) for t in shown._bar.tasks if t.visible}
        assert ("  w1-2: trial 07 epoch 2/5", "val_accuracy 0.500") in lines
        assert ("  w2-1: trial 08 epoch 0/5", "") in lines
        assert ("trials", "best: trial 03 val_accuracy 0.8125") in lines
        shown.workers(rows[1:], best)      # w1-2 has finished its trial: its line goes
        assert not any("w1-2" in t.description for t in shown._bar.tasks)
    finally:
        shown.close()
