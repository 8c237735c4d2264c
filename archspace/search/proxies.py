"""Zero-cost proxies: scores of an untrained network from one minibatch, used to rank
architectures without training them (as objectives, `maximize naswot`, or to screen proposals,
`--prescreen naswot:0.5`).

- naswot (Mellor et al., "Neural Architecture Search without Training", ICML 2021): for
  every ReLU unit, the binary pattern "active or not" over the minibatch's examples; the kernel
  K[i, j] counts the units on which examples i and j agree; the score is log|det K|. Networks
  that separate the examples' activation patterns well score high.
- synflow (Tanaka et al. 2020, used as a proxy by Abdelfattah et al., "Zero-Cost Proxies for
  Lightweight NAS", ICLR 2021): with every weight replaced by its absolute value and an input
  of ones, R = sum of the network's pre-softmax outputs; the score is sum |theta * dR/dtheta|.
  It needs no data and is stored as its natural logarithm (same ranking, no overflow).

Registry: `PROXIES` (name -> function(model, x, y) -> float); TensorFlow is imported lazily.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

Proxy = Callable[[Any, Any, Any], float]


def _relu_outputs(model: Any) -> list[Any]:
    """The outputs of every ReLU-like layer (a ReLU layer, an Activation('relu'), or a layer
    with activation=relu), in graph order."""
    out = []
    for layer in model.layers:
        act = getattr(layer, "activation", None)
        name = getattr(act, "__name__", "") or type(layer).__name__.lower()
        if type(layer).__name__ == "ReLU" or name in ("relu", "relu6", "leaky_relu"):
            try:
                out.append(layer.output)
            except (AttributeError, ValueError):   # a layer used twice has no one output
                continue
    return out


def naswot(model: Any, x: Any, y: Any = None) -> float:
    import keras

    outs = _relu_outputs(model)
    if not outs:
        return float("nan")
    probe = keras.Model(model.inputs, outs)
    acts = probe(x, training=False)
    acts = acts if isinstance(acts, (list, tuple)) else [acts]
    n = int(np.asarray(keras.ops.convert_to_numpy(acts[0])).shape[0])
    K = np.zeros((n, n))
    for a in acts:
        c = (keras.ops.convert_to_numpy(a).reshape(n, -1) > 0).astype(np.float64)
        K += c @ c.T + (1.0 - c) @ (1.0 - c).T
    sign, logdet = np.linalg.slogdet(K)
    return float(logdet) if sign > 0 else float("-inf")


def _pre_softmax(model: Any) -> Any:
    """The model's output before a final softmax (synflow's sum of softmax outputs is 1)."""
    import keras

    last = model.layers[-1]
    act = getattr(last, "activation", None)
    if type(last).__name__ in ("Softmax", "Activation") and \
            (type(last).__name__ == "Softmax" or getattr(act, "__name__", "") == "softmax"):
        return keras.Model(model.inputs, last.input)
    return model


def synflow(model: Any, x: Any, y: Any = None) -> float:
    import tensorflow as tf

    net = _pre_softmax(model)
    saved = [v.numpy() for v in net.weights]
    try:
        for v in net.weights:
            v.assign(tf.abs(v))
        inputs = [tf.ones((1, *t.shape[1:]), dtype=t.dtype) for t in net.inputs]
        with tf.GradientTape() as tape:
            out = net(inputs if len(inputs) > 1 else inputs[0], training=False)
            outs = out if isinstance(out, (list, tuple)) else [out]
            r = tf.add_n([tf.reduce_sum(tf.cast(o, tf.float64)) for o in outs])
        grads = tape.gradient(r, net.trainable_weights)
        total = 0.0
        for v, g in zip(net.trainable_weights, grads):
            if g is not None:
                total += float(tf.reduce_sum(tf.abs(tf.cast(v, tf.float64) *
                                                    tf.cast(g, tf.float64))))
    finally:
        for v, s in zip(net.weights, saved):
            v.assign(s)
    return math.log(total) if total > 0 else float("-inf")


PROXIES: dict[str, Proxy] = {"naswot": naswot, "synflow": synflow}


class _Cache:
    """Proxy scores by (architecture hash, data, proxies), shared by the searches of one
    process (a benchmark runs many over one space); bounded."""

    limit = 100_000

    def __init__(self) -> None:
        self._d: dict[Any, dict[str, float]] = {}

    def get(self, key: Any) -> dict[str, float] | None:
        return self._d.get(key)

    def put(self, key: Any, value: dict[str, float]) -> None:
        if len(self._d) >= self.limit:
            self._d.clear()
        self._d[key] = dict(value)


CACHE = _Cache()


def minibatch(data: Any, size: int = 32, seed: int = 0) -> tuple[Any, Any]:
    """One training minibatch (the same for every architecture of a run)."""
    x = data.x_train
    n = len(next(iter(x.values())) if isinstance(x, Mapping) else x)
    idx = np.random.default_rng(seed).choice(n, size=min(size, n), replace=False)
    pick = (lambda a: np.asarray(a)[idx])
    xb = {k: pick(v) for k, v in x.items()} if isinstance(x, Mapping) else pick(x)
    y = data.y_train
    yb = {k: pick(v) for k, v in y.items()} if isinstance(y, Mapping) else pick(y)
    return xb, yb


def measure(model: Any, names: list[str], batch: tuple[Any, Any]) -> dict[str, float]:
    """The proxies `names` of an untrained model."""
    return {n: float(PROXIES[n](model, batch[0], batch[1])) for n in names}


__all__ = ["PROXIES", "naswot", "synflow", "measure", "minibatch"]
