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


def test_user_text_is_printed_as_written(tmp_path):
    # rich would turn ':skull:' into an emoji and '[red]' into colour, or fail on '[/x]'
    (tmp_path / "e.arch").write_text('space e ":skull: [/x] [red]r"\ninput image: 8x8x1\n')
    res = cli("show", "e.arch", cwd=tmp_path)
    assert res.rc == 0, res.text
    assert res.out.splitlines()[0] == "e - :skull: [/x] [red]r"


def _failing_load(exc):
    def load(*a, **k):
        raise exc
    return load


def test_recursion_and_memory_errors_end_in_one_line(monkeypatch, capsys):
    from archspace.cli import main, show

    for exc, words in ((RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
                       (MemoryError(), "out of memory")):
        monkeypatch.setattr(show, "load", _failing_load(exc))
        assert main(["show", "x.arch"]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_unexpected_error_prints_one_bounded_line(monkeypatch, capsys):
    from archspace.cli import main, show

    monkeypatch.setattr(show, "load", _failing_load(RuntimeError("\x1b[2J" + "x" * 5000 +
                                                                 "\nmore\n" * 1000)))
    assert main(["show", "x.arch"]) == 4         # an internal error (docs/language.md)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and len(lines[0]) < 400 and "\x1b" not in err


def test_lint_formats_show_control_characters_escaped(tmp_path):
    (tmp_path / "d.arch").write_text(
        H + 'param p = choice("a", "b") default "\x1b]0;title\x07\x1b[2Jc"\n'
        "network {\n  conv(4, 3x3)\n  global_avg_pool\n  dense(classes)\n}\n")
    for fmt in ("text", "github", "json", "sarif"):
        res = cli("lint", "d.arch", "--format", fmt, cwd=tmp_path)
        assert res.rc == 1 and "AS104" in res.out, res.text
        assert "\x1b" not in res.text and "\x07" not in res.text, (fmt, res.out)
