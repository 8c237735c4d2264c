"""Hostile .arch files through the real CLI (`archspace lint` and `archspace show`), each in a
subprocess with a time and a memory limit (issue 10, points 3, 4, 8 and 9, and more).

Every case must end in exit 0/1 with correct output, or exit 2 with an error whose first line
names the place (`file:line:col: kind: message` where there is a place); never a traceback,
never exit 3, never a secret from the environment or from a file outside the project, never a
raw control character, never unbounded output. Small cases live in corpus/; large ones are
generated here.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from helpers import KILL_AFTER_S, SECRET, Result, cli

CORPUS = Path(__file__).resolve().parent / "corpus"
FILE_SECRET = "file-secret-" + "9c3e" * 6
H = "space hostile\ninput image: 8x8x1\noutput classes: 2\n"
NET = "network {\n  conv(4, 3x3, relu) as c1\n  global_avg_pool\n  dense(classes)\n}\n"
TAIL = "  global_avg_pool\n  dense(classes)\n}\n"


@dataclass
class Expect:
    kind: str                       # ok | error | any
    message: str | None = None      # in the error's first line
    at: tuple[int, int] | None = None
    line: int | None = None         # the error's line, when the column is not pinned
    args: tuple[str, ...] = ()      # more CLI arguments
    max_chars: int = 200_000        # output bound


OK, ANY = Expect("ok"), Expect("any")


def err(message: str | None = None, at=None, line=None, **kw) -> Expect:
    return Expect("error", message, at, line, **kw)


# -- the committed corpus ---------------------------------------------------------------------
CORPUS_EXPECT: dict[str, Expect] = {
    "bom.arch": OK,
    "crlf.arch": OK,
    "tabs.arch": OK,
    "empty.arch": OK,
    "only_comments.arch": OK,
    "unicode_text.arch": OK,
    "flat_sum_500.arch": OK,
    "escape_in_string.arch": OK,
    "bidi_override.arch": OK,
    "markup_in_string.arch": OK,
    "escape_in_source.arch": err("unexpected character '\\x1b'", at=(5, 16)),
    "form_feed_lines.arch": err("unknown op or block 'conv2'", at=(6, 3)),
    "nul_byte.arch": err("binary file", at=(1, 19)),
    "latin1.arch": err("not UTF-8", at=(1, 19)),
    "unicode_identifier.arch": err("unexpected character", at=(5, 21)),
    "huge_float.arch": err("too large", line=5),
    "huge_int.arch": err("too large", line=5),
    "huge_dims.arch": err("too large", line=1),
    "neg_chain.arch": err("nested too deeply", line=6),
    "name_chain.arch": err("expression too long", line=6),
    "parens_deep.arch": err("nested too deeply", at=(5, 71)),
    "recursive_block.arch": err("calls itself", line=4),
    "unclosed.arch": err(line=4),
    "import_proc_environ.arch": err("is not allowed", at=(1, 1)),
    "import_dev_zero.arch": err("is not allowed", at=(1, 1)),
    "import_etc_passwd.arch": err("leaves the allowed folders", at=(1, 1)),
    "import_home.arch": err("is not allowed", at=(1, 1)),
    "import_empty.arch": err("is not allowed", at=(1, 1)),
    "import_cycle_a.arch": err("import cycle", at=(2, 1)),
    "import_self.arch": err("import cycle: import_self.arch -> import_self.arch", at=(1, 1)),
}


# -- generated cases: (builder(project, outside) -> file name, expectation) -------------------
def nest(open_: str, close: str, depth: int, inner: str = "relu") -> str:
    return H + "network {\n" + open_ * depth + inner + close * depth + "\n" + TAIL


def write(p: Path, text: str | bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    return p


def main_importing(spec: str, name: str = "main.arch") -> Callable[[Path, Path], str]:
    def build(proj: Path, outside: Path) -> str:
        write(proj / name, f'import "{spec}"\n' + H + NET)
        return name
    return build


def text_case(text: str | bytes, name: str = "case.arch") -> Callable[[Path, Path], str]:
    def build(proj: Path, outside: Path) -> str:
        write(proj / name, text)
        return name
    return build


def with_setup(setup: Callable[[Path, Path], None], build: Callable[[Path, Path], str]):
    def both(proj: Path, outside: Path) -> str:
        setup(proj, outside)
        return build(proj, outside)
    return both


def fifo(path: Path) -> None:
    os.mkfifo(path)


def symlink(target: str | Path, link: Path) -> None:
    link.symlink_to(target)


def import_abs(proj: Path, outside: Path) -> str:
    return main_importing(str(outside / "secret.arch"))(proj, outside)


def long_error_line(proj: Path, outside: Path) -> str:
    # an error near the end of a 9,000-character line: the excerpt is a window around it
    body = "  dense(" + " + ".join(["1"] * 2200) + ", nosuch=1)\n"
    return text_case(H + "network {\n" + body + TAIL)(proj, outside)


GENERATED: dict[str, tuple[Callable[[Path, Path], str], Expect]] = {
    # imports: only inside the project (and --import-path), only regular text files
    "import_absolute_outside": (import_abs, err("is not allowed", at=(1, 1))),
    "import_dotdot_outside": (main_importing("../outside/secret.arch"),
                              err("leaves the allowed folders", at=(1, 1))),
    "import_symlink_outside": (with_setup(lambda p, o: symlink(o / "secret.arch", p / "s.arch"),
                                          main_importing("s.arch")),
                               err("leaves the allowed folders", at=(1, 1))),
    "import_symlink_proc": (with_setup(lambda p, o: symlink("/proc/self/environ", p / "e.arch"),
                                       main_importing("e.arch")),
                            err("leaves the allowed folders", at=(1, 1))),
    "import_directory": (with_setup(lambda p, o: (p / "lib").mkdir(), main_importing("lib")),
                         err("it is a directory", at=(1, 1))),
    "import_fifo": (with_setup(lambda p, o: fifo(p / "pipe.arch"), main_importing("pipe.arch")),
                    err("not a regular file", at=(1, 1))),
    "import_binary": (with_setup(lambda p, o: write(p / "bin.arch", b"\x89PNG\r\n\x1a\n\x00\x00"),
                                 main_importing("bin.arch")),
                      err("bin.arch: a binary file", at=(1, 1))),
    "import_not_utf8": (with_setup(lambda p, o: write(p / "l1.arch", b"# caf\xe9\n"),
                                   main_importing("l1.arch")),
                        err("l1.arch: not UTF-8", at=(1, 1))),
    "import_too_large": (with_setup(lambda p, o: write(p / "big.arch", "#" * 99 + "\n") and
                                    write(p / "big.arch", ("#" * 99 + "\n") * 3000),
                                    main_importing("big.arch")),
                         err("too large", at=(1, 1))),
    "import_500_times": (with_setup(lambda p, o: write(p / "lib/u.arch", "block u(f) { relu }\n"),
                                    text_case('import "lib/u.arch"\n' * 500 + H + NET)), OK),
    "import_path_option": (text_case('import "blocks.arch"\n' + H +
                                     "network {\n  unit(4)\n" + TAIL),
                           Expect("ok", args=("--import-path", "../outside/shared"))),
    "import_path_not_given": (text_case('import "blocks.arch"\n' + H +
                                        "network {\n  unit(4)\n" + TAIL),
                              err("cannot find import 'blocks.arch'", at=(1, 1))),
    # the file named on the command line
    "root_symlink_proc": (with_setup(lambda p, o: symlink("/proc/self/environ", p / "env.arch"),
                                     lambda p, o: "env.arch"), err("cannot read env.arch")),
    "root_proc_environ": (lambda p, o: "/proc/self/environ", err("not a regular file")),
    "root_dev_zero": (lambda p, o: "/dev/zero", err("not a regular file")),
    "root_symlink_outside": (with_setup(lambda p, o: symlink(o / "secret.arch", p / "x.arch"),
                                        lambda p, o: "x.arch"),
                             err("a symbolic link to a file outside its folder")),
    "root_in_symlinked_folder_outside": (with_setup(lambda p, o: symlink(o, p / "out"),
                                                    lambda p, o: "out/secret.arch"),
                                         err("a symbolic link to a file outside its folder")),
    "root_symlink_inside": (with_setup(lambda p, o: write(p / "lib/real.arch", H + NET) and
                                       symlink("lib/real.arch", p / "x.arch"),
                                       lambda p, o: "x.arch"), OK),
    "root_fifo": (with_setup(lambda p, o: fifo(p / "pipe.arch"), lambda p, o: "pipe.arch"),
                  err("not a regular file")),
    "root_directory": (with_setup(lambda p, o: (p / "d.arch").mkdir(), lambda p, o: "d.arch"),
                       err()),
    "root_missing": (lambda p, o: "missing.arch", err("no such file")),
    # size and nesting
    "file_5mb_one_line": (text_case(H + "network { dense(" + "1+" * 2_500_000 + "1) }\n"),
                          err("too large", at=(1, 1))),
    "line_200kb": (text_case(H + "network {\n  dense(" + "1 + " * 50_000 + "1)\n" + TAIL),
                   err("line 5 is too long", at=(5, 10_001), max_chars=2_000)),
    "long_line_error_excerpt": (long_error_line, err(line=5, max_chars=2_000)),
    "statements_100k": (text_case(H + "network {\n" + "  relu\n" * 100_000 + TAIL),
                        err("too large", at=(1, 1))),
    "flat_sum_20000_lines": (text_case(H.replace("classes: 2", "classes: " + " +\n".join(
        ["1"] * 20_000)) + NET), OK),
    "int_5000_digits": (text_case(H + "network {\n  dense(" + "7" * 5000 + ")\n" + TAIL),
                        err("too large", line=5)),
    "long_identifier": (text_case(H + "network {\n  conv(4, 3x3) as " + "n" * 5000 + "\n" + TAIL),
                        ANY),
    "deep_repeats_5000": (text_case(nest("repeat 1..1 {\n", "}\n", 5000)),
                          err("nested too deeply", at=(68, 13))),
    "many_syntax_errors": (text_case(H + "network {\n" + "  conv(4,, 3x3) ) ]\n" * 3000 + TAIL),
                           err("unexpected", line=5)),
    "many_name_errors": (text_case(H + "network {\n" + "".join(f"  nosuch{i}(4)\n"
                                                               for i in range(3000)) + TAIL),
                         err("unknown op or block 'nosuch0'", at=(5, 3))),
    "block_chain_300": (text_case(H + "".join(f"block b{i}(f) {{ b{i + 1}(f) }}\n"
                                              for i in range(300)) +
                                  "block b300(f) { relu }\nnetwork {\n  b0(4)\n" + TAIL), ANY),
}

# every construct nested past the limit (an error) and just within it (fine)
CONSTRUCTS = {
    "repeat": ("repeat 1..1 {\n", "}\n"),
    "optional": ("optional {\n", "}\n"),
    "choice": ("choice {\n", "| relu }\n"),
    "parallel": ("parallel {\n", "| relu } merge add\n"),
    "skip": ("skip {\n", "}\n"),
}
for _name, (_o, _c) in CONSTRUCTS.items():
    GENERATED[f"nested_{_name}_100"] = (text_case(nest(_o, _c, 100)), err("nested too deeply"))
    GENERATED[f"nested_{_name}_60"] = (text_case(nest(_o, _c, 60)), OK)
GENERATED["nested_lists_100"] = (text_case(H + "network {\n  dense(" + "[" * 100 + "]" * 100 +
                                           ")\n" + TAIL), err("nested too deeply", line=5))
GENERATED["nested_parens_60"] = (text_case(H + "network {\n  dense(" + "(" * 60 + "8" + ")" * 60 +
                                           ")\n" + TAIL), OK)

# analysis-side budgets (issue 10.4: the lead's work in analysis/ and ir/decisions.py)
ANALYSIS_DOS: dict[str, tuple[Callable[[Path, Path], str], Expect]] = {
    "int_1e6": (text_case(H + "network {\n  dense(int(1, 1000000))\n" + TAIL), ANY),
    "int_2e7": (text_case(H + "network {\n  dense(int(1, 20000000))\n" + TAIL), ANY),
    "float_step_1e-300": (text_case(H + "network {\n  dropout(float(0, 0.5, step=1e-300))\n" +
                                    TAIL), ANY),
    "repeat_1_2_nested_11": (text_case(nest("repeat 1..2 {\n", "}\n", 11)), ANY),
    "repeat_1_2_nested_13": (text_case(nest("repeat 1..2 {\n", "}\n", 13)), ANY),
    "statements_30k": (text_case(H + "network {\n" + "  relu\n" * 30_000 + TAIL), ANY),
    "choice_100k": (text_case(H + "network {\n  dense(choice(" + ",\n".join(
        str(i) for i in range(1, 100_001)) + "))\n" + TAIL), ANY),
    "params_150k_unused": (text_case(H + "".join(f"param p{i} = bool\n" for i in range(150_000))
                                     + NET), ANY),
}


# -- the checks -------------------------------------------------------------------------------
_WHERE = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): ")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FOLLOW = re.compile(r"^( *\d* \|( .*)?|  hint: .*|\d+ errors|\.\.\. and \d+ more.*|)$")


@pytest.fixture
def world(tmp_path):
    """A project folder and, beside it, a folder the project must never read from."""
    proj, outside = tmp_path / "proj", tmp_path / "outside"
    proj.mkdir()
    write(outside / "secret.arch", f"network {{\n  conv({FILE_SECRET})\n  {FILE_SECRET}!\n}}\n")
    write(outside / "shared/blocks.arch", "block unit(f) { conv(f, 1x1) }\n")
    return proj, outside


def check(res: Result, cmd: str, name: str, exp: Expect) -> None:
    text = res.text
    where = f"archspace {cmd} {name}: rc={res.rc}\n{text[:3000]}"
    assert res.rc != 99, "lint/show imported TensorFlow"
    assert "Traceback" not in text and res.rc != 3, where
    assert res.rc in (0, 1, 2), where
    assert SECRET not in text and FILE_SECRET not in text and "root:x:0" not in text, where
    assert not _CONTROL.search(text), f"raw control character in output\n{where}"
    assert len(text) <= exp.max_chars, f"{len(text)} characters of output\n{where[:500]}"
    if exp.kind == "any":
        return
    if exp.kind == "ok":
        assert res.rc == 0, where
        if cmd == "lint":
            assert "no problems" in res.out or " 0 errors" in res.out, where
        return
    # an error: show exits 2, lint reports a finding (exit 1) or a usage error (exit 2)
    assert res.rc == (2 if cmd == "show" else res.rc) and res.rc in (1, 2), where
    lines = (res.err if res.rc == 2 else res.out).splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())
    head = lines[first]
    assert "error" in head, where
    if exp.message:
        assert exp.message in head, where
    m = _WHERE.match(head)
    if exp.at or exp.line:
        assert m, f"no file:line:col\n{where}"
        got = (int(m["line"]), int(m["col"]))
        assert got == exp.at if exp.at else got[0] == exp.line, where
    if res.rc == 2 and cmd == "show":  # the error, then only its excerpt, hint and count
        for line in lines[first + 1:]:
            assert _FOLLOW.match(line) or _WHERE.match(line) or line.startswith("error"), \
                f"unexpected line {line!r}\n{where}"
        # the caret is under the reported column
        if m and len(lines) > first + 2 and " | " in lines[first + 1]:
            src, caret = lines[first + 1], lines[first + 2]
            assert caret.rstrip().endswith("^") and len(caret) <= len(src) + 2, where
            assert len(src) <= 140, where


def run_case(world, name: str, build, exp: Expect, budget: bool = False) -> None:
    proj, outside = world
    target = build(proj, outside)
    for cmd in ("lint", "show"):
        res = cli(cmd, target, *exp.args, cwd=proj)
        check(res, cmd, target, exp)
        assert res.seconds < KILL_AFTER_S  # the kill guard (a hang), not a speed limit
        if budget:  # an answer within the analysis budget, not the memory limit stopping a runaway
            assert "out of memory" not in res.text, (res.seconds, res.text)


def test_every_corpus_file_has_an_expectation():
    assert {p.name for p in CORPUS.glob("*.arch")} == set(CORPUS_EXPECT) | {"import_cycle_b.arch"}


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECT))
def test_corpus(world, name):
    proj, _ = world
    for p in CORPUS.glob("*.arch"):
        shutil.copy(p, proj / p.name)
    run_case(world, name, lambda p, o: name, CORPUS_EXPECT[name])


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated(world, name):
    build, exp = GENERATED[name]
    run_case(world, name, build, exp)


@pytest.mark.parametrize("name", sorted(ANALYSIS_DOS))
def test_analysis_budgets(world, name):
    build, exp = ANALYSIS_DOS[name]
    run_case(world, name, build, exp, budget=True)
