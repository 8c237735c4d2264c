"""A space as a `keras_tuner.HyperModel`: every decision becomes a Keras Tuner hyperparameter
named by its IR path, declared lazily as the build walks the template.

This is the only Keras Tuner encoding of a space: `to_hypermodel` returns it to users and
`archspace search` drives the same class (its oracles get `declare_hyperparameters`, each trial
reads its decisions through `graph(hp)`).

`build(hp)` runs `build_graph(space, source=...)`: the graph builder asks for a decision only
where the chosen configuration reaches it, so a decision that is inactive in this trial is
never declared (and never sampled into the trial's values by this build).

Declaration (`declare`, one function for the lazy build and the whole-space declaration):
bool -> `Boolean`; int -> `Int`; float -> `Float` (step, log sampling); choice -> `Choice`; a
domain of one value -> `Fixed`. Keras Tuner wants one type per Choice: a mix of ints and floats
goes as floats, any other mix as strings; `decode` / `coerce` map values back.

Conditions. Each decision's `when` (a disjunction of conjunctions of `Cond(path, values)`) is
mapped onto Keras Tuner's `conditional_scope`s, which can only express one conjunction
(nested scopes):
- a single conjunction: one nested `conditional_scope(parent, values)` per Cond, parents
  first, so the oracle knows exactly when the hyperparameter is active;
- several alternatives (a `param` used in more than one optional place, e.g. a squeeze ratio
  shared by two optional SE blocks; U-Net's drop rate, read by the bottom block at whichever
  depth it is): Keras Tuner has no "or", so the hyperparameter is declared under only the
  conditions that every alternative implies: for a path that all alternatives test, the union
  of the values they allow (U-Net: `level2 in {down, bottom}`) -- often none. The oracle then
  considers it active in some trials where the network does not read it; it still samples and
  records a value there, harmlessly (`canonical` drops it). Declaring it under one alternative
  instead would be wrong: Keras Tuner would return None for it in trials where another
  alternative makes it active.
- Keras Tuner opens a scope only on a parent declared under exactly the scopes already open;
  a condition on any other parent is dropped (the scopes stay a necessary condition).
A hyperparameter is identified by name *and* conditions, so the conditions are computed once
per decision from the decision list (`kt_conditions`), never from where the walk happens to be.

`declare_hyperparameters` (Keras Tuner's own hook) declares the whole space up front (parents
first), so oracles that enumerate or model the space (GridSearch, BayesianOptimization) see
every decision from the first trial on.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Mapping

import keras_tuner as kt

from ..errors import ConfigError
from ..ir import Space
from ..ir.decisions import Decision, DecisionList, decisions_of

KTCond = tuple[str, tuple[Any, ...]]


def _kt_value(v: Any) -> Any:
    if hasattr(v, "item") and not isinstance(v, (str, bytes, list, tuple, dict)):
        v = v.item()
    return v


def necessary_conjunction(d: Decision) -> tuple:
    """The conditions every alternative of `d.when` implies: for each path tested by all
    alternatives, the union of the values they allow (in first-seen order)."""
    if len(d.when) == 1:
        return tuple(d.when[0])
    if not d.when:
        return ()
    from ..ir.walk import Cond

    out = []
    first = d.when[0]
    for c in first:
        allowed: list[Any] = []
        for conj in d.when:
            match = [x for x in conj if x.path == c.path]
            if not match:
                break
            for x in match:
                allowed.extend(v for v in x.values if v not in allowed)
        else:
            if not any(x.path == c.path for x in out):
                out.append(Cond(path=c.path, values=tuple(allowed)))
    return tuple(out)


def kt_conditions(decisions: DecisionList) -> dict[str, tuple[KTCond, ...]]:
    """Per decision path, the (parent, values) scopes to declare it under, outermost first.

    A scope can only open on a parent declared under exactly the scopes already open (Keras
    Tuner checks), so a condition whose parent sits under other conditions is kept only when
    those are the ones already open; any other is dropped (the result is then a necessary
    condition, never a wrong one)."""
    order = {d.path: i for i, d in enumerate(decisions)}
    out: dict[str, tuple[KTCond, ...]] = {}
    for d in decisions:
        conj = sorted((c for c in necessary_conjunction(d) if c.path in order),
                      key=lambda c: order[c.path])
        stack: list[KTCond] = []
        for c in conj:
            if c.path in out and out[c.path] == tuple(stack):
                mode = _choice_mode(decisions.get(c.path))
                stack.append((c.path, tuple(_to_kt(mode, v) for v in c.values)))
        out[d.path] = tuple(stack)
    return out


def _choice_mode(d: Decision | None) -> str | None:
    """How a choice's values go to Keras Tuner, which wants one type per Choice: as they are
    (None), all as floats (a mix of ints and floats) or all as strings (any other mix)."""
    if d is None or d.kind != "choice":
        return None
    kinds = {type(v) for v in d.values or ()}
    if len(kinds) <= 1:
        return None
    return "float" if kinds <= {int, float} else "str"


def _to_kt(mode: str | None, v: Any) -> Any:
    return float(v) if mode == "float" else str(v) if mode == "str" else v


def _single(d: Decision) -> bool:
    """A domain of one value (declared `Fixed`: a Float or Int range of width 0 would divide
    by zero in Keras Tuner's Bayesian oracle)."""
    if d.kind in ("int", "float"):
        return d.lo == d.hi
    return d.kind == "choice" and len(d.values or ()) == 1


def declare(hp: kt.HyperParameters, d: Decision, scopes: tuple[KTCond, ...] = ()) -> Any:
    """Declare (or look up) decision `d` in `hp` under the conditional `scopes` (outermost
    first: `kt_conditions(...)[d.path]`); return Keras Tuner's value for it (encoded, see
    `decode`), or None when Keras Tuner holds it inactive. The one declaration of a decision:
    the HyperModel's lazy build and the whole-space declaration both come here."""
    with contextlib.ExitStack() as stack:
        for parent, values in scopes:
            stack.enter_context(hp.conditional_scope(parent, list(values)))
        if d.kind == "bool":
            return hp.Boolean(d.path, default=bool(d.default))
        mode = _choice_mode(d)
        if _single(d):
            v = d.lo if d.kind != "choice" else (d.values or (d.default,))[0]
            return hp.Fixed(d.path, _to_kt(mode, int(v) if d.kind == "int" else
                                           float(v) if d.kind == "float" else v))
        if d.kind == "int":
            return hp.Int(d.path, min_value=int(d.lo), max_value=int(d.hi),
                          step=int(d.step or 1), default=int(d.default))
        if d.kind == "float":
            return hp.Float(d.path, min_value=float(d.lo), max_value=float(d.hi),
                            step=float(d.step) if d.step else None,
                            sampling="log" if d.log else "linear", default=float(d.default))
        return hp.Choice(d.path, [_to_kt(mode, x) for x in d.values or ()],
                         default=_to_kt(mode, d.default))


def encode(d: Decision, v: Any) -> Any:
    """A decision value as Keras Tuner holds it (the inverse of `decode`)."""
    return _to_kt(_choice_mode(d), _kt_value(v))


def decode(d: Decision, v: Any) -> Any:
    """A value from Keras Tuner as the decision's own value, as far as it can be mapped (plain
    Python; a mixed-type choice's text or float back to the choice's value; ints from floats,
    floats clamped to their range); `coerce` also checks it."""
    v = _kt_value(v)
    if d.kind == "int" and isinstance(v, float) and math.isfinite(v):
        v = int(round(v))
    if d.kind == "float" and not d.step and isinstance(v, (int, float)) and \
            not isinstance(v, bool):
        v = min(max(float(v), float(d.lo)), float(d.hi))
    if d.kind == "choice" and _choice_mode(d) == "str" and isinstance(v, str):
        v = next((x for x in d.values or () if str(x) == v), v)
    if d.kind == "choice" and isinstance(v, float):
        for c in d.values or ():
            if isinstance(c, (int, float)) and not isinstance(c, bool) and \
                    math.isclose(c, v, rel_tol=1e-12, abs_tol=0.0):
                v = c
                break
    return v


class ArchHyperModel(kt.HyperModel):
    """Keras Tuner HyperModel over an archspace `Space` (see the module docstring)."""

    def __init__(self, space: Space, *, compile: bool = True, name: str | None = None):
        super().__init__(name=name or space.name, tunable=True)
        self.space = space
        self.compile = compile
        self.decisions = decisions_of(space)
        self.by_path = self.decisions.by_path()
        self.conditions = kt_conditions(self.decisions)
        #: the layer graph of the latest build (for reports: params, MACs, configuration)
        self.last_graph = None

    # ---- declaring ---------------------------------------------------------------------------
    def declare(self, hp: kt.HyperParameters, d: Decision) -> Any:
        """Declare (or look up) `d` in `hp` under its conditions; return its value (encoded),
        or None when Keras Tuner considers it inactive."""
        return declare(hp, d, self.conditions[d.path])

    def declare_hyperparameters(self, hp: kt.HyperParameters) -> None:
        for d in self.decisions:
            if d.when:  # `()`: never active (an unused param)
                self.declare(hp, d)

    # ---- values ------------------------------------------------------------------------------
    def decode(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Keras Tuner values (a trial's, an oracle's proposal) -> decision values, for the
        decisions of this space only (`tuner/epochs` and the like are left out). Values of
        decisions the configuration does not use are kept: `archspace.canonical` drops them."""
        return {k: decode(self.by_path[k], v) for k, v in values.items() if k in self.by_path}

    def encode(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Decision values -> the values Keras Tuner holds (for oracles that propose
        configurations: grid, pymoo); other keys are kept as they are."""
        return {k: encode(self.by_path[k], v) if k in self.by_path else v
                for k, v in config.items()}

    def source(self, hp: kt.HyperParameters) -> Callable[[Decision], Any]:
        """The graph builder's decision source for one build: declare, then read."""
        declared: set[str] = set()
        by_path = self.by_path

        def ensure(d: Decision) -> Any:
            for parent, _ in self.conditions[d.path]:
                if parent not in declared:
                    ensure(by_path[parent])
            declared.add(d.path)
            return self.declare(hp, d)

        def value(d: Decision) -> Any:
            v = ensure(d)
            if v is None:
                raise ConfigError(
                    f"Keras Tuner holds decision '{d.path}' inactive where the network uses it "
                    f"(active when {d.when_str()})",
                    hint="this is a bug in archspace's decision conditions; please report it")
            return coerce(d, v)

        return value

    # ---- Keras Tuner API ---------------------------------------------------------------------
    def graph(self, hp: kt.HyperParameters):
        """Declare this trial's decisions in `hp` and return its layer graph (no Keras)."""
        from ..analysis.graph import build_graph

        g = build_graph(self.space, source=self.source(hp))
        self.last_graph = g
        return g

    def build(self, hp: kt.HyperParameters):
        from .keras_model import build_model

        g = self.graph(hp)
        model = build_model(g, self.space.name)
        if self.compile:
            from .training import compile_model, compile_spec

            compile_model(model, compile_spec(self.space, g))
        return model

    def fit(self, hp, model, *args, **kwargs):
        """`model.fit` with the configuration's batch size, epochs and early stopping unless
        the caller (or the tuner: Hyperband sets epochs) gives them."""
        from .training import train_settings

        s = train_settings(self.space, self.graph(hp).config)
        x = args[0] if args else kwargs.get("x")
        if _is_array(x) and "batch_size" not in kwargs and len(args) < 3:
            kwargs["batch_size"] = int(s.batch_size)
        if "epochs" not in kwargs and len(args) < 4:
            kwargs["epochs"] = int(s.epochs)
        has_val = kwargs.get("validation_data") is not None or kwargs.get("validation_split")
        if s.early_stop and has_val:
            import keras

            callbacks = list(kwargs.get("callbacks") or [])
            if not any(isinstance(c, keras.callbacks.EarlyStopping) for c in callbacks):
                callbacks.append(keras.callbacks.EarlyStopping(
                    monitor=s.monitor or s.early_stop_monitor, patience=int(s.early_stop),
                    restore_best_weights=True))
            kwargs["callbacks"] = callbacks
        return model.fit(*args, **kwargs)


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") or isinstance(x, (list, dict, tuple)) and \
        bool(x) and all(hasattr(v, "shape") for v in (x.values() if isinstance(x, dict) else x))


def coerce(d: Decision, v: Any) -> Any:
    """A value from Keras Tuner as the decision's own representative (plain Python, snapped
    to the domain: mixed-type choices come back as text or floats, floats drift by rounding);
    ConfigError when it is outside the decision's domain."""
    v = decode(d, v)
    if not d.contains(v):
        raise ConfigError(f"Keras Tuner gave {d.path} = {v!r}, outside its domain "
                          f"{d.domain_str()}")
    return d.normalize(v)


def to_hypermodel(space: Space, *, compile: bool = True, name: str | None = None) -> ArchHyperModel:
    """A `keras_tuner.HyperModel` whose `build(hp)` builds the configuration Keras Tuner chose;
    hyperparameter names are the decisions' IR paths (`group1[0]/ratio`, `train/optimizer`)."""
    return ArchHyperModel(space, compile=compile, name=name)
