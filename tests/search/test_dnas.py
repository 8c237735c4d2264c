"""dnas: the supernet domain (static) and the differentiable search end to end on digits."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import archspace
from archspace.errors import ArchError
from archspace.search.dnas.supernet import relaxation, supernet

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SPACES = Path(__file__).resolve().parents[2] / "spaces"
UNITS = [f"unit{k}/g" for k in range(1, 11)]
PAPER_H = (4, 1, 1, 2, 2, 3, 2, 4, 4, 6)

# a kernel size (same shape: relaxed), an optional block (a choice with identity: relaxed),
# a width (shape changes: fixed) and a repeat count (fixed)
TINY = """space tiny
input image: 12x12x3
output classes: 10
network {
  conv(8, 3x3, stride=2) as stem
  bn relu
  conv(8, choice(1, 3, 5)) as mid
  relu
  optional conv(8, 3x3, relu) as extra
  repeat 1..2 { conv(choice(8, 16), 1x1) }
  global_avg_pool
  dense(classes, softmax)
}
train {
  optimizer = adam
  learning_rate = 0.01
}
"""


def test_grunas_supernet_counts_are_exact():
    s = archspace.parse_file(SPACES / "grunas_shufflenet.arch")
    sg = supernet(s)
    assert list(sg.candidates) == UNITS and not sg.refused
    onehot = {p: [float(v == h) for v in sg.candidates[p]] for p, h in zip(UNITS, PAPER_H)}
    assert sg.expected_params(onehot) == 162_430
    cfg = sg.derive(s, {p: sg.candidates[p].index(h) for p, h in zip(UNITS, PAPER_H)})
    assert archspace.build_graph(s, cfg).trainable == 162_430
    # the seed's P(H): the grouped convs only (what the group counts change)
    gconvs = sum(n.trainable for n in archspace.build_graph(s, cfg).nodes if n.op == "gconv")
    assert sg.expected_params(onehot, searched_only=True) == gconvs


def test_what_dnas_relaxes():
    relaxed, why = relaxation(archspace.parse(TINY))
    assert relaxed == {"mid/kernel": (1, 3, 5), "extra": (False, True)}
    assert "repeat" in why["repeat"]
    assert "different output shapes" in why["repeat[0]/conv/filters"]


def test_cell_space_ops_are_relaxed():
    relaxed, why = relaxation(archspace.parse_file(SPACES / "cell_space.arch"))
    ops = [p for p in relaxed if p.endswith("/op")]
    assert ops and all(relaxed[p] == ("conv3", "conv5", "conv7", "maxpool3", "sepconv7")
                       for p in ops)
    assert "different output shapes" in why["cell1/reduction"]


def test_nothing_to_relax_is_refused_with_the_reason(tmp_path):
    s = archspace.parse("space flat\ninput x: 8x8x3\noutput y: 10\nnetwork {\n"
                        "  conv(choice(4, 8), 3x3)\n  global_avg_pool\n  dense(y, softmax)\n}\n")
    with pytest.raises(ArchError, match="nothing to relax") as e:
        archspace.search(s, "digits", strategy="dnas", trials=1, epochs=1, fraction=0.05,
                         out=tmp_path / "run", tensorboard=False, verbose=False)
    assert "different output shapes" in e.value.hint


def _derive(beta: float, data) -> int:
    from archspace.search.dnas.options import dnas_options
    from archspace.search.dnas.train import search_supernet

    s = archspace.parse(TINY)
    sg = supernet(s)
    out = search_supernet(s, sg, data, dnas_options({"beta": beta, "theta_lr": 0.1}),
                          epochs=2, batch_size=16, seed=3, out=Path(data.notes_dir))
    return archspace.build_graph(s, sg.derive(s, out["choice"])).trainable


@pytest.mark.slow
def test_a_stronger_size_penalty_derives_no_more_params(tmp_path):
    from archspace.search import load_data

    data = load_data("digits", archspace.parse(TINY), fraction=0.2, seed=0)
    data.notes_dir = str(tmp_path)
    weak, strong = _derive(0.0, data), _derive(8.0, data)
    assert strong <= weak
    smallest = min(archspace.build_graph(archspace.parse(TINY), {"mid/kernel": k, "extra": e})
                   .trainable for k in (1, 3, 5) for e in (False, True))
    assert strong == smallest


@pytest.mark.slow
def test_dnas_end_to_end_on_digits(tmp_path):
    s = archspace.parse(TINY)
    run = tmp_path / "run"
    result = archspace.search(s, "digits", strategy="dnas", epochs=2, fraction=0.1,
                              batch_size=16, out=run, tensorboard=False, verbose=False)
    history = json.loads((run / "dnas" / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[1]["temperature"] == pytest.approx(5.0 * 2.718281828 ** -0.645)
    assert set(history[0]["probs"]) == {"mid/kernel", "extra"}
    assert abs(sum(history[0]["probs"]["mid/kernel"].values()) - 1) < 1e-5
    derived = json.loads((run / "dnas" / "derived.json").read_text())
    assert [r["config"] for r in result.completed] == [derived["config"]]
    best = json.loads((run / "best" / "config.json").read_text())
    assert best["config"] == derived["config"]
    assert archspace.build_graph(s, best["config"]).trainable == derived["params"]
    assert (run / "dnas" / "history.csv").exists() and (run / "dnas" / "dnas.png").exists()
    assert "Differentiable search" in (run / "report.html").read_text()


def test_supernet_in_keras_has_the_static_count():
    """Every candidate's layers are built once; theta is not a model weight."""
    import numpy as np

    from archspace.search.dnas.train import ArchState, build_supernet_model

    s = archspace.parse(TINY)
    sg = supernet(s)
    state = ArchState(sg.candidates, 5.0)
    model = build_supernet_model(sg, state)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == sg.graph.trainable
    assert [n.args["paths"] for n in sg.graph.nodes if n.kind == "mix"] == \
        [["mid/kernel"], ["extra"]]
    state.sample_noise()
    out = model(np.zeros((2, 12, 12, 3), "float32"), training=False)
    assert np.allclose(np.sum(out, axis=-1), 1.0, atol=1e-5)
    assert all(abs(float(np.sum(state.weights(p))) - 1) < 1e-5 for p in sg.candidates)


def test_options_from_the_command_line_and_refused_early(tmp_path):
    from archspace.cli.search_cmd import _dnas_args

    assert _dnas_args("sample", ["beta=2", "anneal=0.956", "warmup=20"]) == \
        {"strategy_args": {"beta": 2, "anneal": 0.956, "warmup": 20, "fixed": "sample"}}
    # the CLI's number syntax (cli/numbers.py), negatives, and words as they are
    assert _dnas_args(None, ["target=150k", "x=-0.5", "mode=soft", "lr=3e-4"]) == \
        {"strategy_args": {"target": 150_000, "x": -0.5, "mode": "soft", "lr": 3e-4}}
    with pytest.raises(ArchError, match="no option 'betta'") as e:
        archspace.search(archspace.parse(TINY), "digits", strategy="dnas", epochs=1,
                         strategy_args={"betta": 2}, out=tmp_path / "run", verbose=False)
    assert "beta" in e.value.hint
    assert not (tmp_path / "run").exists()      # refused before any data or run directory


def test_fixed_sample_keeps_the_relaxed_set():
    s = archspace.parse(TINY)
    sampled = supernet(s, archspace.sample_config(s, 5))
    assert set(sampled.candidates) == {"mid/kernel", "extra"}
    assert sampled.fixed["repeat"] == archspace.sample_config(s, 5)["repeat"]


def test_cli_banner_says_supernet_then_one_trial(tmp_path, capsys):
    from archspace.cli import main

    f = tmp_path / "tiny.arch"
    f.write_text(TINY)
    code = main(["search", str(f), "--strategy", "dnas", "--epochs", "1", "--fraction", "0.1",
                 "--batch-size", "16", "--dnas", "search_epochs=2", "--trials", "50",
                 "--out", str(tmp_path / "run"), "--no-tensorboard"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "supernet 2 epochs, then the derived architecture trained 1 epoch" in out
    assert not re.search(r"^\s+(trials|population)\s", out, re.M)   # no trial budget line
    assert json.loads((tmp_path / "run" / "dnas" / "history.json").read_text())[-1]["epoch"] == 2


def test_dnas_beta_in_the_space_file_is_dnas_own():
    """`strategy = dnas(beta=2)`: dnas' size penalty, not Bayesian optimisation's beta; a
    Bayesian strategy's beta stays the Bayesian setting."""
    from archspace.search.settings import resolve

    dn = resolve(archspace.parse(TINY + "search { strategy = dnas(beta=2, temperature=3) }"))
    assert dn.strategy_args == {"beta": 2, "temperature": 3}
    assert dn.beta == resolve(archspace.parse(TINY)).beta          # untouched
    bo = resolve(archspace.parse(TINY + "search { strategy = bayesian(beta=1.5) }"))
    assert bo.beta == 1.5 and not bo.strategy_args
