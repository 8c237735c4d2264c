"""format_source: parse, lay out the token stream, and prove the result means the same."""

from __future__ import annotations

from ..errors import ArchArgumentError, ArchError, ErrorSink
from ..parser import parse_tree
from .layout import layout
from .tokens import items, statement_starts


class FormatError(ArchError):
    """The formatter produced text that reads differently from its input: a bug of the
    formatter, never of the user's file. The file is left as it was."""

    kind = "internal error"


def format_source(text: str, *, path: str | None = None) -> str:
    """`text` in the canonical layout. Raises ArchSyntaxError (or ArchErrors) with spans in
    `path` when the text does not parse, FormatError if the layout would change its meaning."""
    if not isinstance(text, str):
        raise ArchArgumentError(f"format_source() takes the source text as a str, not "
                                f"{type(text).__name__}")
    display = path if path is not None else "<string>"
    if text.startswith("\ufeff"):
        text = text[1:]
    tree = parse_tree(text, display)
    before = items(text)
    out = layout(before, statement_starts(tree))
    _check_same(text, tree, before, out, display)
    return out


def is_formatted(text: str, *, path: str | None = None) -> bool:
    return format_source(text, path=path) == text


def _tokens(seq) -> list[tuple[str, str]]:
    return [(it.type, it.text) for it in seq if it.type != "$END"]


def _check_same(text: str, tree, before, out: str, display: str) -> None:
    """The formatted text must hold the same tokens, comments included, and build the same
    IR (spans aside); anything else is a formatter bug and nothing may be written."""
    def refuse(why: str) -> FormatError:
        return FormatError(f"formatting {display} would change {why}; the file is left as it "
                           "was", hint="please report this as a bug of `archspace fmt`, with "
                           "the file")

    shadow = f"{display} (formatted)"  # keeps the excerpts of `display` on the user's text
    try:
        tree_after = parse_tree(out, shadow)
    except ArchError:
        raise refuse("it into text that does not parse") from None
    if _tokens(items(out)) != _tokens(before):
        raise refuse("its tokens or comments")
    if _ir(tree, display) != _ir(tree_after, display):
        raise refuse("its meaning (the IR differs)")


def _ir(tree, display: str):
    from ..transformer import to_ir

    try:
        return to_ir(tree, display, ErrorSink())
    except ArchError as e:  # a file with errors of meaning formats too: compare the errors
        return ("error", e.message)
