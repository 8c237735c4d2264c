"""Model inputs drawn from images: MediaPipe face landmarks and landmark depth maps.

    from archspace.features import extract_faces
    feats = extract_faces("photos/", out="feats.npz")   # photos/<class>/*.jpg
    feats.image.shape, feats.depth.shape, feats.landmarks.shape, feats.labels, feats.skipped

The .npz holds arrays named after the inputs of the face spaces (`image`, `depth` for
squeezenet_se1_auto / squeezenet_sem_auto, `landmarks` for mlp_auto) plus `labels`, so it plugs
straight into `archspace search SPACE --data feats.npz`.

Nothing heavy is imported here: MediaPipe (which pulls in TensorFlow), OpenCV and SciPy load on the
first call that needs them.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "extract_faces": "faces",
    "FaceFeatures": "faces",
    "Skipped": "files",
    "collect_images": "files",
    "read_image": "files",
    "depth_map": "depth",
    "open_landmarker": "landmarks",
    "N_LANDMARKS": "landmarks",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


__all__ = sorted(_LAZY)
