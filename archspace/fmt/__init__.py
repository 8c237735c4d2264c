"""`archspace fmt`: one canonical layout for .arch source.

    from archspace.fmt import format_source
    format_source(text)          # the formatted text, or an ArchSyntaxError for broken text

Only the space between tokens changes (indentation, spacing, blank lines); the tokens, their
order, the comments and the ';' stay. Every result is checked: the formatted text must read as
the same tokens and the same IR, or FormatError is raised and nothing should be written.
"""

from __future__ import annotations

from .api import FormatError, format_source, is_formatted

__all__ = ["FormatError", "format_source", "is_formatted"]
