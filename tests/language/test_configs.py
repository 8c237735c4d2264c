"""Configurations: validation, the canonical form and its hash."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.errors import ArchErrors, ConfigError

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def se_auto():
    return archspace.parse_file(SPACES / "squeezenet_se_auto.arch")


@pytest.fixture(scope="module")
def optional_space():
    return archspace.parse_file(FIXTURES / "valid" / "optional.arch")


# -- canonical form ----------------------------------------------------------------------------
def test_canonical_fills_defaults_in_decision_order(se_auto):
    cfg = archspace.canonical(se_auto, {})
    assert cfg == archspace.default_config(se_auto)
    paths = [d.path for d in archspace.decisions(se_auto)]
    assert list(cfg) == [p for p in paths if p in cfg]
    assert cfg["group1"] == 2 and cfg["group2"] == 2 and cfg["drop/rate"] == 0.0
    # the SE ratios are used only inside the (default off) SE blocks: inactive, left out
    assert not any(p.endswith("/ratio") for p in cfg)


def test_canonical_drops_inactive_values(se_auto):
    cfg = archspace.canonical(se_auto, {"group1": 1, "group1[1]/fire4/se": True,
                                        "group1[0]/ratio": 8})
    assert cfg["group1"] == 1
    assert "group1[1]/fire4/se" not in cfg     # copy 1 is not built with one pair
    assert "group1[0]/ratio" not in cfg        # no SE on in copy 0
    cfg = archspace.canonical(se_auto, {"group1[0]/fire2/se": True, "group1[0]/ratio": 8})
    assert cfg["group1[0]/ratio"] == 8


def test_canonical_normalises_values(se_auto, optional_space):
    # integral floats for ints (pymoo, numpy), 0/1 for bools, floats snapped to their step
    cfg = archspace.canonical(se_auto, {"group1": 1.0, "group1[0]/fire2/se": 1})
    assert cfg["group1"] == 1 and type(cfg["group1"]) is int
    assert cfg["group1[0]/fire2/se"] is True
    space = archspace.parse_file(FIXTURES / "valid" / "params_named.arch")
    cfg = archspace.canonical(space, {"rate": 0.30000000000000004})
    assert cfg["rate"] == 0.3


def test_numpy_values_are_accepted(se_auto):
    import numpy as np
    cfg = archspace.canonical(se_auto, {"group1": np.int64(1), "drop/rate": np.float32(0.5)})
    assert cfg["group1"] == 1 and type(cfg["group1"]) is int
    assert type(cfg["drop/rate"]) is float


# -- the hash ------------------------------------------------------------------------------------
def test_hash_ignores_inactive_values(se_auto):
    base = archspace.config_hash(se_auto, {"group1": 1})
    assert base == archspace.config_hash(se_auto, {"group1": 1, "group1[1]/fire4/se": True})
    assert base == archspace.config_hash(se_auto, {"group1": 1, "group1[0]/ratio": 16})
    assert base == archspace.config_hash(se_auto, {"group1": 1.0})
    # defaults made explicit name the same architecture
    assert archspace.config_hash(se_auto, {}) == archspace.config_hash(
        se_auto, archspace.default_config(se_auto))
    assert len(base) == 16 and int(base, 16) >= 0


def test_hash_separates_architectures(se_auto):
    hashes = {
        archspace.config_hash(se_auto, {}),
        archspace.config_hash(se_auto, {"group1": 1}),
        archspace.config_hash(se_auto, {"group2": 0}),
        archspace.config_hash(se_auto, {"group1[0]/fire2/se": True}),
        archspace.config_hash(se_auto, {"group1[0]/fire2/se": True, "group1[0]/ratio": 8}),
        archspace.config_hash(se_auto, {"drop/rate": 0.5}),
    }
    assert len(hashes) == 6


def test_hash_is_stable_across_parses_and_key_order(se_auto):
    values = {"group2": 1, "group1[0]/fire3/bypass": True, "train/optimizer": "sgd"}
    again = archspace.parse_file(SPACES / "squeezenet_se_auto.arch")
    assert archspace.config_hash(se_auto, values) == archspace.config_hash(
        again, dict(reversed(list(values.items()))))
    # a known value: the hash must not drift between releases without notice
    assert archspace.config_hash(again, {}) == archspace.config_hash(
        archspace.Space.from_json(again.to_json()), {})


def test_architecture_only_hash_ignores_training(se_auto):
    a = archspace.config_hash(se_auto, {"train/optimizer": "sgd"}, architecture_only=True)
    b = archspace.config_hash(se_auto, {"train/optimizer": "rmsprop"}, architecture_only=True)
    assert a == b
    assert archspace.config_hash(se_auto, {"train/optimizer": "sgd"}) != \
        archspace.config_hash(se_auto, {"train/optimizer": "rmsprop"})


def test_hash_is_per_space():
    a = archspace.parse("space a\ninput x: 4\nnetwork { dense(int(1, 4)) }")
    b = archspace.parse("space b\ninput x: 4\nnetwork { dense(int(1, 4)) }")
    assert archspace.config_hash(a, {}) != archspace.config_hash(b, {})


# -- validation errors -----------------------------------------------------------------------
def test_unknown_path_suggests(se_auto):
    with pytest.raises(ConfigError) as info:
        archspace.canonical(se_auto, {"group1[0]/ratoi": 8})
    e = info.value
    assert e.message == "unknown decision 'group1[0]/ratoi' (did you mean 'group1[0]/ratio'?)"
    assert e.hint == "`archspace show FILE` lists every decision"
    assert e.to_dict()["code"] == "AS006"
    assert e.render().startswith("config error: unknown decision")


@pytest.mark.parametrize("values, message", [
    ({"group1": 3}, "group1 = 3 is outside its domain 1..2"),
    ({"group1": "x"}, "group1 = 'x' is outside its domain 1..2"),
    ({"drop/rate": 0.9}, "drop/rate = 0.9 is outside its domain 0..0.8"),
    ({"group1[0]/pool/op": "min"}, "group1[0]/pool/op = 'min' is outside its domain max | avg"),
    ({"group1[0]/fire2/se": "yes"},
     "group1[0]/fire2/se = 'yes' is outside its domain true | false"),
])
def test_value_outside_domain(se_auto, values, message):
    with pytest.raises(ConfigError) as info:
        archspace.canonical(se_auto, values)
    assert info.value.message == message


def test_inactive_in_strict_mode(se_auto):
    values = {"group1": 1, "group1[1]/fire4/se": True}
    archspace.canonical(se_auto, values)  # lenient: dropped
    with pytest.raises(ConfigError) as info:
        archspace.canonical(se_auto, values, strict=True)
    assert info.value.message == \
        "decision 'group1[1]/fire4/se' is inactive here (active when group1 = 2)"


def test_all_problems_reported_together(se_auto):
    with pytest.raises(ArchErrors) as info:
        archspace.canonical(se_auto, {"nope": 1, "group1": 7, "drop/rate": -1.0})
    messages = [e.message for e in info.value.errors]
    assert len(messages) == 3
    assert messages[0].startswith("unknown decision 'nope'")
    assert info.value.to_dict()["errors"][1]["kind"] == "config error"


# -- activity ------------------------------------------------------------------------------------
def test_activity_follows_structure(optional_space):
    dl = archspace.decisions(optional_space)
    ratio = dl.get("ratio")
    assert not ratio.active({"se": False}) and ratio.active({"se": True})
    # an optional residual: its merge op depends on it, its body does not
    assert dl.get("res/merge").active({"res": True})
    assert not dl.get("res/merge").active({"res": False})
    assert dl.get("bypass/conv/filters").active({"bypass": False})
    unused = archspace.decisions(archspace.parse_file(
        FIXTURES / "valid" / "params_named.arch")).get("use")
    assert unused.when == () and unused.when_str() == "never"


def test_sampling_is_seeded_and_valid(se_auto):
    a = archspace.sample_config(se_auto, 7)
    assert a == archspace.sample_config(se_auto, 7)
    assert archspace.canonical(se_auto, a, strict=True) == a
    seen = {archspace.config_hash(se_auto, archspace.sample_config(se_auto, s)) for s in range(20)}
    assert len(seen) > 10
