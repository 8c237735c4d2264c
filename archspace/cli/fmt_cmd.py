"""`archspace fmt FILE...`: rewrite .arch files in the canonical layout (or check, or diff).

Exit codes: 0 done (or, with --check, nothing would change), 1 with --check: some file would
be reformatted, 2 bad input (a syntax error, a missing or unreadable file), 3 the formatter
refused a file because its result would read differently (a bug: the file is left alone)."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

import typer

from . import console
from .app import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, Command, app


_EXAMPLES = """
Examples:

\b
archspace fmt spaces/
archspace fmt docs/language.md
archspace fmt --check --diff my.arch
cat my.arch | archspace fmt -
"""


def _targets(names: list[str]) -> tuple[list[Path], list[str]]:
    """The files named and the .arch files under the folders named (sorted, hidden folders
    skipped), and the names that are neither."""
    files: list[Path] = []
    missing: list[str] = []
    for name in names:
        p = Path(name)
        if p.is_dir():
            # hidden folders (.git, .venv, ...) are not the user's sources
            files.extend(sorted(f for f in p.rglob("*.arch") if f.is_file() and not any(
                part.startswith(".") for part in f.relative_to(p).parts[:-1])))
        elif p.exists():
            files.append(p)
        else:
            missing.append(name)
    return files, missing


def _diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        f"{name} (original)", f"{name} (formatted)"))


def _has_bom(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(3) == b"\xef\xbb\xbf"


def _write(path: Path, text: str) -> None:
    """Replace the file in one step (a crash never leaves half a file), keeping its mode."""
    real = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, real.stat().st_mode & 0o7777)
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@app.command("fmt", cls=Command, epilog=_EXAMPLES.strip())
def fmt_cmd(
    files: Optional[List[str]] = typer.Argument(None, metavar="FILE", help=".arch files or folders (every .arch file under them), Markdown pages (their ```arch examples); - reads stdin and writes stdout.", show_default=False),
    check: bool = typer.Option(False, "--check", metavar="", help="Write nothing; exit 1 when a file would be reformatted."),
    diff: bool = typer.Option(False, "--diff", metavar="", help="Write nothing; print a unified diff of the changes."),
):
    """Format .arch files in the canonical layout: indentation, spacing and blank lines; the
    line breaks between statements, the comments and the meaning stay (checked: the formatted
    text must build the same IR). Exits 1 with --check when a file would change, 2 on a
    syntax error or a missing file, 3 if the formatter refuses a file (a bug)."""
    from ..errors import ArchError
    from ..fmt import FormatError, format_source
    from ..fmt.markdown import format_markdown
    from ..loader import read_file

    if not files:
        raise typer.BadParameter("give at least one .arch file or folder (or - for stdin)",
                                 param_hint="FILE")
    if "-" in files:
        if len(files) > 1:
            raise typer.BadParameter("- (stdin) cannot be mixed with file names",
                                     param_hint="FILE")
        raise typer.Exit(_stdin(check, diff))
    paths, missing = _targets(files)
    if missing:
        console.err.print(f"[bold red]error:[/] no such file or folder: "
                          f"{console._escape(', '.join(missing))}")
        raise typer.Exit(EXIT_BAD_INPUT)
    changed = failed = refused = 0
    for path in paths:
        try:
            text, display, _ = read_file(path)
            formatted = (format_markdown(text, path=display) if path.suffix.lower() == ".md"
                         else format_source(text, path=display))
        except FormatError as e:
            console.print_error(e)
            refused += 1
            continue
        except ArchError as e:
            console.print_error(e)
            failed += 1
            continue
        if formatted == text and not _has_bom(path):
            continue
        changed += 1
        if diff:
            console.write_text(_diff(text, formatted, display).rstrip("\n"), None)
        if check or diff:
            if check:
                console.err.print(f"would reformat {console._escape(display)}")
            continue
        try:
            _write(path, formatted)
        except OSError as e:  # a read-only file or folder: report it, go on with the rest
            console.err.print(f"[bold red]error:[/] cannot write {console._escape(display)}: "
                              f"{console._escape(e.strerror or str(e))}")
            changed, failed = changed - 1, failed + 1
            continue
        console.err.print(f"reformatted {console._escape(display)}")
    _summary(len(paths), changed, failed, refused, check or diff)
    if refused:
        raise typer.Exit(EXIT_INTERNAL)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)
    raise typer.Exit(EXIT_FINDINGS if check and changed else EXIT_OK)


def _summary(total: int, changed: int, failed: int, refused: int, dry: bool) -> None:
    verb = "would be reformatted" if dry else "reformatted"
    parts = [f"{changed} file{'s' * (changed != 1)} {verb}",
             f"{total - changed - failed - refused} unchanged"]
    if failed or refused:
        parts.append(f"{failed + refused} not formatted")
    console.err.print(", ".join(parts))


def _stdin(check: bool, diff: bool) -> int:
    from ..errors import ArchError
    from ..fmt import FormatError, format_source
    from ..source import SourceReadError, decode_source

    try:
        text = decode_source(sys.stdin.buffer.read(), "<stdin>")
    except SourceReadError as e:
        console.err.print(f"[bold red]error:[/] {console._escape(e.message)}")
        return EXIT_BAD_INPUT
    try:
        formatted = format_source(text, path="<stdin>")
    except FormatError as e:
        console.print_error(e)
        return EXIT_INTERNAL
    except ArchError as e:
        console.print_error(e)
        return EXIT_BAD_INPUT
    if diff:
        out = _diff(text, formatted, "<stdin>")
        if out:
            console.write_text(out.rstrip("\n"), None)
    elif not check:
        sys.stdout.write(formatted)
    sys.stdout.flush()
    return EXIT_FINDINGS if check and formatted != text else EXIT_OK
