"""The one parser of numeric command-line options (counts and sizes): 500000, 500k, 2M, 1.5G,
2e6, 1_000_000. A value that does not parse ends the command with one line and exit code 2."""

from __future__ import annotations

import math

import typer

_SUFFIX = {"k": 1e3, "m": 1e6, "g": 1e9}
EXAMPLES = "e.g. 500000, 500k, 2M, 1.5G, 2e6 or 1_000_000"


def parse_number(text: str | float) -> float:
    """'2e6', '2M', '500k', '1.5G', '1_000_000' -> float; ValueError otherwise (also for nan,
    inf and negative numbers: no count or size is one)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        t = str(text).strip().replace("_", "").replace(",", "")
        mult = _SUFFIX.get(t[-1:].lower())
        value = float(t[:-1]) * mult if mult and t[:-1] else float(t)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"not a count or size: {text!r}")
    return value


def number_option(text: str | None, option: str, *, integer: bool = False,
                  minimum: float = 0) -> float | None:
    """`text` of `option` as a number (an int when `integer`), None for None; a bad value
    prints one error line and exits 2."""
    if text is None:
        return None
    from . import console
    from .app import EXIT_BAD_INPUT

    try:
        value = parse_number(text)
        if value < minimum or (integer and not float(value).is_integer()):
            raise ValueError
    except ValueError:
        if _negative(text):  # a number all right, but no count or size
            console.err.print(f"[bold red]error:[/] {option} must be positive, got "
                              f"{console._escape(str(text))}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        need = "a whole number" if integer else "a number"
        if minimum:
            need += f" of at least {minimum:g}"
        console.err.print(f"[bold red]error:[/] {option} '{console._escape(str(text))}': "
                          f"expected {need}, {EXAMPLES}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return int(value) if integer else value


def _negative(text: str | float) -> bool:
    try:
        return float(str(text).strip().replace("_", "")) < 0
    except ValueError:
        return False
