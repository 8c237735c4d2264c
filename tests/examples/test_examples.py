"""Every example in examples/ runs end to end in its quick mode (so none can rot): a subprocess
per script, `--quick --out TMP`, with a timeout; each must exit 0, say it is done and leave its
run directories (leaderboard, best model) under TMP. About 3 minutes on 2 cores in all.

The docstring contract is checked too: a title line, how to run at the paper's scale on the
real data, and what the paper reported."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
#: the paper experiments (issue 5) and the runs each leaves under --out
EXPECTED_RUNS = {
    "cifar10_squeezenet_search": ["squeezenet_auto_random", "squeezenet_se_auto_random",
                                  "squeezenet_se_auto_hyperband", "squeezenet_se_auto_bayesian"],
    "facial_expression_search": ["mlp_auto_random", "squeezenet_se_auto_random",
                                 "squeezenet_se1_auto_random", "squeezenet_sem_auto_random"],
    "unet_auto_segmentation": ["unet_auto_random"],
    "mobilenetv2_ssd_detection": ["ssd_random"],
    "grunas_group_search": ["grunas_dnas"],
    "cell_space_nsga2": ["cell_space_nsga2"],
}
TIMEOUT = 420   # seconds per script: generous for a loaded 2-core machine


def test_every_paper_experiment_has_an_example():
    assert set(EXPECTED_RUNS) <= {p.stem for p in SCRIPTS}


@pytest.mark.parametrize("script", [p for p in SCRIPTS if p.stem in EXPECTED_RUNS],
                         ids=lambda p: p.stem)
def test_docstring(script):
    doc = ast.get_docstring(ast.parse(script.read_text()))
    assert doc, f"{script.name} has no module docstring"
    title, _, rest = doc.partition("\n")
    assert title.strip() and not title.endswith("."), "the first line is a title"
    assert "seed 00" in doc, "cite the source paper (seed 000 / 003 / 004)"
    assert "Paper scale" in rest and "python examples/" in rest, "say how to run it in full"
    assert "reported" in rest, "say what the paper reported"
    assert "--quick" in rest


def run(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ARCHSPACE_EXAMPLES_QUICK="1", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONUNBUFFERED="1", MPLBACKEND="Agg", KERAS_HOME=str(tmp / "keras_home"))
    try:
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, text=True,
                              capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{args[0]} took more than {TIMEOUT} s in quick mode:\n"
                    f"{(e.stdout or '')[-3000:]}")


@pytest.mark.slow  # each example is a subprocess that trains (minutes on 2 cores)
@pytest.mark.parametrize("script", [p for p in SCRIPTS if p.stem in EXPECTED_RUNS],
                         ids=lambda p: p.stem)
def test_quick_run(script, tmp_path):
    out = tmp_path / "runs"
    r = run([str(script), "--quick", "--out", str(out)], tmp_path)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-6000:]
    assert "done in" in r.stdout, log[-3000:]
    assert "paper" in r.stdout          # the reported numbers are printed next to ours
    for name in EXPECTED_RUNS[script.stem]:
        run_dir = out / name
        assert (run_dir / "leaderboard.csv").exists(), f"no run in {run_dir}:\n{log[-3000:]}"
        board = json.loads((run_dir / "leaderboard.json").read_text())
        done = [t for t in board if t["status"] == "completed"]
        assert done, f"{name}: no trial completed:\n{log[-3000:]}"
        assert (run_dir / "best" / "model.keras").exists()


@pytest.mark.slow  # a subprocess running MediaPipe over the sample faces
def test_faces_features_example(tmp_path):
    """The features example (issue 6) that the facial-expression example builds on."""
    script = EXAMPLES / "faces_features.py"
    r = run([str(script), str(tmp_path / "faces")], tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
    assert (tmp_path / "faces" / "feats.npz").exists()


def test_examples_are_small_by_default():
    """The default (no flag) scale stays small: no example asks for the paper's 100 x 100."""
    for script in SCRIPTS:
        text = script.read_text()
        if "C.Scale(" in text:
            for line in text.splitlines():
                if "small=C.Scale(" in line:
                    trials = int(line.split("trials=")[1].split(",")[0])
                    epochs = int(line.split("epochs=")[1].split(",")[0])
                    assert trials * epochs <= 40, (script.name, line)
