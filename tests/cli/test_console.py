"""What a search prints: bars that stay on an 80-column line while epoch metrics print, a line
with each trial's choices and the best so far, a warning when an evolutionary strategy has
fewer trials than one population, plurals, the source of the trial budget, and a run that
records its space file and says how to retrain the best with it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import archspace
from archspace.cli.search_cmd import RichListener
from archspace.search.events import trial_line
from archspace.search.settings import resolve

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "search" / "spaces" / "small.arch"
LOGS = {"loss": 0.123456, "accuracy": 0.456, "val_loss": 0.789, "val_accuracy": 0.912}


def _space(search: str = "", train: str = "") -> archspace.Space:
    return archspace.parse("input image: 8x8x1\noutput classes: 3\nnetwork {\n"
                           "  conv(choice(4, 8), 3x3)\n  global_avg_pool\n  dense(classes)\n}\n"
                           + (f"train {{ {train} }}\n" if train else "")
                           + (f"search {{ {search} }}\n" if search else ""))


def _listener(width: int = 80) -> tuple[RichListener, io.StringIO]:
    buf = io.StringIO()
    listener = RichListener(Console(width=width, file=buf, force_terminal=False,
                                    highlight=False, soft_wrap=True, emoji=False))
    st = resolve(_space(), data="digits", trials=3, epochs=8)
    listener.search_start({"settings": st, "sources": st.sources, "space": "s", "out": "runs/s",
                           "data": "digits", "notes": list(st.notes), "finished": 0})
    return listener, buf


def _bars(listener: RichListener, width: int = 80) -> list[str]:
    """The progress display as a terminal of that width draws it."""
    screen = Console(width=width, record=True, file=io.StringIO())
    screen.print(listener._bar.get_renderable())
    return [line.rstrip() for line in screen.export_text().splitlines() if line.strip()]


def _record(trial: str, acc: float, epochs: int = 8) -> dict:
    return {"trial_id": trial, "status": "completed", "params": 1234, "epochs_run": epochs,
            "time_s": 1.0, "objectives": {"val_accuracy": acc, "params": 1234}}


def test_bars_stay_on_an_80_column_line_while_epoch_metrics_print():
    listener, _ = _listener()
    try:
        listener.trial_start({"trial_id": "3", "epochs": 8, "params": 1234,
                              "config": {"conv/filters": 8}})
        listener.epoch_end("3", 2, 8, LOGS)
        lines = _bars(listener)
        assert len(lines) == 2                              # one line per bar, none folded
        assert all(len(line) <= 80 for line in lines)
        assert "━━━━━" in lines[1]                            # 2/8 of the epoch bar drawn
        assert lines[0].index("0/3") == lines[1].rindex("2/8")  # the bars keep their column
        assert "trial 3 epoch 2/8" in lines[1] and "val_accuracy 0.912" in lines[1]
        assert lines[1].endswith("…")                        # the metrics are cut, not the bar
    finally:
        listener.close()


def test_ties_go_to_the_smaller_model_as_in_the_leaderboard():
    listener, buf = _listener(width=200)
    try:
        listener.trial_end(_record("1", 0.9))
        listener.trial_end({**_record("2", 0.9), "params": 1000})
    finally:
        listener.close()
    done = [line for line in buf.getvalue().splitlines() if "done trial" in line]
    assert done[-1].endswith("best: trial 2, val_accuracy 0.9000")


def test_a_trial_prints_its_choices_and_the_best_so_far():
    listener, buf = _listener(width=200)
    try:
        listener.trial_start({"trial_id": "1", "epochs": 8, "params": 1234,
                              "config": {"conv/filters": 8, "train/optimizer": "adam"}})
        listener.trial_end(_record("1", 0.9))
        listener.trial_start({"trial_id": "2", "epochs": 8, "params": 1234,
                              "config": {"conv/filters": 4}})
        listener.trial_end(_record("2", 0.5))
        assert "best: trial 1, val_accuracy 0.9000" in _bars(listener, 200)[0]
    finally:
        listener.close()
    text = buf.getvalue()
    assert "trial 1 (1.23k params): conv/filters=8, train/optimizer=adam" in text
    assert "trial 2 (1.23k params): conv/filters=4" in text
    done = [line for line in text.splitlines() if "done" in line]
    assert len(done) == 2 and all("best: trial 1, val_accuracy 0.9000" in d for d in done)


def test_nsga2_with_fewer_trials_than_a_population_says_nothing_evolves():
    few = resolve(_space(), data="digits", strategy="nsga2", trials=10, population=20)
    assert any("nothing evolves" in n and "10 trials" in n for n in few.notes)
    enough = resolve(_space(), data="digits", strategy="nsga2", trials=60, population=20)
    assert not any("nothing evolves" in n for n in enough.notes)
    random = resolve(_space(), data="digits", strategy="random", trials=5)
    assert not any("nothing evolves" in n for n in random.notes)


def test_one_is_singular():
    assert "(1.23k params, 1 epoch, 1.0s)" in trial_line(_record("1", 0.9, epochs=1))
    assert "8 epochs" in trial_line(_record("1", 0.9, epochs=8))


def test_a_budget_the_space_sets_is_not_labelled_digits_demo():
    own = resolve(_space(search="trials = 4", train="epochs = 3"), data="digits")
    assert (own.trials, own.epochs) == (4, 3)
    assert own.sources["trials"] == own.sources["epochs"] == "file" and not own.notes
    # a strategy given: the demo only lowers the trials; the space's own 3 epochs stay its own
    big = resolve(_space(search="trials = 100", train="epochs = 3"), data="digits",
                  strategy="random")
    assert big.sources["trials"] == "demo" and big.sources["epochs"] == "file"
    assert big.notes and "digits demo" in big.notes[0]
    # nothing given: the demo's Hyperband bracket replaces the whole budget, and says so
    hb = resolve(_space(search="trials = 100", train="epochs = 3"), data="digits")
    assert hb.strategy == "hyperband" and hb.sources["trials"] == "demo"
    assert hb.notes and "digits demo" in hb.notes[0]


@pytest.mark.slow
def test_a_cli_search_records_its_space_file_and_retrains_with_it(tmp_path):
    """One 1-epoch trial through the command: search.json names the space file, report.html's
    retrain command uses it and the data, and the output has the trial's choices."""
    env = dict(os.environ, COLUMNS="80", NO_COLOR="1", TERM="dumb",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = tmp_path / "run"
    p = subprocess.run([sys.executable, "-c", "import sys; from archspace.cli import main; "
                        "sys.exit(main())", "search", str(SMALL), "--data", "digits",
                        "--trials", "1", "--epochs", "1", "--fraction", "0.2", "--out",
                        str(run), "--no-tensorboard", "--strategy", "random"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    meta = json.loads((run / "search.json").read_text())
    assert meta["space_file"] == str(SMALL) and meta["data"] == "digits"
    html = (run / "report.html").read_text()
    assert f"archspace train {SMALL} --config {run / 'best' / 'config.json'} --data digits " \
           "--epochs 1" in html
    assert "SPACE" not in html and "DATA" not in html
    assert "trial " in p.stdout and "c1/filters=" in p.stdout
