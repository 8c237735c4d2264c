"""Malformed inputs (tests/fixtures/invalid/*.arch): each header lists the errors it must raise,
in order, as the compiler prints their first line, with the hint on the line after:

    # error: LINE:COL: KIND: MESSAGE         (FILE:LINE:COL: when the error is in another file)
    # hint: HINT

Every error is checked in its structured form (`to_dict()`) and in its rendered form: the
`path:line:col: kind: message` line, the source line, a caret under the column, the hint.
(Files under invalid/lib/ are imported by the fixtures and are not cases themselves.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import archspace
from archspace.errors import (ArchError, ArchErrors, ArchImportError, ArchNameError,
                              ArchSyntaxError, ArchTypeError)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
INVALID = sorted((FIXTURES / "invalid").glob("*.arch"))
KINDS = {"syntax error": ArchSyntaxError, "name error": ArchNameError,
         "type error": ArchTypeError, "import error": ArchImportError}

_ERROR = re.compile(r"# error: (?:(?P<file>[\w./-]+\.arch):)?(?:(?P<line>\d+):(?P<col>\d+): )?"
                    r"(?P<kind>[a-z]+ error): (?P<message>.*)$")


@dataclass
class Expected:
    file: str | None
    line: int | None
    col: int | None
    kind: str
    message: str
    hint: str | None = None


def expected_errors(text: str) -> list[Expected]:
    out: list[Expected] = []
    for ln in text.splitlines():
        m = _ERROR.match(ln)
        if m:
            out.append(Expected(m["file"], int(m["line"]) if m["line"] else None,
                                int(m["col"]) if m["col"] else None, m["kind"], m["message"]))
        elif ln.startswith("# hint: "):
            assert out, "a '# hint:' line must follow an '# error:' line"
            out[-1].hint = ln[len("# hint: "):]
    return out


def test_enough_cases():
    assert len(INVALID) >= 25
    kinds = {e.kind for p in INVALID for e in expected_errors(p.read_text())}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture(path: Path):
    expected = expected_errors(path.read_text())
    assert expected, f"{path.name}: no '# error:' lines in the header"
    with pytest.raises(ArchError) as info:
        archspace.parse_file(path)
    err = info.value
    got = err.errors
    assert [(e.kind, e.message) for e in got] == [(x.kind, x.message) for x in expected]
    assert isinstance(err, ArchErrors) == (len(expected) > 1)
    for e, x in zip(got, expected):
        assert isinstance(e, KINDS[x.kind])
        assert e.hint == x.hint
        if x.line is None:
            continue
        assert e.span is not None
        assert Path(e.span.path).name == Path(x.file).name if x.file else path.name
        assert (e.span.line, e.span.col) == (x.line, x.col)
        check_rendered(e, Path(e.span.path))
        check_dict(e)
    if len(got) > 1:
        rendered = err.render()
        assert rendered.endswith(f"\n\n{len(got)} errors")
        assert err.to_dict() == {"errors": [e.to_dict() for e in got]}


def check_rendered(e: ArchError, source: Path) -> None:
    """`path:line:col: kind: message`, the source line with a gutter, a caret under the column
    (at least one '^', within the line), then the hint."""
    lines = e.render().split("\n")
    sp = e.span
    assert lines[0] == f"{sp.path}:{sp.line}:{sp.col}: {e.kind}: {e.message}"
    src = source.read_text().splitlines()[sp.line - 1]
    gutter = f"{sp.line:>5} | "
    assert lines[1] == gutter + src.rstrip()
    caret = lines[2]
    assert caret.startswith(" " * (len(gutter) - 2) + "| ")
    marks = caret[len(gutter):]
    assert marks.lstrip(" ").startswith("^")
    assert len(marks) - len(marks.lstrip(" ")) == sp.col - 1, "the caret is not under the column"
    assert set(marks.strip()) == {"^"}
    assert len(marks) <= max(len(src.rstrip()), sp.col)
    if e.hint:
        assert lines[3] == f"  hint: {e.hint}"
        assert len(lines) == 4
    else:
        assert len(lines) == 3


def check_dict(e: ArchError) -> None:
    d = e.to_dict()
    assert d["kind"] == e.kind and d["message"] == e.message and d["code"] == e.code
    assert (d["path"], d["line"], d["col"]) == (e.span.path, e.span.line, e.span.col)
    assert d.get("hint") == e.hint
