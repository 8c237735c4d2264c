"""The settings of one search: the space's `search { }` and `train { }` sections, overridden by
the CLI or Python arguments, with the SqueezeNetSEMAuto paper's values as defaults.

Precedence: argument > space file > default. `Settings.sources` says where each value came
from, so the CLI can print what it chose. No TensorFlow here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from ..errors import ArchError, ArchTypeError
from ..ir import Space
from ..ir import expr as E
from ..ir import settings as S

#: metrics known without training (read from the layer graph)
STATIC_METRICS = ("params", "trainable_params", "non_trainable_params", "bytes", "macs", "flops")
#: zero-cost proxies, measured on one minibatch at initialisation (search/proxies.py)
PROXY_METRICS: tuple[str, ...] = ("naswot", "synflow")

#: the no-argument run on the built-in digits: a few short trials instead of the paper's 100 x 100
DEMO_TRIALS, DEMO_EPOCHS = 8, 8
#: ... and without --strategy: one Hyperband bracket (Keras Tuner's first, its most aggressive)
#: that gives the promising architectures the epochs: see `hyperband_bracket` for its rounds.
#: No early stopping in the demo (`early_stop` 0): its rounds are short, and a patience of 5
#: ended the last round of the earlier demo while its model was still improving; the best
#: epoch's weights are still the ones kept
DEMO_HYPERBAND = {"strategy": "hyperband", "max_epochs": 27, "factor": 3, "early_stop": 0}


def hyperband_bracket(max_epochs: int, factor: int) -> list[tuple[int, int]]:
    """The rounds (trials, epochs) of Keras Tuner's first Hyperband bracket, by its own
    formulas (HyperbandOracle._get_size / _get_epochs): max_epochs 27, factor 3 gives
    [(27, 1), (9, 3), (3, 9), (1, 27)]; each round continues the best of the one before."""
    e, brackets = float(max_epochs), 0
    while e >= 1:
        e, brackets = e / factor, brackets + 1
    b = brackets - 1
    end = math.ceil(1 + math.log(max_epochs, factor)) / (b + 1)
    return [(math.ceil(end * factor ** (b - r)), math.ceil(max_epochs / factor ** (b - r)))
            for r in range(b + 1)]


def bracket_cost(rounds: list[tuple[int, int]]) -> tuple[int, int]:
    """(trials, epochs trained) of a bracket: a continued trial trains only its new epochs."""
    epochs = sum(n * (ep - prev) for (n, ep), prev in zip(rounds, [0] + [e for _, e in rounds]))
    return sum(n for n, _ in rounds), epochs


def demo_summary() -> str:
    rounds = hyperband_bracket(DEMO_HYPERBAND["max_epochs"], DEMO_HYPERBAND["factor"])
    trials, epochs = bracket_cost(rounds)
    steps = ", ".join(f"the best {n} to {ep}" for n, ep in rounds[1:])
    return (f"Hyperband, {rounds[0][0]} architectures trained {plural(rounds[0][1], 'epoch')}, "
            f"{steps} ({trials} trials, {epochs} epochs; no early stopping)")


@dataclass(frozen=True)
class Objective:
    metric: str
    direction: Literal["min", "max"]

    @property
    def static(self) -> bool:
        return self.metric in STATIC_METRICS

    def minimized(self, value: float) -> float:
        """The value in 'smaller is better' form (pymoo, hypervolume)."""
        return float(value) if self.direction == "min" else -float(value)

    def better(self, a: float, b: float) -> bool:
        return a < b if self.direction == "min" else a > b

    @property
    def accuracy_like(self) -> bool:
        """A maximised score in [0, 1]: plotted and measured as 1 - score (the error)."""
        m = self.metric.lower()
        return self.direction == "max" and any(
            k in m for k in ("accuracy", "auc", "iou", "precision", "recall", "f1", "dice"))

    def __str__(self) -> str:
        return f"{'maximize' if self.direction == 'max' else 'minimize'} {self.metric}"


@dataclass(frozen=True)
class Constraint:
    metric: str
    op: Literal["<=", "<", ">=", ">"]
    bound: float

    @property
    def static(self) -> bool:
        return self.metric in STATIC_METRICS

    def ok(self, value: float) -> bool:
        return {"<=": value <= self.bound, "<": value < self.bound,
                ">=": value >= self.bound, ">": value > self.bound}[self.op]

    def violation(self, value: float) -> float:
        """pymoo's G: <= 0 when satisfied, else the relative excess (scale-free)."""
        scale = abs(self.bound) or 1.0
        if self.op in ("<=", "<"):
            g = (value - self.bound) / scale
            return g if self.op == "<=" or g > 0 else max(g, 1e-12)
        g = (self.bound - value) / scale
        return g if self.op == ">=" or g > 0 else max(g, 1e-12)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {fmt_number(self.bound)}"


def fmt_number(x: float) -> str:
    """2000000 -> 2M, 1500 -> 1.5k, 0.001 -> 0.001."""
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    if isinstance(x, int) and abs(x) >= 1000:
        for div, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
            if abs(x) >= div:
                v = x / div
                return f"{v:.3g}{unit}"
    return f"{x:g}" if isinstance(x, float) else str(x)


def parse_number(text: str | float | int) -> float:
    """'2e6', '2M', '500k', '1.5G' -> float."""
    if isinstance(text, (int, float)):
        return float(text)
    t = str(text).strip().replace("_", "").replace(",", "")
    mult = {"k": 1e3, "m": 1e6, "g": 1e9}.get(t[-1:].lower())
    try:
        return float(t[:-1]) * mult if mult else float(t)
    except ValueError:
        raise ArchError(f"not a number: {text!r}", hint="e.g. 2e6, 2M or 500k") from None


def parse_objective(text: str) -> Objective:
    """'maximize val_accuracy', 'min params', 'val_accuracy:max', '-params' ..."""
    t = text.strip()
    for sep in (":", "="):
        if sep in t:
            metric, _, d = t.partition(sep)
            return Objective(metric.strip(), _direction(d.strip(), text))
    parts = t.split()
    if len(parts) == 2:
        return Objective(parts[1], _direction(parts[0], text))
    if t.startswith("-"):
        return Objective(t[1:], "min")
    if t.startswith("+"):
        return Objective(t[1:], "max")
    return Objective(t, "min" if t in STATIC_METRICS or "loss" in t or "error" in t else "max")


def _direction(d: str, text: str) -> Literal["min", "max"]:
    d = d.lower()
    if d in ("max", "maximize", "maximise"):
        return "max"
    if d in ("min", "minimize", "minimise"):
        return "min"
    raise ArchError(f"objective {text!r}: direction must be maximize or minimize")


def parse_constraint(text: str) -> Constraint:
    """'params <= 2e6', 'bytes<8M'."""
    for op in ("<=", ">=", "<", ">"):
        if op in text:
            left, _, right = text.partition(op)
            left, right = left.strip(), right.strip()
            try:
                return Constraint(left, op, parse_number(right))  # type: ignore[arg-type]
            except ArchError:
                flip = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}[op]
                return Constraint(right, flip, parse_number(left))  # type: ignore[arg-type]
    raise ArchError(f"constraint {text!r}: expected METRIC <= BOUND, e.g. params <= 2e6")


@dataclass(frozen=True)
class Settings:
    strategy: str = "random"
    strategy_args: dict[str, Any] = field(default_factory=dict)
    trials: int = 10
    epochs: int = 100
    batch_size: int = 32
    fraction: float = 1.0
    validation_split: float = 0.2
    seed: int = 0
    objectives: tuple[Objective, ...] = (Objective("val_accuracy", "max"),
                                         Objective("params", "min"))
    constraints: tuple[Constraint, ...] = ()
    max_epochs: int = 100
    factor: int = 3
    alpha: float = 0.001
    beta: float = 2.6
    initial_points: int = 2
    population: int = 20
    executions: int = 1
    early_stop: int = 5
    early_stop_monitor: str = "val_loss"
    #: the one metric that picks a trial's best epoch, stops it early and restores its weights
    #: (resolved: `monitor` in train { }, else the first trained objective, else val_loss)
    monitor: str = ""
    max_failures: int = 20            # consecutive failed trials before the search gives up
    #: "PROXY:FRACTION": train only proposals whose zero-cost proxy ranks in the top FRACTION
    #: of the last PRESCREEN_WINDOW proposals (see SearchRun.screen)
    prescreen: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def primary(self) -> Objective:
        return self.objectives[0]

    @property
    def monitored(self) -> Objective:
        """The monitored metric with its direction (an objective's, else from its name)."""
        name = self.monitor or self.early_stop_monitor
        return next((o for o in self.objectives if o.metric == name),
                    Objective(name, metric_direction(name)))

    @property
    def proxies(self) -> list[str]:
        """The zero-cost proxies this search measures (objectives, constraints, prescreen)."""
        used = [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        if self.prescreen:
            used.append(self.prescreen.partition(":")[0])
        return [m for m in dict.fromkeys(used) if m in PROXY_METRICS]

    @property
    def needs_training(self) -> bool:
        """False when every objective and constraint is static or a zero-cost proxy: the
        search then builds each architecture once, untrained, and trains nothing."""
        return any(m not in STATIC_METRICS + PROXY_METRICS for m in
                   [o.metric for o in self.objectives] + [c.metric for c in self.constraints])

    @property
    def prescreen_rule(self) -> tuple[str, float] | None:
        if not self.prescreen:
            return None
        name, _, frac = self.prescreen.partition(":")
        return name, float(frac or 0.5)

    @property
    def multi_objective(self) -> bool:
        return len(self.objectives) > 1

    def fingerprint(self) -> dict[str, Any]:
        """What must not change for a run directory to be resumed (trials may grow)."""
        d = self.to_dict()
        for k in ("trials", "sources", "notes", "max_failures"):
            d.pop(k, None)
        return d

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["objectives"] = [str(o) for o in self.objectives]
        d["constraints"] = [str(c) for c in self.constraints]
        d["notes"] = list(self.notes)
        return d

    def replace(self, **kw: Any) -> "Settings":
        return replace(self, **kw)


# --------------------------------------------------------------------------------------------
class _Searched:
    """A setting that is itself a decision (`optimizer = choice(adam, sgd)`): per trial."""

    def __repr__(self) -> str:
        return "<searched>"


SEARCHED = _Searched()


def section_values(space: Space, section: str) -> dict[str, Any]:
    """Literal values of a section; searched ones map to SEARCHED."""
    from ..ir.walk import Scope, Walker

    out: dict[str, Any] = {}
    for s in getattr(space, section):
        if s.key in ("objectives", "constraints"):
            continue
        if _has_param(s.value):
            out[s.key] = SEARCHED
            continue
        try:
            out[s.key] = Walker(space).evaluate(s.value, Scope())
        except ArchError:
            raise
        except Exception as e:  # pragma: no cover - defensive
            raise ArchTypeError(f"cannot read {section} setting '{s.key}': {e}", s.span) from None
    return out


def _has_param(x: Any) -> bool:
    if isinstance(x, E.ParamExpr):
        return True
    for name in ("items", "args"):
        for y in getattr(x, name, ()) or ():
            if _has_param(y):
                return True
    for kw in getattr(x, "kwargs", ()) or ():
        if _has_param(kw.value):
            return True
    return False


_INT_KEYS = ("trials", "epochs", "batch_size", "max_epochs", "factor", "initial_points",
             "population", "executions", "early_stop", "seed", "max_failures")
_FLOAT_KEYS = ("fraction", "validation_split", "alpha", "beta")


def resolve(space: Space, *, data: str | None = None, **overrides: Any) -> Settings:
    """Settings for a search over `space`. `overrides` are the CLI / Python arguments (None =
    not given): strategy, trials, epochs, fraction, seed, batch_size, objectives, constraints,
    max_params, and any other Settings field."""
    base = Settings()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []

    train = section_values(space, "train")
    search = section_values(space, "search")
    for key, v in train.items():
        if key in ("batch_size", "epochs", "early_stop", "early_stop_monitor", "monitor",
                   "validation_split", "seed"):
            if v is SEARCHED:
                if key in ("batch_size", "epochs"):
                    sources[key] = "searched"
                continue
            values[key], sources[key] = v, "file"
    for key, v in search.items():
        if v is SEARCHED:
            raise ArchTypeError(f"search setting '{key}' cannot be searched itself")
        if key == "strategy":
            if isinstance(v, tuple) and len(v) == 3:   # bayesian(alpha=0.001)
                name, kwargs, _ = v
                values["strategy"], sources["strategy"] = str(name), "file"
                from .strategies import option_names

                own = option_names(str(name))   # dnas(beta=2): dnas' beta, not Bayesian's
                for k2, v2 in kwargs.items():
                    if k2 not in own and k2 in _INT_KEYS + _FLOAT_KEYS:
                        values[k2], sources[k2] = v2, "file"
                    else:
                        values.setdefault("strategy_args", {})[k2] = v2
                continue
            v = str(v)
        if key == "seed":
            values["search_seed"] = v
            continue
        if key in Settings.__dataclass_fields__:
            values[key], sources[key] = v, "file"

    # objectives and constraints (archspace.ir.settings reads the file's)
    has_obj = any(s.key == "objectives" for s in space.search)
    if has_obj:
        objs = [Objective(m, "max" if d == "maximize" else "min") for d, m in S.objectives(space)]
        if objs:
            values["objectives"], sources["objectives"] = tuple(objs), "file"
    elif space.task != "classification":
        values["objectives"] = (Objective("val_loss", "min"), Objective("params", "min"))
    cons = [Constraint(m, op, b) for m, op, b in S.constraints(space)]  # type: ignore[arg-type]
    if cons:
        values["constraints"], sources["constraints"] = tuple(cons), "file"
    if "search_seed" in values:
        values["seed"] = values.pop("search_seed")
        sources["seed"] = "file"

    # arguments
    given = {k: v for k, v in overrides.items() if v is not None}
    max_params = given.pop("max_params", None)
    for key, v in given.items():
        if key == "objectives":
            v = tuple(o if isinstance(o, Objective) else parse_objective(str(o))
                      for o in ([v] if isinstance(v, str) else v))
        elif key == "constraints":
            v = tuple(c if isinstance(c, Constraint) else parse_constraint(str(c))
                      for c in ([v] if isinstance(v, str) else v))
            v = tuple(values.get("constraints", ())) + v
        elif key == "strategy_args":   # merged over the file's: strategy = dnas(beta=2)
            v = {**values.get("strategy_args", {}), **dict(v)}
        elif key not in Settings.__dataclass_fields__:
            raise ArchError(f"unknown search setting '{key}'",
                            hint="known: " + ", ".join(Settings.__dataclass_fields__))
        values[key], sources[key] = v, "argument"
    if max_params is not None:
        bound = parse_number(max_params)
        if not bound > 0:
            raise ArchError(f"--max-params must be positive, got {max_params}",
                            hint="e.g. --max-params 2e6 or 500k")
        kept = tuple(c for c in values.get("constraints", ()) if c.metric != "params"
                     or c.op not in ("<=", "<"))
        values["constraints"] = kept + (Constraint("params", "<=", bound),)
        sources["constraints"] = "argument"

    # the built-in demo: the space may ask for 100 trials x 100 epochs; on the 1,797 digits
    # with no --trials/--epochs that would take hours, so run a short search and say so
    # (only what the demo lowers is labelled "demo": a budget the space sets within it is its own)
    asked = {k: int(values.get(k, getattr(base, k))) for k in ("trials", "epochs")}
    cap = {"trials": DEMO_TRIALS, "epochs": DEMO_EPOCHS}
    lowered = [k for k in asked if asked[k] > cap[k]]
    if data == "digits" and lowered and not {"trials", "epochs", "strategy"} & set(given) and \
            not {"max_epochs", "factor"} & set(given):
        space_asks = (f"{values.get('strategy', base.strategy)}, {asked['trials']} trials x "
                      f"{asked['epochs']} epochs")
        rounds = hyperband_bracket(DEMO_HYPERBAND["max_epochs"], DEMO_HYPERBAND["factor"])
        trials, _ = bracket_cost(rounds)
        demo = {**DEMO_HYPERBAND, "trials": trials, "epochs": DEMO_HYPERBAND["max_epochs"]}
        patience = values.get("early_stop", base.early_stop)
        for k, v in demo.items():
            if k not in given:
                values[k], sources[k] = v, "demo"
        notes.append(f"built-in digits demo: {demo_summary()}; the space asks for "
                     f"{space_asks} with early stopping patience {patience}: pass --strategy, "
                     "--trials or --epochs to choose")
    elif data == "digits" and "trials" not in given and "epochs" not in given and lowered:
        t, ep = min(asked["trials"], DEMO_TRIALS), min(asked["epochs"], DEMO_EPOCHS)
        notes.append(f"built-in digits demo: {t} trials x {ep} epochs (the space asks for "
                     f"{asked['trials']} x {asked['epochs']}; pass --trials and --epochs to "
                     "choose)")
        for k in lowered:
            values[k], sources[k] = cap[k], "demo"
        if "max_epochs" not in given and "epochs" in lowered:
            values["max_epochs"], sources["max_epochs"] = ep, "demo"

    # Hyperband's max_epochs follows --epochs when given
    if "epochs" in given and "max_epochs" not in given:
        values["max_epochs"], sources["max_epochs"] = values["epochs"], "argument"
    elif "max_epochs" not in values and "epochs" in values:
        values["max_epochs"] = values["epochs"]
        sources["max_epochs"] = sources.get("epochs", "default")

    # one monitored metric: the best epoch, early stopping, restored weights, leaderboard
    if not values.get("monitor"):
        objs = values.get("objectives", base.objectives)
        explicit = values.get("early_stop_monitor") if "early_stop_monitor" in values else None
        values["monitor"] = monitor_name(objs, explicit)
        sources["monitor"] = sources.get("early_stop_monitor", "objectives") if explicit \
            else "objectives"
    values["early_stop_monitor"] = values["monitor"]
    for k in _INT_KEYS:
        if k in values:
            values[k] = _as_int(values[k], k)
    for k in _FLOAT_KEYS:
        if k in values:
            values[k] = float(values[k])
    out = replace(base, **values)
    _check(out, space)
    if _evolves(out.strategy) and out.trials <= out.population:
        notes.append(f"{out.strategy}: {plural(out.trials, 'trial')} cannot fill one population "
                     f"of {out.population}, so only the first generation (random samples) is "
                     "trained and "
                     f"nothing evolves; give --trials above {out.population} (a few "
                     "generations' worth) or a smaller --population")
    for k in Settings.__dataclass_fields__:
        sources.setdefault(k, "default")
    return replace(out, sources=sources, notes=tuple(notes))


def metric_direction(name: str) -> Literal["min", "max"]:
    """Whether a logged metric improves upwards (accuracy, AUC ...) or downwards (losses,
    errors)."""
    m = name.lower()
    up = ("acc", "auc", "iou", "precision", "recall", "f1", "dice", "naswot", "synflow")
    return "max" if any(k in m for k in up) else "min"


def monitor_name(objectives: tuple[Objective, ...], given: str | None = None) -> str:
    """The run's monitored metric: `given`, else the first objective Keras logs (not a static
    one), else val_loss."""
    if given:
        return str(given)
    first = next((o for o in objectives if not o.static and o.metric not in PROXY_METRICS),
                 None)
    return first.metric if first else "val_loss"


def space_monitor(space: Space) -> Objective:
    """The monitored metric of `archspace train SPACE`: the space's `monitor` (or
    `early_stop_monitor`), else its first trained objective (a classifier's default:
    val_accuracy), so a retrained model reports what its search reported."""
    train = {k: v for k, v in section_values(space, "train").items() if v is not SEARCHED}
    given = train.get("monitor") or train.get("early_stop_monitor")
    if any(s.key == "objectives" for s in space.search):
        objs = tuple(Objective(m, "max" if d == "maximize" else "min")
                     for d, m in S.objectives(space))
    elif space.task == "classification":
        objs = Settings().objectives
    else:
        objs = (Objective("val_loss", "min"),)
    name = monitor_name(objs, given)
    return next((o for o in objs if o.metric == name), Objective(name, metric_direction(name)))


def _as_int(v: Any, key: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer():
        raise ArchTypeError(f"setting '{key}' must be a whole number, got {v!r}")
    return int(v)


def _check(s: Settings, space: Space) -> None:
    """Every setting checked before anything trains."""
    for key in ("trials", "epochs", "batch_size", "max_epochs", "population", "executions"):
        if getattr(s, key) < 1:
            raise ArchError(f"{key.replace('_', ' ')} must be at least 1, got {getattr(s, key)}")
    if s.early_stop < 0:
        raise ArchError(f"early_stop (patience) must be 0 (off) or more, got {s.early_stop}")
    if not 0 < s.fraction <= 1:
        raise ArchError(f"fraction must be in (0, 1], got {s.fraction}",
                        hint="the paper used 0.1, 0.4 and 1.0")
    if not 0 < s.validation_split < 1:
        raise ArchError(f"validation_split must be in (0, 1), got {s.validation_split}")
    if not s.objectives:
        raise ArchError("a search needs at least one objective")
    names = [o.metric for o in s.objectives]
    if len(set(names)) != len(names):
        raise ArchError("an objective is listed twice: " + ", ".join(names))
    for c in s.constraints:
        if math.isnan(c.bound):
            raise ArchError(f"constraint {c}: the bound is not a number")
        if c.static and (c.op == "<=" and c.bound < 0 or c.op == "<" and c.bound <= 0):
            raise ArchError(f"constraint {c} can never be met: {c.metric} is never negative")
    _check_metrics(s, space)
    if s.prescreen:
        name, _, frac = s.prescreen.partition(":")
        try:
            f = float(frac or 0.5)
        except ValueError:
            f = -1.0
        if name not in PROXY_METRICS or not 0 < f <= 1:
            raise ArchError(f"--prescreen {s.prescreen!r}: expected PROXY:FRACTION with a "
                            f"proxy of {', '.join(PROXY_METRICS)} and a fraction in (0, 1]",
                            hint="e.g. --prescreen naswot:0.5")
    from .strategies import STRATEGIES, known_strategy

    if not known_strategy(s.strategy):
        from ..blocks.base import suggest

        raise ArchError(f"unknown strategy '{s.strategy}'",
                        hint=(suggest(s.strategy, list(STRATEGIES)).strip(" ()") or
                              "one of " + ", ".join(STRATEGIES) +
                              ", or the name of any pymoo algorithm"))


def trained_metrics(space: Space) -> set[str] | None:
    """The names Keras logs when training this space (loss and each metric, per output for
    several outputs, their val_ forms), or None when they depend on a searched setting."""
    train = section_values(space, "train")
    if train.get("metrics") is SEARCHED:
        return None
    given = train.get("metrics")
    bases = {"loss"}
    if given is None:     # the defaults of archspace.compile.training.default_metrics
        bases |= {"accuracy", "mae"}
    else:
        bases |= {str(m) for m in (given if isinstance(given, (list, tuple)) else [given])}
    outs = [o.name for o in space.outputs]
    names = {"learning_rate"}
    for b in bases:
        forms = {b} | ({f"{o}_{b}" for o in outs} if len(outs) > 1 else set())
        names |= forms | {f"val_{f}" for f in forms}
    return names


def _norm(metric: str) -> str:    # Keras logs AUC as auc, SparseCategoricalAccuracy as s_c_a
    return metric.lower().replace("_", "")


def _check_metrics(s: Settings, space: Space) -> None:
    """An objective or constraint no trial can log fails here, not after every trial."""
    names = trained_metrics(space)
    if names is None:
        return
    known = {_norm(n) for n in names} | {_norm(n) for n in STATIC_METRICS + PROXY_METRICS}
    if s.monitor in STATIC_METRICS + PROXY_METRICS:
        raise ArchError(f"monitor '{s.monitor}' is not logged while training: it cannot pick "
                        "an epoch", hint="monitor a trained metric, e.g. val_loss")
    used = [("objective", o.metric) for o in s.objectives] + \
        [("constraint", c.metric) for c in s.constraints] + [("monitor", s.monitor)]
    for what, metric in used:
        if _norm(metric) not in known:
            from ..blocks.base import suggest

            listed = sorted(STATIC_METRICS) + sorted(names)
            raise ArchError(f"{what} '{metric}' is not a metric of this search"
                            + suggest(metric, listed),
                            hint="known: " + ", ".join(listed) + " (metrics come from the "
                                 "space's train { metrics = ... })")


__all__ = ["Settings", "Objective", "Constraint", "resolve", "parse_objective",
           "parse_constraint", "parse_number", "fmt_number", "STATIC_METRICS", "SEARCHED"]


def _evolves(strategy: str) -> bool:
    """A population-based strategy (nsga2 and the other pymoo algorithms by name)."""
    from .strategies import STRATEGIES

    target = STRATEGIES.get(strategy)
    return target is None or (isinstance(target, str) and "pymoo" in target)


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 epoch`, `2 epochs`, `1 face`."""
    return f"{n} {word if n == 1 else (words or word + 's')}"
