"""A Pygments lexer for .arch files, registered as `arch` (entry point `pygments.lexers`), so
that ```arch blocks highlight in Sphinx, MkDocs and anything else built on Pygments:

    pygmentize -l arch spaces/squeezenet.arch
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation, String,
                            Whitespace)

from . import words as w

_END = r"\b"


class ArchLexer(RegexLexer):
    """archspace search spaces (.arch)."""

    name = "archspace"
    aliases = ["arch", "archspace"]
    filenames = ["*.arch"]
    mimetypes = ["text/x-arch"]
    url = "https://github.com/archspace/archspace"

    tokens = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r"(block)(\s+)([A-Za-z_]\w*)", bygroups(Keyword.Declaration, Whitespace,
                                                     Name.Function)),
            (r"(@)([A-Za-z_]\w*)", bygroups(Punctuation, Name.Label)),
            (r"\d+(?:x\d+)+\b", Number),
            (r"\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+", Number.Float),
            (r"\d+", Number.Integer),
            (words(w.CONSTANTS, suffix=_END), Keyword.Constant),
            (words(w.DECLARATIONS, suffix=_END), Keyword.Declaration),
            (words(w.PARAM_KINDS, suffix=_END), Keyword.Type),
            (words(w.OBJECTIVES, suffix=_END), Keyword.Pseudo),
            (words(w.control_keywords(), suffix=_END), Keyword),
            (words(w.ops(), suffix=_END), Name.Builtin),
            (words(w.merges(), suffix=_END), Name.Constant),
            (r"[A-Za-z_]\w*(?=\s*\()", Name.Function),
            (r"[A-Za-z_]\w*", Name),
            (r"\.\.|//|<=|>=|==|!=|[-+*/%<>=|]", Operator),
            (r"[{}()\[\],:;.]", Punctuation),
        ],
    }
