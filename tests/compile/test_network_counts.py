"""InceptionV3 and EfficientNetB0 written in the language (tests/spaces/networks/) against
keras.applications: the compiled model has the same parameter count as the reference and as
the static count, and EfficientNetB0 matches layer for layer (our '.' is Keras' '_')."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.compile import to_keras

from compile_helpers import ROOT, count

import numpy as np  # noqa: E402

NETWORKS = ROOT / "tests" / "spaces" / "networks"

pytestmark = pytest.mark.slow


def network(name: str) -> archspace.Space:
    return archspace.parse_file(Path(NETWORKS / f"{name}.arch"))


def trainable(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_inception_v3(keras):
    s = network("inception_v3")
    graph = archspace.build_graph(s)
    ours = to_keras(s, compile=False)
    ref = keras.applications.InceptionV3(weights=None)
    assert count(ref) == count(ours) == graph.params == 23_851_784
    assert trainable(ours) == trainable(ref) == graph.trainable
    # the same layers, up to their names: kind, output shape and count, as multisets
    def inventory(model):
        return sorted((type(la).__name__, tuple(la.output.shape), la.count_params())
                      for la in model.layers)
    assert inventory(ours) == inventory(ref)
    keras.backend.clear_session()


def test_efficientnet_b0(keras):
    s = network("efficientnet_b0")
    graph = archspace.build_graph(s)
    ours = to_keras(s, compile=False)
    ref = keras.applications.EfficientNetB0(weights=None)
    assert count(ref) == count(ours) == graph.params == 5_330_571
    assert trainable(ours) == trainable(ref) == graph.trainable
    mine = {la.name.replace(".", "_"): la for la in ours.layers}
    unmatched = []
    for b in ref.layers:
        a = mine.get(b.name)
        if a is None:
            unmatched.append(type(b).__name__)
            continue
        assert type(a).__name__ == type(b).__name__, b.name
        assert tuple(a.output.shape) == tuple(b.output.shape), b.name
        assert a.count_params() == b.count_params(), b.name
    # unnamed in keras.applications (named after their class, numbered per session)
    assert set(unmatched) <= {"InputLayer", "Normalization", "Rescaling"}
    assert len(ours.layers) == len(ref.layers)
    keras.backend.clear_session()


def test_nasbench201_cells(keras):
    """Cells with 'none' edges compile (a zero edge is Rescaling(scale=0)) and count as the
    static analysis says; a cell whose every path is 'none' outputs zeros before the head."""
    s = network("nasbench201")
    edges = ("e01", "e02", "e12", "e03", "e13", "e23")
    for cfg in ({}, {e: "none" for e in edges},
                {"e01": "skip_connect", "e02": "none", "e12": "avg_pool_3x3", "e03": "none",
                 "e13": "nor_conv_1x1", "e23": "none"}):
        model = to_keras(s, cfg, compile=False)
        assert count(model) == archspace.build_graph(s, cfg).params
    zero = to_keras(s, {e: "none" for e in edges}, compile=False)
    cell = zero.get_layer("repeat_0.cell1.add")  # node 3 of the first cell (copy 0)
    probe = keras.Model(zero.inputs, cell.output)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    assert not np.any(probe.predict(x, verbose=0))
    keras.backend.clear_session()


def test_make_divisible_equals_keras_applications(keras):
    from keras.src.applications.mobilenet_v2 import _make_divisible

    from archspace.ir.functions import make_divisible

    for v in [x * m for x in (8, 16, 24, 32, 40, 80, 112, 192, 320, 1280)
              for m in (0.25, 0.35, 0.5, 0.75, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0)]:
        for divisor, min_value in ((8, None), (4, None), (8, 16), (16, 1)):
            assert make_divisible(v, divisor, min_value) == _make_divisible(v, divisor, min_value)
