"""Typer app and the one error boundary. Exit codes: 0 ok, 1 findings, 2 bad input or usage,
3 a needed extra is not installed, 4 an internal error (a bug), 130 interrupted."""

from __future__ import annotations

import re
import sys
from typing import List, Optional

import typer
from typer.core import TyperCommand

from . import console

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_MISSING_EXTRA, EXIT_INTERNAL = 0, 1, 2, 3, 4

EXAMPLES = """Examples:

\b
archspace show spaces/squeezenet_se_auto.arch
archspace lint spaces/*.arch --max-params 2M
archspace search spaces/squeezenet_se_auto.arch --data digits --trials 20 --max-params 500k
archspace COMMAND --help"""

app = typer.Typer(
    name="archspace",
    help="Declarative neural-architecture micro-design search over .arch spaces.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

state = {"debug": False}


class Command(TyperCommand):
    """A command whose usage line names a required argument FILE, as help texts do, rather
    than typer's {FILE} (which reads as a set or a placeholder to fill in)."""

    def collect_usage_pieces(self, ctx):  # type: ignore[no-untyped-def]
        return [re.sub(r"^\{(.*)\}", r"\1", p) for p in super().collect_usage_pieces(ctx)]


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        console.out.print(f"archspace {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", metavar="", help="Show Python tracebacks on errors."),
          version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                       metavar="", help="Print the version and exit."),
          import_path: Optional[List[str]] = typer.Option(
              None, "--import-path", metavar="DIR",
              help="A folder `import` may also read from (repeatable; lint, show, compile, "
                   "search and train take it too, after the command). Imports never leave "
                   "the file's own folder tree, these folders and the bundled spaces/.")):
    state["debug"] = debug


def _take_import_path(args: list[str]) -> tuple[list[str], list[str]]:
    """--import-path DIR (or =DIR) anywhere on the command line: it applies to every command
    that reads .arch files, so it is taken out here rather than declared by each command."""
    rest, dirs, i = [], [], 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        if a == "--import-path":
            if i + 1 >= len(args):
                raise typer.BadParameter("--import-path needs a folder", param_hint="--import-path")
            dirs.append(args[i + 1])
            i += 2
            continue
        if a.startswith("--import-path="):
            dirs.append(a.partition("=")[2])
        else:
            rest.append(a)
        i += 1
    return rest, dirs


def _register() -> None:
    # each command module adds itself to `app`; imported here so that --help lists them all
    from . import compile_cmd, fmt_cmd, ops_cmd, show  # noqa: F401
    for optional in ("lint_cmd", "search_cmd", "worker_cmd", "features_cmd", "lsp_cmd"):
        try:
            __import__(f"{__package__}.{optional}")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{optional}":
                raise


def _traceback() -> None:
    """--debug: the traceback of the exception being handled, on stderr; the exit code stays
    what it is without --debug (2 for bad input)."""
    import traceback

    sys.stderr.write(traceback.format_exc())
    sys.stderr.flush()


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: run the app inside the error boundary."""
    from ..errors import ArchError
    from ..loader import import_path

    _register()
    args = list(sys.argv[1:] if argv is None else argv)
    state["debug"] = "--debug" in args
    try:
        args, dirs = _take_import_path(args)
        with import_path(dirs):
            # without standalone mode click *returns* the code of a typer.Exit raised in a
            # command
            rc = app(args=args, standalone_mode=False)
    except ArchError as e:
        if state["debug"]:
            _traceback()
        console.print_error(e)
        return EXIT_BAD_INPUT
    except ImportError as e:  # an extra's module: say which extra; anything else is a bug
        from .extras import MissingExtra, missing_extra_of

        missing = e if isinstance(e, MissingExtra) else missing_extra_of(e)
        if missing is None:
            return _internal_error(e)
        if state["debug"]:
            _traceback()
        console.err.print(f"[bold red]error:[/] {console._escape(str(missing))}")
        console.err.print(f"  hint: {console._escape(missing.hint)}")
        return EXIT_MISSING_EXTRA
    except typer.Exit as e:
        return e.exit_code
    except KeyboardInterrupt:
        console.err.print("interrupted")
        return 130
    except typer.Abort:
        return 130
    except RecursionError:  # a later stage met nesting the parser's limits let through
        if state["debug"]:
            _traceback()
        console.err.print("[bold red]error:[/] the space is nested too deeply to analyse "
                          "(blocks calling blocks, or long expressions)")
        return EXIT_BAD_INPUT
    except MemoryError:
        if state["debug"]:
            _traceback()
        console.err.print("[bold red]error:[/] out of memory: the space is too large to analyse")
        return EXIT_BAD_INPUT
    except Exception as e:  # usage errors and anything unexpected
        from ..blocks import UnknownOpError

        if isinstance(e, UnknownOpError):
            console.err.print(f"[bold red]error:[/] {console._escape(str(e))}")
            if e.hint:
                console.err.print(f"  hint: {e.hint}")
            return EXIT_BAD_INPUT
        if isinstance(e, typer.TyperException) and hasattr(e, "show"):
            e.show()  # typer's own usage errors (bad option, missing argument)
            code = getattr(e, "exit_code", EXIT_BAD_INPUT)
            return EXIT_OK if code == 0 else EXIT_BAD_INPUT
        if isinstance(e, (OSError, ValueError, KeyError)):
            return _internal_error(e, EXIT_BAD_INPUT)
        return _internal_error(e)
    return rc if isinstance(rc, int) and not isinstance(rc, bool) else EXIT_OK


def _internal_error(e: BaseException, code: int = EXIT_INTERNAL) -> int:
    """One bounded line for an exception nobody turned into a message (the traceback with
    --debug)."""
    if state["debug"]:
        _traceback()
    text = str(e).strip().partition("\n")[0]  # one line, of bounded length
    text = text if len(text) <= 300 else text[:300] + "…"
    console.err.print(f"[bold red]error:[/] {type(e).__name__}: {console._escape(text)}")
    if not state["debug"]:
        console.err.print("run again with --debug for the traceback")
    return code


def load(path: str, inputs: list[str] | None = None, classes: int | None = None):
    """Parse a file and apply --input / --classes overrides."""
    from .. import parse_file
    from ..errors import ArchError

    space = parse_file(path)
    over_in = {}
    for spec in inputs or []:
        name, sep, dims = spec.partition("=")
        if not sep:
            if len(space.inputs) != 1:
                raise ArchError(f"--input {spec}: name the input (NAME=HxWxC); this space has "
                                + ", ".join(i.name for i in space.inputs))
            name, dims = space.inputs[0].name, spec
        try:
            over_in[name] = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise ArchError(f"--input {spec}: expected NAME=HxWxC, e.g. image=224x224x3") from None
        if min(over_in[name]) < 1:       # a 0 or negative size fails deep inside the analysis
            raise ArchError(f"--input {spec}: every size must be at least 1, e.g. "
                            "image=224x224x3")
    over_out = {}
    if classes is not None:
        if not space.outputs:
            raise ArchError("--classes: this space declares no output")
        over_out[space.outputs[0].name] = classes
    try:
        return space.with_overrides(over_in or None, over_out or None)
    except KeyError as e:
        raise ArchError(f"no input or output named {e}; the space has inputs "
                        + ", ".join(i.name for i in space.inputs)) from None
