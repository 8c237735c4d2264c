"""The ops added for the spaces users bring (zero, rescaling, normalization, bn without gamma or
beta, dilated depthwise convs) through every back end: the static count equals the Keras
build, the HyperModel and the emitted script build the same model, and a saved model loads with
plain keras.saving.load_model."""

from __future__ import annotations

import pytest

import archspace
from archspace.compile import emit_python, to_hypermodel, to_keras

from compile_helpers import count

import numpy as np  # noqa: E402

SOURCE = """
space new_ops
input image: 12x12x3
output classes: 5

network {
  rescaling(1 / 255) as scale
  normalization as norm
  rescaling([1, 2, 3], offset=[0, 0.5, 1]) as per_channel
  conv(8, 3x3, bias=false) as stem
  bn(scale=false) as stem_bn
  relu
  choice edge default zero {
    conv: conv(8, 1x1)
  | zero: zero
  | dil: dwconv(3x3, dilation=2, bias=false)
  }
  bn(center=false, scale=false) as plain_bn
  normalization(mean=0.5, variance=4) as fixed_norm
  global_avg_pool
  dense(classes, softmax)
}
"""


@pytest.fixture(scope="module")
def new_ops():
    return archspace.parse(SOURCE, "new_ops.arch")


def test_static_counts(new_ops):
    # stem conv 3*3*3*8; stem_bn beta 8 (+16 moving); plain_bn only its 16 moving statistics;
    # the adapted normalization: mean 3, variance 3, count 1; dense 8*5+5
    base = 3 * 3 * 3 * 8 + (8 + 16) + 16 + 7 + 45
    assert archspace.build_graph(new_ops).params == base
    assert archspace.build_graph(new_ops, {"edge": "conv"}).params == base + 8 * 8 + 8
    dil = archspace.build_graph(new_ops, {"edge": "dil"})
    assert dil.params == base + 9 * 8
    assert [n.shape for n in dil.nodes if n.name == "dwconv"] == [(12, 12, 8)]


@pytest.mark.parametrize("edge", ["conv", "zero", "dil"])
def test_keras_count_and_emitted_script(keras, new_ops, edge):
    cfg = {"edge": edge}
    model = to_keras(new_ops, cfg)
    assert count(model) == archspace.build_graph(new_ops, cfg).params
    namespace: dict = {"__name__": "generated"}
    exec(compile(emit_python(new_ops, cfg), "<generated>", "exec"), namespace)
    script = namespace["build_model"]()
    assert [type(la).__name__ for la in script.layers] == [type(la).__name__ for la in model.layers]
    assert count(script) == count(model)


def test_hypermodel_builds_the_same(kt, new_ops):
    hp = kt.HyperParameters()
    hp.Fixed("edge", "dil")
    model = to_hypermodel(new_ops).build(hp)
    assert count(model) == count(to_keras(new_ops, {"edge": "dil"}))


def test_zero_outputs_zeros_and_saved_model_loads(keras, new_ops, tmp_path):
    model = to_keras(new_ops, {"edge": "zero"}, compile=False)
    zero = model.get_layer("zero")
    assert type(zero).__name__ == "Rescaling" and zero.count_params() == 0
    probe = keras.Model(model.inputs, zero.output)
    x = np.random.default_rng(0).uniform(0, 255, (2, 12, 12, 3)).astype("float32")
    assert not np.any(probe.predict(x, verbose=0))
    # built-in layers only: the file loads without archspace's help
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert count(loaded) == count(model)
    assert np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.get_layer("scale").scale == pytest.approx(1 / 255)
    assert loaded.get_layer("stem_bn").scale is False
