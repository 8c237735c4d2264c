"""`archspace worker FILE --chief HOST:PORT --out DIR`: run trials for a chief's search."""

from __future__ import annotations

import os
import sys
from typing import Any, List, Optional

import typer

from . import console
from .app import Command, app, load


def worker_options(file: str, inputs: list[str] | None, classes: int | None, *,
                   workers: int | None = None, quota: int | None = None,
                   timeout: float | None = None, chief: str | None = None,
                   devices: int | None = None, growth_mb: float | None = None,
                   always: bool = False) -> Any:
    """The search's WorkerOptions from its command line, or None for the one-process path
    (unless `always`)."""
    from ..errors import ArchError

    if workers is not None and workers < 0:
        raise ArchError(f"--workers must be 0 or more, got {workers}")
    if quota is not None and quota < 1:
        raise ArchError(f"--worker-trials must be at least 1, got {quota}")
    if timeout is not None and timeout <= 0:
        raise ArchError(f"--trial-timeout must be positive, got {timeout:g}")
    if devices is not None and devices < 1:
        raise ArchError(f"--devices must be at least 1, got {devices}")
    if workers == 0 and not chief:
        raise ArchError("--workers 0 runs no trial", hint="give --chief HOST:PORT for remote "
                        "workers, or one worker at least")
    if chief:
        from ..search.workers.worker import parse_chief

        parse_chief(chief)
    if not ((workers or 0) > 1 or quota or timeout or chief or always):
        return None         # trials in this process (--devices: see use_devices)
    from ..search.workers import WorkerOptions
    from .app import _take_import_path

    return WorkerOptions(count=workers if workers is not None else (0 if chief else 1),
                         quota=quota, budget_mb=growth_mb, trial_timeout=timeout,
                         listen=chief, space_file=file, inputs=list(inputs or []),
                         classes=classes, devices=devices,
                         import_paths=_take_import_path(sys.argv[1:])[1])


@app.command("worker", cls=Command)
def worker_(
    file: str = typer.Argument(..., metavar="FILE", help="The .arch file the chief searches (the same file)."),
    chief: Optional[str] = typer.Option(None, "--chief", metavar="HOST:PORT", help="The chief's address (default: the one its run directory names)."),
    out: str = typer.Option(..., "--out", "-o", help="The chief's run directory, on storage every host shares."),
    worker_id: Optional[str] = typer.Option(None, "--id", help="This worker's name (default worker-HOST-PID)."),
    worker_trials: Optional[int] = typer.Option(None, "--worker-trials", metavar="K", help="Exit after K trials."),
    max_memory_growth: str = typer.Option("2G", "--max-memory-growth", metavar="SIZE", help="Exit between trials once grown by this much (0 = never)."),
    devices: Optional[int] = typer.Option(None, "--devices", metavar="N", help="Train each trial on N devices (tf.distribute.MirroredStrategy)."),
    input: Optional[List[str]] = typer.Option(None, "--input", help="Override an input shape, NAME=HxWxC (as the chief)."),
    classes: Optional[int] = typer.Option(None, "--classes", help="Override the output size (as the chief)."),
):
    """Run trials for a search served by `archspace search ... --chief HOST:PORT`, until it has
    none left. Exit codes: 0 done; 75 did its --worker-trials or --max-memory-growth (start
    another to go on); 76 its trial was taken back by the chief."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")     # no connection chatter in the log
    from ..errors import ArchError
    from .numbers import number_option

    if worker_trials is not None and worker_trials < 1:
        raise ArchError(f"--worker-trials must be at least 1, got {worker_trials}")
    growth_b = number_option(max_memory_growth or "0", "--max-memory-growth")
    space = load(file, input, classes)
    from ..search.workers.worker import run_worker

    code = run_worker(space, out, chief, tuner_id=worker_id, quota=worker_trials,
                      budget_mb=growth_b / 1e6 if growth_b else None, devices=devices)
    if code:
        console.err.print(f"worker {worker_id or ''} handing over (exit {code})")
    raise typer.Exit(code)
