"""GruNAS: a differentiable search for the group count of every grouped convolution (seed 003)

Reproduces, at a small scale, the experiment of Seo, Park, Lim, Kim and Lee, "Achieving an
optimal group structure in a neural architecture search" (Electronics Letters 58, 2022; seed
003): the backbone of the authors' public log, 10 ShuffleNet units
(spaces/grunas_shufflenet.arch), in which the group count of each unit's grouped 1x1 conv (and
of its channel shuffle) is chosen from G = {1, 2, 3, 4, 6}, searched as the paper does with
`--strategy dnas`: one supernet holds all five group counts of every unit, mixed with
Gumbel-softmax weights of per-unit architecture weights theta; the weights (80% of the training
data) and the thetas (20%, loss CE * P(H)^0.8 with P(H) the expected parameter count from the
static per-candidate counts) are trained alternately while the temperature anneals from 5.0 by
e^-0.645 per epoch; the argmax theta per unit is then trained from scratch as one trial. The
paper's H = {4, 1, 1, 2, 2, 3, 2, 4, 4, 6} (162,430 trainable params; the log's h10 = 4 gives
168,574) is trained as a reference point.

Small scale (default, a few minutes on 2 CPU cores): scikit-learn's digits resized to the
space's 36x36x3, a quarter of them, batches of 32; 3 supernet epochs, then the derived
architecture for 3 epochs. At this budget accuracy stays low (the paper trains 100 epochs) and
the thetas move little from uniform: the run shows the search, its per-epoch records
(RUN/dnas/history.csv, report.html) and the derived architecture, not the paper's 90%.
--quick: 1 epoch of each on 10% of the digits at 18x18, no reference training.

Paper scale (CIFAR-10, 36x36 inputs, 100 epochs; a GPU):
    python examples/grunas_group_search.py --data cifar10 --epochs 100 --fraction 1.0
    archspace search spaces/grunas_shufflenet.arch --data cifar10 --strategy dnas --epochs 100
(the public code's variant: add --dnas anneal=0.956 --dnas warmup=20 --dnas target=316228,
and drop 6 from the choices in the .arch file for its G = {1, 2, 3, 4}).

What the paper reported (CIFAR-10 test set, Table 1): the searched network reaches 90.31%
top-1 with 0.16M parameters (0.64 MB) and 4 ms GPU latency, against MobileNetV2 77.31% (2.24M),
MobileNetV3 77.94% (4.21M), ShuffleNetV2 70.59% (0.35M), MnasNet 58.59% (3.12M) and SqueezeNet
26.27% (0.73M), all trained from scratch; the found group structure uses large groups in the
last, widest units (h8, h9, h10 = 4, 4, 6).
"""

from __future__ import annotations

import json
import sys

import _common as C

PAPER_H = (4, 1, 1, 2, 2, 3, 2, 4, 4, 6)


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "grunas_group_search",
                 data="digits (default, built in) or cifar10 (Keras downloads it once)")
    p.add_argument("--beta", type=float, default=0.8, help="size penalty exponent (0.8)")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=1, epochs=3, fraction=0.25),
                 quick=C.Scale(trials=1, epochs=1, fraction=0.1))
    data = args.data or "digits"
    batch = 32 if data == "digits" else None      # None: the space's (the paper's) 128
    timer = C.Timer()

    import archspace
    from archspace.search import train

    space = archspace.parse_file(C.SPACES / "grunas_shufflenet.arch")
    if args.quick:   # the smoke run: smaller images, the same network
        space = space.with_overrides({"image": (18, 18, 3)})
    units = [d.path for d in archspace.decisions(space)]
    C.banner("GruNAS group-structure search (seed 003, CIFAR-10)", data=data, strategy="dnas",
             epochs=sc.epochs, fraction=sc.fraction, beta=args.beta,
             space=f"{len(units)} group counts from {{1, 2, 3, 4, 6}}: 5^10 = 9,765,625 networks")

    paper_cfg = dict(zip(units, PAPER_H))
    if args.quick:
        print(f"-> the paper's H {list(PAPER_H)}: "
              f"{archspace.build_graph(space, paper_cfg).trainable:,} trainable params",
              flush=True)
    else:
        ref = train(space, paper_cfg, data, epochs=sc.epochs, fraction=sc.fraction,
                    batch_size=batch, seed=args.seed, out=args.out / "paper_h.keras",
                    verbose=False)
        print(f"-> the paper's H {list(PAPER_H)}: val_accuracy "
              f"{ref['metrics'].get('val_accuracy', float('nan')):.4f}, {ref['params']:,} "
              "params", flush=True)

    run = args.out / "grunas_dnas"
    result = archspace.search(space, data=data, strategy="dnas", trials=1, epochs=sc.epochs,
                              fraction=sc.fraction, batch_size=batch, seed=args.seed,
                              strategy_args={"beta": args.beta}, out=run, tensorboard=False,
                              verbose=False)
    C.summarize("grunas_shufflenet / dnas", result)
    history = json.loads((run / "dnas" / "history.json").read_text())
    print("\nsupernet per epoch (temperature, expected params, val_accuracy):")
    for r in history:
        print(f"   {r['epoch']:>3}  {r['temperature']:.3f}  {r['expected_params']:>10,.0f}  "
              f"{r['val_accuracy']:.4f}")
    derived = json.loads((run / "dnas" / "derived.json").read_text())
    print(f"derived H = {[derived['choice'][u] for u in units]} "
          f"({derived['params']:,} trainable params)")
    print("theta (probabilities of g = 1, 2, 3, 4, 6) per unit:")
    for u in units:
        print(f"   {u:<9} " + "  ".join(f"{q:.3f}" for q in derived["probs"][u]))
    print("paper (CIFAR-10, DNAS, 100 epochs): 90.31% top-1, 0.16M params, "
          "H = {4, 1, 1, 2, 2, 3, 2, 4, 4, 6}")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
