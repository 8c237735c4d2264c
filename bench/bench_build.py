"""Model build time: archspace's to_keras against the same SqueezeNet written by hand.

Builds SqueezeNet 1.0 (224x224x3, 1000 classes: 1,248,424 params) both ways in one process,
alternating, ROUNDS times each, and prints the median (and mean) build time of each and their
ratio (target: archspace <= 1.10x hand-written). Both sides build an uncompiled functional
model from already-imported Keras; archspace's side starts from the parsed space, so it
includes the configuration check, the layer-graph walk and the LayerSpec lookups. Parsing the
file (done once per space, not per build) is timed separately. `keras.backend.clear_session()`
runs between builds, untimed.

    python bench/bench_build.py [--rounds 15] [--compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "spaces" / "squeezenet.arch"
EXPECTED = 1_248_424


def hand_written(keras, compile_model: bool):
    """SqueezeNet 1.0 in plain Keras, layer for layer as spaces/squeezenet.arch (v1_0)."""
    layers = keras.layers

    def fire(x, s, name):
        x = layers.Conv2D(s, (1, 1), padding="same", activation="relu",
                          name=f"{name}.squeeze1x1")(x)
        a = layers.Conv2D(4 * s, (1, 1), padding="same", activation="relu",
                          name=f"{name}.expand1x1")(x)
        b = layers.Conv2D(4 * s, (3, 3), padding="same", activation="relu",
                          name=f"{name}.expand3x3")(x)
        return layers.Concatenate(axis=-1, name=f"{name}.concat")([a, b])

    image = keras.Input((224, 224, 3), name="image")
    x = layers.Conv2D(96, (7, 7), strides=2, padding="same", activation="relu", name="conv1")(image)
    x = layers.MaxPooling2D((3, 3), strides=2, name="pool1")(x)
    x = fire(x, 16, "fire2")
    x = fire(x, 16, "fire3")
    x = fire(x, 32, "fire4")
    x = layers.MaxPooling2D((3, 3), strides=2, name="pool4")(x)
    x = fire(x, 32, "fire5")
    x = fire(x, 48, "fire6")
    x = fire(x, 48, "fire7")
    x = fire(x, 64, "fire8")
    x = layers.MaxPooling2D((3, 3), strides=2, name="pool8")(x)
    x = fire(x, 64, "fire9")
    x = layers.Dropout(0.5, name="drop9")(x)
    x = layers.Conv2D(1000, (1, 1), padding="valid", activation="relu", name="conv10")(x)
    x = layers.GlobalAveragePooling2D(name="avgpool10")(x)
    x = layers.Activation("softmax", name="prob")(x)
    model = keras.Model(image, x, name="squeezenet")
    if compile_model:
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.04),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--compile", action="store_true", help="also compile both models")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    import keras

    import archspace
    from archspace.compile import to_keras

    t = time.perf_counter()
    space = archspace.parse_file(str(SPACE))
    parse_s = time.perf_counter() - t
    config = {"version": "v1_0"}

    def ours():
        return to_keras(space, config, compile=args.compile)

    def theirs():
        return hand_written(keras, args.compile)

    # warm-up (first layer builds pay one-off costs) and a fidelity check
    for build in (ours, theirs):
        model = build()
        assert model.count_params() == EXPECTED, model.count_params()
        keras.backend.clear_session()

    times: dict[str, list[float]] = {"archspace": [], "hand-written": []}
    for i in range(args.rounds):
        order = [("archspace", ours), ("hand-written", theirs)]
        if i % 2:
            order.reverse()
        for name, build in order:
            t = time.perf_counter()
            build()
            times[name].append(time.perf_counter() - t)
            keras.backend.clear_session()

    med = {k: statistics.median(v) for k, v in times.items()}
    mean = {k: statistics.fmean(v) for k, v in times.items()}
    what = "build + compile" if args.compile else "build"
    print(f"SqueezeNet 1.0, 224x224x3, 1000 classes ({EXPECTED:,} params); {what}; "
          f"{args.rounds} rounds; keras {keras.__version__}, backend {keras.backend.backend()}")
    print(f"parse spaces/squeezenet.arch (once): {parse_s * 1e3:8.1f} ms")
    for k in times:
        print(f"{k:>13}: median {med[k] * 1e3:8.1f} ms   mean {mean[k] * 1e3:8.1f} ms")
    from archspace.analysis.graph import build_graph

    t = time.perf_counter()
    for _ in range(20):
        build_graph(space, config)
    walk = (time.perf_counter() - t) / 20
    print(f"   of which the archspace layer-graph walk (no Keras): {walk * 1e3:.1f} ms")
    ratio = med["archspace"] / med["hand-written"]
    print(f"ratio archspace / hand-written (median): {ratio:.3f}x  (target <= 1.10x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
