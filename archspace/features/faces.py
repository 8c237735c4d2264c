"""`extract_faces`: images -> face photo, landmark depth map and 468 landmarks per face, as arrays
named after the inputs of the face spaces, plus labels from the folder names.

Per detected face, one row:
  image      (H, W, 3)  the photo resized to `image_size` (float32 in [0, 1], or uint8)
  depth      (H, W, 1)  float32 depth map drawn from the landmarks (see `depth.depth_map`)
  landmarks  (468, 3)   float32, MediaPipe convention in the frame of `image`
and, for the whole set, `labels` (int64 per row, index into `classes`), `classes` (names, sorted)
and `files` (the file each row came from).

Frames: with crop="none" (default) the image, the depth map and the landmarks all span the whole
photo, stretched to the output size, so the three stay aligned pixel for pixel and the landmarks
are exactly MediaPipe's. With crop="face" they span a square box around the face's landmarks
(enlarged by `margin` on each side, zero-padded where it leaves the photo); the landmarks are
re-expressed in that box (x, y in [0, 1] of the box, z scaled by the same factor as x).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Union

import numpy as np

from ..errors import ArchError
from .depth import depth_map
from .files import Skipped, Source, UnreadableImage, collect_images, read_image
from .landmarks import N_LANDMARKS, open_landmarker, quiet_native_stderr

Size = Union[int, str, tuple[int, int]]
Progress = Callable[[int, int, Optional[str]], None]


def parse_size(size: Size, what: str = "size") -> tuple[int, int]:
    """224 -> (224, 224); "224x192" or (224, 192) -> (224, 192) as (height, width)."""
    try:
        if isinstance(size, str):
            parts = [int(p) for p in size.lower().split("x")]
        elif isinstance(size, (int, np.integer)):
            parts = [int(size)]
        else:
            parts = [int(p) for p in size]
    except (TypeError, ValueError):
        raise ArchError(f"{what} {size!r}: expected N or HxW, e.g. 224 or 224x192") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 8 or max(parts) > 4096:
        raise ArchError(f"{what} {size!r}: expected N or HxW with sides in 8..4096")
    return parts[0], parts[1]


@dataclass
class FaceFeatures:
    """The result of `extract_faces`: arrays (one row per face), the classes and the report."""

    image: np.ndarray                 # (N, H, W, 3)
    depth: np.ndarray                 # (N, Hd, Wd, 1) float32
    landmarks: np.ndarray             # (N, 468, 3) float32
    labels: Optional[np.ndarray]      # (N,) int64, or None without class subfolders
    classes: list[str]
    files: list[str]                  # (N,) the file each row came from
    skipped: list[Skipped]
    n_inputs: int                     # files (and arrays) looked at, skipped ones included
    settings: dict = field(default_factory=dict)
    landmarker: str = ""
    seconds: float = 0.0
    out: Optional[str] = None         # the .npz written, if any
    report_path: Optional[str] = None
    rels: list[str] = field(default_factory=list, repr=False)   # per row, for PNG names

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self.arrays().items()
                           if k not in ("classes", "files"))
        return (f"FaceFeatures({len(self)} faces from {self.n_inputs} inputs, {shapes}, "
                f"classes={self.classes}, skipped={len(self.skipped)})")

    def __len__(self) -> int:
        return int(self.image.shape[0])

    @property
    def n_images_with_faces(self) -> int:
        return len(set(self.files))

    def arrays(self) -> dict[str, np.ndarray]:
        """What goes into the .npz: named after the spaces' inputs, plus labels/classes/files."""
        out = {"image": self.image, "depth": self.depth, "landmarks": self.landmarks}
        if self.labels is not None:
            out["labels"] = self.labels
        out["classes"] = np.array(self.classes, dtype=np.str_)
        out["files"] = np.array(self.files, dtype=np.str_)
        return out

    def class_counts(self) -> dict[str, int]:
        if self.labels is None:
            return {}
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return {c: int(n) for c, n in zip(self.classes, counts)}

    def save(self, path: Union[str, os.PathLike], compress: bool = False) -> str:
        """Write the arrays to an .npz (np.load(..., allow_pickle=False) reads it back)."""
        path = os.fspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        (np.savez_compressed if compress else np.savez)(path, **self.arrays())
        if not path.endswith(".npz"):   # numpy appends the suffix
            path += ".npz"
        self.out = path
        return path

    def report(self) -> dict:
        return {
            "out": self.out,
            "landmarker": self.landmarker,
            "settings": self.settings,
            "inputs": self.n_inputs,
            "faces": len(self),
            "images_with_faces": self.n_images_with_faces,
            "classes": self.class_counts() if self.labels is not None else None,
            "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)}
                       for k, v in self.arrays().items()},
            "skipped": [s.to_dict() for s in self.skipped],
            "seconds": round(self.seconds, 3),
        }

    def save_report(self, path: Union[str, os.PathLike]) -> str:
        path = os.fspath(path)
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.report(), f, indent=2)
            f.write("\n")
        self.report_path = path
        return path

    def save_pngs(self, folder: Union[str, os.PathLike]) -> list[str]:
        """Write each depth map as an 8-bit grayscale PNG under `folder`, mirroring the input
        paths: `<folder>/<class>/<name>.depth.png` (`.face2.depth.png` ... for further faces)."""
        import cv2

        written: list[str] = []
        used: set[str] = set()
        rels = self.rels or [Path(f).name for f in self.files]
        for i, rel in enumerate(rels):
            stem = str(Path(folder) / Path(rel).with_suffix(""))
            name, k = f"{stem}.depth.png", 2
            while name in used:
                name, k = f"{stem}.face{k}.depth.png", k + 1
            used.add(name)
            os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
            png = np.rint(self.depth[i, ..., 0] * 255.0).astype(np.uint8)
            ok, buf = cv2.imencode(".png", png)
            if not ok:
                raise ArchError(f"cannot encode {name} as PNG")
            buf.tofile(name)
            written.append(name)
        return written


def face_box(landmarks: np.ndarray, shape: tuple[int, int], crop: str,
             margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) in integer pixels of the photo: the whole photo, or a square around the
    face (the landmarks' bounding box's longer side, plus `margin` of it on each side)."""
    h, w = shape
    if crop == "none":
        return 0, 0, w, h
    px, py = landmarks[:, 0] * w, landmarks[:, 1] * h
    cx, cy = (px.min() + px.max()) / 2, (py.min() + py.max()) / 2
    side = max(px.max() - px.min(), py.max() - py.min()) * (1 + 2 * margin)
    side = max(int(round(side)), 8)
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    return x0, y0, x0 + side, y0 + side


def crop_resize(rgb: np.ndarray, box: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """Cut `box` out of the photo (zero padding outside it) and resize to (H, W); uint8."""
    import cv2

    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    if (x0, y0, x1, y1) != (0, 0, w, h):
        pad = max(0, -x0, -y0, x1 - w, y1 - h)
        if pad:
            rgb = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        rgb = rgb[y0 + pad:y1 + pad, x0 + pad:x1 + pad]
    th, tw = size
    shrinking = tw < rgb.shape[1] or th < rgb.shape[0]
    return cv2.resize(rgb, (tw, th), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def to_box_frame(landmarks: np.ndarray, shape: tuple[int, int],
                 box: tuple[int, int, int, int]) -> np.ndarray:
    """Landmarks normalised to the photo -> normalised to the box (z scaled like x)."""
    h, w = shape
    x0, y0, x1, y1 = box
    if (x0, y0, x1, y1) == (0, 0, w, h):
        return landmarks.astype(np.float32, copy=True)
    bw, bh = x1 - x0, y1 - y0
    out = np.empty_like(landmarks, dtype=np.float32)
    out[:, 0] = (landmarks[:, 0] * w - x0) / bw
    out[:, 1] = (landmarks[:, 1] * h - y0) / bh
    out[:, 2] = landmarks[:, 2] * w / bw
    return out


def extract_faces(
    images: Union[Source, Iterable[Source]],
    out: Optional[Union[str, os.PathLike]] = None,
    *,
    image_size: Size = 224,
    depth_size: Size = 224,
    crop: str = "none",
    margin: float = 0.25,
    max_faces: int = 1,
    min_confidence: float = 0.5,
    image_dtype: str = "float32",
    model: Optional[str] = None,
    save_png: Optional[Union[str, os.PathLike]] = None,
    report: Optional[Union[str, os.PathLike, bool]] = True,
    compress: bool = False,
    progress: Optional[Progress] = None,
) -> FaceFeatures:
    """Detect faces with MediaPipe and build the `image`, `depth`, `landmarks` and `labels` arrays.

    images: a folder (searched recursively; one subfolder per class gives the labels), image
        files, in-memory RGB arrays, or a list mixing them.
    out: write the arrays to this .npz (not written when no face is found); with report=True
        (default) also `<stem>.report.json` next to it (settings, per-class counts, every
        skipped file with the reason). report may also be a path of its own, or False.
    image_size, depth_size: N or HxW of the `image` and `depth` arrays (default 224, the input
        size of squeezenet_se1_auto / squeezenet_sem_auto).
    crop: "none" (whole photo) or "face" (square box around the face; see the module docstring).
    max_faces: faces per image (each a row); min_confidence: MediaPipe's detection threshold.
    image_dtype: "float32" (values in [0, 1], the depth map's scale) or "uint8" (0..255, a
        quarter of the size).
    model: a `face_landmarker.task` for MediaPipe's Tasks FaceLandmarker; default: the face mesh
        model bundled with mediapipe 0.10.21.
    save_png: also write each depth map as a PNG under this folder.
    progress: called as progress(done, total, file) before the first and after each input.

    Unreadable files, non-images and images without a face are skipped and listed in
    `result.skipped` (and the report); they never raise.
    """
    t0 = time.perf_counter()
    isize, dsize = parse_size(image_size, "image size"), parse_size(depth_size, "depth size")
    if crop not in ("none", "face"):
        raise ArchError(f"crop {crop!r}: expected none or face")
    if image_dtype not in ("float32", "uint8"):
        raise ArchError(f"image dtype {image_dtype!r}: expected float32 or uint8")
    if not 0.0 <= margin <= 2.0:
        raise ArchError(f"margin {margin}: expected a fraction of the face size in [0, 2]")
    items, skipped = collect_images(images)
    n_pre_skipped = len(skipped)
    classes = sorted({it.label for it in items if it.label is not None})
    class_index = {c: i for i, c in enumerate(classes)}
    total = len(items)
    if progress:
        progress(0, total, None)

    rows_img, rows_depth, rows_lm, rows_label, rows_file, rows_rel = [], [], [], [], [], []
    with quiet_native_stderr():
        landmarker = open_landmarker(model, max_faces, min_confidence)
        try:
            for done, item in enumerate(items, 1):
                try:
                    rgb = read_image(item)
                except UnreadableImage as e:
                    skipped.append(Skipped(item.name, str(e)))
                else:
                    try:
                        rows = _face_rows(landmarker, rgb, crop, margin, isize, dsize)
                    except ArchError:
                        raise
                    except Exception as e:  # noqa: BLE001 - one bad image never stops the run
                        rows = []
                        why = f"MediaPipe failed: {type(e).__name__}: {e}".splitlines()[0]
                        skipped.append(Skipped(item.name, why[:300]))
                    else:
                        if not rows:
                            skipped.append(Skipped(item.name, "no face found"))
                    for img, dmap, lm in rows:
                        rows_img.append(img)
                        rows_depth.append(dmap)
                        rows_lm.append(lm)
                        rows_label.append(class_index.get(item.label, -1))
                        rows_file.append(item.name)
                        rows_rel.append(item.rel)
                if progress:
                    progress(done, total, item.name)
        finally:
            landmarker.close()

    n = len(rows_img)
    image = np.empty((n, *isize, 3), np.float32 if image_dtype == "float32" else np.uint8)
    for i, row in enumerate(rows_img):      # row by row: no second full-size temporary
        image[i] = row / np.float32(255.0) if image_dtype == "float32" else row
    rows_img.clear()
    depth = (np.stack(rows_depth) if n else np.zeros((0, *dsize), np.float32))[..., None]
    landmarks = np.stack(rows_lm) if n else np.zeros((0, N_LANDMARKS, 3), np.float32)
    labels = np.array(rows_label, np.int64) if classes else None
    settings = {"image_size": list(isize), "depth_size": list(dsize), "crop": crop,
                "margin": margin, "max_faces": max_faces, "min_confidence": min_confidence,
                "image_dtype": image_dtype, "model": None if model is None else str(model)}
    feats = FaceFeatures(image=image, depth=depth.astype(np.float32, copy=False),
                         landmarks=landmarks, labels=labels, classes=classes, files=rows_file,
                         skipped=skipped, n_inputs=total + n_pre_skipped, settings=settings,
                         landmarker=landmarker.name, rels=rows_rel)
    if save_png is not None and n:
        feats.save_pngs(save_png)
    if out is not None and n:
        feats.save(out, compress=compress)
    feats.seconds = time.perf_counter() - t0
    if report is True and out is not None:
        feats.save_report(report_path_for(out))
    elif report and report is not True:
        feats.save_report(report)
    return feats


def _face_rows(landmarker, rgb, crop, margin, isize, dsize):
    """(image, depth, landmarks) for every face the landmarker finds in one photo."""
    rows = []
    for lm in landmarker.detect(rgb):
        if lm.shape != (N_LANDMARKS, 3) or not np.isfinite(lm).all():
            continue
        box = face_box(lm, rgb.shape[:2], crop, margin)
        lm_box = to_box_frame(lm, rgb.shape[:2], box)
        frame = (box[3] - box[1], box[2] - box[0])
        rows.append((crop_resize(rgb, box, isize), depth_map(lm_box, dsize, frame=frame), lm_box))
    return rows


def report_path_for(out: Union[str, os.PathLike]) -> str:
    """feats.npz -> feats.report.json"""
    out = os.fspath(out)
    return (out[:-4] if out.endswith(".npz") else out) + ".report.json"
