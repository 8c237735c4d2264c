"""Every strategy runs a few one-epoch trials on the real digits (32x32x3, 10% of them) and
writes the one run format: trial files, leaderboard, best model and config, Pareto front,
report."""

from __future__ import annotations

import json

import pytest

import archspace

from search_helpers import space_file


@pytest.mark.parametrize("strategy,trials", [
    ("random", 3), ("hyperband", 3), ("bayesian", 3), ("grid", 3), ("nsga2", 3),
    ("smsemoa", 2),                                     # any pymoo algorithm, by name
])
def test_strategy_writes_one_run_format(run_search, digits32, monkeypatch, strategy, trials):
    from archspace.compile.hypermodel import ArchHyperModel

    read: list[str] = []      # every trial's decisions are read through to_hypermodel's class
    real_graph = ArchHyperModel.graph

    def graph(self, hp):
        g = real_graph(self, hp)
        read.append(archspace.config_hash(self.space, g.config))
        return g

    monkeypatch.setattr(ArchHyperModel, "graph", graph)
    res = run_search("small", strategy=strategy, trials=trials, population=2, seed=1)
    assert {t["hash"] for t in res.trials} <= set(read)
    out = res.out
    assert len(res.trials) == trials
    ids = [t["trial_id"] for t in res.trials]
    assert len(set(ids)) == trials
    for t in res.trials:
        assert t["status"] in ("completed", "failed")
        assert t["strategy"] == strategy
        assert set(t) >= {"config", "hash", "params", "bytes", "macs", "time_s"}
        if t["status"] == "completed":
            assert set(t["objectives"]) == {"val_accuracy", "params"}
            assert 0.0 <= t["objectives"]["val_accuracy"] <= 1.0
            assert t["epochs_run"] == 1 and "val_loss" in t["metrics"]
    # never the same architecture twice (Hyperband's later rounds continue a trial on purpose)
    fresh = [t["hash"] for t in res.trials if not t.get("continues")]
    assert len(set(fresh)) == len(fresh)
    rows = (out / "leaderboard.csv").read_text().splitlines()
    assert len(rows) == trials + 1 and rows[0].startswith("rank,trial,status,val_accuracy")
    best = json.loads((out / "best" / "config.json").read_text())
    assert best["trial_id"] == res.best["trial_id"]
    assert archspace.canonical(archspace.parse_file(space_file("small")), best["config"]) == \
        best["config"]
    assert (out / "best" / "model.keras").stat().st_size > 0
    assert (out / "pareto.csv").exists() and (out / "pareto.png").exists()
    assert res.pareto and all(p["status"] == "completed" for p in res.pareto)
    html = (out / "report.html").read_text()
    assert "Pareto front" in html and "Leaderboard" in html and "data:image/png" in html
    if strategy == "random":    # the best model is a plain Keras model that loads and predicts
        import keras

        model = keras.saving.load_model(out / "best" / "model.keras")
        assert model.count_params() == res.best["params"]
        assert model.predict(digits32.x_val["image"][:4], verbose=0).shape == (4, 10)
    if strategy in ("nsga2", "smsemoa"):
        gens = json.loads((out / "generations.json").read_text())
        assert gens and gens[0]["generation"] == 1 and len(gens[0]["trained"]) <= 2
        assert (out / "tuner" / "pymoo" / "gen_0001.json").exists()


def test_tensorboard_logs_with_hparams(run_search):
    res = run_search("small", strategy="random", trials=1, tensorboard=True)
    logdir = res.out / "logs" / res.trials[0]["trial_id"]
    assert list((logdir / "validation").glob("events.out.tfevents.*"))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir), size_guidance={"tensors": 0})
    acc.Reload()
    assert "_hparams_/session_start_info" in acc.Tags()["tensors"]
