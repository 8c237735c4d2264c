"""Fully connected layer; like Keras' Dense it acts on the last axis of any rank."""

from __future__ import annotations

from typing import Any

from .base import ArgSpec, LayerSpec, Op, Shape
from .common import ACT, BIAS, INIT, at_least, nonempty, prod
from .registry import register

Args = dict[str, Any]


@register
class Dense(Op):
    name = "dense"
    doc = "Fully connected layer (Dense) on the last axis."
    signature = (ArgSpec("units", "int", doc="output features"), ACT, BIAS, INIT)

    def check(self, args: Args) -> None:
        at_least(self.name, args, ("units",))

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return nonempty(self.name, in_shape)[:-1] + (args["units"],)

    def n_params(self, args: Args, in_shape: Shape) -> tuple[int, int]:
        u = args["units"]
        return (in_shape[-1] * u + (u if args["bias"] else 0), 0)

    def macs(self, args: Args, in_shape: Shape) -> int:
        # the same weight matrix is applied at every position of the leading axes
        return prod(nonempty(self.name, in_shape)) * args["units"]

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        return [LayerSpec("Dense", name, dict(
            units=args["units"], activation=args["act"], use_bias=args["bias"],
            kernel_initializer=args["init"]))]
