"""Files -> a complete Space: parse, build the IR, follow imports, check names and types."""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterable, Iterator

from .errors import (ArchArgumentError, ArchError, ArchImportError, ArchNameError,
                     ArchSyntaxError, ErrorSink)
from .ir import Space
from .ir.decisions import Explorer
from .parser import parse_tree
from .source import MAX_FILE_BYTES, SourceReadError, Span, read_source
from .transformer import to_ir


def bundled_spaces_dir() -> Path | None:
    """spaces/ shipped in the wheel (archspace/spaces) or at the repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "spaces", here.parent / "spaces"):
        if candidate.is_dir():
            return candidate
    return None


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


# Folders named with --import-path (the CLI sets them for one command; lint reads them here).
_IMPORT_PATH: ContextVar[tuple[Path, ...]] = ContextVar("archspace_import_path", default=())


@contextmanager
def import_path(dirs: Iterable[str | Path] | None) -> Iterator[None]:
    """Let imports also resolve inside `dirs` while the block runs (the CLI's --import-path)."""
    token = _IMPORT_PATH.set(_import_dirs(dirs))
    try:
        yield
    finally:
        _IMPORT_PATH.reset(token)


def _import_dirs(dirs: Iterable[str | Path] | str | Path | None) -> tuple[Path, ...]:
    if dirs is None:
        return ()
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    out = []
    for d in dirs:
        if not isinstance(d, (str, os.PathLike)):
            raise ArchArgumentError(f"import_path: expected folder names, got "
                                    f"{type(d).__name__}")
        p = Path(d)
        if not p.is_dir():
            raise ArchImportError(f"import path {d} is not a folder",
                                  hint="--import-path names a folder that holds .arch files")
        out.append(p.resolve())
    return tuple(out)


def _check_text(text: object, what: str) -> str:
    if isinstance(text, str):
        return text
    hint = " (decode it first: data.decode('utf-8'))" if isinstance(text, (bytes, bytearray)) \
        else ""
    raise ArchArgumentError(f"{what} takes the source text as a str, not "
                            f"{type(text).__name__}{hint}")


def parse(text: str, path: str = "<string>", *, base_dir: str | Path | None = None,
          check: bool = True, import_path: Iterable[str | Path] | None = None) -> Space:
    """Parse source text into a checked Space.

    Imports resolve inside `base_dir` (default: the folder of `path`, or the current folder),
    inside the folders of `import_path` and in the bundled spaces/ folder; nothing else is read.
    Raises ArchError for any problem of the text, ArchArgumentError (an ArchError and a
    TypeError) when an argument has the wrong type."""
    text = _check_text(text, "parse()")
    if not isinstance(path, str):
        raise ArchArgumentError(f"parse(): path is a display name (str), not {type(path).__name__}")
    if base_dir is not None and not isinstance(base_dir, (str, os.PathLike)):
        raise ArchArgumentError(f"parse(): base_dir is a folder, not {type(base_dir).__name__}")
    base = Path(base_dir) if base_dir else (Path(path).parent if path != "<string>" else Path.cwd())
    extra = _import_dirs(import_path) if import_path is not None else _IMPORT_PATH.get()
    if text.startswith("\ufeff"):
        text = text[1:]
    sink = ErrorSink()
    try:
        return _parse(text, path, Roots(base.resolve(), extra), sink, check)
    except RecursionError:
        from .parser import too_deep

        raise too_deep(text, path) from None


def _parse(text: str, path: str, roots: "Roots", sink: ErrorSink, check: bool) -> Space:
    space = _load_text(text, path, roots.base, roots, sink, stack=())
    # errors of the file itself (arity, duplicate sections...) leave a usable IR: go on to
    # find the rest; a missing or broken import would only add follow-on errors
    if check and not any(isinstance(e, (ArchImportError, ArchSyntaxError)) for e in sink.items):
        _check(space, sink)
    sink.raise_if_any()
    return space


def read_file(path: str | Path) -> tuple[str, str, Path]:
    """(text, display name, resolved path) of a source file the user named, or ArchImportError
    (a directory, a device or pipe, a system file, too large, binary or not UTF-8)."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise ArchArgumentError(f"expected a file name (str or Path), not {type(path).__name__}")
    if isinstance(path, str) and not path.strip():
        raise ArchImportError("no file name given", hint="name a .arch file")
    p = Path(path)
    display = _display(p)
    if not _link_stays_home(p):
        # `lint *.arch` in CI on a contributed link to ~/.ssh/... would print its lines
        raise ArchImportError(f"cannot read {display}: a symbolic link to a file outside its "
                              "folder", hint="name the file itself")
    try:
        text = read_source(p, display)
    except SourceReadError as e:
        span = Span(path=display, line=e.line, col=e.col) if e.line else None
        raise ArchImportError(e.message, span, e.hint) from None
    return text, display, p.resolve()


def _link_stays_home(path: Path) -> bool:
    """A path without symbolic links, or one whose links lead inside the folder that holds the
    first of them (or inside the current folder)."""
    absolute = Path(os.path.abspath(path))
    real = os.path.realpath(absolute)
    if real == str(absolute):
        return True
    home = Path(absolute.anchor)
    for part in absolute.parts[1:]:
        if (home / part).is_symlink():
            break
        home = home / part
    for h in (os.path.realpath(home), os.path.realpath(os.getcwd())):
        try:
            if os.path.commonpath([real, h]) == h:
                return True
        except ValueError:  # another drive
            continue
    return False


def parse_file(path: str | Path, *, check: bool = True,
               import_path: Iterable[str | Path] | None = None) -> Space:
    """Parse a .arch file into a checked Space.

    Imports resolve inside the file's folder tree, the folders of `import_path` and the bundled
    spaces/ folder; absolute paths and paths that leave those folders are refused. Raises
    ArchError for any problem of the file (ArchImportError when it cannot be read),
    ArchArgumentError (an ArchError and a TypeError) when an argument has the wrong type."""
    text, display, real = read_file(path)
    extra = _import_dirs(import_path) if import_path is not None else _IMPORT_PATH.get()
    sink = ErrorSink()
    try:
        return _parse(text, display, Roots(real.parent, extra), sink, check)
    except RecursionError:
        from .parser import too_deep

        raise too_deep(text, display) from None


def load_collecting(path: str | Path, text: str | None = None
                    ) -> tuple[Space | None, ErrorSink, str, str]:
    """Load a file without the whole-space checks, collecting errors instead of raising the
    first batch: (space or None, the sink, display name, text). For lint. `text`: the file's
    text as an editor holds it (unsaved); imports still resolve from the file's folder."""
    if text is None:
        text, display, real = read_file(path)
    else:
        display, real = _display(Path(path)), Path(path).resolve()
    sink = ErrorSink()
    roots = Roots(real.parent, _IMPORT_PATH.get())
    try:
        space = _load_text(text, display, roots.base, roots, sink, stack=())
    except RecursionError:
        from .parser import too_deep

        raise too_deep(text, display) from None
    return space, sink, display, text


#: most source text one load reads through imports, all files together
MAX_IMPORTED_CHARS = 4 * MAX_FILE_BYTES


class Roots:
    """Where imports may resolve: the root file's folder tree, --import-path folders and the
    bundled spaces/ folder (all resolved, symlinks followed)."""

    def __init__(self, base: Path, dirs: tuple[Path, ...]):
        self.base = base
        self.dirs = dirs
        self.loaded: dict[str, Space] = {}  # each file is parsed once per load (diamonds)
        self.read = 0                        # characters read through imports
        bundled = bundled_spaces_dir()
        self.all = (base,) + dirs + ((bundled.resolve(),) if bundled is not None else ())

    def inside(self, real: str) -> bool:
        for r in self.all:
            try:
                if os.path.commonpath([real, str(r)]) == str(r):
                    return True
            except ValueError:  # other drive
                continue
        return False


def _load_text(text: str, path: str, base: Path, roots: Roots, sink: ErrorSink,
               stack: tuple) -> Space:
    tree = parse_tree(text, path)
    space = to_ir(tree, path, sink)
    return _resolve_imports(space, base, roots, sink, stack + (str(Path(path).resolve()),))


def _is_absolute(spec: str) -> bool:
    return (os.path.isabs(spec) or spec.startswith(("/", "\\", "~"))
            or (len(spec) > 1 and spec[1] == ":"))


def _find_import(spec: str, base: Path, roots: Roots) -> tuple[Path | None, bool]:
    """(the resolved file, or None; whether a candidate existed outside the allowed folders)."""
    escaped = False
    for folder in (base,) + roots.all[1:]:
        candidate = os.path.realpath(folder / spec)
        if not os.path.lexists(candidate):
            continue
        if not roots.inside(candidate):
            escaped = True
            continue
        return Path(candidate), escaped
    return None, escaped


_WHERE = ("imports resolve inside the folder of the file being checked, the folders named with "
          "--import-path and the bundled spaces/ folder")


def _resolve_imports(space: Space, base: Path, roots: Roots, sink: ErrorSink,
                     stack: tuple) -> Space:
    blocks = {b.name: b for b in space.blocks}
    imports = []
    for imp in space.imports:
        if not imp.path.strip() or _is_absolute(imp.path) or "\x00" in imp.path:
            sink.add(ArchImportError(f"import path '{imp.path}' is not allowed: write a path "
                                     "relative to the importing file", imp.span, _WHERE))
            imports.append(imp)
            continue
        found, escaped = _find_import(imp.path, base, roots)
        if found is None:
            if escaped:
                sink.add(ArchImportError(f"import '{imp.path}' leaves the allowed folders",
                                         imp.span, _WHERE))
            else:
                sink.add(ArchImportError(f"cannot find import '{imp.path}'", imp.span,
                                         "paths are relative to the importing file, to a "
                                         "folder named with --import-path or to the bundled "
                                         "spaces/ folder"))
            imports.append(imp)
            continue
        if str(found) in stack:
            chain = " -> ".join(Path(s).name for s in stack + (str(found),))
            sink.add(ArchImportError(f"import cycle: {chain}", imp.span,
                                     "move the shared blocks into a file both can import"))
            imports.append(imp)
            continue
        display = _display(found)
        lib = roots.loaded.get(str(found))
        if lib is None:
            try:
                text = read_source(found, display)
            except SourceReadError as e:
                sink.add(ArchImportError(f"import '{imp.path}': {e.message}", imp.span, e.hint))
                imports.append(imp)
                continue
            roots.read += len(text)
            if roots.read > MAX_IMPORTED_CHARS:
                sink.add(ArchImportError(f"import '{imp.path}': the imports hold too much "
                                         f"source (over {MAX_IMPORTED_CHARS:,} characters)",
                                         imp.span, "a space imports a few small files"))
                imports.append(imp)
                continue
            try:
                lib = _load_text(text, display, found.parent, roots, sink, stack)
            except ArchError as e:
                sink.add(e)
                imports.append(imp)
                continue
            roots.loaded[str(found)] = lib
        for b in lib.blocks:
            b = b.model_copy(update={"origin": b.origin or display})
            if b.name in blocks and blocks[b.name] != b:
                prev = blocks[b.name]
                where = f" (first defined at {prev.span})" if prev.span else ""
                sink.add(ArchNameError(f"block '{b.name}' is defined twice{where}",
                                       b.span or imp.span, "rename one of them"))
                continue
            blocks.setdefault(b.name, b)
        imports.append(imp.model_copy(update={"resolved": display}))
    return space.model_copy(update={"blocks": tuple(blocks.values()), "imports": tuple(imports)})


def _check(space: Space, sink: ErrorSink, explorer: Explorer | None = None) -> Explorer:
    """Name and type checks that need the whole space: duplicates, then a full decision walk
    (by `explorer` when given: lint's walk, which also classifies what it finds)."""
    from .ir.settings import check_objectives, check_settings

    for what, items in (("input", space.inputs), ("output", space.outputs),
                        ("block", space.blocks), ("param", space.params)):
        seen: dict[str, Span | None] = {}
        for item in items:
            if item.name in seen:
                first = seen[item.name]
                where = None
                if first is not None:
                    same_file = item.span is not None and item.span.path == first.path
                    where = f"the first is at line {first.line}" if same_file else \
                        f"the first is at {first}"
                sink.add(ArchNameError(f"{what} '{item.name}' is declared twice", item.span,
                                       where))
                continue
            seen[item.name] = item.span
    if space.network is not None and not space.inputs:
        where = space.network[0].span if space.network else space.span
        sink.add(ArchNameError("the network has no input", where,
                               "declare one with `input image: 32x32x3`"))
    check_settings(space, sink)
    check_objectives(space, sink)
    ex = Explorer(space) if explorer is None else explorer
    ex.run()
    for e in ex.sink.items:
        sink.add(e)
    if ex.clean:  # the walk that checked the space also listed its decisions
        from .ir.decisions import remember

        remember(space, ex.result())
    return ex
