"""A long-lived process (a notebook, an editor's language server) can parse and analyse spaces
without end: what archspace keeps per space or per source file stays bounded, and a search
leaves Keras Tuner's settings as it found them, even when it fails."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import archspace
from archspace import source
from archspace.ir import config as config_module
from archspace.ir import decisions as decisions_module

ROOT = Path(__file__).resolve().parents[2]
TEXT = ("input image: 8x8x1\noutput classes: 2\nnetwork {{\n"
        "  conv(choice({a}, {b}), 3x3)\n  global_avg_pool\n  dense(classes)\n}}\n")


def test_caches_per_space_and_per_file_stay_bounded():
    n = max(source.MAX_SOURCES, 256) + 50
    for i in range(n):  # every space a new object from a new "file", as an editor makes them
        s = archspace.parse(TEXT.format(a=4 + i, b=5 + i), path=f"space{i}.arch")
        archspace.config_hash(s, archspace.sample_config(s, seed=i))
    gc.collect()
    assert len(source._SOURCES) <= source.MAX_SOURCES and len(source._LINES) <= source.MAX_SOURCES
    assert len(decisions_module._CACHE) <= 64
    assert len(config_module._SPACE_HASHES) <= 256 and len(config_module._PLANS) <= 64
    # the most recent ones are still there: an error shows its source line
    assert source.source_line(f"space{n - 1}.arch", 4) == f"  conv(choice({n + 3}, {n + 4}), 3x3)"
    assert source.source_line("space0.arch", 4) is None        # the oldest was let go


def test_a_cached_value_belongs_to_its_object_not_to_a_reused_id():
    from archspace.cache import PerObject

    cache: PerObject[str] = PerObject(2)
    a, b, c = object(), object(), object()
    cache.put(a, "a"), cache.put(b, "b")
    assert cache.get(a) == "a"            # a is now the most recent: b goes first
    cache.put(c, "c")
    assert cache.get(b) is None and cache.get(a) == "a" and cache.get(c) == "c"
    assert cache.get(object()) is None


@pytest.mark.slow
def test_a_search_leaves_keras_tuners_debug_flag_alone_even_on_error(tmp_path):
    from keras_tuner.src import config as kt_config

    from archspace.search import search
    from archspace.search.events import Listener

    class Interrupted(BaseException):   # like Ctrl-C: no trial-level handler catches it
        pass

    class Stop(Listener):
        def trial_start(self, info):
            raise Interrupted("stop in the first trial")

    space = archspace.parse_file(ROOT / "tests" / "search" / "spaces" / "small.arch")
    for before in (True, False):
        kt_config.DEBUG = before
        with pytest.raises(Interrupted, match="stop in the first trial"):
            search(space, "digits", trials=1, epochs=1, fraction=0.1, out=tmp_path / str(before),
                   tensorboard=False, listener=Stop(), strategy="random")
        assert kt_config.DEBUG is before
    kt_config.DEBUG = True
