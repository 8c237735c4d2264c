"""What a search decides without training: candidates (canonical hash, static size, static
constraints), grid enumeration, the pymoo genome, Pareto fronts and hypervolume, the run
directory, and architectures described in words. No TensorFlow."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import archspace
from archspace.errors import ArchError
from archspace.search.candidates import Genome, enumerate_configs, grid_values, make_candidate
from archspace.search.pareto import front, hypervolume, nondominated
from archspace.search.report import describe, leaderboard
from archspace.search.rundir import RunDir
from archspace.search.settings import Objective, resolve

from search_helpers import ROOT, space_file

SE_AUTO = ROOT / "spaces" / "squeezenet_se_auto.arch"


@pytest.fixture(scope="module")
def se_auto():
    return archspace.parse_file(SE_AUTO)


def test_candidate_sizes_match_the_reference_counts(se_auto):
    s = resolve(se_auto, max_params=500_000)
    default = make_candidate(se_auto, {}, s)
    assert default.static["params"] == 729_034          # facts.md, 10 classes at 32x32
    assert default.violations and "breaks params <= 500k" in default.violations[0]
    small = make_candidate(se_auto, {"group1": 1, "group2": 0}, s)
    assert small.static["params"] == 28_330 and small.feasible
    assert small.static["bytes"] == 4 * 28_330 and small.static["macs"] > 0


def test_inactive_values_do_not_change_the_hash(se_auto):
    s = resolve(se_auto)
    a = make_candidate(se_auto, {"group1": 1, "group2": 0}, s)
    # group1[1]/... is inactive with one pair; the SE ratio is inactive with SE off
    b = make_candidate(se_auto, {"group1": 1, "group2": 0, "group1[1]/fire4/se": True,
                                 "group1[0]/ratio": 8, "tuner/epochs": 3}, s)
    assert a.hash == b.hash and a.config == b.config


def test_a_broken_configuration_is_an_error_not_a_crash(se_auto):
    c = make_candidate(se_auto, {"group1": 7}, resolve(se_auto))
    assert c.error and "outside its domain" in c.error and not c.feasible


def test_grid_enumerates_distinct_canonical_configurations():
    space = archspace.parse_file(space_file("few"))
    configs = list(enumerate_configs(space))
    s = resolve(space)
    hashes = {make_candidate(space, c, s).hash for c in configs}
    assert len(configs) == len(hashes) == 4
    assert configs[0] == archspace.default_config(space)        # defaults first
    small = archspace.parse_file(space_file("small"))
    assert len(list(enumerate_configs(small))) == 3 * 2 * 2 * 2


def test_grid_values_of_a_continuous_float(se_auto):
    d = archspace.decisions(se_auto).get("drop/rate")
    vals = grid_values(d)
    assert vals[0] == 0.0 and len(vals) == 5 and max(vals) == 0.8


def test_genome_decodes_every_vector_to_a_valid_configuration(se_auto):
    g = Genome(se_auto)
    assert len(g) == len([d for d in archspace.decisions(se_auto) if d.when])
    lo, hi = g.decode(np.zeros(len(g))), g.decode(np.ones(len(g)))
    assert lo["group1"] == 1 and hi["group1"] == 2 and hi["drop/rate"] == 0.8
    rng = random.Random(0)
    for _ in range(50):
        cfg = archspace.canonical(se_auto, g.decode([rng.random() for _ in range(len(g))]))
        assert set(cfg) <= {d.path for d in archspace.decisions(se_auto)}


def _rec(tid, acc, params, h=None, status="completed", feasible=True):
    return {"trial_id": tid, "number": int(tid), "status": status, "hash": h or tid,
            "feasible": feasible, "params": params,
            "objectives": {"val_accuracy": acc, "params": params}}


OBJ = (Objective("val_accuracy", "max"), Objective("params", "min"))


def test_pareto_front_and_hypervolume():
    recs = [_rec("0", 0.9, 1000), _rec("1", 0.8, 500), _rec("2", 0.7, 800),
            _rec("3", 0.95, 5000), _rec("4", 0.99, 100, status="failed"),
            _rec("5", 0.99, 50, feasible=False), _rec("6", 0.85, 1000, h="0")]
    f = front(recs, OBJ)
    assert [r["trial_id"] for r in f] == ["3", "0", "1"]   # 2 is dominated by 1
    F = np.array([[0.1, 0.2], [0.2, 0.1], [0.3, 0.3]])
    assert nondominated(F).tolist() == [True, True, False]
    # two points in the unit box: 0.9*0.8 + 0.8*(0.9-0.8) ... exact area
    hv = hypervolume(F, np.zeros(2), np.ones(2))
    assert hv == pytest.approx(0.9 * 0.8 + 0.8 * 0.1)
    assert hypervolume(np.array([[2.0, 2.0]]), np.zeros(2), np.ones(2)) == 0.0


def test_hypervolume_of_three_objectives():
    # A = (.2,.6,.6) and B = (.6,.2,.2) in the unit cube, reference point (1,1,1):
    # .8*.4*.4 + .4*.8*.8 - (their overlap .4*.4*.4) = .128 + .256 - .064
    F = np.array([[0.2, 0.6, 0.6], [0.6, 0.2, 0.2], [0.7, 0.7, 0.7], [1.2, 0.0, 0.0]])
    assert nondominated(F).tolist() == [True, True, False, True]
    assert hypervolume(F, np.zeros(3), np.ones(3)) == pytest.approx(0.32)
    # the box scales each objective: costs in [0, 10] x [0, 1] x [0, 2]
    G = F * np.array([10.0, 1.0, 2.0])
    assert hypervolume(G, np.zeros(3), np.array([10.0, 1.0, 2.0])) == pytest.approx(0.32)


def test_mixed_genome_gives_each_decision_its_kind(se_auto):
    from pymoo.core.variable import Binary, Choice, Integer, Real

    from archspace.search.candidates import MixedGenome

    g = MixedGenome(se_auto)
    kinds = {p: type(v) for p, v in g.variables().items()}
    by = {d.path: d for d in g.decisions}
    for path, kind in kinds.items():
        d = by[path]
        want = {"bool": Binary, "choice": Choice}.get(d.kind) or (
            Integer if d.size is not None else Real)
        assert kind is want, path
    assert Real in kinds.values() and Choice in kinds.values()
    # every individual pymoo's mixed sampling draws decodes to a valid configuration
    from pymoo.core.mixed import MixedVariableSampling
    from pymoo.core.problem import Problem

    problem = Problem(vars=g.variables(), n_obj=2)
    X = MixedVariableSampling()(problem, 30, random_state=np.random.default_rng(0)).get("X")
    for x in X:
        cfg = g.decode(x)
        assert archspace.canonical(se_auto, cfg) is not None
        for path, v in cfg.items():
            assert by[path].contains(v), (path, v)


def test_leaderboard_puts_feasible_best_first():
    s = resolve(archspace.parse_file(space_file("few")))
    recs = [_rec("0", 0.5, 10), _rec("1", 0.9, 10, status="failed"),
            _rec("2", 0.7, 10, feasible=False), _rec("3", 0.6, 10)]
    assert [r["trial_id"] for r in leaderboard(recs, s)] == ["3", "0", "2", "1"]


def test_describe_says_which_blocks_are_on(se_auto):
    cfg = archspace.canonical(se_auto, {"group1": 2, "group2": 1, "group1[0]/fire2/se": True,
                                        "group1[0]/fire2/se/skip": True,
                                        "group1[0]/fire3/bypass": True})
    text = " ".join(describe(se_auto, cfg))
    assert "group1 x2" in text and "group2 x1" in text
    assert "se on at group1[0]/fire2" in text and "skip on at group1[0]/fire2/se" in text
    assert "bypass on at group1[0]/fire3" in text
    assert "optimizer rmsprop" in text


def test_run_directory_resumes_only_the_same_search(tmp_path):
    meta = {"space_hash": "a", "data": "digits", "fingerprint": {"strategy": "random"}}
    run, resumed = RunDir.open(tmp_path / "r", meta)
    assert not resumed
    run.write_trial({"trial_id": "0", "number": 0, "status": "completed"})
    run, resumed = RunDir.open(tmp_path / "r", meta)
    assert resumed and [t["trial_id"] for t in run.trials()] == ["0"]
    with pytest.raises(ArchError) as e:
        RunDir.open(tmp_path / "r", {**meta, "fingerprint": {"strategy": "nsga2"}})
    assert "different search" in e.value.message and "--overwrite" in e.value.hint
    run, _ = RunDir.open(tmp_path / "r", {**meta, "fingerprint": {"strategy": "grid"}},
                         overwrite=True)
    assert run.trials() == []
    # a torn last line (kill -9 while appending) is skipped, the rest is kept
    run.add_skip({"hash": "x", "reason": "duplicate of trial 0"})
    with open(run.path / "skipped.jsonl", "a") as f:
        f.write('{"hash": "y", "rea')
    assert [s["hash"] for s in run.skips()] == ["x"]
    assert json.loads((run.path / "search.json").read_text())["data"] == "digits"


def test_oracle_seeds_do_not_overlap():
    # Keras Tuner seeds its k-th random sample with seed + k: nearby run seeds must not give
    # nearby oracle seeds, or two runs draw shifted copies of one sequence
    from archspace.search.tuner import oracle_seed

    seeds = [oracle_seed(s) for s in range(10)]
    assert len(set(seeds)) == 10 and all(1 <= s < 2**31 for s in seeds)
    gaps = [abs(a - b) for i, a in enumerate(seeds) for b in seeds[i + 1:]]
    assert min(gaps) > 100_000
