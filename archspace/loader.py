"""Files -> a complete Space: parse, build the IR, follow imports, check names and types."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ArchError, ArchImportError, ArchNameError, ArchSyntaxError, ErrorSink
from .ir import Space
from .ir.decisions import Explorer
from .parser import parse_tree
from .source import Span
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


def parse(text: str, path: str = "<string>", *, base_dir: str | Path | None = None,
          check: bool = True) -> Space:
    """Parse source text into a checked Space."""
    base = Path(base_dir) if base_dir else (Path(path).parent if path != "<string>" else Path.cwd())
    sink = ErrorSink()
    try:
        return _parse(text, path, base, sink, check)
    except RecursionError:
        from .parser import too_deep

        raise too_deep(text, path) from None


def _parse(text: str, path: str, base: Path, sink: ErrorSink, check: bool) -> Space:
    space = _load_text(text, path, base, sink, stack=())
    # errors of the file itself (arity, duplicate sections...) leave a usable IR: go on to
    # find the rest; a missing or broken import would only add follow-on errors
    if check and not any(isinstance(e, (ArchImportError, ArchSyntaxError)) for e in sink.items):
        _check(space, sink)
    sink.raise_if_any()
    return space


def parse_file(path: str | Path, *, check: bool = True) -> Space:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArchImportError(f"no such file: {path}", hint="check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ArchImportError(f"cannot read {path}: {e}") from None
    return parse(text, _display(p), base_dir=p.resolve().parent, check=check)


def _load_text(text: str, path: str, base: Path, sink: ErrorSink, stack: tuple) -> Space:
    tree = parse_tree(text, path)
    space = to_ir(tree, path, sink)
    return _resolve_imports(space, base, sink, stack + (str(Path(path).resolve()),))


def _find_import(spec: str, base: Path) -> Path | None:
    candidates = [base / spec]
    bundled = bundled_spaces_dir()
    if bundled is not None:
        candidates.append(bundled / spec)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    return None


def _resolve_imports(space: Space, base: Path, sink: ErrorSink, stack: tuple) -> Space:
    blocks = {b.name: b for b in space.blocks}
    imports = []
    for imp in space.imports:
        found = _find_import(imp.path, base)
        if found is None:
            sink.add(ArchImportError(f"cannot find import '{imp.path}'", imp.span,
                                     "paths are relative to the importing file or to the "
                                     "bundled spaces/ folder"))
            imports.append(imp)
            continue
        if str(found) in stack:
            chain = " -> ".join(Path(s).name for s in stack + (str(found),))
            sink.add(ArchImportError(f"import cycle: {chain}", imp.span,
                                     "move the shared blocks into a file both can import"))
            imports.append(imp)
            continue
        try:
            text = found.read_text(encoding="utf-8")
            lib = _load_text(text, _display(found), found.parent, sink, stack)
        except ArchError as e:
            sink.add(e)
            imports.append(imp)
            continue
        for b in lib.blocks:
            if b.name in blocks and blocks[b.name] != b:
                prev = blocks[b.name]
                where = f" (first defined at {prev.span})" if prev.span else ""
                sink.add(ArchNameError(f"block '{b.name}' is defined twice{where}",
                                       b.span or imp.span, "rename one of them"))
                continue
            blocks.setdefault(b.name, b.model_copy(update={"origin": b.origin or _display(found)}))
        imports.append(imp.model_copy(update={"resolved": _display(found)}))
    return space.model_copy(update={"blocks": tuple(blocks.values()), "imports": tuple(imports)})


def _check(space: Space, sink: ErrorSink) -> None:
    """Name and type checks that need the whole space: duplicates, then a full decision walk."""
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
    ex = Explorer(space)
    ex.run()
    for e in ex.sink.items:
        sink.add(e)
    if not ex.sink.items:  # the walk that checked the space also listed its decisions
        from .ir.decisions import remember

        remember(space, ex.result())
