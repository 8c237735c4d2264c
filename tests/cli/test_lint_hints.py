"""Shape failures found by lint: the counterexample is the default configuration when the
default already fails there, and the hint offers a fix that applies to the statement that
fails (`merge ... project` or `merge concat` for a merge, `skip project` only for a skip)."""

from __future__ import annotations

import json

from archspace.cli import main

HEAD = "input image: 32x32x3\noutput classes: 10\nnetwork {\n  conv(16, 3x3) as stem\n"
TAIL = "  global_avg_pool\n  dense(classes, softmax)\n}\n"


def lint_json(tmp_path, body: str, capsys) -> list[dict]:
    (tmp_path / "s.arch").write_text(HEAD + body + TAIL)
    assert main(["lint", str(tmp_path / "s.arch"), "--format", "json"]) == 1
    return json.loads(capsys.readouterr().out)["findings"]


def test_a_failing_default_is_the_counterexample(tmp_path, capsys):
    # filters 32 and 64 both break the add; 64 is the default, so 64 is what lint shows
    (f,) = lint_json(tmp_path, "  conv(choice(16, 32, 64) default 64, 3x3)\n"
                               "  merge add with stem\n", capsys)
    assert f["code"] == "AS101" and f["line"] == 6
    assert f["data"]["counterexample"] == {"conv/filters": 64}
    assert "the default configuration" in f["message"] and "32x32x64" in f["message"]
    assert f["data"]["shapes"] == ["32x32x64", "32x32x16"]


def test_a_non_default_counterexample_when_the_default_builds(tmp_path, capsys):
    (f,) = lint_json(tmp_path, "  conv(choice(16, 32) default 16, 3x3)\n"
                               "  merge add with stem\n", capsys)
    assert f["data"]["counterexample"] == {"conv/filters": 32}


def test_a_merge_gets_a_merge_fix(tmp_path, capsys):
    (f,) = lint_json(tmp_path, "  conv(choice(16, 32) default 32, 3x3)\n"
                               "  merge add with stem\n", capsys)
    assert "skip project" not in f["hint"]
    assert "`merge add with stem project`" in f["hint"]
    assert "`merge concat with stem`" in f["hint"]


def test_a_merge_of_other_sizes_is_not_offered_concat(tmp_path, capsys):
    (f,) = lint_json(tmp_path, "  conv(16, 3x3, stride=choice(1, 3) default 3)\n"
                               "  merge add with stem\n", capsys)
    # 11x11 cannot be concatenated with 32x32, and no integer stride maps 32 onto 11
    assert "concat" not in (f.get("hint") or "") and "skip project" not in (f.get("hint") or "")


def test_a_skip_gets_a_skip_fix_with_its_name(tmp_path, capsys):
    (f,) = lint_json(tmp_path, "  skip bypass { conv(choice(16, 32) default 32, 3x3) }\n",
                     capsys)
    assert "`skip bypass project { ... }`" in f["hint"]
    assert "`skip bypass merge concat { ... }`" in f["hint"]


def test_kernel_sizes_written_as_shapes_in_a_choice(tmp_path, capsys):
    """docs/language.md: `choice()` values are single values; `choice(3x3, 5x5)` says to write
    `choice(3, 5)`, at the value, with file:line:col and a caret."""
    p = tmp_path / "k.arch"
    p.write_text(HEAD + "  conv(16, choice(3x3, 5x5))\n" + TAIL)
    for cmd in ("show", "lint"):
        assert main([cmd, str(p)]) == (2 if cmd == "show" else 1)
        captured = capsys.readouterr()
        text = captured.err + captured.out
        assert f"{p}:5:19:" in text and "choice() values must be single values" in text
        assert "\n      |                   ^^^\n" in text
        assert "hint: a kernel size is one number for a square kernel: write choice(3, 5)" \
            in text
