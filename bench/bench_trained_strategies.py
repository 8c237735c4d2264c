"""Search strategies compared with real training, at an equal budget.

Every strategy searches SqueezeNetSEAuto (spaces/squeezenet_se_auto.arch, 32x32x3, the
scikit-learn digits resized) for the space's own objectives, `maximize val_accuracy, minimize
params`, with the same budget: the same number of trials, each trained for the same number of
epochs on the same split. The measure is the hypervolume of each run's (validation error,
params) front in one box fixed in advance: error from 0 to chance (0.9 for ten classes: a
network that has learnt nothing adds nothing, however small) and the space's exact
smallest..largest parameter count (from the static whole-space check), so runs of any strategy
and seed compare directly. Reported per strategy over seeds: median, min .. max, and the best val_accuracy.

bench_strategies.py compares the strategies on a zero-cost proxy over 200 trials; this one
checks that what it shows holds when the networks are trained.

    python bench/bench_trained_strategies.py [--trials 40] [--epochs 3] [--seeds 3]
        [--fraction 0.5] [--strategies random,nsga2,bayesian] [--json FILE] [--merge FILE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "spaces" / "squeezenet_se_auto.arch"
sys.path.insert(0, str(ROOT))

STRATEGIES = ["random", "nsga2", "bayesian"]
CLASSES = 10      # the digits


def run_one(strategy: str, seed: int, args: argparse.Namespace, data, out: Path) -> dict:
    import archspace

    c0, w0 = time.process_time(), time.perf_counter()
    res = archspace.search(SPACE, data=data, strategy=strategy, trials=args.trials,
                           epochs=args.epochs, seed=seed, population=args.population,
                           out=out, tensorboard=False, verbose=False, overwrite=True)
    points = [(1.0 - t["objectives"]["val_accuracy"], t["params"]) for t in res.completed]
    return {"strategy": strategy, "seed": seed, "trials": len(res.trials),
            "epochs": args.epochs, "completed": len(res.completed), "points": points,
            "best_val_accuracy": max((1.0 - e for e, _ in points), default=0.0),
            "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0}


def space_box() -> tuple[list[float], list[float]]:
    """(error, params) box: error 0..chance, params the space's exact min..max."""
    import archspace
    from archspace.analysis.whole_space import check_space

    space = archspace.parse_file(SPACE)
    rep = check_space(space)
    chance = 1.0 - 1.0 / CLASSES
    return [0.0, float(rep.min_params.params)], [chance, float(rep.max_params.params)]


def hypervolumes(runs: list[dict]) -> None:
    import numpy as np

    from archspace.search.pareto import hypervolume

    lo, hi = (np.array(v) for v in space_box())
    for r in runs:
        r["hv"] = hypervolume(np.array(r["points"], dtype=float).reshape(-1, 2), lo, hi)


def report(runs: list[dict], strategies: list[str]) -> str:
    lines = ["| strategy | HV median | HV min .. max | best val_accuracy median (min .. max) "
             "| seeds | CPU s per run (median) |", "|---|---|---|---|---|---|"]
    for s in strategies:
        rs = [r for r in runs if r["strategy"] == s]
        if not rs:
            continue
        hv = [r["hv"] for r in rs]
        acc = [r["best_val_accuracy"] for r in rs]
        lines.append(f"| {s} | {statistics.median(hv):.4f} | {min(hv):.4f} .. {max(hv):.4f} "
                     f"| {statistics.median(acc):.3f} ({min(acc):.3f} .. {max(acc):.3f}) "
                     f"| {len(rs)} | {statistics.median(r['cpu_s'] for r in rs):.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--fraction", type=float, default=0.5)
    ap.add_argument("--population", type=int, default=8)
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--json", default=None, help="write every run's numbers here")
    ap.add_argument("--merge", nargs="*", default=[],
                    help="JSON files of other runs (other seeds, strategies): reported together")
    args = ap.parse_args()
    import archspace
    from archspace.search import load_data

    strategies = args.strategies.split(",")
    runs: list[dict] = []
    if args.seeds:
        space = archspace.parse_file(SPACE)
        data = load_data("digits", space, fraction=args.fraction, seed=0)
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                for s in strategies:
                    r = run_one(s, seed, args, data, Path(tmp) / f"{s}_{seed}")
                    runs.append(r)
                    print(f"{s} seed {seed}: {r['completed']} completed, best val_accuracy "
                          f"{r['best_val_accuracy']:.3f}, {r['cpu_s']:.0f}s CPU", flush=True)
                    if args.json:
                        Path(args.json).write_text(json.dumps(runs))
    for extra in args.merge:
        runs += json.loads(Path(extra).read_text())
    seen = list(dict.fromkeys(strategies + [r["strategy"] for r in runs]))
    hypervolumes(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(runs))
    shapes = sorted({f"{r['trials']} trials x {r['epochs']} epochs" for r in runs})
    print(f"\n{', '.join(shapes)}, maximize val_accuracy / minimize params, SqueezeNetSEAuto "
          f"on {args.fraction:.0%} of the digits; HV of (error, params), error 0 .. chance, params the space's min .. max\n")
    print(report(runs, seen))


if __name__ == "__main__":
    main()
