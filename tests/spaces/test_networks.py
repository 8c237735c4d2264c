"""Well-known networks written in the language (tests/spaces/networks/*.arch) count exactly
what keras.applications builds. Static only, no TensorFlow: the Keras builds are in
tests/compile/test_network_counts.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.ir.functions import make_divisible

NETWORKS = Path(__file__).resolve().parent / "networks"


def network(name: str, image=None, classes=None) -> archspace.Space:
    s = archspace.parse_file(NETWORKS / f"{name}.arch")
    if image or classes:
        s = s.with_overrides({s.inputs[0].name: image} if image else None,
                             {s.outputs[0].name: classes} if classes else None)
    return s


# keras.applications.X(weights=None).count_params() at the default input and 1000 classes
@pytest.mark.parametrize("name, params", [
    ("inception_v3", 23_851_784),
    ("efficientnet_b0", 5_330_571),
])
def test_static_count_equals_keras_applications(name, params):
    graph = archspace.build_graph(network(name))
    assert graph.params == params
    assert graph.nodes[-1].shape == (1000,)


def test_inception_v3_shapes_and_beta_only_batchnorm():
    graph = archspace.build_graph(network("inception_v3"))
    out = {}  # the last layer of each block: its concat
    for n in graph.nodes:
        out[n.name.split(".")[0]] = n.shape
    assert (out["mixed2"], out["mixed7"], out["mixed10"]) == \
        ((35, 35, 288), (17, 17, 768), (8, 8, 2048))
    bns = [n for n in graph.nodes if n.op == "bn"]
    assert len(bns) == 94
    # no gamma: each BatchNorm trains its beta only, and keeps 2 moving statistics
    assert all(n.trainable * 2 == n.non_trainable for n in bns)
    assert sum(n.non_trainable for n in graph.nodes) == 34_432


def test_efficientnet_b0_stem_and_blocks():
    graph = archspace.build_graph(network("efficientnet_b0"))
    nodes = {n.name: n for n in graph.nodes}
    assert nodes["normalization"].non_trainable == 7   # mean 3, variance 3, count 1
    assert nodes["stem_conv_pad"].shape == (225, 225, 3)
    assert nodes["block1a.se_reduce"].shape == (1, 1, 8)     # a quarter of 32 inputs
    assert nodes["block2a.dwconv_pad"].shape == (113, 113, 96)
    assert nodes["block3a.dwconv_pad"].shape == (59, 59, 144)  # 5x5: one before, two after
    assert nodes["block6d.add"].shape == (7, 7, 192)
    assert nodes["top_conv"].shape == (7, 7, 1280)


def test_efficientnet_smaller_input_and_classes():
    graph = archspace.build_graph(network("efficientnet_b0", (96, 96, 3), 10))
    assert graph.params == 5_330_571 - 1281 * 990
    assert graph.nodes[-1].shape == (10,)


@pytest.mark.parametrize("v, divisor, min_value, expected", [
    (32 * 1.0, 8, None, 32), (32 * 0.35, 8, None, 16), (16 * 0.35, 8, None, 8),
    (24 * 1.1, 8, None, 24), (40 * 1.1, 8, None, 48), (1280 * 1.4, 8, None, 1792),
    (3, 8, None, 8), (3, 8, 1, 9), (10, 8, None, 16),   # 8 would lose more than 10%
    (35.9, 4, 40, 40),
])
def test_make_divisible_is_keras(v, divisor, min_value, expected):
    assert make_divisible(v, divisor, min_value) == expected


# ---- NAS-Bench-201: the zero op as the 'none' edge --------------------------------------------
EDGES = ("e01", "e02", "e12", "e03", "e13", "e23")


def test_nasbench201_has_15625_cells():
    from archspace.analysis.cardinality import cardinality

    s = network("nasbench201")
    assert [d.path for d in archspace.decisions(s)] == list(EDGES)
    assert cardinality(s).architecture.count == 15_625


def test_nasbench201_counts():
    s = network("nasbench201")
    # every edge a 3x3 conv: 1,531,546 trainable, the largest cell (PyTorch's count, which has
    # no BatchNorm moving statistics)
    assert archspace.build_graph(s).trainable == 1_531_546
    none = archspace.build_graph(s, {e: "none" for e in EDGES})
    assert {n.op for n in none.nodes if n.kind == "op"} >= {"zero"}
    assert all(n.params == 0 for n in none.nodes if n.op == "zero")
    # a 'none' edge weighs nothing: node 3 summing three zeros costs only its stem and skeleton
    one = archspace.build_graph(s, {**{e: "none" for e in EDGES}, "e01": "nor_conv_1x1"})
    per_cell = sum(c * c + 4 * c for c in (16, 32, 64)) * 5   # 1x1 conv + BN per cell
    assert one.params - none.params == per_cell
