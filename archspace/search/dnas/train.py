"""The supernet in Keras and its training: weights and architecture weights (theta) trained
alternately, on 80% and 20% of the training data. Imports TensorFlow (import it lazily)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from ...compile.keras_model import node_layers
from ...compile.layers import layer_class
from ...compile.training import _make, compile_spec
from ..rundir import atomic_write, dumps
from .options import DnasOptions, temperature
from .supernet import SuperGraph


class ArchState:
    """theta (logits) per relaxed decision, the Gumbel noise of the current step, the
    temperature. Plain tf.Variables, outside the Keras model's weights."""

    def __init__(self, candidates: dict[str, tuple], tau: float):
        self.paths = list(candidates)
        # uniform initialisation: every candidate 1/K (the seed's 0.20 for |G| = 5)
        self.theta = {p: tf.Variable(np.full(len(c), -np.log(len(c)), "float32"),
                                     name=f"theta_{i}") for i, (p, c) in
                      enumerate(candidates.items())}
        self.noise = {p: tf.Variable(np.zeros(len(c), "float32"), trainable=False)
                      for p, c in candidates.items()}
        self.tau = tf.Variable(float(tau), trainable=False)

    def sample_noise(self) -> None:
        for v in self.noise.values():
            u = tf.random.uniform(v.shape, 1e-6, 1.0 - 1e-6)
            v.assign(-tf.math.log(-tf.math.log(u)))

    def clear_noise(self) -> None:
        for v in self.noise.values():
            v.assign(tf.zeros_like(v))

    def weights(self, path: str) -> Any:
        """Gumbel-softmax weights of one decision for this step."""
        logp = tf.nn.log_softmax(self.theta[path])
        return tf.nn.softmax((logp + self.noise[path]) / self.tau)

    def probs(self) -> dict[str, np.ndarray]:
        return {p: tf.nn.softmax(t).numpy() for p, t in self.theta.items()}


class GumbelMix(keras.layers.Layer):
    """Sum of the candidates' outputs, weighted by the product of their decisions' weights."""

    def __init__(self, state: ArchState, paths: list[str], combos: list[tuple], **kw: Any):
        super().__init__(**kw)
        self._state = [state]        # in a list: not tracked, thetas are not model weights
        self.paths, self.combos = list(paths), [tuple(c) for c in combos]

    def call(self, xs: list[Any]) -> Any:
        state = self._state[0]
        w = {p: state.weights(p) for p in self.paths}
        out = None
        for x, combo in zip(xs, self.combos):
            a = 1.0
            for p, k in zip(self.paths, combo):
                a = a * w[p][k]
            out = a * x if out is None else out + a * x
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]


def build_supernet_model(sg: SuperGraph, state: ArchState) -> Any:
    tensors: dict[int, Any] = {}
    for node in sg.graph.nodes:
        if node.kind == "input":
            tensors[node.id] = keras.Input(shape=node.shape, name=node.name)
            continue
        if node.kind == "mix":
            tensors[node.id] = GumbelMix(state, node.args["paths"], node.args["combos"],
                                         name=node.name)([tensors[i] for i in node.inputs])
            continue
        x = ([tensors[i] for i in node.inputs] if node.kind == "merge"
             else tensors[node.inputs[0]])
        for spec in node_layers(node):
            x = layer_class(spec.cls)(name=spec.name, **spec.kwargs)(x)
        tensors[node.id] = x
    inputs = [tensors[i] for i in sg.graph.inputs.values()]
    outputs = [tensors[i] for i in sg.graph.outputs.values()]
    return keras.Model(inputs=inputs[0], outputs=outputs[0], name="supernet")


def _expected(sg: SuperGraph, w: dict[str, Any], searched_only: bool) -> Any:
    """Expected trainable params as a TF expression of the step's weights."""
    total = tf.constant(0.0)
    for ctx, n in sg.terms:
        if searched_only and not ctx:
            continue
        term = tf.constant(float(n))
        for p, k in ctx:
            term = term * w[p][k]
        total = total + term
    return total


def search_supernet(space: Any, sg: SuperGraph, data: Any, opts: DnasOptions, *, epochs: int,
                    batch_size: int, seed: int, out: Path,
                    on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train the supernet; write out/history.{json,csv} and out/dnas.png per epoch; return
    {choice, probs, history}."""
    if len(data.inputs) != 1 or data.y_train.ndim != 1:
        from ...errors import ArchError

        raise ArchError("dnas trains one-input classification spaces (integer labels)")
    keras.utils.set_random_seed(seed)
    state = ArchState(sg.candidates, opts.temperature)
    model = build_supernet_model(sg, state)
    from ...analysis.graph import build_graph

    spec = compile_spec(space, build_graph(space, sg.fixed))
    opt_w = _make(keras.optimizers, spec.optimizer)
    opt_t = keras.optimizers.Adam(opts.theta_lr)
    ce_fn = keras.losses.SparseCategoricalCrossentropy()
    w_vars = model.trainable_variables
    t_vars = list(state.theta.values())
    target = float(opts.target) if opts.target else None

    x = data.x_train[data.inputs[0]]
    y = data.y_train
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    cut = max(1, int(round(len(y) * (1 - opts.theta_share))))
    xw, yw, xt, yt = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    ds_w = tf.data.Dataset.from_tensor_slices((xw, yw)).shuffle(len(yw), seed=seed) \
        .batch(batch_size)
    ds_t = tf.data.Dataset.from_tensor_slices((xt, yt)).shuffle(len(yt), seed=seed + 1) \
        .batch(batch_size).repeat()
    ds_v = tf.data.Dataset.from_tensor_slices((data.x_val[data.inputs[0]], data.y_val)) \
        .batch(256)

    def penalty(w: dict[str, Any]) -> Any:
        p = _expected(sg, w, opts.seed_penalty)
        if target is None:
            return tf.pow(p, opts.beta)
        return tf.pow(tf.maximum(p, target) / target, opts.beta)

    @tf.function
    def w_step(xb: Any, yb: Any) -> Any:
        state.sample_noise()
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            ce = ce_fn(yb, pred)
        opt_w.apply_gradients(zip(tape.gradient(ce, w_vars), w_vars))
        return ce, tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, -1),
                                                   tf.cast(yb, tf.int64)), tf.float32))

    @tf.function
    def t_step(xb: Any, yb: Any) -> Any:
        state.sample_noise()
        with tf.GradientTape() as tape:
            pred = model(xb, training=False)
            ce = ce_fn(yb, pred)
            loss = ce * penalty({p: state.weights(p) for p in state.paths})
        opt_t.apply_gradients(zip(tape.gradient(loss, t_vars), t_vars))
        return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, -1), tf.cast(yb, tf.int64)),
                                      tf.float32))

    history: list[dict[str, Any]] = []
    t_iter = iter(ds_t)
    out.mkdir(parents=True, exist_ok=True)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        tau = temperature(opts, epoch)
        state.tau.assign(tau)
        losses, accs, t_accs = [], [], []
        for xb, yb in ds_w:
            ce, acc = w_step(xb, yb)
            losses.append(float(ce))
            accs.append(float(acc))
            if epoch >= opts.warmup:
                xtb, ytb = next(t_iter)
                t_accs.append(float(t_step(xtb, ytb)))
        state.clear_noise()           # validation: the noise-free mixture
        correct = total = 0
        for xb, yb in ds_v:
            pred = model(xb, training=False)
            correct += int(np.sum(np.argmax(pred, -1) == yb.numpy()))
            total += int(len(yb))
        probs = state.probs()
        row = {"epoch": epoch + 1, "temperature": tau,
               "expected_params": sg.expected_params(probs),
               "penalty_params": sg.expected_params(probs, opts.seed_penalty),
               "loss": float(np.mean(losses)) if losses else None,
               "accuracy": float(np.mean(accs)) if accs else None,
               "theta_accuracy": float(np.mean(t_accs)) if t_accs else None,
               "val_accuracy": correct / max(1, total),
               "time_s": round(time.perf_counter() - t0, 3),
               "probs": {p: {str(v): float(q) for v, q in zip(sg.candidates[p], probs[p])}
                         for p in sg.candidates}}
        history.append(row)
        write_history(out, history)
        if on_epoch is not None:
            on_epoch(row)
    probs = state.probs()
    choice = {p: int(np.argmax(probs[p])) for p in sg.candidates}
    keras.backend.clear_session()
    return {"choice": choice, "probs": {p: probs[p].tolist() for p in probs},
            "history": history}


def write_history(out: Path, history: list[dict[str, Any]]) -> None:
    atomic_write(out / "history.json", dumps(history))
    cols = [k for k in history[0] if k != "probs"]
    probs = [f"{p}={v}" for p, d in history[0]["probs"].items() for v in d]
    with open(out / "history.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols + probs)
        for r in history:
            w.writerow([r[c] for c in cols] + [r["probs"][pv.rsplit("=", 1)[0]]
                                                [pv.rsplit("=", 1)[1]] for pv in probs])
    try:
        from .plot import plot_history

        plot_history(out / "dnas.png", history)
    except ImportError:  # pragma: no cover - matplotlib missing
        pass


__all__ = ["search_supernet", "build_supernet_model", "ArchState", "GumbelMix"]
