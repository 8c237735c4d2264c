"""Train one configuration: build it (`archspace.compile.to_keras`, compiled with the space's
train settings), fit it on the search's datasets with early stopping, and read the metrics at
its best epoch. Used by every search trial and by `archspace train`."""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import ArchError
from ..ir import Space
from .data import Data
from .settings import Objective


#: a function returning the context models are built in: a tf.distribute strategy's scope
#: (`archspace.search.workers.devices.use_devices`); None = the default device
BUILD_SCOPE: Callable[[], Any] | None = None


class TrialFailed(Exception):
    """A trial that could not produce a result (NaN loss, build error, missing metric)."""


@dataclass
class FitResult:
    history: dict[str, list[float]]
    best_epoch: int                      # index into the history lists
    metrics: dict[str, float]            # every logged metric at the best epoch
    epochs_run: int
    build_s: float
    fit_s: float
    batch_size: int
    model: Any = field(default=None, repr=False)


def import_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    # "N out of the last M calls triggered tf.function retracing": expected, one model a trial
    logging.getLogger("tensorflow").setLevel(logging.ERROR)

    return keras


def one_hot_labels(model: Any) -> bool:
    """Does the compiled loss expect one-hot labels (categorical, not sparse)?"""
    losses = model.loss if isinstance(model.loss, (list, tuple, dict)) else [model.loss]
    if isinstance(losses, dict):
        losses = list(losses.values())
    for loss in losses:
        name = loss if isinstance(loss, str) else (getattr(loss, "name", None) or
                                                   type(loss).__name__)
        name = str(name).lower().replace("_", "")
        if "categoricalcrossentropy" in name and "sparse" not in name:
            return True
    return False


def fit_config(space: Space, config: Mapping[str, Any], data: Data, *,
               epochs: int, initial_epoch: int = 0, batch_size: int | None = None,
               early_stop: int | None = None, monitor: str | None = None,
               select: Objective | None = None, seed: int = 0,
               init_weights: str | Path | None = None, callbacks: list[Any] | None = None,
               on_epoch: Callable[[int, dict[str, float]], None] | None = None,
               keep_model: bool = True, verbose: int = 0) -> FitResult:
    """Build and fit one configuration. Raises TrialFailed with a one-line reason."""
    keras = import_keras()
    from ..compile.training import train_settings

    ts = train_settings(space, config)
    batch_size = int(batch_size or ts.batch_size)
    patience = ts.early_stop if early_stop is None else early_stop
    monitor = monitor or ts.early_stop_monitor

    keras.backend.clear_session()      # frees the last trial's graph (and runs gc.collect)
    keras.utils.set_random_seed(int(seed))
    t0 = time.perf_counter()
    try:
        from ..compile import to_keras

        with BUILD_SCOPE() if BUILD_SCOPE else nullcontext():   # variables on every device
            model = to_keras(space, config)
            if init_weights is not None:     # a Hyperband round continuing an earlier trial
                with warnings.catch_warnings():   # its optimizer state is not restored
                    warnings.simplefilter("ignore")
                    model.load_weights(str(init_weights))
    except ArchError as e:
        raise TrialFailed(f"{e.kind}: {e.message}") from e
    except Exception as e:
        raise TrialFailed(f"build failed: {type(e).__name__}: {_first_line(e)}") from e
    build_s = time.perf_counter() - t0

    one_hot = one_hot_labels(model)
    train_ds = data.train_dataset(batch_size, one_hot)
    val_ds = data.val_dataset(batch_size, one_hot)
    cbs: list[Any] = [keras.callbacks.TerminateOnNaN()]
    if patience and patience > 0:
        cbs.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=int(patience),
                                                 restore_best_weights=True, verbose=0))
    if on_epoch is not None:
        cbs.append(_EpochHook(keras, on_epoch))
    cbs.extend(callbacks or [])

    t1 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*shuffle=True.*")
            hist = model.fit(train_ds, validation_data=val_ds, epochs=int(epochs),
                             initial_epoch=int(initial_epoch), callbacks=cbs, verbose=verbose)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:
        raise TrialFailed(f"training failed: {type(e).__name__}: {_first_line(e)}") from e
    fit_s = time.perf_counter() - t1

    history = {k: [float(x) for x in v] for k, v in (hist.history or {}).items()}
    n = len(next(iter(history.values()), []))
    if n == 0:
        raise TrialFailed("training ran no epoch")
    for key in ("loss", "val_loss"):
        vals = history.get(key, [])
        bad = next((i for i, v in enumerate(vals) if not math.isfinite(v)), None)
        if bad is not None:
            raise TrialFailed(f"{key} became {vals[bad]} at epoch {initial_epoch + bad + 1}")
    best = _best_epoch(history, select, monitor)
    metrics = {k: v[best] for k, v in history.items() if len(v) > best}
    return FitResult(history=history, best_epoch=best, metrics=metrics, epochs_run=n,
                     build_s=build_s, fit_s=fit_s, batch_size=batch_size,
                     model=model if keep_model else None)


def _best_epoch(history: dict[str, list[float]], select: Objective | None, monitor: str) -> int:
    n = len(next(iter(history.values())))
    if select is not None and select.metric in history:
        vals = history[select.metric]
        return max(range(n), key=lambda i: vals[i]) if select.direction == "max" else \
            min(range(n), key=lambda i: vals[i])
    if monitor in history:
        vals = history[monitor]
        up = any(k in monitor for k in ("acc", "auc", "iou", "precision", "recall"))
        return max(range(n), key=lambda i: vals[i]) if up else min(range(n), key=lambda i: vals[i])
    return n - 1


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else type(e).__name__


class _EpochHook:
    """A Keras callback that forwards epoch ends (built lazily: keras imported by then)."""

    def __new__(cls, keras: Any, fn: Callable[[int, dict[str, float]], None]):
        class Hook(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                fn(epoch, {k: float(v) for k, v in (logs or {}).items()
                           if isinstance(v, (int, float)) or hasattr(v, "__float__")})

        return Hook()


__all__ = ["fit_config", "FitResult", "TrialFailed", "one_hot_labels"]
