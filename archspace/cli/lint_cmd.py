"""`archspace lint FILE...`: the static checks, for CI and pre-commit.

Exit codes: 0 clean (or warnings only), 1 errors found, 2 bad usage (unknown code or format,
no file, missing file)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import console
from .app import EXIT_BAD_INPUT, app


def _codes(values: Optional[List[str]]) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(c.strip() for c in v.split(",") if c.strip())
    return out


@app.command("lint")
def lint_cmd(
    files: Optional[List[str]] = typer.Argument(None, help=".arch files to check."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these codes or prefixes (comma-separated; AS1 = every AS1xx)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these codes or prefixes (comma-separated)."),
    fmt: str = typer.Option("text", "--format", help="text | json | github | sarif"),
    max_params: Optional[float] = typer.Option(None, "--max-params", help="Parameter budget, e.g. 2e6."),
    max_bytes: Optional[float] = typer.Option(None, "--max-bytes", help="Model size budget in bytes (float32), e.g. 8e6."),
    max_macs: Optional[float] = typer.Option(None, "--max-macs", help="MAC budget per example."),
    max_space: Optional[float] = typer.Option(None, "--max-space", help="Warn above this many distinct architectures (default 1e15)."),
    cap: int = typer.Option(4096, "--cap", help="Most live states of the whole-space check before it falls back to a bound."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write the report to a file instead of stdout."),
    rules: bool = typer.Option(False, "--rules", help="List the rule codes and exit."),
):
    """Check .arch files: syntax, names, shapes of every configuration, budgets, unused and
    degenerate decisions. Exits 1 when there is an error."""
    from ..analysis.findings import rule_table
    from ..analysis.lint import LOAD_CODES, LintOptions, lint
    from ..analysis.report import FORMATS

    if rules:
        rows = [[c, n, s, d] for c, n, s, d in rule_table()]
        console.out.print(console.table("lint rules", ["code", "name", "severity", "checks"],
                                        rows))
        others = [c for c in LOAD_CODES if c not in {r[0] for r in rows}]
        console.out.print("other loader error codes: " + ", ".join(
            f"{c} ({LOAD_CODES[c]})" for c in others))
        return
    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}': one of {', '.join(FORMATS)}", param_hint="--format")
    if not files:
        raise typer.BadParameter("give at least one .arch file (or --rules)",
                                 param_hint="FILES")
    missing = [f for f in files if not Path(f).exists()]
    if missing:
        console.err.print(f"[bold red]error:[/] no such file: {console._escape(', '.join(missing))}")
        raise typer.Exit(EXIT_BAD_INPUT)
    odd = [f for f in files if not Path(f).is_file()]  # checked before reading: a FIFO blocks
    if odd:
        console.err.print(f"[bold red]error:[/] not a regular file: {console._escape(', '.join(odd))}")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        LintOptions(select=_codes(select) or None, ignore=_codes(ignore))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--select/--ignore") from None
    report = lint(files, select=_codes(select) or None, ignore=_codes(ignore),
                  max_params=max_params, max_bytes=max_bytes, max_macs=max_macs,
                  max_space=max_space, cap=cap)
    text = report.render(fmt)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        console.err.print(f"wrote {output}")
    elif text:
        console.write_text(text, None)
    raise typer.Exit(report.exit_code)
