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


class TrialInterrupted(Exception):
    """An error in archspace's own code during a trial (a bug, not the user's model): the
    search stops, and the trial is recorded as interrupted and runs again on resume."""


def internal_error(e: BaseException) -> bool:
    """Was `e` raised by archspace's own code rather than by Keras / TensorFlow running the
    user's model (a shape error, out of memory, NaN)? The frame that raised it decides:
    archspace raises ArchError (the space's problem) on purpose, anything else it raises
    itself is a bug."""
    from ..errors import ArchError

    if isinstance(e, (ArchError, TrialFailed, MemoryError)):
        return False
    tb = e.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return _ours(tb.tb_frame.f_code.co_filename)


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE + os.sep)


def where(e: BaseException) -> str:
    """'module.py:LINE' of the archspace frame that raised `e`."""
    tb, at = e.__traceback__, ""
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if _ours(f):
            at = f"{os.path.relpath(f, os.path.dirname(_PACKAGE))}:{tb.tb_lineno}"
        tb = tb.tb_next
    return at


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
               early_stop: int | None = None, monitor: Objective | None = None,
               seed: int = 0,
               init_weights: str | Path | None = None, callbacks: list[Any] | None = None,
               on_epoch: Callable[[int, dict[str, float]], None] | None = None,
               keep_model: bool = True, verbose: int = 0) -> FitResult:
    """Build and fit one configuration. Raises TrialFailed with a one-line reason (the model
    failed), TrialInterrupted for an error in archspace's own code.

    `monitor` is the one metric that picks the best epoch: early stopping watches it, the
    weights of that epoch are restored at the end (whether or not training stopped early) and
    the metrics returned are that epoch's, so the model returned evaluates to them."""
    keras = import_keras()
    from ..compile.training import train_settings
    from .settings import metric_direction

    ts = train_settings(space, config)
    batch_size = int(batch_size or ts.batch_size)
    patience = ts.early_stop if early_stop is None else early_stop
    if monitor is None:
        name = ts.monitor or ts.early_stop_monitor
        monitor = Objective(name, metric_direction(name))

    keras.backend.clear_session()      # frees the last trial's graph (and runs gc.collect)
    with _own_random_state():     # the trial's seeding does not leak into the strategy
        keras.utils.set_random_seed(int(seed))
        return _fit(keras, space, config, data, ts, monitor, epochs=epochs,
                    initial_epoch=initial_epoch, batch_size=batch_size, patience=patience,
                    init_weights=init_weights, callbacks=callbacks, on_epoch=on_epoch,
                    keep_model=keep_model, verbose=verbose)


def proxy_scores(space: Space, config: Mapping[str, Any], data: Data, names: list[str], *,
                 seed: int = 0, batch: Any = None) -> dict[str, float]:
    """Zero-cost proxies (search/proxies.py) of one configuration at initialisation, on one
    training minibatch. Raises TrialFailed / TrialInterrupted as fit_config does."""
    keras = import_keras()
    from .proxies import measure, minibatch

    keras.backend.clear_session()
    with _own_random_state():
        keras.utils.set_random_seed(int(seed))
        try:
            from ..compile import to_keras

            model = to_keras(space, config)
            return measure(model, names, batch if batch is not None else minibatch(data))
        except ArchError as e:
            raise TrialFailed(f"{e.kind}: {e.message}") from e
        except Exception as e:
            _raise_internal(e, "measuring zero-cost proxies")
            raise TrialFailed(f"proxy failed: {type(e).__name__}: {_first_line(e)}") from e


def _fit(keras: Any, space: Space, config: Mapping[str, Any], data: Data, ts: Any,
         monitor: Objective, *, epochs: int, initial_epoch: int, batch_size: int,
         patience: int | None, init_weights: str | Path | None, callbacks: list[Any] | None,
         on_epoch: Callable[[int, dict[str, float]], None] | None, keep_model: bool,
         verbose: int) -> FitResult:
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
        _raise_internal(e, "building the model")
        raise TrialFailed(f"build failed: {type(e).__name__}: {_first_line(e)}") from e
    build_s = time.perf_counter() - t0

    one_hot = one_hot_labels(model)
    train_ds = data.train_dataset(batch_size, one_hot)
    val_ds = data.val_dataset(batch_size, one_hot)
    # patience 0 = no early stopping, but the best epoch's weights are still the ones kept
    stopper = keras.callbacks.EarlyStopping(
        monitor=monitor.metric, mode=monitor.direction, restore_best_weights=True, verbose=0,
        patience=int(patience) if patience and patience > 0 else int(epochs) + 1)
    cbs: list[Any] = [keras.callbacks.TerminateOnNaN(), stopper]
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
        _raise_internal(e, "training")
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
    if monitor.metric not in history:
        raise TrialFailed(f"the monitored metric '{monitor.metric}' was not logged (logged: "
                          f"{', '.join(sorted(history))})")
    # the epoch whose weights EarlyStopping restored (it counts from 0, past initial_epoch)
    best = stopper.best_epoch - int(initial_epoch)
    if not 0 <= best < n:
        best = _best_epoch(history, monitor)
    metrics = {k: v[best] for k, v in history.items() if len(v) > best}
    return FitResult(history=history, best_epoch=best, metrics=metrics, epochs_run=n,
                     build_s=build_s, fit_s=fit_s, batch_size=batch_size,
                     model=model if keep_model else None)


def _best_epoch(history: dict[str, list[float]], monitor: Objective) -> int:
    """The first epoch with the best monitored value (EarlyStopping's own choice)."""
    vals = history[monitor.metric]
    key = (lambda i: -vals[i]) if monitor.direction == "max" else (lambda i: vals[i])
    return min(range(len(vals)), key=key)


def _raise_internal(e: Exception, doing: str) -> None:
    if internal_error(e):
        raise TrialInterrupted(f"internal error while {doing}: {type(e).__name__}: "
                               f"{_first_line(e)} (at {where(e) or 'archspace'}; a bug in "
                               "archspace, not in the model)") from e


class _own_random_state:
    """Seeding Keras for a trial also seeds Python's and NumPy's global generators; put them
    back afterwards, so that a strategy drawing from them is not steered by the trials."""

    def __enter__(self):
        import random

        import numpy as np

        self.saved = random.getstate(), np.random.get_state()

    def __exit__(self, *exc):
        import random

        import numpy as np

        random.setstate(self.saved[0])
        np.random.set_state(self.saved[1])


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


__all__ = ["fit_config", "proxy_scores", "FitResult", "TrialFailed", "TrialInterrupted", "internal_error",
           "one_hot_labels"]
