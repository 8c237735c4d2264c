"""The command line over the language: help, `show`, `compile --emit ir`, the error boundary
(exit codes, rendered errors, --debug), and the promise that parsing never loads TensorFlow."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import archspace
from archspace.cli import console, main
from archspace.ir import Space

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"


def shipped_spaces() -> list[Path]:
    """Every shipped template (spaces/*.arch; spaces/lib/ holds block libraries)."""
    return sorted(SPACES.glob("*.arch"))


def shipped_files() -> list[Path]:
    """Every shipped .arch file, templates and libraries."""
    return shipped_spaces() + sorted((SPACES / "lib").glob("*.arch"))


cli_app = importlib.import_module("archspace.cli.app")  # the module (the package exports `app`)
BAD = "input image: 8x8x3\nnetwork {\n  conv(8, 3x3)\n  conv2(8, 3x3)\n}\n"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables wide enough that no path is folded across lines."""
    monkeypatch.setattr(console.out, "width", 240)
    monkeypatch.setattr(console.err, "width", 240)
    monkeypatch.chdir(ROOT)
    yield
    cli_app.state["debug"] = False


@pytest.fixture
def bad_file(tmp_path) -> Path:
    p = tmp_path / "bad.arch"
    p.write_text(BAD)
    return p


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The installed console script (or the same entry point through the interpreter)."""
    exe = shutil.which("archspace", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-c",
                             "import sys; from archspace.cli import main; sys.exit(main())"]
    env = dict(os.environ, COLUMNS="240", NO_COLOR="1", TERM="dumb")
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


# -- help and show -------------------------------------------------------------------------------
def test_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage" in out and "show" in out and "compile" in out


def test_no_arguments_prints_help(capsys):
    assert main([]) in (0, 2)
    captured = capsys.readouterr()
    assert "Usage" in captured.out + captured.err


def test_show_lists_inputs_and_decisions(capsys):
    assert main(["show", "spaces/squeezenet.arch"]) == 0
    out = capsys.readouterr().out
    assert "squeezenet - SqueezeNet 1.0 / 1.1 baselines" in out
    assert "inputs" in out and "image" in out and "224x224x3" in out
    assert "decisions (1)" in out
    row = next(ln for ln in out.splitlines() if "version" in ln and "v1_0 | v1_1" in ln)
    assert "choice" in row and "always" in row


def test_show_conditions(capsys):
    space = archspace.parse_file(SPACES / "squeezenet_se_auto.arch")
    dl = archspace.decisions(space)
    assert main(["show", "spaces/squeezenet_se_auto.arch"]) == 0
    out = capsys.readouterr().out
    assert f"decisions ({len(dl)})" in out
    ratio = dl.get("group1[1]/ratio")
    row = next(ln for ln in out.splitlines() if "group1[1]/ratio " in ln)
    assert ratio.when_str() in row and "8 | 16 | 32" in row


def test_show_json(capsys):
    assert main(["show", "spaces/squeezenet_se_auto.arch", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    space = archspace.parse_file(SPACES / "squeezenet_se_auto.arch")
    assert data["space"] == "squeezenet_se_auto" and data["task"] == "classification"
    assert data["inputs"] == {"image": [32, 32, 3]}
    assert [d["path"] for d in data["decisions"]] == [d.path for d in archspace.decisions(space)]
    first = data["decisions"][0]
    assert first["when"] == "always" and first["kind"] == "int" and first["default"] == 2


def test_show_input_override(capsys):
    assert main(["show", "spaces/squeezenet.arch", "--json", "--input", "64x64x3"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"] == {"image": [64, 64, 3]}


# -- compile --emit ir ---------------------------------------------------------------------------
def test_compile_ir_to_stdout(capsys):
    assert main(["compile", "spaces/squeezenet_se_auto.arch", "--emit", "ir"]) == 0
    out = capsys.readouterr().out
    assert Space.from_json(out) == archspace.parse_file(SPACES / "squeezenet_se_auto.arch")


def test_compile_ir_to_file(tmp_path, capsys):
    target = tmp_path / "ir.json"
    assert main(["compile", "spaces/squeezenet.arch", "--emit", "ir", "-o", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().err.replace("\n", "")
    assert Space.from_json(target.read_text()) == archspace.parse_file(SPACES / "squeezenet.arch")


def test_compile_ir_dash_is_stdout(capsys):
    assert main(["compile", "spaces/squeezenet.arch", "--emit", "ir", "-o", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "squeezenet"


def test_compile_unknown_emit(capsys):
    assert main(["compile", "spaces/squeezenet.arch", "--emit", "onnx"]) == 2
    assert "--emit onnx" in capsys.readouterr().err


# -- the error boundary --------------------------------------------------------------------------
def test_bad_file_exit_2_with_rendered_error(bad_file, capsys):
    assert main(["show", str(bad_file)]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert captured.out == ""
    assert f"{bad_file}:4:3: name error: unknown op or block 'conv2'" in err
    assert "    4 |   conv2(8, 3x3)" in err
    assert "      |   ^^^^^" in err
    assert "hint: did you mean 'conv'?" in err
    assert "Traceback" not in err


def test_bad_file_with_debug_shows_the_traceback_and_keeps_exit_2(bad_file, capsys):
    assert main(["--debug", "show", str(bad_file)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "unknown op or block 'conv2'" in err


def test_missing_file(capsys):
    assert main(["show", "spaces/no_such_space.arch"]) == 2
    err = capsys.readouterr().err
    assert "import error: no such file: spaces/no_such_space.arch" in err
    assert "Traceback" not in err


def test_several_errors_all_shown(tmp_path, capsys):
    p = tmp_path / "two.arch"
    p.write_text("input x: 8x8x3\nnetwork {\n  conv2(8, 3x3)\n  merge foo with x\n}\n")
    assert main(["compile", str(p), "--emit", "ir"]) == 2
    err = capsys.readouterr().err
    assert ":3:3: name error:" in err and ":4:9: name error: unknown merge 'foo'" in err
    assert "2 errors" in err


def test_usage_error_exit_2(capsys):
    assert main(["show", "--no-such-option", "spaces/squeezenet.arch"]) == 2
    assert "no-such-option" in capsys.readouterr().err


# -- the console script, in a process of its own -------------------------------------------------
def test_console_script_bad_file(bad_file):
    r = run_cli("show", str(bad_file))
    assert r.returncode == 2
    assert f"{bad_file}:4:3: name error: unknown op or block 'conv2'" in r.stderr
    assert "^^^^^" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--debug", "show", str(bad_file))
    assert r.returncode != 0
    assert "Traceback" in r.stderr and "ArchNameError" in r.stderr


def test_console_script_missing_file():
    r = run_cli("compile", "nowhere/none.arch", "--emit", "ir")
    assert r.returncode == 2
    assert "no such file: nowhere/none.arch" in r.stderr and "Traceback" not in r.stderr


def test_console_script_show_and_ir():
    r = run_cli("show", "spaces/squeezenet.arch")
    assert r.returncode == 0, r.stderr
    assert "decisions (1)" in r.stdout
    r = run_cli("compile", "spaces/squeezenet.arch", "--emit", "ir")
    assert r.returncode == 0, r.stderr
    assert Space.from_json(r.stdout) == archspace.parse_file(SPACES / "squeezenet.arch")


def test_show_does_not_import_tensorflow():
    code = ("import sys\n"
            "from archspace.cli import main\n"
            "rc = main(['show', 'spaces/squeezenet_se_auto.arch'])\n"
            "rc2 = main(['compile', 'spaces/squeezenet_se_auto.arch', '--emit', 'ir', '-o', "
            "sys.argv[1]])\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'keras_tuner', 'pymoo', 'mediapipe'))\n"
            "print('HEAVY', heavy)\n"
            "sys.exit(rc or rc2)\n")
    out = ROOT / ".pytest_ir.json"
    try:
        r = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True,
                           text=True, cwd=ROOT, timeout=120,
                           env=dict(os.environ, COLUMNS="240"))
    finally:
        out.unlink(missing_ok=True)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout


# -- every shipped space ---------------------------------------------------------------------------
def test_parse_and_decisions_of_every_space():
    """Each shipped space parses and lists its decisions (its speed is not asserted: a time
    limit fails on a loaded machine; speed belongs in bench/)."""
    paths = shipped_spaces()
    assert paths
    for p in paths:
        assert archspace.decisions(archspace.parse_file(p)) is not None, p.name
