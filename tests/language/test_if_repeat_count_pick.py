"""Static and searched `if`, `repeat NAME = expr` and `pick K of (...)` (issue 12), on the
networks users bring: MobileNetV2 with one inverted-residual block, U-Net whose decoder mirrors
a searched encoder depth, a DARTS-style normal cell and the NAS-Bench-201 cell space. Each
count is checked against an independent number (Keras, the shipped spaces, arithmetic)."""

from __future__ import annotations

import itertools
import math
import os
import textwrap
from pathlib import Path

import pytest

import archspace
from archspace.analysis.cardinality import cardinality, enumerate_configs
from archspace.analysis.graph import build_graph
from archspace.analysis.whole_space import check_space
from archspace.errors import ArchError

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent / "spaces"


def load(name: str):
    return archspace.parse_file(HERE / f"{name}.arch")


def fail(text: str) -> ArchError:
    with pytest.raises(ArchError) as info:
        archspace.parse(textwrap.dedent(text).lstrip("\n"), "t.arch")
    return info.value


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def layers_of(graph) -> list[tuple]:
    return [(n.kind, n.op, n.shape, n.trainable, n.non_trainable) for n in graph.nodes]


# ---- static if: MobileNetV2 with one inverted-residual block ----------------------------------
MOBILENETV2_PARAMS = 3_538_984  # keras.applications.MobileNetV2(weights=None), 224x224x3, 1000


def test_mobilenetv2_one_block_counts_like_keras_applications():
    space = load("mobilenetv2_one_block")
    assert len(archspace.decisions(space)) == 0  # every `if` is static here
    graph = build_graph(space)
    assert graph.params == MOBILENETV2_PARAMS
    assert sum(1 for n in graph.nodes if n.op == "add") == 10  # residuals: stride 1, same width
    assert not any(n.op == "conv" and n.name.endswith("expand") for n in graph.nodes
                   if n.name.startswith("B1."))  # t == 1: no expansion
    # layer for layer the network of the four-block version (spaces/mobilenetv2.arch)
    reference = build_graph(archspace.parse_file(ROOT / "spaces" / "mobilenetv2.arch"))
    assert layers_of(graph) == layers_of(reference)


@pytest.mark.slow
def test_mobilenetv2_one_block_compiles_to_keras_with_the_same_count(keras):
    from archspace.compile import to_keras

    model = to_keras(load("mobilenetv2_one_block"), compile=False)
    assert model.count_params() == MOBILENETV2_PARAMS
    ref = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3), classes=1000)
    assert ref.count_params() == MOBILENETV2_PARAMS


# ---- repeat NAME = expr: U-Net whose decoder mirrors the encoder ------------------------------
UNET_PARAMS = 31_030_658  # the classic U-Net (spaces/unet.arch at its default)


def test_unet_decoder_mirrors_the_encoder_depth():
    space = load("unet_mirror")
    assert build_graph(space).params == UNET_PARAMS
    assert build_graph(archspace.parse_file(ROOT / "spaces" / "unet.arch")).params == UNET_PARAMS
    dl = archspace.decisions(space)
    # the mirrored count is no decision: depth, the encoder count, and per up copy its convs
    assert [d.path for d in dl] == ["depth", "down"] + [f"up[{i}]/convs" for i in range(4)]
    # exact count: 3 widths x sum over encoder depths d of 2^(d + 1) decoder conv choices
    expected = 3 * sum(2 ** (d + 1) for d in range(4))
    assert cardinality(space).architectures == expected == 90
    report = check_space(space)
    assert report.exact and report.configs == expected and not report.failures
    for cfg in enumerate_configs(space):
        g = build_graph(space, cfg)
        ups = [n for n in g.nodes if n.op == "deconv"]
        downs = [n for n in g.nodes if n.op == "maxpool"]
        assert len(ups) == len(downs) == cfg["down"] + 1
        assert g.nodes[g.outputs["classes"]].shape == (256, 256, 2)


@pytest.mark.slow
def test_unet_mirror_compiles_to_keras_with_the_same_count(keras):
    from archspace.compile import to_keras

    space = load("unet_mirror").with_overrides({"image": (64, 64, 1)})
    for cfg in ({}, {"depth": 16, "down": 1, "up[0]/convs": 1}):
        model = to_keras(space, cfg, compile=False)
        assert model.count_params() == build_graph(space, cfg).params
    assert to_keras(space, compile=False).count_params() == UNET_PARAMS


# ---- pick K of (...): a DARTS-style normal cell ------------------------------------------------
DARTS_OPS = 8


def test_darts_cell_counts_each_set_of_inputs_once():
    space = load("darts_normal_cell")
    dl = archspace.decisions(space)
    for i in range(4):
        taps = ["c0", "c1"] + [f"n{j}" for j in range(i)]
        d = dl.get(f"n{i}")
        assert d is not None and d.kind == "choice" and d.source == "pick"
        # one value per unordered set of 2 distinct inputs: C(2 + i, 2) of them
        sets = [frozenset(v.split("+")) for v in d.values]
        assert len(sets) == len(set(sets)) == math.comb(2 + i, 2)
        assert set(sets) == {frozenset(c) for c in itertools.combinations(taps, 2)}
        for tap in taps:  # an edge's op is active exactly when its input is picked
            op = dl.get(f"n{i}/{tap}/edge/op")
            assert op is not None and op.size == DARTS_OPS
            assert {c.path for conj in op.when for c in conj} == {f"n{i}"}
            assert {v for conj in op.when for c in conj for v in c.values} == \
                {v for v in d.values if tap in v.split("+")}
    # independently: node i picks one of C(2 + i, 2) sets, then an op for each of its 2 edges
    expected = math.prod(math.comb(2 + i, 2) * DARTS_OPS ** 2 for i in range(4))
    assert expected == 3_019_898_880
    assert cardinality(space).architectures == expected


def test_darts_cell_builds_the_picked_edges():
    space = load("darts_normal_cell")
    for seed in range(8):
        cfg = archspace.sample_config(space, seed)
        g = build_graph(space, cfg)
        for i in range(4):
            merge = g.nodes[next(n.id for n in g.nodes if n.name == f"n{i}")]
            assert merge.op == "add" and len(merge.inputs) == 2
            picked = cfg[f"n{i}"].split("+")
            # an edge's layers are named after the picked input: n2.c0.edge..., or none at all
            used = {n.path.split("/")[1] for n in g.nodes if n.path.startswith(f"n{i}/")}
            assert used <= set(picked)
            assert {k.split("/")[1] for k in cfg if k.startswith(f"n{i}/")} == set(picked)


def test_a_search_report_names_the_picked_inputs():
    from archspace.search.report import describe

    space = load("darts_normal_cell")
    cfg = archspace.sample_config(space, 1)
    line = next(x for x in describe(space, cfg) if x.startswith("Picked inputs: "))
    assert all(f"n{i} = {cfg[f'n{i}']}" in line for i in range(4))


@pytest.mark.slow
def test_pick_is_one_keras_tuner_choice_over_the_sets():
    kt = pytest.importorskip("keras_tuner")
    from archspace.compile import to_hypermodel

    space = load("darts_normal_cell")
    hp = kt.HyperParameters()
    to_hypermodel(space, compile=False).declare_hyperparameters(hp)
    n2 = next(p for p in hp.space if p.name == "n2")
    assert type(n2).__name__ == "Choice"
    assert list(n2.values) == list(archspace.decisions(space).get("n2").values)


@pytest.mark.slow
def test_darts_cell_compiles_to_keras_with_the_same_count(keras):
    from archspace.compile import to_keras

    space = load("darts_normal_cell")
    for seed in (0, 1):
        cfg = archspace.sample_config(space, seed)
        assert to_keras(space, cfg, compile=False).count_params() == \
            build_graph(space, cfg).params


# ---- the NAS-Bench-201 cell space: 6 edges x 5 ops, `none` is the zero op ----------------------
NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def test_nas_bench_201_has_15625_cells():
    space = load("nas_bench_201_cell")
    dl = archspace.decisions(space)
    assert len(dl) == 6
    assert all(d.values == NB201_OPS and d.when == ((),) for d in dl)
    assert cardinality(space).architectures == len(NB201_OPS) ** 6 == 15_625
    assert build_graph(space, {d.path: "none" for d in dl}).params == 0
    convs = build_graph(space, {d.path: "nor_conv_3x3" for d in dl})
    assert convs.params == 6 * (3 * 3 * 4 * 4 + 4 * 4)  # conv (no bias) + BN per edge


@pytest.mark.slow
def test_nas_bench_201_compiles_and_none_is_zero(keras):
    import numpy as np

    from archspace.compile import to_keras

    space = load("nas_bench_201_cell")
    dl = archspace.decisions(space)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype("float32")
    none = to_keras(space, {d.path: "none" for d in dl}, compile=False)
    assert none.count_params() == 0
    assert np.all(none.predict(x, verbose=0) == 0)
    # x3 = e03(x0) + e13(x1) + e23(x2) with only e03 a skip: the cell output is its input
    cfg = {d.path: "none" for d in dl} | {"x3/0/e03/op": "skip_connect"}
    assert np.allclose(to_keras(space, cfg, compile=False).predict(x, verbose=0), x)
    cfg = archspace.sample_config(space, 4)
    assert to_keras(space, cfg, compile=False).count_params() == build_graph(space, cfg).params


@pytest.mark.slow
def test_the_python_emitter_writes_picks_and_zero_edges(keras):
    from archspace.compile.python_emitter import emit_python

    for name, seed in (("nas_bench_201_cell", 4), ("darts_normal_cell", 2)):
        space = load(name)
        cfg = archspace.sample_config(space, seed)
        scope: dict = {}
        exec(compile(emit_python(space, cfg), f"{name}.py", "exec"), scope)
        assert scope["build_model"](compile=False).count_params() == \
            build_graph(space, cfg).params


def test_decisions_under_a_shape_condition_make_the_count_a_bound():
    space = archspace.parse(textwrap.dedent("""
        input x: 8x8x4
        param k = choice(1, 3)
        block b(c) {
          if in.channels == c { optional bn } else { conv(c, k) }
        }
        network {
          b(4)
          b(8)
        }
        """), "t.arch")
    dl = archspace.decisions(space)
    assert set(dl.loose) == {"k", "b/if/then/bn", "b_2/if/then/bn"}
    card = cardinality(space)
    assert not card.exact and card.architectures == 8  # an upper bound: both bodies counted
    # built: b(4) takes `then` (optional bn: 2), b(8) takes `else` (kernel k: 2)
    report = check_space(space)
    assert report.exact and report.configs == 4


# ---- errors ------------------------------------------------------------------------------------
def test_a_condition_must_be_a_truth_value():
    e = fail("""
        input x: 8x8x3
        network {
          if 3 { conv(4, 1x1) }
        }
        """)
    assert "a condition must be true or false, got 3" in e.message
    assert (e.span.line, e.span.col) == (3, 6)


def test_a_count_expression_cannot_read_a_shape():
    e = fail("""
        input x: 8x8x3
        network {
          repeat r = in.channels { conv(4, 1x1) }
        }
        """)
    assert "must depend only on constants and decisions" in e.message
    assert e.span.line == 3


def test_pick_errors_are_located():
    e = fail("""
        input x: 8x8x3
        network {
          conv(4, 1x1) as a
          pick 3 of (a, x) merge add { }
        }
        """)
    assert "pick 3 of 2 inputs" in e.message and e.span.line == 4
    e = fail("""
        input x: 8x8x3
        network {
          conv(3, 1x1) as a
          pick 2 of (a, a) merge add { }
        }
        """)
    assert "lists the input 'a' twice" in e.message
    e = fail("""
        input x: 8x8x3
        network {
          pick 1 of (x, nowhere) merge add { }
        }
        """)
    assert "unknown tap 'nowhere'" in e.message


# ---- the examples of docs/language.md say true things ---------------------------------------
def _doc_example(marker: str):
    import re

    doc = (ROOT / "docs" / "language.md").read_text()
    fences = re.finditer(r"^```arch[ \t]*\n(.*?)^```[ \t]*$", doc, re.M | re.S)
    hits = [m.group(1) for m in fences if marker in m.group(1)]
    assert len(hits) == 1, marker
    return archspace.parse(hits[0], "docs/language.md", base_dir=ROOT / "docs")


@pytest.mark.parametrize("marker, count, paths", [
    ("repeat up[i] = down.count", 2 + 4 + 8,
     ["down", "up[0]/kernel", "up[1]/kernel", "up[2]/kernel"]),
    ("block inverted_residual(t, c, s)", 1 + 2, ["wide", "if/then/inverted_residual/c"]),
    ("pick n1 2 of (c0, c1, n0)", 1 * 3 ** 2 * 3 * 2 ** 2,
     ["n0", "n0/c0/op", "n0/c1/op", "n1", "n1/c0/op", "n1/c1/op", "n1/n0/op"]),
])
def test_doc_examples_counts(marker, count, paths):
    space = _doc_example(marker)
    assert [d.path for d in archspace.decisions(space)] == paths
    assert cardinality(space).architectures == count
    assert check_space(space).configs == count
