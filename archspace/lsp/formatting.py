"""Formatting through `archspace fmt`: one edit replacing the whole text with its canonical
layout; nothing when the text does not parse (the diagnostics say why) or is formatted."""

from __future__ import annotations

from lsprotocol import types as T

from ..errors import ArchError
from .document import Analysis
from .positions import utf16_col


def format_document(doc: Analysis) -> list[T.TextEdit] | None:
    from ..fmt import format_source

    try:
        new = format_source(doc.text, path=doc.display)
    except ArchError:
        return None
    if new == doc.text:
        return []
    last = doc.lines[-1] if doc.lines else ""
    end = T.Position(max(len(doc.lines) - 1, 0), utf16_col(last, len(last)))
    return [T.TextEdit(range=T.Range(T.Position(0, 0), end), new_text=new)]
