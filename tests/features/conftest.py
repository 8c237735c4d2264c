"""Shared fixtures: the astronaut portrait that ships with scikit-image, copies of it, and a small
labelled folder (two classes, face variants, a non-face, an unreadable file and a text file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

# the astronaut's face in the 512x512 original: skimage's LBP frontal-face cascade finds it at
# rows 70..163, cols 175..268 (see test_face_box_from_an_independent_detector)
FACE_BOX = (175, 70, 268, 163)   # x0, y0, x1, y1 in pixels
SIZE = 512
CROP = (120, 40, 440, 360)       # x0, y0, x1, y1 of the cropped copy


def _box(x0, y0, x1, y1, w=SIZE, h=SIZE):
    return (x0 / w, y0 / h, x1 / w, y1 / h)


@pytest.fixture(scope="session")
def face_box() -> tuple[int, int, int, int]:
    return FACE_BOX


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def variants(astronaut) -> dict[str, tuple[np.ndarray, tuple[float, float, float, float]]]:
    """name -> (RGB image, the face box normalised to that image)."""
    import cv2

    x0, y0, x1, y1 = FACE_BOX
    cx0, cy0, cx1, cy1 = CROP
    cw, ch = cx1 - cx0, cy1 - cy0
    return {
        "original": (astronaut, _box(*FACE_BOX)),
        "flipped": (np.ascontiguousarray(astronaut[:, ::-1]), _box(SIZE - x1, y0, SIZE - x0, y1)),
        "cropped": (np.ascontiguousarray(astronaut[cy0:cy1, cx0:cx1]),
                    _box(x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0, cw, ch)),
        "half": (cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA), _box(*FACE_BOX)),
        "stretched": (cv2.resize(astronaut, (400, 300), interpolation=cv2.INTER_AREA),
                      _box(*FACE_BOX)),
        "gray": (np.repeat(cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)[..., None], 3, -1),
                 _box(*FACE_BOX)),
    }


def save_rgb(path: Path, rgb: np.ndarray) -> Path:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture(scope="session")
def face_folder(tmp_path_factory, variants) -> Path:
    """faces/happy: 3 faces; faces/sad: 2 faces + coffee (no face) + broken.jpg + notes.txt +
    empty.png; faces/loose.png outside any class folder; faces/.hidden.png ignored."""
    from skimage import data

    root = tmp_path_factory.mktemp("faces")
    save_rgb(root / "happy" / "original.png", variants["original"][0])
    save_rgb(root / "happy" / "flipped.jpg", variants["flipped"][0])
    save_rgb(root / "happy" / "more" / "half.png", variants["half"][0])
    save_rgb(root / "sad" / "cropped.jpg", variants["cropped"][0])
    save_rgb(root / "sad" / "stretched.png", variants["stretched"][0])
    save_rgb(root / "sad" / "coffee.jpg", data.coffee())
    (root / "sad" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64)
    (root / "sad" / "notes.txt").write_text("not a picture\n")
    (root / "sad" / "empty.png").write_bytes(b"")
    save_rgb(root / "loose.png", variants["half"][0])
    save_rgb(root / ".hidden.png", variants["half"][0])
    return root
