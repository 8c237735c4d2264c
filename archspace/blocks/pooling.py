"""Windowed pooling (max, avg, or either as a flag) and global pooling."""

from __future__ import annotations

from typing import Any

from .base import ArgSpec, LayerSpec, Op, Shape, ShapeError
from .common import PADDING_VALID, at_least, fmt, image, pool_stride, window
from .registry import register

Args = dict[str, Any]

SIZE = ArgSpec("size", "dims", 2, doc="window size")
STRIDE = ArgSpec("stride", "dims", None, doc="step of the window (default: size)")
KERAS_POOL = {"max": "MaxPooling2D", "avg": "AveragePooling2D"}


class _Pool(Op):
    """Shared arithmetic; subclasses say which pooling via `kind(args)`."""

    def kind(self, args: Args) -> str:
        raise NotImplementedError

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("size", "stride"))

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _, _, c = image(self.name, in_shape)
        h, w = window(self.name, in_shape, args["size"], pool_stride(args), args["padding"],
                      what="pool window")
        return (h, w, c)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        # pool_size is always explicit: AveragePooling2D has no default for it
        return [LayerSpec(KERAS_POOL[self.kind(args)], name, dict(
            pool_size=args["size"], strides=pool_stride(args), padding=args["padding"]))]


@register
class MaxPool(_Pool):
    name = "maxpool"
    doc = "2-D max pooling (MaxPooling2D); stride defaults to the window size."
    signature = (SIZE, STRIDE, PADDING_VALID)

    def kind(self, args: Args) -> str:
        return "max"


@register
class AvgPool(_Pool):
    name = "avgpool"
    doc = "2-D average pooling (AveragePooling2D); stride defaults to the window size."
    signature = (SIZE, STRIDE, PADDING_VALID)

    def kind(self, args: Args) -> str:
        return "avg"


@register
class Pool(_Pool):
    name = "pool"
    doc = "2-D max or avg pooling, chosen by a flag: pool(max, 3x3, stride=2)."
    signature = (ArgSpec("op", "symbol", choices=frozenset(KERAS_POOL), flag=True,
                         doc="max or avg"), SIZE, STRIDE, PADDING_VALID)

    def kind(self, args: Args) -> str:
        return args["op"]


class _GlobalPool(Op):
    """Pool every position away: HxWxC -> C (2-D) or LxC -> C (1-D); keepdims off."""

    kind: str

    def _dims(self, in_shape: Shape) -> int:
        if len(in_shape) not in (2, 3):
            raise ShapeError(f"{self.name}() needs an HxWxC image or an LxC sequence, "
                             f"got {fmt(in_shape)}")
        return len(in_shape) - 1

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        self._dims(in_shape)
        return (in_shape[-1],)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        cls = f"Global{self.kind}Pooling{self._dims(in_shape)}D"
        return [LayerSpec(cls, name, dict(keepdims=False))]


@register
class GlobalAvgPool(_GlobalPool):
    name = "global_avg_pool"
    doc = "Average over all positions (GlobalAveragePooling2D/1D): HxWxC -> C."
    kind = "Average"


@register
class GlobalMaxPool(_GlobalPool):
    name = "global_max_pool"
    doc = "Maximum over all positions (GlobalMaxPooling2D/1D): HxWxC -> C."
    kind = "Max"
