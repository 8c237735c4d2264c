"""Search strategies compared on a zero-cost objective, and the time each takes to propose.

Every strategy (random, bayesian, hyperband, grid, nsga2 and smsemoa, another pymoo algorithm)
searches SqueezeNetSEAuto (spaces/squeezenet_se_auto.arch) on the digits for
`maximize naswot, minimize params`: NASWOT (search/proxies.py) is measured on one minibatch at
initialisation, so nothing is trained and a 200-trial search takes minutes, not days. The
measure is the hypervolume of the (naswot, params) front after all trials, one reference box
for every run (the worst naswot and the largest params seen in any run, plus 10%), over
several seeds: median, min and max.

Proposal time: for every trial, the time from the end of the previous trial (or the start of
the search) to the start of this one, as CPU time of this process (the machine may be shared)
and wall time: screening, the strategy's own model (Bayesian's Gaussian process), pymoo's
breeding, Keras Tuner's bookkeeping. Reported as the median and the maximum per strategy.

    python bench/bench_strategies.py [--trials 200] [--seeds 5] [--strategies random,nsga2]
                                     [--json runs/bench_strategies.json]
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

STRATEGIES = ["random", "bayesian", "hyperband", "grid", "nsga2", "smsemoa"]
POPULATION = 20


def timing_listener():
    from archspace.search.events import Quiet

    class Timer(Quiet):
        """Process CPU and wall time from one trial's end to the next trial's start."""

        def __init__(self):
            self.cpu, self.wall = [], []
            self.mark = (time.process_time(), time.perf_counter())

        def trial_start(self, info):
            c, w = time.process_time(), time.perf_counter()
            self.cpu.append(c - self.mark[0])
            self.wall.append(w - self.mark[1])

        def trial_end(self, record):
            self.mark = (time.process_time(), time.perf_counter())

    return Timer()


def run_one(strategy: str, seed: int, trials: int, data, out: Path) -> dict:
    import archspace

    timer = timing_listener()
    c0, w0 = time.process_time(), time.perf_counter()
    res = archspace.search(SPACE, data=data, strategy=strategy, trials=trials, epochs=1,
                           seed=seed, population=POPULATION,
                           objectives=["maximize naswot", "minimize params"],
                           out=out, tensorboard=False, listener=timer, overwrite=True)
    points = [(t["objectives"]["naswot"], t["params"]) for t in res.completed
              if t["objectives"]["naswot"] != float("-inf")]
    return {"strategy": strategy, "seed": seed, "trials": len(res.trials),
            "completed": len(res.completed), "points": points,
            "proposal_cpu": timer.cpu, "proposal_wall": timer.wall,
            "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0}


def hypervolumes(runs: list[dict]) -> None:
    """The hypervolume of each run's (-naswot, params) costs in one shared box."""
    import numpy as np

    from archspace.search.pareto import hypervolume

    allp = np.array([p for r in runs for p in r["points"]], dtype=float)
    costs = np.stack([-allp[:, 0], allp[:, 1]], axis=1)
    lo = costs.min(axis=0)
    hi = costs.max(axis=0) + 0.1 * (costs.max(axis=0) - lo)
    for r in runs:
        P = np.array(r["points"], dtype=float).reshape(-1, 2)
        F = np.stack([-P[:, 0], P[:, 1]], axis=1) if len(P) else P
        r["hv"] = hypervolume(F, lo, hi)


def report(runs: list[dict], strategies: list[str]) -> str:
    lines = ["| strategy | HV median | HV min .. max | seeds | proposal CPU s (median / max) "
             "| proposal wall s (median / max) |", "|---|---|---|---|---|---|"]
    for s in strategies:
        rs = [r for r in runs if r["strategy"] == s]
        if not rs:
            continue
        hv = [r["hv"] for r in rs]
        cpu = [x for r in rs for x in r["proposal_cpu"]]
        wall = [x for r in rs for x in r["proposal_wall"]]
        lines.append(f"| {s} | {statistics.median(hv):.4f} | {min(hv):.4f} .. {max(hv):.4f} "
                     f"| {len(rs)} | {statistics.median(cpu):.3f} / {max(cpu):.2f} "
                     f"| {statistics.median(wall):.3f} / {max(wall):.2f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--population", type=int, default=20)
    ap.add_argument("--merge", nargs="*", default=[],
                    help="JSON files of earlier runs (other seeds): reported together")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--json", default=None, help="write every run's numbers here")
    args = ap.parse_args()
    global POPULATION
    POPULATION = args.population
    import archspace
    from archspace.search import load_data

    space = archspace.parse_file(SPACE)
    data = load_data("digits", space, fraction=1.0, seed=0)
    strategies = args.strategies.split(",")
    runs: list[dict] = []
    if args.seeds == 0:      # only report the merged files
        strategies_seen = STRATEGIES
    else:
        strategies_seen = strategies
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for s in strategies:
                r = run_one(s, seed, args.trials, data, Path(tmp) / f"{s}_{seed}")
                runs.append(r)
                print(f"{s} seed {seed}: {r['completed']} completed, {r['cpu_s']:.0f}s CPU, "
                      f"slowest proposal {max(r['proposal_cpu'] or [0]):.2f}s CPU",
                      flush=True)
                if args.json:
                    Path(args.json).write_text(json.dumps(runs))
    for extra in args.merge:
        runs += json.loads(Path(extra).read_text())
    hypervolumes(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(runs))
    trials = sorted({r["trials"] for r in runs})
    print(f"\n{'/'.join(map(str, trials))} trials, maximize naswot / minimize params, "
          "SqueezeNetSEAuto on digits; hypervolume in one shared box\n")
    print(report(runs, strategies_seen))


if __name__ == "__main__":
    main()
