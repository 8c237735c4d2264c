"""The contract every primitive op fulfils.

An op is pure data and arithmetic: it validates its arguments, infers its output shape, counts
its parameters and MACs, and describes the Keras layers that implement it as `LayerSpec`s. No op
imports Keras; the compiler instantiates the specs, the Python emitter prints them.

Shapes exclude the batch axis and are channels-last: (H, W, C) for images, (N,) for vectors,
(L, C) for sequences such as 468x3 landmarks.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Callable, Any, ClassVar, Iterable

Shape = tuple[int, ...]

REQUIRED: Any = object()

ACTIVATIONS = frozenset(
    {"linear", "relu", "relu6", "sigmoid", "softmax", "tanh", "swish", "silu", "gelu", "elu",
     "selu", "leaky_relu", "hard_sigmoid", "hard_swish", "softplus", "mish"}
)
PADDINGS = frozenset({"same", "valid"})
INITIALIZERS = frozenset(
    {"glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
     "lecun_uniform", "zeros", "ones", "orthogonal", "random_normal", "random_uniform"}
)


class ShapeError(Exception):
    """An op cannot accept its input shape (or its arguments do not fit that shape)."""


class ArgError(Exception):
    """An argument value is of the wrong type or outside what the op accepts.

    `arg` names the offending argument when there is one, so a caller can point at it;
    `hint` says how to write it instead, when the message alone does not."""

    def __init__(self, message: str, arg: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.arg = arg
        self.hint = hint


#: Keras' argument names -> archspace's, so a Keras spelling gets a hint, not a guess
KERAS_SPELLINGS = {
    "activation": "act", "use_bias": "bias", "kernel_size": "kernel", "strides": "stride",
    "dilation_rate": "dilation", "kernel_initializer": "init", "depthwise_initializer": "init",
    "depth_multiplier": "multiplier", "pool_size": "size", "target_shape": "dims",
    "cropping": "crop",
}


@dataclass(frozen=True)
class ArgSpec:
    """One formal argument of an op.

    type: 'int', 'float', 'bool', 'dims' (an int k means (k, k); a tuple is kept), 'symbol'
    (one of `choices`), 'ints' (variadic: collects every remaining positional int), 'floats'
    (a number, or a list of numbers such as one per channel; kept as a float or a tuple).
    flag: a bare positional symbol from `choices` binds to this argument by value, so
    `conv(96, 3x3, relu)` means act=relu.
    """

    name: str
    type: str
    default: Any = REQUIRED
    choices: frozenset[str] | None = None
    flag: bool = False
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class LayerSpec:
    """One Keras layer, as data: `getattr(keras.layers, cls)(name=name, **kwargs)`."""

    cls: str
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


class Op:
    """Base class of primitive ops. Subclasses set `name`, `signature`, `doc` and override the
    four methods. `args` is always the full, validated argument dict (defaults filled in)."""

    name: ClassVar[str]
    signature: ClassVar[tuple[ArgSpec, ...]] = ()
    doc: ClassVar[str] = ""

    def out_shape(self, args: dict[str, Any], in_shape: Shape) -> Shape:
        raise NotImplementedError

    def n_params(self, args: dict[str, Any], in_shape: Shape) -> tuple[int, int]:
        """(trainable, non_trainable) exactly as Keras counts them."""
        return (0, 0)

    def macs(self, args: dict[str, Any], in_shape: Shape) -> int:
        return 0

    def layers(self, args: dict[str, Any], in_shape: Shape, name: str) -> list[LayerSpec]:
        raise NotImplementedError

    # -- argument binding shared by every op -------------------------------------------------
    def bind(self, positional: Iterable[Any], keywords: dict[str, Any]) -> dict[str, Any]:
        """Bind call arguments to the signature; raise ArgError with a readable message."""
        sig = {a.name: a for a in self.signature}
        positional = list(positional)
        out: dict[str, Any] = {}
        for value, name in zip(positional, self.slots(positional, keywords, self._flag_for,
                                                      strict=True)):
            if sig[name].type == "ints":
                out.setdefault(name, []).append(value)
            else:
                out[name] = value
        self.check_keywords(keywords)
        for key, value in keywords.items():
            out[key] = value
        for a in self.signature:
            if a.name not in out:
                if a.required:
                    raise ArgError(f"{self.name}() is missing argument '{a.name}'")
                out[a.name] = a.default
        # in signature order, so printed argument dicts read like the op's documentation
        out = {a.name: coerce(self.name, a, out[a.name]) for a in self.signature}
        self.check(out)
        return out

    def slots(self, items: list[Any], keywords: Iterable[str],
              flag_of: Callable[[Any], "ArgSpec | None"], strict: bool = False) -> list[Any]:
        """The argument each positional item binds to: the one binding rule, used for values
        (`bind`) and for the expressions a template writes (decision paths name the argument
        an inline searched value is given to). A bare symbol that is a flag's value (`relu`)
        binds to that flag; the others fill the remaining arguments in order; a variadic
        (`ints`) argument takes the rest. `strict`: raise ArgError where binding fails (else
        the item binds to None)."""
        keywords = set(keywords)
        filled: set[str] = set()
        names: list[Any] = []
        slots = iter([a for a in self.signature if a.name not in keywords])
        slot = next(slots, None)
        for item in items:
            flag = flag_of(item)
            if flag is not None and flag.name not in filled and flag.name not in keywords:
                filled.add(flag.name)
                names.append(flag.name)
                continue
            while slot is not None and slot.name in filled and slot.type != "ints":
                slot = next(slots, None)
            if flag is not None and strict and not _takes_symbol(slot, item):
                # a second bare `relu` would otherwise land in an unrelated slot and report a
                # confusing type error there
                raise ArgError(f"{self.name}() got two values for argument '{flag.name}'",
                               flag.name)
            if slot is None:
                if strict:
                    raise ArgError(self._too_many())
                names.append(None)
                continue
            names.append(slot.name)
            if slot.type != "ints":
                filled.add(slot.name)
                slot = next(slots, None)
        return names

    def check_keywords(self, keywords: dict[str, Any]) -> None:
        """Every keyword names an argument (values may still be unknown); a Keras spelling
        (`activation=`) gets archspace's (`act=`) as the hint."""
        sig = {a.name: a for a in self.signature}
        for key, value in keywords.items():
            if key in sig:
                continue
            ours = sig.get(KERAS_SPELLINGS.get(key, ""))
            if ours is None:
                raise ArgError(f"{self.name}() has no argument '{key}'" + suggest(key, sig), key)
            hint = f"archspace spells Keras' '{key}' as '{ours.name}': write {ours.name}=.."
            if ours.flag and ours.choices:
                v = value if isinstance(value, str) and value in ours.choices else \
                    ("relu" if "relu" in ours.choices else sorted(ours.choices)[0])
                hint = (f"archspace spells Keras' '{key}' as '{ours.name}': write {ours.name}={v}, "
                        f"or just {v}: {self.name}(.., {v})")
            raise ArgError(f"{self.name}() has no argument '{key}'", key, hint)

    def check(self, args: dict[str, Any]) -> None:
        """Validate argument values that do not depend on the input shape (ranges, combinations);
        raise ArgError. Called by `bind` on the coerced, defaults-filled dict."""

    def _too_many(self) -> str:
        n = len(self.signature)
        if n == 0:
            return f"{self.name}() takes no arguments"
        return f"{self.name}() takes at most {n} argument{'s' if n > 1 else ''}"

    def _flag_for(self, value: Any) -> ArgSpec | None:
        if not isinstance(value, str):
            return None
        for a in self.signature:
            if a.flag and a.choices and value in a.choices:
                return a
        return None


def _takes_symbol(slot: ArgSpec | None, value: str) -> bool:
    return (slot is not None and slot.type == "symbol"
            and (slot.choices is None or value in slot.choices))


def _integral(v: Any) -> bool:
    """An int, or a float with an integral value (inf and nan are not)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return isinstance(v, int) or v.is_integer()


def _number(v: Any) -> bool:
    """A finite int or float (not a bool)."""
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def coerce(op: str, arg: ArgSpec, value: Any) -> Any:
    """Check one bound value against its ArgSpec; return it in canonical form."""
    if value is None and not arg.required and arg.default is None:
        return None
    t = arg.type
    where = f"{op}() argument '{arg.name}'"
    if t == "int":
        if not _integral(value):
            raise ArgError(f"{where} must be an integer, got {value!r}", arg.name)
        return int(value)
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ArgError(f"{where} must be a number, got {value!r}", arg.name)
        return float(value)
    if t == "bool":
        if not isinstance(value, bool):
            raise ArgError(f"{where} must be true or false, got {value!r}", arg.name)
        return value
    if t == "dims":
        if _integral(value):
            return (int(value), int(value))
        if isinstance(value, (tuple, list)) and value and all(_integral(v) for v in value):
            return tuple(int(v) for v in value)
        raise ArgError(f"{where} must be a size like 3 or 3x3, got {value!r}", arg.name)
    if t == "symbol":
        if not isinstance(value, str) or (arg.choices is not None and value not in arg.choices):
            if arg.choices is None:
                raise ArgError(f"{where} must be a name, got {value!r}", arg.name)
            opts = ", ".join(sorted(arg.choices))
            hint = suggest(str(value), arg.choices)
            raise ArgError(f"{where} must be one of {opts}; got {value!r}{hint}", arg.name)
        return value
    if t == "floats":
        if _number(value):
            return float(value)
        if isinstance(value, (list, tuple)) and value and all(_number(v) for v in value):
            return tuple(float(v) for v in value)
        raise ArgError(f"{where} must be a number or a list of numbers like [0.5, 0.5], "
                       f"got {value!r}", arg.name)
    if t == "ints":
        values = value if isinstance(value, (list, tuple)) else [value]
        if not values or not all(_integral(v) for v in values):
            raise ArgError(f"{where} must be integers, got {value!r}", arg.name)
        return tuple(int(v) for v in values)
    raise AssertionError(f"unknown arg type {t}")


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' or ''."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
