"""Helpers for the static-analysis tests: small crafted spaces and brute-force references."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

import archspace
from archspace.analysis.cardinality import enumerate_configs
from archspace.analysis.graph import build_graph
from archspace.errors import ArchError

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"
LINT_FIXTURES = ROOT / "tests" / "lint_fixtures"


@functools.lru_cache(maxsize=None)
def shipped_space(name: str):
    return archspace.parse_file(str(SPACES / f"{name}.arch"))


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SPACES.glob("*.arch"))


def brute_force(space) -> dict[str, Any]:
    """Every canonical configuration of the architecture decisions, built one by one."""
    arch = [c for c in enumerate_configs(space)]
    seen: dict[str, dict] = {}
    for c in arch:
        c = {k: v for k, v in c.items() if not k.startswith(("train/", "search/"))}
        seen.setdefault(json.dumps(c, sort_keys=True, default=str), c)
    ok, bad = [], []
    for c in seen.values():
        try:
            g = build_graph(space, c)
            ok.append((g.params, g.trainable, g.macs, c))
        except ArchError as e:
            bad.append((e, c))
    return {"configs": list(seen.values()), "ok": ok, "bad": bad}


@pytest.fixture
def parse():
    def _parse(text: str, path: str = "<test>"):
        return archspace.parse(text, path, base_dir=SPACES)
    return _parse
