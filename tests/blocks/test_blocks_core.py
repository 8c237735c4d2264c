"""Binding, argument and shape errors, the registry, MACs: everything that needs no Keras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import archspace.blocks as blocks
from archspace.blocks import (
    REGISTRY, ArgError, ArgSpec, LayerSpec, Op, ShapeError, UnknownOpError, get_merge, get_op,
    merge_layer, merge_out_shape, op_names, register,
)

ROOT = Path(__file__).resolve().parents[2]


def bind(op: str, /, *pos, **kw):
    return get_op(op).bind(list(pos), kw)


# -- binding --------------------------------------------------------------------------------------
def test_bind_positional_and_flags():
    a = bind("conv", 96, (3, 3), "relu")
    assert a == dict(filters=96, kernel=(3, 3), stride=(1, 1), padding="same", act="relu",
                     bias=True, groups=1, dilation=(1, 1), init="glorot_uniform")
    assert list(a) == [s.name for s in get_op("conv").signature]


def test_bind_flag_after_positional_slots():
    assert bind("maxpool", 3, "valid") == dict(size=(3, 3), stride=None, padding="valid")
    assert bind("maxpool", 3, 2, "same") == dict(size=(3, 3), stride=(2, 2), padding="same")
    assert bind("conv", 8, 3, 2, "valid", "tanh")["act"] == "tanh"


def test_bind_pool_flag_first_then_size():
    assert bind("pool", "max", (3, 3), stride=2) == dict(op="max", size=(3, 3), stride=(2, 2),
                                                         padding="valid")
    assert bind("pool", 3, op="avg")["size"] == (3, 3)


def test_bind_keywords_skip_their_positional_slot():
    a = bind("conv", 8, filters=16)   # keyword filters frees the first slot for kernel
    assert a["filters"] == 16 and a["kernel"] == (8, 8)
    assert bind("conv", filters=4, kernel=5, bias=False)["bias"] is False


def test_bind_coercions():
    assert bind("conv", 8.0)["filters"] == 8 and isinstance(bind("conv", 8.0)["filters"], int)
    assert bind("conv", 8, [3, 5])["kernel"] == (3, 5)
    assert bind("dropout", 0)["rate"] == 0.0
    assert bind("reshape", 4, -1)["dims"] == (4, -1)
    assert bind("reshape", dims=[2, 3])["dims"] == (2, 3)
    assert bind("upsample", 2, "bilinear")["interpolation"] == "bilinear"
    assert bind("act", "relu") == {"fn": "relu"}
    assert bind("relu") == {}


@pytest.mark.parametrize("op,pos,kw,message", [
    ("conv", [], {}, "conv() is missing argument 'filters'"),
    ("act", [], {}, "act() is missing argument 'fn'"),
    ("conv", [8], {"strid": 2}, "conv() has no argument 'strid' (did you mean 'stride'?)"),
    ("conv", [8, "relu"], {"act": "tanh"}, "conv() got two values for argument 'act'"),
    ("conv", [8, "relu", "tanh"], {}, "conv() got two values for argument 'act'"),
    ("pool", ["max", "avg"], {}, "pool() got two values for argument 'op'"),
    ("relu", [3], {}, "relu() takes no arguments"),
    ("dropout", [0.1, 0.2], {}, "dropout() takes at most 1 argument"),
    ("conv", [8.5], {}, "conv() argument 'filters' must be an integer, got 8.5"),
    ("conv", [float("inf")], {}, "must be an integer"),
    ("conv", [True], {}, "must be an integer"),
    ("conv", [8, "big"], {}, "argument 'kernel' must be a size like 3 or 3x3, got 'big'"),
    ("conv", [8], {"bias": "yes"}, "argument 'bias' must be true or false"),
    ("conv", [8], {"padding": "sam"},
     "must be one of same, valid; got 'sam' (did you mean 'same'?)"),
    ("act", ["rleu"], {}, "(did you mean 'relu'?)"),
    ("dense", [10], {"init": "he_norml"}, "(did you mean 'he_normal'?)"),
    ("dropout", ["x"], {}, "argument 'rate' must be a number"),
    ("reshape", [], {"dims": ()}, "argument 'dims' must be integers"),
    ("rescaling", [], {}, "rescaling() is missing argument 'scale'"),
    ("rescaling", ["x"], {}, "argument 'scale' must be a number or a list of numbers"),
    ("rescaling", [[]], {}, "must be a number or a list of numbers"),
    ("normalization", [], {"mean": [0.5, True]}, "must be a number or a list of numbers"),
    ("bn", [], {"scale": 0}, "argument 'scale' must be true or false"),
])
def test_bind_errors(op, pos, kw, message):
    with pytest.raises(ArgError) as err:
        get_op(op).bind(pos, kw)
    assert message in str(err.value)


@pytest.mark.parametrize("op,pos,kw,message", [
    ("conv", [0], {}, "'filters' must be >= 1, got 0"),
    ("conv", [8, (3, 3, 3)], {}, "'kernel' must be a 2-D size"),
    ("conv", [8, 3, 0], {}, "'stride' must be >= 1"),
    ("conv", [6], {"groups": 4}, "filters=6 is not divisible by groups=4"),
    ("conv", [8, 3, 2], {"dilation": 2}, "stride > 1 cannot be combined with dilation > 1"),
    ("dwconv", [3, 2], {"dilation": 2}, "dwconv(): stride > 1 cannot be combined with dilation"),
    ("sepconv", [8, 3, 2], {"dilation": 2}, "stride > 1 cannot be combined with dilation"),
    ("dwconv", [3], {"dilation": 0}, "'dilation' must be >= 1"),
    ("normalization", [], {"mean": 0.5}, "needs both 'mean' and 'variance', or neither"),
    ("normalization", [], {"variance": [1, 1]}, "needs both 'mean' and 'variance'"),
    ("normalization", [0, -1], {}, "'variance' must be >= 0"),
    ("dwconv", [], {"multiplier": 0}, "'multiplier' must be >= 1"),
    ("maxpool", [2], {"stride": 0}, "'stride' must be >= 1"),
    ("dense", [0], {}, "'units' must be >= 1"),
    ("dropout", [1.0], {}, "'rate' must be in [0, 1)"),
    ("dropout", [-0.1], {}, "'rate' must be in [0, 1)"),
    ("bn", [1.5], {}, "'momentum' must be in [0, 1]"),
    ("layernorm", [0], {}, "'epsilon' must be > 0"),
    ("reshape", [-1, -1], {}, "at most one -1"),
    ("reshape", [0, 4], {}, "positive or -1"),
    ("zeropad", [-1], {}, "'pad' must be >= 0"),
    ("channel_shuffle", [0], {}, "'groups' must be >= 1"),
])
def test_argument_range_errors(op, pos, kw, message):
    with pytest.raises(ArgError) as err:
        get_op(op).bind(pos, kw)
    assert message in str(err.value)


def test_zero_padding_and_cropping_allowed():
    assert get_op("zeropad").out_shape(bind("zeropad", (0, 2)), (3, 3, 1)) == (3, 7, 1)
    assert get_op("crop").out_shape(bind("crop", 0), (3, 3, 1)) == (3, 3, 1)


# -- shape errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("op,pos,shape,message", [
    ("conv", [8], (10,), "conv() needs an image input HxWxC, got 10"),
    ("conv", [8, 5, "valid"], (3, 3, 1), "a 5x5 kernel does not fit the 3x3x1 input"),
    ("conv", [8], (5, 5, 3), None),   # default groups=1: fine
    ("dense", [4], (), "scalar"),
    ("flatten", [], (), "scalar"),
    ("deconv", [4], (4, 4), "HxWxC, got 4x4"),
    ("maxpool", [3, 1], (2, 9, 1), "3x3 pool window does not fit the 2x9x1 input"),
    ("global_max_pool", [], (2, 3, 4, 5), "got 2x3x4x5"),
    ("reshape", [7], (2, 3), "cannot reshape 2x3 (6 values) to 7 (7 values)"),
    ("crop", [(1, 3)], (4, 6, 1), "cropping 1x3 from each side of 4x6x1 leaves nothing"),
    ("rescaling", [[1, 2]], (4, 4, 3), "'scale' has 2 values but the input 4x4x3 has 3 channels"),
    ("rescaling", [[1, 2, 3]], (4, 4, 3), None),
    ("normalization", [[1, 2], [1, 1]], (5, 3), "'mean' has 2 values but the input 5x3"),
    ("zero", [], (), "scalar"),
])
def test_shape_errors(op, pos, shape, message):
    o = get_op(op)
    args = o.bind(pos, {})
    if message is None:
        o.out_shape(args, shape)
        return
    for call in (o.out_shape, lambda a, s: o.layers(a, s, "x")):
        with pytest.raises(ShapeError) as err:
            call(args, shape)
        assert message in str(err.value)


def test_conv_groups_must_divide_input_channels():
    with pytest.raises(ShapeError, match="input channels 6 .* not divisible by groups=4"):
        get_op("conv").out_shape(bind("conv", 8, groups=4), (5, 5, 6))


# -- MACs against hand-computed formulas ----------------------------------------------------------
@pytest.mark.parametrize("op,pos,kw,shape,macs", [
    # out 16x16x16, 3x3x3 taps each
    ("conv", [16, 3, 2], {}, (32, 32, 3), 16 * 16 * 16 * 3 * 3 * 3),
    ("conv", [16, 3, 1, "valid"], {}, (10, 10, 3), 8 * 8 * 16 * 3 * 3 * 3),
    # grouped: each output sees C/groups input channels
    ("conv", [8, 3], {"groups": 2}, (8, 8, 4), 8 * 8 * 8 * 3 * 3 * 2),
    ("conv", [8, (1, 3)], {}, (5, 5, 2), 5 * 5 * 8 * 1 * 3 * 2),
    ("dwconv", [3], {}, (8, 8, 4), 8 * 8 * 4 * 9),
    ("dwconv", [3, 2], {"multiplier": 2}, (8, 8, 4), 4 * 4 * 8 * 9),
    ("sepconv", [16], {}, (8, 8, 4), 8 * 8 * 4 * 9 + 8 * 8 * 4 * 16),
    ("deconv", [8], {}, (4, 4, 3), 4 * 4 * 3 * 2 * 2 * 8),
    ("dense", [10], {}, (20,), 20 * 10),
    ("dense", [10], {}, (5, 20), 5 * 20 * 10),
    ("dense", [3], {}, (2, 2, 4), 2 * 2 * 4 * 3),
    ("bn", [], {}, (4, 4, 3), 4 * 4 * 3),
    ("maxpool", [], {}, (4, 4, 3), 0),
    ("relu", [], {}, (4, 4, 3), 0),
    ("flatten", [], {}, (4, 4, 3), 0),
    ("dwconv", [3, "valid"], {"dilation": 2}, (8, 8, 4), 4 * 4 * 4 * 9),
    ("zero", [], {}, (4, 4, 3), 0),
])
def test_macs(op, pos, kw, shape, macs):
    o = get_op(op)
    assert o.macs(o.bind(pos, kw), shape) == macs


@pytest.mark.parametrize("op,pos,kw,shape,params", [
    ("conv", [16, 3], {}, (8, 8, 3), (3 * 3 * 3 * 16 + 16, 0)),
    ("conv", [8, 3], {"groups": 4, "bias": False}, (8, 8, 4), (3 * 3 * 1 * 8, 0)),
    ("dwconv", [3], {"multiplier": 2}, (8, 8, 4), (9 * 8 + 8, 0)),
    ("bn", [], {}, (4, 4, 6), (12, 12)),
    ("bn", [], {"scale": False}, (4, 4, 6), (6, 12)),   # InceptionV3's BN: beta only
    ("bn", [], {"center": False, "scale": False}, (6,), (0, 12)),
    ("dwconv", [3], {"dilation": 2}, (8, 8, 4), (9 * 4 + 4, 0)),
    ("normalization", [], {}, (8, 8, 3), (0, 3 + 3 + 1)),   # mean, variance, count
    ("normalization", [0.5, 0.25], {}, (8, 8, 3), (0, 0)),  # constants, not weights
    ("rescaling", [1 / 255], {}, (8, 8, 3), (0, 0)),
    ("zero", [], {}, (8, 8, 3), (0, 0)),
    ("dense", [5], {}, (3, 4), (4 * 5 + 5, 0)),
])
def test_params_by_hand(op, pos, kw, shape, params):
    o = get_op(op)
    assert o.n_params(o.bind(pos, kw), shape) == params


# -- layer naming ---------------------------------------------------------------------------------
def test_layer_names():
    assert [s.name for s in get_op("conv").layers(bind("conv", 8), (4, 4, 2), "a.b")] == ["a.b"]
    names = [s.name for s in get_op("channel_shuffle").layers(bind("channel_shuffle", 2),
                                                             (4, 4, 4), "s")]
    assert len(set(names)) == 3 and "s" in names and all(n.startswith("s") for n in names)
    assert get_op("dropout").layers(bind("dropout", 0), (4,), "d") == []
    assert get_op("identity").layers({}, (4,), "i") == []


# -- registry -------------------------------------------------------------------------------------
def test_get_op_suggests():
    with pytest.raises(UnknownOpError) as err:
        get_op("conv2")
    assert str(err.value) == "unknown op 'conv2'"
    assert err.value.hint == "did you mean 'conv'?"
    assert err.value.name == "conv2"
    with pytest.raises(UnknownOpError) as err:
        get_op("qqqqqq")
    assert err.value.hint is None


def test_op_names_and_contract():
    expected = {"conv", "dwconv", "sepconv", "deconv", "dense", "maxpool", "avgpool", "pool",
                "global_avg_pool", "global_max_pool", "flatten", "dropout", "bn", "act", "relu",
                "relu6", "sigmoid", "tanh", "softmax", "swish", "gelu", "reshape", "upsample",
                "zeropad", "crop", "channel_shuffle", "identity", "layernorm", "zero", "rescaling",
                "normalization", "gconv"}
    assert set(op_names()) == expected and op_names() == sorted(op_names())
    for name, op in REGISTRY.items():
        assert op.name == name
        assert op.doc and "\n" not in op.doc, name
        assert isinstance(op.signature, tuple)
        assert all(isinstance(a, ArgSpec) for a in op.signature)


def test_register_user_op():
    @register
    class Square(Op):
        name = "test_square"
        doc = "Square every value (a test op)."
        signature = (ArgSpec("scale", "float", 1.0),)

        def out_shape(self, args, in_shape):
            return in_shape

        def layers(self, args, in_shape, name):
            return [LayerSpec("Lambda", name)]

    try:
        assert get_op("test_square").bind([2], {}) == {"scale": 2.0}
        with pytest.raises(ValueError, match="already registered"):
            register(Square)
        register(replace=True)(Square)
        with pytest.raises(TypeError):
            register(int)
    finally:
        REGISTRY.pop("test_square", None)
    assert "test_square" not in op_names()


# -- merges (shape arithmetic; Keras cross-checks live in test_blocks_keras) ----------------------
def test_merges():
    assert merge_out_shape("add", [(4, 4, 3), (1, 1, 3)]) == (4, 4, 3)
    assert merge_out_shape("concat", [(4, 4, 3), (4, 4, 5)]) == (4, 4, 8)
    assert merge_layer("concat", "m") == LayerSpec("Concatenate", "m", {"axis": -1})
    assert merge_layer("avg", "m").cls == "Average"
    with pytest.raises(ShapeError, match="at least 2"):
        merge_out_shape("add", [(4,)])
    with pytest.raises(UnknownOpError) as err:
        get_merge("conact")
    assert str(err.value) == "unknown merge 'conact'" and err.value.hint == "did you mean 'concat'?"


# -- no Keras at import time ----------------------------------------------------------------------
def test_import_leaves_keras_out():
    code = ("import sys, archspace.blocks, archspace.blocks.merge\n"
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_public_names():
    for n in ("REGISTRY", "get_op", "op_names", "register", "UnknownOpError", "MERGES",
              "merge_out_shape", "merge_layer", "projection"):
        assert hasattr(blocks, n)
