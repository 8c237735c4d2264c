"""Data loaders: digits fitted to the space, a fixed stratified split, --fraction, .npz files
(several inputs, per-pixel labels), image folders, and the Keras datasets' offline message."""

from __future__ import annotations

import numpy as np
import pytest

import archspace
from archspace.errors import ArchError
from archspace.search import LOADERS, load_data

from search_helpers import space_file


@pytest.fixture(scope="module")
def small():
    return archspace.parse_file(space_file("small"))


def test_digits_fit_the_space(small):
    d = load_data("digits", small)
    assert d.x_train["image"].shape[1:] == (32, 32, 3)
    assert d.x_train["image"].dtype == np.float32
    assert 0.0 <= d.x_train["image"].min() and d.x_train["image"].max() <= 1.0
    assert d.n_train + d.n_val == 1797 and abs(d.n_val - 0.2 * 1797) < 10
    assert set(np.unique(d.y_val)) == set(range(10))          # stratified
    assert any("resized 8x8" in n for n in d.notes)


def test_fraction_and_seeded_split(small):
    a = load_data("digits", small, fraction=0.1, seed=0)
    b = load_data("digits", small, fraction=0.1, seed=0)
    c = load_data("digits", small, fraction=0.1, seed=1)
    assert abs(a.n_train - 0.1 * 0.8 * 1797) < 15 and abs(a.n_val - 0.1 * 0.2 * 1797) < 12
    assert set(np.unique(a.y_train)) == set(range(10))
    assert np.array_equal(a.y_train, b.y_train) and np.array_equal(a.x_val["image"],
                                                                  b.x_val["image"])
    assert not np.array_equal(a.x_train["image"], c.x_train["image"])


def test_datasets_are_built_once(small):
    d = load_data("digits", small, fraction=0.05)
    assert d.train_dataset(32) is d.train_dataset(32)
    x, y = next(iter(d.val_dataset(8)))
    assert tuple(x.shape) == (8, 32, 32, 3) and tuple(y.shape) == (8,)


def test_npz_with_two_inputs_and_a_fixed_validation_set(tmp_path):
    space = archspace.parse_file(space_file("two_inputs"))
    rng = np.random.default_rng(0)
    path = tmp_path / "faces.npz"
    np.savez(path, image=rng.integers(0, 255, (30, 20, 20, 3), dtype=np.uint8),
             depth=rng.random((30, 16, 16, 1), dtype=np.float32), labels=rng.integers(0, 3, 30),
             val_image=rng.integers(0, 255, (6, 20, 20, 3), dtype=np.uint8),
             val_depth=rng.random((6, 16, 16, 1), dtype=np.float32),
             val_labels=rng.integers(0, 3, 6))
    d = load_data(str(path), space)
    assert d.x_train["image"].shape == (30, 16, 16, 3) and d.x_train["depth"].shape[0] == 30
    assert d.n_val == 6 and d.x_train["image"].max() <= 1.0
    x, y = next(iter(d.train_dataset(4)))
    assert set(x) == {"image", "depth"}


def test_npz_errors_name_the_arrays(tmp_path, small):
    path = tmp_path / "bad.npz"
    np.savez(path, pictures=np.zeros((4, 8, 8)))
    with pytest.raises(ArchError) as e:
        load_data(str(path), small)
    assert "labels" in e.value.message and "pictures" in e.value.message


def test_segmentation_labels_are_resized_per_pixel(tmp_path):
    space = archspace.parse_file(space_file("segment"))
    x = np.zeros((10, 32, 32, 1), np.float32)
    y = np.zeros((10, 32, 32), np.int64)
    y[:, :16] = 1
    path = tmp_path / "seg.npz"
    np.savez(path, image=x, labels=y)
    d = load_data(str(path), space)
    assert d.y_train.shape[1:3] == (16, 16) and set(np.unique(d.y_train)) == {0, 1}


def test_image_folder_one_subfolder_per_class(tmp_path, small):
    from PIL import Image

    from archspace.search.engine import fit_outputs

    rng = np.random.default_rng(0)
    for k, cls in enumerate(["cat", "dog", "owl"]):
        (tmp_path / cls).mkdir()
        for i in range(5):
            a = (rng.random((12, 10, 3)) * 255).astype("uint8")
            Image.fromarray(a).save(tmp_path / cls / f"{i}.png")
    d = load_data(str(tmp_path), small)
    assert d.classes == ["cat", "dog", "owl"] and d.n_train + d.n_val == 15
    assert d.x_train["image"].shape[1:] == (32, 32, 3)
    notes: list[str] = []
    fitted = fit_outputs(small, d, notes)      # 10-class template, 3-class data
    assert archspace.build_graph(fitted).node(archspace.build_graph(fitted).outputs["classes"]) \
        .shape == (3,)
    assert "3 classes" in notes[0]


def test_keras_datasets_fail_offline_with_a_way_out(small, monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure on https://www.cs.toronto.edu/: None -- "
                        "[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    with pytest.raises(ArchError) as e:
        load_data("cifar10", small)
    assert "no network" in e.value.message
    assert ".npz" in e.value.hint and "folder" in e.value.hint and "digits" in e.value.hint
    assert {"digits", "mnist", "cifar10"} <= set(LOADERS)


def test_unknown_data_suggests(small):
    with pytest.raises(ArchError) as e:
        load_data("digit", small)
    assert "digits" in (e.value.hint or "")
