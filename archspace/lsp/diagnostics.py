"""Lint findings as LSP diagnostics, and the quick fixes their hints name."""

from __future__ import annotations

import difflib
import re
from typing import Any

from lsprotocol import types as T

from ..analysis.findings import Finding
from .document import Analysis
from .positions import to_range

SEVERITY = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning,
            "info": T.DiagnosticSeverity.Information}
SOURCE = "archspace"

_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'")
_QUOTED = re.compile(r"'([^']+)'")


def diagnostics(doc: Analysis) -> list[T.Diagnostic]:
    return [_diagnostic(f, doc) for f in doc.findings]


def _diagnostic(f: Finding, doc: Analysis) -> T.Diagnostic:
    message = f.message
    if f.span is not None and f.span.path != doc.display:
        # a problem inside an imported file: shown on the import that brings it in
        message = f"{f.span}: {message}"
        where = _import_of(doc, f.span.path)
        rng = to_range(where, doc.lines) if where is not None else \
            T.Range(T.Position(0, 0), T.Position(0, 0))
    else:
        rng = to_range(f.span, doc.lines)
    data: dict[str, Any] = {}
    if f.hint:
        message += f"\nhint: {f.hint}"
        fix = fix_of(f) if f.span is None or f.span.path == doc.display else None
        if fix is not None:  # (a fix belongs in the file that has the problem)
            data["fix"] = fix
    return T.Diagnostic(range=rng, message=message, severity=SEVERITY.get(f.severity),
                        code=f.code, source=SOURCE, data=data or None)


def _import_of(doc: Analysis, path: str) -> Any:
    if doc.space is None:
        return None
    for imp in doc.space.imports:
        if imp.resolved == path:
            return imp.span
    # imported through another import: the first one stands for them all
    return doc.space.imports[0].span if doc.space.imports else None


def fix_of(f: Finding) -> dict[str, str] | None:
    """{"old": word, "new": replacement} when the hint names a replacement ("did you mean
    'conv'?") and the message quotes the word to replace."""
    m = _DID_YOU_MEAN.search(f.hint or "")
    if not m:
        return None
    new = m.group(1)
    stated = re.search(r"instead of '([^']+)'", f.hint or "")
    quoted = [stated.group(1)] if stated else [q for q in _QUOTED.findall(f.message) if q != new]
    if not quoted:
        return None
    # the message may quote other names too ("argument 'act' ... got 'rel'"): the misspelt
    # word is the one closest to the suggestion
    old = max(quoted, key=lambda q: difflib.SequenceMatcher(None, q, new).ratio())
    return {"old": old, "new": new}


def code_actions(doc: Analysis, params: T.CodeActionParams) -> list[T.CodeAction]:
    out = []
    for d in params.context.diagnostics:
        fix = d.data.get("fix") if isinstance(d.data, dict) else None
        if not fix:
            continue
        edit = _replace_in(doc, d.range, fix["old"], fix["new"])
        if edit is None:
            continue
        out.append(T.CodeAction(
            title=f"Replace '{fix['old']}' with '{fix['new']}'",
            kind=T.CodeActionKind.QuickFix, diagnostics=[d], is_preferred=True,
            edit=T.WorkspaceEdit(changes={doc.uri: [edit]})))
    return out


def _replace_in(doc: Analysis, rng: T.Range, old: str, new: str) -> T.TextEdit | None:
    """An edit of the first whole-word `old` at or after the range's start on its line."""
    line = rng.start.line
    if not 0 <= line < len(doc.lines):
        return None
    text = doc.lines[line]
    from .positions import char_col, utf16_col

    start = char_col(text, rng.start.character)
    for m in re.finditer(r"(?<![A-Za-z0-9_])" + re.escape(old) + r"(?![A-Za-z0-9_])", text):
        if m.start() >= start or m.end() > start:
            return T.TextEdit(range=T.Range(T.Position(line, utf16_col(text, m.start())),
                                            T.Position(line, utf16_col(text, m.end()))),
                              new_text=new)
    return None
