"""Everything that prints to a terminal lives here: the rest of the package returns data.

User text (names, strings, source lines) never reaches the terminal raw: control characters
(escape sequences that clear the screen or set the window title, BEL, CR, bidi overrides) are
shown as escapes like \\x1b, and lists of errors are cut after the first MAX_SHOWN_ERRORS."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from ..errors import MAX_SHOWN_ERRORS, sanitize


class _SafeConsole(Console):
    """A rich Console whose str arguments are sanitised: whatever a command prints."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - rich's name
        super().print(*(sanitize(o) if isinstance(o, str) else o for o in objects), **kwargs)


out = _SafeConsole(highlight=False, soft_wrap=True)
err = _SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def print_error(e) -> None:
    """Render an ArchError (or several) on stderr, compiler style; at most MAX_SHOWN_ERRORS."""
    errors = e.errors
    for one in errors[:MAX_SHOWN_ERRORS]:
        text = one.render()
        first, _, rest = text.partition("\n")
        err.print(f"[bold red]{_escape(first)}[/]")
        if rest:
            err.print(_escape(rest))
    if len(errors) > MAX_SHOWN_ERRORS:
        err.print(f"... and {len(errors) - MAX_SHOWN_ERRORS} more")
    if len(errors) > 1:
        err.print(f"[bold red]{len(errors)} errors[/]")


def _escape(s: str) -> str:
    """Text for rich: markup escaped, control characters made visible."""
    from rich.markup import escape

    return escape(sanitize(s))


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*[_escape(str(x)) for x in r])
    return t


def write_text(text: str, path: str | None) -> None:
    if path in (None, "-"):
        text = sanitize(text)  # a terminal: no raw control characters (files get the text)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        err.print(f"wrote {path}")
