"""A command that needs an optional extra says which one (exit code 3) before it reads data or
writes anything, on an install without it. The missing package is simulated for real: the
command runs in a fresh interpreter in which importing that module fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from archspace.cli.app import EXIT_MISSING_EXTRA
from archspace.cli.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[2]
SPACE = ROOT / "spaces" / "squeezenet.arch"


def run_without(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`archspace ARGS` in an interpreter where `import MODULE` raises ImportError (what
    Python does for a name set to None in sys.modules)."""
    code = (f"import sys; sys.modules[{module!r}] = None; "
            "from archspace.cli import main; sys.exit(main())")
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1", TERM="dumb",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("module, extra, args", [
    ("keras", "keras", ["compile", str(SPACE), "--default", "-o", "m.keras"]),
    ("keras", "search", ["search", str(SPACE), "--data", "data.npz", "--trials", "1"]),
    ("keras_tuner", "search", ["search", str(SPACE), "--data", "data.npz", "-o", "run"]),
    ("pymoo", "search", ["search", str(SPACE), "--data", "data.npz", "--strategy", "nsga2"]),
    ("keras", "search", ["train", str(SPACE), "--data", "data.npz", "-o", "m.keras"]),
    ("mediapipe", "features", ["features", "faces", "photos", "-o", "feats.npz"]),
])
def test_a_missing_extra_is_named_before_anything_is_written(tmp_path, module, extra, args):
    np.savez(tmp_path / "data.npz", x=np.zeros((4, 8, 8, 3), "float32"), y=np.arange(4) % 2)
    (tmp_path / "photos").mkdir()
    before = _tree(tmp_path)
    res = run_without(module, *args, cwd=tmp_path)
    assert res.returncode == EXIT_MISSING_EXTRA, res.stderr
    assert f'pip install "archspace[{extra}]"' in res.stderr
    assert f"needs the '{extra}' extra" in res.stderr and "Traceback" not in res.stderr
    assert _tree(tmp_path) == before          # no run folder, no empty CSV, no model file


def test_the_core_commands_need_no_extra(tmp_path):
    """parse, lint, show and `compile --emit ir/python` work on the light core."""
    for args in (["lint", str(SPACE)], ["show", str(SPACE)],
                 ["compile", str(SPACE), "--emit", "ir", "-o", "ir.json"],
                 ["compile", str(SPACE), "--emit", "python", "-o", "m.py"]):
        res = run_without("keras", *args, cwd=tmp_path)
        assert res.returncode == 0, (args, res.stderr)
    assert (tmp_path / "ir.json").exists() and (tmp_path / "m.py").exists()


def test_an_import_error_met_later_is_named_too(monkeypatch, capsys):
    """A module of an extra that fails deep inside a command (a strategy's own import, say)
    still gets the install hint, not a traceback."""
    import importlib

    from archspace.cli import main, show

    cli_app = importlib.import_module("archspace.cli.app")

    def load(*a, **k):
        raise ModuleNotFoundError("No module named 'pymoo'", name="pymoo")

    monkeypatch.setattr(show, "load", load)
    assert main(["show", "x.arch"]) == EXIT_MISSING_EXTRA
    err = capsys.readouterr().err
    assert 'pip install "archspace[search]"' in err and "Traceback" not in err
    cli_app.state["debug"] = False


def test_every_extra_is_declared_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    for extra in EXTRAS:
        assert f"\n{extra} = [" in text
