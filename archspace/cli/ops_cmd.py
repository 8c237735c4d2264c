"""`archspace ops`: the built-in ops an .arch file can call, with their arguments."""

from __future__ import annotations

from typing import Optional

import typer

from . import console
from .app import app


def _default(a) -> str:
    from ..blocks.base import REQUIRED

    if a.default is REQUIRED:
        return a.name
    d = a.default
    if isinstance(d, bool):
        d = "true" if d else "false"
    elif isinstance(d, tuple):
        d = "x".join(map(str, d))
    return f"{a.name}={d}"


@app.command()
def ops(name: Optional[str] = typer.Argument(None, help="Show one op in detail.")):
    """List the built-in ops (conv, dense, pool, ...) and merges with their arguments."""
    from ..blocks import MERGES, REGISTRY, get_op

    if name:
        op = get_op(name)
        console.out.print(f"[bold]{op.name}[/] - {op.doc}")
        rows = [[a.name, a.type, _default(a).partition("=")[2] or "(required)",
                 ", ".join(sorted(a.choices)) if a.choices else "", a.doc] for a in op.signature]
        console.out.print(console.table(None, ["argument", "type", "default", "values", ""], rows))
        return
    rows = [[n, "(" + ", ".join(_default(a) for a in op.signature) + ")", op.doc]
            for n, op in sorted(REGISTRY.items())]
    console.out.print(console.table("ops", ["op", "arguments", ""], rows))
    console.out.print("merges: " + ", ".join(MERGES))
