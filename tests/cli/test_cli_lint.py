"""The command line's numbers, --strict, --debug exit codes and help texts (issue: rough edges
a new user hits)."""

from __future__ import annotations

import pytest

from archspace.cli import console, main
from archspace.cli.numbers import parse_number

SPACE = "spaces/squeezenet_se_auto.arch"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    for c in (console.out, console.err):
        monkeypatch.setattr(c, "width", 200, raising=False)


@pytest.mark.parametrize("text, value", [("500000", 5e5), ("500k", 5e5), ("500K", 5e5),
                                         ("2M", 2e6), ("1.5G", 1.5e9), ("2e6", 2e6),
                                         ("1_000_000", 1e6), (" 3 ", 3.0)])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "k", "5q", "1e", "nan", "inf", "-3", "two"])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("value", ["500k", "5e5", "500_000", "0.5M"])
def test_lint_max_params_takes_suffixes(value, capsys):
    # the default configuration (729,034 parameters) breaks 500k: an error, exit 1
    assert main(["lint", "--max-params", value, SPACE]) == 1
    assert "AS110 the default configuration breaks params <= 500,000" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--max-params", "--max-bytes", "--max-macs",
                                    "--max-space", "--cap"])
def test_lint_bad_number_is_one_line_and_exit_2(option, capsys):
    assert main(["lint", option, "5q", SPACE]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {option} '5q'")


def test_lint_cap_takes_suffixes_and_needs_a_whole_number(capsys):
    assert main(["lint", "--cap", "4k", SPACE]) == 0
    assert main(["lint", "--cap", "2.5", SPACE]) == 2
    assert "whole number" in capsys.readouterr().err


def test_search_bad_number_exit_2_before_anything(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["search", SPACE, "--max-params", "5q", "--out", str(out)]) == 2
    assert "error: --max-params '5q'" in capsys.readouterr().err and not out.exists()
    assert main(["search", SPACE, "--max-memory-growth", "lots", "--out", str(out)]) == 2


def test_lint_strict(capsys):
    assert main(["lint", "--max-params", "1M", SPACE]) == 0
    assert "warning: AS110 some configurations" in capsys.readouterr().out
    assert main(["lint", "--strict", "--max-params", "1M", SPACE]) == 1
    assert "error: AS110 some configurations" in capsys.readouterr().out


def test_lint_rules_whole_sentences(capsys):
    assert main(["lint", "--rules"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "a tap that is not there), with a counterexample." in out
    assert "(warning; an error with --strict)." in out


def test_debug_keeps_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "bad.arch"
    bad.write_text("network {\n  conv(\n", encoding="utf-8")
    assert main(["show", str(bad)]) == 2
    capsys.readouterr()
    assert main(["--debug", "show", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "syntax error" in err
    assert main(["--debug", "show", str(tmp_path / "missing.arch")]) == 2


@pytest.mark.parametrize("args", [["--help"], ["lint", "--help"], ["show", "--help"]])
def test_help_has_examples_and_plain_flags(args, capsys):
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "{file}" not in out.lower()
    for line in out.splitlines():
        if "--debug" in line or "--strict" in line or "--json" in line:
            assert "<bool>" not in line, line
    if args != ["--help"]:
        assert f"{args[0]} [OPTIONS]" in out and "FILE" in out
