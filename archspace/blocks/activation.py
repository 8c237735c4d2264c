"""Activations: `act(fn)` and one no-argument shortcut per common function."""

from __future__ import annotations

from typing import Any

from .base import ACTIVATIONS, ArgSpec, LayerSpec, Op, Shape
from .common import nonempty
from .registry import register

Args = dict[str, Any]


class _Activation(Op):
    """Elementwise, so shape-preserving and free of parameters; MACs count as 0."""

    def fn(self, args: Args) -> str:
        raise NotImplementedError

    def out_shape(self, args: Args, in_shape: Shape) -> Shape:
        return nonempty(self.name, in_shape)

    def layers(self, args: Args, in_shape: Shape, name: str) -> list[LayerSpec]:
        nonempty(self.name, in_shape)
        return [LayerSpec("Activation", name, dict(activation=self.fn(args)))]


@register
class Act(_Activation):
    name = "act"
    doc = "Any supported activation by name (Activation): act(relu), act(choice(relu, swish))."
    signature = (ArgSpec("fn", "symbol", choices=ACTIVATIONS, flag=True, doc="activation"),)

    def fn(self, args: Args) -> str:
        return args["fn"]


def _shortcut(fn: str) -> type[_Activation]:
    cls = type(fn.capitalize(), (_Activation,), {
        "name": fn,
        "doc": f"{fn} activation (Activation('{fn}')); same as act({fn}).",
        "fn": lambda self, args: fn,
        "__module__": __name__,
    })
    return register(cls)


SHORTCUTS = ("relu", "relu6", "sigmoid", "tanh", "softmax", "swish", "gelu")
for _fn in SHORTCUTS:
    _shortcut(_fn)
