"""The registry of primitive ops: shape inference, parameter and MAC counts, and the Keras
layers (as data) behind every op an .arch file can call. Nothing here imports Keras."""

from .base import ArgError, ArgSpec, LayerSpec, Op, Shape, ShapeError
from .registry import REGISTRY, UnknownOpError, get_op, op_names, register

# importing the op modules fills REGISTRY
from . import activation, conv, dense, norm, pooling, shape_ops  # noqa: E402,F401
from .merge import (  # noqa: E402
    MERGES, UnknownMergeError, get_merge, merge_layer, merge_out_shape, projection,
)

__all__ = [
    "REGISTRY", "get_op", "op_names", "register", "UnknownOpError", "UnknownMergeError",
    "Op", "ArgSpec", "LayerSpec", "Shape", "ShapeError", "ArgError",
    "MERGES", "get_merge", "merge_layer", "merge_out_shape", "projection",
]
