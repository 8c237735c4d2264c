"""One configuration -> a standalone, readable Keras 3 script (imports keras only).

The script builds the same functional model as `to_keras`: one line per layer, the same layer
names and arguments (arguments equal to the Keras default are left out), then compiles it
with the configuration's training settings.
"""

from __future__ import annotations

import keyword
import re
from typing import Any, Mapping

from ..analysis.graph import build_graph
from ..ir import Space
from ..ir.config import config_hash
from .keras_model import node_layers
from .training import compile_source, compile_spec

# Keras' own defaults for the arguments archspace sets, so the script shows only what matters
# (sizes: an int k and (k, k) are the same).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "Conv2D": dict(strides=(1, 1), padding="valid", dilation_rate=(1, 1), groups=1,
                   activation=None, use_bias=True, kernel_initializer="glorot_uniform"),
    "DepthwiseConv2D": dict(strides=(1, 1), padding="valid", depth_multiplier=1,
                            activation=None, use_bias=True,
                            depthwise_initializer="glorot_uniform"),
    "SeparableConv2D": dict(strides=(1, 1), padding="valid", activation=None, use_bias=True),
    "Conv2DTranspose": dict(strides=(1, 1), padding="valid", activation=None, use_bias=True),
    "Dense": dict(activation=None, use_bias=True, kernel_initializer="glorot_uniform"),
    "BatchNormalization": dict(momentum=0.99, epsilon=0.001),
    "LayerNormalization": dict(epsilon=0.001),
    "MaxPooling2D": dict(padding="valid"),
    "AveragePooling2D": dict(padding="valid"),
    "UpSampling2D": dict(size=(2, 2), interpolation="nearest"),
    "Concatenate": dict(axis=-1),
    "GlobalAveragePooling2D": dict(keepdims=False),
    "GlobalMaxPooling2D": dict(keepdims=False),
    "GlobalAveragePooling1D": dict(keepdims=False),
    "GlobalMaxPooling1D": dict(keepdims=False),
}


def _same(a: Any, b: Any) -> bool:
    if a == b and type(a) is type(b):
        return True
    if a in ("linear", None) and b in ("linear", None):
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return a == b
    if isinstance(a, tuple) and isinstance(b, int) and not isinstance(b, bool):
        return all(x == b for x in a)
    return False


def _kwargs(cls: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    defaults = _DEFAULTS.get(cls, {})
    return {k: v for k, v in kwargs.items() if not (k in defaults and _same(v, defaults[k]))}


class _Names:
    """Python variable names from layer names: `fire2.squeeze1x1` -> `fire2_squeeze1x1`."""

    def __init__(self) -> None:
        self.used: set[str] = {"keras", "layers", "model", "build_model", "compile"}

    def __call__(self, layer: str) -> str:
        base = re.sub(r"\W", "_", layer)
        if not base or base[0].isdigit() or keyword.iskeyword(base):
            base = "x_" + base
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


def _call(cls: str, kwargs: dict[str, Any], name: str) -> str:
    args = [f"{k}={v!r}" for k, v in _kwargs(cls, kwargs).items()]
    args.append(f"name={name!r}")
    return f"layers.{cls}(" + ", ".join(args) + ")"


def emit_python(space: Space, config: Mapping[str, Any] | None = None) -> str:
    """Standalone Keras source that builds (and compiles) this configuration of `space`."""
    graph = build_graph(space, config)
    names = _Names()
    var: dict[int, str] = {}
    body: list[str] = []
    for node in graph.nodes:
        if node.kind == "input":
            v = var[node.id] = names(node.name)
            body.append(f"{v} = keras.Input(shape={tuple(node.shape)!r}, name={node.name!r})")
            continue
        x = ("[" + ", ".join(var[i] for i in node.inputs) + "]" if node.kind == "merge"
             else var[node.inputs[0]])
        for spec in node_layers(node):
            v = names(spec.name)
            body.append(f"{v} = {_call(spec.cls, spec.kwargs, spec.name)}({x})")
            x = v
        var[node.id] = x
    ins = [var[i] for i in graph.inputs.values()]
    outs = {n: var[i] for n, i in graph.outputs.items()}
    inputs = ins[0] if len(ins) == 1 else "[" + ", ".join(ins) + "]"
    outputs = (next(iter(outs.values())) if len(outs) == 1 else
               "{" + ", ".join(f"{n!r}: {v}" for n, v in outs.items()) + "}")
    body.append(f"model = keras.Model(inputs={inputs}, outputs={outputs}, "
                f"name={(space.name or 'archspace_model')!r})")
    spec = compile_spec(space, graph)
    body.append("if compile:")
    body += ["    " + line for line in compile_source(spec).split("\n")]
    body.append("return model")

    chosen = "\n".join(f"    {k} = {v!r}" for k, v in graph.config.items()) or "    (none)"
    where = f" from {_source_name(space)}" if _source_name(space) else ""
    header = (f'"""{space.name or "model"}: one configuration as a plain Keras 3 model.\n\n'
              f"Generated by archspace{where}; configuration {config_hash(space, graph.config)}, "
              f"{graph.params:,} parameters.\nIt needs only keras: the model is made of built-in "
              f"layers, named as in the .arch file.\n\nDecisions:\n{chosen}\n\"\"\"\n")
    lines = [header, "import keras", "from keras import layers", "", "",
             "def build_model(compile=True):",
             '    """The functional model; compiled with the space\'s training settings."""']
    lines += ["    " + b if b else "" for b in "\n".join(body).split("\n")]
    lines += ["", "", 'if __name__ == "__main__":', "    build_model().summary()", ""]
    return "\n".join(lines)


def _source_name(space: Space) -> str | None:
    span = getattr(space, "span", None)
    path = getattr(span, "path", None) if span is not None else None
    if not path:
        return None
    import os

    return os.path.basename(str(path))
