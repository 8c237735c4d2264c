"""Every op, merge and projection against real Keras: the shape, the (trainable, non-trainable)
parameter counts, and the layer kwargs must match what Keras builds, exactly."""

from __future__ import annotations

import json
import os

import pytest

from archspace.blocks import (
    MERGES, REGISTRY, ShapeError, get_op, merge_layer, merge_out_shape, projection,
)
from archspace.blocks.base import ACTIVATIONS, INITIALIZERS

import numpy as np  # noqa: E402


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def _count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def build(keras, inputs, specs):
    """Apply specs in sequence (the first to every input: merges take a list); return the
    output shape and the (trainable, non_trainable) totals."""
    from archspace.compile.layers import layer_class

    layers = [layer_class(s.cls)(name=s.name, **s.kwargs) for s in specs]
    x = [keras.Input(s) for s in inputs]
    y = x if len(x) > 1 else x[0]
    for layer in layers:
        y = layer(y)
    params = (sum(_count(la.trainable_weights) for la in layers),
              sum(_count(la.non_trainable_weights) for la in layers))
    return tuple(y.shape[1:]), params


def plain(value) -> bool:
    """Printable as Python source and JSON: scalars, strings, tuples of those."""
    if isinstance(value, tuple):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


# (op, positional, keywords, input shape)
CASES = [
    ("conv", [8], {}, (7, 7, 3)),
    ("conv", [8, 3, 2], {}, (7, 7, 3)),
    ("conv", [8, 3, 2, "valid"], {}, (7, 7, 3)),
    ("conv", [8, (5, 3), (2, 1), "valid"], {}, (9, 8, 4)),
    ("conv", [6, 3], {"groups": 3}, (5, 5, 6)),
    ("conv", [4, 3], {"groups": 2, "bias": False}, (6, 5, 8)),
    ("conv", [8, 3, "valid"], {"dilation": 2}, (9, 9, 2)),
    ("conv", [8, 3], {"dilation": (2, 3)}, (9, 9, 2)),
    ("conv", [4, 1], {"bias": False}, (3, 3, 5)),
    ("conv", [8, 4, 3], {}, (10, 10, 1)),
    ("conv", [8, (3, 3), "relu"], {"init": "he_normal"}, (5, 5, 2)),
    ("conv", [8, 7, "valid"], {}, (7, 7, 1)),
    ("dwconv", [], {}, (7, 7, 3)),
    ("dwconv", [3, 2, "valid"], {}, (8, 8, 2)),
    ("dwconv", [3], {"multiplier": 3, "bias": False}, (5, 5, 4)),
    ("dwconv", [(5, 3), 2, "relu6"], {}, (9, 6, 2)),
    ("dwconv", [3, "valid"], {"dilation": 2}, (9, 8, 3)),
    ("dwconv", [5], {"dilation": (2, 1), "bias": False}, (6, 6, 2)),
    ("sepconv", [8, 3], {}, (7, 7, 3)),
    ("sepconv", [16, 5, 2, "valid", "swish"], {}, (11, 11, 4)),
    ("sepconv", [4], {"bias": False}, (3, 3, 6)),
    ("sepconv", [4, 3, "valid"], {"dilation": 2}, (7, 7, 3)),
    ("deconv", [4], {}, (4, 4, 3)),
    ("deconv", [4, 3, 2, "valid"], {}, (5, 5, 2)),
    ("deconv", [4, 3, 2, "same"], {}, (5, 5, 2)),
    ("deconv", [4, 1, 3, "valid"], {}, (3, 3, 2)),
    ("deconv", [4, 4, 1, "valid"], {}, (3, 3, 2)),
    ("deconv", [4, 5, 2], {"bias": False}, (3, 4, 2)),
    ("deconv", [4, (3, 2), (2, 1), "valid"], {}, (3, 4, 2)),
    ("dense", [10], {}, (20,)),
    ("dense", [10, "softmax"], {}, (6, 4)),
    ("dense", [5], {"bias": False, "init": "lecun_normal"}, (3, 3, 5)),
    ("maxpool", [], {}, (8, 8, 3)),
    ("maxpool", [], {}, (7, 7, 3)),
    ("maxpool", [3], {"stride": 2}, (7, 7, 2)),
    ("maxpool", [3, 2, "same"], {}, (7, 7, 2)),
    ("maxpool", [(2, 3), (1, 2)], {}, (5, 9, 1)),
    ("avgpool", [], {}, (8, 8, 3)),
    ("avgpool", [3, "valid"], {}, (9, 7, 2)),
    ("avgpool", [2, 1, "same"], {}, (5, 5, 2)),
    ("pool", ["max", (3, 3)], {"stride": 2}, (9, 9, 2)),
    ("pool", ["avg", 2, "same"], {}, (5, 5, 2)),
    ("pool", [3], {"op": "avg"}, (6, 6, 1)),
    ("global_avg_pool", [], {}, (5, 5, 3)),
    ("global_avg_pool", [], {}, (7, 4)),
    ("global_max_pool", [], {}, (5, 5, 3)),
    ("global_max_pool", [], {}, (7, 4)),
    ("flatten", [], {}, (3, 4, 5)),
    ("flatten", [], {}, (6,)),
    ("flatten", [], {}, (5, 2)),
    ("dropout", [], {}, (10,)),
    ("dropout", [0.2], {}, (3, 3, 2)),
    ("dropout", [0], {}, (3, 3, 2)),
    ("bn", [], {}, (4, 4, 3)),
    ("bn", [], {}, (10,)),
    ("bn", [0.9, 1e-5], {}, (6, 4)),
    ("bn", [], {"scale": False}, (4, 4, 5)),
    ("bn", [], {"center": False}, (4, 4, 5)),
    ("bn", [], {"center": False, "scale": False}, (7,)),
    ("rescaling", [1 / 255], {}, (4, 4, 3)),
    ("rescaling", [2.0], {"offset": -1}, (5,)),
    ("rescaling", [[0.5, 1, 2]], {"offset": [0, 1, 2]}, (3, 3, 3)),
    ("normalization", [], {}, (4, 4, 3)),
    ("normalization", [], {}, (6,)),
    ("normalization", [], {"mean": [0.5, 0.4, 0.3], "variance": [0.1, 0.2, 0.3]}, (4, 4, 3)),
    ("normalization", [0.5, 2], {}, (4, 4, 3)),
    ("layernorm", [], {}, (6, 4)),
    ("layernorm", [1e-6], {}, (10,)),
    ("layernorm", [], {}, (3, 3, 2)),
    *[("act", [fn], {}, (4,)) for fn in sorted(ACTIVATIONS)],
    ("act", [], {"fn": "gelu"}, (3, 3, 2)),
    *[(fn, [], {}, (2, 3)) for fn in ("relu", "relu6", "sigmoid", "tanh", "softmax", "swish",
                                      "gelu")],
    ("reshape", [6, 4], {}, (4, 3, 2)),
    ("reshape", [-1], {}, (4, 3, 2)),
    ("reshape", [2, -1], {}, (4, 3, 2)),
    ("reshape", [], {"dims": (3, 4, 1)}, (12,)),
    ("upsample", [], {}, (3, 4, 2)),
    ("upsample", [(2, 3), "bilinear"], {}, (3, 4, 2)),
    ("zeropad", [], {}, (3, 4, 2)),
    ("zeropad", [(2, 0)], {}, (3, 4, 2)),
    ("crop", [], {}, (5, 4, 2)),
    ("crop", [(2, 0)], {}, (5, 4, 2)),
    ("channel_shuffle", [2], {}, (4, 4, 6)),
    ("channel_shuffle", [3], {}, (3, 5, 9)),
    ("channel_shuffle", [1], {}, (2, 2, 4)),
    ("identity", [], {}, (3, 3, 2)),
    ("identity", [], {}, (7,)),
    ("zero", [], {}, (3, 3, 2)),
    ("zero", [], {}, (7,)),
    ("gconv", [12, 4], {"bias": False}, (5, 5, 6)),
    ("gconv", [8, 3, 3, 2, "valid"], {}, (7, 7, 5)),
    ("gconv", [6, 1, 3], {"act": "relu"}, (4, 4, 6)),
]


def _id(case) -> str:
    op, pos, kw, shape = case
    args = [str(p) for p in pos] + [f"{k}={v}" for k, v in kw.items()]
    return f"{op}({', '.join(args)})@{'x'.join(map(str, shape))}"


def test_every_op_is_covered():
    assert {c[0] for c in CASES} == set(REGISTRY)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_op_matches_keras(keras, case):
    op_name, pos, kw, in_shape = case
    op = get_op(op_name)
    args = op.bind(pos, kw)
    specs = op.layers(args, in_shape, "blk.op")
    for s in specs:
        assert all(plain(v) for v in s.kwargs.values()), s
        json.dumps(s.kwargs)
    assert len({s.name for s in specs}) == len(specs)
    expected = op.out_shape(args, in_shape)
    if not specs:   # identity, dropout(0), channel_shuffle(1)
        assert expected == in_shape and op.n_params(args, in_shape) == (0, 0)
        return
    shape, params = build(keras, [in_shape], specs)
    assert expected == shape
    assert op.n_params(args, in_shape) == params


def test_initializers_are_keras_names(keras):
    for init in sorted(INITIALIZERS):
        args = get_op("dense").bind([3], {"init": init})
        (spec,) = get_op("dense").layers(args, (4,), "d")
        build(keras, [(4,)], [spec])


def test_channel_shuffle_interleaves_groups(keras):
    op = get_op("channel_shuffle")
    specs = op.layers(op.bind([2], {}), (1, 1, 6), "shuffle")
    x = keras.Input((1, 1, 6))
    y = x
    for s in specs:
        y = getattr(keras.layers, s.cls)(name=s.name, **s.kwargs)(y)
    out = keras.Model(x, y).predict(np.arange(6, dtype="float32").reshape(1, 1, 1, 6), verbose=0)
    assert out.reshape(-1).tolist() == [0, 3, 1, 4, 2, 5]


# -- shape errors: we refuse, and so does Keras ---------------------------------------------------
BAD = [
    ("conv", [8, 5, "valid"], {}, (3, 3, 1), "5x5"),
    ("conv", [8, 3, "valid"], {"dilation": 2}, (4, 4, 1), "dilated to 5x5"),
    ("conv", [8], {"groups": 2}, (5, 5, 3), "groups=2"),
    ("dwconv", [4, "valid"], {}, (3, 6, 2), "4x4"),
    ("sepconv", [4, 3, "valid"], {}, (2, 2, 1), "3x3"),
    ("maxpool", [3], {}, (2, 2, 1), "3x3 pool window"),
    ("avgpool", [(1, 4)], {}, (5, 3, 1), "1x4"),
    ("reshape", [5, -1], {}, (4, 3), "not divisible"),
    ("reshape", [5, 5], {}, (4, 3), "25 values"),
    ("crop", [2], {}, (4, 4, 1), "leaves nothing"),
    ("channel_shuffle", [4], {}, (2, 2, 6), "groups=4"),
    ("upsample", [], {}, (4, 3), "HxWxC"),
    ("dwconv", [3, "valid"], {"dilation": 3}, (6, 6, 1), "dilated to 7x7"),
    ("zeropad", [], {}, (10,), "HxWxC"),
    ("global_avg_pool", [], {}, (10,), "LxC"),
]


@pytest.mark.parametrize("case", BAD, ids=[_id(c[:4]) for c in BAD])
def test_shape_errors_agree_with_keras(keras, case):
    op_name, pos, kw, in_shape, fragment = case
    op = get_op(op_name)
    args = op.bind(pos, kw)
    with pytest.raises(ShapeError) as err:
        op.out_shape(args, in_shape)
    assert fragment in str(err.value)
    assert "x".join(map(str, in_shape)) in str(err.value)
    with pytest.raises(ShapeError):
        op.layers(args, in_shape, "x")
    # Keras must refuse the same layer (built by hand: ours refuse to emit it)
    with pytest.raises(Exception):
        build(keras, [in_shape], _keras_specs(op_name, args, in_shape))


def _keras_specs(op_name, args, in_shape):
    """What we would have emitted, built without our shape check (to prove Keras refuses)."""
    from archspace.blocks.base import LayerSpec

    cls = {"conv": "Conv2D", "dwconv": "DepthwiseConv2D", "sepconv": "SeparableConv2D",
           "maxpool": "MaxPooling2D", "avgpool": "AveragePooling2D", "reshape": "Reshape",
           "crop": "Cropping2D", "upsample": "UpSampling2D", "zeropad": "ZeroPadding2D",
           "global_avg_pool": "GlobalAveragePooling2D"}
    if op_name == "channel_shuffle":
        h, w, c = in_shape
        g = args["groups"]
        return [LayerSpec("Reshape", "s", dict(target_shape=(h, w, g, c // g)))]
    kwargs = {
        "conv": lambda a: dict(filters=a["filters"], kernel_size=a["kernel"],
                               padding=a["padding"], dilation_rate=a["dilation"],
                               groups=a["groups"]),
        "dwconv": lambda a: dict(kernel_size=a["kernel"], padding=a["padding"],
                                 dilation_rate=a["dilation"]),
        "sepconv": lambda a: dict(filters=a["filters"], kernel_size=a["kernel"],
                                  padding=a["padding"]),
        "maxpool": lambda a: dict(pool_size=a["size"], padding=a["padding"]),
        "avgpool": lambda a: dict(pool_size=a["size"], padding=a["padding"]),
        "reshape": lambda a: dict(target_shape=a["dims"]),
        "crop": lambda a: dict(cropping=a["crop"]),
    }.get(op_name, lambda a: {})(args)
    return [LayerSpec(cls[op_name], "k", kwargs)]


# -- merges and projection ------------------------------------------------------------------------
MERGE_CASES = [
    ("add", [(4, 4, 3), (4, 4, 3)]),
    ("add", [(4, 4, 3), (4, 4, 3), (4, 4, 3)]),
    ("add", [(4, 4, 3), (1, 1, 3)]),
    ("multiply", [(4, 4, 8), (1, 1, 8)]),
    ("multiply", [(4, 4, 8), (8,)]),
    ("max", [(6, 5), (6, 5)]),
    ("avg", [(1, 5), (6, 1)]),
    ("concat", [(4, 4, 3), (4, 4, 5)]),
    ("concat", [(4, 4, 3), (4, 4, 5), (4, 4, 1)]),
    ("concat", [(7,), (3,)]),
    ("concat", [(6, 2), (6, 3)]),
]


@pytest.mark.parametrize("op,shapes", MERGE_CASES)
def test_merge_matches_keras(keras, op, shapes):
    spec = merge_layer(op, "m")
    assert spec.cls == MERGES[op].cls
    shape, params = build(keras, shapes, [spec])
    assert merge_out_shape(op, shapes) == shape
    assert params == (0, 0)


@pytest.mark.parametrize("op,shapes,fragment", [
    ("add", [(4, 4, 3), (4, 4, 5)], "4x4x3 and 4x4x5"),
    ("max", [(4, 4, 3), (2, 4, 3)], "4x4x3 and 2x4x3"),
    ("concat", [(4, 4, 3), (5, 4, 3)], "4x4x3 and 5x4x3"),
    ("concat", [(4, 4, 3), (4, 3)], "4x4x3 and 4x3"),
])
def test_merge_shape_errors(keras, op, shapes, fragment):
    with pytest.raises(ShapeError, match=fragment):
        merge_out_shape(op, shapes)
    with pytest.raises(Exception):
        build(keras, shapes, [merge_layer(op, "m")])


@pytest.mark.parametrize("src,dst", [
    ((8, 8, 3), (8, 8, 16)),
    ((8, 8, 16), (4, 4, 32)),
    ((7, 7, 4), (4, 4, 8)),        # odd size after a same-padded stride 2
    ((9, 9, 4), (3, 3, 4)),
    ((8, 6, 2), (4, 6, 5)),        # different stride per axis
    ((10,), (6,)),
    ((5, 4), (5, 8)),
])
def test_projection_matches_keras(keras, src, dst):
    specs, params, macs = projection(src, dst, "skip.proj")
    assert [s.cls for s in specs][-1] == "BatchNormalization"
    assert specs[0].kwargs["kernel_initializer"] == "he_normal"
    shape, kparams = build(keras, [src], specs)
    assert shape == dst
    assert params == kparams
    assert macs > 0


def test_projection_macs():
    _, _, macs = projection((8, 8, 16), (4, 4, 32), "p")
    assert macs == 4 * 4 * 16 * 32 + 4 * 4 * 32


@pytest.mark.parametrize("src,dst,fragment", [
    ((7, 7, 3), (5, 5, 8), "no integer stride"),
    ((4, 4, 3), (8, 8, 3), "no integer stride"),
    ((4, 4, 3), (16, 3), "ranks differ"),
    ((5, 4), (6, 8), "only the last axis"),
])
def test_projection_errors(src, dst, fragment):
    with pytest.raises(ShapeError, match=fragment):
        projection(src, dst, "p")


# -- exhaustive small grid against Keras' own shape arithmetic ------------------------------------
def test_window_arithmetic_grid(keras):
    """conv / pool / deconv output sizes for every small (n, k, s, d, padding), compared with the
    functions Keras layers call (pure, so thousands of cases take milliseconds)."""
    from keras.src.backend.common.backend_utils import compute_conv_transpose_output_shape
    from keras.src.ops.operation_utils import (
        compute_conv_output_shape, compute_pooling_output_shape,
    )

    conv, pool, deconv = get_op("conv"), get_op("maxpool"), get_op("deconv")
    checked = 0
    for n in range(1, 9):
        for k in range(1, 6):
            for s in range(1, 4):
                for pad in ("same", "valid"):
                    shape = (n, n + 1, 2)
                    for d in ((1, 2, 3) if s == 1 else (1,)):
                        args = conv.bind([4, k, s, pad], {"dilation": d})
                        try:
                            ref = compute_conv_output_shape((1,) + shape, 4, (k, k), s, pad,
                                                            dilation_rate=d)[1:]
                        except ValueError:
                            with pytest.raises(ShapeError):
                                conv.out_shape(args, shape)
                        else:
                            assert conv.out_shape(args, shape) == ref, (n, k, s, d, pad)
                    args = pool.bind([k, s, pad], {})
                    try:
                        ref = compute_pooling_output_shape((1,) + shape, (k, k), (s, s), pad)[1:]
                    except ValueError:
                        with pytest.raises(ShapeError):
                            pool.out_shape(args, shape)
                    else:
                        assert pool.out_shape(args, shape) == ref, (n, k, s, pad)
                    args = deconv.bind([4, k, s, pad], {})
                    ref = compute_conv_transpose_output_shape((1,) + shape, (k, k), 4, (s, s),
                                                              pad)[1:]
                    assert deconv.out_shape(args, shape) == tuple(ref), (n, k, s, pad)
                    checked += 1
    assert checked == 8 * 5 * 3 * 2


def test_gconv_splits_channels_as_the_log(keras):
    """GroupConv2D: group k maps input channels in_k to output channels out_k, nothing else
    (6 -> 12 in 4 groups: inputs 1, 1, 1, 3; outputs 3, 3, 3, 3)."""
    from archspace.compile.layers import GroupConv2D

    layer = GroupConv2D(12, 4, use_bias=False, kernel_initializer="glorot_uniform")
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 6)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))
    ks = [keras.ops.convert_to_numpy(k)[0, 0] for k in layer.kernels]
    assert [k.shape for k in ks] == [(1, 3), (1, 3), (1, 3), (3, 3)]
    want = np.concatenate([x[..., 0:1] @ ks[0], x[..., 1:2] @ ks[1], x[..., 2:3] @ ks[2],
                           x[..., 3:6] @ ks[3]], axis=-1)
    assert np.allclose(y, want, atol=1e-5)
