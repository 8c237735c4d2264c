"""The archspace layers: Keras layers for ops no built-in layer implements.

`GroupConv2D` (op `gconv`): a grouped convolution with an uneven channel split (floor(n/g) per
group, the last group takes the rest), which `Conv2D(groups=...)` refuses. It is registered as
serializable under the package "archspace", so a saved model loads with plain
`keras.saving.load_model` once archspace is imported (`archspace/__init__.py` registers it
as soon as keras is imported). Importing this module imports keras.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ..blocks.conv import group_split

#: LayerSpec class name -> layer class, for the compiler (built-in layers come from keras.layers)
LAYERS: dict[str, type] = {}


def _layer(cls: type) -> type:
    LAYERS[cls.__name__] = keras.saving.register_keras_serializable(package="archspace")(cls)
    return cls


@_layer
class GroupConv2D(keras.layers.Layer):
    """Grouped 2-D convolution, one kernel per group; groups may differ in size."""

    def __init__(self, filters: int, groups: int, kernel_size: Any = (1, 1),
                 strides: Any = (1, 1), padding: str = "same", activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_size = _pair(kernel_size)
        self.strides = _pair(strides)
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape: Any) -> None:
        ins = group_split(int(input_shape[-1]), self.groups)
        outs = group_split(self.filters, self.groups)
        self.in_split = ins
        self.kernels = [self.add_weight(name=f"kernel_{k}", shape=(*self.kernel_size, i, o),
                                        initializer=self.kernel_initializer)
                        for k, (i, o) in enumerate(zip(ins, outs))]
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") \
            if self.use_bias else None

    def call(self, x: Any) -> Any:
        parts, start = [], 0
        for n, kernel in zip(self.in_split, self.kernels):
            parts.append(ops.conv(x[..., start:start + n], kernel, strides=self.strides,
                                  padding=self.padding))
            start += n
        y = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        n, h, w, _ = input_shape
        out = []
        for size, k, s in zip((h, w), self.kernel_size, self.strides):
            if size is None:
                out.append(None)
            elif self.padding == "same":
                out.append(-(-size // s))
            else:
                out.append((size - k) // s + 1)
        return (n, out[0], out[1], self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "groups": self.groups,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def layer_class(cls: str) -> Any:
    """The class behind a LayerSpec: a built-in keras layer, else an archspace layer."""
    return getattr(keras.layers, cls, None) or LAYERS[cls]
