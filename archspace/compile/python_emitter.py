"""One configuration -> a standalone, readable Keras 3 script (imports keras only).

The script builds the same functional model as `to_keras`: one line per layer, the same layer
names and arguments (arguments equal to the Keras default are left out), then compiles it
with the configuration's training settings.
"""

from __future__ import annotations

import ast
import keyword
import math
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
                            depthwise_initializer="glorot_uniform", dilation_rate=(1, 1)),
    "SeparableConv2D": dict(strides=(1, 1), padding="valid", activation=None, use_bias=True,
                            dilation_rate=(1, 1)),
    "Conv2DTranspose": dict(strides=(1, 1), padding="valid", activation=None, use_bias=True),
    "Dense": dict(activation=None, use_bias=True, kernel_initializer="glorot_uniform"),
    "BatchNormalization": dict(momentum=0.99, epsilon=0.001, center=True, scale=True),
    "Rescaling": dict(offset=0.0),
    "Normalization": dict(axis=-1),
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


def _group_conv(body: list[str], names: "_Names", spec: Any, in_shape: tuple, x: str) -> str:
    """gconv (an archspace layer in `to_keras`) as built-in layers: each group's channels cut
    out (Reshape + Cropping3D + Reshape), its own Conv2D, then Concatenate; same weights count,
    same function."""
    from ..blocks.conv import group_split

    kw = spec.kwargs
    h, w, c = in_shape
    g = kw["groups"]
    convs, start = [], 0
    for k, (n, o) in enumerate(zip(group_split(c, g), group_split(kw["filters"], g))):
        y = x
        if g > 1:
            for cls, args, tag in (
                    ("Reshape", {"target_shape": (h, w, c, 1)}, "split"),
                    ("Cropping3D", {"cropping": ((0, 0), (0, 0), (start, c - start - n))},
                     "crop"),
                    ("Reshape", {"target_shape": (h, w, n)}, "take")):
                v = names(f"{spec.name}.{tag}{k}")
                body.append(f"{v} = {_call(cls, args, f'{spec.name}.{tag}{k}')}({y})")
                y = v
        name = spec.name if g == 1 else f"{spec.name}.conv{k}"
        v = names(name)
        body.append(f"{v} = " + _call("Conv2D", {
            "filters": o, "kernel_size": kw["kernel_size"], "strides": kw["strides"],
            "padding": kw["padding"], "use_bias": kw["use_bias"],
            "kernel_initializer": kw["kernel_initializer"],
            "activation": kw["activation"] if g == 1 else None}, name) + f"({y})")
        convs.append(v)
        start += n
    if g == 1:
        return convs[0]
    v = names(spec.name)
    body.append(f"{v} = {_call('Concatenate', {}, spec.name)}([{', '.join(convs)}])")
    if kw["activation"] not in (None, "linear"):
        a = names(f"{spec.name}.act")
        body.append(f"{a} = {_call('Activation', {'activation': kw['activation']}, spec.name + '.act')}({v})")
        v = a
    return v


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
        # ASCII only: Python folds Unicode names (NFKC), so 'ﬁ' and 'fi' would be one variable
        base = re.sub(r"[^0-9A-Za-z_]", "_", layer)
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
    from .. import _check_config, _check_space

    _check_space("emit_python", space)
    _check_config("emit_python", config)
    graph = build_graph(space, config)
    names = _Names()
    var: dict[int, str] = {}
    body: list[str] = []
    shared = {n.shares for n in graph.nodes if n.shares is not None}
    objs: dict[int, list[str]] = {}  # a node whose layers are called again: their variables
    for node in graph.nodes:
        if node.kind == "input":
            v = var[node.id] = names(node.name)
            body.append(f"{v} = keras.Input(shape={tuple(node.shape)!r}, name={node.name!r})")
            continue
        x = ("[" + ", ".join(var[i] for i in node.inputs) + "]" if node.kind == "merge"
             else var[node.inputs[0]])
        if node.shares is not None:  # the same layer objects: one set of weights
            for obj in objs[node.shares]:
                v = names(node.name)
                body.append(f"{v} = {obj}({x})")
                x = v
            var[node.id] = x
            continue
        for spec in node_layers(node):
            if spec.cls == "GroupConv2D":
                x = _group_conv(body, names, spec, node.in_shapes[0], x)
                continue
            v = names(spec.name)
            if node.id in shared:
                obj = names(spec.name + "_layer")
                objs.setdefault(node.id, []).append(obj)
                body.append(f"{obj} = {_call(spec.cls, spec.kwargs, spec.name)}")
                body.append(f"{v} = {obj}({x})")
            else:
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

    # user text (space name, file name, decision paths and values) only ever goes through
    # repr(), into data assignments: never into the docstring, a comment or an f-string
    chosen = "".join(f"    {k!r}: {_literal(v)},\n" for k, v in graph.config.items())
    params = f"{int(graph.params):,}"  # numbers only: no user text in the docstring
    lines = ['"""One configuration of an archspace search space as a plain Keras 3 model,',
             f"{params} parameters.",
             "",
             "Generated by archspace. It needs only keras: the model is made of built-in",
             "layers, named as in the .arch file. SPACE, SOURCE, CONFIG_HASH and DECISIONS",
             'below say which space and which configuration.\n"""',
             "import keras", "from keras import layers", "",
             f"SPACE = {space.name!r}",
             f"SOURCE = {_source_name(space)!r}",
             f"CONFIG_HASH = {config_hash(space, graph.config)!r}",
             f"PARAMS = {int(graph.params)!r}",
             "DECISIONS = {" + ("\n" + chosen if chosen else "") + "}", "", "",
             "def build_model(compile=True):",
             '    """The functional model; compiled with the space\'s training settings."""']
    lines += ["    " + b if b else "" for b in "\n".join(body).split("\n")]
    lines += ["", "", 'if __name__ == "__main__":', "    build_model().summary()", ""]
    source = "\n".join(lines)
    _check_source(source)
    return source


def _literal(v: Any) -> str:
    """repr() of a decision value, which must read back as the same plain value."""
    if v is None or isinstance(v, (bool, int, str)) or \
            (isinstance(v, float) and math.isfinite(v)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    return repr(str(v))


# what generated code may call: keras.*, layers.*, model.*, a layer object, build_model
_ROOTS = {"keras", "layers", "model"}


def _check_source(source: str) -> None:
    """The emitted script is data and Keras calls only: no other import, no call of anything
    but keras / layers / the model, no name it did not define. A failure is a bug here."""
    tree = ast.parse(source)
    # a layer object kept to be called again (shared weights): `x_layer = layers.Dense(..)`
    layer_objects = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute)
                     and isinstance(n.value.func.value, ast.Name)
                     and n.value.func.value.id == "layers" for t in n.targets
                     if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            ok = (isinstance(node, ast.Import) and names == ["keras"]) or \
                (isinstance(node, ast.ImportFrom) and node.module == "keras" and names == ["layers"])
            if not ok:
                raise AssertionError("emitted code imports something else than keras")
        elif isinstance(node, ast.Call):
            f = node.func
            while isinstance(f, ast.Attribute):
                f = f.value
            if isinstance(f, ast.Name) and f.id not in _ROOTS | {"build_model"} and \
                    not isinstance(node.func, ast.Name):
                raise AssertionError(f"emitted code calls {ast.unparse(node.func)}")
            if isinstance(node.func, ast.Name) and not _is_var(node.func.id) and \
                    node.func.id not in layer_objects:
                raise AssertionError(f"emitted code calls {node.func.id}")
        elif isinstance(node, (ast.Lambda, ast.JoinedStr, ast.Subscript, ast.Global,
                               ast.Nonlocal, ast.With, ast.AsyncFunctionDef, ast.ClassDef)):
            raise AssertionError(f"emitted code has a {type(node).__name__}")


def _is_var(name: str) -> bool:
    # a layer applied to its input: `x = conv1(x)` never happens (layers are applied inline),
    # so the only bare-name call is build_model()
    return name == "build_model"


def _source_name(space: Space) -> str | None:
    span = getattr(space, "span", None)
    path = getattr(span, "path", None) if span is not None else None
    if not path:
        return None
    import os

    return os.path.basename(str(path))
