"""MobileNetV2-SSD-Auto: replicating MobileNetV2 bottlenecks in an SSD detector (seed 000)

Reproduces, at a small scale, the object-detection application of the SqueezeNetSEMAuto paper
(Chantrapornchai, Kajkamhaeng and Romphet, Sci. Rep. 13, 2023; seed 000), section "Other
applications / Object detection", Figs. 25-26 and Tables 14-16: an SSD detector on MobileNetV2
(spaces/mobilenetv2_ssd_auto.arch) whose bottleneck blocks B3_3, B4_3, B5_3 and B6_3 are each
replicated 1..3 times, with the learning rate (1e-3 / 1e-4) searched; the loss is SSD's,
confidence (softmax cross-entropy) + smooth L1 on the box offsets, and the search minimises the
validation loss, as the paper does.

Data: "MNIST with bounding boxes", built here from scikit-learn's digits: each image is a
64x64 canvas with one digit (8x8, upscaled to 16..32 px) pasted at a random place; its labels
are the digit (class 1..10; 0 is the background) and its box. 600 training and 100 test images,
the paper's sizes; 2 trials x 5 epochs. --quick: 128 + 32 images (whole batches of 32: a ragged
last batch makes TensorFlow trace the train step twice, the dearest part of a short run),
1 trial x 1 epoch, no baseline.

Targets, anchor by anchor, in the order the space's heads emit them (feature map by feature
map, row-major, then anchor; the maps' sizes are read from the space's layer graph, so the
example follows any input size): 6 SSD anchors per location (aspect ratios 1, 2, 1/2, 3, 1/3 at
the map's scale, and 1 at the geometric mean of it and the next scale; scales 0.2..0.9).
Anchors whose IoU with the box is >= 0.5, and the best one, get the digit's class, the rest the
background. Every anchor regresses the image's one box (SSD's offsets: centre / anchor size /
0.1, log size ratio / 0.2), so the plain smooth L1 over all anchors needs no positive mask: the
documented simplification of this single-object example. With several objects per image a
masked box loss and hard-negative mining (SSD's) would be needed; the network is the same.
The original network (every replication 1) is trained first, as the paper's baseline. After
the search the best model is decoded (most confident non-background anchor) and scored:
digit accuracy and mean IoU on the test images.

Expect the training loss to fall quickly and the validation numbers to lag far behind at this
scale: MobileNetV2's BatchNorm layers keep moving averages with momentum 0.999 (as
keras.applications builds them), which a few hundred steps from scratch barely move, and the
validation pass uses them. The paper trains for many more steps; the small run shows the
pipeline (space -> targets -> search -> decoding), not the paper's accuracy.

Paper scale (the paper's MNIST-with-boxes: 600 + 100 images; 100 trials per strategy):
    python examples/mobilenetv2_ssd_detection.py --size 300 --strategies random hyperband \\
        bayesian --trials 100 --epochs 100
  or, with your own encoded data (arrays `image`, `classes`, `boxes`, `val_...`):
    archspace search spaces/mobilenetv2_ssd_auto.arch --data boxes.npz --strategy random

What the paper reported (validation loss, Table 15): 0.01 for the original MobileNetV2-SSD;
every model found by random, hyperband and bayesian search is lower; the model sizes are
all the same: the replicas reuse the block's weights (`repeat .. shared` in the space).
Table 16 lists the replications of the top three.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import _common as C

SCALES = (0.2, 0.9)
RATIOS = (1.0, 2.0, 0.5, 3.0, 1 / 3)
VARIANCES = (0.1, 0.2)


def feature_maps(space) -> tuple[list[tuple[int, int]], int, int]:
    """[(rows, cols)] of the class heads in order, anchors per location, classes."""
    import archspace

    g = archspace.build_graph(space)
    k = g.node(g.outputs["classes"]).shape[-1]
    heads = sorted((n for n in g.nodes if n.name.startswith("cls") and n.name.endswith(".conv")),
                   key=lambda n: int(n.name[3:].split(".")[0]))
    maps = [(n.shape[0], n.shape[1]) for n in heads]
    a = heads[0].shape[-1] // k
    assert g.node(g.outputs["boxes"]).shape[0] == a * sum(h * w for h, w in maps)
    return maps, a, k


def anchors(maps: list[tuple[int, int]], per_location: int) -> np.ndarray:
    """(A, 4) anchors as (cx, cy, w, h) in [0, 1], in the heads' order."""
    m = len(maps)
    s = [SCALES[0] + (SCALES[1] - SCALES[0]) * i / max(1, m - 1) for i in range(m)] + [1.0]
    out = []
    for i, (rows, cols) in enumerate(maps):
        shapes = [(s[i] * np.sqrt(r), s[i] / np.sqrt(r)) for r in RATIOS]
        shapes.append((np.sqrt(s[i] * s[i + 1]),) * 2)
        shapes = shapes[:per_location]
        for y in range(rows):
            for x in range(cols):
                for w, h in shapes:
                    out.append(((x + 0.5) / cols, (y + 0.5) / rows, w, h))
    return np.asarray(out, dtype="float32")


def iou(box: np.ndarray, anc: np.ndarray) -> np.ndarray:
    """IoU of one (x0, y0, x1, y1) box with (A, 4) (cx, cy, w, h) anchors."""
    ax0, ay0 = anc[:, 0] - anc[:, 2] / 2, anc[:, 1] - anc[:, 3] / 2
    ax1, ay1 = anc[:, 0] + anc[:, 2] / 2, anc[:, 1] + anc[:, 3] / 2
    iw = np.clip(np.minimum(box[2], ax1) - np.maximum(box[0], ax0), 0, None)
    ih = np.clip(np.minimum(box[3], ay1) - np.maximum(box[1], ay0), 0, None)
    inter = iw * ih
    return inter / ((box[2] - box[0]) * (box[3] - box[1]) + anc[:, 2] * anc[:, 3] - inter)


def encode(box: np.ndarray, digit: int, anc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ov = iou(box, anc)
    cls = np.zeros(len(anc), dtype="int64")
    cls[ov >= 0.5] = digit + 1
    cls[int(ov.argmax())] = digit + 1
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    w, h = box[2] - box[0], box[3] - box[1]
    off = np.stack([(cx - anc[:, 0]) / anc[:, 2] / VARIANCES[0],
                    (cy - anc[:, 1]) / anc[:, 3] / VARIANCES[0],
                    np.log(w / anc[:, 2]) / VARIANCES[1],
                    np.log(h / anc[:, 3]) / VARIANCES[1]], axis=1)
    return cls, off.astype("float32")


def decode(off: np.ndarray, anc: np.ndarray) -> np.ndarray:
    cx = off[..., 0] * VARIANCES[0] * anc[:, 2] + anc[:, 0]
    cy = off[..., 1] * VARIANCES[0] * anc[:, 3] + anc[:, 1]
    w = np.exp(off[..., 2] * VARIANCES[1]) * anc[:, 2]
    h = np.exp(off[..., 3] * VARIANCES[1]) * anc[:, 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


def digits_on_canvas(n: int, size: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, size, size, 3) images in [0, 1], digits (n,), boxes (n, 4) as x0, y0, x1, y1."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    d = load_digits()
    pick = rng.choice(len(d.images), n, replace=n > len(d.images))
    images = np.zeros((n, size, size), "float32")
    boxes = np.zeros((n, 4), "float32")
    for i, j in enumerate(pick):
        side = int(rng.integers(size // 4, size // 2 + 1))
        patch = zoom(d.images[j] / 16.0, side / 8, order=1).clip(0, 1)
        y0, x0 = (int(v) for v in rng.integers(0, size - side + 1, 2))
        images[i, y0:y0 + side, x0:x0 + side] = patch
        ys, xs = np.nonzero(patch > 0.1)
        boxes[i] = [(x0 + xs.min()) / size, (y0 + ys.min()) / size,
                    (x0 + xs.max() + 1) / size, (y0 + ys.max() + 1) / size]
    images += rng.normal(0, 0.05, images.shape).astype("float32")
    return np.repeat(images.clip(0, 1)[..., None], 3, axis=3), d.target[pick], boxes


def make_data(out: Path, space, n_train: int, n_val: int, seed: int) -> tuple[Path, np.ndarray]:
    maps, a, _ = feature_maps(space)
    anc = anchors(maps, a)
    size = space.inputs[0].shape[0]
    npz = out / f"digit_boxes_{size}_{n_train}_{n_val}.npz"
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in (("", n_train), ("val_", n_val)):
        images, digits, boxes = digits_on_canvas(n, size, rng)
        enc = [encode(b, int(dg), anc) for b, dg in zip(boxes, digits)]
        arrays.update({prefix + "image": images,
                       prefix + "classes": np.stack([e[0] for e in enc]),
                       prefix + "boxes": np.stack([e[1] for e in enc]),
                       prefix + "digit": digits, prefix + "box": boxes})
    out.mkdir(parents=True, exist_ok=True)
    np.savez(npz, **arrays)
    positives = (arrays["classes"] > 0).sum(1)
    print(f"   data: {n_train} + {n_val} canvases {size}x{size}, {len(anc)} anchors on maps "
          f"{maps}, {positives.mean():.1f} positive anchors per image", flush=True)
    return npz, anc


def evaluate(model_path: Path, npz: Path, anc: np.ndarray) -> tuple[float, float]:
    """Digit accuracy and mean IoU of the most confident non-background anchor."""
    import keras

    model = keras.saving.load_model(model_path, compile=False)
    with np.load(npz) as z:
        x, digits, boxes = z["val_image"], z["val_digit"], z["val_box"]
    pred = model.predict(x, verbose=0)
    scores, offsets = pred["classes"], pred["boxes"]
    fg = scores[..., 1:]
    best = fg.max(-1).argmax(-1)
    rows = np.arange(len(x))
    digit = fg[rows, best].argmax(-1)
    box = decode(offsets[rows, best], anc[best])
    ious = [iou(b, np.array([[(g[0] + g[2]) / 2, (g[1] + g[3]) / 2, g[2] - g[0], g[3] - g[1]]]))[0]
            for b, g in zip(box, boxes)]
    return float((digit == digits).mean()), float(np.mean(ious))


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "mobilenetv2_ssd_detection")
    p.add_argument("--strategies", nargs="+", default=["random"])
    p.add_argument("--size", type=int, default=64, help="canvas side (the space: 300)")
    p.add_argument("--train", type=int, help="training images (default 600; quick 128)")
    p.add_argument("--test", type=int, help="test images (default 100; quick 32)")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=2, epochs=5, fraction=1.0),
                 quick=C.Scale(trials=1, epochs=1, fraction=1.0))
    n_train = args.train or (128 if args.quick else 600)
    n_val = args.test or (32 if args.quick else 100)
    timer = C.Timer()

    import archspace

    space = archspace.parse_file(C.SPACES / "mobilenetv2_ssd_auto.arch")
    if args.size != space.inputs[0].shape[0]:
        space = space.with_overrides({"image": (args.size, args.size, 3)})
    C.banner("MobileNetV2-SSD-Auto detection search (seed 000, MNIST with boxes)",
             canvas=f"{args.size}x{args.size}", trials=sc.trials, epochs=sc.epochs,
             strategies=", ".join(args.strategies),
             default_params=f"{archspace.build_graph(space).params:,}")
    npz, anc = make_data(args.out, space, n_train, n_val, args.seed)

    rows = []
    if not args.quick:   # the original network (every replication 1), as the paper's Table 15
        from archspace.search import train

        r = train(space, {}, str(npz), epochs=sc.epochs, seed=args.seed,
                  out=args.out / "original.keras", verbose=False)
        m = r["metrics"]
        acc, miou = evaluate(args.out / "original.keras", npz, anc)
        print(f"-> original MobileNetV2-SSD (learning rate {r['config']['train/learning_rate']}):"
              f" training loss {m.get('loss', float('nan')):.4f}, val_loss "
              f"{m.get('val_loss', float('nan')):.4f}; digit accuracy {acc:.3f}, mean IoU "
              f"{miou:.3f}", flush=True)
        rows.append(("original", m.get("val_loss"), r["params"], "all x1"))
    for strategy in args.strategies:
        result = archspace.search(
            space, data=str(npz), strategy=strategy, trials=sc.trials, epochs=sc.epochs,
            fraction=sc.fraction, seed=args.seed, out=args.out / f"ssd_{strategy}",
            tensorboard=False, verbose=False)
        best = C.summarize(f"mobilenetv2_ssd_auto / {strategy}", result)
        if not best:
            continue
        cfg = best.get("config") or {}
        reps = ", ".join(f"{k} x{cfg[k]}" for k in ("b3_3", "b4_3", "b5_3", "b6_3") if k in cfg)
        acc, miou = evaluate(result.out / "best" / "model.keras", npz, anc)
        m = best.get("metrics") or {}
        print(f"   best: {reps}, learning rate {cfg.get('train/learning_rate')}; "
              f"training loss {m.get('loss', float('nan')):.4f}, "
              f"val_loss {m.get('val_loss', float('nan')):.4f} (classes "
              f"{m.get('val_classes_loss', float('nan')):.4f} + boxes "
              f"{m.get('val_boxes_loss', float('nan')):.4f}); digit accuracy {acc:.3f}, "
              f"mean IoU {miou:.3f}", flush=True)
        rows.append((strategy, m.get("val_loss"), best.get("params"), reps))

    print("\nstrategy    val_loss   params      replications")
    for strategy, loss, n, reps in rows:
        print(f"{strategy:10s} {loss if loss is not None else float('nan'):9.4f}   "
              f"{n or 0:>9,}   {reps}")
    print("paper (MNIST with boxes, 600 + 100 images): original model val loss 0.01, every "
          "searched model lower")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
