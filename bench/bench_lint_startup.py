"""CPU time of `archspace lint FILE` as a whole process (what pre-commit pays per commit), next
to `python -c pass` and the imports it cannot do without, to show where the time goes.

Each row runs a fresh interpreter --repeat times and prints the median CPU time (user + system
of the child, from wait4), which rides out a busy machine better than wall time. Bytecode is
written and used (a first run compiles it; a user's install has it), so rows are comparable.

    python bench/bench_lint_startup.py [--repeat 9] [spaces/squeezenet_sem_auto.arch]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LINT = "import sys; from archspace.cli import main; sys.exit(main(sys.argv[1:]))"

#: (label, python -c code, extra environment); rows from "import archspace" on add something
#: to the one above them
ROWS = [
    ("python -c pass", "pass", {}),
    ("import typer (the CLI framework)", "import typer", {}),
    ("import lark (the parser)", "import lark", {}),
    ("import pydantic", "from pydantic import BaseModel", {}),
    ("import archspace (pydantic IR classes)", "import archspace", {}),
    # pydantic looks for plugins in every installed distribution's entry points when the first
    # model class is built: the row below shows what that scan costs in this environment
    ("  same, PYDANTIC_DISABLE_PLUGINS=1", "import archspace",
     {"PYDANTIC_DISABLE_PLUGINS": "1"}),
    ("+ the grammar (Lark's cached LALR tables)",
     "import archspace.parser as p; p.get_parser()", {}),
    ("+ archspace.cli, every command, lint's modules",
     "import importlib; importlib.import_module('archspace.cli.app')._register(); "
     "import archspace.analysis.lint; import archspace.parser as p; p.get_parser()", {}),
]


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed ({proc.returncode}): {err}")
    return usage.ru_utime + usage.ru_stime


def median_cpu(argv: list[str], env: dict[str, str], repeat: int) -> float:
    cpu_seconds(argv, env)                       # writes the bytecode, warms the file cache
    return statistics.median(cpu_seconds(argv, env) for _ in range(repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("space", nargs="?", default="spaces/squeezenet_sem_auto.arch")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH",
                                                                                  "")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"median CPU time of a fresh process, {args.repeat} runs each")
    for label, code, extra in ROWS:
        t = median_cpu([sys.executable, "-c", code], dict(env, **extra), args.repeat)
        print(f"  {label:45s} {t * 1000:7.0f} ms")
    t = median_cpu([sys.executable, "-c", LINT, "lint", args.space], env, args.repeat)
    print(f"  {'archspace lint ' + args.space:45s} {t * 1000:7.0f} ms   (target: 200 ms)")


if __name__ == "__main__":
    main()
