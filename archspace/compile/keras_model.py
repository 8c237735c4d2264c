"""One configuration -> a `keras.Model` made of built-in Keras layers only.

The layer graph (`analysis.graph.build_graph`) already holds every decision's value, every
shape and every (unique, readable) layer name; this module only instantiates each node's
`LayerSpec`s with `getattr(keras.layers, spec.cls)(name=spec.name, **spec.kwargs)` and wires them
with the functional API. No Lambda is ever created; the one archspace layer (`GroupConv2D`, for
the op `gconv`, see compile/layers.py) is registered as serializable, so a saved `.keras` file
loads with plain `keras.saving.load_model` (after `import archspace` when it holds a gconv).
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping

from ..analysis.graph import Graph, LayerNode, build_graph
from ..blocks import REGISTRY, LayerSpec, merge_layer, projection
from ..ir import Space


def import_keras() -> Any:
    """keras, imported on first use (TensorFlow's C++ logging quietened unless set)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def node_layers(node: LayerNode) -> list[LayerSpec]:
    """The Keras layers (as data) that implement one graph node, applied in order."""
    if node.kind == "op":
        return REGISTRY[node.op].layers(node.args, node.in_shapes[0], node.name)
    if node.kind == "merge":
        return [merge_layer(node.op, node.name)]
    if node.kind == "projection":
        return projection(node.in_shapes[0], node.shape, node.name)[0]
    return []


def walk_layers(graph: Graph) -> Iterator[tuple[LayerNode, list[LayerSpec]]]:
    """Every non-input node with its layer specs, in graph (topological) order."""
    for node in graph.nodes:
        if node.kind != "input":
            yield node, node_layers(node)


def build_model(graph: Graph, name: str | None = None) -> Any:
    """The functional `keras.Model` of a layer graph (not compiled).

    One input: the model takes a tensor; several (towers): a list in declaration order, each
    Input named after its input, so a dict keyed by input name works too. One output: a tensor;
    several (`output NAME` statements): a dict keyed by output name. A node that shares
    weights (`shared` repeat, `reuse`) calls the layer objects of the node it shares them with,
    so Keras counts them once."""
    keras = import_keras()
    from .layers import layer_class

    tensors: dict[int, Any] = {}
    built: dict[int, list[Any]] = {}  # node id -> its layer objects
    for node in graph.nodes:
        if node.kind == "input":
            tensors[node.id] = keras.Input(shape=node.shape, name=node.name)
            continue
        x = ([tensors[i] for i in node.inputs] if node.kind == "merge"
             else tensors[node.inputs[0]])
        if node.shares is not None:
            objs = built[node.shares]
        else:
            objs = built[node.id] = [layer_class(spec.cls)(name=spec.name, **spec.kwargs)
                                     for spec in node_layers(node)]
        for layer in objs:
            x = layer(x)
        tensors[node.id] = x
    inputs = [tensors[i] for i in graph.inputs.values()]
    outputs = {name: tensors[i] for name, i in graph.outputs.items()}
    return keras.Model(inputs=inputs[0] if len(inputs) == 1 else inputs,
                       outputs=next(iter(outputs.values())) if len(outputs) == 1 else outputs,
                       name=_model_name(name or graph.space))


def _model_name(name: str | None) -> str:
    return name or "archspace_model"


def to_keras(space: Space, config: Mapping[str, Any] | None = None, *, compile: bool = True,
             name: str | None = None) -> Any:
    """Build one configuration of `space` as a `keras.Model` (default configuration when
    `config` is None), compiled with the configuration's `train { }` settings unless
    compile=False.

    Raises ArchError for an invalid configuration or one whose shapes do not fit, and
    ArchArgumentError (also a TypeError) for a `space` that is not a Space (a file name, say)
    or a `config` that is not a dict."""
    from .. import _check_config, _check_space

    _check_space("to_keras", space)
    _check_config("to_keras", config)
    graph = build_graph(space, config)
    model = build_model(graph, name or space.name)
    if compile:
        from .training import compile_model, compile_spec

        compile_model(model, compile_spec(space, graph))
    return model
