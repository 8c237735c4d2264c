"""UNet-Auto: searching U-Net's depth, length and convs per block for segmentation (seed 000)

Reproduces, at a small scale, the image-segmentation application of the SqueezeNetSEMAuto
paper (Chantrapornchai, Kajkamhaeng and Romphet, Sci. Rep. 13, 2023; seed 000), section "Other
applications / Image segmentation", Fig. 23 and Tables 11-13: UNet-Auto
(spaces/unet_auto.arch) searches the starting depth (8..64 filters), the number of down/up
blocks (1..5), the convs per down block, per up block (part 1 before the concatenation with
the long skip, part 2 after it) and in the bottom block, the dropout rate, the optimizer and
the learning rate; its default is the original U-Net (spaces/unet.arch, 31,030,658 params).

Small scale (default, a few minutes on 2 CPU cores): scikit-learn's digits as a two-class
segmentation set: each 8x8 digit upsampled to 32x32 with a little noise is the image; its
mask labels every pixel stroke (1) or background (0). Inputs 32x32x1, 2 classes; a static
screen keeps trials under 1M params (a full-depth U-Net is 31M); pixel accuracy is the
objective, as in the paper. --quick: 1 trial x 1 epoch on 10% of the digits.
--baseline also trains the original U-Net (31M params: slow on a CPU).

Paper scale (CWFID weed set, 59 field images with soil/crop/weed masks; 150 epochs x 100
trials per strategy):
    python examples/unet_auto_segmentation.py --data weeds.npz --full \\
        --strategies random hyperband bayesian --trials 100 --epochs 150 --max-params 0
  where weeds.npz holds `image` (N x H x W x 3) and `labels` (N x H x W class indices); the
  loader resizes both to the space's 256x256 (masks by nearest neighbour). Or from the shell:
    archspace search spaces/unet_auto.arch --data weeds.npz --strategy bayesian --trials 100

What the paper reported (validation pixel accuracy on the weed set, Table 12): the original
U-Net 0.964; the best UNet-Auto models 0.977 (random), 0.973 (hyperband), 0.974 (bayesian).
The best model has more parameters than the baseline, but the bayesian r1 model matches it
with far fewer, using the minimum starting depth 8 and more convolutional blocks; RMSprop is the
optimizer of every top model (Table 13).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import _common as C


def digit_masks(out: Path, size: int = 32, seed: int = 0) -> Path:
    """digits_seg.npz: `image` (N, size, size, 1) float32 and `labels` (N, size, size) int64."""
    npz = out / f"digits_seg_{size}.npz"
    if npz.exists():
        return npz
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    d = load_digits()
    clean = np.stack([zoom(im / 16.0, size / 8, order=1) for im in d.images]).clip(0, 1)
    labels = (clean > 0.4).astype("int64")
    noisy = clean + np.random.default_rng(seed).normal(0, 0.15, clean.shape)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(npz, image=noisy[..., None].astype("float32"), labels=labels,
             classes=np.array(["background", "stroke"]))
    return npz


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "unet_auto_segmentation",
                 data="an .npz with `image` and per-pixel `labels` (default: digit masks)")
    p.add_argument("--strategies", nargs="+", default=["random"])
    p.add_argument("--max-params", type=float, default=1e6,
                   help="static screen on the model size (0: none; default 1e6)")
    p.add_argument("--full", action="store_true", help="keep the space's 256x256x3, 3 classes")
    p.add_argument("--baseline", action="store_true", help="also train the original U-Net")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=4, epochs=4, fraction=0.5),
                 quick=C.Scale(trials=1, epochs=1, fraction=0.1))
    timer = C.Timer()
    data = args.data or str(digit_masks(args.out, seed=args.seed))
    C.banner("UNet-Auto segmentation search (seed 000, weed segmentation)",
             data=data, trials=sc.trials, epochs=sc.epochs, fraction=sc.fraction,
             max_params=f"{args.max_params:,.0f}" if args.max_params else "none",
             strategies=", ".join(args.strategies))

    import archspace
    from archspace.search import train

    space = archspace.parse_file(C.SPACES / "unet_auto.arch")
    if not args.full:
        with np.load(data) as z:
            h, w, c = z["image"].shape[1:4]
            k = len(z["classes"]) if "classes" in z.files else int(z["labels"].max()) + 1
        space = space.with_overrides({"image": (h, w, c)}, {"classes": k})
    print(f"   space: {space.name}, input {space.inputs[0].shape}, "
          f"{archspace.build_graph(space).params:,} params at the default (the original U-Net)")

    rows = []
    if args.baseline:
        r = train(space, {}, data, epochs=sc.epochs, fraction=sc.fraction, seed=args.seed,
                  out=args.out / "unet_original.keras", verbose=False)
        rows.append(("original U-Net", "-", r["metrics"].get("val_accuracy"), r["params"]))
    for strategy in args.strategies:
        result = archspace.search(
            space, data=data, strategy=strategy, trials=sc.trials, epochs=sc.epochs,
            fraction=sc.fraction, seed=args.seed, max_params=args.max_params or None,
            objectives=["maximize val_accuracy", "minimize params"],
            out=args.out / f"unet_auto_{strategy}", tensorboard=False, verbose=False)
        best = C.summarize(f"unet_auto / {strategy}", result)
        cfg = best.get("config") or {}
        rows.append(("UNet-Auto", strategy, (best.get("objectives") or {}).get("val_accuracy"),
                     best.get("params")))
        if cfg:
            levels = 1 + sum(1 for k2, v in cfg.items() if k2.endswith("next") and v == "down")
            print(f"   best: depth {cfg.get('depth')}, {levels} down/up blocks, "
                  f"optimizer {cfg.get('train/optimizer')}, "
                  f"learning rate {cfg.get('train/learning_rate')}", flush=True)

    print("\nmodel            strategy   pixel accuracy   params")
    for model, strategy, acc, n in rows:
        print(f"{model:16s} {strategy:10s} {acc if acc is not None else float('nan'):14.4f}"
              f"   {n or 0:>10,}")
    print("paper (weed set, 150 epochs x 100 trials): U-Net 0.964; UNet-Auto 0.977 (random), "
          "0.973 (hyperband), 0.974 (bayesian)")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
