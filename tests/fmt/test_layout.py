"""The layout rules, one small input each: spacing, indentation, branches, continuations,
comments, blank lines; errors for text that does not parse; the meaning guard."""

from __future__ import annotations

import pytest

import archspace.fmt.api as fmt_api
from archspace.errors import ArchArgumentError, ArchSyntaxError
from archspace.fmt import FormatError, format_source, is_formatted


def fmt(text: str) -> str:
    out = format_source(text)
    assert format_source(out) == out
    return out


def test_spacing_between_tokens():
    src = "network{conv( 8 ,3x3,stride = 2 )as c[ i+1 ]  relu}\n"
    assert fmt(src) == "network { conv(8, 3x3, stride=2) as c[i + 1] relu }\n"


def test_equals_spaced_outside_brackets_only():
    src = "param  w=int(8,32 ,step=8)default 16\ntrain{epochs=3}\nblock b(f,k = 3x3){conv(f,k)}\n"
    assert fmt(src) == ("param w = int(8, 32, step=8) default 16\ntrain { epochs = 3 }\n"
                        "block b(f, k=3x3) { conv(f, k) }\n")


def test_unary_and_binary_minus():
    src = "network { conv(- 1, x-1, 2*- k, -(a), [ -1 , 2 ]) }\n"
    assert fmt(src) == "network { conv(-1, x - 1, 2 * -k, -(a), [-1, 2]) }\n"


def test_calls_lists_attributes_positions_ranges():
    src = ("network {\n let c = in . channels // 2\n repeat r [ k ] in 1 .. 3 { dense (c) }\n"
           "  towers ( a , b ) merge add at choice( @ p , @q ) { @ p }\n}\n"
           "search { objectives = [ maximize val_accuracy , minimize params ] }\n")
    assert fmt(src) == (
        "network {\n  let c = in.channels // 2\n  repeat r[k] in 1..3 { dense(c) }\n"
        "  towers(a, b) merge add at choice(@p, @q) { @p }\n}\n"
        "search { objectives = [maximize val_accuracy, minimize params] }\n")


def test_indentation_follows_brackets_and_closers_line_up():
    src = ("network {\nconv(8,\n3x3)\n      repeat 1..2 {\nrelu\n}\n"
           "parallel {\nrelu\n} merge add\n}\n")
    assert fmt(src) == ("network {\n  conv(8,\n    3x3)\n  repeat 1..2 {\n    relu\n  }\n"
                        "  parallel {\n    relu\n  } merge add\n}\n")


def test_branches_hang_the_bar_and_labels_indent_their_statements():
    src = ("network {\nchoice c {\na: relu\n| b:\nconv(1)\nrelu\n|c: parallel {\nrelu\n"
           "| relu } merge add\n}\n}\n")
    assert fmt(src) == ("network {\n  choice c {\n    a: relu\n  | b:\n      conv(1)\n"
                        "      relu\n  | c: parallel {\n      relu\n    | relu } merge add\n"
                        "  }\n}\n")


def test_a_statement_over_several_lines_indents_its_continuation():
    src = "param p = choice(1, 2)\ndefault 1\nnetwork {\nparallel { relu }\nmerge add\nrelu\n}\n"
    assert fmt(src) == ("param p = choice(1, 2)\n  default 1\nnetwork {\n  parallel { relu }\n"
                        "    merge add\n  relu\n}\n")


def test_comments_stay_where_they_were_and_align():
    src = ("# head\n\n\n\nnetwork {   # opens\n      # own line\n  conv(1) # a\n"
           "  dense(10)     # b\n\n  relu # alone\n# before the brace\n}\n# tail   \n")
    assert fmt(src) == ("# head\n\nnetwork {  # opens\n  # own line\n  conv(1)    # a\n"
                        "  dense(10)  # b\n\n  relu  # alone\n  # before the brace\n}\n"
                        "# tail\n")


def test_blank_lines_collapse_and_none_after_open_or_before_close():
    src = "\n\ninput x: 3\n\n\n\nnetwork {\n\n  relu\n\n\n  relu\n\n}\n\n\n"
    assert fmt(src) == "input x: 3\n\nnetwork {\n  relu\n\n  relu\n}\n"


def test_semicolons_stay():
    assert fmt("network { relu ;relu; }\n") == "network { relu; relu; }\n"


def test_line_endings_tabs_and_bom_are_normalised():
    assert fmt("\ufeffnetwork {\r\n\trelu\t# x\r\n}\r\n") == "network {\n  relu  # x\n}\n"


def test_empty_and_comment_only_text():
    assert fmt("") == ""
    assert fmt("\n\n") == ""
    assert fmt("  # only a comment") == "# only a comment\n"


def test_is_formatted():
    assert is_formatted("network { relu }\n")
    assert not is_formatted("network {relu}\n")


def test_syntax_error_is_raised_with_its_place():
    with pytest.raises(ArchSyntaxError) as e:
        format_source("network {\n  conv(8,\n}\n", path="x.arch")
    assert e.value.span.path == "x.arch" and e.value.span.line == 3
    assert e.value.hint


def test_wrong_argument_type():
    with pytest.raises(ArchArgumentError):
        format_source(b"network { relu }")  # type: ignore[arg-type]


@pytest.mark.parametrize("broken", [
    lambda text: text.replace("relu", "relu6"),         # a token changed
    lambda text: text.replace("# why", "# what"),       # a comment changed
    lambda text: text.replace("(", "(("),               # no longer parses
])
def test_a_layout_that_changes_the_text_is_refused(monkeypatch, broken):
    real = fmt_api.layout
    monkeypatch.setattr(fmt_api, "layout", lambda seq, starts: broken(real(seq, starts)))
    with pytest.raises(FormatError) as e:
        format_source("network { conv(1) relu }  # why\n", path="m.arch")
    assert "m.arch" in e.value.message and "left as it was" in e.value.message
