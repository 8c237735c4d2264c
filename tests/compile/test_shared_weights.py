"""Weight sharing (issue 12): `repeat .. shared` and `reuse NAME` apply layers built once; the
static count counts their weights once and equals Keras' `count_params()` of the compiled model
(one layer object called several times), for MobileNetV2-SSD-Auto's replications too."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.analysis.whole_space import check_space
from archspace.compile.keras_model import to_keras
from archspace.compile.python_emitter import emit_python
from archspace.errors import ArchError, ArchNameError, ArchShapeError, ArchTypeError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "valid" / "shared_weights.arch"
REPS = ("b3_3", "b4_3", "b5_3", "b6_3")


def fixture():
    return archspace.parse_file(FIXTURE)


def ssd(image=None):
    s = archspace.parse_file(ROOT / "spaces" / "mobilenetv2_ssd_auto.arch")
    return s.with_overrides({"image": image}, None) if image else s


def test_shared_copies_count_once_and_compute_each_time():
    s = fixture()
    graphs = {r: archspace.build_graph(s, {"r": r}) for r in (1, 2, 3)}
    assert graphs[1].params == graphs[2].params == graphs[3].params
    assert graphs[1].macs < graphs[2].macs < graphs[3].macs
    # one decision for all copies: the path has no copy index
    paths = [d.path for d in archspace.decisions(s)]
    assert "r/body/kernel" in paths and not any("r[" in p for p in paths)
    g = graphs[3]
    first = {n.path: n.id for n in g.nodes if n.shares is None}
    again = [n for n in g.nodes if n.shares is not None]
    # copies 1 and 2 (conv, conv, projection, conv) and the reused block (2 convs)
    assert len(again) == 2 * 4 + 2 and all(n.params == 0 for n in again)
    assert all(g.node(n.shares).shares is None for n in again)
    assert {g.node(n.shares).path for n in again if n.path.startswith("r/")} <= set(first)


def test_ssd_replications_keep_the_original_size():
    s = ssd()
    for r in (1, 2, 3):
        assert archspace.build_graph(s, {p: r for p in REPS}).params == 3_193_116


SHAPE_CHANGE = """input image: 8x8x4
network {
  repeat r in 2..2 shared {
    conv(8, 1x1)
  }
}
"""

REUSE_CHANGE = """input image: 8x8x4
network {
  conv(4, 3x3, padding=same) as c
  conv(8, 1x1)
  reuse c
}
"""


@pytest.mark.parametrize("src, line, col, what", [
    (SHAPE_CHANGE, 3, 3, "copy 1 of shared repeat 'r': its input is 8x8x8, but the layers "
                         "it shares were built on 8x8x4"),
    (REUSE_CHANGE, 5, 3, "reuse c: its input is 8x8x8, but the layers it shares were built "
                         "on 8x8x4"),
])
def test_a_reuse_on_another_shape_is_an_error_with_its_place(src, line, col, what):
    s = archspace.parse(src, "bad.arch")
    with pytest.raises(ArchShapeError) as info:
        archspace.build_graph(s)
    e = info.value
    assert e.message == what and (e.span.line, e.span.col) == (line, col)
    assert "same shape" in e.hint and str(e).startswith(f"bad.arch:{line}:{col}:")
    # the whole-space check finds the same place
    report = check_space(s)
    assert [(f.span.line, f.span.col) for f in report.failures] == [(line, col)]


@pytest.mark.parametrize("src, error, message", [
    ("input image: 8x8x4\nnetwork {\n  conv(4, 1x1) as c\n  reuse d\n}\n", ArchNameError,
     "reuse: no labelled call 'd' before this"),
    ("input image: 8x8x4\nnetwork {\n  repeat r[k] in 1..2 shared { conv(4, 1x1) }\n}\n",
     ArchTypeError, "a shared repeat has no index: its copies are one set of layers"),
])
def test_bad_sharing_is_reported(src, error, message):
    with pytest.raises(ArchError) as info:
        archspace.decisions(archspace.parse(src, "bad.arch"))
    errors = getattr(info.value, "errors", [info.value])
    assert any(isinstance(e, error) and e.message == message and e.span is not None
               for e in errors)


@pytest.mark.slow
def test_shared_layers_compile_to_one_keras_layer(keras):
    s = fixture()
    for r in (1, 2, 3):
        for kernel in (1, 3):
            cfg = {"r": r, "r/body/kernel": kernel}
            model = to_keras(s, cfg, compile=False)
            assert model.count_params() == archspace.build_graph(s, cfg).params
    # the emitted script keeps the layer objects it calls again
    ns: dict = {}
    exec(compile(emit_python(s, {"r": 3}), "shared.py", "exec"), ns)
    assert ns["build_model"](compile=False).count_params() == \
        archspace.build_graph(s, {"r": 3}).params


@pytest.mark.slow
def test_hypermodel_builds_the_shared_layers(kt):
    from archspace.compile import to_hypermodel

    s = fixture()
    hp = kt.HyperParameters()
    hp.Fixed("r", 3)
    model = to_hypermodel(s, compile=False).build(hp)
    assert model.count_params() == archspace.build_graph(s, {"r": 3}).params


@pytest.mark.slow
def test_ssd_replications_compile_to_the_same_size(keras):
    s = ssd((64, 64, 3))  # the count does not depend on the input size
    counts = set()
    for r in (1, 2, 3):
        cfg = {p: r for p in REPS}
        model = to_keras(s, cfg, compile=False)
        assert model.count_params() == archspace.build_graph(s, cfg).params
        counts.add(model.count_params())
    assert counts == {3_193_116}
