"""Paths the search tests share (a module of its own: `conftest` is not unique in tests/)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SPACES = HERE / "spaces"
ROOT = HERE.parents[1]


def space_file(name: str) -> Path:
    return SPACES / f"{name}.arch"
