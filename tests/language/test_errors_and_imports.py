"""Error rendering and structure, imports across files, and source spans."""

from __future__ import annotations

import json
import textwrap

import pytest

import archspace
from archspace import errors as E
from archspace.errors import ArchError, ArchErrors


def write(tmp_path, name: str, text: str):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def fail(text: str, path: str = "<string>") -> ArchError:
    with pytest.raises(ArchError) as info:
        archspace.parse(textwrap.dedent(text).lstrip("\n"), path)
    return info.value


# -- the error family ----------------------------------------------------------------------------
def test_error_classes_have_distinct_kinds_and_codes():
    classes = [E.ArchError, E.ArchSyntaxError, E.ArchNameError, E.ArchTypeError,
               E.ArchImportError, E.ArchShapeError, E.ConfigError]
    assert len({c.code for c in classes}) == len(classes)
    assert len({c.kind for c in classes}) == len(classes)
    assert all(issubclass(c, ArchError) for c in classes)


def test_render_of_a_string_source():
    e = fail("""
        input image: 8x8x3
        network {
          conv2(8, 3x3)
        }
    """)
    assert e.render() == (
        "<string>:3:3: name error: unknown op or block 'conv2'\n"
        "    3 |   conv2(8, 3x3)\n"
        "      |   ^^^^^\n"
        "  hint: did you mean 'conv'?")
    assert str(e) == e.render()
    assert e.to_dict() == {"kind": "name error", "code": "AS002",
                           "message": "unknown op or block 'conv2'", "path": "<string>",
                           "line": 3, "col": 3, "end_line": 3, "end_col": 8,
                           "hint": "did you mean 'conv'?"}
    json.dumps(e.to_dict())


def test_caret_under_a_tab_indented_line():
    e = fail("input image: 8x8x3\nnetwork {\n\tconv2(8, 3x3)\n}\n")
    lines = e.render().splitlines()
    assert lines[1] == "    3 |     conv2(8, 3x3)"   # the tab is shown as 4 spaces
    assert lines[2] == "      |     ^^^^^"           # and the caret follows it


def test_caret_is_clamped_to_the_line():
    # a multi-line span (a whole choice) underlines its first line only, up to its end
    e = fail("""
        input image: 8x8x3
        network {
          choice c default z {
            a: conv(8, 3x3)
          | b: conv(8, 5x5)
          }
        }
    """)
    assert e.message == "default 'z' is not one of the alternatives"
    caret = e.render().splitlines()[2]
    assert caret.endswith("^") and caret.count("^") == 1


def test_error_without_a_position():
    e = E.ArchError("something is off", hint="try again")
    assert e.render() == "error: something is off\n  hint: try again"
    assert e.to_dict() == {"kind": "error", "code": "AS000", "message": "something is off",
                           "hint": "try again"}


def test_several_errors_sorted_and_counted():
    e = fail("""
        input image: 8x8x3
        network {
          merge foo with image
          conv2(8, 3x3)
        }
        train { optimiser = adam }
    """)
    assert isinstance(e, ArchErrors)
    assert [(x.span.line, x.kind) for x in e.errors] == [
        (3, "name error"), (4, "name error"), (6, "name error")]
    # the group reads like its first error, so `except ArchNameError` style checks still work
    assert e.message == e.errors[0].message and e.span == e.errors[0].span
    text = e.render()
    assert text.count("\n\n") == 3 and text.endswith("\n\n3 errors")
    assert [d["line"] for d in e.to_dict()["errors"]] == [3, 4, 6]


def test_syntax_error_names_what_was_expected():
    e = fail("input image: 8x8x3\nnetwork { repeat g in 1..2 default { relu } }\n")
    assert isinstance(e, E.ArchSyntaxError)
    assert e.message == "unexpected '{'"
    assert (e.span.line, e.span.col) == (2, 36)
    assert "expected" in e.hint


@pytest.mark.parametrize("expr", ["(" * 3000 + "1" + " + 1)" * 3000, "[" * 3000 + "]" * 3000,
                                  "-" * 3000 + "1"], ids=["parens", "lists", "negations"])
def test_deep_nesting_is_an_error_not_a_crash(expr):
    text = "input x: 4\nnetwork { dense(" + expr + ") }\n"
    with pytest.raises(E.ArchSyntaxError) as info:
        archspace.parse(text)
    assert info.value.message == "input is nested too deeply"
    assert info.value.span.line == 2


# -- imports -----------------------------------------------------------------------------------
def test_import_cycle_reports_the_chain(tmp_path):
    write(tmp_path, "a.arch", 'import "b.arch"\nblock fa(f) { conv(f, 1x1) }\n')
    write(tmp_path, "b.arch", '# b\nimport "a.arch"\nblock fb(f) { conv(f, 1x1) }\n')
    with pytest.raises(E.ArchImportError) as info:
        archspace.parse_file(tmp_path / "a.arch")
    e = info.value
    assert e.message == "import cycle: a.arch -> b.arch -> a.arch"
    assert e.span.path.endswith("b.arch") and (e.span.line, e.span.col) == (2, 1)
    assert e.render().splitlines()[1].endswith('import "a.arch"')


def test_self_import(tmp_path):
    p = write(tmp_path, "me.arch", 'import "me.arch"\n')
    with pytest.raises(E.ArchImportError, match=r"import cycle: me.arch -> me.arch"):
        archspace.parse_file(p)


def test_diamond_imports_are_fine(tmp_path):
    write(tmp_path, "d.arch", "block fd(f) { conv(f, 1x1) }\n")
    write(tmp_path, "b.arch", 'import "d.arch"\nblock fb(f) { fd(f) }\n')
    write(tmp_path, "c.arch", 'import "d.arch"\nblock fc(f) { fd(f) }\n')
    p = write(tmp_path, "a.arch", 'import "b.arch"\nimport "c.arch"\ninput x: 8x8x3\n'
                                  "network { fb(8) fc(8) }\n")
    space = archspace.parse_file(p)
    assert sorted(b.name for b in space.blocks) == ["fb", "fc", "fd"]


def test_imports_are_relative_to_the_importing_file(tmp_path):
    write(tmp_path, "lib/inner/x.arch", "block fx(f) { conv(f, 1x1) }\n")
    write(tmp_path, "lib/y.arch", 'import "inner/x.arch"\nblock fy(f) { fx(f) }\n')
    p = write(tmp_path, "main.arch", 'import "lib/y.arch"\ninput x: 8x8x3\nnetwork { fy(8) }\n')
    assert {b.name for b in archspace.parse_file(p).blocks} == {"fx", "fy"}


def test_a_block_defined_in_two_files(tmp_path):
    write(tmp_path, "lib.arch", "block unit(f) { conv(f, 1x1) }\n")
    p = write(tmp_path, "main.arch", 'import "lib.arch"\nblock unit(f) { conv(f, 3x3) }\n'
                                     "input x: 8x8x3\nnetwork { unit(8) }\n")
    with pytest.raises(E.ArchNameError, match="block 'unit' is defined twice"):
        archspace.parse_file(p)


def test_missing_file_and_unreadable_file(tmp_path):
    with pytest.raises(E.ArchImportError) as info:
        archspace.parse_file(tmp_path / "nope.arch")
    assert info.value.message.startswith("no such file: ")
    bad = tmp_path / "bad.arch"
    bad.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(E.ArchImportError, match="cannot read"):
        archspace.parse_file(bad)


def test_parse_text_imports_relative_to_base_dir(tmp_path):
    write(tmp_path, "lib.arch", "block unit(f) { conv(f, 1x1) }\n")
    text = 'import "lib.arch"\ninput x: 8x8x3\nnetwork { unit(8) }\n'
    space = archspace.parse(text, base_dir=tmp_path)
    assert space.block("unit") is not None


# -- spans ---------------------------------------------------------------------------------------
def test_spans_do_not_affect_equality_or_hash():
    a = archspace.parse("input x: 4\nnetwork { dense(8) }\n")
    b = archspace.parse("\n\n  input   x: 4\n\nnetwork {\n   dense( 8 )\n}\n")
    assert a == b and hash(a) == hash(b)
    assert a.network[0].span.line == 2 and b.network[0].span.line == 6
    assert a.to_json() == b.to_json()


def test_ir_is_frozen():
    space = archspace.parse("input x: 4\nnetwork { dense(8) }\n")
    with pytest.raises(Exception):
        space.name = "other"  # type: ignore[misc]
    with pytest.raises(Exception):
        space.network[0].op = "conv"  # type: ignore[misc]
