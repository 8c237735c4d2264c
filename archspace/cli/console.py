"""Everything that prints to a terminal lives here: the rest of the package returns data."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(e) -> None:
    """Render an ArchError (or several) on stderr, compiler style."""
    for one in e.errors:
        text = one.render()
        first, _, rest = text.partition("\n")
        err.print(f"[bold red]{_escape(first)}[/]")
        if rest:
            err.print(_escape(rest))
    if len(e.errors) > 1:
        err.print(f"[bold red]{len(e.errors)} errors[/]")


def _escape(s: str) -> str:
    from rich.markup import escape

    return escape(s)


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*[_escape(str(x)) for x in r])
    return t


def write_text(text: str, path: str | None) -> None:
    if path in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        err.print(f"wrote {path}")
