"""CIFAR-10 micro-architecture search with SqueezeNetAuto and SqueezeNetSEAuto (seed 000)

Reproduces, at a small scale, the CIFAR-10 experiment of Chantrapornchai, Kajkamhaeng and
Romphet, "Micro-architecture design exploration template for AutoML case study on
SqueezeSEMAuto" (Sci. Rep. 13, 2023; seed 000), section "Experiments / CIFAR-10 dataset",
Tables 1-5: the SqueezeNet 1.0 and 1.1 baselines are trained once, then SqueezeNetAuto
(spaces/squeezenet_auto.arch: 1..2 + 0..2 fire pairs, simple bypass, max/avg pooling, dropout)
and SqueezeNetSEAuto (spaces/squeezenet_se_auto.arch: the same plus an SE block after every
fire, its squeeze ratio and a skip around it) are each searched with the paper's three Keras
Tuner strategies and settings (Table 1): random; hyperband (max_epochs = the trial epochs,
factor 3); bayesian (alpha 0.001, beta 2.6, 2 initial points); objectives maximize
val_accuracy, minimize params; learning rate 1e-3 / 1e-4, SGD / RMSprop, batch 32, early
stopping with patience 5.

Small scale (default, a few minutes on 2 CPU cores): scikit-learn's 1,797 8x8 digits, resized
to 32x32x3 by the data loader, half of them, 3 trials x 3 epochs per search. --quick: 1 trial x
1 epoch on 10% of the digits, SqueezeNetAuto with random search only. At this budget the
accuracies stay near chance: SqueezeNet has no BatchNorm, and SGD / RMSprop at 1e-3 / 1e-4 (the
paper's choices) need tens of epochs; the small run shows the searches (run directories,
leaderboards, Pareto fronts), not the paper's numbers. --epochs 30 --fraction 1 gets further.

Paper scale (GPU; hours per search):
    python examples/cifar10_squeezenet_search.py --data cifar10 --trials 100 --epochs 100 \\
        --fraction 1.0            # the paper also ran SqueezeNetSEAuto with 0.1 and 0.4
  or one search at a time from the shell:
    archspace search spaces/squeezenet_se_auto.arch --data cifar10 --strategy bayesian \\
        --trials 100 --epochs 100

What the paper reported (CIFAR-10; Table 2 and the abstract): the traditional SqueezeNet
reaches about 50% validation accuracy; SqueezeNetAuto finds a network with only 4 fire modules
(fire2..fire5: one pair in each group, average pooling after fire3, max pooling after fire5)
at 59%; SqueezeNetSEAuto, with SE blocks at good insertion points, reaches 78%. With all the
data, random and bayesian search pick 3 fire pairs and hyperband 2 (SE blocks at fire3..fire7,
at fire5 only, and at fire2, fire5, fire7 respectively); the three strategies find similar
networks, random search being slightly faster.
"""

from __future__ import annotations

import sys

import _common as C


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "cifar10_squeezenet_search",
                 data="digits (default, built in) or cifar10 (Keras downloads it once)")
    p.add_argument("--strategies", nargs="+", default=["random", "hyperband", "bayesian"])
    p.add_argument("--no-baselines", action="store_true", help="skip SqueezeNet 1.0 / 1.1")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=3, epochs=3, fraction=0.5),
                 quick=C.Scale(trials=1, epochs=1, fraction=0.1))
    data = args.data or "digits"
    timer = C.Timer()

    import archspace
    from archspace.search import train

    C.banner("SqueezeNetAuto / SqueezeNetSEAuto micro-architecture search (seed 000, CIFAR-10)",
             data=data, trials=sc.trials, epochs=sc.epochs, fraction=sc.fraction,
             strategies=", ".join(args.strategies))

    rows: list[tuple[str, str, float | None, int | None]] = []
    if not args.no_baselines:
        base = archspace.parse_file(C.SPACES / "squeezenet.arch").with_overrides(
            {"image": (32, 32, 3)}, {"classes": 10})
        for version in ("v1_0", "v1_1"):
            r = train(base, {"version": version}, data, epochs=sc.epochs, fraction=sc.fraction,
                      seed=args.seed, out=args.out / f"squeezenet_{version}.keras",
                      verbose=False)
            acc = r["metrics"].get("val_accuracy")
            print(f"-> SqueezeNet {version} baseline: val_accuracy {acc:.4f}, "
                  f"{r['params']:,} params", flush=True)
            rows.append((f"SqueezeNet {version}", "-", acc, r["params"]))

    paper = {"bayesian": dict(alpha=0.001, beta=2.6, initial_points=2), "hyperband": {},
             "random": {}}
    for name in ("squeezenet_auto", "squeezenet_se_auto"):
        # the smoke run tries every strategy once, on SqueezeNetSEAuto
        strategies = args.strategies[:1] if args.quick and name == "squeezenet_auto" \
            else args.strategies
        for strategy in strategies:
            result = archspace.search(
                C.SPACES / f"{name}.arch", data=data, strategy=strategy, trials=sc.trials,
                epochs=sc.epochs, fraction=sc.fraction, seed=args.seed,
                out=args.out / f"{name}_{strategy}", tensorboard=False, verbose=False,
                **paper.get(strategy, {}))
            best = C.summarize(f"{name} / {strategy}", result)
            obj = best.get("objectives") or {}
            rows.append((name, strategy, obj.get("val_accuracy"), best.get("params")))

    print("\nmodel                  strategy   val_accuracy   params")
    for model, strategy, acc, n in rows:
        print(f"{model:22s} {strategy:10s} {acc if acc is not None else float('nan'):12.4f}"
              f"   {n or 0:>9,}")
    print("paper (CIFAR-10, 100 trials x 100 epochs): SqueezeNet ~0.50, SqueezeNetAuto 0.59 "
          "(4 fires), SqueezeNetSEAuto 0.78")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
