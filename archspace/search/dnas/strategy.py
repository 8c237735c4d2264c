"""`--strategy dnas`: the supernet search runs first (its records in RUN/dnas/), then a
one-trial oracle hands the derived architecture to the ordinary trial machinery, which trains
it from scratch, ranks it on the leaderboard and saves best/ like any trial."""

from __future__ import annotations

import json
from typing import Any

import keras_tuner as kt

from ..rundir import atomic_write, dumps
from ..strategies import FIXED_TRIALS
from ..tuner import RUNNING, Robust, oracle_kwargs
from .options import dnas_options
from .supernet import nothing_to_relax, relaxation, supernet


class DerivedOracle(Robust, kt.Oracle):
    """Proposes the derived configuration once."""

    def __init__(self, run: Any, config: dict[str, Any], **kw: Any):
        super().__init__(**kw)
        self.run, self.config, self.handed = run, config, False

    def populate_space(self, trial_id):
        cand = self.run.candidate(self.config)
        if not self.handed and cand.hash not in self.run.claims:
            self.handed = True
            reason = self.run.screen(cand)
            if reason is None:
                self.run.claim(cand, trial_id)
                return {"status": RUNNING, "values": self.run.hypermodel.encode(cand.config)}
            self.run.skip(cand, reason)
        if self.ongoing_trials:
            return {"status": "IDLE", "values": None}
        return {"status": "STOPPED", "values": None}


def _options(settings: Any) -> Any:
    args = dict(settings.strategy_args)
    if "beta" not in args and settings.sources.get("beta") in ("file", "argument"):
        args["beta"] = settings.beta     # `dnas(beta=2)` is read as the Bayesian setting's key
    return dnas_options(args)


def _fixed(space: Any, opts: Any, seed: int) -> dict[str, Any]:
    if opts.fixed == "sample":
        from ...ir.config import sample_config

        return sample_config(space, seed)
    from ...ir.config import default_config

    return default_config(space)


def preflight(space: Any, settings: Any) -> None:
    """Before any data is loaded: the options are valid and something can be relaxed."""
    opts = _options(settings)
    fixed = _fixed(space, opts, settings.seed)
    if not supernet(space, fixed).candidates:
        raise nothing_to_relax(space, relaxation(space, fixed)[1])


def derived_config(run: Any) -> dict[str, Any]:
    """Run the supernet search (or read its result from a resumed run directory)."""
    out = run.dir.path / "dnas"
    saved = out / "derived.json"
    if saved.exists():
        return json.loads(saved.read_text(encoding="utf-8"))["config"]
    s = run.settings
    opts = _options(s)
    space = run.space
    fixed = _fixed(space, opts, s.seed)
    sg = supernet(space, fixed)
    if not sg.candidates:
        raise nothing_to_relax(space, relaxation(space, fixed)[1])
    epochs = opts.search_epochs or s.epochs
    run.listener.message(
        f"dnas: supernet with {len(sg.candidates)} relaxed decision(s), "
        f"{sum(len(c) for c in sg.candidates.values())} candidates, {epochs} epoch(s); "
        f"beta {opts.beta}, temperature {opts.temperature} x {opts.anneal:.4g}/epoch" +
        (f", target P* {opts.target:g}" if opts.target else ""))
    from .train import search_supernet

    def on_epoch(row: dict[str, Any]) -> None:
        run.listener.message(
            f"dnas epoch {row['epoch']}/{epochs}: temperature {row['temperature']:.3g}, "
            f"E[params] {row['expected_params']:,.0f}, val_accuracy {row['val_accuracy']:.4f}")

    result = search_supernet(space, sg, run.data, opts, epochs=epochs,
                             batch_size=s.batch_size, seed=s.seed, out=out, on_epoch=on_epoch)
    config = sg.derive(space, result["choice"])
    from ...analysis.graph import build_graph

    record = {"config": config,
              "choice": {p: sg.candidates[p][k] for p, k in result["choice"].items()},
              "probs": result["probs"], "relaxed": {p: list(c) for p, c in
                                                   sg.candidates.items()},
              "not_relaxed": relaxation(space, fixed)[1], "fixed": opts.fixed,
              "params": build_graph(space, config).trainable, "options": opts.to_dict(),
              "supernet_params": sg.graph.trainable}
    atomic_write(saved, dumps(record))
    run.listener.message(f"dnas: derived {record['choice']} ({record['params']:,} trainable "
                         "params); training it from scratch")
    return config


def dnas_oracle(run: Any) -> kt.Oracle:
    return DerivedOracle(run, derived_config(run), max_trials=FIXED_TRIALS["dnas"],
                         **oracle_kwargs(run))
