"""Search: archspace against a hand-written Keras Tuner script, on the real digits.

One run, equal trial budgets, SqueezeNetSEAuto (spaces/squeezenet_se_auto.arch, 32x32x3, the
1,797 scikit-learn digits resized):

(a) per-trial overhead: wall time per trial minus the time inside model.fit, for archspace's
    random search (defaults: static screening, TensorBoard logs, trial files, best-model save,
    reports) and for keras_tuner.RandomSearch over a HyperModel written by hand for the same
    space (the authors' style; the default configuration has the same 729,034 params);
(b) trials wasted on oversized models: both with the same parameter bound; Keras Tuner builds
    each proposal and fails it when `max_model_size` is exceeded (a trial of the budget spent),
    archspace checks the bound statically and never builds one;
(c) hypervolume of the (error, params) front, NSGA-II against random search, one reference
    point for both (error 1, the largest parameter count of the space);
(d) peak RSS of a 2-trial and a 20-trial search (separate processes), and the RSS after each
    trial of the 20-trial one: memory stays flat (clear_session between trials, data built once).

    python bench/bench_search.py [--quick] [--out runs/bench_search]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "spaces" / "squeezenet_se_auto.arch"
sys.path.insert(0, str(ROOT))

FIT_TIMES: list[float] = []


# ---- the same space, written by hand for Keras Tuner ----------------------------------------
def handwritten_hypermodel(classes: int = 10):
    """SqueezeNetSEAuto as a Keras Tuner HyperModel, the way one writes it by hand."""
    import keras
    import keras_tuner as kt

    L = keras.layers

    def fire(x, s, name):
        x = L.Conv2D(s, 1, padding="same", activation="relu", name=f"{name}_sq")(x)
        a = L.Conv2D(4 * s, 1, padding="same", activation="relu", name=f"{name}_e1")(x)
        b = L.Conv2D(4 * s, 3, padding="same", activation="relu", name=f"{name}_e3")(x)
        return L.Concatenate(name=f"{name}_cat")([a, b])

    def se(x, ratio, name):
        c = x.shape[-1]
        y = L.GlobalAveragePooling2D(name=f"{name}_gap")(x)
        y = L.Dense(c // ratio, activation="relu", name=f"{name}_d1")(y)
        y = L.Dense(c, activation="sigmoid", name=f"{name}_d2")(y)
        y = L.Reshape((1, 1, c), name=f"{name}_rs")(y)
        return L.Multiply(name=f"{name}_mul")([x, y])

    def fire_se(hp, x, s, ratio, n, bypass):
        inp = x
        x = fire(x, s, f"fire{n}")
        if bypass and hp.Boolean(f"use_bypass{n}"):
            x = L.Add(name=f"fire{n}_bypass")([inp, x])
        if hp.Boolean(f"SE_add{n}"):
            x = se(x, ratio, f"se{n}")
            if hp.Boolean(f"SE_skip{n}"):
                skip = inp
                if inp.shape[-1] != x.shape[-1]:
                    skip = L.Conv2D(x.shape[-1], 1, padding="same",
                                    kernel_initializer="he_normal", name=f"skip{n}_conv")(inp)
                    skip = L.BatchNormalization(name=f"skip{n}_bn")(skip)
                x = L.Add(name=f"skip{n}_add")([skip, x])
        return x

    class Hand(kt.HyperModel):
        def build(self, hp):
            image = keras.Input((32, 32, 3))
            x = L.Conv2D(96, 3, strides=2, padding="same", activation="relu", name="conv1")(image)
            x = L.MaxPooling2D(3, strides=2, name="pool1")(x)
            n, pair = 2, 1
            for i in range(hp.Int("fire_module", 1, 2, default=2)):
                ratio = hp.Choice(f"squeeze_ratio{pair}", [8, 16, 32], default=32)
                x = fire_se(hp, x, 16 * pair, ratio, n, False)
                x = fire_se(hp, x, 16 * pair, ratio, n + 1, True)
                pool = hp.Choice(f"pooling{i}", ["max", "avg"])
                x = (L.MaxPooling2D if pool == "max" else L.AveragePooling2D)(
                    3, strides=2, name=f"pool{n + 1}")(x)
                n, pair = n + 2, pair + 1
            for i in range(hp.Int("num_fire_2", 0, 2, default=2)):
                ratio = hp.Choice(f"squeeze_ratio{pair}", [8, 16, 32], default=32)
                x = fire_se(hp, x, 16 * pair, ratio, n, False)
                x = fire_se(hp, x, 16 * pair, ratio, n + 1, True)
                n, pair = n + 2, pair + 1
            rate = hp.Float("dropout_rate", 0.0, 0.8, default=0.0)
            if rate > 0:
                x = L.Dropout(rate)(x)
            x = L.Conv2D(classes, 1, padding="valid", activation="relu", name="conv10")(x)
            x = L.GlobalAveragePooling2D()(x)
            x = L.Activation("softmax")(x)
            model = keras.Model(image, x)
            lr = hp.Choice("learning_rate", [1e-3, 1e-4])
            opt = hp.Choice("optimizer", ["rmsprop", "sgd"])
            model.compile(optimizer=(keras.optimizers.RMSprop if opt == "rmsprop"
                                     else keras.optimizers.SGD)(learning_rate=lr),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp, model, *args, **kwargs):
            t = time.perf_counter()
            history = model.fit(*args, **kwargs)
            FIT_TIMES.append(time.perf_counter() - t)
            return history

    return Hand()


def kt_random(data, trials: int, epochs: int, workdir: Path, name: str, **kw):
    import keras_tuner as kt
    from keras_tuner.src import config as kt_config

    kt_config.DEBUG = False          # no traceback per oversized model on the terminal

    FIT_TIMES.clear()
    t = time.perf_counter()
    tuner = kt.RandomSearch(handwritten_hypermodel(), objective="val_accuracy",
                            max_trials=trials, seed=1, directory=str(workdir), project_name=name,
                            overwrite=True, **kw)
    tuner.search(data.x_train["image"], data.y_train, batch_size=32, epochs=epochs,
                 validation_data=(data.x_val["image"], data.y_val), verbose=0)
    wall = time.perf_counter() - t
    trials_ = list(tuner.oracle.trials.values())
    return {"wall_s": wall, "fit_s": sum(FIT_TIMES), "trained": len(FIT_TIMES),
            "trials": len(trials_),
            "oversized": sum(1 for tr in trials_ if tr.status == "FAILED" and
                             "Oversized" in (tr.message or ""))}


def ours(space, data, out: Path, **kw):
    import archspace

    t = time.perf_counter()
    res = archspace.search(space, data=data, out=out, overwrite=True, verbose=False, **kw)
    wall = time.perf_counter() - t
    fit = sum(r.get("fit_s", 0.0) for r in res.trials)
    return res, {"wall_s": wall, "fit_s": fit, "trained": len(res.completed) + len(res.failed),
                 "trials": len(res.trials), "skipped": res.skipped}


def max_params(space, n: int = 3000) -> int:
    """The largest parameter count of the space (SE everywhere with skips: found by sampling
    and by the every-SE configuration)."""
    import archspace
    from archspace.search.candidates import static_metrics

    rng = random.Random(0)
    best = 0
    for _ in range(n):
        best = max(best, static_metrics(space, archspace.sample_config(space, rng))["params"])
    every = {d.path: (True if d.kind == "bool" else d.hi if d.kind == "int" else
                      8 if d.path.endswith("ratio") else d.default)
             for d in archspace.decisions(space)}
    every = {k: v for k, v in every.items() if not k.endswith("bypass")}
    return max(best, static_metrics(space, every)["params"])


def oversized_share(space, bound: float, n: int = 2000) -> float:
    import archspace
    from archspace.search.candidates import static_metrics

    rng = random.Random(1)
    big = sum(static_metrics(space, archspace.sample_config(space, rng))["params"] > bound
              for _ in range(n))
    return big / n


# ---- (d): a child process per budget ----------------------------------------------------------
def rss_child(trials: int, out: str) -> None:
    import archspace
    from archspace.search import Listener, load_data

    class RSS(Listener):
        def __init__(self):
            self.samples: list[float] = []

        def trial_end(self, record):
            with open("/proc/self/status") as f:
                kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            self.samples.append(kb / 1024)

    space = archspace.parse_file(SPACE)
    data = load_data("digits", space, fraction=0.05, seed=0)
    listener = RSS()
    archspace.search(space, data=data, strategy="random", trials=trials, epochs=1, out=out,
                     overwrite=True, listener=listener)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak, "rss_mb": listener.samples}))


def run_rss(trials: int, workdir: Path) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    p = subprocess.run([sys.executable, __file__, "--rss-child", str(trials),
                        str(workdir / f"rss_{trials}")], env=env, capture_output=True,
                       text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---- main -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small budgets (a few minutes)")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_search")
    ap.add_argument("--rss-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--only", default="abcd", help="which parts to run, e.g. 'ac'")
    args = ap.parse_args(argv)
    if args.rss_child:
        rss_child(int(args.rss_child[0]), args.rss_child[1])
        return 0

    q = args.quick
    A = dict(trials=4 if q else 10, epochs=1 if q else 2, fraction=0.1 if q else 0.5)
    B = dict(trials=8 if q else 20, epochs=1, fraction=0.05, bound=250_000)
    C = dict(trials=10 if q else 30, epochs=2 if q else 5, fraction=0.3 if q else 1.0)
    D = (2, 20)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kt_", dir=args.out))
    results: dict = {"quick": q}

    import archspace
    from archspace.search import load_data
    from archspace.search.candidates import static_metrics
    from archspace.search.rundir import RunDir

    space = archspace.parse_file(SPACE)
    import keras
    import keras_tuner as kt

    default_hand = handwritten_hypermodel().build(kt.HyperParameters()).count_params()
    default_ours = static_metrics(space, {})["params"]
    keras.backend.clear_session()
    print(f"SqueezeNetSEAuto on digits 32x32x3; keras {keras.__version__}, keras-tuner "
          f"{kt.__version__}; default configuration: {default_ours:,} params (archspace) / "
          f"{default_hand:,} (hand-written)", flush=True)

    if "a" in args.only:
        data = load_data("digits", space, fraction=A["fraction"], seed=0)
        kw = dict(trials=A["trials"], epochs=A["epochs"])
        theirs = kt_random(data, A["trials"], A["epochs"], work, "a_kt")
        _, mine = ours(space, data, args.out / "a_archspace", strategy="random", **kw)
        _, mine_notb = ours(space, data, args.out / "a_archspace_notb", strategy="random",
                            tensorboard=False, **kw)
        rows = {"keras-tuner (hand-written)": theirs, "archspace": mine,
                "archspace --no-tensorboard": mine_notb}
        print(f"\n(a) per-trial overhead, random search, {A['trials']} trials x {A['epochs']} "
              f"epoch(s), {data.n_train} train images")
        print(f"    {'':28s} {'wall/trial':>11s} {'fit/trial':>10s} {'overhead/trial':>15s}")
        for k, r in rows.items():
            n = max(1, r["trained"])
            r["overhead_per_trial_s"] = (r["wall_s"] - r["fit_s"]) / n
            print(f"    {k:28s} {r['wall_s'] / n:10.2f}s {r['fit_s'] / n:9.2f}s "
                  f"{r['overhead_per_trial_s']:14.2f}s")
        print(f"    ratio archspace / keras-tuner overhead: "
              f"{mine['overhead_per_trial_s'] / theirs['overhead_per_trial_s']:.2f}x "
              f"(without TensorBoard: "
              f"{mine_notb['overhead_per_trial_s'] / theirs['overhead_per_trial_s']:.2f}x)",
              flush=True)
        results["a"] = rows

    if "b" in args.only:
        data = load_data("digits", space, fraction=B["fraction"], seed=0)
        share = oversized_share(space, B["bound"])
        theirs = kt_random(data, B["trials"], B["epochs"], work, "b_kt",
                           max_model_size=B["bound"],
                           max_consecutive_failed_trials=B["trials"] + 1)
        res, mine = ours(space, data, args.out / "b_archspace", strategy="random",
                         trials=B["trials"], epochs=B["epochs"], max_params=B["bound"],
                         tensorboard=False)
        screened = sum(1 for s in RunDir(res.out).skips()
                       if s.get("kind") == "constraint")
        print(f"\n(b) oversized models, bound {B['bound']:,} params ({share:.0%} of the space "
              f"is above it), budget {B['trials']} trials")
        print(f"    keras-tuner max_model_size: {theirs['oversized']} of {theirs['trials']} "
              f"trials wasted (built, then failed as oversized), {theirs['trained']} trained, "
              f"{theirs['wall_s']:.1f}s")
        print(f"    archspace --max-params:      0 of {mine['trials']} trials wasted, "
              f"{mine['trained']} trained; {screened} oversized proposals screened out "
              f"statically, never built; {mine['wall_s']:.1f}s", flush=True)
        results["b"] = {"bound": B["bound"], "share_oversized": share, "keras_tuner": theirs,
                        "archspace": {**mine, "screened": screened}}

    if "c" in args.only:
        from archspace.search.pareto import costs, hypervolume
        from archspace.search.settings import Objective

        import numpy as np

        data = load_data("digits", space, fraction=C["fraction"], seed=0)
        pmax = max_params(space)
        lo, hi = np.array([0.0, 0.0]), np.array([1.0, float(pmax)])
        objs = (Objective("val_accuracy", "max"), Objective("params", "min"))
        out = {}
        for strategy in ("nsga2", "random"):
            res, r = ours(space, data, args.out / f"c_{strategy}", strategy=strategy,
                          trials=C["trials"], epochs=C["epochs"],
                          population=max(4, C["trials"] // 3), tensorboard=False)
            ok = [t for t in res.trials if t["status"] == "completed"]
            hv = hypervolume(costs(ok, objs), lo, hi) if ok else 0.0
            best = max((t["objectives"]["val_accuracy"] for t in ok), default=float("nan"))
            out[strategy] = {**r, "hypervolume": hv, "front": len(res.pareto),
                             "best_val_accuracy": best,
                             "smallest_params": min((t["params"] for t in ok), default=0)}
        print(f"\n(c) hypervolume of the (error, params) front, {C['trials']} trials x "
              f"{C['epochs']} epochs each, reference (error 1, {pmax:,} params)")
        for k, r in out.items():
            print(f"    {k:7s} hypervolume {r['hypervolume']:.4f}  front {r['front']:2d}  "
                  f"best val_accuracy {r['best_val_accuracy']:.3f}  smallest "
                  f"{r['smallest_params']:,} params  ({r['wall_s']:.0f}s)")
        ratio = out["nsga2"]["hypervolume"] / max(out["random"]["hypervolume"], 1e-12)
        print(f"    ratio NSGA-II / random: {ratio:.2f}x", flush=True)
        results["c"] = {"reference_params": pmax, **out}

    if "d" in args.only:
        small, big = (run_rss(n, work) for n in D)
        s = big["rss_mb"]
        growth = (s[-1] - s[1]) / (len(s) - 2) if len(s) > 2 else 0.0
        print(f"\n(d) peak RSS: {D[0]} trials {small['peak_mb']:.0f} MB, {D[1]} trials "
              f"{big['peak_mb']:.0f} MB ({big['peak_mb'] / small['peak_mb']:.2f}x); RSS after "
              f"trial 2 {s[1]:.0f} MB, after trial {len(s)} {s[-1]:.0f} MB "
              f"({growth:+.1f} MB per trial)", flush=True)
        results["d"] = {"small": small, "big": big, "growth_mb_per_trial": growth}

    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
