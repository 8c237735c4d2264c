"""`archspace lsp`: a Language Server for .arch files (pygls + lsprotocol, over stdio).

Every answer comes from the parts the command line uses: the loader and lint give the
diagnostics, the op registry and the decision list give hovers and completions, the
whole-space check and the graph builder give a statement's shape and size, `archspace.fmt`
formats. The server (`server.py`) only wires them to the protocol; `document.py` analyses one
version of a document once, and the feature modules read that analysis.

pygls is an optional dependency (`pip install "archspace[lsp]"`); nothing else in archspace
imports this package.
"""

from __future__ import annotations


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    from .server import make_server

    make_server().start_io()
