"""docs/formatting.md cannot rot: its before/after pair is what `format_source` does, the
result is a valid space, and the pages that document `fmt` name the hook and the command."""

from __future__ import annotations

from pathlib import Path

import archspace
from archspace.fmt import format_source
from archspace.fmt.markdown import FENCE

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "formatting.md"


def test_before_and_after_pair():
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text())]
    kinds = [k for k, _ in blocks]
    i = kinds.index("arch-unformatted")
    (_, before), (kind, after) = blocks[i], blocks[i + 1]
    assert kind == "arch"
    assert before != after
    assert format_source(before) == after
    archspace.parse(after, "docs/formatting.md")  # a space that passes every check


def test_hook_and_command_are_documented():
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: archspace-fmt" in hooks and "entry: archspace fmt" in hooks
    readme = (ROOT / "README.md").read_text()
    assert "id: archspace-fmt" in readme and "docs/formatting.md" in readme
    assert "archspace fmt --check spaces/" in DOC.read_text()
