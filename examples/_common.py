"""What every example shares: its command line, the quick mode the test suite runs, where runs
go, and a short printed summary. Not an example itself.

Every example takes
    --quick            1-2 trials of 1 epoch on a sliver of the data: a smoke run (the test
                       suite sets ARCHSPACE_EXAMPLES_QUICK=1, which means the same)
    --trials N --epochs N --fraction F --seed N
    --out DIR          where its runs go (default: runs/<example name>/)
    --data SPEC        the real data set, where the example can take it (see its docstring)
and defaults to a small-scale run on built-in data that finishes in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPACES = ROOT / "spaces"
QUICK_ENV = "ARCHSPACE_EXAMPLES_QUICK"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass
class Scale:
    """How big a run is: the small default, or the quick smoke run."""

    trials: int
    epochs: int
    fraction: float


def parser(doc: str, name: str, *, data: str | None = None) -> argparse.ArgumentParser:
    title = doc.strip().splitlines()[0]
    p = argparse.ArgumentParser(prog=f"python examples/{name}.py", description=title,
                                epilog="See the module docstring for the paper-scale run.")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run: 1-2 trials x 1 epoch on a sliver of the data "
                        f"(also when {QUICK_ENV}=1)")
    p.add_argument("--trials", type=int, help="trials per search")
    p.add_argument("--epochs", type=int, help="epochs per trial")
    p.add_argument("--fraction", type=float, help="share of the data each trial uses")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / name,
                   help="folder for this example's runs (default: runs/%(prog)s)")
    if data is not None:
        p.add_argument("--data", default=None, help=data)
    return p


def scale(args: argparse.Namespace, small: Scale, quick: Scale) -> Scale:
    """The run's scale: --quick (or the env var) picks `quick`, else `small`; explicit
    --trials/--epochs/--fraction override either."""
    args.quick = bool(args.quick or os.environ.get(QUICK_ENV) == "1")
    base = quick if args.quick else small
    return Scale(trials=args.trials or base.trials, epochs=args.epochs or base.epochs,
                 fraction=args.fraction or base.fraction)


def banner(title: str, **facts: Any) -> None:
    print(f"== {title}", flush=True)
    for k, v in facts.items():
        print(f"   {k}: {v}", flush=True)


def summarize(label: str, result: Any) -> dict[str, Any]:
    """One line per search: best objectives and where the run is; returns the best record."""
    best = result.best or {}
    obj = best.get("objectives") or {}
    shown = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v:,}"
                      for k, v in obj.items())
    print(f"-> {label}: {len(result.completed)} trained, {len(result.failed)} failed, "
          f"{result.skipped} screened out; best: {shown or 'none'}  [{result.out}]", flush=True)
    return best


class Timer:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.t0:.1f} s"


def finish(timer: Timer, out: Path) -> None:
    print(f"done in {timer}; runs under {out}", flush=True)
    sys.stdout.flush()
