"""Every construct of the language, one small fixture each (tests/fixtures/valid/*.arch).

A fixture's header lists its decisions, in order, one per line:

    # decision: PATH; KIND SOURCE; DOMAIN; DEFAULT; ACTIVE WHEN

(as `archspace show` prints them) or says `# decisions: none`. Each fixture must parse, survive
IR -> JSON -> IR unchanged, and yield exactly those decisions.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import archspace
from archspace.ir import Space
from archspace.ir.decisions import _fmt

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SPACES = ROOT / "spaces"


def shipped_spaces() -> list[Path]:
    """Every shipped template (spaces/*.arch; spaces/lib/ holds block libraries)."""
    return sorted(SPACES.glob("*.arch"))


def shipped_files() -> list[Path]:
    """Every shipped .arch file, templates and libraries."""
    return shipped_spaces() + sorted((SPACES / "lib").glob("*.arch"))


VALID = sorted((FIXTURES / "valid").glob("*.arch"))


def expected_decisions(text: str) -> list[str] | None:
    lines = [ln[len("# decision:"):].strip() for ln in text.splitlines()
             if ln.startswith("# decision:")]
    if lines:
        return lines
    if any(ln.strip() == "# decisions: none" for ln in text.splitlines()):
        return []
    return None


def decision_line(d) -> str:
    return f"{d.path}; {d.kind} {d.source}; {d.domain_str()}; {_fmt(d.default)}; {d.when_str()}"


def test_there_are_fixtures():
    assert len(VALID) >= 15


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_fixture_decisions(path):
    text = path.read_text()
    expected = expected_decisions(text)
    assert expected is not None, f"{path.name}: the header lists no '# decision:' lines"
    space = archspace.parse_file(path)
    got = [decision_line(d) for d in archspace.decisions(space)]
    assert got == expected


@pytest.mark.parametrize("path", VALID + shipped_files(), ids=lambda p: p.stem)
def test_json_round_trip(path):
    space = archspace.parse_file(path)
    text = space.to_json()
    back = Space.from_json(text)
    assert back == space
    assert back.to_json() == text
    assert back.model_dump() == space.model_dump()
    # spans are not data: never dumped, and a re-parsed space without them compares equal
    assert '"span"' not in text
    assert archspace.decisions(back) == archspace.decisions(space)


@pytest.mark.parametrize("path", VALID + shipped_files(), ids=lambda p: p.stem)
def test_decisions_parents_first_and_configs(path):
    space = archspace.parse_file(path)
    dl = archspace.decisions(space)
    seen: set[str] = set()
    for d in dl:
        for conj in d.when:
            for c in conj:
                assert c.path in seen, f"{d.path} is listed before {c.path}, which it depends on"
        assert d.contains(d.default), d.path
        seen.add(d.path)
    default = archspace.default_config(space)
    assert archspace.canonical(space, default, strict=True) == default
    rng = random.Random(0)
    for _ in range(5):
        cfg = archspace.sample_config(space, rng)
        # a sample holds exactly the active decisions, each inside its domain: it is canonical
        assert archspace.canonical(space, cfg, strict=True) == cfg
        json.dumps(cfg)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_fixture_builds(path):
    """The fixtures are real networks: the default and some random configurations build."""
    space = archspace.parse_file(path)
    if space.network is None:
        return
    archspace.build_graph(space)
    for seed in range(3):
        archspace.build_graph(space, archspace.sample_config(space, seed))


def test_spans_point_into_the_source():
    path = FIXTURES / "valid" / "optional.arch"
    space = archspace.parse_file(path)
    lines = path.read_text().splitlines()
    stmt = space.network[0]
    assert stmt.kind == "optional" and stmt.span is not None
    assert lines[stmt.span.line - 1][stmt.span.col - 1:].startswith("optional conv(8, 1x1)")
    d = archspace.decisions(space).get("ratio")
    assert d is not None and d.span is not None
    assert lines[d.span.line - 1].startswith("param ratio")


def test_block_library_and_imports():
    space = archspace.parse_file(FIXTURES / "valid" / "header.arch")
    assert space.name == "header_demo" and space.description == "A header with everything"
    assert space.task == "detection"
    assert [(i.name, i.shape) for i in space.inputs] == [
        ("image", (32, 32, 3)), ("landmarks", (468, 3)), ("features", (10,))]
    assert [o.name for o in space.outputs] == ["classes", "boxes"]
    names = {b.name: b for b in space.blocks}
    assert {"conv_bn", "fire", "se"} <= set(names)
    # an imported block remembers its file; relative imports first, then the bundled spaces/
    assert names["conv_bn"].origin.endswith("blocks.arch")
    assert names["fire"].origin.endswith("squeezenet.arch")
    resolved = [i.resolved for i in space.imports]
    assert resolved[0].endswith("valid/lib/blocks.arch")
    assert resolved[1].endswith("spaces/lib/squeezenet.arch")


def test_strings_and_lexical_forms():
    space = archspace.parse_file(FIXTURES / "valid" / "syntax_forms.arch")
    assert space.description == 'Lexical forms: "quoted", back\\slash'
    rates = [s.args[0].value for s in space.network if s.kind == "call" and s.op == "dropout"]
    assert rates == [0.5, 1e-3, 0.25]
