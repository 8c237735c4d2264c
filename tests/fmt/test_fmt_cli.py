"""`archspace fmt`: rewriting files and folders, --check, --diff, stdin, the exit codes; and
the shipped spaces are formatted (what CI runs: `archspace fmt --check spaces/`)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archspace.cli import console, main

ROOT = Path(__file__).resolve().parents[2]
UGLY = "network {\nconv( 8,3x3 )   # c\n}\n"
PRETTY = "network {\n  conv(8, 3x3)  # c\n}\n"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(console.out, "width", 240)
    monkeypatch.setattr(console.err, "width", 240)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.arch").write_text(UGLY)
    (tmp_path / "sub" / "b.arch").write_text(PRETTY)
    (tmp_path / "sub" / "notes.txt").write_text("not a space {")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "hidden.arch").write_text(UGLY)
    return tmp_path


def test_rewrites_files_under_a_folder(tree: Path, capsys):
    os.chmod(tree / "a.arch", 0o640)
    assert main(["fmt", str(tree)]) == 0
    assert (tree / "a.arch").read_text() == PRETTY
    assert (tree / "sub" / "b.arch").read_text() == PRETTY
    assert (tree / ".venv" / "hidden.arch").read_text() == UGLY  # hidden folders are skipped
    assert (tree / "a.arch").stat().st_mode & 0o777 == 0o640
    err = capsys.readouterr().err
    assert "reformatted" in err and "1 file reformatted, 1 unchanged" in err
    assert main(["fmt", "--check", str(tree)]) == 0


def test_check_writes_nothing_and_exits_1(tree: Path, capsys):
    assert main(["fmt", "--check", str(tree / "a.arch"), str(tree / "sub" / "b.arch")]) == 1
    assert (tree / "a.arch").read_text() == UGLY
    assert "would reformat" in capsys.readouterr().err


def test_diff_prints_a_unified_diff(tree: Path, capsys):
    assert main(["fmt", "--diff", str(tree / "a.arch")]) == 0
    out = capsys.readouterr().out
    assert "-conv( 8,3x3 )   # c" in out and "+  conv(8, 3x3)  # c" in out and "@@" in out
    assert (tree / "a.arch").read_text() == UGLY
    assert main(["fmt", "--diff", "--check", str(tree / "a.arch")]) == 1


def test_syntax_error_exits_2_and_formats_the_rest(tree: Path, capsys):
    (tree / "bad.arch").write_text("network {\n  conv(8,\n}\n")
    assert main(["fmt", str(tree)]) == 2
    err = capsys.readouterr().err
    assert "bad.arch:3:1" in err and "syntax error" in err
    assert (tree / "a.arch").read_text() == PRETTY


def test_missing_file_and_no_file(tmp_path: Path, capsys):
    assert main(["fmt", str(tmp_path / "nope.arch")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["fmt"]) == 2


def test_crlf_and_bom_count_as_changes(tmp_path: Path):
    p = tmp_path / "w.arch"
    p.write_bytes(b"\xef\xbb\xbf" + PRETTY.encode())
    assert main(["fmt", "--check", str(p)]) == 1
    p.write_bytes(PRETTY.replace("\n", "\r\n").encode())
    assert main(["fmt", str(p)]) == 0
    assert p.read_bytes() == PRETTY.encode()


def test_markdown_page(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text(f"Text.\n\n```arch\n{UGLY}```\n\n```arch-fragment\nconv( 1 )\n```\n")
    assert main(["fmt", str(page)]) == 0
    assert page.read_text() == f"Text.\n\n```arch\n{PRETTY}```\n\n```arch-fragment\nconv( 1 )\n```\n"


def test_a_refused_file_exits_3_and_stays(tmp_path: Path, monkeypatch, capsys):
    import archspace.fmt.api as fmt_api

    real = fmt_api.layout
    monkeypatch.setattr(fmt_api, "layout", lambda seq, starts: real(seq, starts) + "relu\n")
    p = tmp_path / "a.arch"
    p.write_text(UGLY)
    assert main(["fmt", str(p)]) == 4                # EXIT_INTERNAL
    assert p.read_text() == UGLY
    assert "internal error" in capsys.readouterr().err


def _run(*args: str, stdin: str) -> subprocess.CompletedProcess:
    code = "import sys; from archspace.cli import main; sys.exit(main())"
    env = dict(os.environ, COLUMNS="240", NO_COLOR="1", TERM="dumb")
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_stdin_to_stdout():
    r = _run("fmt", "-", stdin=UGLY)
    assert r.returncode == 0 and r.stdout == PRETTY
    r = _run("fmt", "--check", "-", stdin=UGLY)
    assert r.returncode == 1 and r.stdout == ""
    r = _run("fmt", "-", stdin="network {")
    assert r.returncode == 2 and "<stdin>:1" in r.stderr and r.stdout == ""


def test_stdin_in_process(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PRETTY.encode())))
    assert main(["fmt", "--check", "-"]) == 0
    assert main(["fmt", "-", "x.arch"]) == 2


def test_shipped_spaces_are_formatted(capsys, monkeypatch):
    """What CI checks: every file of spaces/ is in the canonical layout."""
    monkeypatch.chdir(ROOT)
    rc = main(["fmt", "--check", "spaces/"])
    assert rc == 0, capsys.readouterr().err


def test_unwritable_file_is_reported_and_the_rest_formatted(tree: Path, capsys, monkeypatch):
    import archspace.cli.fmt_cmd as fmt_cmd

    (tree / "sub" / "b.arch").write_text(UGLY)
    real_replace = os.replace

    def replace(src, dst):  # the folder of b.arch refuses writes (as a read-only one does)
        if Path(dst).name == "b.arch":
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(fmt_cmd.os, "replace", replace)
    assert main(["fmt", str(tree)]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "b.arch: Permission denied" in err
    assert "1 file reformatted, 0 unchanged, 1 not formatted" in err
    assert (tree / "a.arch").read_text() == PRETTY
    assert (tree / "sub" / "b.arch").read_text() == UGLY
    assert [p.name for p in (tree / "sub").iterdir() if p.name.endswith(".tmp")] == []
