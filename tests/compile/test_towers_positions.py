"""Towers merge positions named by labels (issue 12): SqueezeNetSEMAuto offers the paper's
positions (seed 000, Fig. 11: between the fire modules of group 1's first pair and after that
pair, before its pool); each has an exact count and compiles to Keras with the same count."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
import archspace.errors
from archspace.analysis.cardinality import cardinality
from archspace.compile.keras_model import to_keras

ROOT = Path(__file__).resolve().parents[2]
POSITIONS = ("stem", "fire2", "fire3", "group1", "group2")


def sem():
    return archspace.parse_file(ROOT / "spaces" / "squeezenet_sem_auto.arch")


def fire(cin: int, s: int) -> int:
    """SqueezeNet's fire(s) on `cin` channels: squeeze 1x1, expand 1x1 and 3x3 (4s each)."""
    return (cin * s + s) + (s * 4 * s + 4 * s) + (s * 9 * 4 * s + 4 * s)


def test_positions_are_a_decision_with_exact_cardinality():
    s = sem()
    at = archspace.decisions(s).get("towers/at")
    assert at.values == POSITIONS and at.default == "stem"
    se1 = archspace.parse_file(ROOT / "spaces" / "squeezenet_se1_auto.arch")
    assert cardinality(s).architectures == len(POSITIONS) * cardinality(se1).architectures


def test_each_position_duplicates_the_trunk_up_to_it():
    s = sem()
    n = {at: archspace.build_graph(s, {"towers/at": at}).params for at in POSITIONS}
    # the depth tower's own fire2 (96 -> 128 channels), then its fire3 (128 -> 128)
    assert n["fire2"] - n["stem"] == fire(96, 16)
    assert n["fire3"] - n["fire2"] == fire(128, 16)
    assert n["stem"] < n["fire2"] < n["fire3"] < n["group1"] < n["group2"]
    # Fig. 11: fire2, fire3 per input, merged, then the pool and the rest once
    g = archspace.build_graph(s, {"towers/at": "fire3", "group1": 1, "group2": 2})
    names = [x.name for x in g.nodes]
    cut = names.index("merge_fire3")
    # layers of copy 0 of group1 carry its index, as its decision paths do
    assert {"image.group1_0.fire3.concat", "depth.group1_0.fire3.concat"} <= set(names[:cut])
    assert names[cut + 1] == "group1_0.pool" and "group2_0.fire4.concat" in names[cut:]
    assert not any(x.startswith(("image.", "depth.")) for x in names[cut:])


@pytest.mark.slow
@pytest.mark.parametrize("at", POSITIONS)
def test_each_position_compiles_with_the_static_count(at, keras):
    s = sem().with_overrides({"image": (32, 32, 3), "depth": (32, 32, 1)}, None)
    cfg = {"towers/at": at, "group1": 2, "group2": 1}
    model = to_keras(s, cfg, compile=False)
    assert model.count_params() == archspace.build_graph(s, cfg).params


@pytest.mark.slow
def test_cut_inside_nested_repeats_compiles(keras):
    s = archspace.parse_file(ROOT / "tests" / "fixtures" / "agreement" / "towers_labels.arch")
    for at in ("first", "b0", "c1", "end"):
        for g in (1, 2):
            cfg = {"towers/at": at, "g": g}
            model = to_keras(s, cfg, compile=False)
            assert model.count_params() == archspace.build_graph(s, cfg).params


def _towers(body: str) -> archspace.Space:
    return archspace.parse("input a: 8x8x3\ninput b: 8x8x3\nnetwork {\n"
                           "  towers(a, b) merge add at choice(@x, @y) {\n" + body + "  }\n}\n",
                           "t.arch")


def test_a_label_and_its_marker_name_one_boundary():
    s = _towers("    conv(8, 1x1) as x\n    @x\n    conv(8, 1x1) as y\n")
    assert archspace.decisions(s).get("towers/at").values == ("x", "y")
    g = archspace.build_graph(s, {"towers/at": "x"})
    assert [n.name for n in g.nodes] == ["a", "b", "a.x", "b.x", "merge_x", "y"]


def test_a_name_for_two_boundaries_is_an_error():
    with pytest.raises(archspace.errors.ArchNameError) as info:  # when the file is read
        _towers("    conv(8, 1x1) as x\n    conv(8, 1x1) as y\n    @x\n")
    e = info.value
    assert e.message == "towers merge position '@x' cannot be a merge point: it names 2 " \
        "statement boundaries" and (e.span.line, e.span.col) == (4, 36)
