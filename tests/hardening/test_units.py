"""Direct checks of the parser-side limits, excerpts and error collection (issue 10.3/4/9)."""

from __future__ import annotations


import pytest

import archspace
from archspace.errors import (MAX_SHOWN_ERRORS, ArchError, ArchErrors, ArchNameError,
                              ArchSyntaxError, ErrorSink, excerpt, sanitize)
from archspace.source import Span

H = "input image: 8x8x1\noutput classes: 2\n"


def test_flat_chain_of_literals_parses_and_serialises():
    space = archspace.parse(H.replace("classes: 2", "classes: " + " + ".join(["1"] * 500)) +
                            "network { global_avg_pool dense(classes) }\n")
    assert space.outputs[0].units.value == 500
    space.to_json()  # a 500-deep tree would exceed pydantic's serialisation depth


def test_chain_of_names_is_a_clear_error():
    text = H + "network {\n  let k = 1\n  dense(" + "+".join(["k"] * 300) + ")\n}\n"
    with pytest.raises(ArchSyntaxError, match="expression too long") as info:
        archspace.parse(text, "x.arch")
    assert info.value.span.line == 5


def test_chain_within_the_limit_is_fine():
    text = H + "network {\n  let k = 1\n  dense(" + "+".join(["k"] * 90) + ")\n}\n"
    assert archspace.parse(text).network


@pytest.mark.parametrize("open_,close", [("repeat 1..1 {\n", "}\n"), ("optional {\n", "}\n"),
                                         ("skip {\n", "}\n")])
def test_nesting_past_the_limit_names_the_place(open_, close):
    text = "input image: 8x8x1\nnetwork {\n" + open_ * 5000 + "relu\n" + close * 5000 + "}\n"
    with pytest.raises(ArchSyntaxError, match="nested too deeply") as info:
        archspace.parse(text, "deep.arch")
    assert str(info.value.span).startswith("deep.arch:66:")


def test_bom_is_skipped():
    assert archspace.parse("\ufeff" + H + "network { global_avg_pool dense(2) }\n").network


def test_long_lines_are_refused_at_the_limit():
    with pytest.raises(ArchSyntaxError, match="line 2 is too long") as info:
        archspace.parse("input x: 4\n# " + "x" * 20_000 + "\n")
    assert (info.value.span.line, info.value.span.col) == (2, 10_001)


def test_huge_integer_literal_is_an_error_not_a_valueerror():
    with pytest.raises(ArchError, match="too large"):
        archspace.parse(H + "network { dense(" + "7" * 5000 + ") }\n")


def test_excerpt_of_a_long_line_is_a_window_with_the_caret_aligned():
    line = "  dense(" + " + ".join(["1"] * 2200) + ", nosuch=zz)"
    text = H + "network {\n" + line + "\n  global_avg_pool\n  dense(classes)\n}\n"
    col = line.index("zz") + 1
    span = Span(path="win.arch", line=4, col=col, end_line=4, end_col=col + 2)
    archspace.parser.remember_source("win.arch", text)
    src, caret = excerpt(span)
    assert len(src) <= 140 and "…" in src
    at = caret.index("^")
    assert src[at: at + 2] == "zz" and caret.count("^") == 2


def test_excerpt_shows_control_characters_escaped_and_aligned():
    archspace.parser.remember_source("c.arch", "a\x1b[2J b\tzz\n")
    src, caret = excerpt(Span(path="c.arch", line=1, col=9, end_line=1, end_col=11))
    assert "\x1b" not in src and "\\x1b[2J" in src
    assert src[caret.index("^"):].startswith("zz")


def test_excerpts_never_read_files_from_disk(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    assert excerpt(Span(path=str(secret), line=1, col=1)) == []


def test_lines_are_counted_as_the_parser_counts_them():
    text = "# a\x0cb\u2028c\x85d\x0be\n" + H + "network {\n  conv2(4, 3x3)\n}\n"
    with pytest.raises(ArchNameError) as info:
        archspace.parse(text, "ff.arch")
    assert info.value.span.line == 5
    assert info.value.render().splitlines()[1].endswith("conv2(4, 3x3)")


def test_sanitize():
    assert sanitize("a\x1b]0;t\x07\r\u202eb\n\tc") == "a\\x1b]0;t\\x07\\x0d\\u202eb\n\tc"
    assert sanitize("x\ny", keep_newlines=False) == "x\\ny"


def test_many_errors_are_collected_and_rendered_capped():
    sink = ErrorSink()
    for i in range(20_000):
        sink.add(ArchNameError(f"e{i}", Span(path="x", line=i + 1, col=1)))
    assert len(sink.items) == 20_000
    text = ArchErrors(sink.items).render()
    assert text.count("name error:") == MAX_SHOWN_ERRORS
    assert f"... and {20_000 - MAX_SHOWN_ERRORS} more" in text
