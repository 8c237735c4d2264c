"""`archspace lsp`: the language server for editors, over stdin/stdout (see docs/editor.md).

pygls is the lsp extra: without it the command says how to install it and exits 3, as every
command whose extra is missing does (cli/extras.py)."""

from __future__ import annotations

import logging
from typing import Optional

import typer

from .app import app

_EXAMPLES = """Examples:

\b
archspace lsp                       (an editor starts it; it speaks JSON-RPC on stdin/stdout)
archspace lsp --log-file lsp.log --log-level debug"""


@app.command("lsp", epilog=_EXAMPLES)
def lsp_cmd(
    stdio: bool = typer.Option(True, "--stdio", metavar="", help="Talk over stdin/stdout (the default; accepted because editor clients pass it)."),
    log_file: Optional[str] = typer.Option(None, "--log-file", metavar="PATH", help="Write the server's log there (default: stderr)."),
    log_level: str = typer.Option("warning", "--log-level", metavar="LEVEL", help="debug | info | warning | error"),
):
    """Run the language server for .arch files: diagnostics as you type (with quick fixes),
    hover, completion, go to definition, outline and formatting. Editors start it; see
    docs/editor.md."""
    from .extras import require

    require("lsp", "lsp")
    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        raise typer.BadParameter(f"'{log_level}': one of debug, info, warning, error",
                                 param_hint="--log-level")
    # stdout carries the protocol: the log goes to stderr or a file, never stdout
    logging.basicConfig(level=level, filename=log_file,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from ..lsp import serve

    serve()
