"""Helpers for the Keras back-end tests: parsed spaces (cached) and small input overrides that
keep Keras builds and forward passes cheap on a 2-core CPU."""

from __future__ import annotations

import functools
from pathlib import Path

import archspace
from archspace.errors import ArchShapeError

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"

#: the smallest image side the test overrides shrink inputs to
SMALL = 32


@functools.lru_cache(maxsize=None)
def space(name: str, image: tuple[int, ...] | None = None, classes: int | None = None):
    """A shipped space (spaces/NAME.arch), with its first input and output overridden."""
    s = archspace.parse_file(str(SPACES / f"{name}.arch"))
    ins = {s.inputs[0].name: image} if image else None
    outs = {s.outputs[0].name: classes} if classes else None
    return s.with_overrides(ins, outs) if ins or outs else s


@functools.lru_cache(maxsize=None)
def small(name: str):
    """The space with every image input shrunk to SMALL x SMALL (channels kept) when its
    default configuration still fits; else unchanged."""
    s = space(name)
    new = {i.name: (SMALL, SMALL, i.shape[2]) for i in s.inputs
           if len(i.shape) == 3 and min(i.shape[:2]) > SMALL}
    if not new:
        return s
    shrunk = s.with_overrides(new)
    try:
        archspace.build_graph(shrunk)
    except ArchShapeError:
        return s
    return shrunk


def shipped() -> list[str]:
    return sorted(p.stem for p in SPACES.glob("*.arch"))


def count(model) -> int:
    return int(model.count_params())
