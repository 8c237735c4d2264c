"""Normalisation, rescaling and regularisation: bn, layernorm, normalization, rescaling,
dropout (all keep the shape)."""

from __future__ import annotations

from typing import Any

from .base import ArgError, ArgSpec, LayerSpec, Op, Shape, ShapeError
from .common import fmt, nonempty, prod
from .registry import register

Args = dict[str, Any]

EPSILON = ArgSpec("epsilon", "float", 0.001, doc="added to the variance")


def _positive_epsilon(op: str, args: Args) -> None:
    if not args["epsilon"] > 0:
        raise ArgError(f"{op}() argument 'epsilon' must be > 0, got {args['epsilon']}")


class _Norm(Op):
    """Scale and shift per channel of the last axis. MACs: one per element, since inference
    applies a single fused multiply-add per value."""

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return nonempty(self.name, in_shape)

    def macs(self, args: Args, in_shape: Shape) -> int:
        return prod(nonempty(self.name, in_shape))


@register
class BatchNorm(_Norm):
    name = "bn"
    doc = "Batch normalisation (BatchNormalization) over the last axis; center/scale: beta/gamma."
    signature = (ArgSpec("momentum", "float", 0.99, doc="moving-average momentum"), EPSILON,
                 ArgSpec("center", "bool", True, doc="learn an offset (beta)"),
                 ArgSpec("scale", "bool", True, doc="learn a scale (gamma)"))

    def check(self, args: Args) -> None:
        if not 0 <= args["momentum"] <= 1:
            raise ArgError(f"bn() argument 'momentum' must be in [0, 1], got {args['momentum']}")
        _positive_epsilon(self.name, args)

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        # gamma (scale) and beta (center) are trained; the moving mean and variance are not
        c = nonempty(self.name, in_shape)[-1]
        return ((args["center"] + args["scale"]) * c, 2 * c)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        return [LayerSpec("BatchNormalization", name, dict(
            momentum=args["momentum"], epsilon=args["epsilon"], center=args["center"],
            scale=args["scale"]))]


@register
class LayerNorm(_Norm):
    name = "layernorm"
    doc = "Layer normalisation (LayerNormalization) over the last axis."
    signature = (EPSILON,)

    def check(self, args: Args) -> None:
        _positive_epsilon(self.name, args)

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        return (2 * nonempty(self.name, in_shape)[-1], 0)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        return [LayerSpec("LayerNormalization", name, dict(epsilon=args["epsilon"]))]


def _per_channel(op: str, args: Args, names: tuple[str, ...], in_shape: Shape) -> None:
    """A list argument holds one value per channel (or a single value for all of them)."""
    c = nonempty(op, in_shape)[-1]
    for n in names:
        v = args[n]
        if isinstance(v, tuple) and len(v) not in (1, c):
            raise ShapeError(f"{op}(): '{n}' has {len(v)} values but the input {fmt(in_shape)} "
                             f"has {c} channels")


@register
class Rescaling(Op):
    name = "rescaling"
    doc = "x * scale + offset (Rescaling), e.g. rescaling(1/255); per channel with lists."
    signature = (ArgSpec("scale", "floats", doc="factor, or one per channel [a, b, c]"),
                 ArgSpec("offset", "floats", 0.0, doc="added after scaling, or one per channel"))

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _per_channel(self.name, args, ("scale", "offset"), in_shape)
        return in_shape

    def macs(self, args: Args, in_shape: Shape) -> int:
        return prod(nonempty(self.name, in_shape))

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        return [LayerSpec("Rescaling", name, dict(scale=args["scale"], offset=args["offset"]))]


@register
class Normalization(_Norm):
    name = "normalization"
    doc = ("(x - mean) / sqrt(variance) per channel (Normalization); without mean and variance "
           "they are weights set by adapt() (2C + 1 non-trainable).")
    signature = (ArgSpec("mean", "floats", None, doc="fixed mean, or one per channel"),
                 ArgSpec("variance", "floats", None, doc="fixed variance, or one per channel"))

    def check(self, args: Args) -> None:
        if (args["mean"] is None) != (args["variance"] is None):
            raise ArgError("normalization() needs both 'mean' and 'variance', or neither")
        v = args["variance"]
        if v is not None and min(v if isinstance(v, tuple) else (v,)) < 0:
            raise ArgError(f"normalization() argument 'variance' must be >= 0, got {v}",
                           "variance")

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        _per_channel(self.name, args, ("mean", "variance"), in_shape)
        return in_shape

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        if args["mean"] is not None:  # constants, not weights
            return (0, 0)
        # Keras keeps the adapted mean and variance per channel and the sample count
        return (0, 2 * nonempty(self.name, in_shape)[-1] + 1)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        self.out_shape(args, in_shape)
        kwargs: dict[str, Any] = dict(axis=-1)
        if args["mean"] is not None:
            kwargs.update(mean=args["mean"], variance=args["variance"])
        return [LayerSpec("Normalization", name, kwargs)]


@register
class Dropout(Op):
    name = "dropout"
    doc = "Randomly zero a fraction of values while training (Dropout); rate 0 emits nothing."
    signature = (ArgSpec("rate", "float", 0.5, doc="fraction dropped, in [0, 1)"),)

    def check(self, args: Args) -> None:
        if not 0 <= args["rate"] < 1:
            raise ArgError(f"dropout() argument 'rate' must be in [0, 1), got {args['rate']}")

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return nonempty(self.name, in_shape)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        # a searched rate often includes 0; a no-op layer would only clutter the model
        return [] if args["rate"] == 0 else [LayerSpec("Dropout", name, dict(rate=args["rate"]))]
