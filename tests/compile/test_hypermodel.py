"""to_hypermodel: decisions become Keras Tuner hyperparameters named by IR path, declared
lazily under their conditions; any tuner (and oracle) drives it."""

from __future__ import annotations

import pytest

import archspace
from archspace.compile import to_hypermodel, to_keras
from archspace.compile.hypermodel import kt_conditions, necessary_conjunction

from compile_helpers import ROOT, count, space

import numpy as np  # noqa: E402
TINY = ROOT / "tests" / "compile" / "fixtures" / "tiny.arch"


def tiny():
    return archspace.parse_file(str(TINY))


# ---- conditions ----------------------------------------------------------------------------------
def test_single_conjunction_becomes_nested_scopes(kt):
    conds = kt_conditions(archspace.decisions(space("squeezenet_se_auto")))
    assert conds["group1"] == ()
    assert conds["group1[1]/fire4/se"] == (("group1", (2,)),)
    assert conds["group1[1]/fire4/se/skip"] == (("group1", (2,)),
                                                ("group1[1]/fire4/se", (True,)))
    assert conds["group2[0]/fire/se/skip"] == (("group2", (1, 2)), ("group2[0]/fire/se", (True,)))


def test_several_alternatives_keep_what_they_share(kt):
    """A ratio read by two optional SE blocks is active when either is on: Keras Tuner has no
    'or', so only the conditions common to both alternatives scope it."""
    dl = archspace.decisions(space("squeezenet_se_auto"))
    conds = kt_conditions(dl)
    assert len(dl.get("group1[0]/ratio").when) == 2
    assert conds["group1[0]/ratio"] == ()
    assert conds["group1[1]/ratio"] == (("group1", (2,)),)
    unet = archspace.decisions(space("unet"))
    rate = unet.get("drop_rate")
    assert len(rate.when) == 4  # one bottom block per possible depth
    assert [(c.path, c.values) for c in necessary_conjunction(rate)] == \
        [("level2", ("down", "bottom"))]


def test_build_declares_only_active_decisions(kt):
    s = space("squeezenet_se_auto")
    hm = to_hypermodel(s, compile=False)
    hp = kt.HyperParameters()
    hm.graph(hp)  # defaults: no SE anywhere, so no ratio and no SE skip is declared
    declared = {h.name for h in hp.space}
    assert declared == set(archspace.default_config(s))
    assert not any(n.endswith("/ratio") or n.endswith("/skip") for n in declared)


def test_declare_hyperparameters_gives_the_oracle_the_whole_space(kt):
    s = space("squeezenet_se_auto")
    hm = to_hypermodel(s, compile=False)
    hp = kt.HyperParameters()
    hm.declare_hyperparameters(hp)
    dl = archspace.decisions(s)
    assert [h.name for h in hp.space] == [d.path for d in dl]
    defaults = archspace.default_config(s)
    assert set(hp.values) == set(defaults) | {
        d.path for d in dl if len(d.when) > 1 and hp.is_active(d.path)}
    for d in dl:
        if len(d.when) == 1:  # exact conditions: Keras Tuner agrees on activity
            assert hp.is_active(d.path) == (d.path in defaults), d.path
    kinds = {h.name: type(h).__name__ for h in hp.space}
    assert kinds["group1"] == "Int" and kinds["drop/rate"] == "Float"
    assert kinds["group1[0]/fire2/se"] == "Boolean" and kinds["train/optimizer"] == "Choice"


def test_hyperparameter_domains(kt):
    hm = to_hypermodel(tiny(), compile=False)
    hp = kt.HyperParameters()
    hm.declare_hyperparameters(hp)
    h = {x.name: x for x in hp.space}
    assert (h["width"].min_value, h["width"].max_value, h["width"].step, h["width"].default) == \
        (4, 12, 4, 8)
    assert h["train/learning_rate"].sampling == "log"
    assert h["head/flat/dropout/rate"].step == 0.25
    assert list(h["stage[0]/ratio"].values) == [2, 4]


def test_mixed_type_choices_round_trip(kt):
    s = archspace.parse("""
        space m
        input x: 4
        output y: 2
        network { dense(8, relu) dropout(choice(0, 0.25) default 0.25) dense(y, softmax) }
        train { optimizer = choice(adam, sgd) seed = choice(none, 1) default 1 }
    """)
    hm = to_hypermodel(s, compile=False)
    hp = kt.HyperParameters()
    g = hm.graph(hp)
    assert g.config["dropout/rate"] == 0.25 and g.config["train/seed"] == 1
    assert hp.values["train/seed"] == "1"  # Keras Tuner holds one type per Choice
    hp = kt.HyperParameters()
    hp.values.update({"dropout/rate": 0.0, "train/seed": "none"})
    g = hm.graph(hp)
    assert g.config["dropout/rate"] == 0 and g.config["train/seed"] == "none"
    assert archspace.canonical(s, g.config) == g.config
    # the search's oracles propose and read values through the same encoding
    assert hm.encode(g.config) == {"dropout/rate": 0.0, "train/optimizer": "adam",
                                   "train/seed": "none"}
    assert hm.decode(hm.encode(g.config)) == g.config


def test_one_value_domains_are_fixed(kt):
    s = archspace.parse("""
        space f
        input x: 4
        output y: 2
        network { dense(int(4, 4), relu) dropout(float(0.25, 0.25)) dense(choice(8)) dense(y) }
    """)
    hp = kt.HyperParameters()
    g = to_hypermodel(s, compile=False).graph(hp)
    assert {h.name: type(h).__name__ for h in hp.space} == {
        "dense/units": "Fixed", "dropout/rate": "Fixed", "dense_2/units": "Fixed"}
    assert g.config == {"dense/units": 4, "dropout/rate": 0.25, "dense_2/units": 8}


# ---- sampled configurations ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_hypermodel_builds_what_to_keras_builds(kt, seed):
    s = tiny()
    cfg = archspace.sample_config(s, seed)
    hp = kt.HyperParameters()
    hp.values.update(cfg)
    model = to_hypermodel(s).build(hp)
    assert set(hp.values) == set(archspace.canonical(s, cfg))
    assert count(model) == count(to_keras(s, cfg))
    assert type(model.optimizer).__name__.lower() == cfg["train/optimizer"]
    assert float(model.optimizer.learning_rate) == pytest.approx(cfg["train/learning_rate"])


# ---- tuners ----------------------------------------------------------------------------------
def _oracles(kt):
    obj = kt.Objective("params", "min")
    return {
        "random": lambda: kt.oracles.RandomSearchOracle(objective=obj, max_trials=6, seed=1),
        "bayesian": lambda: kt.oracles.BayesianOptimizationOracle(
            objective=obj, max_trials=3, num_initial_points=2, alpha=1e-3, beta=2.6, seed=1),
        "hyperband": lambda: kt.oracles.HyperbandOracle(objective=obj, max_epochs=3, factor=3,
                                                        seed=1),
        "grid": lambda: kt.oracles.GridSearchOracle(objective=obj, max_trials=4, seed=1),
    }


@pytest.mark.filterwarnings("ignore:The optimal value found")  # sklearn GP, Bayesian
@pytest.mark.parametrize("oracle", ["random", "bayesian", "hyperband", "grid"])
def test_every_oracle_drives_it(kt, tmp_path, oracle):
    """A user Tuner subclass (no training: the score is the parameter count) under each
    built-in oracle: every trial builds, its values cover the configuration, and the only
    extra values are decisions whose condition Keras Tuner cannot express exactly."""
    s = tiny()
    multi = {d.path for d in archspace.decisions(s) if len(d.when) > 1}

    class CountTuner(kt.Tuner):
        seen: list = []

        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            model = self.hypermodel.build(hp)
            graph = self.hypermodel.last_graph
            cfg = archspace.canonical(s, graph.config)
            values = {k for k in hp.values if not k.startswith("tuner/")}
            assert set(cfg) <= values
            assert values - set(cfg) <= multi
            assert count(model) == graph.params
            self.seen.append(archspace.config_hash(s, cfg))
            return {"params": float(graph.params)}

    tuner = CountTuner(oracle=_oracles(kt)[oracle](), hypermodel=to_hypermodel(s, compile=False),
                       directory=str(tmp_path), project_name=oracle)
    tuner.search(verbose=0)
    assert len(CountTuner.seen) >= 3
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.score == min(t.score for t in tuner.oracle.trials.values()
                             if t.score is not None)


TUNERS = {
    "random": ("RandomSearch", dict(max_trials=1)),
    "grid": ("GridSearch", dict(max_trials=2)),
    "bayesian": ("BayesianOptimization", dict(max_trials=3, num_initial_points=2, alpha=1e-3,
                                              beta=2.6)),
    "hyperband": ("Hyperband", dict(max_epochs=2, factor=2, hyperband_iterations=1)),
}


def _search(kt, tmp_path, name):
    s = tiny()
    rng = np.random.RandomState(0)
    x, y = rng.rand(16, 8, 8, 3).astype("float32"), np.arange(16) % 3
    cls, kw = TUNERS[name]
    tuner = getattr(kt, cls)(to_hypermodel(s), objective="val_loss", directory=str(tmp_path),
                             project_name=name, seed=0, **kw)
    tuner.search(x, y, validation_data=(x, y), verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert trials and all(t.status == "COMPLETED" for t in trials)
    best = tuner.get_best_hyperparameters(1)[0]
    model = to_hypermodel(s).build(best)
    assert tuple(model(x[:2]).shape) == (2, 3)
    return tuner


@pytest.mark.filterwarnings("ignore::UserWarning")  # Keras: optimizer variables on reload
def test_random_search_trains(kt, tmp_path):
    tuner = _search(kt, tmp_path, "random")
    # fit() used the space's training settings: epochs = 1, early stopping on val_loss
    trial = next(iter(tuner.oracle.trials.values()))
    assert len(trial.metrics.get_history("val_loss")) == 1


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # Keras: optimizer variables on reload
@pytest.mark.parametrize("name", ["grid", "bayesian", "hyperband"])
def test_tuners_train(kt, tmp_path, name):
    _search(kt, tmp_path, name)
