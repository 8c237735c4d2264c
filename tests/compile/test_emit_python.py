"""emit_python: a standalone Keras script that builds the same model as to_keras."""

from __future__ import annotations

import ast

import pytest

import archspace
from archspace.compile import emit_python, to_keras

from compile_helpers import count, small, space


def run_script(source: str):
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace["build_model"]


CASES = [
    ("squeezenet_se_auto", 0), ("squeezenet_se_auto", 7), ("mobilenetv2", 1), ("unet", 2),
    ("squeezenet_sem_auto", 3), ("cell_space", 4),
]  # grunas_shufflenet: its gconv compiles differently in the script (test below)


def test_gconv_as_built_in_layers(keras):
    """gconv is an archspace layer in to_keras; the script builds it from built-in layers
    (crop each group, Conv2D, Concatenate): same weights, same output."""
    import numpy as np

    s = archspace.parse("space g\ninput x: 5x5x6\nnetwork {\n  gconv(12, 4, 3x3, relu)\n"
                        "  gconv(7, 1, bias=false)\n}\n")
    model = run_script(emit_python(s))()
    ref = to_keras(s)
    assert count(model) == count(ref)
    first = ref.get_layer("gconv")
    for k, kernel in enumerate(first.kernels):
        model.get_layer(f"gconv.conv{k}").kernel.assign(kernel)
        model.get_layer(f"gconv.conv{k}").bias.assign(first.bias[3 * k:3 * k + 3])
    model.get_layer("gconv_2").kernel.assign(ref.get_layer("gconv_2").kernels[0])
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 6)).astype("float32")
    assert np.allclose(model.predict(x, verbose=0), ref.predict(x, verbose=0), atol=1e-4)


@pytest.mark.parametrize("name,seed", CASES)
def test_script_builds_the_same_model(keras, name, seed):
    s = small(name)
    cfg = archspace.sample_config(s, seed)
    source = emit_python(s, cfg)
    model = run_script(source)()
    ref = to_keras(s, cfg)
    assert count(model) == count(ref)
    assert [la.name for la in model.layers] == [la.name for la in ref.layers]
    assert [type(la).__name__ for la in model.layers] == [type(la).__name__ for la in ref.layers]
    assert [tuple(la.output.shape) for la in model.layers[len(s.inputs):]] == \
        [tuple(la.output.shape) for la in ref.layers[len(s.inputs):]]
    assert type(model.optimizer).__name__ == type(ref.optimizer).__name__
    assert model.loss == ref.loss
    keras.backend.clear_session()


def test_script_is_standalone_and_readable():
    s = space("squeezenet_se_auto")
    cfg = {"group1[0]/fire2/se": True, "group1[0]/fire2/se/skip": True, "drop/rate": 0.5}
    source = emit_python(s, cfg)
    tree = ast.parse(source)
    imports = {a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for a in node.names} | {node.module for node in ast.walk(tree)
                                      if isinstance(node, ast.ImportFrom)}
    assert imports <= {"keras", "layers"}
    assert "archspace" not in source.split('"""', 2)[2]  # only the docstring names it
    lines = source.splitlines()
    graph = archspace.build_graph(s, cfg)
    assert sum(line.strip().startswith(("layers.", "group", "fire", "conv", "pool", "drop",
                                        "avgpool", "prob", "image"))
               for line in lines) >= len(graph.nodes)
    # one line per layer, with its name; Keras defaults left out
    assert "    group1_0_fire2_squeeze1x1 = layers.Conv2D(filters=16, kernel_size=(1, 1), " \
           "padding='same', activation='relu', name='group1_0.fire2.squeeze1x1')(pool1)" in lines
    assert "    group1_0_fire2_se_skip_proj_bn = layers.BatchNormalization(" \
           "name='group1_0.fire2.se.skip.proj.bn')(group1_0_fire2_se_skip_proj)" in lines
    assert "    group1_0_fire2_se_skip = layers.Add(name='group1_0.fire2.se.skip')(" \
           "[group1_0_fire2_se_scale, group1_0_fire2_se_skip_proj_bn])" in lines
    assert "use_bias=True" not in source and "dilation_rate" not in source
    assert "    drop = layers.Dropout(rate=0.5, name='drop')(group2_1_fire9_concat)" in lines
    assert "    'group1[0]/fire2/se': True," in lines  # the decisions, as data (repr only)
    assert "optimizer=keras.optimizers.RMSprop(learning_rate=0.001)" in source
