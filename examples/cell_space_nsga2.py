"""Cell-based hierarchical space searched by NSGA-II: error vs. size under a size cap (seed 004)

Reproduces, at a small scale, the preliminary experiment of Pouy, Khenfri, Leserf, Mraidha and
Larouci, "An Approach for Efficient Neural Architecture Search Space Definition" (seed 004):
the cell-based space of spaces/cell_space.arch (2 cells; each 3 parallel pipelines of 4 block
slots, every slot one of 5 ops x 7 options, merged by add or concat, then a reduction block;
head Dense(2048) -> Dropout(0.7) -> Dense(10)) searched by a multi-objective evolutionary
algorithm (pymoo's NSGA-II) with the paper's two objectives and constraint:
    f1 = 1 - accuracy,   f2 = params / 150,000,000,   g = f2 - 1 <= 0
(archspace: maximize val_accuracy, minimize params, params <= 150M; its Pareto report plots
the error against the size). Training as the paper: Adam, batch 128.

Small scale (default, a few minutes on 2 CPU cores): scikit-learn's digits at the space's
28x28x1 (MNIST's size), half of them, in batches of 32 (the paper's 128 leaves too few steps);
a population of 4 for 8 trials (2 generations) of 2 epochs. The size
cap is checked statically before a trial is trained: the space's largest networks (identity
reductions with concat merges: 155M params) are screened out, never trained. --quick:
population 2, 1 trial x 1 epoch on 10% of the digits.

Paper scale (MNIST; population 20, 1000 generations, 10 epochs per network; GPU):
    python examples/cell_space_nsga2.py --data mnist --population 20 --trials 20000 \\
        --epochs 10 --fraction 1.0
    archspace search spaces/cell_space.arch --data mnist
(the paper's NSGA uses crossover and mutation probability 1 with eta 3; pymoo's NSGA-II
defaults differ.)

What the paper reported (MNIST, Fig. 7): two runs give similar Pareto fronts of error against
size; the front's most accurate model, with 15M trainable parameters, trained for 100 more
epochs, reaches 99.35% accuracy (0.65% error), without tuning the hyperparameters.
"""

from __future__ import annotations

import sys

import _common as C

CAP = 150_000_000


def main(argv: list[str] | None = None) -> int:
    p = C.parser(__doc__, "cell_space_nsga2",
                 data="digits (default, built in) or mnist (Keras downloads it once)")
    p.add_argument("--population", type=int, help="NSGA-II population (default 4; quick 2)")
    args = p.parse_args(argv)
    sc = C.scale(args, small=C.Scale(trials=8, epochs=2, fraction=0.5),
                 quick=C.Scale(trials=1, epochs=1, fraction=0.1))
    population = args.population or (2 if args.quick else 4)
    data = args.data or "digits"
    batch = 32 if data == "digits" else None      # None: the space's (the paper's) 128
    timer = C.Timer()

    import archspace
    from archspace.analysis.cardinality import cardinality

    path = C.SPACES / "cell_space.arch"
    space = archspace.parse_file(path)
    n = cardinality(space).architectures
    C.banner("Cell-based space, NSGA-II with f1 = 1 - accuracy, f2 = params / 150M (seed 004)",
             data=data, population=population, trials=sc.trials, epochs=sc.epochs,
             fraction=sc.fraction,
             space=f"{n:.3g} distinct architectures (the paper's formula: {36 * 35 ** 24:.3g})")

    result = archspace.search(path, data=data, strategy="nsga2", trials=sc.trials,
                              epochs=sc.epochs, fraction=sc.fraction, population=population,
                              batch_size=batch, seed=args.seed,
                              out=args.out / "cell_space_nsga2",
                              tensorboard=False, verbose=False)
    C.summarize("cell_space / nsga2", result)
    print("\nPareto front (f1 = 1 - val_accuracy, f2 = params / 150M, reduction per cell):")
    for r in result.pareto or ([result.best] if result.best else []):
        acc = r["objectives"].get("val_accuracy", float("nan"))
        cfg = r["config"]
        red = [cfg.get(f"cell{k}/reduction") for k in (1, 2)]
        print(f"   f1 {1 - acc:.4f}  f2 {r.get('params', 0) / CAP:.5f}  "
              f"({r.get('params', 0):,} params)  reductions {red}")
    print("paper (MNIST): the front's 15M-parameter model, trained 100 more epochs: 99.35%")
    C.finish(timer, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
