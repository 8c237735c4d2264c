"""The grammar and the transformer stay in step: each named rule (and alias) of
grammar/archspace.lark has exactly one `ToIR` method, no method is left over, and the valid
fixtures use every rule at least once."""

from __future__ import annotations

import re
from pathlib import Path

from archspace.parser import get_parser, grammar_path, parse_tree
from archspace.transformer import ToIR

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
GRAMMAR = ROOT / "grammar" / "archspace.lark"
SPACES = ROOT / "spaces"


def shipped_spaces() -> list[Path]:
    """Every shipped template (spaces/*.arch; spaces/lib/ holds block libraries)."""
    return sorted(SPACES.glob("*.arch"))


def shipped_files() -> list[Path]:
    """Every shipped .arch file, templates and libraries."""
    return shipped_spaces() + sorted((SPACES / "lib").glob("*.arch"))


_RULE = re.compile(r"^(\??)([a-z_][a-z0-9_]*)\s*:", re.M)
_ALIAS = re.compile(r"->\s*([a-z_][a-z0-9_]*)")


def grammar_text() -> str:
    # strip comments (a `//` inside a quoted terminal is not a comment)
    return re.sub(r'^\s*//.*$|(?<=\s)//(?![^"]*"\s*\|).*$', "", GRAMMAR.read_text(), flags=re.M)


def named_rules() -> set[str]:
    """Rules that always make a tree: not inlined (`_rule`) nor inlined-when-single (`?rule`),
    plus every alias."""
    text = grammar_text()
    names = {name for q, name in _RULE.findall(text) if not q and not name.startswith("_")}
    return names | set(_ALIAS.findall(text))


def tree_names_lark_can_build() -> set[str]:
    """The same set from Lark's compiled rules (catches `?rule` alternatives of several
    children, which do make a tree)."""
    out = set()
    for r in get_parser().rules:
        name = r.alias or r.origin.name
        name = getattr(name, "name", name)
        if str(name).startswith("_"):
            continue
        kept = [s for s in r.expansion if not getattr(s, "filter_out", False)]
        if r.options.expand1 and not r.alias and len(kept) == 1:
            continue
        out.add(str(name))
    return out


def methods() -> set[str]:
    return {n for n, v in vars(ToIR).items() if callable(v) and not n.startswith("_")}


def test_grammar_file_is_the_one_the_parser_uses():
    assert grammar_path().resolve() == GRAMMAR.resolve()


def test_rules_found():
    rules = named_rules()
    assert {"start", "space_decl", "call_stmt", "towers_stmt", "binop", "in_attr"} <= rules
    assert not any(r.startswith("_") for r in rules)


def test_every_rule_has_a_transformer_method():
    missing = (named_rules() | tree_names_lark_can_build()) - methods()
    assert not missing, f"grammar rules without a ToIR method: {sorted(missing)}"


def test_no_method_without_a_rule():
    stale = methods() - named_rules() - tree_names_lark_can_build()
    assert not stale, f"ToIR methods that match no grammar rule: {sorted(stale)}"


def test_the_fixtures_use_every_rule():
    used: set[str] = set()
    for path in sorted((FIXTURES / "valid").rglob("*.arch")) + shipped_files():
        tree = parse_tree(path.read_text(), str(path))
        used |= {t.data for t in tree.iter_subtrees()}
    unused = named_rules() - used
    assert not unused, f"no valid fixture uses these rules: {sorted(unused)}"
