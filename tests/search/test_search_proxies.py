"""Zero-cost proxies: NASWOT and synflow against hand computations, as objectives (nothing is
trained) and as a prescreen."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest


def _two_layer(w1, b1, w2, b2):
    import keras

    inp = keras.Input((2,), name="x")
    h = keras.layers.Dense(3, activation="relu", name="h")(inp)
    out = keras.layers.Dense(1, name="out")(h)
    model = keras.Model(inp, out)
    model.get_layer("h").set_weights([w1, b1])
    model.get_layer("out").set_weights([w2, b2])
    return model


W1 = np.array([[1.0, -2.0, 0.5], [-1.0, 1.0, 2.0]], dtype="float32")
B1 = np.array([0.1, -0.3, 0.2], dtype="float32")
W2 = np.array([[0.5], [-1.5], [2.0]], dtype="float32")
B2 = np.array([0.25], dtype="float32")


def test_naswot_is_the_log_determinant_of_activation_agreement():
    from archspace.search.proxies import naswot

    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]], dtype="float32")
    codes = (x @ W1 + B1 > 0).astype(float)          # which ReLU units fire, per example
    K = codes @ codes.T + (1 - codes) @ (1 - codes).T
    want = np.linalg.slogdet(K)[1]
    assert naswot(_two_layer(W1, B1, W2, B2), x) == pytest.approx(want)


def test_synflow_sums_parameter_times_gradient_of_the_absolute_network():
    from archspace.search.proxies import synflow

    a1, c1, a2, c2 = np.abs(W1), np.abs(B1), np.abs(W2), np.abs(B2)
    h = np.ones(2) @ a1 + c1                          # every unit positive: ReLU is identity
    s = a2[:, 0]                                      # dR/dh
    want = (a2[:, 0] * h).sum() + c2.sum() + (a1 * s).sum() + (c1 * s).sum()
    model = _two_layer(W1, B1, W2, B2)
    assert synflow(model, None) == pytest.approx(math.log(want), rel=1e-6)
    assert np.array_equal(model.get_layer("h").get_weights()[0], W1)   # weights put back


def test_a_proxy_search_trains_nothing(run_search):
    res = run_search("small", strategy="random", trials=3,
                     objectives=["maximize naswot", "minimize params"])
    assert not res.settings.needs_training
    for t in res.trials:
        assert t["status"] == "completed" and t["epochs_run"] == 0
        assert math.isfinite(t["objectives"]["naswot"])
        assert set(t["metrics"]) == {"naswot"}
    assert res.best["objectives"]["naswot"] == max(t["objectives"]["naswot"] for t in res.trials)


@pytest.mark.slow   # proxies of every proposal, then three trained trials
def test_prescreen_trains_the_better_part(run_search, tmp_path):
    res = run_search("small", strategy="random", trials=3, prescreen="naswot:0.5")
    skips = [json.loads(line) for line in
             (tmp_path / "run" / "skipped.jsonl").read_text().splitlines()]
    screened = [s for s in skips if s["kind"] == "prescreen"]
    assert screened and all("naswot" in s["reason"] for s in screened)
    assert len(res.completed) == 3
    for t in res.trials:            # trained, and the proxy kept beside the trained metrics
        assert t["epochs_run"] == 1 and "naswot" in t["metrics"]


def test_prescreen_setting_is_checked():
    import archspace
    from archspace.errors import ArchError
    from archspace.search.settings import resolve
    from search_helpers import space_file

    space = archspace.parse_file(space_file("small"))
    with pytest.raises(ArchError, match="PROXY:FRACTION"):
        resolve(space, prescreen="naswat:0.5")
    with pytest.raises(ArchError, match="PROXY:FRACTION"):
        resolve(space, prescreen="naswot:2")
    assert resolve(space, prescreen="synflow:0.25").prescreen_rule == ("synflow", 0.25)


def test_prescreen_window_survives_a_resume(run_search, tmp_path):
    """A search stopped after 3 trials and resumed to 6 ranks its proposals against the same
    window of latest proxy scores as one run straight to 6: same trials, same screened."""
    kw = dict(strategy="random", prescreen="naswot:0.5", seed=3,
              objectives=["maximize naswot", "minimize params"])
    straight = run_search("small", trials=6, out=tmp_path / "straight", **kw)
    run_search("small", trials=3, out=tmp_path / "resumed", **kw)
    saved = json.loads((tmp_path / "resumed" / "prescreen.json").read_text())
    assert saved["proxy"] == "naswot" and 1 <= len(saved["window"]) <= 10
    resumed = run_search("small", trials=6, out=tmp_path / "resumed", **kw)

    def screened(name):
        return [(s["hash"], s["reason"]) for s in map(
            json.loads, (tmp_path / name / "skipped.jsonl").read_text().splitlines())
            if s["kind"] == "prescreen"]

    assert [t["hash"] for t in resumed.trials] == [t["hash"] for t in straight.trials]
    assert screened("resumed") == screened("straight")
