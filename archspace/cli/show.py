"""`archspace show FILE`: what a space contains and how big it is."""

from __future__ import annotations

import json
from typing import List, Optional

import typer

from . import console
from .app import Command, app, load


#: decision rows shown in the terminal; cells longer than MAX_CELL are cut
MAX_ROWS, MAX_CELL = 100, 160


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _dnas(space) -> tuple[dict, dict]:
    """What `--strategy dnas` would relax (search/dnas/supernet.py)."""
    from ..search.dnas.supernet import relaxation

    try:
        return relaxation(space)
    except Exception:  # a space that does not build: show reports that on its own
        return {}, {}


_EXAMPLES = """Examples:

\b
archspace show spaces/squeezenet_se_auto.arch
archspace show my.arch --json
archspace show my.arch --input image=64x64x3 --classes 10
archspace show my.arch --diagram space.svg"""


@app.command(cls=Command, epilog=_EXAMPLES)
def show(
    file: str = typer.Argument(..., metavar="FILE", help="A .arch file."),
    as_json: bool = typer.Option(False, "--json", metavar="", help="Print a JSON summary instead of tables."),
    input: Optional[List[str]] = typer.Option(None, "--input", help="Override an input shape, NAME=HxWxC."),
    classes: Optional[int] = typer.Option(None, "--classes", help="Override the output size."),
    diagram: Optional[str] = typer.Option(None, "--diagram", help="Write a diagram of the space: mermaid | dot, or a .mmd/.dot/.svg/.png path."),
):
    """Show a space: inputs, outputs, decisions with domains, defaults and conditions; how many
    distinct architectures it holds; default, smallest and largest model (parameters, float32
    size, MACs); whether every configuration builds. --diagram draws the space itself."""
    from .. import decisions

    space = load(file, input, classes)
    dl = decisions(space)
    summary = None
    try:
        from ..analysis import summarize
    except ImportError:
        summarize = None
    if summarize is not None:
        summary = summarize(space)
    if as_json:
        data = {
            "space": space.name, "description": space.description, "task": space.task,
            "inputs": {i.name: list(i.shape) for i in space.inputs},
            "decisions": [json.loads(d.model_dump_json()) | {"when": d.when_str()}
                          for d in dl.decisions],
        }
        if summary is not None:
            data["summary"] = summary.to_dict()
        relaxed, why = _dnas(space)
        data["dnas"] = {"relaxed": {p: list(c) for p, c in relaxed.items()}, "fixed": why}
        if diagram and diagram.lower() in ("mermaid", "mmd", "dot", "graphviz", "gv"):
            from ..analysis.diagram import to_dot, to_mermaid

            data["diagram"] = (to_mermaid if diagram.lower() in ("mermaid", "mmd")
                               else to_dot)(space)
        elif diagram:
            from ..analysis.diagram import write_diagram

            write_diagram(space, diagram, console)
        console.write_text(json.dumps(data, indent=2, default=str), None)
        return
    title = space.name or file
    desc = f" - {console._escape(space.description)}" if space.description else ""
    console.out.print(f"[bold]{console._escape(title)}[/]" + desc)  # user text: no markup
    rows = [[i.name, "x".join(map(str, i.shape))] for i in space.inputs]
    if rows:
        console.out.print(console.table("inputs", ["name", "shape"], rows))
    if space.outputs:
        from ..ir.walk import Scope, Walker

        w = Walker(space)
        outs = [[o.name, _fmt_value(w.evaluate(o.units, Scope()))] for o in space.outputs]
        console.out.print(console.table(f"outputs ({space.task})", ["name", "units"], outs))
    rows = [[_cut(d.path), d.kind, _cut(d.domain_str()), _cut(_fmt_value(d.default)),
             _cut(d.when_str())] for d in dl.decisions[:MAX_ROWS]]
    console.out.print(console.table(f"decisions ({len(dl.decisions)})",
                                    ["path", "kind", "domain", "default", "active when"], rows))
    if len(dl.decisions) > MAX_ROWS:  # the terminal is no place for thousands of rows
        console.out.print(f"... and {len(dl.decisions) - MAX_ROWS:,} more decisions "
                          "(`archspace show --json` lists them all)")
    relaxed, why = _dnas(space)
    if dl.decisions:
        names = ", ".join(list(relaxed)[:8]) + (" ..." if len(relaxed) > 8 else "")
        console.out.print(f"dnas relaxes {len(relaxed)} of {len(dl.decisions)} decisions" +
                          (f": {console._escape(_cut(names))}" if relaxed else "") +
                          (" (the others stay fixed: `archspace lint` says why)" if why else ""))
    if summary is not None:
        summary.render(console)
    if diagram:
        from ..analysis.diagram import write_diagram

        write_diagram(space, diagram, console)
