"""The CLI side of the hardening: --import-path on every command, compile --emit python of a
hostile space, one-line errors for API-level mistakes (issue 10.2, 10.3, 10.8)."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import cli

H = "space hostile\ninput image: 8x8x1\noutput classes: 2\n"


def project(tmp_path: Path) -> Path:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "blocks.arch").write_text("block unit(f) { conv(f, 1x1) }\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "main.arch").write_text('import "blocks.arch"\n' + H +
                                    "network {\n  unit(4)\n  global_avg_pool\n  dense(classes)\n}\n")
    return proj


def test_import_path_on_every_command(tmp_path):
    proj = project(tmp_path)
    for args in (["lint", "main.arch"], ["show", "main.arch"],
                 ["compile", "main.arch", "--emit", "ir", "-o", "ir.json"],
                 ["compile", "main.arch", "--emit", "python", "-o", "m.py"]):
        assert cli(*args, cwd=proj).rc in (1, 2)                        # not found without it
        res = cli(*args, "--import-path", "../shared", cwd=proj)
        assert res.rc == 0, res.text
        assert cli("--import-path=../shared", *args, cwd=proj).rc == 0   # before the command too


def test_import_path_must_be_a_folder(tmp_path):
    proj = project(tmp_path)
    res = cli("show", "main.arch", "--import-path", "nope", cwd=proj)
    assert res.rc == 2 and "import path nope is not a folder" in res.err.splitlines()[0]


def test_compile_python_of_a_hostile_space(tmp_path):
    q = '\\"\\"\\"'
    (tmp_path / "h.arch").write_text(
        H + "network {\n  conv(4, 3x3) as c1\n  global_avg_pool\n  softmax\n}\n"
        f'train {{ early_stop_monitor = choice("{q} and __import__(\\"os\\").system(\\"touch '
        f'PWNED\\") and {q}", val_loss) }}\n')
    res = cli("compile", "h.arch", "--emit", "python", "--default", "-o", "m.py", cwd=tmp_path)
    assert res.rc == 0, res.text
    tree = ast.parse((tmp_path / "m.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and "__import__" in ast.unparse(n.func)]
