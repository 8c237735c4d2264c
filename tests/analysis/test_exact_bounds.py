"""Exact numbers, or numbers that say they are bounds (issue 11).

- On a NAS-Bench-201-like and a DARTS-like cell space (tests/analysis/spaces_nas.py), the
  whole-space analysis (`check_space`, `archspace show`) gives the exact min/max parameters and
  MACs, says so, and the default lies between them. The reference is computed independently
  with the builder: every edge of these cells keeps the cell's shape, so a network's parameters
  and MACs are a base plus one term per edge of the genotype (checked on random genotypes first);
  the extremes are then the base plus the per-edge extremes, and the genotypes that reach them
  are built to confirm.
- When a limit cuts the walk, min/max are bounds in the right direction, the report and `show`
  do not call them exact, and lint budgets act on them conservatively.
- The three regressions of issue 11: repeat bounds given by a name, a `let` in an optional body
  that shadows an outer name, and a structure `choice` on a constant block argument.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import signal
from pathlib import Path

import pytest

import archspace
from archspace.analysis.cardinality import cardinality
from archspace.analysis.graph import build_graph
from archspace.analysis.whole_space import check_space
from archspace.cli import main
from archspace.errors import ArchError
from archspace.ir.decisions import decisions_of

import spaces_nas as N

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = ROOT / "tests" / "fixtures" / "agreement"
#: issue 11 asks for under 3 s; this only stops a walk that is far off (today: over a minute)
GUARD_S = 30


class WalkTimeout(BaseException):
    """Not an Exception: code under test that catches Exception cannot swallow it."""


@contextlib.contextmanager
def time_guard(seconds: float, what: str):
    def stop(signum, frame):
        raise WalkTimeout(f"{what} still running after {seconds} s (issue 11: under 3 s)")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_SPACES: dict[str, object] = {}
_REPORTS: dict[str, object] = {}


def nas_space(name: str):
    if name not in _SPACES:
        _SPACES[name] = archspace.parse(getattr(N, name), f"{name.lower()}.arch")
    return _SPACES[name]


def nas_report(name: str):
    """check_space of a NAS space, once per session (a timeout is remembered too)."""
    if name not in _REPORTS:
        try:
            with time_guard(GUARD_S, f"check_space({name})"):
                _REPORTS[name] = check_space(nas_space(name))
        except WalkTimeout as e:
            _REPORTS[name] = e
    r = _REPORTS[name]
    if isinstance(r, BaseException):
        raise r
    return r


# ---- the independent reference ------------------------------------------------------------
def counts(space, cfg):
    g = build_graph(space, cfg)
    return g.params, g.macs


class EdgeModel:
    """params/MACs = base + sum over edges of a per-edge term, measured with the builder."""

    def __init__(self, space, edges: tuple[str, ...], ops: tuple[str, ...], fixed: dict):
        self.space, self.edges, self.ops, self.fixed = space, edges, ops, dict(fixed)
        self.ref = {e: ops[0] for e in edges}
        self.base = counts(space, {**self.fixed, **self.ref})
        self.term = {(e, o): tuple(a - b for a, b in zip(
            counts(space, {**self.fixed, **self.ref, e: o}), self.base))
            for e in edges for o in ops}

    def predict(self, genotype: dict) -> tuple[int, int]:
        return tuple(self.base[i] + sum(self.term[(e, genotype[e])][i] for e in self.edges)
                     for i in range(2))

    def extreme(self, i: int, best) -> tuple[int, dict]:
        geno = {e: best(self.ops, key=lambda o, e=e: self.term[(e, o)][i]) for e in self.edges}
        return self.predict(geno)[i], geno


def nb201_model() -> EdgeModel:
    return EdgeModel(nas_space("NB201"), N.NB201_EDGES, N.NB201_OPS, {})


def darts_model() -> EdgeModel:
    ops = tuple(op for op, _ in N.DARTS_EDGES)
    return EdgeModel(nas_space("DARTS"), ops, N.DARTS_OPS, {})


def _random_genotype(model: EdgeModel, rng: random.Random) -> dict:
    return {e: rng.choice(model.ops) for e in model.edges}


def test_nb201_space_is_what_it_says():
    s = nas_space("NB201")
    dl = decisions_of(s)
    assert [d.path for d in dl] == list(N.NB201_EDGES)
    assert all(d.values == N.NB201_OPS for d in dl)
    assert cardinality(s).architectures == 5 ** 6
    g = build_graph(s)
    # the default genotype is nor_conv_3x3 on all 6 edges: the stem, 6 convs in each of the 15
    # cells, 2 in each reduction block (its projection is not an op node)
    convs = [n for n in g.nodes if n.op == "conv"]
    assert len(convs) == 1 + 15 * 6 + 2 * 2
    assert sorted({n.shape[-1] for n in convs}) == [16, 32, 64]


def test_nb201_counts_add_up_over_edges():
    model = nb201_model()
    rng = random.Random(0)
    for _ in range(25):
        geno = _random_genotype(model, rng)
        assert counts(model.space, geno) == model.predict(geno), geno


def _assert_exact_extremes(name: str, model: EdgeModel) -> None:
    r = nas_report(name)
    (max_p, big), (min_p, small) = model.extreme(0, max), model.extreme(0, min)
    (max_m, _), (min_m, _) = model.extreme(1, max), model.extreme(1, min)
    assert counts(model.space, big)[0] == max_p and counts(model.space, small)[0] == min_p
    default = build_graph(model.space)
    assert min_p <= default.params <= max_p  # the reference itself is consistent
    assert (r.min_params.params, r.max_params.params) == (min_p, max_p), (
        f"reported {r.min_params.params:,}..{r.max_params.params:,}, exact {min_p:,}..{max_p:,} "
        f"(default {default.params:,}); exact={r.exact} {r.notes}")
    assert (r.min_macs.macs, r.max_macs.macs) == (min_m, max_m)
    assert r.exact, r.notes
    assert r.min_params.params <= default.params <= r.max_params.params
    assert r.min_macs.macs <= default.macs <= r.max_macs.macs
    assert r.ok and r.configs == cardinality(model.space).architectures


def test_nb201_whole_space_extremes_are_exact():
    _assert_exact_extremes("NB201", nb201_model())


def test_nb201_default_lies_between_the_reported_extremes():
    r = nas_report("NB201")
    g = build_graph(nas_space("NB201"))
    assert r.min_params.params <= g.params <= r.max_params.params, (
        f"default {g.params:,} outside the reported {r.min_params.params:,}.."
        f"{r.max_params.params:,} (exact={r.exact})")


def test_darts_inputs_do_not_change_counts():
    s = nas_space("DARTS")
    inputs = [d for d in decisions_of(s) if d.path.startswith("i")]
    assert len(inputs) == 6
    rng = random.Random(1)
    model = darts_model()
    for _ in range(5):
        geno = _random_genotype(model, rng)
        ref = counts(s, geno)
        for _ in range(4):
            wiring = {d.path: rng.choice(d.values) for d in inputs}
            assert counts(s, {**geno, **wiring}) == ref


def test_darts_counts_add_up_over_edges():
    model = darts_model()
    rng = random.Random(2)
    for _ in range(25):
        geno = _random_genotype(model, rng)
        assert counts(model.space, geno) == model.predict(geno), geno


def test_darts_whole_space_extremes_are_exact():
    _assert_exact_extremes("DARTS", darts_model())


def test_darts_default_lies_between_the_reported_extremes():
    r = nas_report("DARTS")
    g = build_graph(nas_space("DARTS"))
    assert r.min_params.params <= g.params <= r.max_params.params, (
        f"default {g.params:,} outside the reported {r.min_params.params:,}.."
        f"{r.max_params.params:,} (exact={r.exact})")


@pytest.mark.parametrize("name", ["NB201", "DARTS"])
def test_show_json_reports_the_exact_extremes(name, tmp_path, capsys):
    model = nb201_model() if name == "NB201" else darts_model()
    path = tmp_path / f"{name.lower()}.arch"
    path.write_text(getattr(N, name))
    with time_guard(GUARD_S, f"archspace show {name}"):
        rc = main(["show", str(path), "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    data = json.loads(out)["summary"]
    lo, hi = model.extreme(0, min)[0], model.extreme(0, max)[0]
    assert (data["params"]["min"], data["params"]["max"]) == (lo, hi)
    assert data["check"]["exact"] is True
    assert lo <= data["params"]["default"] <= hi


@pytest.mark.parametrize("name", ["NB201", "DARTS"])
def test_a_cut_walk_reports_bounds_not_exact_numbers(name, capsys):
    """A tiny state limit: the numbers are then either still exact, or bounds that say so:
    the extremes found are real configurations, so the true minimum is at most the reported
    one and the true maximum at least the reported one ("at most" / "at least"), in the
    report, its JSON and the text `show` prints."""
    from archspace.analysis.summary import summarize
    from archspace.cli import console

    model = nb201_model() if name == "NB201" else darts_model()
    lo, hi = model.extreme(0, min)[0], model.extreme(0, max)[0]
    space = nas_space(name)
    with time_guard(GUARD_S, f"check_space({name}, cap=16)"):
        summary = summarize(space, cap=16)
    r = summary.report
    if r.exact:
        assert (r.min_params.params, r.max_params.params) == (lo, hi)
        return
    assert r.to_dict()["exact"] is False
    params = summary.to_dict()["params"]
    assert (params["exact"], params["min_is"], params["max_is"]) == (
        False, "upper_bound", "lower_bound")
    assert lo <= r.min_params.params <= r.max_params.params <= hi
    summary.render(console)
    text = capsys.readouterr().out
    assert "at most" in text and "at least" in text, text


@pytest.mark.parametrize("name", ["NB201", "DARTS"])
@pytest.mark.parametrize("cap", [16, None])
def test_lint_budget_catches_the_largest_configuration(name, cap):
    """A budget one below the true maximum: some configuration breaks it, so lint must say so,
    whether or not the walk was cut."""
    model = nb201_model() if name == "NB201" else darts_model()
    hi = model.extreme(0, max)[0]
    kw = {} if cap is None else {"cap": cap}
    with time_guard(GUARD_S, f"lint({name})"):
        report = archspace.lint(nas_space(name), max_params=hi - 1, **kw)
    over = [f for f in report.findings if f.code == "AS110"]
    assert over, [f"{f.code} {f.message}" for f in report.findings]


# ==========================================================================================
# Issue 11 regressions
# ==========================================================================================
NAMED_BOUNDS = {
    "block_argument": """
        space b
        input image: 8x8x3
        output classes: 2
        block stack(n) { repeat r[i] in 1..n { conv(4 * (i + 1), 3x3) } }
        network { stack(2) global_avg_pool dense(classes) }
    """,
    "fixed_param": """
        space b
        input image: 8x8x3
        output classes: 2
        param depth = fixed(2)
        network { repeat r[i] in 0..depth { conv(4 * (i + 1), 3x3) } global_avg_pool dense(classes) }
    """,
    "let": """
        space b
        input image: 8x8x3
        output classes: 2
        network { let top = 2  repeat r[i] in 1..top { conv(4 * (i + 1), 3x3) } global_avg_pool dense(classes) }
    """,
    "output_constant": """
        space b
        input image: 8x8x3
        output classes: 2
        network { repeat r[i] in 1..classes { conv(4 * (i + 1), 3x3) } global_avg_pool dense(classes) }
    """,
}


def _brute(space):
    from archspace.analysis.cardinality import enumerate_configs

    out = []
    for cfg in enumerate_configs(space):
        g = build_graph(space, cfg)
        out.append((g.params, g.macs))
    return out


@pytest.mark.parametrize("kind", sorted(NAMED_BOUNDS))
def test_repeat_bound_given_by_a_name_in_the_whole_space_analysis(kind):
    space = archspace.parse(NAMED_BOUNDS[kind], f"{kind}.arch")
    built = _brute(space)  # it builds: every configuration
    assert len(built) == cardinality(space).architectures
    assert cardinality(space).architectures in (2, 3)
    r = check_space(space)
    assert r.ok and r.exact, r.notes
    assert r.configs == len(built)
    assert (r.min_params.params, r.max_params.params) == (min(built)[0], max(built)[0])


@pytest.mark.parametrize("kind", sorted(NAMED_BOUNDS))
def test_repeat_bound_given_by_a_name_in_show_and_lint(kind, tmp_path, capsys):
    path = tmp_path / f"{kind}.arch"
    path.write_text(NAMED_BOUNDS[kind])
    rc = main(["show", str(path)])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert "internal" not in out.out + out.err
    rc = main(["lint", str(path)])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert "internal" not in out.out + out.err


def test_repeat_named_bounds_fixture():
    space = archspace.parse_file(str(AGREEMENT / "repeat_named_bounds.arch"))
    dl = decisions_of(space)
    assert {d.path: (d.lo, d.hi) for d in dl if d.source == "repeat"} == {
        "s/layers": (1, 2), "a": (0, 2), "b": (1, 2), "c": (1, 2)}
    r = check_space(space)
    assert r.ok and r.exact, r.notes
    assert r.configs == cardinality(space).architectures


SHADOW = """
space shadow
input image: 8x8x3
output classes: 2
network {
  let width = 4
  conv(width, 3x3) as stem
  optional wide {
    let width = 32
    conv(width, 1x1)
  }
  conv(width, 1x1)
  merge add with stem
  global_avg_pool
  dense(classes)
}
"""


def test_let_shadowed_in_an_optional_body_keeps_the_outer_value_after_it():
    space = archspace.parse(SHADOW, "shadow.arch")
    built = {}
    for on in (False, True):
        g = build_graph(space, {"wide": on})
        built[on] = g
        # after the optional, `width` is the outer 4 again: conv(4) then add with the stem's 4
        assert g.nodes[g.outputs["classes"]].shape == (2,)
    assert [n.shape[-1] for n in built[True].nodes if n.op == "conv"] == [4, 32, 4]
    r = check_space(space)
    assert r.ok, [f"{f.message} at {f.path}" for f in r.failures]
    assert r.exact, r.notes
    assert r.configs == 2
    params = sorted(g.params for g in built.values())
    assert (r.min_params.params, r.max_params.params) == (params[0], params[1])
    lint = archspace.lint(space)
    assert not [f for f in lint.findings if f.severity == "error"], \
        [f"{f.code} {f.message}" for f in lint.findings]


def test_let_shadow_fixture_agrees_with_the_built_model():
    space = archspace.parse_file(str(AGREEMENT / "let_shadow_optional.arch"))
    r = check_space(space)
    built = [build_graph(space, {"wide": on}) for on in (False, True)]
    assert r.ok, [f.message for f in r.failures]
    assert (r.min_params.params, r.max_params.params) == tuple(sorted(g.params for g in built))


SWITCH = """
space switch
input image: 8x8x3
output classes: 2
block unit(kind) {
  choice kind { small: conv(4, 1x1) | big: conv(32, 3x3) conv(16, 1x1) }
}
network {
  unit(%s) as u
  global_avg_pool
  dense(classes)
}
"""


@pytest.mark.parametrize("arg, widths", [("big", [32, 16]), ("small", [4])])
def test_choice_on_a_constant_block_argument_follows_it(arg, widths):
    try:
        space = archspace.parse(SWITCH % arg, "switch.arch")
    except ArchError as e:  # the other answer issue 11 allows: a clear error naming it
        assert "kind" in e.render(), e.render()
        return
    paths = [d.path for d in decisions_of(space)]
    assert paths == [], f"a constant argument became decisions: {paths}"
    g = build_graph(space)
    assert [n.shape[-1] for n in g.nodes if n.op == "conv"] == widths
    assert check_space(space).configs == 1
    assert cardinality(space).architectures == 1


def test_constant_switch_fixture():
    path = AGREEMENT / "constant_switch.arch"
    try:
        space = archspace.parse_file(str(path))
    except ArchError as e:
        assert "kind" in e.render(), e.render()
        return
    dl = decisions_of(space)
    # `sel` switches on the parameter `mode`: no decision of its own either
    assert [d.path for d in dl] == ["mode"], [d.path for d in dl]
    for mode, widths in (("thin", [32, 16, 8]), ("wide", [32, 16, 24])):
        g = build_graph(space, {"mode": mode})
        assert [n.shape[-1] for n in g.nodes if n.op == "conv"] == widths


@pytest.mark.slow
def test_nb201_small_network_whole_space_equals_brute_force():
    """The same 15,625 genotypes on a network of one cell per stage (8x8 input), built one by
    one: no model of the counts, the builder on every configuration (about a minute)."""
    space = archspace.parse(N.nb201(cells=1, size=8), "nb201_small.arch")
    assert cardinality(space).architectures == 15_625
    with time_guard(GUARD_S, "check_space(nb201 small)"):
        r = check_space(space)
    built = []
    for geno in itertools.product(N.NB201_OPS, repeat=6):
        g = build_graph(space, dict(zip(N.NB201_EDGES, geno)))
        built.append((g.params, g.macs))
    params = [b[0] for b in built]
    macs = [b[1] for b in built]
    assert (r.min_params.params, r.max_params.params) == (min(params), max(params)), (
        f"reported {r.min_params.params:,}..{r.max_params.params:,}, brute force "
        f"{min(params):,}..{max(params):,} (exact={r.exact})")
    assert (r.min_macs.macs, r.max_macs.macs) == (min(macs), max(macs))
    assert r.exact and r.ok and r.configs == 15_625, r.notes
