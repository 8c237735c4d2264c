"""One Keras Tuner encoding: `archspace search` drives the HyperModel that `to_hypermodel`
returns to users. Its oracles get the hyperparameters (names, kinds, domains and conditional
scopes) the HyperModel declares, and every trial's decisions are read through it."""

from __future__ import annotations

import contextlib
import io

import pytest

import archspace
from archspace.search.rundir import RunDir
from archspace.search.settings import resolve

from search_helpers import ROOT

import keras_tuner as kt  # noqa: E402

SHIPPED = sorted(p.name for p in (ROOT / "spaces").glob("*.arch"))
#: the strategies whose oracle the search builds from Keras Tuner hyperparameters
STRATEGIES = ["random", "bayesian", "hyperband", "grid", "nsga2"]


def signature(hp) -> dict:
    """name -> (kind, conditional scopes, domain) of every hyperparameter, in order."""
    out = {}
    for h in hp.space:
        conf = {k: v for k, v in h.get_config().items() if k not in ("name", "conditions")}
        scopes = tuple((c.name, tuple(c.values)) for c in h.conditions)
        out[h.name] = (type(h).__name__, scopes, repr(sorted(conf.items())))
    return out


def search_run(space, strategy, path):
    from archspace.search.engine import SearchRun

    st = resolve(space, strategy=strategy, trials=1, epochs=1)
    run, _ = RunDir.open(path, {"space": space.name})
    return SearchRun(space, st, None, run)


@pytest.mark.parametrize("name", SHIPPED)
def test_search_declares_what_to_hypermodel_declares(tmp_path, name):
    from archspace.compile.hypermodel import ArchHyperModel
    from archspace.search.strategies import make_oracle
    from archspace.search.tuner import ArchTuner

    space = archspace.parse_file(str(ROOT / "spaces" / name))
    hm = archspace.to_hypermodel(space)
    hp = kt.HyperParameters()
    hm.declare_hyperparameters(hp)
    want = signature(hp)
    assert list(want) == [d.path for d in archspace.decisions(space) if d.when]
    for strategy in STRATEGIES:
        run = search_run(space, strategy, tmp_path / strategy)
        oracle = make_oracle(run)
        assert signature(oracle.hyperparameters) == want, strategy
        with contextlib.redirect_stdout(io.StringIO()):
            tuner = ArchTuner(oracle, run)
        assert type(tuner.hypermodel) is ArchHyperModel, strategy
        assert signature(tuner.oracle.hyperparameters) == want, strategy
    # a trial's lazy declaration finds every hyperparameter it reads already declared, under
    # the same scopes, and reads back the configuration the oracle proposed
    for seed in range(3):
        cfg = archspace.sample_config(space, seed)
        trial_hp = oracle.hyperparameters.copy()
        trial_hp.values = tuner.hypermodel.encode(cfg)
        assert tuner.hypermodel.graph(trial_hp).config == cfg
        assert signature(trial_hp) == want
        assert tuner.hypermodel.decode(trial_hp.values) == cfg
