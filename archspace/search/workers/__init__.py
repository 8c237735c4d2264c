"""Trials in worker processes, on Keras Tuner's chief/worker engine.

The search process is the chief: it serves the strategy's oracle through Keras Tuner's gRPC
service (chief.py) and supervises local workers; every worker (worker.py, `archspace worker`)
is a Keras Tuner tuner whose oracle is Keras Tuner's `OracleClient`, training into the shared
run directory. What Keras Tuner lacks is added on the oracle (lease.py): a lease per running
trial, so that a trial of a worker that died, hung or vanished is re-queued once, then failed.
memory.py measures processes the same way on every platform.
"""

from .chief import WorkerOptions, serve
from .memory import maxrss_mb, peak_rss_mb, rss_mb

__all__ = ["WorkerOptions", "serve", "maxrss_mb", "peak_rss_mb", "rss_mb"]
