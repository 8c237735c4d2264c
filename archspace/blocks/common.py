"""Argument specs and shape arithmetic shared by several ops."""

from __future__ import annotations

import math
from typing import Any

from .base import ACTIVATIONS, INITIALIZERS, PADDINGS, ArgError, ArgSpec, Shape, ShapeError

# -- argument specs reused across ops -------------------------------------------------------------
ACT = ArgSpec("act", "symbol", "linear", ACTIVATIONS, flag=True, doc="activation")
PADDING_SAME = ArgSpec("padding", "symbol", "same", PADDINGS, flag=True, doc="same or valid")
PADDING_VALID = ArgSpec("padding", "symbol", "valid", PADDINGS, flag=True, doc="same or valid")
BIAS = ArgSpec("bias", "bool", True, doc="add a bias")
INIT = ArgSpec("init", "symbol", "glorot_uniform", INITIALIZERS, doc="kernel initializer")


def fmt(shape: Shape) -> str:
    """`7x7x64`, the way shapes are written in .arch files."""
    return "x".join(str(d) for d in shape) if shape else "scalar"


def prod(values: Any) -> int:
    return math.prod(values)


# -- argument checks (ArgError) -------------------------------------------------------------------
def at_least(op: str, args: dict[str, Any], names: tuple[str, ...], minimum: int = 1) -> None:
    """Every named int or size arg is >= minimum; sizes must have exactly two entries."""
    for n in names:
        v = args[n]
        if v is None:
            continue
        if isinstance(v, tuple):
            if len(v) != 2:
                raise ArgError(f"{op}() argument '{n}' must be a 2-D size like 3 or 3x3, "
                               f"got {fmt(v)}")
            if min(v) < minimum:
                raise ArgError(f"{op}() argument '{n}' must be >= {minimum}, got {fmt(v)}")
        elif v < minimum:
            raise ArgError(f"{op}() argument '{n}' must be >= {minimum}, got {v}")


# -- shape checks (ShapeError) --------------------------------------------------------------------
def image(op: str, in_shape: Shape) -> tuple[int, int, int]:
    if len(in_shape) != 3:
        raise ShapeError(f"{op}() needs an image input HxWxC, got {fmt(in_shape)}")
    h, w, c = in_shape
    return h, w, c


def nonempty(op: str, in_shape: Shape) -> Shape:
    if len(in_shape) == 0:
        raise ShapeError(f"{op}() needs a tensor input, got a scalar")
    return in_shape


def window(op: str, in_shape: Shape, size: tuple[int, int], stride: tuple[int, int],
           padding: str, dilation: tuple[int, int] = (1, 1), what: str = "kernel"
           ) -> tuple[int, int]:
    """Output (H, W) of a sliding window, as Keras computes it.

    same: ceil(n / s) regardless of the window; valid: floor((n - span) / s) + 1 where the
    dilated window spans d * (k - 1) + 1 pixels.
    """
    h, w, _ = image(op, in_shape)
    out = []
    for n, k, s, d in zip((h, w), size, stride, dilation):
        span = d * (k - 1) + 1
        out.append(-(-n // s) if padding == "same" else (n - span) // s + 1)
    if min(out) <= 0:
        dil = f" (dilated to {fmt(tuple(d * (k - 1) + 1 for k, d in zip(size, dilation)))})" \
            if max(dilation) > 1 else ""
        raise ShapeError(f"{op}(): a {fmt(size)} {what}{dil} does not fit the {fmt(in_shape)} "
                         f"input with padding 'valid'")
    return out[0], out[1]


def pool_stride(args: dict[str, Any]) -> tuple[int, int]:
    """A pool's stride defaults to its size (non-overlapping windows)."""
    return args["stride"] if args["stride"] is not None else args["size"]
