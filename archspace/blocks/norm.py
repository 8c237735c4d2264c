"""Normalisation and regularisation: bn, layernorm, dropout (all keep the shape)."""

from __future__ import annotations

from typing import Any

from .base import ArgError, ArgSpec, LayerSpec, Op, Shape
from .common import nonempty, prod
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
    doc = "Batch normalisation (BatchNormalization) over the last axis."
    signature = (ArgSpec("momentum", "float", 0.99, doc="moving-average momentum"), EPSILON)

    def check(self, args: Args) -> None:
        if not 0 <= args["momentum"] <= 1:
            raise ArgError(f"bn() argument 'momentum' must be in [0, 1], got {args['momentum']}")
        _positive_epsilon(self.name, args)

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        # gamma, beta are trained; the moving mean and variance are not
        c = nonempty(self.name, in_shape)[-1]
        return (2 * c, 2 * c)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        return [LayerSpec("BatchNormalization", name,
                          dict(momentum=args["momentum"], epsilon=args["epsilon"]))]


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
