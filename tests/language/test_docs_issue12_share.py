"""The numbers docs/language.md states for weight sharing and towers positions (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import archspace
from archspace.analysis.cardinality import cardinality

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"


def example_after(marker: str) -> archspace.Space:
    text = DOC.read_text()
    block = re.search(r"```arch\n(.*?)```", text[text.index(marker):], re.S).group(1)
    return archspace.parse(block, "docs/language.md")


def test_shared_weights_example():
    s = example_after("### Shared weights")
    assert [d.path for d in archspace.decisions(s)] == ["rounds", "rounds/body/kernel"]
    for r in (1, 2, 3):
        g = archspace.build_graph(s, {"rounds": r, "rounds/body/kernel": 3})
        assert g.params == 4_066
        assert sum(n.params for n in g.nodes if n.name.startswith("u.")) == 1_304
        assert [n.params for n in g.nodes if n.name in ("rounds_0.body", "rounds_0.conv", "dense")] == \
            [2_320, 272, 170]


def test_towers_positions_example():
    s = example_after("Positions named by labels, one of them")
    assert cardinality(s).architectures == 8
    n = {at: archspace.build_graph(s, {"towers/at": at, "groups": 2}).params
         for at in ("stem", "b0", "pool0", "groups")}
    assert n["stem"] == 10_058 and n["b0"] == n["pool0"] == 14_698 == 10_058 + 2 * 2_320
    g = archspace.build_graph(s, {"towers/at": "b0", "groups": 2})
    names = [x.name for x in g.nodes]
    assert names[names.index("merge_b0") + 1] == "groups_0.pool0"
