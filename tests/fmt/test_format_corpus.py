"""Every .arch text the project ships formats: shipped spaces and libraries, the valid and
lint fixtures, the ```arch examples of the docs. The result is a fixed point (formatting it
again changes nothing), holds the same tokens and comments, and means the same: the IR of the
loaded space (imports resolved) is equal before and after."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.errors import ArchError, ArchSyntaxError
from archspace.fmt import format_source
from archspace.fmt.markdown import FENCE, arch_blocks, format_markdown
from archspace.fmt.tokens import items

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def arch_files() -> list[Path]:
    return (sorted((ROOT / "spaces").rglob("*.arch"))
            + sorted((ROOT / "tests" / "fixtures" / "valid").rglob("*.arch"))
            + sorted((ROOT / "tests" / "fixtures" / "agreement").rglob("*.arch"))
            + sorted((ROOT / "tests" / "lint_fixtures").rglob("*.arch")))


def doc_examples() -> list[tuple[str, str]]:
    return [(f"{page.relative_to(ROOT)}@{line}", body) for page in DOCS
            for line, body in arch_blocks(page.read_text(encoding="utf-8"))]


def meaning(text: str, path: str, base: Path):
    """The loaded space without the whole-space checks, or the errors loading reports."""
    try:
        return archspace.parse(text, path, base_dir=base, check=False)
    except ArchError as e:
        return [(type(x).__name__, x.message) for x in e.errors]


def tokens(text: str) -> list[tuple[str, str]]:
    return [(it.type, it.text) for it in items(text)][:-1]


def check_formats(text: str, path: str, base: Path) -> str:
    out = format_source(text, path=path)
    assert format_source(out, path=path) == out, "not a fixed point"
    assert tokens(out) == tokens(text.lstrip("\ufeff"))
    assert meaning(out, path, base) == meaning(text, path, base)
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert all(line == line.rstrip() for line in out.splitlines())
    return out


@pytest.mark.parametrize("path", arch_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_file_formats(path: Path):
    text = path.read_text(encoding="utf-8")
    rel = str(path.relative_to(ROOT))
    if path.name.startswith("AS001"):  # the syntax-error fixture: an error with a place
        with pytest.raises(ArchSyntaxError) as e:
            format_source(text, path=rel)
        assert e.value.span is not None and e.value.span.path == rel
        return
    check_formats(text, rel, path.parent)


def test_corpus_is_there():
    assert len([p for p in arch_files() if p.parts[-2] in ("spaces", "lib")]) >= 15
    assert len(doc_examples()) >= 15


@pytest.mark.parametrize("where, text", doc_examples(), ids=[w for w, _ in doc_examples()])
def test_doc_example_formats(where: str, text: str):
    check_formats(text, where, ROOT / "docs")


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_markdown_page_formats(page: Path):
    text = page.read_text(encoding="utf-8")
    out = format_markdown(text, path=page.name)
    assert format_markdown(out, path=page.name) == out
    # the ```arch blocks are formatted, and nothing else changes
    assert [b for _, b in arch_blocks(out)] == [format_source(b) for _, b in arch_blocks(text)]
    assert _outside_arch(out) == _outside_arch(text)


def _outside_arch(text: str) -> str:
    return FENCE.sub(lambda m: "<arch>" if m.group(1) == "arch" else m.group(0), text)
