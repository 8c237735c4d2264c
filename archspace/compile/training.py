"""A space's `train { }` section for one configuration: optimizer, loss and metrics.

Every setting is a fixed value or a decision (`train/optimizer`, `train/learning_rate`, ...);
`train_settings` reads them for one configuration (defaults from `ir.settings.TRAIN_KEYS`), and
`compile_spec` turns them into what `model.compile` needs, as data: the Keras back end
instantiates it, the Python emitter prints it. Nothing here imports Keras at module level.

Loss and metric defaults follow the task and each output's final activation:

| output ends in | loss | metrics |
|---|---|---|
| softmax (classification, segmentation, detection classes) | sparse_categorical_crossentropy (integer labels) | accuracy |
| sigmoid | binary_crossentropy | accuracy |
| anything else, task classification / segmentation | SparseCategoricalCrossentropy(from_logits=True) | accuracy |
| anything else, task regression | mse | mae |
| anything else, task detection (box offsets) | huber (smooth L1, as SSD) | none |
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Union

from ..errors import ArchTypeError
from ..ir import Space
from ..ir.settings import TRAIN_KEYS
from ..ir.walk import Walker, join

#: a Keras object as data: a registered name ("adam", "mse") or (class name, kwargs)
Obj = Union[str, tuple[str, dict[str, Any]]]

OPTIMIZERS = {
    "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD", "adagrad": "Adagrad",
    "nadam": "Nadam", "adamax": "Adamax", "adadelta": "Adadelta", "ftrl": "Ftrl", "lion": "Lion",
    "lamb": "Lamb",
}
_MOMENTUM = {"sgd", "rmsprop"}
_PROBABILITIES = {"softmax": "sparse_categorical_crossentropy", "sigmoid": "binary_crossentropy"}
# Keras losses that take label_smoothing
_SMOOTHABLE = {"categorical_crossentropy": "CategoricalCrossentropy",
               "binary_crossentropy": "BinaryCrossentropy"}


@dataclass(frozen=True)
class TrainSettings:
    """The `train { }` section of one configuration, every key filled (see ir.settings)."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0
    weight_decay: float | None = None
    loss: Any = None
    metrics: Any = None
    batch_size: int = 32
    epochs: int = 100
    early_stop: int = 5
    early_stop_monitor: str = "val_loss"
    monitor: str | None = None
    validation_split: float = 0.2
    label_smoothing: float = 0.0
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompileSpec:
    """What `model.compile` gets, as data (one entry per output where outputs differ)."""

    optimizer: tuple[str, dict[str, Any]]
    loss: Obj | dict[str, Obj]
    metrics: list[Obj] | dict[str, list[Obj]]


class _SettingsReader(Walker):
    """Evaluates setting expressions with the decision values of one configuration."""

    def __init__(self, space: Space, values: Mapping[str, Any]):
        super().__init__(space)
        self.values = values

    def decision_value(self, path: str, span) -> Any:
        if path in self.values:
            return self.values[path]
        from ..ir.decisions import decisions_of

        d = decisions_of(self.space).get(path)
        if d is None:
            raise ArchTypeError(f"internal: no value for decision '{path}'", span)
        return d.default

    def in_attr(self, attr, scope, span):
        raise ArchTypeError("a train setting cannot read `in`: there is no tensor here", span)

    def repeat_count(self, binding, scope):
        return binding.fixed if binding.fixed is not None else self.decision_value(binding.count_path,
                                                                           None)


def train_settings(space: Space, values: Mapping[str, Any] | None = None) -> TrainSettings:
    """The training settings of one configuration (decision path -> value, e.g. `graph.config`
    or a canonical configuration); settings the space does not give take their defaults."""
    reader = _SettingsReader(space, values or {})
    root = reader.global_scope()
    reader._root_env = dict(root.env)
    got: dict[str, Any] = {}
    for s in space.train:
        got[s.key] = _plain(reader.evaluate(s.value, root, join("train", s.key)), s.key, s.span)
    names = {f.name for f in fields(TrainSettings)} - {"extra"}
    kw = {k: v for k, v in got.items() if k in names}
    for k in names - set(kw):
        if k in TRAIN_KEYS:
            kw[k] = TRAIN_KEYS[k][0]
    for k in ("batch_size", "epochs"):   # 0 would silently mean Keras' default
        v = kw.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 1):
            span = next((s.span for s in space.train if s.key == k), None)
            raise ArchTypeError(f"train setting '{k}' must be at least 1, got {v!r}", span)
    return TrainSettings(**kw, extra={k: v for k, v in got.items() if k not in names})


def _plain(v: Any, key: str, span: Any) -> Any:
    """A setting's value; calls (`loss = huber(delta=2)`) are not Keras objects archspace
    can name portably, so they are refused with a hint."""
    if isinstance(v, tuple) and len(v) == 3 and isinstance(v[1], dict):
        raise ArchTypeError(f"train setting '{key}' cannot be a call ({v[0]}(...))", span,
                            "give a Keras name, e.g. `loss = huber`")
    return v


# ---- loss and metrics ------------------------------------------------------------------------
def final_activation(node: Any) -> str:
    """The activation a graph node ends with ('linear' when it has none)."""
    if node is None or node.kind != "op":
        return "linear"
    if node.op == "act":
        return node.args.get("fn", "linear")
    act = node.args.get("act")
    if isinstance(act, str):
        return act
    from ..blocks.activation import SHORTCUTS

    return node.op if node.op in SHORTCUTS else "linear"


def default_loss(task: str, activation: str) -> Obj:
    if activation in _PROBABILITIES:
        return _PROBABILITIES[activation]
    if task in ("classification", "segmentation"):
        return ("SparseCategoricalCrossentropy", {"from_logits": True})
    if task == "detection":
        return "huber"
    return "mse"


def default_metrics(task: str, activation: str) -> list[Obj]:
    if activation in _PROBABILITIES or task in ("classification", "segmentation"):
        return ["accuracy"]
    if task == "regression":
        return ["mae"]
    return []


def _smooth(loss: Obj, smoothing: float) -> Obj:
    if not smoothing:
        return loss
    name = loss if isinstance(loss, str) else None
    if isinstance(loss, tuple):
        name = next((k for k, v in _SMOOTHABLE.items() if v == loss[0]), None)
    if name not in _SMOOTHABLE:
        raise ArchTypeError(
            f"label_smoothing = {smoothing:g} needs a loss that takes it (categorical_crossentropy "
            f"or binary_crossentropy), not {name or loss[0]}", None,
            "set `loss = categorical_crossentropy` in `train { }` and feed one-hot labels")
    kwargs = dict(loss[1]) if isinstance(loss, tuple) else {}
    kwargs["label_smoothing"] = smoothing
    return (_SMOOTHABLE[name], kwargs)


def _user_obj(v: Any, what: str) -> Obj:
    """A loss or metric given in `train { }`: a Keras name."""
    if isinstance(v, str):
        return v
    raise ArchTypeError(f"train setting '{what}' must be a Keras name (e.g. mse), got {v!r}", None)


def compile_spec(space: Space, graph: Any, settings: TrainSettings | None = None) -> CompileSpec:
    """Optimizer, loss and metrics of one configuration's graph."""
    s = settings or train_settings(space, graph.config)
    opt = str(s.optimizer).lower()
    cls = OPTIMIZERS.get(opt)
    if cls is None:
        from ..blocks.base import suggest

        raise ArchTypeError(f"unknown optimizer '{s.optimizer}'", None,
                            suggest(opt, OPTIMIZERS).strip(" ()") or
                            "one of " + ", ".join(OPTIMIZERS))
    okw: dict[str, Any] = {"learning_rate": float(s.learning_rate)}
    if s.momentum and opt in _MOMENTUM:
        okw["momentum"] = float(s.momentum)
    if s.weight_decay is not None:
        okw["weight_decay"] = float(s.weight_decay)

    # per output: its final activation picks the default loss and metrics
    acts = {name: final_activation(graph.node(i)) for name, i in graph.outputs.items()}
    single = len(acts) == 1

    loss: Any
    if s.loss is not None:
        loss = _smooth(_user_obj(s.loss, "loss"), s.label_smoothing)
    else:
        per = {k: _smooth(default_loss(space.task, a), s.label_smoothing) for k, a in acts.items()}
        loss = next(iter(per.values())) if single else per

    metrics: Any
    if s.metrics is not None:
        given = s.metrics if isinstance(s.metrics, (list, tuple)) else [s.metrics]
        metrics = [_user_obj(m, "metrics") for m in given]
        if not single:  # Keras wants one list per output of a multi-output model
            metrics = {k: list(metrics) for k in acts}
    else:
        per_m = {k: default_metrics(space.task, a) for k, a in acts.items()}
        metrics = next(iter(per_m.values())) if single else {k: v for k, v in per_m.items() if v}
    return CompileSpec(optimizer=(cls, okw), loss=loss, metrics=metrics)


# ---- Keras ----------------------------------------------------------------------------------
def _make(module: Any, obj: Obj) -> Any:
    if isinstance(obj, str):
        return obj
    cls, kwargs = obj
    return getattr(module, cls)(**kwargs)


def compile_model(model: Any, spec: CompileSpec) -> Any:
    """`model.compile` with a CompileSpec; returns the model."""
    import keras

    cls, okw = spec.optimizer
    optimizer = getattr(keras.optimizers, cls)(**okw)
    loss = spec.loss
    loss = ({k: _make(keras.losses, v) for k, v in loss.items()} if isinstance(loss, dict)
            else _make(keras.losses, loss))
    metrics = spec.metrics
    metrics = ({k: [_make(keras.metrics, m) for m in v] for k, v in metrics.items()}
               if isinstance(metrics, dict) else [_make(keras.metrics, m) for m in metrics])
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or None)
    return model


def obj_source(obj: Obj, module: str) -> str:
    """Python source of a Keras object as data (the Python emitter)."""
    if isinstance(obj, str):
        return repr(obj)
    cls, kwargs = obj
    return f"keras.{module}.{cls}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def compile_source(spec: CompileSpec, model: str = "model") -> str:
    cls, okw = spec.optimizer
    opt = f"keras.optimizers.{cls}(" + ", ".join(f"{k}={v!r}" for k, v in okw.items()) + ")"
    if isinstance(spec.loss, dict):
        loss = "{" + ", ".join(f"{k!r}: {obj_source(v, 'losses')}"
                               for k, v in spec.loss.items()) + "}"
    else:
        loss = obj_source(spec.loss, "losses")
    if isinstance(spec.metrics, dict):
        metrics = "{" + ", ".join(
            f"{k!r}: [" + ", ".join(obj_source(m, "metrics") for m in v) + "]"
            for k, v in spec.metrics.items()) + "}"
    else:
        metrics = "[" + ", ".join(obj_source(m, "metrics") for m in spec.metrics) + "]"
    return (f"{model}.compile(\n    optimizer={opt},\n    loss={loss},\n"
            f"    metrics={metrics if spec.metrics else None},\n)")
