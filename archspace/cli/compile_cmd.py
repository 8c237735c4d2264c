"""`archspace compile FILE`: IR JSON, a Keras model, or a standalone Keras script."""

from __future__ import annotations

import json
from typing import List, Optional

import typer

from ..errors import ArchError
from . import console
from .app import Command, app, load


def pick_config(space, config: Optional[str], default: bool, sample: Optional[int]) -> dict:
    from ..ir.config import canonical, load_config, sample_config

    chosen = [x for x in (config is not None, default, sample is not None) if x]
    if len(chosen) > 1:
        raise ArchError("give at most one of --config, --default and --sample")
    if config is not None:
        try:
            return canonical(space, load_config(config))
        except (OSError, json.JSONDecodeError) as e:
            raise ArchError(f"cannot read configuration {config}: {e}") from None
    if sample is not None:
        return sample_config(space, sample)
    return canonical(space, {})


@app.command("compile", cls=Command)
def compile_(
    file: str = typer.Argument(..., metavar="FILE", help="A .arch file."),
    emit: str = typer.Option("keras", "--emit", help="ir | keras | python"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Output file ('-' = stdout)."),
    config: Optional[str] = typer.Option(None, "--config", help="A configuration JSON file."),
    default: bool = typer.Option(False, "--default", metavar="", help="Use the default configuration."),
    sample: Optional[int] = typer.Option(None, "--sample", help="Use a random configuration drawn with this seed."),
    summary: bool = typer.Option(False, "--summary", metavar="", help="Print the Keras model summary."),
    input: Optional[List[str]] = typer.Option(None, "--input", help="Override an input shape, NAME=HxWxC."),
    classes: Optional[int] = typer.Option(None, "--classes", help="Override the output size."),
):
    """Compile a space: its IR as JSON, or one configuration as a Keras model or script."""
    if emit not in ("ir", "keras", "python"):
        raise ArchError(f"--emit {emit}: expected ir, keras or python")
    if emit == "keras":
        from .extras import require

        require("keras", "compile --emit keras")
    space = load(file, input, classes)
    if emit == "ir":
        console.write_text(space.to_json(), output)
        return
    cfg = pick_config(space, config, default, sample)
    if emit == "python":
        from ..compile import emit_python

        console.write_text(emit_python(space, cfg), output)
        return
    from ..compile import to_keras

    with console.err.status("building the Keras model"):
        model = to_keras(space, cfg)
    if summary or output is None:
        model.summary(print_fn=lambda line, *a, **k: console.out.print(console._escape(line)))
    if output:
        if not output.endswith(".keras"):
            raise ArchError(f"-o {output}: a Keras model file ends in .keras")
        model.save(output)
        console.err.print(f"wrote {output} ({model.count_params():,} params)")
