"""Convolutions: conv, dwconv, sepconv, deconv (all on HxWxC images)."""

from __future__ import annotations

from typing import Any

from .base import ArgError, ArgSpec, LayerSpec, Op, Shape, ShapeError
from .common import ACT, BIAS, INIT, PADDING_SAME, at_least, fmt, image, window
from .registry import register

Args = dict[str, Any]

FILTERS = ArgSpec("filters", "int", doc="output channels")
STRIDE = ArgSpec("stride", "dims", 1, doc="step of the window")
DILATION = ArgSpec("dilation", "dims", 1, doc="spacing of kernel taps")


def kernel(default: int) -> ArgSpec:
    return ArgSpec("kernel", "dims", default, doc="window size")


def _stride_or_dilation(op: str, args: Args) -> None:
    # Keras refuses the combination for Conv2D (base_conv.py); TensorFlow's depthwise kernels
    # do not support it either
    if max(args["stride"]) > 1 and max(args["dilation"]) > 1:
        raise ArgError(f"{op}(): stride > 1 cannot be combined with dilation > 1")


@register
class Conv(Op):
    name = "conv"
    doc = "2-D convolution (Conv2D), optionally grouped or dilated."
    signature = (FILTERS, kernel(3), STRIDE, PADDING_SAME, ACT, BIAS,
                 ArgSpec("groups", "int", 1, doc="split channels into independent groups"),
                 DILATION, INIT)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("filters", "kernel", "stride", "groups", "dilation"))
        if args["filters"] % args["groups"]:
            raise ArgError(f"conv(): filters={args['filters']} is not divisible by "
                           f"groups={args['groups']}")
        _stride_or_dilation(self.name, args)

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _, _, c = image(self.name, in_shape)
        if c % args["groups"]:
            raise ShapeError(f"conv(): input channels {c} (input {fmt(in_shape)}) are not "
                             f"divisible by groups={args['groups']}")
        h, w = window(self.name, in_shape, args["kernel"], args["stride"], args["padding"],
                      args["dilation"])
        return (h, w, args["filters"])

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        kh, kw = args["kernel"]
        f = args["filters"]
        return (kh * kw * (in_shape[-1] // args["groups"]) * f + (f if args["bias"] else 0), 0)

    def macs(self, args: Args, in_shape: Shape) -> int:
        h, w, f = self.out_shape(args, in_shape)
        kh, kw = args["kernel"]
        return h * w * f * kh * kw * (in_shape[-1] // args["groups"])

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("Conv2D", name, dict(
            filters=args["filters"], kernel_size=args["kernel"], strides=args["stride"],
            padding=args["padding"], dilation_rate=args["dilation"], groups=args["groups"],
            activation=args["act"], use_bias=args["bias"], kernel_initializer=args["init"]))]


@register
class DepthwiseConv(Op):
    name = "dwconv"
    doc = "Depthwise 2-D convolution (DepthwiseConv2D): one filter per input channel."
    signature = (kernel(3), STRIDE, PADDING_SAME, ACT, BIAS,
                 ArgSpec("multiplier", "int", 1, doc="output channels per input channel"), INIT,
                 DILATION)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("kernel", "stride", "multiplier", "dilation"))
        _stride_or_dilation(self.name, args)

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _, _, c = image(self.name, in_shape)
        h, w = window(self.name, in_shape, args["kernel"], args["stride"], args["padding"],
                      args["dilation"])
        return (h, w, c * args["multiplier"])

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        kh, kw = args["kernel"]
        out_c = in_shape[-1] * args["multiplier"]
        return (kh * kw * out_c + (out_c if args["bias"] else 0), 0)

    def macs(self, args: Args, in_shape: Shape) -> int:
        h, w, out_c = self.out_shape(args, in_shape)
        kh, kw = args["kernel"]
        return h * w * out_c * kh * kw

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("DepthwiseConv2D", name, dict(
            kernel_size=args["kernel"], strides=args["stride"], padding=args["padding"],
            depth_multiplier=args["multiplier"], activation=args["act"], use_bias=args["bias"],
            depthwise_initializer=args["init"], dilation_rate=args["dilation"]))]


@register
class SeparableConv(Op):
    name = "sepconv"
    doc = "Depthwise-separable 2-D convolution (SeparableConv2D): depthwise then 1x1."
    signature = (FILTERS, kernel(3), STRIDE, PADDING_SAME, ACT, BIAS, DILATION)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("filters", "kernel", "stride", "dilation"))
        _stride_or_dilation(self.name, args)

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        image(self.name, in_shape)
        h, w = window(self.name, in_shape, args["kernel"], args["stride"], args["padding"],
                      args["dilation"])
        return (h, w, args["filters"])

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        kh, kw = args["kernel"]
        c, f = in_shape[-1], args["filters"]
        return (kh * kw * c + c * f + (f if args["bias"] else 0), 0)

    def macs(self, args: Args, in_shape: Shape) -> int:
        h, w, f = self.out_shape(args, in_shape)
        kh, kw = args["kernel"]
        c = in_shape[-1]
        return h * w * c * (kh * kw + f)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("SeparableConv2D", name, dict(
            filters=args["filters"], kernel_size=args["kernel"], strides=args["stride"],
            padding=args["padding"], dilation_rate=args["dilation"], activation=args["act"],
            use_bias=args["bias"]))]


@register
class Deconv(Op):
    name = "deconv"
    doc = "Transposed 2-D convolution (Conv2DTranspose), for learned upsampling."
    signature = (FILTERS, kernel(2), ArgSpec("stride", "dims", 2, doc="upsampling factor"),
                 PADDING_SAME, ACT, BIAS)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("filters", "kernel", "stride"))

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        h, w, _ = image(self.name, in_shape)
        # Keras (no output_padding): same -> n * s; valid -> (n - 1) * s + max(k, s)
        out = []
        for n, k, s in zip((h, w), args["kernel"], args["stride"]):
            out.append(n * s if args["padding"] == "same" else (n - 1) * s + max(k, s))
        return (out[0], out[1], args["filters"])

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        kh, kw = args["kernel"]
        f = args["filters"]
        return (kh * kw * in_shape[-1] * f + (f if args["bias"] else 0), 0)

    def macs(self, args: Args, in_shape: Shape) -> int:
        # every input pixel scatters a kh x kw x filters patch
        h, w, c = image(self.name, in_shape)
        kh, kw = args["kernel"]
        return h * w * c * kh * kw * args["filters"]

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("Conv2DTranspose", name, dict(
            filters=args["filters"], kernel_size=args["kernel"], strides=args["stride"],
            padding=args["padding"], activation=args["act"], use_bias=args["bias"]))]


# ---- gconv: grouped convolution with an uneven channel split (GruNAS, seed 003) -----------------
def group_split(n: int, groups: int) -> tuple[int, ...]:
    """Channels per group as the GruNAS log splits them: floor(n / g) each, the last group
    takes the remainder (6 channels, 4 groups -> 1, 1, 1, 3)."""
    size = n // groups
    return (size,) * (groups - 1) + (n - size * (groups - 1),)


@register
class GroupConv(Op):
    name = "gconv"
    doc = ("Grouped 2-D convolution whose channel counts need not divide by the group count: "
           "floor(n/g) channels per group, the last group takes the rest (GroupConv2D).")
    signature = (FILTERS, ArgSpec("groups", "int", doc="number of channel groups"),
                 kernel(1), STRIDE, PADDING_SAME, ACT, BIAS, INIT)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("filters", "groups", "kernel", "stride"))
        if args["filters"] < args["groups"]:
            raise ArgError(f"gconv(): filters={args['filters']} gives an empty group with "
                           f"groups={args['groups']}", "groups")

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _, _, c = image(self.name, in_shape)
        if c < args["groups"]:
            raise ShapeError(f"gconv(): input channels {c} (input {fmt(in_shape)}) give an "
                             f"empty group with groups={args['groups']}")
        h, w = window(self.name, in_shape, args["kernel"], args["stride"], args["padding"])
        return (h, w, args["filters"])

    def _pairs(self, args: Args, in_shape: Shape) -> int:
        """Sum over groups of in_k * out_k."""
        g = args["groups"]
        return sum(a * b for a, b in zip(group_split(in_shape[-1], g),
                                         group_split(args["filters"], g)))

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        kh, kw = args["kernel"]
        f = args["filters"]
        return (kh * kw * self._pairs(args, in_shape) + (f if args["bias"] else 0), 0)

    def macs(self, args: Args, in_shape: Shape) -> int:
        h, w, _ = self.out_shape(args, in_shape)
        kh, kw = args["kernel"]
        return h * w * kh * kw * self._pairs(args, in_shape)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        # an archspace layer (archspace.compile.layers), registered as serializable
        return [LayerSpec("GroupConv2D", name, dict(
            filters=args["filters"], groups=args["groups"], kernel_size=args["kernel"],
            strides=args["stride"], padding=args["padding"], activation=args["act"],
            use_bias=args["bias"], kernel_initializer=args["init"]))]
# ---- end gconv ----------------------------------------------------------------------------------
