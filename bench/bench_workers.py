"""Worker processes: wall time of the same 8-trial search in one process, in one worker process
and in two (`--workers`), with the CPU time all its processes used (the machine's other load
shows in wall time, not in CPU time).

    python bench/bench_workers.py [--space spaces/squeezenet_se_auto.arch] [--trials 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "import sys; from archspace.cli.app import main; sys.exit(main())"]


def run(args: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the process and every process it waited for)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen(CLI + args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n"
                         f"{proc.stderr.read().decode()[-2000:]}")
    # the chief waits for its workers, so their CPU time is in its children's usage
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--space", default=str(ROOT / "spaces" / "squeezenet_se_auto.arch"))
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--fraction", default="0.3")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = ["search", a.space, "--data", "digits", "--trials", str(a.trials), "--epochs",
                str(a.epochs), "--fraction", a.fraction, "--no-tensorboard", "--seed", "0",
                "--strategy", "random", "--input", "32x32x3"]
        rows = []
        for name, extra in [("one process", []),
                            ("1 worker", ["--workers", "1", "--worker-trials", str(a.trials)]),
                            ("2 workers", ["--workers", "2"])]:
            wall, cpu = run(base + extra + ["--out", str(Path(tmp) / name.replace(" ", "_"))])
            rows.append((name, wall, cpu))
            print(f"{name:12s} wall {wall:7.1f} s  cpu {cpu:7.1f} s", flush=True)
    one = rows[0][1]
    print("\n| run | wall | CPU (all processes) | wall vs one process |\n|---|---|---|---|")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.1f} s | {cpu:.1f} s | {wall / one:.2f}x |")
    print(f"\ncores: {os.cpu_count()}, load average at the end: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
