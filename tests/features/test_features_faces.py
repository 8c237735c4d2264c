"""MediaPipe face landmarks and depth maps on the real portrait that ships with scikit-image
(`skimage.data.astronaut()`) and flipped / cropped / rescaled / stretched / gray copies of it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from archspace.errors import ArchError  # noqa: E402
from archspace.features import depth_map, extract_faces, read_image  # noqa: E402
from archspace.features.faces import parse_size  # noqa: E402
from archspace.features.files import UnreadableImage, collect_images  # noqa: E402

NOSE_TIP = 1          # MediaPipe face mesh index of the tip of the nose
NAMES = ["original", "flipped", "cropped", "half", "stretched", "gray"]


@pytest.fixture(scope="module")
def feats(variants):
    """One run over every variant plus two non-faces, in memory."""
    from skimage import data

    noise = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    arrays = [variants[n][0] for n in NAMES] + [data.coffee(), noise]
    return extract_faces(arrays, image_size=224, depth_size=(112, 96))


def _inside(points, box, grow=0.0):
    x0, y0, x1, y1 = box
    gx, gy = (x1 - x0) * grow, (y1 - y0) * grow
    return ((points[:, 0] >= x0 - gx) & (points[:, 0] <= x1 + gx)
            & (points[:, 1] >= y0 - gy) & (points[:, 1] <= y1 + gy))


def test_face_box_from_an_independent_detector(astronaut, face_box):
    # the FACE_BOX the checks below rely on comes from scikit-image's own face detector
    from skimage import data, feature

    cascade = feature.Cascade(data.lbp_frontal_face_cascade_filename())
    found = cascade.detect_multi_scale(img=astronaut, scale_factor=1.2, step_ratio=1,
                                       min_size=(60, 60), max_size=(300, 300))
    assert len(found) == 1
    f = found[0]
    assert (f["c"], f["r"], f["c"] + f["width"], f["r"] + f["height"]) == face_box


def test_every_variant_gives_468_landmarks_inside_the_face_box(feats, variants):
    assert feats.files == [f"<array {i}>" for i in range(len(NAMES))]
    assert feats.landmarks.shape == (len(NAMES), 468, 3) and feats.landmarks.dtype == np.float32
    for i, name in enumerate(NAMES):
        lm, box = feats.landmarks[i], variants[name][1]
        assert np.isfinite(lm).all(), name
        # the whole mesh (forehead and chin included) within the detector's box grown by 25 %,
        # most of it inside the box itself, the nose tip well inside
        assert _inside(lm, box, grow=0.25).all(), name
        assert _inside(lm, box).mean() > 0.8, name
        assert _inside(lm[NOSE_TIP:NOSE_TIP + 1], box, grow=-0.2).all(), name
        # z: relative depth on roughly the x scale, nose nearest
        assert -0.2 < lm[:, 2].min() and lm[:, 2].max() < 0.3, name
        assert lm[NOSE_TIP, 2] == lm[:, 2].min() or lm[NOSE_TIP, 2] < np.percentile(lm[:, 2], 2)


def test_copies_agree_with_the_original(feats):
    orig = feats.landmarks[0]
    by = dict(zip(NAMES, feats.landmarks))
    # rescaling and stretching keep normalised coordinates; gray keeps the geometry
    for name in ("half", "stretched", "gray"):
        assert np.abs(by[name][:, :2] - orig[:, :2]).mean() < 0.006, name
    # the crop shifts and scales them
    cx0, cy0, cx1, cy1 = 120, 40, 440, 360
    back = by["cropped"][:, :2] * [cx1 - cx0, cy1 - cy0] + [cx0, cy0]
    assert np.abs(back - orig[:, :2] * 512).mean() < 3.0   # pixels
    # the mirror image: same extent, mirrored
    fl = by["flipped"]
    assert abs((1 - fl[:, 0]).min() - orig[:, 0].min()) < 0.01
    assert abs((1 - fl[:, 0]).max() - orig[:, 0].max()) < 0.01
    assert abs(fl[:, 1].mean() - orig[:, 1].mean()) < 0.01


def test_non_faces_are_reported_not_rows(feats):
    assert [(s.file, s.reason) for s in feats.skipped] == [
        ("<array 6>", "no face found"), ("<array 7>", "no face found")]
    assert feats.n_inputs == 8 and len(feats) == 6 and feats.n_images_with_faces == 6
    assert feats.labels is None and feats.classes == []


def test_image_rows_are_the_resized_photos(feats, variants):
    import cv2

    assert feats.image.shape == (6, 224, 224, 3) and feats.image.dtype == np.float32
    assert 0.0 <= feats.image.min() and feats.image.max() <= 1.0
    want = cv2.resize(variants["original"][0], (224, 224), interpolation=cv2.INTER_AREA)
    assert np.abs(feats.image[0] * 255 - want).max() < 0.51


def test_depth_maps_have_structure(feats, variants):
    assert feats.depth.shape == (6, 112, 96, 1) and feats.depth.dtype == np.float32
    for i, name in enumerate(NAMES):
        d = feats.depth[i, ..., 0]
        lm = feats.landmarks[i]
        assert d.min() == 0.0 and 0.95 < d.max() <= 1.0, name
        assert len(np.unique(np.round(d, 2))) > 40, name          # not a constant or a mask
        h, w = d.shape
        # non-zero only over the face: most of the landmarks' bounding box, nothing far outside
        c0, c1 = int(lm[:, 0].min() * w), int(np.ceil(lm[:, 0].max() * w))
        r0, r1 = int(lm[:, 1].min() * h), int(np.ceil(lm[:, 1].max() * h))
        in_box = (d[r0:r1, c0:c1] > 0).mean()
        assert 0.5 < in_box <= 1.0, (name, in_box)
        outside = d.copy()
        outside[r0:r1, c0:c1] = 0
        assert not outside.any(), name
        nz = (d > 0).mean()
        assert 0.01 < nz < 0.5, (name, nz)
        # nearer = brighter: the nose tip is among the brightest pixels, the contour dark
        nx, ny = lm[NOSE_TIP, :2]
        assert d[int(ny * h), int(nx * w)] > 0.8, name
        assert d[(d > 0)].mean() < 0.8, name


def test_crop_face_fills_the_frame(variants):
    f = extract_faces([variants["original"][0], variants["half"][0]], crop="face",
                      image_size=96, depth_size=64, image_dtype="uint8")
    assert f.image.shape == (2, 96, 96, 3) and f.image.dtype == np.uint8
    assert f.depth.shape == (2, 64, 64, 1)
    for i in range(2):
        lm, d = f.landmarks[i], f.depth[i, ..., 0]
        # the box is a square around the landmarks with a 25 % margin: they span ~2/3 of it
        span = max(np.ptp(lm[:, 0]), np.ptp(lm[:, 1]))
        assert 0.6 < span < 0.7
        assert 0.25 < (d > 0).mean() < 0.5
        assert abs(lm[:, 0].min() + lm[:, 0].max() - 1) < 0.05    # centred
    # the same face at two resolutions gives the same crop-frame landmarks
    assert np.abs(f.landmarks[0, :, :2] - f.landmarks[1, :, :2]).mean() < 0.01


def test_depth_map_method():
    # a tilted plane z = -0.1 x over a square: linear inside the hull, 0 outside
    g = np.array([(x, y) for x in (0.25, 0.5, 0.75) for y in (0.25, 0.5, 0.75)])
    lm = np.column_stack([g, -0.1 * g[:, 0]])
    d = depth_map(lm, (8, 8))
    assert d.dtype == np.float32 and d.shape == (8, 8)
    assert not d[0].any() and not d[:, 0].any() and not d[-1].any() and not d[:, -1].any()
    inner = d[2:6, 2:6]                 # pixel centres 0.3125 .. 0.6875
    np.testing.assert_allclose(inner, np.tile((np.arange(2, 6) + 0.5) / 8 * 2 - 0.5, (4, 1)),
                               atol=1e-6)
    # degenerate input (collinear or flat) gives an all-zero map, not an error
    assert not depth_map(np.column_stack([g[:, 0], g[:, 0], g[:, 0]]), (8, 8)).any()
    assert not depth_map(np.column_stack([g, np.zeros(9)]), (8, 8)).any()


def test_depth_map_equals_griddata_linear(feats):
    from scipy.interpolate import griddata

    for lm, size, frame in [(feats.landmarks[0], (224, 224), (512, 512)),
                            (feats.landmarks[4], (112, 96), (300, 400)),
                            (feats.landmarks[2], (64, 80), None)]:
        h, w = size
        fh, fw = frame or size
        pts = np.column_stack([lm[:, 0] * fw, lm[:, 1] * fh]).astype(np.float64)
        v = -lm[:, 2].astype(np.float64)
        gx, gy = np.meshgrid((np.arange(w) + 0.5) * fw / w, (np.arange(h) + 0.5) * fh / h)
        z = griddata(pts, v, (gx, gy), method="linear")
        want = np.where(np.isfinite(z), (z - v.min()) / (v.max() - v.min()), 0.0)
        got = depth_map(lm, size, frame)
        assert np.array_equal(np.isfinite(z), got > 0) or \
            (np.isfinite(z) ^ (got > 0)).sum() <= 2     # a hull-edge pixel at exactly 0
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_folder_labels_report_and_npz(face_folder, tmp_path):
    out = tmp_path / "o" / "feats.npz"
    f = extract_faces(face_folder, out, save_png=tmp_path / "png", image_size=64, depth_size=32)
    assert f.classes == ["happy", "sad"]
    names = [p[len(face_folder.as_posix()) + 1:] for p in f.files]
    assert names == ["happy/flipped.jpg", "happy/more/half.png", "happy/original.png",
                     "sad/cropped.jpg", "sad/stretched.png"]
    assert f.labels.tolist() == [0, 0, 0, 1, 1] and f.labels.dtype == np.int64
    reasons = {s.file[len(face_folder.as_posix()) + 1:]: s.reason for s in f.skipped}
    assert reasons.keys() == {"loose.png", "sad/broken.jpg", "sad/coffee.jpg", "sad/empty.png",
                              "sad/notes.txt"}
    assert reasons["sad/coffee.jpg"] == "no face found"
    assert reasons["sad/notes.txt"].startswith("not an image")
    assert reasons["sad/broken.jpg"].startswith("unreadable image")
    assert reasons["sad/empty.png"] == "empty file"
    assert reasons["loose.png"].startswith("not inside a class subfolder")
    assert f.n_inputs == 10   # .hidden.png ignored

    with np.load(out, allow_pickle=False) as z:
        assert sorted(z.files) == ["classes", "depth", "files", "image", "labels", "landmarks"]
        assert z["image"].shape == (5, 64, 64, 3) and z["depth"].shape == (5, 32, 32, 1)
        assert z["landmarks"].shape == (5, 468, 3) and z["labels"].tolist() == [0, 0, 0, 1, 1]
        assert z["classes"].tolist() == ["happy", "sad"]
        assert z["files"].tolist() == f.files
        np.testing.assert_array_equal(z["depth"], f.depth)
    rep = json.loads((tmp_path / "o" / "feats.report.json").read_text())
    assert rep["faces"] == 5 and rep["inputs"] == 10 and rep["classes"] == {"happy": 3, "sad": 2}
    assert len(rep["skipped"]) == 5 and rep["arrays"]["image"]["shape"] == [5, 64, 64, 3]
    pngs = sorted(p.relative_to(tmp_path / "png").as_posix()
                  for p in (tmp_path / "png").rglob("*.png"))
    assert pngs == ["happy/flipped.depth.png", "happy/more/half.depth.png",
                    "happy/original.depth.png", "sad/cropped.depth.png",
                    "sad/stretched.depth.png"]
    assert read_image(tmp_path / "png" / "happy" / "original.depth.png").shape == (32, 32, 3)


def test_files_given_one_by_one_have_no_labels(face_folder, tmp_path):
    files = [face_folder / "happy" / "original.png", face_folder / "sad" / "notes.txt"]
    f = extract_faces(files, tmp_path / "x.npz", report=False, image_size=32, depth_size=32)
    assert f.labels is None and len(f) == 1 and len(f.skipped) == 1
    with np.load(tmp_path / "x.npz") as z:
        assert "labels" not in z.files and z["classes"].shape == (0,)
    assert not (tmp_path / "x.report.json").exists()


def test_no_face_at_all_writes_only_the_report(face_folder, tmp_path):
    f = extract_faces([face_folder / "sad" / "coffee.jpg"], tmp_path / "none.npz")
    assert len(f) == 0 and f.out is None and f.image.shape == (0, 224, 224, 3)
    assert not (tmp_path / "none.npz").exists()
    assert json.loads((tmp_path / "none.report.json").read_text())["skipped"][0]["reason"] == \
        "no face found"


def test_collect_and_read_errors(tmp_path):
    with pytest.raises(ArchError, match="no such file or folder"):
        collect_images(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArchError, match="no files to read"):
        collect_images(tmp_path / "empty")
    (tmp_path / "bin.dat").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnreadableImage, match=r"not an image \(binary data, .dat file\)"):
        read_image(tmp_path / "bin.dat")
    import cv2

    cv2.imwrite(str(tmp_path / "tiny.png"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(UnreadableImage, match="too small"):
        read_image(tmp_path / "tiny.png")


def test_options_are_checked(astronaut):
    assert parse_size(224) == (224, 224) and parse_size("224x192") == (224, 192)
    assert parse_size((64, 32)) == (64, 32)
    for bad in ("big", "0", "3x3x3", 5):
        with pytest.raises(ArchError):
            parse_size(bad)
    with pytest.raises(ArchError, match="crop"):
        extract_faces([astronaut], crop="head")
    with pytest.raises(ArchError, match="dtype"):
        extract_faces([astronaut], image_dtype="float16")


def test_several_faces_per_image(variants):
    # two copies of the cropped portrait side by side (the short-range face detector wants faces
    # that fill a fair part of the picture): two rows from one input with max_faces=2, one with
    # the default max_faces=1
    crop = variants["cropped"][0]
    pair = np.concatenate([crop, crop[:, ::-1]], axis=1)
    two = extract_faces([pair], max_faces=2, image_size=32, depth_size=64)
    assert len(two) == 2 and two.files == ["<array 0>", "<array 0>"]
    xs = sorted(float(lm[:, 0].mean()) for lm in two.landmarks)
    assert xs[0] < 0.5 < xs[1]
    assert len(extract_faces([pair], image_size=32, depth_size=32)) == 1
