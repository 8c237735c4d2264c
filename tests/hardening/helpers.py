"""Running the real CLI on hostile input: a subprocess with a time and a memory limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: a subprocess still running after this is killed, and the case fails
KILL_AFTER_S = 20
#: address-space limit of the CLI process (the issue: show and lint within 1 GB of data;
#: the interpreter and its libraries map some more)
MEMORY_LIMIT = 1536 * 1024 * 1024
#: a fake secret in the environment: no output may ever contain it
SECRET = "s3cr3t-" + "7f41c0de" * 3

_RUN = ("import sys\n"
        "from archspace.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "sys.exit(rc if 'tensorflow' not in sys.modules or sys.argv[1] not in ('lint', 'show') "
        "else 99)\n")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Result:
    rc: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(*args: str, cwd: Path | None = None, timeout: float = KILL_AFTER_S) -> Result:
    """`archspace ARGS` in a fresh interpreter (exit 99: lint/show imported TensorFlow)."""
    import time

    env = dict(os.environ, ARCHSPACE_TEST_SECRET=SECRET, COLUMNS="200", NO_COLOR="1",
               PYTHONIOENCODING="utf-8")
    t = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True,
                           cwd=cwd, env=env, timeout=timeout, preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"archspace {' '.join(args)[:200]} ran over {timeout} s") from None
    return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"), time.monotonic() - t)
