"""to_keras: facts.md fidelity (Keras' own count_params), layer names, inputs/outputs, merges,
projections, training settings."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import archspace
from archspace.compile import to_keras
from archspace.errors import ArchError

from compile_helpers import ROOT, count, space

import numpy as np  # noqa: E402

# ---- SqueezeNet (facts.md, section 1) --------------------------------------------------------
SQUEEZENET = [  # version, 224x224 with 1000 classes, 32x32 with 10 classes
    ("v1_0", 1_248_424, 740_554),
    ("v1_1", 1_235_496, 727_626),
]


@pytest.mark.parametrize("version,big,small", SQUEEZENET)
def test_squeezenet_counts(keras, version, big, small):
    assert count(to_keras(space("squeezenet"), {"version": version}, compile=False)) == big
    s = space("squeezenet", (32, 32, 3), 10)
    assert count(to_keras(s, {"version": version}, compile=False)) == small


def se_config(se=False, skip=False, ratio=32, bypass=False, g1=2, g2=2) -> dict:
    """A SqueezeNetSEAuto configuration the way facts.md describes its rows."""
    c = {"group1": g1, "group2": g2}
    for d in archspace.decisions(space("squeezenet_se_auto")):
        for suffix, value in (("/se", se), ("/se/skip", skip), ("/ratio", ratio),
                              ("/bypass", bypass)):
            if d.path.endswith(suffix):
                c[d.path] = value
    return c


SE_ROWS = [  # facts.md: SqueezeNetSEAuto parameter counts (224/1000, 32/10)
    ("defaults", se_config(), 1_236_904, 729_034),
    ("se32", se_config(se=True), 1_300_984, 793_114),
    ("se16", se_config(se=True, ratio=16), 1_362_504, 854_634),
    ("se8", se_config(se=True, ratio=8), 1_485_544, 977_674),
    ("se_skip32", se_config(se=True, skip=True), 1_647_352, 1_139_482),
    ("se_skip8", se_config(se=True, skip=True, ratio=8), 1_831_912, 1_324_042),
    ("bypass", se_config(bypass=True), 1_236_904, 729_034),
    ("pairs_1_0", se_config(g1=1, g2=0), 156_040, 28_330),
    ("pairs_1_1", se_config(g1=1, g2=1), 378_824, 124_394),
    ("pairs_2_0", se_config(g1=2, g2=0), 378_824, 124_394),
    ("pairs_1_2", se_config(g1=1, g2=2), 722_728, 341_578),
    ("pairs_2_1", se_config(g1=2, g2=1), 722_728, 341_578),
]


@pytest.mark.parametrize("name,config,big,small", SE_ROWS, ids=[r[0] for r in SE_ROWS])
def test_squeezenet_se_auto_counts(keras, name, config, big, small):
    big_space = space("squeezenet_se_auto", (224, 224, 3), 1000)
    assert count(to_keras(big_space, config, compile=False)) == big
    assert count(to_keras(space("squeezenet_se_auto"), config, compile=False)) == small


def test_squeezenet_se_auto_shapes_at_32(keras):
    """facts.md: 16x16 after conv1, 7 after maxpool1, 3 and 1 after the group-1 pools."""
    m = to_keras(space("squeezenet_se_auto"), compile=False)
    assert m.get_layer("conv1").output.shape[1:3] == (16, 16)
    assert m.get_layer("pool1").output.shape[1:3] == (7, 7)
    pools = [la for la in m.layers if la.name in ("group1_0.pool", "group1_1.pool")]
    assert [tuple(la.output.shape[1:3]) for la in pools] == [(3, 3), (1, 1)]


# ---- names, graph correspondence ---------------------------------------------------------------
def test_layers_are_the_graph_readable_names(keras):
    s = space("squeezenet_se_auto")
    cfg = se_config(se=True, skip=True)
    graph = archspace.build_graph(s, cfg)
    model = to_keras(s, cfg, compile=False)
    names = [la.name for la in model.layers]
    # inside a repeat, a layer's name starts with its copy (`group1_1.` for `group1[1]/`)
    for expected in ("conv1", "group1_0.fire2.squeeze1x1", "group1_0.fire2.expand3x3",
                     "group1_0.fire2.concat", "group1_0.fire2.se.scale",
                     "group1_1.fire4.se.skip.proj", "group1_1.fire4.se.skip.proj.bn",
                     "group1_1.fire4.se.skip", "conv10", "prob"):
        assert expected in names
    assert count(model) == graph.params
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == graph.trainable
    # every non-input node's last layer has the node's output shape
    for node in graph.nodes[1:]:
        layer_name = node.name + (".bn" if node.kind == "projection" else "")
        assert tuple(model.get_layer(layer_name).output.shape[1:]) == node.shape, node.name


def test_only_builtin_keras_layers(keras):
    model = to_keras(space("squeezenet_se_auto"), se_config(se=True, skip=True), compile=False)
    for layer in model.layers:
        assert type(layer).__module__.startswith("keras."), type(layer)


# ---- inputs, outputs, merges ---------------------------------------------------------------------
DETECTION = """
space det "two inputs, two heads"
input image: 16x16x3
input extra: 16x16x1
output boxes: 4
output labels: 3
task detection
network {
  towers(image, extra) merge concat at choice(@stem, @deep) default @stem {
    conv(8, 3x3, relu) as stem
    @stem
    conv(8, 3x3, relu) as deep
    @deep
  }
  global_avg_pool as gap
  dense(boxes) as box
  output boxes
  from gap
  dense(labels, softmax) as cls
  output labels
}
"""


@pytest.mark.parametrize("at", ["stem", "deep"])
def test_multi_input_multi_output(keras, at):
    s = archspace.parse(DETECTION)
    model = to_keras(s, {"towers/at": at})
    assert [t.name for t in model.inputs] == ["image", "extra"]
    names = {la.name for la in model.layers}
    assert {"image.stem", "extra.stem", f"merge_{at}", "box", "cls"} <= names
    assert ("image.deep" in names) == (at == "deep")
    x = {"image": np.zeros((4, 16, 16, 3), "float32"), "extra": np.zeros((4, 16, 16, 1), "float32")}
    y = {"boxes": np.zeros((4, 4), "float32"), "labels": np.array([0, 1, 2, 0])}
    out = model(x)
    assert set(out) == {"boxes", "labels"}
    assert tuple(out["boxes"].shape) == (4, 4) and tuple(out["labels"].shape) == (4, 3)
    # detection defaults: smooth L1 (huber) on the box head, sparse CE + accuracy on classes
    assert model.loss == {"boxes": "huber", "labels": "sparse_categorical_crossentropy"}
    logs = model.train_on_batch([x["image"], x["extra"]], y, return_dict=True)
    assert {"boxes_loss", "labels_loss", "labels_accuracy"} <= set(logs)


def test_multi_input_space_forward(keras):
    from compile_helpers import small

    s = small("squeezenet_sem_auto")
    for at in ("stem", "group1", "group2"):
        model = to_keras(s, {"towers/at": at}, compile=False)
        batch = [np.zeros((1,) + tuple(i.shape), "float32") for i in s.inputs]
        assert tuple(model(batch).shape) == (1, 8)
        assert count(model) == archspace.build_graph(s, {"towers/at": at}).params


# ---- training settings ---------------------------------------------------------------------------
def test_compiled_with_the_configuration_training_settings(keras):
    s = space("squeezenet_se_auto")
    model = to_keras(s, {"train/optimizer": "sgd", "train/learning_rate": 1e-4})
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert model.loss == "sparse_categorical_crossentropy"
    model = to_keras(s)  # defaults: rmsprop, 1e-3
    assert type(model.optimizer).__name__ == "RMSprop"
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert getattr(to_keras(s, compile=False), "optimizer", None) is None


TRAIN = """
space t
task {task}
input x: 6
output y: {units}
network {{ dense(8, relu) dense(y{act}) }}
train {{ {train} }}
"""


@pytest.mark.parametrize("task,units,act,train,loss,metric", [
    ("classification", 3, ", softmax", "", "sparse_categorical_crossentropy", "accuracy"),
    ("classification", 1, ", sigmoid", "", "binary_crossentropy", "accuracy"),
    ("classification", 3, "", "", "SparseCategoricalCrossentropy", "accuracy"),
    ("regression", 2, "", "", "mse", "mae"),
    ("regression", 2, "", "loss = huber metrics = [mae, mse]", "huber", "mse"),
    ("classification", 3, ", softmax",
     "loss = categorical_crossentropy label_smoothing = 0.1", "CategoricalCrossentropy",
     "accuracy"),
])
def test_loss_and_metrics(keras, task, units, act, train, loss, metric):
    s = archspace.parse(TRAIN.format(task=task, units=units, act=act, train=train))
    model = to_keras(s)
    got = model.loss if isinstance(model.loss, str) else type(model.loss).__name__
    assert got == loss
    assert metric in str(model._compile_metrics._user_metrics if hasattr(
        model, "_compile_metrics") else model.metrics)
    if loss == "SparseCategoricalCrossentropy":
        assert model.loss.from_logits
    if loss == "CategoricalCrossentropy":
        assert model.loss.label_smoothing == pytest.approx(0.1)


def test_label_smoothing_needs_a_loss_that_takes_it(keras):
    s = archspace.parse(TRAIN.format(task="classification", units=3, act=", softmax",
                                     train="label_smoothing = 0.1"))
    with pytest.raises(ArchError, match="label_smoothing"):
        to_keras(s)


def test_unknown_optimizer_is_a_clear_error(keras):
    s = archspace.parse(TRAIN.format(task="classification", units=3, act=", softmax",
                                     train="optimizer = adamm"))
    with pytest.raises(ArchError, match="unknown optimizer 'adamm'"):
        to_keras(s)


def test_train_settings_read_decisions_and_defaults():
    from archspace.compile import train_settings

    s = space("squeezenet_se_auto")
    st = train_settings(s, {"train/optimizer": "sgd"})
    assert (st.optimizer, st.learning_rate, st.batch_size, st.epochs, st.early_stop) == \
        ("sgd", 1e-3, 32, 100, 5)
    assert st.validation_split == 0.2  # not in the file: ir.settings' default


def test_importing_archspace_never_imports_keras():
    code = textwrap.dedent("""
        import sys
        import archspace, archspace.compile
        from archspace.compile import emit_python
        s = archspace.parse_file("spaces/squeezenet_se_auto.arch")
        emit_python(s, archspace.sample_config(s, 1))
        archspace.to_keras  # the facade attribute resolves without building anything
        bad = [m for m in ("keras", "tensorflow", "keras_tuner", "jax") if m in sys.modules]
        assert not bad, bad
    """)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
