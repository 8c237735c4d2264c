"""How parallel branches and skips meet: merge layers, and the projection that makes a skip's
shape match its body's."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

from .base import LayerSpec, Shape, ShapeError
from .common import fmt, prod
from .registry import UnknownOpError


@dataclass(frozen=True)
class Merge:
    name: str
    cls: str
    doc: str
    elementwise: bool = True


MERGES: dict[str, Merge] = {m.name: m for m in (
    Merge("add", "Add", "Elementwise sum (Add)."),
    Merge("concat", "Concatenate", "Stack along channels (Concatenate, axis -1).", False),
    Merge("multiply", "Multiply", "Elementwise product (Multiply)."),
    Merge("max", "Maximum", "Elementwise maximum (Maximum)."),
    Merge("avg", "Average", "Elementwise mean (Average)."),
)}


class UnknownMergeError(UnknownOpError):
    """A merge name not in MERGES; an UnknownOpError so callers can handle both alike."""

    def __init__(self, name: str, suggestion: str | None = None):
        super().__init__(name, suggestion)
        self.args = (f"unknown merge '{name}'",)


def get_merge(op: str) -> Merge:
    try:
        return MERGES[op]
    except KeyError:
        close = difflib.get_close_matches(op, list(MERGES), n=1, cutoff=0.6)
        raise UnknownMergeError(op, close[0] if close else None) from None


def _broadcast(op: str, a: Shape, b: Shape) -> Shape:
    """Keras' elementwise rule: align from the right; a 1 stretches to the other size."""
    long, short = (a, b) if len(a) >= len(b) else (b, a)
    out = list(long[:len(long) - len(short)])
    for x, y in zip(long[len(long) - len(short):], short):
        if x != y and 1 not in (x, y):
            raise ShapeError(f"merge {op}: shapes {fmt(a)} and {fmt(b)} differ and neither "
                             f"broadcasts (sizes must match or be 1)")
        out.append(y if x == 1 else x)
    return tuple(out)


def _concat(a: Shape, b: Shape) -> Shape:
    if len(a) != len(b) or a[:-1] != b[:-1]:
        raise ShapeError(f"merge concat: shapes {fmt(a)} and {fmt(b)} must agree on every axis "
                         f"but the last (channels)")
    return a[:-1] + (a[-1] + b[-1],)


def merge_out_shape(op: str, shapes: Sequence[Shape]) -> Shape:
    m = get_merge(op)
    if len(shapes) < 2:
        raise ShapeError(f"merge {op} needs at least 2 inputs, got {len(shapes)}")
    if any(len(s) == 0 for s in shapes):
        raise ShapeError(f"merge {op}: inputs must be tensors, got "
                         + ", ".join(fmt(s) for s in shapes))
    out = tuple(shapes[0])
    for s in shapes[1:]:
        out = _broadcast(op, out, tuple(s)) if m.elementwise else _concat(out, tuple(s))
    return out


def merge_layer(op: str, name: str) -> LayerSpec:
    m = get_merge(op)
    return LayerSpec(m.cls, name, dict(axis=-1) if m.name == "concat" else {})


def _stride(n_in: int, n_out: int) -> int | None:
    """The stride s with ceil(n_in / s) == n_out under 'same' padding, if any. The smallest
    candidate is ceil(n_in / n_out); a larger one only shrinks the output further."""
    s = -(-n_in // n_out)
    return s if -(-n_in // s) == n_out else None


def projection(in_shape: Shape, out_shape: Shape, name: str
               ) -> tuple[list[LayerSpec], tuple[int, int], int]:
    """Layers mapping a skip's `in_shape` onto `out_shape` (a strided 1x1 conv + BN for images,
    Dense + BN for vectors and sequences); returns (layers, (trainable, non_trainable), macs)."""
    c_in, c_out = in_shape[-1] if in_shape else 0, out_shape[-1] if out_shape else 0
    if len(in_shape) != len(out_shape) or not in_shape:
        raise ShapeError(f"cannot project {fmt(in_shape)} onto {fmt(out_shape)}: ranks differ")
    norm = LayerSpec("BatchNormalization", f"{name}.bn")
    bn_params = (2 * c_out, 2 * c_out)
    if len(in_shape) == 3:
        strides = tuple(_stride(i, o) if o > 0 else None
                        for i, o in zip(in_shape[:2], out_shape[:2]))
        if None in strides:
            raise ShapeError(f"cannot project {fmt(in_shape)} onto {fmt(out_shape)}: no integer "
                             f"stride maps {fmt(in_shape[:2])} to {fmt(out_shape[:2])}")
        conv = LayerSpec("Conv2D", name, dict(
            filters=c_out, kernel_size=(1, 1), strides=strides, padding="same", use_bias=True,
            kernel_initializer="he_normal"))
        weights = c_in * c_out + c_out
        macs = prod(out_shape[:2]) * c_in * c_out + prod(out_shape)
        return [conv, norm], (weights + bn_params[0], bn_params[1]), macs
    # vectors and sequences: a 1x1 conv over the last axis is a Dense layer
    if in_shape[:-1] != out_shape[:-1]:
        raise ShapeError(f"cannot project {fmt(in_shape)} onto {fmt(out_shape)}: only the last "
                         f"axis can change")
    dense = LayerSpec("Dense", name, dict(units=c_out, use_bias=True,
                                          kernel_initializer="he_normal"))
    macs = prod(in_shape) * c_out + prod(out_shape)
    return [dense, norm], (c_in * c_out + c_out + bn_params[0], bn_params[1]), macs
