"""Bad data is refused once, on load, with one line naming the file or array and what is wrong,
before a run folder exists or a trial trains: non-finite inputs, one class, labels outside the
output's classes, mismatched lengths, scalar or wrongly shaped arrays, decompression bombs and
corrupt images, and zero-sized `--input` shapes."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import archspace
from archspace.errors import ArchError
from archspace.search import load_data

from search_helpers import ROOT, space_file

SPACES = ROOT / "spaces"


# ---- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    return archspace.parse_file(space_file("small"))          # 32x32x3 -> 10 classes


@pytest.fixture(scope="module")
def two():
    return archspace.parse_file(space_file("two_inputs"))     # image 16x16x3, depth 16x16x1


@pytest.fixture(scope="module")
def ssd():
    s = archspace.parse_file(SPACES / "mobilenetv2_ssd_auto.arch")
    return s.with_overrides({"image": (32, 32, 3)})


def images(n: int = 20, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 32, 32, 3)).astype("float32")


def labels(n: int = 20, k: int = 3, seed: int = 0) -> np.ndarray:
    return np.arange(n) % k


def npz(tmp_path: Path, name: str = "bad.npz", **arrays) -> str:
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def png_header_only(path: Path, w: int, h: int) -> None:
    """A valid PNG signature and IHDR claiming w x h, with a few bytes of pixel data: a few
    hundred bytes that a decoder would allocate w*h pixels for."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)        # 8-bit gray
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                     chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def png_bomb(path: Path, w: int, h: int) -> None:
    """A complete 1-bit PNG of w x h black pixels: it decompresses to w*h pixels in full."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    z = zlib.compressobj(9)
    row = b"\0" * (1 + (w + 7) // 8)
    body = b"".join(z.compress(row * 500) for _ in range(h // 500)) + \
        z.compress(row * (h % 500)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) +
                     chunk(b"IEND", b""))


def image_folder(root: Path, classes=("cat", "dog"), n: int = 3) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in classes:
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray((rng.random((12, 10, 3)) * 255).astype("uint8")).save(
                root / cls / f"{i}.png")
    return root


def refused(spec: str, space, *match: str) -> str:
    with pytest.raises(ArchError) as e:
        load_data(spec, space)
    msg = e.value.render()
    assert "\n" not in msg, msg                               # one line, no hint line
    for m in match:
        assert m in msg, msg
    return msg


# ---- non-finite inputs ----------------------------------------------------------------------
def test_nan_and_inf_inputs_are_counted_with_the_first_index(tmp_path, small):
    x = images()
    x[3, 0, 5, 1] = np.nan
    x[7, 1, 1, 1] = np.inf
    x[9, 2, 2, 2] = np.nan
    refused(npz(tmp_path, image=x, labels=labels()), small,
            "bad.npz", "'image'", "2 NaN", "1 Inf", "[3, 0, 5, 1]")


def test_inf_in_a_validation_input(tmp_path, small):
    xv = images(6)
    xv[2, 0, 0, 0] = -np.inf
    refused(npz(tmp_path, image=images(), labels=labels(), val_image=xv,
                val_labels=labels(6)), small, "'val_image'", "1 Inf", "[2, 0, 0, 0]")


def test_float64_beyond_float32_is_not_finite_either(tmp_path, small):
    x = images().astype("float64")
    x[0, 0, 0, 0] = 1e300                                     # inf once made float32
    refused(npz(tmp_path, image=x, labels=labels()), small, "'image'", "Inf")


def test_nan_in_regression_or_box_labels(tmp_path, ssd):
    a = 54
    rng = np.random.default_rng(0)
    boxes = rng.normal(size=(10, a, 4)).astype("float32")
    boxes[4, 3, 2] = np.nan
    refused(npz(tmp_path, image=images(10), classes=rng.integers(0, 11, (10, a)), boxes=boxes),
            ssd, "'boxes'", "1 NaN", "[4, 3, 2]")


# ---- classes and label range ----------------------------------------------------------------
def test_one_class_is_refused(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=np.zeros(20, int)), small,
            "'labels'", "one class")


def test_one_class_folder_is_refused(tmp_path, small):
    refused(str(image_folder(tmp_path / "data", classes=("cat",))), small, "one class")


def test_negative_labels(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=labels() - 1), small,
            "'labels'", "-1", "negative")


def test_labels_beyond_the_output(tmp_path, small):
    # 10 units in the space, labels up to 11, no class names: the data disagrees with the space
    refused(npz(tmp_path, image=images(), labels=labels(k=12)), small,
            "'labels'", "11", "10 classes", "--classes")


def test_labels_beyond_the_class_names(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=labels(k=4),
                class_names=np.array(["a", "b", "c"])), small, "'labels'", "3", "3 class names")


def test_fewer_classes_than_the_output_still_fit_it(tmp_path, small):
    from archspace.search.engine import fit_outputs

    d = load_data(npz(tmp_path, image=images(), labels=labels(k=3)), small)
    notes: list[str] = []
    fitted = fit_outputs(small, d, notes)
    assert "3 classes" in notes[0] and fitted.outputs[0].units.value == 3


def test_one_unit_heads_take_0_1_targets(tmp_path, small):
    # a sigmoid head (one unit) is trained on 0/1, not on class indices below 1
    seg = archspace.parse_file(space_file("segment")).with_overrides(outputs={"classes": 1})
    y = np.zeros((10, 16, 16), np.int64)
    y[:, :4] = 1
    d = load_data(npz(tmp_path, "s.npz", image=np.zeros((10, 16, 16, 1), np.float32),
                      labels=y), seg)
    assert d.n_train + d.n_val == 10
    one = small.with_overrides(outputs={"classes": 1})
    assert load_data(npz(tmp_path, image=images(), labels=labels(k=2)), one).n_train == 16


def test_non_integer_and_text_labels(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=labels() + 0.5), small,
            "'labels'", "class indices")
    refused(npz(tmp_path, "text.npz", image=images(), labels=np.array(["a", "b"] * 10)), small,
            "text.npz", "'labels'", "numbers")


def test_nan_classification_labels(tmp_path, small):
    y = labels().astype("float64")
    y[5] = np.nan
    refused(npz(tmp_path, image=images(), labels=y), small, "'labels'", "1 NaN", "[5]")


def test_segmentation_labels_beyond_the_output(tmp_path):
    space = archspace.parse_file(space_file("segment"))        # 2 classes
    y = np.zeros((10, 16, 16), np.int64)
    y[:, :4] = 1
    y[2, 3, 3] = 2
    refused(npz(tmp_path, image=np.zeros((10, 16, 16, 1), np.float32), labels=y), space,
            "'labels'", "2", "2 classes")


def test_detection_class_labels_beyond_the_output(tmp_path, ssd):
    rng = np.random.default_rng(0)
    cls = rng.integers(0, 11, (10, 54))
    cls[1, 2] = 11
    refused(npz(tmp_path, image=images(10), classes=cls,
                boxes=rng.normal(size=(10, 54, 4)).astype("float32")),
            ssd, "'classes'", "11", "11 classes")


# ---- lengths --------------------------------------------------------------------------------
def test_val_inputs_longer_than_val_labels(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=labels(), val_image=images(8),
                val_labels=labels(5)), small, "'val_image'", "8", "'val_labels'", "5")


def test_val_labels_longer_than_val_inputs(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=labels(), val_image=images(5),
                val_labels=labels(8)), small, "'val_image'", "5", "'val_labels'", "8")


def test_train_lengths(tmp_path, small):
    refused(npz(tmp_path, image=images(20), labels=labels(19)), small,
            "'image'", "20", "'labels'", "19")


def test_every_input_of_a_multi_input_space(tmp_path, two):
    rng = np.random.default_rng(0)
    base = dict(image=rng.random((12, 16, 16, 3), dtype=np.float32),
                depth=rng.random((12, 16, 16, 1), dtype=np.float32), labels=labels(12))
    refused(npz(tmp_path, "a.npz", **{**base, "depth": base["depth"][:11]}), two,
            "'depth'", "11", "12")
    val = dict(val_image=base["image"][:4], val_depth=base["depth"][:3], val_labels=labels(4))
    refused(npz(tmp_path, "b.npz", **base, **val), two, "'val_depth'", "3", "4")
    # a validation array for one input only: the other one has none
    refused(npz(tmp_path, "c.npz", **base, val_image=base["image"][:4], val_labels=labels(4)),
            two, "val_depth")


def test_every_output_of_a_multi_output_space(tmp_path, ssd):
    rng = np.random.default_rng(0)
    base = dict(image=images(10), classes=rng.integers(0, 11, (10, 54)),
                boxes=rng.normal(size=(10, 54, 4)).astype("float32"))
    val = dict(val_image=images(4), val_classes=rng.integers(0, 11, (4, 54)),
               val_boxes=rng.normal(size=(3, 54, 4)).astype("float32"))
    refused(npz(tmp_path, **base, **val), ssd, "'val_boxes'", "3", "4")


def test_validation_inputs_without_validation_labels(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=labels(), val_image=images(5)), small,
            "'val_image'", "val_labels")
    refused(npz(tmp_path, "b.npz", image=images(), labels=labels(), val_labels=labels(5)),
            small, "'val_labels'", "val_image")


def test_aliased_input_takes_its_validation_array(tmp_path, small):
    # `images` stands for the input; its validation array is `val_images`
    d = load_data(npz(tmp_path, images=images(), labels=labels(), val_images=images(6),
                      val_labels=labels(6)), small)
    assert d.n_val == 6 and d.n_train == 20


def test_empty_arrays(tmp_path, small):
    refused(npz(tmp_path, image=images(0), labels=labels(0)), small, "'image'", "no examples")


# ---- ranks and shapes -----------------------------------------------------------------------
def test_scalar_labels(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=np.int64(3)), small, "'labels'", "scalar")


def test_scalar_input(tmp_path, small):
    refused(npz(tmp_path, image=np.float32(1.0), labels=labels()), small, "'image'", "scalar")


def test_labels_of_the_wrong_rank(tmp_path, small):
    refused(npz(tmp_path, image=images(), labels=np.zeros((20, 2, 3), int)), small,
            "'labels'", "20x2x3")


def test_input_shape_not_the_space_s(tmp_path, small):
    refused(npz(tmp_path, image=np.zeros((20, 7), np.float32), labels=labels()), small,
            "bad.npz", "'image'", "32x32x3")
    refused(npz(tmp_path, "c.npz", image=np.zeros((20, 32, 32, 5), np.float32),
                labels=labels()), small, "c.npz", "'image'", "5 channels")


def test_valid_data_still_loads(tmp_path, small, two):
    d = load_data(npz(tmp_path, image=images(), labels=labels(), val_image=images(6),
                      val_labels=labels(6)), small)
    assert (d.n_train, d.n_val) == (20, 6)
    onehot = np.eye(3)[labels()]
    d = load_data(npz(tmp_path, "h.npz", image=images(), labels=onehot), small)
    assert d.n_train + d.n_val == 20 and set(d.y_train) == {0, 1, 2}


# ---- image folders --------------------------------------------------------------------------
def test_decompression_bomb_in_a_folder(tmp_path, small):
    root = image_folder(tmp_path / "data")
    png_header_only(root / "dog" / "bomb.png", 30000, 30000)
    refused(str(root), small, "dog/bomb.png", "decompression bomb")


def test_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path, small, monkeypatch):
    # between PIL's limit and twice it, PIL only warns and decodes: refuse it all the same
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    root = image_folder(tmp_path / "data")
    png_bomb(root / "cat" / "big.png", 1200, 1200)
    refused(str(root), small, "cat/big.png", "1200x1200", "decompression bomb")


def test_truncated_image_names_the_file(tmp_path, small):
    root = image_folder(tmp_path / "data")
    from PIL import Image

    Image.fromarray(np.full((64, 64, 3), 7, np.uint8)).save(root / "cat" / "cut.png")
    data = (root / "cat" / "cut.png").read_bytes()
    (root / "cat" / "cut.png").write_bytes(data[: len(data) // 2])
    (root / "dog" / "junk.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    msg = refused(str(root), small, "cat/cut.png")
    assert "junk.jpg" not in msg


def test_features_reader_refuses_a_bomb_without_decoding_it(tmp_path):
    from archspace.features.files import UnreadableImage, read_image

    png_header_only(tmp_path / "bomb.png", 30000, 30000)
    with pytest.raises(UnreadableImage, match="too large.*decompression bomb"):
        read_image(tmp_path / "bomb.png")


def test_features_reader_bomb_in_bounded_memory(tmp_path):
    # a complete bomb (about 100 KB, 900 million pixels) in a process limited to 1.5 GB
    png_bomb(tmp_path / "bomb.png", 30000, 30000)
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))\n"
            "from archspace.features.files import UnreadableImage, read_image\n"
            "try:\n    read_image(sys.argv[1])\nexcept UnreadableImage as e:\n"
            "    print(e)\n")
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path / "bomb.png")],
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert "decompression bomb" in p.stdout


# ---- the real command line ------------------------------------------------------------------
def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "archspace"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c",
                                            "import sys; from archspace.cli import main; "
                                            "sys.exit(main())"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120,
                          check=False, cwd=cwd, env=env)


def _bad_npz(kind: str, tmp_path: Path) -> str:
    x, y = images(), labels()
    if kind == "nan":
        x[3, 0, 5, 1] = np.nan
        return npz(tmp_path, image=x, labels=y)
    if kind == "one-class":
        return npz(tmp_path, image=x, labels=np.zeros(20, int))
    if kind == "negative":
        return npz(tmp_path, image=x, labels=y - 1)
    if kind == "too-many-classes":
        return npz(tmp_path, image=x, labels=labels(k=12))
    if kind == "val-x-longer":
        return npz(tmp_path, image=x, labels=y, val_image=x[:8], val_labels=y[:5])
    if kind == "val-y-longer":
        return npz(tmp_path, image=x, labels=y, val_image=x[:5], val_labels=y[:8])
    if kind == "scalar-labels":
        return npz(tmp_path, image=x, labels=np.int64(3))
    if kind == "wrong-shape":
        return npz(tmp_path, image=np.zeros((20, 7), np.float32), labels=y)
    if kind == "bomb-folder":
        root = image_folder(tmp_path / "data")
        png_header_only(root / "dog" / "bomb.png", 30000, 30000)
        return str(root)
    if kind == "truncated-folder":
        root = image_folder(tmp_path / "data")
        data = (root / "cat" / "0.png").read_bytes()
        (root / "cat" / "0.png").write_bytes(data[: len(data) // 2])
        return str(root)
    raise AssertionError(kind)


BAD = {"nan": "NaN", "one-class": "one class", "negative": "negative",
       "too-many-classes": "--classes", "val-x-longer": "val_labels",
       "val-y-longer": "val_labels", "scalar-labels": "scalar",
       "wrong-shape": "bad.npz: 'image'", "bomb-folder": "bomb.png",
       "truncated-folder": "cat/0.png"}


def assert_refused(p: subprocess.CompletedProcess, match: str, run: Path) -> None:
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, p.stdout + p.stderr
    assert len(lines) == 1 and lines[0].startswith("error:"), p.stderr
    assert match in lines[0], lines[0]
    assert "Traceback" not in p.stdout + p.stderr
    assert not run.exists(), list(run.rglob("*"))             # no run folder at all


@pytest.mark.parametrize("kind", sorted(BAD))
def test_search_cli_refuses_bad_data(kind, tmp_path):
    data = _bad_npz(kind, tmp_path)
    run = tmp_path / "run"
    p = cli("search", str(space_file("small")), "--data", data, "--trials", "1", "--epochs", "1",
            "--out", str(run), "--no-tensorboard", cwd=tmp_path)
    assert_refused(p, BAD[kind], run)


def test_train_cli_refuses_bad_data(tmp_path):
    data = _bad_npz("negative", tmp_path)
    p = cli("train", str(space_file("small")), "--data", data, "--epochs", "1",
            "--out", str(tmp_path / "m.keras"), cwd=tmp_path)
    assert_refused(p, "negative", tmp_path / "m.keras")


@pytest.mark.parametrize("shape", ["0x0x1", "32x-3x3", "32x32x0"])
def test_search_cli_refuses_empty_input_shapes(shape, tmp_path):
    run = tmp_path / "run"
    p = cli("search", str(space_file("small")), "--input", f"image={shape}", "--data", "digits",
            "--trials", "1", "--epochs", "1", "--out", str(run), "--no-tensorboard",
            cwd=tmp_path)
    assert_refused(p, shape, run)
