"""Search-test helpers: the small spaces, digits fitted to 32x32x3 once per worker, and a
quiet search call with the tests' defaults (one epoch, a few trials, no TensorBoard)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from search_helpers import space_file


@pytest.fixture(scope="session")
def digits32():
    """The real digits, resized to 32x32x3, 10% of them (about 140 train / 36 validation):
    built once and shared by every search in the worker (every test space is 32x32x3)."""
    import archspace
    from archspace.search import load_data

    space = archspace.parse_file(space_file("small"))
    return load_data("digits", space, fraction=0.1, seed=0)


@pytest.fixture
def run_search(digits32, tmp_path):
    """search(space_name, **overrides) -> SearchResult, quiet, in tmp_path/run."""
    import archspace

    def run(name: str, **kw):
        kw.setdefault("data", digits32)
        kw.setdefault("epochs", 1)
        kw.setdefault("trials", 3)
        kw.setdefault("out", tmp_path / "run")
        kw.setdefault("tensorboard", False)
        kw.setdefault("verbose", False)
        space = name if isinstance(name, Path) else space_file(name)
        return archspace.search(space, **kw)

    return run
