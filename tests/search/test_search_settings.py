"""Settings: the space's search/train sections, arguments over them, the paper's defaults, the
quick digits demo. No TensorFlow."""

from __future__ import annotations

import pytest

import archspace
from archspace.errors import ArchError
from archspace.search.settings import (DEMO_EPOCHS, DEMO_TRIALS, Constraint, Objective,
                                       bracket_cost, hyperband_bracket, parse_constraint,
                                       parse_number, parse_objective, resolve)

from search_helpers import ROOT, space_file

SE_AUTO = ROOT / "spaces" / "squeezenet_se_auto.arch"


def test_paper_settings_come_from_the_space_file():
    s = resolve(archspace.parse_file(SE_AUTO), trials=100, epochs=100)
    assert (s.strategy, s.alpha, s.beta, s.initial_points) == ("bayesian", 0.001, 2.6, 2)
    assert (s.batch_size, s.early_stop, s.trials, s.epochs) == (32, 5, 100, 100)
    assert s.objectives == (Objective("val_accuracy", "max"), Objective("params", "min"))
    assert s.sources["strategy"] == "file" and s.sources["trials"] == "argument"


def test_arguments_override_the_file():
    s = resolve(archspace.parse_file(SE_AUTO), strategy="nsga2", trials=7, epochs=2,
                fraction=0.4, seed=3, batch_size=16, max_params="2M")
    assert (s.strategy, s.trials, s.epochs, s.fraction, s.seed, s.batch_size) == \
        ("nsga2", 7, 2, 0.4, 3, 16)
    assert s.constraints == (Constraint("params", "<=", 2e6),)
    assert s.max_epochs == 2          # Hyperband's max_epochs follows --epochs


def test_digits_demo_is_short_and_says_so():
    s = resolve(archspace.parse_file(SE_AUTO), data="digits")
    rounds = hyperband_bracket(s.max_epochs, s.factor)
    assert rounds == [(27, 1), (9, 3), (3, 9), (1, 27)]
    assert bracket_cost(rounds) == (40, 27 + 9 * 2 + 3 * 6 + 1 * 18)
    assert (s.strategy, s.trials, s.max_epochs, s.factor, s.early_stop) == \
        ("hyperband", 40, 27, 3, 0)
    assert s.sources["trials"] == s.sources["early_stop"] == "demo"
    assert "bayesian, 100 trials x 100 epochs with early stopping patience 5" in s.notes[0]
    assert "the best 1 to 27 (40 trials, 81 epochs; no early stopping)" in s.notes[0]
    s = resolve(archspace.parse_file(SE_AUTO), data="digits", strategy="nsga2")
    assert (s.trials, s.epochs, s.early_stop) == (DEMO_TRIALS, DEMO_EPOCHS, 5)
    assert s.sources["trials"] == "demo" and "100 x 100" in s.notes[0]
    # an explicit --trials or --epochs turns the demo off
    s = resolve(archspace.parse_file(SE_AUTO), data="digits", trials=20)
    assert (s.trials, s.epochs, s.early_stop) == (20, 100, 5) and not s.notes


def test_demo_bracket_is_keras_tuners_first():
    """hyperband_bracket follows Keras Tuner's own sizes, so the demo's trial budget ends
    exactly with its first bracket."""
    kt = pytest.importorskip("keras_tuner")
    for max_epochs, factor in ((27, 3), (36, 6), (18, 3)):
        oracle = kt.oracles.HyperbandOracle(kt.Objective("val_accuracy", "max"),
                                            max_epochs=max_epochs, factor=factor)
        top = oracle._get_num_brackets() - 1
        assert hyperband_bracket(max_epochs, factor) == [
            (oracle._get_size(top, r), oracle._get_epochs(top, r)) for r in range(top + 1)]


def test_defaults_without_sections():
    s = resolve(archspace.parse_file(space_file("few")))
    assert s.strategy == "random" and s.batch_size == 32 and s.early_stop == 5
    assert s.objectives == (Objective("val_accuracy", "max"), Objective("params", "min"))
    assert (s.alpha, s.beta, s.initial_points) == (0.001, 2.6, 2)   # the paper's, not KT's


def test_constraints_in_the_space_and_on_the_command_line():
    space = archspace.parse(
        "space c\ninput x: 8x8x1\noutput y: 2\nnetwork { conv(choice(4, 8), 3x3) "
        "global_avg_pool dense(y) softmax }\n"
        "search { constraints = [params <= 2e6, 1e7 > bytes] strategy = nsga2 }")
    s = resolve(space, constraints=["macs < 5M"])
    assert s.constraints == (Constraint("params", "<=", 2e6), Constraint("bytes", "<", 1e7),
                             Constraint("macs", "<", 5e6))
    assert all(c.static for c in s.constraints)
    s = resolve(space, max_params=1000)     # --max-params replaces the file's params bound
    assert Constraint("params", "<=", 1000) in s.constraints
    assert Constraint("params", "<=", 2e6) not in s.constraints


def test_unknown_strategy_is_an_error_with_a_hint():
    with pytest.raises(ArchError) as e:
        resolve(archspace.parse_file(space_file("few")), strategy="hyperbnd")
    assert "hyperband" in (e.value.hint or "")
    # any pymoo algorithm is a strategy
    assert resolve(archspace.parse_file(space_file("few")), strategy="smsemoa").strategy == \
        "smsemoa"


def test_parsers():
    assert parse_number("2M") == 2e6 and parse_number("500k") == 5e5
    assert parse_number("1.5e6") == 1.5e6
    assert parse_objective("maximize val_accuracy") == Objective("val_accuracy", "max")
    assert parse_objective("min bytes") == Objective("bytes", "min")
    assert parse_objective("macs") == Objective("macs", "min")
    assert parse_constraint("bytes <= 8M") == Constraint("bytes", "<=", 8e6)
    assert parse_constraint("1000 >= params") == Constraint("params", "<=", 1000)
    c = Constraint("params", "<=", 1000)
    assert c.ok(1000) and not c.ok(1001)
    assert c.violation(500) < 0 < c.violation(1500)
    with pytest.raises(ArchError):
        parse_constraint("params")


def test_fingerprint_ignores_the_trial_budget():
    space = archspace.parse_file(space_file("few"))
    assert resolve(space, trials=3).fingerprint() == resolve(space, trials=9).fingerprint()
    assert resolve(space, epochs=3).fingerprint() != resolve(space, epochs=9).fingerprint()
