"""Highlighting: the Pygments lexer and the TextMate grammar read every shipped .arch file
(and the docs' examples) without an error token, their word lists are the grammar's keywords
and the registry's ops, the committed TextMate grammar is the generated one, and the VS Code
extension folder is complete."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pygments.token import Error, Keyword, Name

from archspace.blocks import MERGES, REGISTRY
from archspace.fmt.markdown import arch_blocks
from archspace.highlight import textmate
from archspace.highlight import words as w
from archspace.highlight.pygments_lexer import ArchLexer
from archspace.ir.nodes import STATEMENT_KEYWORDS
from archspace.parser import get_parser

import onig_ctypes as onig  # a helper beside this file (tests/ folders are not packages)

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR_FILE = VSCODE / "syntaxes" / "arch.tmLanguage.json"


def sources() -> list[tuple[str, str]]:
    files = sorted((ROOT / "spaces").rglob("*.arch")) + sorted(
        (ROOT / "tests" / "fixtures" / "valid").glob("*.arch"))
    out = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in files]
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        out += [(f"{page.name}@{line}", body)
                for line, body in arch_blocks(page.read_text(encoding="utf-8"))]
    return out


SOURCES = sources()
IDS = [name for name, _ in SOURCES]


# -- word lists ------------------------------------------------------------------------------
def test_keywords_are_the_grammars():
    literal = {t.pattern.value for t in get_parser().terminals
               if t.pattern.type == "str" and t.pattern.value.isidentifier()}
    assert literal <= set(w.keywords())
    assert set(STATEMENT_KEYWORDS) <= set(w.keywords())
    assert {"true", "false", "maximize", "minimize", "shared", "project"} <= set(w.keywords())
    # every keyword falls in exactly one colour class
    classes = [w.DECLARATIONS, w.PARAM_KINDS, w.CONSTANTS, w.OBJECTIVES, w.control_keywords()]
    assert sorted(x for c in classes for x in c) == sorted(w.keywords())


def test_ops_are_the_registrys():
    assert set(w.ops()) == set(REGISTRY)
    assert set(w.merges()) == set(MERGES) - set(REGISTRY)


def test_pygments_lexer_colours_every_keyword_and_op():
    lexer = ArchLexer()
    for word in w.keywords():
        (tok, text), *_ = lexer.get_tokens(word)
        assert tok in Keyword and text == word, word
    for op in w.ops():
        (tok, text), *_ = lexer.get_tokens(op)
        assert tok is Name.Builtin and text == op, op


def test_textmate_lists_every_keyword_and_op():
    repo = json.loads(GRAMMAR_FILE.read_text())["repository"]
    listed = set()
    for rule in repo.values():
        m = re.fullmatch(r"\\b\(\?:([\w|]+)\)\\b", rule.get("match", ""))
        if m:
            listed |= set(m.group(1).split("|"))
    assert set(w.keywords()) | set(w.ops()) | set(w.merges()) == listed


def test_committed_textmate_grammar_is_the_generated_one():
    assert GRAMMAR_FILE.read_text() == textmate.render(), (
        "regenerate: python -m archspace.highlight.textmate > "
        "editors/vscode/syntaxes/arch.tmLanguage.json")


# -- Pygments ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, text", SOURCES, ids=IDS)
def test_pygments_reads_without_errors(name: str, text: str):
    tokens = list(ArchLexer().get_tokens(text))
    bad = [(tok, v) for tok, v in tokens if tok in Error]
    assert not bad, bad[:5]
    assert "".join(v for _, v in tokens).rstrip("\n") == text.rstrip("\n")


def test_pygments_marks_what_is_not_arch():
    assert any(tok in Error for tok, _ in ArchLexer().get_tokens("network { conv(1) $ }\n"))


def test_pygments_entry_point():
    # (read without tomllib: Python 3.10 has none)
    pyproject = (ROOT / "pyproject.toml").read_text()
    section = pyproject.split('[project.entry-points."pygments.lexers"]', 1)[1]
    target = re.search(r'^arch\s*=\s*"([^"]+)"', section, re.M).group(1)
    ep = EntryPoint(name="arch", value=target, group="pygments.lexers")
    lexer = ep.load()
    assert lexer is ArchLexer and "arch" in lexer.aliases and "*.arch" in lexer.filenames


# -- TextMate, tokenised the way TextMate does it ------------------------------------------------
def _patterns() -> list[tuple[re.Pattern, dict]]:
    grammar = json.loads(GRAMMAR_FILE.read_text())
    out = []
    for inc in grammar["patterns"]:
        rule = grammar["repository"][inc["include"].lstrip("#")]
        out.append((re.compile(rule["match"]), rule))
    return out


def textmate_scopes(line: str, patterns) -> list[str | None]:
    """The scope of each character of a line: at each point the rule whose match starts
    earliest wins (the first listed on a tie), as in TextMate and VS Code."""
    scopes: list[str | None] = [None] * len(line)
    pos = 0
    while pos < len(line):
        best = None
        for regex, rule in patterns:
            m = regex.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        if "name" in rule:
            scopes[m.start():m.end()] = [rule["name"]] * (m.end() - m.start())
        for group, cap in rule.get("captures", {}).items():
            if m.group(int(group)) is not None:
                a, b = m.span(int(group))
                scopes[a:b] = [cap["name"]] * (b - a)
        pos = m.end()
    return scopes


def test_textmate_grammar_is_well_formed():
    grammar = json.loads(GRAMMAR_FILE.read_text())
    assert grammar["scopeName"] == "source.arch"
    for inc in grammar["patterns"]:
        assert inc["include"].lstrip("#") in grammar["repository"]
    assert len(_patterns()) == len(grammar["patterns"])  # every regex compiles


@pytest.mark.parametrize("name, text", SOURCES, ids=IDS)
def test_textmate_reads_without_errors(name: str, text: str):
    patterns = _patterns()
    for n, line in enumerate(text.splitlines(), 1):
        scopes = textmate_scopes(line, patterns)
        for col, (ch, scope) in enumerate(zip(line, scopes), 1):
            if ch.isspace():
                continue
            assert scope is not None and not scope.startswith("invalid"), \
                f"{name}:{n}:{col}: {ch!r} gets {scope}"


def test_textmate_scopes_of_a_line():
    scopes = textmate_scopes('  conv(f, 3x3) as c  # hi', _patterns())
    assert scopes[2] == "support.function.op.arch"
    assert scopes[10] == "constant.numeric.dims.arch"
    assert scopes[15] == "keyword.control.arch"
    assert scopes[-1] == "comment.line.number-sign.arch"
    assert textmate_scopes("$", _patterns()) == ["invalid.illegal.arch"]


# -- the VS Code extension -------------------------------------------------------------------------
def test_vscode_extension_folder():
    manifest = json.loads((VSCODE / "package.json").read_text())
    (lang,) = manifest["contributes"]["languages"]
    (gram,) = manifest["contributes"]["grammars"]
    assert lang["id"] == gram["language"] == "arch" and ".arch" in lang["extensions"]
    assert (VSCODE / lang["configuration"]).is_file()
    assert (VSCODE / gram["path"]).resolve() == GRAMMAR_FILE
    assert gram["scopeName"] == "source.arch"
    assert "vscode-languageclient" in manifest["dependencies"]
    assert (VSCODE / manifest["main"]).is_file()
    assert "onLanguage:arch" in manifest["activationEvents"]
    from archspace.fmt.layout import INDENT

    defaults = manifest["contributes"]["configurationDefaults"]["[arch]"]
    assert defaults["editor.tabSize"] == len(INDENT) and defaults["editor.insertSpaces"]
    props = manifest["contributes"]["configuration"]["properties"]
    assert props["archspace.server.args"]["default"] == ["lsp"]
    config = json.loads((VSCODE / "language-configuration.json").read_text())
    assert config["comments"]["lineComment"] == "#"
    client = (VSCODE / "extension.js").read_text()
    assert "vscode-languageclient/node" in client and "TransportKind.stdio" in client


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="an extra check with Node's regular expressions")
def test_node_reads_the_extension_and_grammar():
    """With Node there: the client script parses, and the grammar's regular expressions,
    run by JavaScript's engine, scope every character of every shipped space as Python's do."""
    r = subprocess.run([NODE, "--check", str(VSCODE / "extension.js")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    script = r"""
const fs = require("fs");
const g = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const pats = g.patterns.map(p => g.repository[p.include.slice(1)]);
const res = pats.map(r => new RegExp(r.match, "g"));
const bad = [];
for (const file of process.argv.slice(3)) {
  fs.readFileSync(file, "utf8").split("\n").forEach((line, n) => {
    let pos = 0;
    while (pos < line.length) {
      let best = null, bi = -1;
      res.forEach((re, i) => {
        re.lastIndex = pos;
        const m = re.exec(line);
        if (m && m[0].length && (!best || m.index < best.index)) { best = m; bi = i; }
      });
      if (!best) break;
      const gap = line.slice(pos, best.index);
      if (gap.trim()) bad.push(`${file}:${n + 1}: unscoped ${gap}`);
      const scope = pats[bi].name || "";
      if (scope.startsWith("invalid")) bad.push(`${file}:${n + 1}: ${best[0]}`);
      pos = best.index + best[0].length;
    }
    if (line.slice(pos).trim()) bad.push(`${file}:${n + 1}: unscoped tail`);
  });
}
console.log(JSON.stringify(bad));
"""
    files = [str(p) for p in sorted((ROOT / "spaces").rglob("*.arch"))]
    r = subprocess.run([NODE, "-e", script, "x", str(GRAMMAR_FILE), *files],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


ONIG = onig.load()


@pytest.mark.skipif(ONIG is None, reason="an extra check with the Oniguruma library")
def test_oniguruma_reads_every_shipped_space():
    """Where libonig is installed: the grammar's expressions compiled and run by Oniguruma,
    the engine of TextMate and VS Code, scope every character as Python's `re` does."""
    grammar = json.loads(GRAMMAR_FILE.read_text())
    rules = [grammar["repository"][p["include"].lstrip("#")] for p in grammar["patterns"]]
    regexes = [onig.Regex(ONIG, r["match"]) for r in rules]
    patterns = _patterns()
    for name, text in SOURCES:
        for n, line in enumerate(text.splitlines(), 1):
            data = line.encode("utf-8")
            scopes: list[str | None] = [None] * len(data)
            pos = 0
            while pos < len(data):
                best = None
                for regex, rule in zip(regexes, rules):
                    m = regex.search(data, pos)
                    if m and m[0][1] > m[0][0] and (best is None or m[0][0] < best[0][0][0]):
                        best = (m, rule)
                if best is None:
                    break
                m, rule = best
                (a, b) = m[0]
                if "name" in rule:
                    scopes[a:b] = [rule["name"]] * (b - a)
                for group, cap in rule.get("captures", {}).items():
                    ga, gb = m[int(group)]
                    if ga >= 0:
                        scopes[ga:gb] = [cap["name"]] * (gb - ga)
                pos = b
            # the same scopes as the Python engine, character by character
            by_char = []
            for i, ch in enumerate(line):
                by_char.append(scopes[len(line[:i].encode("utf-8"))])
            assert by_char == textmate_scopes(line, patterns), f"{name}:{n}"
