"""docs/editor.md shows real answers: its example's diagnostic, quick fix and hovers are what
the server computes for that text (in-process: the same functions the server calls)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as T  # noqa: E402

from archspace.lsp.diagnostics import code_actions, diagnostics  # noqa: E402
from archspace.lsp.document import Analysis  # noqa: E402
from archspace.lsp.hover import hover  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "editor.md").read_text()


def _block(lang: str, n: int = 0) -> str:
    return re.findall(rf"```{lang}\n(.*?)```", PAGE, re.S)[n]


def _table_after(marker: str) -> list[str]:
    rest = PAGE[PAGE.index(marker):]
    return [line for line in rest.splitlines() if line.startswith("|")][:5]


def _hover(doc: Analysis, needle: str, offset: int = 0) -> str:
    i = doc.text.index(needle) + offset
    line = doc.text.count("\n", 0, i)
    pos = T.Position(line, i - (doc.text.rfind("\n", 0, i) + 1))
    return hover(doc, pos).contents.value


def test_example_answers(tmp_path):
    text = _block("arch")
    uri = (tmp_path / "tiny.arch").as_uri()
    doc = Analysis(uri, 1, text)
    doc.deepen()
    (d,) = diagnostics(doc)
    shown = _block("text").strip().splitlines()
    assert f"{d.code} {d.message}".splitlines() == shown
    r = d.range
    assert (r.start.line + 1, r.start.character + 1, r.end.character) == (11, 5, 11)
    (fix,) = code_actions(doc, T.CodeActionParams(
        text_document=T.TextDocumentIdentifier(uri=uri), range=d.range,
        context=T.CodeActionContext(diagnostics=[d])))
    assert f"*{fix.title}*" in PAGE

    fixed = Analysis(uri, 2, text.replace("maxpoll", "maxpool"))
    fixed.deepen()
    assert diagnostics(fixed) == []
    decision = _table_after("| decision |")[:3]
    assert "\n".join(decision) in _hover(fixed, "param width", 6)
    sizes = _table_after("| configuration |")
    assert "\n".join(sizes) in _hover(fixed, "conv(width * (k")


def test_lsp_without_pygls_says_how_to_install():
    code = ("import sys; sys.modules['pygls'] = None; from archspace.cli import main; "
            "sys.exit(main(['lsp']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 3          # EXIT_MISSING_EXTRA, as for every other extra
    assert 'pip install "archspace[lsp]"' in r.stderr and r.stdout == ""
