"""Ops that only move values around: flatten, reshape, upsample, zeropad, crop,
channel_shuffle, identity, zero. None has parameters or MACs."""

from __future__ import annotations

from typing import Any

from .base import ArgError, ArgSpec, LayerSpec, Op, Shape, ShapeError
from .common import at_least, fmt, image, nonempty, prod
from .registry import register

Args = dict[str, Any]


@register
class Identity(Op):
    name = "identity"
    doc = "Pass the input through unchanged (no layer)."

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return in_shape

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        return []


# zero: also added by h12ops; keep one at merge
@register
class Zero(Op):
    name = "zero"
    doc = "All zeros of the input's shape: the `none` edge of a cell (NAS-Bench-201, DARTS); " \
          "no parameters."

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return in_shape

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        # input * 0 with a built-in layer (no Lambda: models stay serialisable)
        return [LayerSpec("Rescaling", name, dict(scale=0.0, offset=0.0))]


@register
class Flatten(Op):
    name = "flatten"
    doc = "Collapse all axes into one vector (Flatten)."

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return (prod(nonempty(self.name, in_shape)),)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        return [LayerSpec("Flatten", name)]


@register
class Reshape(Op):
    name = "reshape"
    doc = "Reshape to the given dims, one of which may be -1 (Reshape): reshape(7, 7, -1)."
    signature = (ArgSpec("dims", "ints", doc="target shape without batch; one may be -1"),)

    def check(self, args: Args) -> None:
        dims = args["dims"]
        if any(d < 1 and d != -1 for d in dims):
            raise ArgError(f"reshape() dims must be positive or -1, got {dims}")
        if dims.count(-1) > 1:
            raise ArgError(f"reshape() allows at most one -1, got {dims}")

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        dims = args["dims"]
        total = prod(nonempty(self.name, in_shape))
        known = prod(d for d in dims if d != -1)
        if -1 in dims:
            if total % known:
                raise ShapeError(f"reshape(): cannot reshape {fmt(in_shape)} ({total} values) to "
                                 f"{fmt(dims)}: {total} is not divisible by {known}")
            return tuple(total // known if d == -1 else d for d in dims)
        if known != total:
            raise ShapeError(f"reshape(): cannot reshape {fmt(in_shape)} ({total} values) to "
                             f"{fmt(dims)} ({known} values)")
        return tuple(dims)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("Reshape", name, dict(target_shape=args["dims"]))]


@register
class Upsample(Op):
    name = "upsample"
    doc = "Repeat (nearest) or interpolate (bilinear) rows and columns (UpSampling2D)."
    signature = (ArgSpec("size", "dims", 2, doc="factor per axis"),
                 ArgSpec("interpolation", "symbol", "nearest", frozenset({"nearest", "bilinear"}),
                         doc="nearest or bilinear"))

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("size",))

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        h, w, c = image(self.name, in_shape)
        sh, sw = args["size"]
        return (h * sh, w * sw, c)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        image(self.name, in_shape)
        return [LayerSpec("UpSampling2D", name,
                          dict(size=args["size"], interpolation=args["interpolation"]))]


@register
class ZeroPad(Op):
    name = "zeropad"
    doc = "Pad with zeros (ZeroPadding2D); pad=(a, b) adds a rows top and bottom, b columns " \
          "left and right; pad=(top, bottom, left, right) pads each side on its own."
    signature = (ArgSpec("pad", "dims", 1,
                         doc="rows, columns added on each side, or top, bottom, left, right"),)

    def check(self, args: Args) -> None:
        pad = args["pad"]
        if len(pad) == 4:  # asymmetric, as keras.applications' correct_pad
            if min(pad) < 0:
                raise ArgError(f"zeropad() argument 'pad' must be >= 0, got {fmt(pad)}")
            return
        at_least(self.name, args, ("pad",), minimum=0)

    @staticmethod
    def _sides(pad: tuple[int, ...]) -> tuple[tuple[int, int], tuple[int, int]]:
        if len(pad) == 4:
            return (pad[0], pad[1]), (pad[2], pad[3])
        return (pad[0], pad[0]), (pad[1], pad[1])

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        h, w, c = image(self.name, in_shape)
        (t, b), (le, r) = self._sides(args["pad"])
        return (h + t + b, w + le + r, c)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        image(self.name, in_shape)
        pad = args["pad"]
        return [LayerSpec("ZeroPadding2D", name,
                          dict(padding=self._sides(pad) if len(pad) == 4 else pad))]


@register
class Crop(Op):
    name = "crop"
    doc = "Cut rows and columns off the borders (Cropping2D); crop=(a, b) per side."
    signature = (ArgSpec("crop", "dims", 1, doc="rows, columns removed on each side"),)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("crop",), minimum=0)

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        h, w, c = image(self.name, in_shape)
        a, b = args["crop"]
        out = (h - 2 * a, w - 2 * b, c)
        if min(out[:2]) <= 0:
            raise ShapeError(f"crop(): cropping {fmt(args['crop'])} from each side of "
                             f"{fmt(in_shape)} leaves nothing")
        return out

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("Cropping2D", name, dict(cropping=args["crop"]))]


@register
class ChannelShuffle(Op):
    name = "channel_shuffle"
    doc = "Interleave channels across groups (ShuffleNet), via Reshape + Permute + Reshape."
    signature = (ArgSpec("groups", "int", doc="number of channel groups"),)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("groups",))

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _, _, c = image(self.name, in_shape)
        if c % args["groups"]:
            raise ShapeError(f"channel_shuffle(): input channels {c} (input {fmt(in_shape)}) "
                             f"are not divisible by groups={args['groups']}")
        return in_shape

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        h, w, c = self.out_shape(args, in_shape)
        g = args["groups"]
        if g == 1:
            return []
        # (g, c/g) -> (c/g, g): channel i of group j moves to position i*g + j
        return [LayerSpec("Reshape", f"{name}.split", dict(target_shape=(h, w, g, c // g))),
                LayerSpec("Permute", name, dict(dims=(1, 2, 4, 3))),
                LayerSpec("Reshape", f"{name}.join", dict(target_shape=(h, w, c)))]
