"""Facial expressions: photo + landmark depth map (SqueezeNetSE1Auto, SEMAuto) and MLPAuto

Reproduces, at a small scale, the facial-expression experiment of the SqueezeNetSEMAuto paper
(Chantrapornchai, Kajkamhaeng and Romphet, Sci. Rep. 13, 2023; seed 000), section
"Experiments / Tsinghua facial expressions", Tables 6-10, Figs. 16-21: MediaPipe's 468 3-D face
landmarks are extracted from every photo (`archspace.features.extract_faces`); the landmarks
feed MLPAuto (spaces/mlp_auto.arch: 4..10 dense layers of 16..512 units), and a depth-map image
drawn from them is a second input next to the photo: SqueezeNetSE1Auto merges the two by Add
after the first conv + pool (spaces/squeezenet_se1_auto.arch), SqueezeNetSEMAuto searches the
merge point too (after the stem, group 1 or group 2; spaces/squeezenet_sem_auto.arch).
SqueezeNetSEAuto on the photo alone is the single-input reference (Table 8).

Small scale (default, a few minutes on 2 CPU cores; needs archspace[features]): the Tsinghua set
is not public-domain, so the faces come with scikit-image: the first 40 photos of
`skimage.data.lfw_subset()` (25x25 gray LFW crops, upscaled), each tilted 15 degrees to the
left and to the right. The tilt is a two-class stand-in for the expression label: every input
carries it (photo, depth map, landmarks), so all four spaces have something to learn. Photos
and depth maps are 64x64 (the paper: 224x224), 2 classes (the paper: 8). --quick: 8 faces,
1 trial x 1 epoch per space.

Paper scale (the Tsinghua facial expression set: 110 subjects x 8 expressions, 80:20 split):
    archspace features faces tsinghua/ --out feats.npz        # tsinghua/<expression>/*.jpg
    python examples/facial_expression_search.py --data feats.npz --full \\
        --strategies random hyperband bayesian --trials 100 --epochs 100
(--full keeps the spaces' 224x224 inputs and 8 classes.)

What the paper reported (validation accuracy, Tsinghua set): the traditional SqueezeNet models
stay under 20%; SqueezeNetAuto's best small model: 123,880 bytes (Table 7); SqueezeNetSEAuto
(bayesian) 0.674 at 145,032 bytes (Table 8, Fig. 19); SqueezeNetSE1Auto (random) 0.691 at
182,936 bytes (Table 9, Fig. 20); SqueezeNetSEMAuto (bayesian) 0.714, the best, at 884,688
bytes (Table 10, Fig. 21): adding the depth-map input and choosing where to merge it helps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import _common as C

SPACES = ("mlp_auto", "squeezenet_se_auto", "squeezenet_se1_auto", "squeezenet_sem_auto")


def make_photos(root: Path, n_faces: int) -> Path:
    """root/tilt_left/*.png and root/tilt_right/*.png: LFW faces upscaled to 128x128 RGB and
    rotated +-15 degrees."""
    import cv2
    from skimage import data, transform

    faces = data.lfw_subset()[:100]            # the first 100 are faces, the rest are not
    for label, angle in (("tilt_left", 15), ("tilt_right", -15)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n_faces):
            big = transform.resize(faces[i], (128, 128), order=3)
            big = transform.rotate(big, angle, mode="edge")
            gray = (np.clip(big, 0, 1) * 255).astype("uint8")
            cv2.imwrite(str(root / label / f"lfw{i:03d}.png"), cv2.merge([gray, gray, gray]))
    return root


def features(out: Path, n_faces: int, size: int) -> Path:
    """The .npz of photos, depth maps, landmarks and labels (reused when already there)."""
    from archspace.features import extract_faces

    npz = out / f"faces_{n_faces}_{size}.npz"
    if npz.exists():
        return npz
    photos = make_photos(out / f"photos_{n_faces}", n_faces)
    feats = extract_faces(photos, npz, image_size=size, depth_size=size)
    print(f"   features: {feats}", flush=True)
    return npz


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "facial_expression_search",
                 data="an .npz from `archspace features faces` (default: built from LFW faces)")
    p.add_argument("--strategies", nargs="+", default=["random"])
    p.add_argument("--faces", type=int, help="LFW faces to use (each gives 2 photos)")
    p.add_argument("--full", action="store_true",
                   help="keep the spaces' 224x224 inputs and 8 classes (real data)")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=3, epochs=8, fraction=1.0),
                 quick=C.Scale(trials=1, epochs=1, fraction=1.0))
    n_faces = args.faces or (8 if args.quick else 40)
    size = 64
    timer = C.Timer()
    args.out.mkdir(parents=True, exist_ok=True)

    C.banner("Facial expressions with photo + depth merge and landmarks (seed 000, Tsinghua)",
             data=args.data or f"{n_faces} LFW faces x 2 tilts (scikit-image)",
             trials=sc.trials, epochs=sc.epochs, strategies=", ".join(args.strategies))
    data = args.data or str(features(args.out, n_faces, size))
    with np.load(data) as z:
        n_classes = len(z["classes"]) if "classes" in z.files else int(z["labels"].max()) + 1
        print(f"   {len(z['labels'])} faces, {n_classes} classes", flush=True)

    import archspace

    rows = []
    for name in SPACES:
        space = archspace.parse_file(C.SPACES / f"{name}.arch")
        if not args.full:   # the small photos and the stand-in classes
            images = {i.name: (size, size, i.shape[2]) for i in space.inputs if len(i.shape) == 3}
            space = space.with_overrides(images or None, {space.outputs[0].name: n_classes})
        for strategy in args.strategies:
            result = archspace.search(
                space, data=data, strategy=strategy, trials=sc.trials, epochs=sc.epochs,
                fraction=sc.fraction, seed=args.seed, out=args.out / f"{name}_{strategy}",
                tensorboard=False, verbose=False)
            best = C.summarize(f"{name} / {strategy}", result)
            rows.append((name, strategy, (best.get("objectives") or {}).get("val_accuracy"),
                         best.get("params"), (best.get("config") or {}).get("towers/at")))

    print("\nspace                  strategy   val_accuracy   params     merge at")
    for name, strategy, acc, n, at in rows:
        print(f"{name:22s} {strategy:10s} {acc if acc is not None else float('nan'):12.4f}"
              f"   {n or 0:>9,}  {at or ('stem' if 'se1' in name else '-')}")
    print("paper (Tsinghua, 8 expressions): SqueezeNetSEAuto 0.674, SE1Auto 0.691, "
          "SEMAuto 0.714; plain SqueezeNet < 0.20")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
