"""A detection space's data: one label array per output in the .npz (`classes`, `boxes`, and
`val_...` for a fixed test split), as examples/mobilenetv2_ssd_detection.py writes it and
`archspace search --data boxes.npz` reads it. Numpy only (the arrays already fit the space)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archspace
from archspace.errors import ArchError
from archspace.search.data import load_data, n_classes

SPACES = Path(__file__).resolve().parents[2] / "spaces"


@pytest.fixture(scope="module")
def ssd():
    s = archspace.parse_file(SPACES / "mobilenetv2_ssd_auto.arch")
    return s.with_overrides({"image": (32, 32, 3)})


def arrays(n: int, anchors: int, rng) -> dict[str, np.ndarray]:
    return {"image": rng.random((n, 32, 32, 3)).astype("float32"),
            "classes": rng.integers(0, 11, (n, anchors)),
            "boxes": rng.normal(size=(n, anchors, 4)).astype("float32")}


def test_per_output_labels_with_a_test_split(ssd, tmp_path):
    g = archspace.build_graph(ssd)
    a = g.node(g.outputs["classes"]).shape[0]
    rng = np.random.default_rng(0)
    train, val = arrays(20, a, rng), arrays(6, a, rng)
    path = tmp_path / "boxes.npz"
    np.savez(path, **train, **{"val_" + k: v for k, v in val.items()})
    d = load_data(str(path), ssd)
    assert (d.n_train, d.n_val) == (20, 6)
    assert set(d.y_train) == {"classes", "boxes"}
    assert d.y_train["classes"].dtype.kind == "i" and d.y_train["boxes"].dtype == np.float32
    np.testing.assert_array_equal(d.y_val["boxes"], val["boxes"])
    assert n_classes(d) is None and "20 train / 6 validation" in d.summary()
    half = load_data(str(path), ssd, fraction=0.5, seed=1)
    assert (half.n_train, half.n_val) == (10, 3)
    rows = [np.flatnonzero((train["image"] == x).all(axis=(1, 2, 3)))[0] for x in
            half.x_train["image"]]
    np.testing.assert_array_equal(half.y_train["classes"], train["classes"][rows])


def test_per_output_labels_split_off_a_validation_part(ssd, tmp_path):
    a = 6 * 9   # 32x32: maps of 2, 1, 1, 1, 1, 1 -> (4 + 5) x 6 anchors
    path = tmp_path / "boxes.npz"
    np.savez(path, **arrays(10, a, np.random.default_rng(1)))
    d = load_data(str(path), ssd, validation_split=0.2)
    assert (d.n_train, d.n_val) == (8, 2)
    assert d.y_train["boxes"].shape == (8, a, 4)


def test_mismatched_label_lengths(ssd, tmp_path):
    rng = np.random.default_rng(2)
    bad = arrays(5, 54, rng)
    bad["boxes"] = bad["boxes"][:4]
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(ArchError, match="different lengths"):
        load_data(str(tmp_path / "bad.npz"), ssd)


def test_single_output_npz_unchanged(tmp_path):
    s = archspace.parse_file(SPACES / "mlp_auto.arch")
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "lm.npz", landmarks=rng.random((40, 468, 3)).astype("float32"),
             labels=np.repeat(np.arange(8), 5), classes=np.array([str(i) for i in range(8)]))
    d = load_data(str(tmp_path / "lm.npz"), s)
    assert (d.n_train, d.n_val) == (32, 8) and n_classes(d) == 8
    assert sorted(np.bincount(d.y_val)) == [1] * 8          # stratified, as before
