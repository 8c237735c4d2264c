"""`archspace search FILE --data DATA` and `archspace train FILE --config CONFIG --data DATA`."""

from __future__ import annotations

import os
import time
from typing import Any, List, Optional

import typer

from . import console
from .app import EXIT_FINDINGS, Command, app, load

_SOURCE = {"file": "space file", "argument": "command line", "default": "default",
           "demo": "digits demo", "searched": "searched"}


@app.command("search", cls=Command)
def search_(
    file: str = typer.Argument(..., metavar="FILE", help="A .arch file."),
    data: str = typer.Option("digits", "--data", "-d", help="digits | mnist | cifar10 | a .npz file | a folder with one subfolder per class."),
    strategy: Optional[str] = typer.Option(None, "--strategy", "-s", help="random | hyperband | bayesian | grid | nsga2 | any pymoo algorithm (default: the space's, else random)."),
    trials: Optional[int] = typer.Option(None, "--trials", "-n", help="Trials in total (a resumed run stops there)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", "-e", help="Maximum epochs per trial (Hyperband: max_epochs)."),
    fraction: Optional[float] = typer.Option(None, "--fraction", "-f", help="Share of the train and validation data each trial uses (paper: 0.1, 0.4, 1.0)."),
    max_params: Optional[str] = typer.Option(None, "--max-params", metavar="N", help="Static constraint, e.g. 2e6 or 500k: larger models are never built."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Run directory (default runs/SPACE_STRATEGY); an existing one is resumed."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the strategy, splits and weights."),
    objective: Optional[List[str]] = typer.Option(None, "--objective", help="Repeatable: 'maximize val_accuracy', 'minimize params|bytes|macs', 'maximize naswot|synflow' (zero-cost proxies: nothing is trained when every objective is static or a proxy)."),
    prescreen: Optional[str] = typer.Option(None, "--prescreen", metavar="PROXY:F", help="Train only proposals whose zero-cost proxy (naswot, synflow) ranks in the top F of the last 10 proposals, e.g. naswot:0.5."),
    constraint: Optional[List[str]] = typer.Option(None, "--constraint", help="Repeatable: 'bytes <= 8M', 'macs < 50M'."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Examples per step (default: the space's, else 32)."),
    population: Optional[int] = typer.Option(None, "--population", help="Population of evolutionary strategies (default 20)."),
    overwrite: bool = typer.Option(False, "--overwrite", metavar="", help="Empty the run directory and start again (only a folder an archspace search created: one with its .archspace-run marker)."),
    tensorboard: bool = typer.Option(True, "--tensorboard/--no-tensorboard", metavar="", help="TensorBoard logs per trial (with HParams)."),
    max_memory_growth: str = typer.Option("2G", "--max-memory-growth", metavar="SIZE", help="Hand the trials to a fresh worker process once a process has grown by this much; TensorFlow keeps every traced graph. 0 = never."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Worker processes that run the trials, this process serving the oracle (default 1: trials run in this process; with --chief: 0)."),
    worker_trials: Optional[int] = typer.Option(None, "--worker-trials", metavar="K", help="A worker process exits after K trials and a fresh one takes over."),
    trial_timeout: Optional[float] = typer.Option(None, "--trial-timeout", metavar="SECONDS", help="A trial running longer is ended (its worker killed): run again once, then failed."),
    chief: Optional[str] = typer.Option(None, "--chief", metavar="HOST:PORT", help="Serve the oracle there for remote `archspace worker` processes."),
    devices: Optional[int] = typer.Option(None, "--devices", metavar="N", help="Train each trial on N devices (tf.distribute.MirroredStrategy); off by default."),
    input: Optional[List[str]] = typer.Option(None, "--input", help="Override an input shape, NAME=HxWxC."),
    classes: Optional[int] = typer.Option(None, "--classes", help="Override the output size."),
    dnas_fixed: Optional[str] = typer.Option(None, "--dnas-fixed", metavar="default|sample", help="--strategy dnas: the decisions it cannot relax take their defaults (default) or a seeded sample."),
    dnas_opt: Optional[List[str]] = typer.Option(None, "--dnas", metavar="KEY=VALUE", help="Repeatable dnas option: beta, temperature, anneal, warmup, target, theta_lr, search_epochs ... (docs/search.md)."),
):
    """Search a space: train trials chosen by a strategy, screened statically first (size
    constraints, duplicates); write runs/NAME with the leaderboard, the best model, the Pareto
    front and a report. Run the same command again to resume."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .extras import require
    from .numbers import number_option

    require("search", "search")

    max_params = number_option(max_params, "--max-params")  # type: ignore[assignment]
    growth_b = number_option(max_memory_growth or "0", "--max-memory-growth")
    growth = growth_b / 1e6 if growth_b else None           # "2G" -> 2000 MB; 0 = never
    space = load(file, input, classes)
    from ..search.engine import search
    from .worker_cmd import worker_options

    pool = worker_options(file, input, classes, workers=workers, quota=worker_trials,
                          timeout=trial_timeout, chief=chief, devices=devices, growth_mb=growth)
    if devices and devices > 1 and pool is None:   # before TensorFlow starts
        from ..search.workers.devices import use_devices

        use_devices(devices)
    listener = RichListener()
    try:
        kw = dict(strategy=strategy, trials=trials, epochs=epochs,
                  fraction=fraction, max_params=max_params, out=out, seed=seed,
                  objectives=objective or None, constraints=constraint or None,
                  batch_size=batch_size, population=population,
                  tensorboard=tensorboard, listener=listener, space_file=file,
                  prescreen=prescreen, **_dnas_args(dnas_fixed, dnas_opt))
        result = search(space, data, overwrite=overwrite, max_memory_growth_mb=growth,
                        workers=pool, **kw)
        if result.restart:     # grew past --max-memory-growth: a worker process goes on
            listener.close()
            pool = worker_options(file, input, classes, workers=1, devices=devices,
                                  growth_mb=growth, always=True)
            result = search(space, data, workers=pool, **kw)
    finally:
        listener.close()
    if not result.trials:
        console.err.print("no trial was trained: every proposal was screened out (see "
                          f"{console._escape(str(result.out / 'skipped.jsonl'))})")
        raise typer.Exit(EXIT_FINDINGS)
    if not result.completed:
        raise typer.Exit(EXIT_FINDINGS)


def _dnas_args(fixed: Optional[str], opts: Optional[List[str]]) -> dict:
    """--dnas-fixed / --dnas KEY=VALUE -> strategy_args (numbers as numbers)."""
    from ..errors import ArchError

    args: dict = {}
    for item in opts or []:
        key, eq, text = item.partition("=")
        if not eq or not key.strip():
            raise ArchError(f"--dnas {item}: expected KEY=VALUE", hint="e.g. --dnas beta=2")
        args[key.strip()] = _dnas_value(text.strip())
    if fixed is not None:
        args["fixed"] = fixed
    return {"strategy_args": args} if args else {}


def _dnas_value(text: str) -> object:
    """A number as the CLI reads counts and sizes (150k, 2e6: cli/numbers.py), a negative
    number as Python reads it, anything else as the word it is."""
    from .numbers import parse_number

    try:
        value = parse_number(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return text
    return int(value) if value.is_integer() and "." not in text else value


@app.command("train", cls=Command)
def train_(
    file: str = typer.Argument(..., metavar="FILE", help="A .arch file."),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="A configuration JSON (e.g. runs/NAME/best/config.json); default: the default configuration."),
    data: str = typer.Option("digits", "--data", "-d", help="digits | mnist | cifar10 | a .npz file | a folder with one subfolder per class."),
    epochs: Optional[int] = typer.Option(None, "--epochs", "-e", help="Maximum epochs (early stopping as the space says)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Examples per step."),
    fraction: float = typer.Option(1.0, "--fraction", "-f", help="Share of the data to use."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and the weights."),
    out: str = typer.Option("model.keras", "--out", "-o", help="Where to save the trained model (.keras)."),
    input: Optional[List[str]] = typer.Option(None, "--input", help="Override an input shape, NAME=HxWxC."),
    classes: Optional[int] = typer.Option(None, "--classes", help="Override the output size."),
    force: bool = typer.Option(False, "--force", metavar="", help="Train a configuration made for another space or another version of this one (its config.json's space name or space_hash differs)."),
):
    """Retrain one architecture (the best of a search, say) and save it. A config.json from a
    search is tied to its space: another space, or an edited one, is refused unless --force."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ..errors import ArchError
    from .extras import require

    require("search", "train")  # its data loaders and training loop are the search's
    if not out.endswith(".keras"):
        raise ArchError(f"--out {out}: a Keras model file ends in .keras")
    space = load(file, input, classes)
    from ..search.engine import train

    listener = RichListener()
    try:
        res = train(space, config, data, epochs=epochs, batch_size=batch_size,
                    fraction=fraction, seed=seed, out=out, listener=listener, force=force)
    finally:
        listener.close()
    m = res["metrics"]
    shown = ", ".join(f"{k} {v:.4f}" for k, v in m.items())
    console.out.print(f"best epoch {res['best_epoch']} of {res['epochs_run']} by "
                      f"{res['monitor']} (the saved weights): {shown}")
    console.out.print(f"saved {res['model']} ({res['params']:,} params, {res['time_s']:.1f}s)")


# ---- rendering ------------------------------------------------------------------------------
class RichListener:
    """Progress of a search on the terminal: a bar over the trials (with the best so far), the
    running trial's epochs (with its metrics), a line with each trial's choices when it starts
    and one with its result and the best so far when it ends, and a summary at the end.

    The bars keep their width in a narrow terminal: metrics go in the last column, which is
    cut with an ellipsis rather than pushing the bars off the line."""

    MAX_SKIP_LINES = 12
    BAR_WIDTH = 20

    def __init__(self, console_=None):
        self.console = console_
        self._bar = None
        self._task = None
        self._epoch_task = None
        self.total = 0
        self.done = 0
        self.skip_lines = 0
        self.skips: dict[str, int] = {}
        self.t0 = time.time()
        self.settings = None
        self.objective = None            # the primary objective: what "best" means
        self.best: dict[str, Any] | None = None

    @property
    def _out(self):
        return self.console or console.out

    # -- the bar --
    def _start(self, total: int, done: int) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)
        from rich.table import Column

        self._bar = Progress(
            TextColumn("{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=self.BAR_WIDTH), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[metrics]}",
                       table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
            console=self._out, transient=True, expand=True)
        self._bar.start()
        self._task = self._bar.add_task("trials", total=total, completed=done,
                                        metrics=self._best_text())
        self._epoch_task = self._bar.add_task("", total=1, visible=False, metrics="")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _print(self, text: str) -> None:
        (self._bar.console if self._bar else self._out).print(text)

    def _best_text(self) -> str:
        if self.best is None or self.objective is None:
            return ""
        v = self.best["objectives"].get(self.objective.metric)
        return f"best: trial {self.best['trial_id']}, {self.objective.metric} {_cell(v)}"

    # -- events --
    def search_start(self, info: dict[str, Any]) -> None:
        from ..search.settings import plural
        from ..search.strategies import planned_trials

        s, src = info["settings"], info["sources"]
        e = console._escape

        def why(k: str) -> str:
            return f" [dim]({_SOURCE.get(src.get(k, 'default'), src.get(k))})[/]"

        self._print(f"[bold]search[/] {e(info['space'] or '')} -> {e(info['out'])}")
        self._print(f"  data        {e(info['data'])}")
        self._print(f"  strategy    {e(s.strategy)}{why('strategy')}")
        if s.strategy == "dnas":      # one supernet, then one trial: the derived network
            search_epochs = s.strategy_args.get("search_epochs") or s.epochs
            self._print(f"  dnas        supernet {plural(search_epochs, 'epoch')}, then the "
                        f"derived architecture trained {plural(s.epochs, 'epoch')}"
                        f"{why('epochs')}, batch {s.batch_size}{why('batch_size')}, early "
                        f"stop {s.early_stop or 'off'}{why('early_stop')}")
        else:
            self._print(f"  trials      {s.trials}{why('trials')}, epochs {s.epochs}"
                        f"{why('epochs')}, batch {s.batch_size}{why('batch_size')}, early stop "
                        f"{s.early_stop or 'off'}{why('early_stop')}")
        if s.strategy == "bayesian":
            self._print(f"  bayesian    alpha {s.alpha:g}, beta {s.beta:g}, "
                        f"{s.initial_points} initial points{why('alpha')}")
        elif s.strategy == "hyperband":
            self._print(f"  hyperband   max_epochs {s.max_epochs}, factor {s.factor}"
                        f"{why('max_epochs')}")
        elif s.strategy not in ("random", "grid", "dnas"):
            self._print(f"  population  {s.population}{why('population')}")
        self._print("  objectives  " + e(", ".join(map(str, s.objectives))) + why("objectives"))
        if s.constraints:
            self._print("  constraints " + e(", ".join(map(str, s.constraints))) +
                        why("constraints") + " [dim](checked before a model is built)[/]")
        if s.fraction < 1:
            self._print(f"  fraction    {s.fraction:g}{why('fraction')}")
        for note in info.get("notes", []):
            self._print(f"  [yellow]note:[/] {e(note)}")
        self.objective = s.primary
        self.settings = s
        self.total = planned_trials(s)
        self.done = info.get("finished", 0)
        self._start(self.total, self.done)

    def trial_start(self, info: dict[str, Any]) -> None:
        from ..search.settings import fmt_number

        choices = ", ".join(f"{k}={_value(v)}" for k, v in (info.get("config") or {}).items())
        self._print(f"  [cyan]trial {console._escape(str(info['trial_id']))}[/] "
                    f"({fmt_number(info.get('params') or 0)} params): "
                    f"{console._escape(console._cut(choices or 'the default configuration'))}")
        if self._bar is None:
            return
        self._bar.update(self._epoch_task, visible=True, total=info["epochs"],
                         completed=info.get("initial_epoch", 0), metrics="",
                         description=f"  trial {info['trial_id']}")

    def epoch_end(self, trial_id: str, epoch: int, epochs: int, logs: dict[str, float]) -> None:
        if self._bar is None:
            if trial_id == "train":
                self._start(epochs, 0)
                self._bar.update(self._task, description="epochs")
            else:
                return
        # validation first: in a narrow terminal the end of the line is cut
        shown = " ".join(f"{k} {logs[k]:.3f}" for k in
                         ("val_accuracy", "val_loss", "accuracy", "loss") if k in logs)
        if trial_id == "train":
            self._bar.update(self._task, completed=epoch, total=epochs, metrics=shown)
            return
        self._bar.update(self._epoch_task, completed=epoch, total=epochs, metrics=shown,
                         description=f"  trial {trial_id} epoch {epoch}/{epochs}")

    def trial_end(self, r: dict[str, Any]) -> None:
        from ..search.events import trial_line

        ok = r["status"] == "completed"
        if ok and self.settings is not None:  # best as the leaderboard ranks (ties: smaller)
            from ..search.report import leaderboard

            self.best = leaderboard([x for x in (self.best, r) if x], self.settings)[0]
        mark = "[green]done[/]" if ok else "[red]fail[/]"
        best = self._best_text()
        self._print(f"  {mark} {console._escape(trial_line(r))}" +
                    (f"  [dim]{console._escape(best)}[/]" if best else ""))
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, metrics=best)
            self._bar.update(self._epoch_task, visible=False)

    # -- worker processes (search/workers): one line per running trial, the best so far --
    def workers(self, rows: list[dict[str, Any]], best: dict[str, Any] | None) -> None:
        if self._bar is None:
            return
        tasks = self.__dict__.setdefault("_worker_tasks", {})
        for gone in set(tasks) - {r["worker"] for r in rows}:
            self._bar.remove_task(tasks.pop(gone))
        for r in rows:
            shown = " ".join(f"{k} {v:.3f}" for k, v in r["logs"].items()
                             if k in ("loss", "accuracy", "val_loss", "val_accuracy"))
            text = f"  {r['worker']}: trial {r['trial_id']} epoch {r['epoch']}/{r['epochs'] or '?'}"
            if r["worker"] not in tasks:
                tasks[r["worker"]] = self._bar.add_task(text, total=max(1, r["epochs"]),
                                                        metrics="")
            self._bar.update(tasks[r["worker"]], description=text, completed=r["epoch"],
                             total=max(1, r["epochs"]), metrics=shown)
        if best and best.get("objectives"):
            k, v = next(iter(best["objectives"].items()))
            self._bar.update(self._task, metrics=f"best: trial {best['trial_id']} {k} {_cell(v)}")

    def skipped(self, r: dict[str, Any]) -> None:
        kind = r.get("kind", "?")
        self.skips[kind] = self.skips.get(kind, 0) + 1
        if self.skip_lines < self.MAX_SKIP_LINES:
            self._print(f"  [dim]skip {r.get('hash') or '-'}: {console._escape(r['reason'])}[/]")
        elif self.skip_lines == self.MAX_SKIP_LINES:
            self._print("  [dim]... (more skips are counted at the end)[/]")
        self.skip_lines += 1

    def generation(self, info: dict[str, Any]) -> None:
        self._print(f"  [cyan]generation {info['generation']}[/]: {len(info['trained'])} "
                    f"trained, {info['cached']} already known, {info['screened']} screened out")

    def message(self, text: str) -> None:
        self._print(f"  [yellow]{console._escape(text)}[/]")

    def search_end(self, info: dict[str, Any]) -> None:
        self.close()
        res = info.get("result")
        e = console._escape
        if res is None:
            return
        from ..search.settings import fmt_number, plural

        if res.restart:
            return
        s = res.settings
        skipped = ", ".join(f"{n} {k}" for k, n in self.skips.items())
        console.out.print(f"[bold]done[/] in {time.time() - self.t0:.0f}s: "
                          f"{len(res.completed)} completed, {len(res.failed)} failed, "
                          f"{res.skipped} screened out before training" +
                          (f" this session: {skipped}" if skipped else ""))
        rows = []
        from ..search.report import leaderboard

        sizes = [k for k in ("params", "macs") if k not in {o.metric for o in s.objectives}]

        for i, r in enumerate([r for r in leaderboard(res.trials, s)
                               if r["status"] == "completed"][:5]):
            rows.append([i + 1, r["trial_id"]] +
                        [_cell(r["objectives"].get(o.metric)) for o in s.objectives] +
                        [fmt_number(r.get(k) or 0) for k in sizes] + [r["hash"]])
        if rows:
            console.out.print(console.table(
                "best trials", ["#", "trial"] + [o.metric for o in s.objectives] + sizes +
                ["hash"], rows))
        if res.pareto:
            console.out.print(f"Pareto front: {plural(len(res.pareto), 'architecture')} (trials "
                              f"{', '.join(r['trial_id'] for r in res.pareto)})")
        for name, path in res.files.items():
            console.out.print(f"  {name:12s} {e(str(path))}")
        console.out.print(f"  tensorboard  tensorboard --logdir {e(str(res.out))}")


def _value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _cell(v: Any) -> str:
    from ..search.settings import fmt_number

    if isinstance(v, float) and abs(v) < 100:
        return f"{v:.4f}"
    return fmt_number(v) if v is not None else ""
