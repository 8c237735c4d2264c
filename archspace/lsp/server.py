"""The protocol side: pygls features that read `Analysis` objects.

Each open document is analysed once per version (`Documents`); diagnostics are published a
moment after the last change (`DEBOUNCE_S`), so typing does not queue one analysis per key.
Every feature runs inside `guarded`: a bug or a pathological text is logged and answered
with an empty result, never a crashed server."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer

from .. import __version__
from .document import Analysis

log = logging.getLogger("archspace.lsp")

#: seconds without a change before diagnostics are computed and published
DEBOUNCE_S = 0.15


class Documents:
    """The analysis of the current version of each open document, and the latest one that
    loaded (hover, completion and navigation use it while the text does not parse)."""

    def __init__(self, server: LanguageServer):
        self.server = server
        self.current: dict[str, Analysis] = {}
        self.loaded: dict[str, Analysis] = {}

    def get(self, uri: str) -> Analysis:
        doc = self.server.workspace.get_text_document(uri)
        text = doc.source
        a = self.current.get(uri)
        if a is None or a.version != doc.version or a.text != text:
            a = self.current[uri] = Analysis(uri, doc.version, text)
            if a.space is not None:
                self.loaded[uri] = a
        return a

    def usable(self, uri: str, pos: T.Position | None = None) -> Analysis:
        """The current analysis if its text loaded, else the latest that did, provided the
        same word stands at `pos` in both texts (lines may have moved since)."""
        a = self.get(uri)
        b = self.loaded.get(uri)
        if a.space is not None or b is None:
            return a
        if pos is not None and _word(a, pos) != _word(b, pos):
            return a
        return b

    def close(self, uri: str) -> None:
        self.current.pop(uri, None)
        self.loaded.pop(uri, None)


def _word(a: Analysis, pos: T.Position) -> Any:
    from .positions import to_line_col, word_at

    return word_at(a.lines, *to_line_col(pos, a.lines))


def guarded(default: Any = None) -> Callable:
    """Answer `default` when a feature raises (logged with its traceback)."""

    def wrap(fn: Callable) -> Callable:
        if asyncio.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(ls: Any, params: Any) -> Any:
                try:
                    return await fn(ls, params)
                except BaseException as e:  # noqa: BLE001 - RecursionError, MemoryError too
                    if isinstance(e, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                        raise
                    _report(ls, fn.__name__, e)
                    return default
            return run_async

        @functools.wraps(fn)
        def run(ls: Any, params: Any) -> Any:
            try:
                return fn(ls, params)
            except BaseException as e:  # noqa: BLE001
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                _report(ls, fn.__name__, e)
                return default
        return run

    return wrap


def _report(ls: Any, what: str, e: BaseException) -> None:
    log.error("%s failed", what, exc_info=e)
    try:
        ls.window_log_message(T.LogMessageParams(type=T.MessageType.Error,
                                                 message=f"archspace: {what} failed: "
                                                         f"{type(e).__name__}: {e}"[:500]))
    except Exception:  # the client may be gone
        pass


def make_server() -> LanguageServer:
    server = LanguageServer("archspace", __version__,
                            text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
    docs = Documents(server)
    pending: dict[str, asyncio.Task] = {}

    def publish(ls: LanguageServer, a: Analysis) -> None:
        from .diagnostics import diagnostics

        ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(
            uri=a.uri, version=a.version, diagnostics=diagnostics(a)))

    async def analyse(ls: LanguageServer, uri: str, delay: float) -> None:
        """Publish the diagnostics of the current version: those of the load and the quick
        rules first, then again with the whole-space rules' findings when they add any;
        then the sizes hovers show. Requests that arrive meanwhile are answered in between."""
        await asyncio.sleep(delay)
        try:
            a = docs.get(uri)
            publish(ls, a)
            await asyncio.sleep(0)
            if docs.current.get(uri) is not a:
                return
            # the whole-space work runs on a worker thread: requests are answered meanwhile
            loop = asyncio.get_running_loop()
            if await loop.run_in_executor(None, a.deepen) and docs.current.get(uri) is a:
                publish(ls, a)
            if docs.current.get(uri) is a:
                # computed between keystrokes, ready for a hover
                await loop.run_in_executor(None, lambda: a.sizes)
        except Exception as e:  # noqa: BLE001
            _report(ls, "diagnostics", e)
        finally:
            if pending.get(uri) is asyncio.current_task():
                pending.pop(uri, None)

    def schedule(ls: LanguageServer, uri: str, delay: float = DEBOUNCE_S) -> None:
        old = pending.pop(uri, None)
        if old is not None:
            old.cancel()
        pending[uri] = asyncio.ensure_future(analyse(ls, uri, delay))

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: LanguageServer, params: T.DidOpenTextDocumentParams) -> None:
        schedule(ls, params.text_document.uri, 0)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: LanguageServer, params: T.DidChangeTextDocumentParams) -> None:
        schedule(ls, params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    @guarded()
    def did_save(ls: LanguageServer, params: T.DidSaveTextDocumentParams) -> None:
        # the saved file may be imported by the others: analyse every open document again
        for uri in list(docs.current):
            docs.current.pop(uri, None)
            schedule(ls, uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: LanguageServer, params: T.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        docs.close(uri)
        ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    @guarded()
    def hover(ls: LanguageServer, params: T.HoverParams) -> T.Hover | None:
        from .hover import hover as answer

        return answer(docs.usable(params.text_document.uri, params.position), params.position)

    @server.feature(T.TEXT_DOCUMENT_COMPLETION,
                    T.CompletionOptions(trigger_characters=["(", ","]))
    @guarded()
    def completion(ls: LanguageServer, params: T.CompletionParams) -> T.CompletionList | None:
        from .completion import completion as answer

        uri = params.text_document.uri
        return answer(docs.get(uri), docs.usable(uri), params.position)

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    @guarded()
    def definition(ls: LanguageServer, params: T.DefinitionParams) -> T.Location | None:
        from .navigation import definition as answer

        return answer(docs.usable(params.text_document.uri, params.position), params.position)

    @server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(default=[])
    def symbols(ls: LanguageServer, params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
        from .navigation import document_symbols

        return document_symbols(docs.usable(params.text_document.uri))

    @server.feature(T.TEXT_DOCUMENT_CODE_ACTION,
                    T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
    @guarded(default=[])
    def code_action(ls: LanguageServer, params: T.CodeActionParams) -> list[T.CodeAction]:
        from .diagnostics import code_actions

        return code_actions(docs.get(params.text_document.uri), params)

    @server.feature(T.TEXT_DOCUMENT_FORMATTING)
    @guarded(default=None)
    def formatting(ls: LanguageServer, params: T.DocumentFormattingParams
                   ) -> list[T.TextEdit] | None:
        from .formatting import format_document

        return format_document(docs.get(params.text_document.uri))

    return server
