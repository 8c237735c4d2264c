"""Everything that prints to a terminal lives here: the rest of the package returns data.

User text (names, strings, source lines) never reaches the terminal raw: control characters
(escape sequences that clear the screen or set the window title, BEL, CR, bidi overrides) are
shown as escapes like \\x1b, and lists of errors are cut after the first MAX_SHOWN_ERRORS."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..errors import MAX_SHOWN_ERRORS, sanitize

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def _make_console(**kwargs: Any) -> "Console":
    """A rich Console whose str arguments are sanitised: whatever a command prints."""
    from rich.console import Console

    class _SafeConsole(Console):
        def print(self, *objects: Any, **kw: Any) -> None:  # noqa: A003 - rich's name
            super().print(*(sanitize(o) if isinstance(o, str) else o for o in objects), **kw)

    # emoji=False: a name or description like ":skull:" is printed as written
    return _SafeConsole(highlight=False, soft_wrap=True, emoji=False, **kwargs)


_CONSOLES = {"out": {}, "err": {"stderr": True}}


def __getattr__(name: str) -> Any:
    """`console.out` / `console.err`, made on first use: rich is imported only by a command
    that prints through it (`lint` with no findings never does; its start-up stays short)."""
    if name in _CONSOLES:
        if name in globals():
            return globals()[name]
        made = _make_console(**_CONSOLES[name])
        globals()[name] = made
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def print_error(e) -> None:
    """Render an ArchError (or several) on stderr, compiler style; at most MAX_SHOWN_ERRORS."""
    err = __getattr__("err")
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


#: a table shows at most this many rows and this many characters of a cell (`--json` has all)
MAX_TABLE_ROWS = 1000
MAX_CELL_CHARS = 300


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> "Table":
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows[:MAX_TABLE_ROWS]:
        t.add_row(*[_escape(_cut(str(x))) for x in r])
    if len(rows) > MAX_TABLE_ROWS:
        t.add_row(f"... and {len(rows) - MAX_TABLE_ROWS} more", *[""] * (len(columns) - 1))
    return t


def _cut(text: str) -> str:
    # a condition over 60 nested optionals is 60 conjuncts long: bounded, with its length
    if len(text) <= MAX_CELL_CHARS:
        return text
    return text[:MAX_CELL_CHARS] + f"… ({len(text):,} characters)"


def write_text(text: str, path: str | None) -> None:
    if path in (None, "-"):
        text = sanitize(text)  # a terminal: no raw control characters (files get the text)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        __getattr__("err").print(f"wrote {path}")
