"""docs/language.md cannot rot: every ```arch block parses (```arch-fragment blocks are pieces
of a file and are skipped), and the decisions its first example claims are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import archspace
from archspace.ir.decisions import _fmt

ROOT = Path(__file__).resolve().parents[2]

DOC = ROOT / "docs" / "language.md"
_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def blocks(kind: str) -> list[tuple[int, str]]:
    text = DOC.read_text()
    return [(text[: m.start()].count("\n") + 1, m.group(2))
            for m in _FENCE.finditer(text) if m.group(1) == kind]


def test_doc_has_examples():
    assert len(blocks("arch")) >= 15
    assert blocks("arch-fragment")


@pytest.mark.parametrize("line, text", blocks("arch"), ids=lambda x: f"line{x}"
                         if isinstance(x, int) else "")
def test_arch_block_parses(line, text):
    space = archspace.parse(text, f"docs/language.md@{line}", base_dir=ROOT / "docs")
    # and it is a sensible network: the default and a few random configurations build
    archspace.build_graph(space)
    for seed in range(3):
        archspace.build_graph(space, archspace.sample_config(space, seed))


def test_first_example_table_is_true():
    """The decision table after the first example lists exactly its decisions."""
    text = DOC.read_text()
    _, first = blocks("arch")[0]
    space = archspace.parse(first, "docs/language.md", base_dir=ROOT / "docs")
    table_start = text.index("| path | kind | domain | default | active when |")
    rows = []
    for ln in text[table_start:].splitlines()[2:]:
        if not ln.startswith("|"):
            break
        cells = [c.strip().replace("\\|", "|").strip("`") for c in
                 re.split(r"(?<!\\)\|", ln)[1:-1]]
        rows.append(cells)
    got = [[d.path, d.kind, d.domain_str(), _fmt(d.default), d.when_str()]
           for d in archspace.decisions(space)]
    assert rows == got


def test_settings_tables_list_every_key():
    from archspace.ir.settings import SEARCH_KEYS, TRAIN_KEYS

    text = DOC.read_text()
    for section, keys in (("train", TRAIN_KEYS), ("search", SEARCH_KEYS)):
        start = text.index(f"| `{section}` key |")
        table = text[start:text.index("\n\n", start)]
        documented = re.findall(r"^\| `(\w+)` \|", table, re.M)
        assert documented == list(keys), section
