"""`archspace lsp` driven as an editor drives it: JSON-RPC over the child's stdin/stdout."""

from __future__ import annotations

import time
from pathlib import Path

#: seconds a hover may keep saying the sizes are being computed
TIMEOUT = 60

LIB = """\
block pair(c) {
  conv(c, 3x3, relu)
  conv(c, 3x3, relu) as second
}
"""

SPACE = """\
space demo "an LSP test space"
import "lib.arch"

input image: 32x32x3
output classes: 10

network {
  param width = choice(16, 32) default 32
  conv(width, 3x3, relu) as stem
  repeat stages[k] in 1..2 default 1 {
    pair(width * (k + 1))
    maxpool(2x2)
  }
  pool(choice(max, avg), 2x2)
  global_avg_pool
  dense(classes, softmax)
}
"""

# a typo in an op name, then an unfinished statement: the server must answer both
TYPO = SPACE.replace("maxpool(2x2)", "maxpoll(2x2)")
BROKEN = SPACE.replace("global_avg_pool", "global_avg_pool(")


def _open(client, tmp_path: Path, text: str = SPACE) -> str:
    (tmp_path / "lib.arch").write_text(LIB)
    path = tmp_path / "demo.arch"
    path.write_text(text)
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "arch", "version": 1, "text": text}})
    return uri


def _change(client, uri: str, version: int, text: str) -> None:
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"text": text}]})


def _pos(text: str, needle: str, offset: int = 0) -> dict:
    i = text.index(needle) + offset
    line = text.count("\n", 0, i)
    return {"line": line, "character": i - (text.rfind("\n", 0, i) + 1)}


def _at(uri: str, text: str, needle: str, offset: int = 0) -> dict:
    return {"textDocument": {"uri": uri}, "position": _pos(text, needle, offset)}


def _hover(client, params: dict) -> str:
    """The hover's text, asked again while the server says the sizes are being computed
    (the whole-space check runs on its worker thread after the diagnostics)."""
    end = time.monotonic() + TIMEOUT
    while True:
        value = client.request("textDocument/hover", params)["contents"]["value"]
        if "being computed" not in value or time.monotonic() > end:
            return value
        time.sleep(0.1)


def test_capabilities(client):
    caps = client.capabilities
    for key in ("hoverProvider", "completionProvider", "definitionProvider",
                "documentSymbolProvider", "codeActionProvider",
                "documentFormattingProvider"):
        assert caps.get(key), key


def test_diagnostics_follow_the_edits(client, tmp_path):
    uri = _open(client, tmp_path)
    assert client.diagnostics(uri, 1) == []

    _change(client, uri, 2, TYPO)
    (d,) = client.diagnostics(uri, 2)
    assert d["code"] == "AS103" and d["severity"] == 1 and d["source"] == "archspace"
    assert "maxpoll" in d["message"] and "did you mean 'maxpool'" in d["message"]
    assert d["range"]["start"] == _pos(TYPO, "maxpoll")
    assert d["range"]["end"] == _pos(TYPO, "maxpoll", len("maxpoll"))

    # the quick fix the hint names
    (action,) = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}})
    assert action["kind"] == "quickfix"
    (edit,) = action["edit"]["changes"][uri]
    assert edit["newText"] == "maxpool" and edit["range"] == d["range"]

    _change(client, uri, 3, BROKEN)
    (d,) = client.diagnostics(uri, 3)
    # `dense(...)` reads as an argument of the open call: the parser stops at the brace
    assert d["code"] == "AS001" and d["severity"] == 1
    assert d["range"]["start"] == _pos(BROKEN, "}\n", BROKEN.rindex("}") - BROKEN.index("}\n"))

    _change(client, uri, 4, SPACE)
    assert client.diagnostics(uri, 4) == []


def test_lint_findings_are_diagnostics(client, tmp_path):
    text = SPACE.replace("choice(16, 32) default 32", "choice(16) default 16")
    uri = _open(client, tmp_path, text)
    diags = client.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["AS105"]
    assert diags[0]["severity"] == 2 and "hint:" in diags[0]["message"]


def test_whole_space_findings_follow(client, tmp_path):
    """The whole-space check's findings come in a second publish of the same version."""
    text = SPACE.replace("in 1..2 default 1", "in 1..5 default 1")  # 32 / 2**5: 1x1 < 2x2
    uri = _open(client, tmp_path, text)
    assert client.diagnostics(uri, 1) == []
    (d,) = client.diagnostics(uri, 1)
    assert d["code"] == "AS101" and "stages = " in d["message"]
    assert d["range"]["start"] == _pos(text, "pool(choice")


def test_hover(client, tmp_path):
    uri = _open(client, tmp_path)
    client.diagnostics(uri, 1)
    # an op: its signature, what it builds, and the statement's sizes
    value = _hover(client, _at(uri, SPACE, "conv(width", 1))
    assert "conv(filters, kernel=3" in value and "Conv2D" in value
    assert "| default | 32x32x32 | 896 |" in value          # 3*3*3*32 + 32
    assert "| smallest model" in value and "| largest model" in value
    # a parameter: its decision, domain, default and when it is active
    value = client.request("textDocument/hover", _at(uri, SPACE, "width * (k"))["contents"]["value"]
    assert "`width`" in value and "16 \\| 32" in value and "always" in value
    # an inline searched value
    value = client.request("textDocument/hover",
                           _at(uri, SPACE, "choice(max", 2))["contents"]["value"]
    assert "`pool/op`" in value and "max \\| avg" in value
    # a structure decision, active only when the repeat has a second copy
    value = _hover(client, _at(uri, SPACE, "repeat", 1))
    assert "`stages`" in value and "1..2" in value
    # nothing there: no hover, no error
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 5, "character": 0}}) is None


def test_completion(client, tmp_path):
    uri = _open(client, tmp_path)
    client.diagnostics(uri, 1)
    # at the start of a statement: ops, blocks, keywords, names in scope
    labels = {i["label"] for i in client.request(
        "textDocument/completion", _at(uri, SPACE, "  global_avg_pool", 2))["items"]}
    assert {"conv", "dense", "pair", "repeat", "optional", "width", "stem"} <= labels
    # inside a call: that op's argument names and flag values
    labels = {i["label"] for i in client.request(
        "textDocument/completion", _at(uri, SPACE, "3x3, relu) as stem", 5))["items"]}
    assert {"filters=", "stride=", "act=", "relu"} <= labels and "repeat" not in labels
    # a block's argument names
    text = SPACE.replace("pair(width * (k + 1))", "pair(")
    _change(client, uri, 2, text)
    labels = {i["label"] for i in client.request(
        "textDocument/completion", _at(uri, text, "pair(", 5))["items"]}
    assert "c=" in labels


def test_definition(client, tmp_path):
    uri = _open(client, tmp_path)
    client.diagnostics(uri, 1)
    loc = client.request("textDocument/definition", _at(uri, SPACE, "width * (k"))
    assert loc["uri"] == uri and loc["range"]["start"] == _pos(SPACE, "param width")
    loc = client.request("textDocument/definition", _at(uri, SPACE, "pair("))
    assert loc["uri"] == (tmp_path / "lib.arch").as_uri()
    assert loc["range"]["start"] == {"line": 0, "character": 0}
    loc = client.request("textDocument/definition", _at(uri, SPACE, "lib.arch"))
    assert loc["uri"] == (tmp_path / "lib.arch").as_uri()
    loc = client.request("textDocument/definition", _at(uri, SPACE, "(k + 1)", 1))
    assert loc["range"]["start"] == _pos(SPACE, "repeat")


def test_document_symbols(client, tmp_path):
    uri = _open(client, tmp_path)
    client.diagnostics(uri, 1)
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    names = [s["name"] for s in symbols]
    assert names == ['import "lib.arch"', "image", "classes", "network"]
    network = symbols[-1]["children"]
    assert [s["name"] for s in network][:3] == ["width", "conv as stem", "repeat stages"]
    assert [s["name"] for s in network[2]["children"]] == ["pair", "maxpool"]


def test_formatting(client, tmp_path):
    messy = SPACE.replace("  conv(width, 3x3, relu) as stem", "conv( width,3x3 ,relu)   as stem")
    uri = _open(client, tmp_path, messy)
    client.diagnostics(uri, 1)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                       "options": {"tabSize": 2,
                                                                   "insertSpaces": True}})
    from archspace.fmt import format_source

    (edit,) = edits
    assert edit["newText"] == format_source(messy) and "  conv(width, 3x3, relu) as stem" in \
        edit["newText"]
    assert edit["range"]["start"] == {"line": 0, "character": 0}


def test_broken_text_never_crashes(client, tmp_path):
    uri = _open(client, tmp_path, "network { conv(")
    client.diagnostics(uri, 1)
    for i, text in enumerate(["", "(((((", "block {", "network { repeat x in 1.. {", "\x00",
                              "network {" + "(" * 500]):
        _change(client, uri, i + 2, text)
        client.diagnostics(uri, i + 2)
        for method in ("textDocument/hover", "textDocument/completion",
                       "textDocument/definition"):
            client.request(method, {"textDocument": {"uri": uri},
                                    "position": {"line": 0, "character": 3}})
        client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                   "options": {"tabSize": 2,
                                                               "insertSpaces": True}})
    assert client.proc.poll() is None


def test_shutdown_and_exit(client):
    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.proc.wait(timeout=30) == 0


def test_saving_an_import_checks_its_importers_again(client, tmp_path):
    uri = _open(client, tmp_path)
    assert client.diagnostics(uri, 1) == []
    lib = tmp_path / "lib.arch"
    renamed = LIB.replace("block pair(", "block pair2(")
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": lib.as_uri(), "languageId": "arch", "version": 1, "text": LIB}})
    client.diagnostics(lib.as_uri(), 1)
    _change(client, lib.as_uri(), 2, renamed)
    lib.write_text(renamed)
    client.notify("textDocument/didSave", {"textDocument": {"uri": lib.as_uri()}})
    (d,) = client.diagnostics(uri, 1)
    assert d["code"] == "AS103" and "'pair'" in d["message"] and "pair2" in d["message"]


def test_incremental_changes_and_utf16_columns(client, tmp_path):
    uri = _open(client, tmp_path)
    client.diagnostics(uri, 1)
    # the editor sends only the edited range: `maxpool` -> `maxpoll`
    at = _pos(SPACE, "maxpool", 5)
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": {"start": at, "end": {**at, "character": at["character"] + 1}},
                            "text": "l"}]})
    (d,) = client.diagnostics(uri, 2)
    assert d["code"] == "AS103" and d["range"]["start"] == _pos(TYPO, "maxpoll")
    # a character outside the Basic Multilingual Plane is two UTF-16 units: the stray one
    # after `global_avg_pool` is at code-point column 18, UTF-16 columns 18-20 (0-based)
    text = SPACE.replace("  global_avg_pool", "  global_avg_pool \U0001F600")
    _change(client, uri, 3, text)
    (d,) = client.diagnostics(uri, 3)
    assert d["code"] == "AS001" and d["range"]["start"]["line"] == _pos(text, "global")["line"]
    assert (d["range"]["start"]["character"], d["range"]["end"]["character"]) == (18, 20)


def test_broken_text_answers_from_the_last_version_that_loaded(client, tmp_path):
    uri = _open(client, tmp_path)
    client.diagnostics(uri, 1)
    _change(client, uri, 2, BROKEN)
    client.diagnostics(uri, 2)
    # the same word at the same place: the last good version answers
    value = client.request("textDocument/hover", _at(uri, BROKEN, "width * (k"))["contents"]["value"]
    assert "`width`" in value
    loc = client.request("textDocument/definition", _at(uri, BROKEN, "width * (k"))
    assert loc["range"]["start"] == _pos(SPACE, "param width")
    # a place whose word changed: no stale answer
    text = BROKEN.replace("as stem", "as trunk")
    _change(client, uri, 3, text)
    client.diagnostics(uri, 3)
    assert client.request("textDocument/hover", _at(uri, text, "trunk")) is None
    assert client.request("textDocument/hover", _at(uri, SPACE, "stem")) is None


def test_a_problem_inside_an_import_is_shown_on_the_import(client, tmp_path):
    (tmp_path / "lib.arch").write_text(LIB.replace("as second", "as second second"))
    path = tmp_path / "demo.arch"
    path.write_text(SPACE)
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "arch", "version": 1, "text": SPACE}})
    (d,) = client.diagnostics(uri, 1)   # `second second` reads as a call of `second`
    assert d["code"] == "AS103" and d["message"].startswith("lib.arch:3:32: unknown op")
    assert d["range"]["start"] == _pos(SPACE, 'import "lib.arch"')
    # its fix belongs in lib.arch, not on the import line
    assert client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": d["range"],
        "context": {"diagnostics": [d]}}) == []


def test_settings(client, tmp_path):
    text = SPACE + "\ntrain {\n  optimizer = choice(adam, sgd)\n  epochs = 3\n  \n}\n"
    uri = _open(client, tmp_path, text)
    assert client.diagnostics(uri, 1) == []
    value = client.request("textDocument/hover", _at(uri, text, "epochs"))["contents"]["value"]
    assert value.startswith("**train.epochs**: maximum epochs per trial")
    value = client.request("textDocument/hover", _at(uri, text, "sgd"))["contents"]["value"]
    assert "`train/optimizer`" in value and "adam \\| sgd" in value
    items = client.request("textDocument/completion", _at(uri, text, "  \n}", 2))["items"]
    labels = {i["label"] for i in items}
    assert {"learning_rate", "batch_size", "early_stop"} <= labels and "conv" not in labels
