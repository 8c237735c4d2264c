"""One monitored metric per run, what a failing trial means, the grid walked to its end and
Keras Tuner's internals behind one adapter."""

from __future__ import annotations

import json
import re

import pytest

from search_helpers import space_file


# ---- one monitored metric -------------------------------------------------------------------
def test_best_model_evaluates_to_the_leaderboard(run_search, digits32, tmp_path):
    # the best epoch, early stopping, the restored weights, the leaderboard and best/ all
    # follow one metric: best/model.keras scores on the validation split what the board says
    import keras

    from archspace.search.trainer import one_hot_labels

    res = run_search("small", strategy="random", trials=2, epochs=4, early_stop=1)
    assert res.settings.monitor == "val_accuracy"          # the first objective
    board = json.loads((res.out / "leaderboard.json").read_text())
    best = board[0]
    saved = json.loads((res.out / "best" / "config.json").read_text())
    assert saved["trial_id"] == best["trial_id"] == res.best["trial_id"]
    model = keras.models.load_model(res.out / "best" / "model.keras")
    val = digits32.val_dataset(32, one_hot_labels(model))
    got = model.evaluate(val, return_dict=True, verbose=0)
    assert got["accuracy"] == pytest.approx(best["metrics"]["val_accuracy"], abs=1e-5)
    assert got["loss"] == pytest.approx(best["metrics"]["val_loss"], rel=1e-4, abs=1e-5)
    record = json.loads((res.out / "trials" / f"{best['trial_id']}.json").read_text())
    history = record["history"]["val_accuracy"]
    assert best["metrics"]["val_accuracy"] == max(history)
    assert best["best_epoch"] == history.index(max(history)) + 1


def test_monitor_follows_the_first_trained_objective_or_the_setting():
    import archspace
    from archspace.errors import ArchError
    from archspace.search.settings import resolve, space_monitor

    space = archspace.parse_file(space_file("small"))
    assert resolve(space).monitor == "val_accuracy"
    assert str(space_monitor(space)) == "maximize val_accuracy"   # archspace train's too
    only_params = resolve(space, objectives=["minimize params"])
    assert only_params.monitor == "val_loss"
    chosen = resolve(space, monitor="val_loss")
    assert chosen.monitored.direction == "min" and chosen.early_stop_monitor == "val_loss"
    with pytest.raises(ArchError, match="not a metric of this search"):
        resolve(space, monitor="val_acuracy")
    with pytest.raises(ArchError, match="cannot pick an epoch"):
        resolve(space, monitor="params")


def test_monitor_in_the_train_section(tmp_path):
    import archspace
    from archspace.search.settings import resolve, space_monitor

    text = space_file("small").read_text().replace("batch_size = 32",
                                                   "batch_size = 32\n  monitor = val_loss")
    path = tmp_path / "m.arch"
    path.write_text(text)
    space = archspace.parse_file(path)
    assert resolve(space).monitor == "val_loss"
    assert str(space_monitor(space)) == "minimize val_loss"


# ---- failures: the model's, or archspace's ----------------------------------------------------
def test_a_model_failing_in_keras_is_a_failed_trial(run_search, monkeypatch):
    import keras
    import numpy as np

    import archspace.search.trainer as trainer

    def broken(model):     # Keras itself refuses: the user's model failing
        return keras.ops.reshape(np.zeros(3), (2, 2))

    monkeypatch.setattr(trainer, "one_hot_labels", broken)
    res = run_search("small", strategy="random", trials=2)
    assert [t["status"] for t in res.trials] == ["failed", "failed"]   # the search went on
    assert "reshape" in res.trials[0]["reason"]


def test_an_internal_error_stops_the_search(run_search, monkeypatch, tmp_path):
    import archspace.search.trainer as trainer
    from archspace.search import rundir
    from archspace.search.trainer import TrialInterrupted

    # an AttributeError raised inside archspace's own code: a bug, not the model
    monkeypatch.setattr(trainer, "one_hot_labels", lambda model: rundir._differences(None, {}))
    with pytest.raises(TrialInterrupted, match=r"internal error.*AttributeError.*rundir\.py"):
        run_search("small", strategy="random", trials=3)
    files = sorted((tmp_path / "run" / "trials").glob("*.json"))
    assert len(files) == 1                                  # stopped at the first trial
    record = json.loads(files[0].read_text())
    assert record["status"] == "interrupted"
    monkeypatch.undo()                                       # fixed: resume trains it again
    res = run_search("small", strategy="random", trials=3)
    assert [t["status"] for t in res.trials] == ["completed"] * 3
    assert res.trials[0]["trial_id"] == record["trial_id"]


def test_failures_in_a_row_stop_the_search(run_search, monkeypatch):
    import keras
    import numpy as np

    import archspace.search.trainer as trainer

    monkeypatch.setattr(trainer, "one_hot_labels",
                        lambda model: keras.ops.reshape(np.zeros(3), (2, 2)))
    res = run_search("small", strategy="random", trials=5, max_failures=2)
    assert [t["status"] for t in res.trials] == ["failed", "failed"]


# ---- the grid ---------------------------------------------------------------------------------
GRID = """
space wide "one oversized default, then many training settings to screen out"
input image: 32x32x3
output classes: 10
network {
  conv(choice(64, 4) default 64, 3x3, stride=2, relu)
  global_avg_pool
  dense(classes)
  softmax
}
train {
  optimizer = choice(adam, rmsprop, nadam, adamw, adamax)
  learning_rate = choice(1e-2, 3e-3, 1e-3, 3e-4, 1e-4)
  batch_size = choice(8, 16, 32, 64)
}
search { constraints = [params <= 1000] }
"""


def test_grid_walks_to_its_end(run_search, monkeypatch, tmp_path):
    # 100 oversized points come first; the old grid gave up after 20 x max_proposals
    from archspace.search.engine import SearchRun

    monkeypatch.setattr(SearchRun, "max_proposals", 3)
    path = tmp_path / "wide.arch"
    path.write_text(GRID)
    res = run_search(path, strategy="grid", trials=2)
    assert [t["status"] for t in res.trials] == ["completed", "completed"]
    assert res.skipped == 100
    assert all(t["params"] <= 1000 for t in res.trials)


# ---- the Keras Tuner adapter ----------------------------------------------------------------
def test_keras_tuner_version_is_checked():
    from archspace.errors import ArchError
    from archspace.search import kt_adapter

    kt_adapter.check_version("1.4.8")
    with pytest.raises(ArchError, match=r"keras-tuner >= 1\.4\.7 and < 1\.5\.0.*_retry_queue"):
        kt_adapter.check_version("1.5.1")


def test_no_private_keras_tuner_name_outside_the_adapter():
    from search_helpers import ROOT

    private = [h.rsplit(".", 1)[-1] for h in __import__(
        "archspace.search.kt_adapter", fromlist=["PRIVATE_HOOKS"]).PRIVATE_HOOKS]
    names = [re.escape(p) for p in private if p.startswith("_")] + [r"keras_tuner\.src"]
    used = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(names) + r")\b")
    for path in (ROOT / "archspace").rglob("*.py"):
        if path.name == "kt_adapter.py":
            continue
        found = used.search(path.read_text())
        assert found is None, f"{found.group(0)} used in {path.relative_to(ROOT)}"


@pytest.mark.parametrize("name", ["squeezenet_se_auto", "cell_space", "mlp_auto"])
def test_gp_values_equal_keras_tuners_own_conversion(name):
    """The Bayesian oracle's fast vector -> values (conditional hyperparameters left out when
    inactive) gives Keras Tuner's own answer on random points of the space's cube."""
    import keras_tuner as kt
    import numpy as np

    import archspace
    from archspace.search import kt_adapter
    from search_helpers import ROOT

    space = archspace.parse_file(ROOT / "spaces" / f"{name}.arch")
    oracle = kt.oracles.BayesianOptimizationOracle(max_trials=2, seed=0)
    hp = oracle.get_space()
    archspace.to_hypermodel(space).declare_hyperparameters(hp)
    oracle.update_space(hp)
    d = kt_adapter.gp_dimensions(oracle)
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.random((200, d)), np.zeros((1, d)), np.full((1, d), 0.999)])
    for x in points:
        fast, own = kt_adapter.gp_values(oracle, x), kt_adapter.kt_gp_values(oracle, x)
        assert fast == own and list(fast) == list(own)
    assert any(len(kt_adapter.gp_values(oracle, x)) < len(hp.space) for x in points)
