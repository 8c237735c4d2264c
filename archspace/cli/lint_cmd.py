"""`archspace lint FILE...`: the static checks, for CI and pre-commit.

Exit codes: 0 clean (or warnings only), 1 errors found, 2 bad usage (unknown code or format,
no file, missing file, a number that does not parse)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import console
from .app import EXIT_BAD_INPUT, Command, app


def _codes(values: Optional[List[str]]) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(c.strip() for c in v.split(",") if c.strip())
    return out


_EXAMPLES = """
Examples:

\b
archspace lint spaces/*.arch
archspace lint my.arch --max-params 500k --max-macs 50M
archspace lint my.arch --max-params 2e6 --strict --format sarif -o lint.sarif
archspace lint --rules
"""


@app.command("lint", cls=Command, epilog=_EXAMPLES.strip())
def lint_cmd(
    files: Optional[List[str]] = typer.Argument(None, metavar="FILE", help=".arch files to check.", show_default=False),
    select: Optional[List[str]] = typer.Option(None, "--select", metavar="CODES", help="Only these codes or prefixes (comma-separated; AS1 = every AS1xx)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", metavar="CODES", help="Skip these codes or prefixes (comma-separated)."),
    fmt: str = typer.Option("text", "--format", metavar="FORMAT", help="text | json | github | sarif"),
    max_params: Optional[str] = typer.Option(None, "--max-params", metavar="N", help="Parameter budget, e.g. 2e6, 2M or 500k."),
    max_bytes: Optional[str] = typer.Option(None, "--max-bytes", metavar="N", help="Model size budget in bytes (float32), e.g. 8e6 or 8M."),
    max_macs: Optional[str] = typer.Option(None, "--max-macs", metavar="N", help="MAC budget per example, e.g. 50M."),
    max_space: Optional[str] = typer.Option(None, "--max-space", metavar="N", help="Warn above this many distinct architectures (default 1e15)."),
    cap: str = typer.Option("4096", "--cap", metavar="N", help="Most live states of the whole-space check before it falls back to a bound."),
    strict: bool = typer.Option(False, "--strict", metavar="", help="A budget that only some configurations break (or that cannot be proved) is an error too (AS110)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH", help="Write the report to a file instead of stdout."),
    rules: bool = typer.Option(False, "--rules", metavar="", help="List the rule codes and exit."),
):
    """Check .arch files: syntax, names, shapes of every configuration, budgets, unused and
    degenerate decisions. Exits 1 when there is an error (a size budget: when the default or
    every configuration breaks it; with --strict also when some do), 2 on bad usage."""
    from ..analysis.findings import rule_table
    from ..analysis.lint import LOAD_CODES, LintOptions, lint
    from ..analysis.report import FORMATS

    if rules:
        from ..analysis.report import rule_text

        rows = [[c, n, "error/warning" if c == "AS110" else s, rule_text(c)]
                for c, n, s, _ in rule_table()]
        console.out.print(console.table("lint rules", ["code", "name", "severity", "checks"],
                                        rows))
        others = [c for c in LOAD_CODES if c not in {r[0] for r in rows}]
        console.out.print("other loader error codes: " + ", ".join(
            f"{c} ({LOAD_CODES[c]})" for c in others))
        return
    from .numbers import number_option

    budgets = {o: number_option(v, o) for o, v in (("--max-params", max_params),
                                                   ("--max-bytes", max_bytes),
                                                   ("--max-macs", max_macs),
                                                   ("--max-space", max_space))}
    cap_n = number_option(cap, "--cap", integer=True, minimum=1)
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
                  max_params=budgets["--max-params"], max_bytes=budgets["--max-bytes"],
                  max_macs=budgets["--max-macs"], max_space=budgets["--max-space"], cap=cap_n,
                  strict=strict)
    text = report.render(fmt)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        console.err.print(f"wrote {output}")
    elif text:
        console.write_text(text, None)
    raise typer.Exit(report.exit_code)
