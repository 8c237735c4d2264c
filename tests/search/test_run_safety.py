"""Run-folder safety (issue 10): --overwrite deletes only run folders, one atomic lock, best/
always one trial's model and config, resume after kill -9 at every write of a trial, a config
tied to its space, settings checked before anything trains."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import archspace
from archspace.cli.app import main
from archspace.errors import ArchError
from archspace.search.rundir import MARKER, RunDir, file_sha256

from search_helpers import ROOT, space_file

META = {"space_hash": "a", "data": "digits", "fingerprint": {"strategy": "random"}}


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and "Traceback" not in err
    assert len([ln for ln in lines if not ln.startswith(" ")]) == 1, err
    return lines[0]


# ---- 1. --overwrite deletes only an archspace run folder ----------------------------------
def test_overwrite_refuses_a_folder_without_the_marker(tmp_path):
    d = tmp_path / "thesis"
    d.mkdir()
    (d / "thesis.tex").write_text("years of work")
    with pytest.raises(ArchError) as e:
        RunDir.open(d, META, overwrite=True)
    assert "not an archspace run directory" in e.value.message
    assert (d / "thesis.tex").read_text() == "years of work"
    assert not (d / MARKER).exists()


def test_overwrite_on_the_command_line_exits_2_and_keeps_the_files(tmp_path, capsys):
    d = tmp_path / "work"
    d.mkdir()
    (d / "thesis.tex").write_text("x")
    rc = main(["search", str(space_file("small")), "--data", "digits", "--trials", "1",
               "--epochs", "1", "--fraction", "0.05", "--out", str(d), "--overwrite",
               "--no-tensorboard"])
    assert rc == 2
    assert "not an archspace run directory" in _one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in d.iterdir()) == ["thesis.tex"]


@pytest.mark.parametrize("where", [".", "..", "~"])
def test_overwrite_never_removes_cwd_its_parents_or_home(tmp_path, monkeypatch, where):
    home = tmp_path / "home"
    cwd = home / "project"
    cwd.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    target = {".": cwd, "..": home, "~": home}[where]
    (target / MARKER).write_text("{}")          # even one that looks like a run folder
    (target / "keep.txt").write_text("x")
    with pytest.raises(ArchError) as e:
        RunDir.open(Path(where).expanduser(), META, overwrite=True)
    assert "refused" in e.value.message
    assert (target / "keep.txt").exists() and (cwd.exists())


def test_overwrite_empties_a_run_folder(tmp_path):
    run, _ = RunDir.open(tmp_path / "r", META)
    run.write_trial({"trial_id": "0", "number": 0, "status": "completed"})
    (run.path / "logs" / "0").mkdir(parents=True)
    run.unlock()
    assert (run.path / MARKER).is_file()
    run2, resumed = RunDir.open(tmp_path / "r", META, overwrite=True)
    run2.unlock()
    assert not resumed and run2.trials() == []
    assert sorted(p.name for p in run2.path.iterdir()) == sorted(
        [MARKER, ".lock", "search.json", "trials"])


# ---- 10. the lock ------------------------------------------------------------------------
HOLD = """
import sys, time
from archspace.search.rundir import RunDir
run, _ = RunDir.open(sys.argv[1], {"space_hash": "a", "data": "digits", "fingerprint": {}})
print("locked", flush=True)
time.sleep(120)
"""


def test_lock_is_held_while_its_process_lives_and_freed_by_kill_9(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                            cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == b"locked"
        with pytest.raises(ArchError) as e:
            RunDir.open(out, {"space_hash": "a", "data": "digits", "fingerprint": {}})
        assert f"process {proc.pid}" in e.value.message and ".lock" in e.value.hint
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    run, resumed = RunDir.open(out, {"space_hash": "a", "data": "digits", "fingerprint": {}})
    run.unlock()
    assert resumed


def test_a_stale_lock_with_a_reused_pid_does_not_block(tmp_path):
    run, _ = RunDir.open(tmp_path / "r", META)
    run.unlock()
    (run.path / ".lock").write_text("1\n")     # pid 1 is alive: a reused pid
    run2, resumed = RunDir.open(tmp_path / "r", META)
    run2.unlock()
    assert resumed


# ---- 6 + the kill test: kill -9 at each write of a trial, resume, check the folder -------
WORKER = """
import sys, archspace
from archspace.search import load_data
space = archspace.parse_file(sys.argv[1])
data = load_data("digits", space, fraction=0.1, seed=0)
archspace.search(space, data=data, strategy="random", trials=2, epochs=1, out=sys.argv[2],
                 tensorboard=True, verbose=False)
"""

#: write points of a trial (see archspace.search.rundir.kill_point); @2 = the second time
POINTS = ["trial.json", "best-model", "best-config", "trial", "best-swap", "tuner0.json",
          "trial@2", "leaderboard.json"]


def _events_pids(folder: Path) -> set[str]:
    # events.out.tfevents.TIME.HOST.PID.N.v2
    return {p.name.split(".")[-3] for p in folder.rglob("events.out.tfevents.*")}


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_write_then_resume_leaves_a_consistent_run(run_search, tmp_path, point):
    out = tmp_path / "run"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", ARCHSPACE_KILL_AT=point)
    proc = subprocess.run([sys.executable, "-c", WORKER, str(space_file("small")), str(out)],
                          env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, \
        f"never reached {point}: " + proc.stderr.decode()[-2000:]
    before = {p.name: p.read_text() for p in (out / "trials").glob("*.json")}

    res = run_search("small", strategy="random", trials=2, out=out, tensorboard=True)

    trials = {p.stem: json.loads(p.read_text()) for p in (out / "trials").glob("*.json")}
    assert len(res.trials) == len(trials) == 2
    for name, text in before.items():                   # no finished trial lost or redone
        assert (out / "trials" / name).read_text() == text
    assert len({t["hash"] for t in trials.values()}) == 2
    board = json.loads((out / "leaderboard.json").read_text())
    assert sorted(r["trial_id"] for r in board) == sorted(trials)
    # best/: one trial's model and config, and that trial is the best
    best = json.loads((out / "best" / "config.json").read_text())
    t = trials[best["trial_id"]]
    assert (best["hash"], best["config"], best["objectives"]) == \
        (t["hash"], t["config"], t["objectives"])
    assert file_sha256(out / "best" / "model.keras") == best["model_sha256"]
    top = max(r["objectives"]["val_accuracy"] for r in trials.values()
              if r["status"] == "completed")
    assert best["objectives"]["val_accuracy"] == top
    # nothing temporary left, no killed attempt's TensorBoard events beside a re-run's
    left = [p for p in out.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
    assert left == []
    for tid in trials:
        assert len(_events_pids(out / "logs" / tid)) == 1, tid
    assert not list((out / "logs").glob("*")) or \
        {p.name for p in (out / "logs").iterdir()} <= set(trials)


def test_resume_with_fewer_trials_trains_nothing_more(run_search, tmp_path, monkeypatch):
    from archspace.search.engine import SearchRun

    fits = []
    real = SearchRun._fit

    def fit(self, *a, **kw):
        fits.append(a[0])
        if len(fits) == 2:            # Ctrl-C in the second trial: it stays RUNNING
            raise KeyboardInterrupt
        return real(self, *a, **kw)

    monkeypatch.setattr(SearchRun, "_fit", fit)
    with pytest.raises(KeyboardInterrupt):
        run_search("small", strategy="random", trials=2)
    res = run_search("small", strategy="random", trials=1)
    assert len(fits) == 2 and len(res.trials) == 1


# ---- 7. a configuration is tied to its space ---------------------------------------------
SPACE = """space tied
input image: 8x8x1
output classes: 10
network {{
  conv({width}, 3x3, relu)
  conv(choice(2, 4), 3x3, relu)
  global_avg_pool
  dense(classes)
  softmax
}}
"""


def _space(tmp_path: Path, width: int, name: str = "tied") -> Path:
    p = tmp_path / f"{name}_{width}.arch"
    p.write_text(SPACE.format(width=width).replace("space tied", f"space {name}"))
    return p


def test_config_hash_covers_fixed_parts_of_the_space(tmp_path):
    a = archspace.parse_file(_space(tmp_path, 4))
    b = archspace.parse_file(_space(tmp_path, 8))
    assert archspace.config_hash(a, {}) != archspace.config_hash(b, {})
    from archspace.ir.config import space_hash

    assert space_hash(a) != space_hash(b)
    assert space_hash(a) == space_hash(archspace.parse(_space(tmp_path, 4).read_text()))


def _config_file(tmp_path: Path, space: Path) -> Path:
    from archspace.ir.config import space_hash

    s = archspace.parse_file(space)
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"space": s.name, "space_hash": space_hash(s), "hash": "x",
                               "config": archspace.default_config(s)}))
    return cfg


@pytest.mark.parametrize("other", ["edited", "renamed"])
def test_train_refuses_a_config_of_another_space(tmp_path, capsys, monkeypatch, other):
    import archspace.search.engine as engine

    monkeypatch.setattr(engine, "fit_config", lambda *a, **k: pytest.fail("trained"))
    cfg = _config_file(tmp_path, _space(tmp_path, 4))
    target = _space(tmp_path, 8) if other == "edited" else _space(tmp_path, 4, "other")
    rc = main(["train", str(target), "--config", str(cfg), "--data", "digits",
               "--out", str(tmp_path / "m.keras")])
    err = capsys.readouterr().err
    assert rc == 2 and "--force" in err
    line = _one_error_line(err)
    assert ("another version" if other == "edited" else "space 'tied'") in line


def test_train_force_takes_a_config_of_an_edited_space(tmp_path, capsys):
    cfg = _config_file(tmp_path, _space(tmp_path, 4))
    out = tmp_path / "m.keras"
    rc = main(["train", str(_space(tmp_path, 8)), "--config", str(cfg), "--data", "digits",
               "--epochs", "1", "--fraction", "0.05", "--out", str(out), "--force"])
    assert rc == 0 and out.stat().st_size > 0


def test_best_config_records_the_space_hash(run_search, tmp_path):
    from archspace.ir.config import space_hash

    res = run_search("small", strategy="random", trials=1)
    best = json.loads((res.out / "best" / "config.json").read_text())
    assert best["space_hash"] == space_hash(archspace.parse_file(space_file("small")))
    r = archspace.search.train(space_file("small"), res.out / "best" / "config.json", "digits",
                               epochs=1, fraction=0.05, out=None, verbose=False)
    assert r["hash"] == best["hash"]


# ---- 10. settings checked before anything trains ------------------------------------------
@pytest.mark.parametrize("args,says", [
    (["--batch-size", "0"], "batch size must be at least 1"),
    (["--objective", "maximize val_acuracy"], "did you mean 'val_accuracy'"),
    (["--max-params", "-5"], "--max-params must be positive"),
    (["--constraint", "params < 0"], "can never be met"),
    (["--population", "0"], "population must be at least 1"),
])
def test_bad_settings_exit_2_before_training(tmp_path, capsys, monkeypatch, args, says):
    import archspace.search.engine as engine

    monkeypatch.setattr(engine, "load_data", lambda *a, **k: pytest.fail("loaded data"))
    out = tmp_path / "r"
    rc = main(["search", str(space_file("small")), "--trials", "1", "--epochs", "1",
               "--out", str(out), *args])
    assert rc == 2
    assert says in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_known_objectives_still_pass():
    from archspace.search.settings import resolve

    s = archspace.parse_file(space_file("small"))
    for objective in ("maximize val_accuracy", "minimize val_loss", "min loss", "max accuracy",
                      "minimize bytes"):
        assert resolve(s, objectives=[objective]).objectives[0].metric == objective.split()[1]


def test_train_batch_size_0_and_unwritable_out_fail_before_training(tmp_path, monkeypatch):
    import archspace.search.engine as engine

    monkeypatch.setattr(engine, "fit_config", lambda *a, **k: pytest.fail("trained"))
    monkeypatch.setattr(engine, "load_data", lambda *a, **k: pytest.fail("loaded data"))
    with pytest.raises(ArchError, match="batch size must be at least 1"):
        archspace.search.train(space_file("small"), None, "digits", batch_size=0, out=None)
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    with pytest.raises(ArchError, match="cannot write the model"):
        archspace.search.train(space_file("small"), None, "digits",
                               out=blocker / "model.keras", verbose=False)


# ---- 9. bounded error output -------------------------------------------------------------
def test_a_config_with_100000_bad_keys_reports_a_few(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({f"nope{i}": 1 for i in range(100_000)}))
    rc = main(["compile", str(space_file("small")), "--config", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) < 60, len(err.splitlines())
    assert "and 99990 more" in err


def test_train_setting_batch_size_0_in_the_file_is_an_error():
    from archspace.compile.training import train_settings

    s = archspace.parse(textwrap.dedent("""\
        space z
        input x: 4
        output y: 3
        network { dense(y) softmax }
        train { batch_size = 0 }
        """))
    with pytest.raises(ArchError, match="batch_size' must be at least 1"):
        train_settings(s)


def test_a_search_that_trains_nothing_does_not_exit_0(tmp_path, capsys):
    rc = main(["search", str(space_file("small")), "--data", "digits", "--trials", "1",
               "--epochs", "1", "--fraction", "0.05", "--max-params", "10",
               "--out", str(tmp_path / "r"), "--no-tensorboard"])
    assert rc == 1
    assert "no trial was trained" in capsys.readouterr().err
