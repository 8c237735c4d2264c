"""`archspace search` and `archspace train` from the command line."""

from __future__ import annotations

import json

from archspace.cli.app import main

from search_helpers import space_file


def test_search_then_train_the_best(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["search", str(space_file("small")), "--data", "digits", "--strategy", "nsga2",
            "--trials", "2", "--epochs", "1", "--fraction", "0.05", "--population", "2",
            "--max-params", "5k", "--out", str(out), "--no-tensorboard"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "nsga2 (command line)" in text and "params <= 5k" in text
    assert "best trials" in text and "report.html" in text
    trials = [json.loads(p.read_text()) for p in (out / "trials").glob("*.json")]
    assert len(trials) == 2 and all(t["params"] <= 5000 for t in trials)

    # the same command again: resumes, nothing left to do
    assert main(args) == 0
    assert "resuming" in capsys.readouterr().out
    assert len(list((out / "trials").glob("*.json"))) == 2

    # another strategy into the same directory is refused
    bad = list(args)
    bad[bad.index("nsga2")] = "random"
    assert main(bad) == 2
    assert "different search" in capsys.readouterr().err

    model = tmp_path / "best.keras"
    assert main(["train", str(space_file("small")), "--config", str(out / "best" / "config.json"),
                 "--data", "digits", "--epochs", "1", "--fraction", "0.05",
                 "--out", str(model)]) == 0
    assert "saved" in capsys.readouterr().out and model.stat().st_size > 0


def test_search_reports_bad_input(tmp_path, capsys):
    assert main(["search", str(space_file("small")), "--data", "nowhere/", "--out",
                 str(tmp_path / "r")]) == 2
    assert "not a known dataset" in capsys.readouterr().err
