"""Which files to read, their class labels, and reading one image without ever raising past here.

Labels come from the folder structure: for a folder given as input, every file below it belongs to
the class named by its first subfolder (`photos/happy/a.jpg` and `photos/happy/x/b.jpg` are both
`happy`). Files given one by one, or lying directly in an input folder, have no class; when some
files do have one, those are skipped (and reported) so that every row of the output is labelled.
Hidden files and folders (names starting with '.') are ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

import numpy as np

from ..errors import ArchError

# suffixes OpenCV (or Pillow) decodes; used only to word the reason a file was skipped
IMAGE_SUFFIXES = frozenset(
    ".jpg .jpeg .jpe .jfif .png .bmp .dib .gif .tif .tiff .webp .ppm .pgm .pbm .pnm .pfm .jp2 "
    ".sr .ras .exr .hdr .pic .avif .heic".split()
)


@dataclass(frozen=True)
class Skipped:
    """A file (or in-memory image) that gave no row, and why."""

    file: str
    reason: str

    def to_dict(self) -> dict:
        return {"file": self.file, "reason": self.reason}


@dataclass(frozen=True)
class Item:
    """One thing to read: a file (`path`) or an in-memory RGB array (`array`)."""

    name: str                       # as reported and stored in `files`
    rel: str                        # relative to its input folder (used for PNG names)
    label: Optional[str] = None     # class name, from the first subfolder
    path: Optional[Path] = None
    array: Optional[np.ndarray] = None


class UnreadableImage(Exception):
    """Raised by read_image with the reason as message."""


Source = Union[str, os.PathLike, np.ndarray]


def collect_images(inputs: Union[Source, Iterable[Source]]) -> tuple[list[Item], list[Skipped]]:
    """Expand folders (recursively) and files into items; returns (items, skipped).

    Raises ArchError for an input that does not exist or when there is nothing to read.
    """
    if isinstance(inputs, (str, os.PathLike, np.ndarray)):
        inputs = [inputs]
    inputs = list(inputs)
    items: list[Item] = []
    seen: set[str] = set()
    n_arrays = 0
    for src in inputs:
        if isinstance(src, np.ndarray):
            items.append(Item(name=f"<array {n_arrays}>", rel=f"array{n_arrays}", array=src))
            n_arrays += 1
            continue
        p = Path(src)
        if p.is_dir():
            for f in _walk(p):
                key = os.path.realpath(f)
                if key in seen:
                    continue
                seen.add(key)
                parts = f.relative_to(p).parts
                label = parts[0] if len(parts) > 1 else None
                items.append(Item(name=f.as_posix(), rel=Path(*parts).as_posix(), label=label,
                                  path=f))
        elif p.exists():
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                items.append(Item(name=p.as_posix(), rel=p.name, path=p))
        else:
            raise ArchError(f"{p}: no such file or folder")
    if not items:
        names = [str(s) for s in inputs if not isinstance(s, np.ndarray)]
        raise ArchError("no files to read in " + ", ".join(names) if names else "no images given")
    skipped: list[Skipped] = []
    if any(it.label is not None for it in items):
        kept = []
        for it in items:
            if it.label is None:
                skipped.append(Skipped(it.name, "not inside a class subfolder (labels come from "
                                                "subfolder names)"))
            else:
                kept.append(it)
        items = kept
    return items, skipped


def _walk(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return sorted(out, key=lambda f: f.relative_to(root).parts)


def read_image(item: Union[Item, str, os.PathLike]) -> np.ndarray:
    """Decode one image to an HxWx3 uint8 RGB array (EXIF orientation applied, alpha dropped).

    Raises UnreadableImage with a short reason (empty file, not an image, cannot decode ...).
    """
    if not isinstance(item, Item):
        item = Item(name=str(item), rel=Path(item).name, path=Path(item))
    if item.array is not None:
        return _as_rgb8(item.array)
    path = item.path
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise UnreadableImage("a folder, not a file") from None
    except OSError as e:
        raise UnreadableImage(f"cannot read the file: {e.strerror or e}") from None
    if not data:
        raise UnreadableImage("empty file")
    _check_size(data)
    # formats Pillow cannot size are left to OpenCV: cap it too (read when cv2 first loads)
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(_max_pixels() or 1 << 30))
    import cv2

    rgb = None
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        bgr = None
    if bgr is not None:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    else:
        rgb = _read_with_pillow(path)
    if rgb is None:
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            raise UnreadableImage(f"unreadable image: cannot decode the {suffix} data "
                                  "(corrupt or truncated?)")
        raise UnreadableImage(f"not an image ({_sniff(data, suffix)})")
    if rgb.shape[0] < 8 or rgb.shape[1] < 8:
        raise UnreadableImage(f"image too small ({rgb.shape[1]}x{rgb.shape[0]} pixels)")
    return np.ascontiguousarray(rgb)


def _max_pixels() -> Optional[int]:
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image.MAX_IMAGE_PIXELS       # Pillow's (89M by default); None when a user lifted it


def open_image(fp):
    """Open an image with Pillow, which reads only its header, and refuse it when its pixel
    count is over Pillow's limit: a decompression bomb (a few KB that decode to gigabytes) is
    turned away before anything is decoded. Raises UnreadableImage for a bomb; Pillow's own
    errors for a file it cannot identify."""
    import warnings

    from PIL import Image

    limit = _max_pixels()
    with warnings.catch_warnings():
        # between the limit and twice it Pillow only warns: refused below instead
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(fp)
        except Image.DecompressionBombError:
            raise UnreadableImage(f"image too large: over {2 * (limit or 0):,} pixels "
                                  "(a decompression bomb?)") from None
    w, h = im.size
    if limit and w * h > limit:
        im.close()
        raise UnreadableImage(f"image too large: {w}x{h} pixels, over the limit of {limit:,} "
                              "(a decompression bomb?)")
    return im


def _check_size(data: bytes) -> None:
    """UnreadableImage for a bomb; nothing when the size is fine or Pillow cannot tell."""
    import io

    try:
        open_image(io.BytesIO(data)).close()
    except UnreadableImage:
        raise
    except Exception:  # noqa: BLE001, S110 - not Pillow's format: the decoders below say more
        pass


def _read_with_pillow(path: Path) -> Optional[np.ndarray]:
    try:
        from PIL import Image, ImageOps
    except ImportError:
        return None
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            return np.asarray(im.convert("RGB"))
    except Exception:  # noqa: BLE001 - any decoder failure means "unreadable"
        return None


def _sniff(data: bytes, suffix: str) -> str:
    head = data[:4096]
    try:
        head.decode("utf-8")
        kind = "text"
    except UnicodeDecodeError:
        kind = "binary data"
    return f"{kind}, {suffix} file" if suffix else kind


def _as_rgb8(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    if a.ndim != 3 or a.shape[-1] not in (3, 4):
        raise UnreadableImage(f"array of shape {a.shape} is not an HxW, HxWx3 or HxWx4 image")
    a = a[..., :3]
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating):
            a = np.rint(a * (255.0 if a.max(initial=0) <= 1.0 else 1.0))
        a = np.clip(a, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(a)
