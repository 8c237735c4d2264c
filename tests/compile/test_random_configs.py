"""50 random configurations of every shipped space (archspace.sample_config(space, seed)).

- every seed, every space (fast, no Keras model): the HyperModel's declaring walk ends with
  exactly the canonical configuration's keys and values in `hp.values`, and the same layer
  graph as build_graph;
- Keras: to_keras builds, a forward pass on one small batch runs, and hypermodel.build(hp)
  with the same values has the same parameter count. The first FAST seeds of each space run
  always (the HyperModel build on the first), the rest are marked slow (`pytest -m slow`).
  Image inputs are shrunk to 32x32.
"""

from __future__ import annotations

import pytest

import archspace
from archspace.compile import to_hypermodel, to_keras
from archspace.errors import ArchShapeError

from compile_helpers import count, shipped, small, space

import numpy as np  # noqa: E402

SEEDS = 50
FAST = 3


@pytest.mark.parametrize("name", shipped())
def test_hypermodel_values_are_the_canonical_configuration(kt, name):
    s = space(name)
    hm = to_hypermodel(s, compile=False)
    for seed in range(SEEDS):
        cfg = archspace.sample_config(s, seed)
        canonical = archspace.canonical(s, cfg)
        hp = kt.HyperParameters()
        hp.values.update(cfg)
        graph = hm.graph(hp)
        assert set(hp.values) == set(canonical), seed
        assert graph.config == canonical, seed
        assert graph.params == archspace.build_graph(s, cfg).params, seed
        assert [n.name for n in graph.nodes] == [n.name for n in
                                                  archspace.build_graph(s, cfg).nodes]


def _check_keras(keras, kt, name: str, seeds, tuner_seeds) -> None:
    s = small(name)
    hm = to_hypermodel(s, compile=False)
    for seed in seeds:
        cfg = archspace.sample_config(s, seed)
        target = s
        try:
            graph = archspace.build_graph(s, cfg)
        except ArchShapeError:  # needs the full input size
            target = space(name)
            hm = to_hypermodel(target, compile=False)
            graph = archspace.build_graph(target, cfg)
        model = to_keras(target, cfg, compile=False)
        assert count(model) == graph.params, (name, seed)
        batch = [np.random.RandomState(seed).rand(1, *i.shape).astype("float32")
                 for i in target.inputs]
        out = model(batch[0] if len(batch) == 1 else batch)
        for y in (out.values() if isinstance(out, dict) else [out]):
            assert np.all(np.isfinite(np.asarray(y))), (name, seed)
        if seed in tuner_seeds:
            hp = kt.HyperParameters()
            hp.values.update(cfg)
            assert count(hm.build(hp)) == graph.params, (name, seed)
    keras.backend.clear_session()


@pytest.mark.parametrize("name", shipped())
def test_random_configurations_build_and_run(keras, kt, name):
    _check_keras(keras, kt, name, range(FAST), {0})


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped())
def test_random_configurations_build_and_run_all(keras, kt, name):
    _check_keras(keras, kt, name, range(FAST, SEEDS), range(SEEDS))
