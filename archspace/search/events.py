"""What a running search tells the outside world. The search returns data and calls a
Listener; the CLI's listener draws rich progress, the default one prints plain lines."""

from __future__ import annotations

import sys
from typing import Any


class Listener:
    """Override what you need; every method is optional."""

    def search_start(self, info: dict[str, Any]) -> None: ...

    def trial_start(self, info: dict[str, Any]) -> None: ...

    def epoch_end(self, trial_id: str, epoch: int, epochs: int, logs: dict[str, float]) -> None: ...

    def trial_end(self, record: dict[str, Any]) -> None: ...

    def skipped(self, record: dict[str, Any]) -> None: ...

    def generation(self, info: dict[str, Any]) -> None: ...

    def message(self, text: str) -> None: ...

    def search_end(self, info: dict[str, Any]) -> None: ...


class Quiet(Listener):
    pass


class PrintListener(Listener):
    """Plain lines on stdout (the Python API's default)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def _p(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def search_start(self, info):
        from .settings import plural

        self._p(f"search {info['space']}: {info['strategy']}, {plural(info['trials'], 'trial')}"
                f" x {plural(info['epochs'], 'epoch')} on {info['data']} -> {info['out']}")
        for note in info.get("notes", []):
            self._p(f"  note: {note}")

    def trial_end(self, r):
        self._p("  " + trial_line(r))

    def skipped(self, r):
        self._p(f"  skipped {r['hash']}: {r['reason']}")

    def message(self, text):
        self._p("  " + text)

    def search_end(self, info):
        self._p(f"done: {info['completed']} completed, {info['failed']} failed, "
                f"{info['skipped']} skipped; results in {info['out']}")


def trial_line(r: dict[str, Any]) -> str:
    from .settings import fmt_number, plural

    head = f"trial {r['trial_id']}"
    if r["status"] != "completed":
        return f"{head} failed: {r.get('reason', '?')}"
    objs = ", ".join(f"{k} {_fmt(v)}" for k, v in r.get("objectives", {}).items())
    return (f"{head} {objs}  ({fmt_number(r.get('params', 0))} params, "
            f"{plural(r.get('epochs_run', 0), 'epoch')}, {r.get('time_s', 0):.1f}s)")


def _fmt(v: Any) -> str:
    from .settings import fmt_number

    if isinstance(v, float) and abs(v) < 1000:
        return f"{v:.4f}"
    return fmt_number(v)


__all__ = ["Listener", "Quiet", "PrintListener", "trial_line"]
