"""Face landmarks and depth maps as model inputs (MediaPipe, Python API)

The facial-expression models of the SqueezeNetSEMAuto paper take two inputs, the photo and a
depth-map image drawn from MediaPipe's 468 3-D face landmarks (spaces/squeezenet_se1_auto.arch,
spaces/squeezenet_sem_auto.arch); MLPAuto takes the landmarks themselves (spaces/mlp_auto.arch).
`archspace.features.extract_faces` builds all three from a folder with one subfolder per class
and writes them to an .npz whose array names match those spaces' inputs, plus `labels`.

This example makes a tiny labelled folder from the portrait that ships with scikit-image (and a
photo without a face, which is reported and skipped), extracts the features and prints what it
got. The same from the shell:

    archspace features faces FOLDER --out feats.npz --save-png depth_pngs/
    archspace search spaces/squeezenet_sem_auto.arch --data feats.npz

Run: python examples/faces_features.py [OUT_DIR]   (needs archspace[features]; ~10 s, offline)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np


def make_folder(root: Path) -> Path:
    """root/smile/*.png (the astronaut and her mirror image), root/other/* (a crop, a coffee)."""
    import cv2
    from skimage import data

    face = data.astronaut()
    pictures = {
        "smile/astronaut.png": face,
        "smile/mirrored.png": face[:, ::-1],
        "other/cropped.png": face[40:360, 120:440],
        "other/coffee.png": data.coffee(),          # no face: reported, not a row
    }
    for name, rgb in pictures.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / name), cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    return root


def main(out_dir: Path) -> None:
    from archspace.features import extract_faces

    folder = make_folder(out_dir / "photos")
    feats = extract_faces(folder, out_dir / "feats.npz", image_size=224, depth_size=224,
                          save_png=out_dir / "depth_pngs")
    print(feats)
    for name, array in feats.arrays().items():
        print(f"  {name:10s} {str(array.shape):22s} {array.dtype}")
    print("classes:", feats.class_counts())
    for s in feats.skipped:
        print(f"skipped {s.file}: {s.reason}")
    d = feats.depth[0, ..., 0]
    print(f"depth map 0: {100 * (d > 0).mean():.1f}% of the pixels on the face, "
          f"values {d[d > 0].min():.2f}..{d.max():.2f}")
    print(f"wrote {feats.out}, {feats.report_path} and the depth PNGs under {out_dir / 'depth_pngs'}")

    with np.load(feats.out, allow_pickle=False) as z:   # what `archspace search --data` reads
        assert z["image"].shape[1:] == (224, 224, 3) and z["depth"].shape[1:] == (224, 224, 1)
        assert z["landmarks"].shape[1:] == (468, 3) and len(z["labels"]) == len(z["image"])


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
