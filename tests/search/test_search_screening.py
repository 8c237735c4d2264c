"""A search never spends a trial on an oversized or already-trained architecture, records a
failing trial with its reason and goes on, and handles several inputs and per-pixel labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

import archspace
from archspace.search.candidates import enumerate_configs, make_candidate
from archspace.search.settings import resolve

from search_helpers import space_file


@pytest.fixture
def built(monkeypatch):
    """Parameter counts of every model a trial builds."""
    import archspace.compile as compile_pkg

    sizes: list[int] = []
    real = compile_pkg.to_keras

    def counting(space, config=None, **kw):
        model = real(space, config, **kw)
        sizes.append(model.count_params())
        return model

    monkeypatch.setattr(compile_pkg, "to_keras", counting)
    return sizes


def _bound(name: str) -> float:
    """A params bound that the default configuration and 3/4 of the architectures break."""
    space = archspace.parse_file(space_file(name))
    s = resolve(space)
    params = sorted({make_candidate(space, c, s).static["params"]
                     for c in enumerate_configs(space)})
    bound = params[len(params) // 4]
    assert make_candidate(space, {}, s).static["params"] > bound
    return float(bound)


@pytest.mark.parametrize("strategy", ["grid", "nsga2"])
def test_oversized_models_are_never_built(run_search, built, strategy):
    bound = _bound("small")
    res = run_search("small", strategy=strategy, trials=3, max_params=bound, population=3)
    assert len(res.trials) == 3 and built
    assert max(built) <= bound                                   # nothing big was ever built
    assert all(t["params"] <= bound for t in res.trials)
    skips = [json.loads(x) for x in (res.out / "skipped.jsonl").read_text().splitlines()]
    assert skips and all(s["kind"] in ("constraint", "duplicate") for s in skips)
    over = [s for s in skips if s["kind"] == "constraint"]
    assert over and all(s["params"] > bound and "breaks params <=" in s["reason"] for s in over)
    if strategy == "grid":      # the default configuration (first grid point) is too big
        assert over[0]["config"] == archspace.default_config(
            archspace.parse_file(space_file("small")))


@pytest.mark.parametrize("strategy", ["random", "bayesian", "nsga2"])
def test_an_architecture_is_trained_once(run_search, built, strategy):
    # `few` has 4 architectures; asking for 6 trials trains each once and stops
    res = run_search("few", strategy=strategy, trials=6, population=4)
    hashes = [t["hash"] for t in res.trials]
    assert len(hashes) == len(set(hashes)) == 4 == len(built)
    # (Bayesian: the GP's pool passes over trained architectures before proposing one)
    if strategy == "nsga2":      # pymoo breeds only new architectures, then stops
        gens = json.loads((res.out / "generations.json").read_text())
        assert sorted(t for g in gens for t in g["trained"]) == sorted(
            t["trial_id"] for t in res.trials)


def test_a_failing_trial_is_recorded_and_the_search_goes_on(run_search):
    # grid order: learning rate 1e-2 first, then 1e30, whose loss becomes NaN
    res = run_search("nan", strategy="grid", trials=2)
    by_id = {t["trial_id"]: t for t in res.trials}
    assert [t["status"] for t in res.trials] == ["completed", "failed"]
    bad = res.trials[1]
    assert "nan" in bad["reason"].lower() and bad["config"]["train/learning_rate"] == 1e30
    assert res.best["trial_id"] == res.trials[0]["trial_id"]
    rows = (res.out / "leaderboard.csv").read_text().splitlines()
    assert rows[-1].split(",")[2] == "failed"
    kt_trial = json.loads((res.out / "tuner" / f"trial_{bad['trial_id']}" / "trial.json")
                          .read_text())
    assert kt_trial["status"] == "FAILED" and by_id


def test_an_exception_in_a_trial_is_its_failure(run_search, monkeypatch):
    import archspace.compile as compile_pkg

    real = compile_pkg.to_keras

    def flaky(space, config=None, **kw):
        if config and config.get("c2"):
            raise ValueError("Negative dimension size caused by subtracting 3 from 2")
        return real(space, config, **kw)

    monkeypatch.setattr(compile_pkg, "to_keras", flaky)
    res = run_search("few", strategy="grid", trials=4)
    assert len(res.trials) == 4
    failed = [t for t in res.trials if t["status"] == "failed"]
    assert len(failed) == 2 and all("Negative dimension" in t["reason"] for t in failed)
    assert all(t["config"]["c2"] for t in failed)


def test_two_inputs(run_search, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "two.npz"
    y = rng.integers(0, 3, 60)
    np.savez(path, image=rng.random((60, 16, 16, 3), dtype=np.float32),
             depth=rng.random((60, 16, 16, 1), dtype=np.float32), labels=y)
    res = run_search("two_inputs", data=str(path), strategy="grid", trials=2)
    assert [t["status"] for t in res.trials] == ["completed", "completed"]
    assert {t["config"]["towers/at"] for t in res.trials} == {"stem", "deep"}


def test_segmentation(run_search, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((40, 16, 16, 1), dtype=np.float32)
    path = tmp_path / "seg.npz"
    np.savez(path, image=x, labels=(x[..., 0] > 0.5).astype("int64"))
    res = run_search("segment", data=str(path), strategy="random", trials=2)
    assert all(t["status"] == "completed" for t in res.trials)
    assert set(res.trials[0]["objectives"]) == {"val_loss", "params"}   # the task's default
    assert "val_accuracy" in res.trials[0]["metrics"]
