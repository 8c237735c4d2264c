"""GruNAS: searching the group count of every grouped convolution (seed 003)

Reproduces, at a small scale, the experiment of Seo, Park, Lim, Kim and Lee, "Achieving an
optimal group structure in a neural architecture search" (Electronics Letters 58, 2022; seed
003): a backbone of 10 ShuffleNet-style units (spaces/grunas_shufflenet.arch) in which the group
count of each unit's grouped 1x1 conv (and its channel shuffle) is chosen from G = {1, 2, 3, 4,
6}, searched for accuracy while keeping the parameter count down (the paper's loss multiplies
the cross-entropy by (max(E[P], P*) / P*)^0.8, P* = 10^5.5 parameters for CIFAR-10).

GruNAS itself is a differentiable search (Gumbel-softmax weights over G per unit, trained with
the network, argmax at the end). archspace searches the same space with trials instead:
NSGA-II (pymoo) with the objectives maximize val_accuracy and minimize params and the space's
constraint params <= 10^5.5, so the accuracy / size trade-off the paper's loss balances is kept
as a Pareto front. The group structure the paper found, H = {4, 1, 1, 2, 2, 3, 2, 4, 4, 6}, is
trained too, as a reference point.

Small scale (default, a few minutes on 2 CPU cores): scikit-learn's digits, resized to the
space's 36x36x3, a quarter of them, in batches of 32 (the space's 128 leaves too few steps);
NSGA-II with a population of 4 for 4 trials of 2 epochs (grouped convolutions are slow on a
CPU). At this budget the validation accuracy stays near chance: the BatchNorm moving averages
have seen a few dozen steps, and the paper's learning rate (SGD 0.1) is made for 100 epochs;
the run shows the search and its Pareto front of accuracy against size, not the paper's 90%.
--quick: population 2, 1 trial x 1 epoch on 10% of the digits, no reference training.

Paper scale (CIFAR-10, 36x36 inputs, 100 epochs; GPU):
    python examples/grunas_group_search.py --data cifar10 --population 20 --trials 400 \\
        --epochs 100 --fraction 1.0
    archspace search spaces/grunas_shufflenet.arch --data cifar10 --strategy nsga2

What the paper reported (CIFAR-10 test set, Table 1): the searched network reaches 90.31%
top-1 with 0.16M parameters (0.64 MB) and 4 ms GPU latency, against MobileNetV2 77.31% (2.24M),
MobileNetV3 77.94% (4.21M), ShuffleNetV2 70.59% (0.35M), MnasNet 58.59% (3.12M) and SqueezeNet
26.27% (0.73M), all trained from scratch; the found group structure uses large groups in the
last, widest units (h8, h9, h10 = 4, 4, 6).
"""

from __future__ import annotations

import sys

import _common as C

PAPER_H = (4, 1, 1, 2, 2, 3, 2, 4, 4, 6)


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "grunas_group_search",
                 data="digits (default, built in) or cifar10 (Keras downloads it once)")
    p.add_argument("--population", type=int, help="NSGA-II population (default 4; quick 2)")
    p.add_argument("--strategy", default="nsga2", help="nsga2 (default), random, ...")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=4, epochs=2, fraction=0.25),
                 quick=C.Scale(trials=1, epochs=1, fraction=0.1))
    population = args.population or (2 if args.quick else 4)
    data = args.data or "digits"
    batch = 32 if data == "digits" else None      # None: the space's (the paper's) 128
    timer = C.Timer()

    import archspace
    from archspace.search import train

    path = C.SPACES / "grunas_shufflenet.arch"
    space = archspace.parse_file(path)
    units = [d.path for d in archspace.decisions(space)]
    C.banner("GruNAS group-structure search (seed 003, CIFAR-10)", data=data,
             strategy=args.strategy, population=population, trials=sc.trials,
             epochs=sc.epochs, fraction=sc.fraction,
             space=f"{len(units)} group counts from {{1, 2, 3, 4, 6}}: 5^10 = 9,765,625 networks")

    paper_cfg = dict(zip(units, PAPER_H))
    if args.quick:   # the smoke run skips the reference training
        print(f"-> the paper's H {list(PAPER_H)}: "
              f"{archspace.build_graph(space, paper_cfg).params:,} params", flush=True)
    else:
        ref = train(space, paper_cfg, data, epochs=sc.epochs, fraction=sc.fraction,
                    batch_size=batch, seed=args.seed, out=args.out / "paper_h.keras",
                    verbose=False)
        print(f"-> the paper's H {list(PAPER_H)}: val_accuracy "
              f"{ref['metrics'].get('val_accuracy', float('nan')):.4f}, {ref['params']:,} "
              "params", flush=True)

    result = archspace.search(path, data=data, strategy=args.strategy, trials=sc.trials,
                              epochs=sc.epochs, fraction=sc.fraction, population=population,
                              batch_size=batch, seed=args.seed,
                              out=args.out / f"grunas_{args.strategy}",
                              tensorboard=False, verbose=False)
    C.summarize(f"grunas_shufflenet / {args.strategy}", result)
    print("\nPareto front (val_accuracy, params, groups per unit):")
    for r in result.pareto or ([result.best] if result.best else []):
        groups = [r["config"].get(u) for u in units]
        print(f"   {r['objectives'].get('val_accuracy', float('nan')):.4f}  "
              f"{r.get('params', 0):>8,}  {groups}")
    print("paper (CIFAR-10, DNAS, 100 epochs): 90.31% top-1, 0.16M params, "
          "H = {4, 1, 1, 2, 2, 3, 2, 4, 4, 6}")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
