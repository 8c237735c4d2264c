"""The whole-space check (state-set abstract interpretation): exact against brute force on
small spaces, reference numbers on the shipped ones, counterexamples that reproduce, and the
bounds it reports when it cannot be exact."""

from __future__ import annotations


import pytest

import archspace
from archspace.analysis.cardinality import cardinality
from archspace.analysis.graph import build_graph
from archspace.analysis.whole_space import check_space
from archspace.errors import ArchError, ArchShapeError

from conftest import SPACES, brute_force, shipped_names, shipped_space
from spaces_small import ALL, BAD_BYPASS


def _space(name: str):
    return archspace.parse(ALL[name], f"{name}.arch", base_dir=SPACES)


@pytest.mark.parametrize("name", sorted(ALL))
def test_exact_against_brute_force(name):
    s = _space(name)
    ref = brute_force(s)
    r = check_space(s)
    assert r.exact, r.notes
    ok = ref["ok"]
    assert r.configs == len(ok)  # configurations that build
    assert cardinality(s).architectures == len(ref["configs"])
    if ok:
        assert r.min_params.params == min(o[0] for o in ok)
        assert r.max_params.params == max(o[0] for o in ok)
        assert r.min_trainable.trainable == min(o[1] for o in ok)
        assert r.max_trainable.trainable == max(o[1] for o in ok)
        assert r.min_macs.macs == min(o[2] for o in ok)
        assert r.max_macs.macs == max(o[2] for o in ok)
        for e in (r.min_params, r.max_params, r.min_macs, r.max_macs):
            assert e.verified
            g = build_graph(s, e.config)
            assert (g.params, g.macs) == (e.params, e.macs)
    sites = {(e.span.line, e.span.col) for e, _ in ref["bad"]}
    assert {(f.span.line, f.span.col) for f in r.failures} == sites
    for f in r.failures:
        assert f.verified
        with pytest.raises(ArchError):
            build_graph(s, f.config)


def test_counterexample_for_a_bypass_around_a_channel_changing_fire():
    s = archspace.parse(BAD_BYPASS, "bad_bypass.arch", base_dir=SPACES)
    r = check_space(s)
    assert not r.ok
    (f,) = r.failures
    assert f.kind == "shape"
    assert (f.span.line, f.span.col) == (9, 14)
    assert f.shapes == ((16, 16, 128), (16, 16, 96))     # the fire's output, its input
    assert "merge add of 16x16x128 and 16x16x96" in f.message
    assert f.path == "g[0]/bypass"
    defaults = archspace.default_config(s)
    assert f.non_default(defaults) == {"g[0]/bypass": True}
    with pytest.raises(ArchShapeError):
        build_graph(s, f.config)


def test_reference_counts_squeezenet_se_auto():
    # facts.md: fire_module=1, num_fire_2=0 is the smallest (28,330 at 32x32, 10 classes);
    # every SE + every SE skip at ratio 8 is the largest (1,324,042)
    r = check_space(shipped_space("squeezenet_se_auto"))
    assert r.ok and r.exact
    assert (r.min_params.params, r.max_params.params) == (28_330, 1_324_042)
    assert r.min_params.config["group1"] == 1 and r.min_params.config["group2"] == 0
    big = r.max_params.config
    assert all(v == 8 for k, v in big.items() if k.endswith("/ratio"))
    assert all(v is True for k, v in big.items() if k.endswith("/se") or k.endswith("/skip"))
    assert r.configs == 25_765_100


def test_reference_counts_at_224_with_1000_classes():
    s = shipped_space("squeezenet_se_auto").with_overrides({"image": (224, 224, 3)},
                                                           {"classes": 1000})
    r = check_space(s)
    assert (r.min_params.params, r.max_params.params) == (156_040, 1_831_912)


def test_squeezenet_versions_and_mobilenet():
    r = check_space(shipped_space("squeezenet"))
    assert (r.min_params.params, r.max_params.params) == (1_235_496, 1_248_424)
    r = check_space(shipped_space("mobilenetv2"))
    assert r.min_params.params == 3_538_984  # keras.applications.MobileNetV2, 1000 classes


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_spaces_are_proved(name):
    s = shipped_space(name)
    r = check_space(s)  # its speed: bench/bench_analysis_speed.py
    assert r.exact, r.notes
    assert r.ok, [f.message for f in r.failures]
    assert r.configs == cardinality(s).architectures
    assert r.min_params.verified and r.max_params.verified
    # the default configuration lies between the extremes
    g = build_graph(s)
    assert r.min_params.params <= g.params <= r.max_params.params
    assert r.min_macs.macs <= g.macs <= r.max_macs.macs


@pytest.mark.parametrize("name", shipped_names())
def test_random_configurations_lie_within_the_extremes(name):
    s = shipped_space(name)
    r = check_space(s)
    for seed in range(20):
        g = build_graph(s, archspace.sample_config(s, seed))
        assert r.min_params.params <= g.params <= r.max_params.params
        assert r.min_trainable.trainable <= g.trainable <= r.max_trainable.trainable
        assert r.min_macs.macs <= g.macs <= r.max_macs.macs


def test_scales_far_beyond_enumeration():
    s = archspace.parse("""
    space big
    input image: 64x64x3
    block cell(c) {
      choice op { a: conv(c, 3x3, relu) | b: sepconv(c, 5x5) | c: conv(c, 1x1) | d: identity }
      optional bn
      optional skip res project { conv(choice(16, 32, 64), 3x3, relu) }
    }
    network {
      conv(32, 3x3, stride=2) as stem
      repeat stage[s] in 1..4 {
        repeat layer[l] in 1..6 {
          cell(choice(16, 32, 64))
          optional dropout(float(0.1, 0.5))
        }
        optional maxpool(2x2)
      }
      global_avg_pool
      dense(10, softmax)
    }""")
    r = check_space(s)
    c = cardinality(s)
    assert c.architectures > 10**57
    assert r.exact and r.ok and r.configs == c.architectures
    assert r.peak_states < 1000


def test_towers_share_decisions_and_stay_small():
    r = check_space(shipped_space("squeezenet_sem_auto"))
    assert r.exact and r.peak_states <= 64
    assert r.configs == cardinality(shipped_space("squeezenet_sem_auto")).architectures


def test_continuous_float_that_does_not_matter_is_exact():
    s = archspace.parse("""
    input x: 8x8x3
    network { conv(8, 3x3); dropout(float(0.0, 0.9)); bn(momentum=float(0.5, 0.99)) }""")
    r = check_space(s)
    assert r.exact and r.approximate == [] and r.configs == 1


def test_continuous_float_that_changes_shapes_is_a_bound():
    s = archspace.parse("""
    input x: 8x8x3
    network { conv(float(8, 32) // 1, 3x3) }""")
    r = check_space(s)
    assert not r.exact and r.approximate == ["conv/filters"]
    assert any("checked at its default and both ends" in n for n in r.notes)
    assert (r.min_params.params, r.max_params.params) == (3 * 3 * 3 * 8 + 8, 3 * 3 * 3 * 32 + 32)


def test_state_cap_is_reported():
    s = archspace.parse("""
    input x: 8x8x3
    network { conv(choice(8, 16, 24, 32), 3x3); conv(choice(8, 16, 24), 3x3) }""")
    r = check_space(s, cap=2)
    assert not r.exact
    assert any("more than 2 distinct states" in n for n in r.notes)
    full = check_space(s)
    assert full.exact and full.peak_states == 4


# ---- the count diagram -----------------------------------------------------------------------
@pytest.mark.parametrize("name", shipped_names())
def test_static_counter_equals_build_graph(name):
    from archspace.analysis import static_counter

    s = shipped_space(name)
    counter = static_counter(s)
    for seed in range(100):
        cfg = archspace.canonical(s, archspace.sample_config(s, seed))
        hit = counter.diagram.evaluate(cfg)  # the diagram itself, no fallback
        g = build_graph(s, cfg)
        assert hit == (g.params, g.trainable, g.non_trainable, g.macs), (name, seed)
        c = counter.count(cfg)
        assert (c.params, c.bytes, c.macs) == (g.params, g.bytes, g.macs)


@pytest.mark.parametrize("name", ["bad_bypass", "unet", "towers", "switch"])
def test_static_counter_on_every_configuration(name):
    """Exhaustively: the diagram answers exactly the configurations that build."""
    from archspace.analysis import static_counter
    from archspace.analysis.cardinality import enumerate_configs

    s = _space(name)
    counter = static_counter(s)
    for cfg in enumerate_configs(s):
        cfg = archspace.canonical(s, cfg)
        try:
            g = build_graph(s, cfg)
        except ArchError:
            assert counter.diagram.evaluate(cfg) is None
            with pytest.raises(ArchError):
                counter.count(cfg)
            continue
        assert counter.diagram.evaluate(cfg) == (g.params, g.trainable, g.non_trainable, g.macs)
