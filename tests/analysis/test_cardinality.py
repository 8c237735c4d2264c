"""Exact cardinality: the model count over the decision conditions equals brute-force
enumeration on small spaces, matches hand counts on the shipped ones, and stays fast on
astronomically large spaces."""

from __future__ import annotations


import pytest

import archspace
from archspace.analysis.cardinality import cardinality, count_models, enumerate_configs, fmt_count
from archspace.ir.decisions import Decision, DecisionList
from archspace.ir.walk import Cond

from conftest import SPACES, shipped_names, shipped_space
from spaces_small import ALL


@pytest.mark.parametrize("name", sorted(ALL))
def test_count_equals_brute_force(name):
    s = archspace.parse(ALL[name], f"{name}.arch", base_dir=SPACES)
    c = cardinality(s)
    arch = {archspace.config_hash(s, cfg, architecture_only=True)
            for cfg in enumerate_configs(s)}
    assert c.architectures == len(arch)
    train = enumerate_configs(s, prefix=["train/"])
    assert c.training.count == len(train)


def test_squeezenet_se_auto_by_hand():
    c = cardinality(shipped_space("squeezenet_se_auto"))
    # a pair: 2 SE flags; ratio when either is on; a skip per SE that is on; bypass; (pool)
    pair = 1 + 6 + 6 + 12  # (no SE) + (SE on the first) + (on the second) + (on both) = 25
    group1 = (pair * 2 * 2) + (pair * 2 * 2) ** 2        # 1 or 2 pairs, with pool and bypass
    group2 = 1 + (pair * 2) + (pair * 2) ** 2            # 0, 1 or 2 pairs, bypass only
    assert {g.name: g.count for g in c.architecture.groups} == {
        "group1": group1, "group2": group2, "drop": 1}
    assert c.architectures == group1 * group2 == 25_765_100
    assert c.infinite and c.architecture.continuous == ["drop/rate"]
    assert c.training.count == 4  # optimizer x learning rate
    assert c.total == 25_765_100 * 4


def test_inactive_values_count_once():
    # the ratio only matters when SE is on: 1 + 3 architectures, not 2 x 3
    s = archspace.parse("""
    input x: 8x8x16
    network {
      param ratio = choice(2, 4, 8)
      optional se { global_avg_pool; dense(16 // ratio) }
    }""")
    assert cardinality(s).architectures == 4
    assert len(enumerate_configs(s)) == 4


def test_unused_and_never_active():
    s = archspace.parse("""
    input x: 8x8x3
    param kind = choice(a, b)
    param unused = int(1, 3)
    network {
      choice kind {
        a: choice kind { a: conv(8) | b: conv(int(1, 4)) }
      | b: conv(8)
      }
    }""")
    c = cardinality(s)
    assert c.unused == ["unused"]
    assert c.never_active == ["kind/a/kind/b/conv/filters"]
    assert c.architectures == 2


def test_synthetic_conditions():
    """The model count on a hand-made decision list with overlapping conditions."""
    a = Decision(path="a", kind="bool", source="optional", default=False)
    b = Decision(path="b", kind="int", source="repeat", lo=0, hi=2, step=1, default=0)
    # c is active when a, or when b >= 1 (a disjunction over two parents)
    c = Decision(path="c", kind="choice", source="inline", values=(1, 2, 3), default=1,
                 when=((Cond(path="a", values=(True,)),), (Cond(path="b", values=(1, 2)),)))
    # d needs a and b = 2 and a = false at once: never
    d = Decision(path="d", kind="bool", source="optional", default=False,
                 when=((Cond(path="a", values=(True,)), Cond(path="a", values=(False,))),))
    dl = DecisionList(decisions=(a, b, c, d))
    n, possible = count_models(list(dl.decisions))
    # brute force: a x b = 6 combinations; c active in all but (a=false, b=0): 5 x 3 + 1
    assert n == 5 * 3 + 1 == len(enumerate_configs(dl))
    assert possible == {"a": True, "b": True, "c": True, "d": False}


def test_many_interacting_optionals_stay_small():
    """A parameter used under 40 optionals has a 40-way disjunction: the residual-condition
    DP keeps 2 states, where tracking raw values would keep 2^40."""
    body = "\n".join(f"optional o{i} {{ conv(ratio) }}" for i in range(40))
    s = archspace.parse(f"input x: 8x8x3\nparam ratio = choice(2, 4, 8)\nnetwork {{\n{body}\n}}")
    c = cardinality(s)
    assert c.architectures == 1 + (2 ** 40 - 1) * 3


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_spaces_count(name):
    # no time limit here (it fails on a loaded machine): bench/bench_analysis_speed.py times it
    s = shipped_space(name)
    c = cardinality(s)
    assert c.architectures >= 1
    assert c.never_active == []


def test_fmt_count():
    assert fmt_count(25_765_100) == "25,765,100"
    assert fmt_count(10**20) == "1e+20"
    assert fmt_count(10**400).startswith("~10^400")
