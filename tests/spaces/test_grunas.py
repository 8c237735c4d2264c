"""GruNAS (seed 003): the network of the authors' public log (facts.md section 2), and gconv."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.analysis.cardinality import cardinality
from archspace.blocks import get_op
from archspace.blocks.conv import group_split

SPACES = Path(__file__).resolve().parents[2] / "spaces"
UNITS = [f"unit{k}/g" for k in range(1, 11)]
LOG_H = (4, 1, 1, 2, 2, 3, 2, 4, 4, 4)      # the log's group indices
PAPER_H = (4, 1, 1, 2, 2, 3, 2, 4, 4, 6)    # the paper prints h10 = 6
# facts.md: unit trainable params for the log's H, input widths 12 ... 384
LOG_UNITS = (180, 756, 756, 2_088, 2_088, 6_864, 7_632, 24_480, 24_480, 95_040)


def space():
    return archspace.parse_file(SPACES / "grunas_shufflenet.arch")


def test_group_split_is_the_logs():
    assert group_split(6, 4) == (1, 1, 1, 3)
    assert group_split(12, 4) == (3, 3, 3, 3)
    assert group_split(96, 6) == (16,) * 6
    assert group_split(5, 1) == (5,)


def test_gconv_counts_per_group():
    op = get_op("gconv")
    args = op.bind([12, 4], {"bias": False})
    assert op.n_params(args, (18, 18, 6)) == (1 * 3 + 1 * 3 + 1 * 3 + 3 * 3, 0)
    assert op.out_shape(args, (18, 18, 6)) == (18, 18, 12)


def test_gconv_refuses_an_empty_group():
    from archspace.errors import ArchShapeError

    s = archspace.parse("space t\ninput x: 8x8x2\nnetwork {\n  gconv(8, 4)\n}\n")
    with pytest.raises(ArchShapeError, match="empty group"):
        archspace.build_graph(s)


def test_the_logged_network_statically():
    s = space()
    dl = archspace.decisions(s)
    assert [d.path for d in dl] == UNITS
    assert all(tuple(d.domain_values()) == (1, 2, 3, 4, 6) for d in dl)
    assert cardinality(s).architectures == 5 ** 10
    g = archspace.build_graph(s, dict(zip(UNITS, LOG_H)))
    assert g.trainable == 168_574
    assert archspace.build_graph(s, dict(zip(UNITS, PAPER_H))).trainable == 162_430
    per_unit = [sum(n.trainable for n in g.nodes if n.path.split("/")[0] == f"unit{k}")
                for k in range(1, 11)]
    assert per_unit == list(LOG_UNITS)
    stem = sum(n.trainable for n in g.nodes if n.name.startswith(("stem", "bn")))
    head = next(n for n in g.nodes if n.name == "fc")
    assert (stem, head.trainable) == (360, 3_850)
    assert [n.shape[-1] for n in g.nodes if n.op in ("concat", "add")] == \
        [24, 24, 48, 48, 96, 96, 192, 192, 384, 384]


@pytest.mark.parametrize("g", (1, 2, 3, 4, 6))
def test_every_group_count_fits_every_unit(g):
    archspace.build_graph(space(), {u: g for u in UNITS})


def test_the_logged_network_in_keras(tmp_path):
    import keras

    s = space()
    for h, expected in ((LOG_H, 168_574), (PAPER_H, 162_430)):
        model = archspace.to_keras(s, dict(zip(UNITS, h)), compile=False)
        assert sum(int(keras.ops.size(w)) for w in model.trainable_weights) == expected
    path = tmp_path / "grunas.keras"
    model.save(path)
    again = keras.saving.load_model(path)   # GroupConv2D is registered by `import archspace`
    assert sum(int(keras.ops.size(w)) for w in again.trainable_weights) == 162_430


@pytest.mark.slow   # a fresh interpreter importing TensorFlow
def test_a_saved_gconv_model_loads_after_import_archspace(tmp_path):
    """GroupConv2D is registered when keras is imported after archspace, in a fresh process."""
    import subprocess
    import sys

    s = archspace.parse("space g\ninput x: 6x6x6\nnetwork {\n  gconv(12, 4)\n}\n")
    archspace.to_keras(s).save(tmp_path / "g.keras")
    code = ("import archspace, keras\n"
            f"m = keras.saving.load_model({str(tmp_path / 'g.keras')!r})\n"
            "print(type(m.layers[-1]).__name__, m.count_params())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split()[-2:] == ["GroupConv2D", str(1 * 3 * 3 + 3 * 3 + 12)]
