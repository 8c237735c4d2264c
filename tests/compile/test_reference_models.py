"""The shipped reference spaces against their published models: MobileNetV2 layer for layer
against keras.applications, the original U-Net's parameter count."""

from __future__ import annotations

import re

import pytest

import archspace
from archspace.compile import to_keras

from compile_helpers import count, space

import numpy as np  # noqa: E402


# ---- MobileNetV2 ---------------------------------------------------------------------------------
def keras_name(name: str) -> str:
    """Our layer names use '.' where keras.applications uses '_' (block_1.expand_BN); its
    block_5 is copy 0 of our replica b3_3 (`b3_3_0.block_5.expand`, decision path b3_3[0])."""
    return re.sub(r"^b\d_3_0\.", "", name).replace(".", "_")


@pytest.fixture(scope="module")
def mobilenets(keras):
    ours = to_keras(space("mobilenetv2"), compile=False)
    ref = keras.applications.MobileNetV2(alpha=1.0, weights=None, input_shape=(224, 224, 3),
                                         classes=1000)
    return ours, ref


def test_mobilenetv2_exact_count(mobilenets):
    ours, ref = mobilenets
    assert count(ref) == 3_538_984
    assert count(ours) == 3_538_984
    trainable = sum(int(np.prod(w.shape)) for w in ours.trainable_weights)
    assert trainable == 3_504_872
    assert archspace.build_graph(space("mobilenetv2")).params == 3_538_984


def test_mobilenetv2_layer_by_layer(mobilenets):
    """Every layer of keras.applications' MobileNetV2 has a counterpart of the same name (our
    '.' is its '_'), kind of weights, output shape and parameter count, in the same order."""
    ours, ref = mobilenets
    mine = [la for la in ours.layers if type(la).__name__ != "InputLayer"]
    theirs = [la for la in ref.layers if type(la).__name__ != "InputLayer"]
    assert len(mine) == len(theirs) == 155
    for a, b in zip(mine, theirs):
        if b.name != "global_average_pooling2d":  # unnamed in keras.applications
            assert keras_name(a.name) == b.name
        assert tuple(a.output.shape) == tuple(b.output.shape), a.name
        assert a.count_params() == b.count_params(), a.name
    pads = {la.name: la.padding for la in ours.layers if type(la).__name__ == "ZeroPadding2D"}
    assert pads == {f"block_{i}.pad": ((0, 1), (0, 1)) for i in (1, 3, 6, 13)}


def test_mobilenetv2_ten_classes(keras):
    assert count(to_keras(space("mobilenetv2", classes=10), compile=False)) == 2_270_794


def test_mobilenetv2_replications(keras):
    """B3_3, B4_3, B5_3, B6_3 replicate 1..3 times (default 1), each copy its own weights."""
    s = space("mobilenetv2", (32, 32, 3), 10)
    paths = [d.path for d in archspace.decisions(s) if not d.path.startswith("train/")]
    assert paths == ["b3_3", "b4_3", "b5_3", "b6_3"]
    base = archspace.build_graph(s).params
    # one more copy of a residual block with c channels: expand + depthwise + project, with BN
    per_copy = {"b3_3": 32, "b4_3": 64, "b5_3": 96, "b6_3": 160}
    for path, c in per_copy.items():
        e = 6 * c
        block = c * e + 4 * e + 9 * e + 4 * e + e * c + 4 * c
        model = to_keras(s, {path: 2}, compile=False)
        assert count(model) == base + block
    model = to_keras(s, {"b3_3": 3}, compile=False)
    names = [la.name for la in model.layers]
    assert {"b3_3_0.block_5.add", "b3_3_1.block_5.add", "b3_3_2.block_5.add"} <= set(names)
    assert tuple(model(np.zeros((1, 32, 32, 3), "float32")).shape) == (1, 10)


# ---- U-Net ----------------------------------------------------------------------------------------
def test_unet_original_count(keras):
    """The original U-Net (1 channel in, 2 classes): 31,030,658 whatever the input size."""
    big = to_keras(space("unet"), compile=False)
    assert count(big) == 31_030_658
    assert tuple(big.output.shape) == (None, 256, 256, 2)
    small = to_keras(space("unet", (32, 32, 1)), compile=False)
    assert count(small) == 31_030_658
    names = [la.name for la in small.layers]
    for level in (1, 2, 3, 4):
        assert f"down{level}.conv_1.conv" in names and f"up{level}.concat" in names
    concat = small.get_layer("up1.concat")
    assert [t.name for t in concat.input] and tuple(concat.output.shape) == (None, 32, 32, 128)


def test_unet_searched_depth_and_width(keras):
    s = space("unet", (32, 32, 1))
    cfg = {"depth": 8, "level2": "down", "level2/down/level3": "bottom",
           "level2/down/level3/bottom/bottom/conv": 3, "up1/part1": 1, "up1/part2": 1}
    graph = archspace.build_graph(s, cfg)
    model = to_keras(s, cfg)
    assert count(model) == graph.params
    names = [la.name for la in model.layers]
    assert "down3.conv" not in names and "up3.concat" not in names
    assert [n for n in names if n.startswith("bottom.conv")] == \
        ["bottom.conv_0.conv", "bottom.conv_1.conv", "bottom.conv_2.conv"]  # repeat conv, k
    assert model.get_layer("bottom.conv_0.conv").filters == 32  # 8 x 2 x 2
    y = model(np.zeros((2, 32, 32, 1), "float32"))
    assert tuple(y.shape) == (2, 32, 32, 2)
    assert np.allclose(np.asarray(y).sum(-1), 1.0, atol=1e-5)  # per-pixel softmax
    assert model.loss == "sparse_categorical_crossentropy"
