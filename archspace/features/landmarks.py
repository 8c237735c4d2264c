"""MediaPipe face landmarkers: the face mesh solution bundled with mediapipe 0.10.21, or the Tasks
API's FaceLandmarker with a `face_landmarker.task` file.

Both return, per detected face, a (468, 3) float32 array in MediaPipe's convention: x and y
normalised to [0, 1] by the image width and height, z the relative depth (smaller = nearer the
camera) on roughly the same scale as x, origin at the head's centre.

- `FaceMeshLandmarker` (default): `mediapipe.solutions.face_mesh.FaceMesh(static_image_mode=True,
  refine_landmarks=False)`; its face detector and `face_landmark.tflite` ship inside the
  mediapipe 0.10.21 wheel, so nothing is downloaded at run time. Releases from 0.10.30 on ship
  neither the model nor `mediapipe.solutions`.
- `TaskLandmarker` (`model=...`): `mediapipe.tasks.python.vision.FaceLandmarker` in IMAGE mode.
  The released `face_landmarker.task` predicts 478 points (the 468 mesh points + 10 iris points);
  only the first 468, the same mesh topology as the face mesh solution, are kept.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Optional, Protocol

import numpy as np

from ..errors import ArchError

N_LANDMARKS = 468
TASK_URL = ("https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
            "float16/1/face_landmarker.task")


class Landmarker(Protocol):
    name: str

    def detect(self, rgb: np.ndarray) -> list[np.ndarray]: ...

    def close(self) -> None: ...


def _import_mediapipe():
    # MediaPipe's C++ side logs through glog and TensorFlow Lite; keep stderr for our own report
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import mediapipe as mp
    except ImportError as e:
        raise ArchError(f"MediaPipe is not installed ({e})",
                        hint="pip install 'archspace[features]' (mediapipe==0.10.21)") from None
    return mp


# MediaPipe's native code logs to file descriptor 2 (absl before InitializeLog, TensorFlow Lite's
# "Created TensorFlow Lite XNNPACK delegate"), partly from its graph threads at any time while a
# landmarker is open; the environment variables above do not reach absl. `extract_faces` runs
# inside quiet_native_stderr(): errors and fatal messages are passed on, the chatter is dropped.
_KEEP = re.compile(r"^(E\d{4}|F\d{4}|ERROR|FATAL|Traceback)")


@contextlib.contextmanager
def quiet_native_stderr():
    """Send file descriptor 2 to a temporary file for the duration, then re-emit only its error
    lines. Python's own sys.stderr (progress bars, warnings) keeps going to the terminal."""
    try:
        fd = sys.__stderr__.fileno()
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):
        yield
        return
    swap = sys.stderr is sys.__stderr__
    python_err = open(saved, "w", closefd=False, errors="backslashreplace") if swap else None
    with tempfile.TemporaryFile() as tmp:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(tmp.fileno(), fd)
        if swap:
            sys.stderr = python_err
        try:
            yield
        finally:
            if swap:
                with contextlib.suppress(Exception):
                    python_err.flush()
                sys.stderr = sys.__stderr__
                python_err.close()
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            keep = [line for line in text.splitlines() if _KEEP.match(line)]
            if keep:
                sys.stderr.write("\n".join(keep) + "\n")


def open_landmarker(model: Optional[str] = None, max_faces: int = 1,
                    min_confidence: float = 0.5) -> Landmarker:
    """The face mesh landmarker, or the Tasks FaceLandmarker when `model` names a .task file."""
    if max_faces < 1:
        raise ArchError(f"max_faces must be at least 1, got {max_faces}")
    if not 0.0 <= min_confidence <= 1.0:
        raise ArchError(f"min_confidence must be in [0, 1], got {min_confidence}")
    if model is not None:
        return TaskLandmarker(model, max_faces, min_confidence)
    return FaceMeshLandmarker(max_faces, min_confidence)


def _to_array(points) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32)


class FaceMeshLandmarker:
    """mediapipe.solutions.face_mesh, static images, 468 points (no iris refinement)."""

    def __init__(self, max_faces: int = 1, min_confidence: float = 0.5):
        mp = _import_mediapipe()
        face_mesh = getattr(getattr(mp, "solutions", None), "face_mesh", None)
        if face_mesh is None:
            raise ArchError(
                f"mediapipe {getattr(mp, '__version__', '?')} has no bundled face mesh model "
                "(mediapipe.solutions was removed in 0.10.30)",
                hint=f"pass --model face_landmarker.task (download it from {TASK_URL}), "
                     "or install mediapipe==0.10.21")
        self._mesh = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=max_faces,
                                        refine_landmarks=False,
                                        min_detection_confidence=min_confidence)
        self.name = f"mediapipe {mp.__version__} face_mesh (face_landmark.tflite, 468 points)"

    def detect(self, rgb: np.ndarray) -> list[np.ndarray]:
        result = self._mesh.process(np.ascontiguousarray(rgb))
        faces = result.multi_face_landmarks or []
        return [_to_array(f.landmark) for f in faces]

    def close(self) -> None:
        self._mesh.close()


class TaskLandmarker:
    """mediapipe.tasks.python.vision.FaceLandmarker with a face_landmarker.task bundle."""

    def __init__(self, model: str, max_faces: int = 1, min_confidence: float = 0.5):
        path = Path(model)
        if not path.is_file():
            raise ArchError(
                f"--model {model}: no such file" if not path.exists()
                else f"--model {model}: not a file",
                hint=f"download face_landmarker.task from {TASK_URL}, or leave out --model to use "
                     "the face mesh model bundled with mediapipe 0.10.21")
        mp = _import_mediapipe()
        try:
            from mediapipe.tasks.python import vision
            from mediapipe.tasks.python.core.base_options import BaseOptions
        except ImportError as e:
            raise ArchError(f"mediapipe {getattr(mp, '__version__', '?')} has no Tasks "
                            f"FaceLandmarker ({e})") from None
        self._mp = mp
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=path.read_bytes()),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=max_faces,
            min_face_detection_confidence=min_confidence,
            min_face_presence_confidence=min_confidence,
            output_face_blendshapes=False,
            output_facial_transformation_matrixes=False,
        )
        try:
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ArchError(f"--model {model}: MediaPipe cannot load it as a face landmarker "
                            f"bundle: {first}",
                            hint=f"expected the face_landmarker.task from {TASK_URL}") from None
        self.name = (f"mediapipe {mp.__version__} Tasks FaceLandmarker ({path.name}, first "
                     f"{N_LANDMARKS} points)")

    def detect(self, rgb: np.ndarray) -> list[np.ndarray]:
        mp = self._mp
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._landmarker.detect(image)
        faces = []
        for face in result.face_landmarks or []:
            if len(face) < N_LANDMARKS:
                raise ArchError(f"the face landmarker gave {len(face)} points, expected at least "
                                f"{N_LANDMARKS}: not a face mesh model")
            faces.append(_to_array(face[:N_LANDMARKS]))
        return faces

    def close(self) -> None:
        self._landmarker.close()
