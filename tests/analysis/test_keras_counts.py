"""Static parameter counts equal Keras', for 200 random configurations of every shipped space.

For each configuration (`archspace.sample_config(space, seed)`, image inputs shrunk to 32x32
where the configuration still fits), the static count of `build_graph` is compared with what
Keras counts: every layer of the configuration is instantiated from its LayerSpec and built by
Keras itself (`layer.build(input_shape)`), and its trainable and non-trainable weights are
counted. Identical layers (class, arguments, input shape) are built once -- with zero
initializers, since how weights start does not change how many there are -- and identical
architectures are compared once, so 200 configurations x every space stay fast.

This checks consistency of the layer specs with the static counts (the analysis and Keras
agree on archspace's own layer specs), not fidelity to a published model. For the first
FULL_MODELS distinct architectures of every space (several seeds, a few whole models) the whole
model is also compiled (`archspace.compile.to_keras`) and its `count_params()` compared, which
covers what the layer-by-layer count cannot: merges, projections and wiring.

Fidelity is checked where a model written by someone else exists:
tests/compile/test_reference_models.py builds keras.applications.MobileNetV2 and compares it
with spaces/mobilenetv2.arch layer by layer (names, output shapes, parameters: 3,538,984) and
checks the original U-Net's published 31,030,658. keras.applications has no SqueezeNet,
ShuffleNet (GruNAS) or U-Net, so those are compared with their published counts in
tests/spaces/test_spaces.py. This test imports Keras; the analysis does not.
"""

from __future__ import annotations

import json
import os

import pytest

import archspace
from archspace.analysis.graph import build_graph
from archspace.blocks import REGISTRY, merge_layer, projection
from archspace.errors import ArchShapeError

from conftest import shipped_names, shipped_space

SEEDS = 200
FULL_MODELS = 3  # whole compiled models per space (the first distinct architectures)
SMALL = 32


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def small(space):
    """Image inputs shrunk to SMALL x SMALL (channels kept)."""
    new = {i.name: (SMALL, SMALL, i.shape[2]) for i in space.inputs
           if len(i.shape) == 3 and min(i.shape[:2]) > SMALL}
    return space.with_overrides(new) if new else space


def specs_of(node):
    if node.kind == "op":
        return REGISTRY[node.op].layers(node.args, node.in_shapes[0], node.name)
    if node.kind == "projection":
        return projection(node.in_shapes[0], node.shape, node.name)[0]
    if node.kind == "merge":
        return [merge_layer(node.op, node.name)]
    return []


class KerasCounter:
    """(trainable, non_trainable) weights of a layer graph, as Keras builds them."""

    def __init__(self, keras):
        self.keras = keras
        self.cache: dict[tuple, tuple[int, int, tuple]] = {}

    def layer(self, spec, shape: tuple) -> tuple[int, int, tuple]:
        key = (spec.cls, json.dumps(spec.kwargs, sort_keys=True, default=str), shape)
        hit = self.cache.get(key)
        if hit is None:
            import numpy as np

            kwargs = {k: ("zeros" if k.endswith("_initializer") else v)
                      for k, v in spec.kwargs.items()}
            from archspace.compile.layers import layer_class

            layer = layer_class(spec.cls)(name="probe", **kwargs)
            layer.build(shape)
            count = lambda ws: sum(int(np.prod(w.shape)) for w in ws)  # noqa: E731
            out = tuple(layer.compute_output_shape(shape))
            hit = self.cache[key] = (count(layer.trainable_weights),
                                     count(layer.non_trainable_weights), out)
        return hit

    def node(self, node) -> tuple[int, int]:
        if node.kind in ("input", "merge"):
            return (0, 0)  # merge layers (Add, Concatenate, ...) have no weights
        shape = (None,) + tuple(node.in_shapes[0])
        trainable = frozen = 0
        for spec in specs_of(node):
            t, f, shape = self.layer(spec, shape)
            trainable, frozen = trainable + t, frozen + f
        assert tuple(shape[1:]) == tuple(node.shape), (node.name, shape, node.shape)
        if node.shares is not None:  # an earlier node's layers applied again: counted there
            return (0, 0)
        return trainable, frozen


def full_model(keras, space, cfg):
    from archspace.compile import to_keras

    return to_keras(space, cfg, compile=False)


@pytest.mark.parametrize("name", shipped_names())
def test_static_counts_equal_keras(keras, name):
    full = shipped_space(name)
    shrunk = small(full)
    counter = KerasCounter(keras)
    seen: set[str] = set()
    for seed in range(SEEDS):
        cfg = archspace.sample_config(full, seed)
        arch = archspace.config_hash(full, cfg, architecture_only=True)
        if arch in seen:
            continue  # the same architecture as an earlier seed
        seen.add(arch)
        space = shrunk
        try:
            graph = build_graph(space, cfg)
        except ArchShapeError:  # this configuration needs the full input size
            space = full
            graph = build_graph(space, cfg)
        trainable = frozen = 0
        for node in graph.nodes:
            t, f = counter.node(node)
            assert (t, f) == (node.trainable, node.non_trainable), (name, seed, node.name)
            trainable, frozen = trainable + t, frozen + f
        assert (trainable, frozen) == (graph.trainable, graph.non_trainable), (name, seed)
        if len(seen) <= FULL_MODELS:  # the first FULL_MODELS distinct architectures
            model = full_model(keras, space, cfg)
            assert model.count_params() == graph.params == trainable + frozen, (name, seed)
            keras.backend.clear_session()
