"""dnas against random search and NSGA-II on the same space, at equal wall-clock.

GruNAS (spaces/grunas_shufflenet.arch, 10 group counts from {1, 2, 3, 4, 6}) on the real
scikit-learn digits. dnas runs first: the supernet search, then its derived architecture
trained from scratch; its wall time is the budget. Random search and NSGA-II then train trials
(same epochs, data, batch size and seed) one at a time, resuming their run directory, until they
have used the same wall time (the trial that crosses the budget is kept). Printed and written
to OUT/bench_dnas.json: per strategy, the best architecture's val_accuracy and trainable
params, trials trained and search time.

    python bench/bench_dnas.py [--image 18] [--fraction 0.2] [--epochs 2] [--out DIR]

Defaults: a small scale for a 2-core CPU (the paper trains 100 epochs on CIFAR-10 at 36x36).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(result, space) -> dict:
    import archspace

    best = result.best or {}
    cfg = best.get("config") or {}
    return {"val_accuracy": (best.get("objectives") or {}).get("val_accuracy"),
            "trainable_params": archspace.build_graph(space, cfg).trainable if best else None,
            "config": cfg}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--image", type=int, default=18, help="input side (paper: 36)")
    ap.add_argument("--fraction", type=float, default=0.2)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-trials", type=int, default=50)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_dnas")
    args = ap.parse_args()

    import archspace
    from archspace.search import load_data

    space = archspace.parse_file(ROOT / "spaces" / "grunas_shufflenet.arch").with_overrides(
        {"image": (args.image, args.image, 3)})
    data = load_data("digits", space, fraction=args.fraction, seed=args.seed)
    common = dict(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                  tensorboard=False, verbose=False)
    rows = {}

    t0 = time.perf_counter()
    res = archspace.search(space, data, strategy="dnas", trials=1, out=args.out / "dnas",
                           overwrite=True, **common)
    budget = time.perf_counter() - t0
    rows["dnas"] = {**best_of(res, space), "trials": len(res.completed), "time_s": budget}
    print(f"dnas: {budget:.0f} s, {rows['dnas']}", flush=True)

    for strategy in ("random", "nsga2"):
        t0, n, res = time.perf_counter(), 0, None
        extra = {"population": 4} if strategy == "nsga2" else {}
        while time.perf_counter() - t0 < budget and n < args.max_trials:
            n += 1
            res = archspace.search(space, data, strategy=strategy, trials=n,
                                   out=args.out / strategy, overwrite=(n == 1), **extra,
                                   **common)
        took = time.perf_counter() - t0
        rows[strategy] = {**best_of(res, space), "trials": len(res.completed), "time_s": took}
        print(f"{strategy}: {took:.0f} s, {rows[strategy]}", flush=True)

    print(f"\nGruNAS {args.image}x{args.image}, digits x {args.fraction}, {args.epochs} epochs "
          f"per training, budget {budget:.0f} s")
    print(f"{'strategy':10s} {'val_accuracy':>12s} {'params':>9s} {'trials':>7s} {'time_s':>7s}")
    for k, r in rows.items():
        acc = r["val_accuracy"]
        print(f"{k:10s} {acc if acc is None else format(acc, '.4f'):>12} "
              f"{r['trainable_params'] or 0:>9,} {r['trials']:>7d} {r['time_s']:>7.0f}")
    (args.out / "bench_dnas.json").write_text(json.dumps(
        {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2,
        default=str))


if __name__ == "__main__":
    main()
