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
