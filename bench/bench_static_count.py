"""Parameter counting: static (archspace's layer graph, no Keras) against building the Keras
model and calling count_params(), per configuration, side by side in one run.

For each of N random configurations of a space (`archspace.sample_config(space, seed)`):
  graph:   `build_graph(space, config).params` -- the configuration check, the walk of the
           template, shapes, exact counts (BatchNorm moving statistics included);
  counter: `static_counter(space).count(config)` -- the configuration check, then the count
           read off the decision diagram that the whole-space walk recorded (built once per
           space, timed separately below);
  keras:   build the uncompiled functional model (`archspace.compile.to_keras(...,
           compile=False)`) and call `model.count_params()`; `keras.backend.clear_session()`
           runs between builds, untimed.
All three counts must agree. Prints the median time of each and the ratios keras / static
(target: >= 1000x), and, for scale, the whole-space analysis (`check_space`: exact min / max
over every configuration, which also records the diagram) and its cost per architecture.

    python bench/bench_static_count.py [--space spaces/squeezenet_se_auto.arch] [-n 50]
                                       [--input 32x32x3] [--all]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fmt_ms(s: float) -> str:
    return f"{s * 1000:9.3f} ms"


def keras_model(keras, space, cfg):
    """The plain alternative: build the Keras model (archspace.compile.to_keras)."""
    from archspace.compile import to_keras

    return to_keras(space, cfg, compile=False)


def bench_space(path: str, n: int, image: tuple[int, ...] | None, keras) -> dict:
    import archspace
    from archspace.analysis import static_counter
    from archspace.analysis.cardinality import cardinality
    from archspace.analysis.graph import build_graph

    space = archspace.parse_file(path)
    if image is not None:  # every image input to that height and width, channels kept
        new = {i.name: tuple(image[:2]) + (i.shape[2],) for i in space.inputs
               if len(i.shape) == 3 and len(image) == 3}
        if new:
            space = space.with_overrides(new)
    configs = [archspace.sample_config(space, seed) for seed in range(n)]
    build_graph(space, configs[0])                  # warm caches (decision list, grammar)
    t = time.perf_counter()
    counter = static_counter(space)                 # the whole-space walk, once per space
    whole = time.perf_counter() - t
    keras_model(keras, space, configs[0]).count_params()
    keras.backend.clear_session()
    graph_t, counter_t, keras_t, params = [], [], [], []
    for cfg in configs:
        t = time.perf_counter()
        p_graph = build_graph(space, cfg).params
        graph_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        p_counter = counter.count(cfg).params
        counter_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        model = keras_model(keras, space, cfg)
        p_keras = model.count_params()
        keras_t.append(time.perf_counter() - t)
        del model
        keras.backend.clear_session()
        if not p_graph == p_counter == p_keras:
            raise SystemExit(f"{path}: counts differ for {cfg}: graph {p_graph:,}, counter "
                             f"{p_counter:,}, keras {p_keras:,}")
        params.append(p_graph)
    r = counter.report
    return {"space": space.name, "n": n, "graph": graph_t, "counter": counter_t,
            "keras": keras_t, "params": (min(params), max(params)), "whole": whole,
            "size": cardinality(space).architectures,
            "range": (r.min_params.params, r.max_params.params)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--space", default="spaces/squeezenet_se_auto.arch")
    ap.add_argument("-n", "--configs", type=int, default=50)
    ap.add_argument("--input", default="32x32x3", help="image inputs to this height x width "
                                                       "('none' keeps the space's)")
    ap.add_argument("--all", action="store_true", help="every shipped space")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    image = None if args.input == "none" else tuple(int(d) for d in args.input.split("x"))
    t = time.perf_counter()
    import keras

    print(f"keras {keras.__version__} ({keras.backend.backend()}), imported in "
          f"{time.perf_counter() - t:.1f} s; {args.configs} random configurations per space, "
          f"input {args.input}")
    paths = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "spaces").glob("*.arch")) \
        if args.all else [args.space]
    header = (f"{'space':24} {'counter':>12} {'build_graph':>12} {'keras':>12} "
              f"{'keras/counter':>14} {'keras/graph':>12}  params (sampled)")
    print("median time per configuration")
    print(header)
    print("-" * len(header))
    rows = []
    for path in paths:
        r = bench_space(str(ROOT / path) if not Path(path).is_absolute() else path,
                        args.configs, image, keras)
        c, g, k = (statistics.median(r[x]) for x in ("counter", "graph", "keras"))
        rows.append(r)
        print(f"{r['space']:24} {fmt_ms(c):>12} {fmt_ms(g):>12} {fmt_ms(k):>12} "
              f"{k / c:13.0f}x {k / g:11.0f}x  {r['params'][0]:,}..{r['params'][1]:,}")
    print()
    print("whole space, once per space (check_space: proves every configuration builds, exact "
          "min / max, records the diagram):")
    for r in rows:
        per = r["whole"] / r["size"]
        print(f"  {r['space']:24} {r['whole'] * 1000:8.1f} ms for {r['size']:.3g} "
              f"architectures ({per * 1e9:.3g} ns each); params "
              f"{r['range'][0]:,}..{r['range'][1]:,}")


if __name__ == "__main__":
    main()
