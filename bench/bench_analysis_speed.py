"""Interactive speed of the static side, per shipped space: parse + decision list, cardinality
(the exact size of the space) and check_space (the whole-space proof: min / max counts).

The test suite asserts what these return, never how long they take (a time limit fails on a
loaded machine); this script prints the times instead. Each is the best of --repeat runs, to
ride out a busy machine. Targets when these lived in the tests: parse + decisions well under
1 s per space (3 s for all together), cardinality under 1 s, check_space under 3 s.

    python bench/bench_analysis_speed.py [--repeat 3] [spaces/x.arch ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spaces", nargs="*", help="default: every spaces/*.arch")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import archspace
    from archspace.analysis.whole_space import check_space
    from archspace.analysis.cardinality import cardinality

    paths = [Path(p) for p in args.spaces] or sorted((ROOT / "spaces").glob("*.arch"))
    print(f"{'space':28s} {'parse+decisions':>16s} {'cardinality':>12s} {'check_space':>12s}")
    total = 0.0
    for p in paths:
        parse = best_of(args.repeat, lambda: archspace.decisions(archspace.parse_file(p)))
        total += parse
        space = archspace.parse_file(p)
        card = best_of(args.repeat, lambda: cardinality(space))
        check = best_of(args.repeat, lambda: check_space(space))
        print(f"{p.stem:28s} {parse * 1000:13.1f} ms {card * 1000:9.1f} ms {check * 1000:9.1f} ms")
    print(f"{'parse+decisions, all':28s} {total * 1000:13.1f} ms")


if __name__ == "__main__":
    main()
