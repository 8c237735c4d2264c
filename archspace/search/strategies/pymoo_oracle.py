"""A real Pareto search: pymoo's ask/tell driven from a Keras Tuner Oracle.

Genome: pymoo's mixed-variable encoding (`candidates.MixedGenome`: a choice is a Choice, a bool
a Binary, an int an Integer, a float a Real) with pymoo's mixed sampling and mating (each
variable crossed and mutated by operators made for its kind), for every genetic algorithm
(nsga2, nsga3, smsemoa, agemoea, spea2, ga ...). Algorithms that only work on real vectors
(de, pso, cmaes, moead) get one real gene in [0, 1] per decision (`candidates.Genome`).
Either way `archspace.canonical` drops the genes of inactive decisions, and duplicates are
architectures (the canonical hash), so two individuals differing only in an inactive gene
are one.
Objectives come from the space (default: maximize val_accuracy, minimize params), in pymoo's
minimised form; constraints are pymoo inequality constraints G <= 0 (relative excess over the
bound), plus one that marks a failed trial. A single-objective algorithm (ga, de, pso ...)
optimises the first objective.

Each generation: ask -> for every individual, decode and screen it statically:
- an architecture already trained in this run is not trained again: it gets the stored result;
- one that breaks a static constraint (or does not build) gets its static G and no trial;
- the rest become Keras Tuner trials, one at a time (or one per worker);
then tell, and record the generation.

Resume: every told generation (X, F, G) is written to tuner/pymoo/gen_NNNN.json and the
generation being evaluated (its X and who waits for which trial) is part of the oracle's state.
A reloaded oracle rebuilds the algorithm with the same seed and replays the told generations
(pymoo is deterministic given its seed and what it is told), so any algorithm resumes exactly,
inside the generation it was in.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import keras_tuner as kt
import numpy as np

from .. import kt_adapter as kta
from ..candidates import Genome, MixedGenome
from ..kt_adapter import RUNNING
from ..rundir import atomic_write, dumps
from ..tuner import Robust, oracle_kwargs
from .algorithms import (
    find_algorithm,
    make_algorithm,
    mixed_variables,
    single_objective,
)

#: the minimised objective value given to a failed or untrained individual (it is infeasible
#: too, so constraint-domination ranks it below every feasible one whatever this is)
PENALTY = 1e9
#: generations in a row that may produce no new trial before the search stops
MAX_IDLE_GENERATIONS = 50
#: asks in a row in which pymoo breeds no new architecture at all (the space is exhausted)
MAX_EMPTY_ASKS = 3


class PymooOracle(Robust, kt.Oracle):
    def __init__(self, run: Any, algorithm: str, **kw: Any):
        super().__init__(**kw)
        self.run = run
        self.algorithm_name = algorithm
        s = run.settings
        module = (find_algorithm(algorithm) or ("", ""))[0]
        self.objectives = s.objectives[:1] if single_objective(module) else s.objectives
        self.constraints = s.constraints
        #: pymoo's mixed variables where the algorithm's operators take them
        self.mixed = mixed_variables(algorithm)
        self.genome = MixedGenome(run.space) if self.mixed else Genome(run.space)
        #: JSON state, saved with the oracle: generations told, the one being evaluated
        self.state: dict[str, Any] = {"generation": 0, "current": None, "generations": [],
                                      "idle": 0}
        self._algo: Any = None
        self._pop: Any = None
        self._ask_limit = 0      # trials that existed when the current generation was asked

    # ---- pymoo ------------------------------------------------------------------------------
    def _gen_file(self, gen: int) -> Path:
        return Path(kta.project_dir(self)) / "pymoo" / f"gen_{gen:04d}.json"

    def _algorithm(self):
        if self._algo is None:
            from pymoo.core.problem import Problem
            from pymoo.core.termination import NoTermination

            s = self.run.settings
            n_constr = len(self.constraints) + 1
            kwargs = dict(s.strategy_args)
            same = self._duplicates()
            kwargs.setdefault("eliminate_duplicates", same)
            if self.mixed and len(self.genome):
                from pymoo.core.mixed import MixedVariableMating, MixedVariableSampling

                problem = Problem(vars=self.genome.variables(), n_obj=len(self.objectives),
                                  n_ieq_constr=n_constr)
                kwargs.setdefault("sampling", MixedVariableSampling())
                kwargs.setdefault("mating", MixedVariableMating(eliminate_duplicates=same))
            else:
                problem = Problem(n_var=max(1, len(self.genome)), n_obj=len(self.objectives),
                                  n_ieq_constr=n_constr, xl=0.0, xu=1.0)
            algo = make_algorithm(self.algorithm_name, len(self.objectives),
                                  max(2, s.population), s.seed, **kwargs)
            algo.setup(problem, termination=NoTermination(), seed=s.seed + 1, verbose=False)
            self._algo = algo
            for gen in range(1, self.state["generation"] + 1):   # replay after a reload
                told = json.loads(self._gen_file(gen).read_text(encoding="utf-8"))
                self._ask_limit = told.get("asked_at", 0)
                if not told["X"]:
                    algo.ask()
                    continue
                pop = self._asked(self._as_X(told["X"]))
                self._evaluate(pop, told["F"], told["G"])
                algo.tell(infills=pop)
            cur = self.state["current"]
            if cur is not None:
                self._ask_limit = cur.get("asked_at", 0)
                self._pop = self._asked(self._as_X(cur["X"]))
        return self._algo

    def _as_X(self, rows: list) -> np.ndarray:
        if self.mixed and len(self.genome):
            X = np.empty(len(rows), dtype=object)
            X[:] = [dict(r) for r in rows]
            return X
        return np.array(rows, dtype=float)

    def _stored_X(self, X: Any) -> list:
        if self.mixed and len(self.genome):
            return [MixedGenome.stored(x) for x in X]
        return np.asarray(X, dtype=float).tolist()

    def _duplicates(self):
        """pymoo's duplicate elimination by architecture: genomes that decode to the same
        canonical configuration are one individual, and an architecture already trained (or in
        training) in this run is a duplicate too, so pymoo breeds new ones in its place. Only
        the trials that existed when the generation was asked count, so a replay after a
        reload makes the same decisions."""
        from pymoo.core.duplicate import DuplicateElimination

        hashes: dict[bytes, str] = {}
        oracle = self

        def key(x: Any) -> str:
            b = (json.dumps(MixedGenome.stored(x), sort_keys=True).encode()
                 if isinstance(x, dict) else np.asarray(x, dtype=float).tobytes())
            if b not in hashes:
                if len(hashes) > 100_000:
                    hashes.clear()
                hashes[b] = oracle.run.candidate(oracle.genome.decode(x)).hash or b.hex()
            return hashes[b]

        def trained(k: str) -> bool:
            tid = oracle.run.claims.get(k)
            return tid is not None and _number(tid) < oracle._ask_limit

        class SameArchitecture(DuplicateElimination):
            def _do(self, pop, other, is_duplicate):
                keys = [key(ind.X) for ind in pop]
                if other is None:
                    seen: set[str] = set()
                    for i, k in enumerate(keys):
                        if k in seen or trained(k):
                            is_duplicate[i] = True
                        seen.add(k)
                else:
                    others = {key(ind.X) for ind in other}
                    for i, k in enumerate(keys):
                        if k in others:
                            is_duplicate[i] = True
                return is_duplicate

        return SameArchitecture()

    def _asked(self, X: np.ndarray | None = None):
        """algorithm.ask(); on replay the recorded X replaces what was asked (they agree when
        pymoo is deterministic; the recorded one is what was really evaluated)."""
        from pymoo.core.population import Population

        pop = self._algo.ask()
        if X is not None:
            if pop is None or len(pop) != len(X):
                pop = Population.new(X=X)
            else:
                pop.set("X", X)
        return pop

    def _evaluate(self, pop: Any, F: Any, G: Any) -> None:
        from pymoo.core.evaluator import Evaluator
        from pymoo.problems.static import StaticProblem

        F = np.array(F, dtype=float).reshape(len(pop), len(self.objectives))
        G = np.array(G, dtype=float).reshape(len(pop), len(self.constraints) + 1)
        Evaluator().eval(StaticProblem(self._algo.problem, F=F, G=G), pop)

    def _ask(self) -> None:
        self._algorithm()
        self._ask_limit = len(self.trials)
        pop = self._asked()
        X = pop.get("X") if pop is not None and len(pop) else []
        self._pop = pop
        self.state["current"] = {"X": self._stored_X(X), "asked_at": self._ask_limit,
                                 "slots": [{"state": "new"} for _ in range(len(X))]}

    def _tell(self) -> None:
        cur = self.state["current"]
        slots = cur["slots"]
        gen = self.state["generation"] + 1
        F = [s["F"] for s in slots]
        G = [s["G"] for s in slots]
        atomic_write(self._gen_file(gen), json.dumps({"X": cur["X"], "F": F, "G": G,
                                                      "asked_at": cur.get("asked_at", 0)}))
        if slots:   # pymoo may find no new architecture to breed: nothing to tell
            self._evaluate(self._pop, F, G)
            self._algo.tell(infills=self._pop)
        trained = [s["trial_id"] for s in slots if s.get("kind") == "trial"]
        info = {"generation": gen, "trained": trained,
                "cached": sum(1 for s in slots if s.get("kind") == "cached"),
                "screened": sum(1 for s in slots if s.get("kind") == "screened"),
                "trials_so_far": len(self.trials), "time": time.time()}
        self.state["generations"].append(info)
        self.state["generation"] = gen
        self.state["idle"] = 0 if trained else self.state["idle"] + 1
        self.state["empty"] = 0 if slots else self.state.get("empty", 0) + 1
        self.state["current"], self._pop = None, None
        atomic_write(self.run.dir.path / "generations.json", dumps(self.state["generations"]))
        self.run.listener.generation(dict(info))

    @property
    def generations(self) -> list[dict[str, Any]]:
        return list(self.state["generations"])

    # ---- results of individuals ---------------------------------------------------------------
    def _fg_of_record(self, r: dict[str, Any] | None, cand: Any) -> tuple[list, list] | None:
        if r is None:
            return None
        if r["status"] != "completed":
            return self._penalty(cand)
        static = cand.static if cand is not None else {}
        F = [o.minimized(r["objectives"][o.metric]) for o in self.objectives]
        G = []
        for c in self.constraints:
            v = static.get(c.metric) if c.static else (r.get("metrics") or {}).get(c.metric)
            G.append(c.violation(float(v)) if v is not None else 0.0)
        return F, G + [0.0]

    def _penalty(self, cand: Any) -> tuple[list, list]:
        static = cand.static if cand is not None else {}
        F = [o.minimized(static[o.metric]) if o.static and o.metric in static else PENALTY
             for o in self.objectives]
        G = (cand.constraint_values(self.constraints) if cand is not None
             else [0.0] * len(self.constraints))
        return F, [float(g) for g in G] + [1.0]

    def _resolve(self) -> bool:
        """Fill in the individuals whose trial has ended; True when none is pending."""
        pending = False
        for slot in self.state["current"]["slots"]:
            if "F" in slot or slot["state"] == "new":
                continue
            tid = slot["trial_id"]
            t = self.trials.get(tid)
            if t is None or t.status not in ("COMPLETED", "FAILED", "INVALID"):
                pending = True
                continue
            cand = self.run.candidate(slot["config"])
            slot["F"], slot["G"] = (self._fg_of_record(self.run.dir.trial(tid), cand) or
                                    self._penalty(cand))
        return not pending

    # ---- the oracle ---------------------------------------------------------------------------
    def populate_space(self, trial_id):
        self._algorithm()
        while (self.state["idle"] < MAX_IDLE_GENERATIONS and
               self.state.get("empty", 0) < MAX_EMPTY_ASKS):
            if self.state["current"] is None:
                self._ask()
            cur = self.state["current"]
            for i, slot in enumerate(cur["slots"]):
                if slot["state"] != "new":
                    continue
                cand = self.run.candidate(self.genome.decode(cur["X"][i]))
                slot["config"] = cand.config
                reason = self.run.screen(cand)
                if reason is None:
                    self.run.claim(cand, trial_id)
                    slot.update(state="trial", kind="trial", trial_id=trial_id)
                    values = self.run.hypermodel.encode(cand.config)
                    values["pymoo/generation"] = self.state["generation"] + 1
                    return {"status": RUNNING, "values": values}
                if reason.startswith("duplicate"):
                    # already trained (or training) in this run: reuse its result
                    slot.update(state="alias", kind="cached",
                                trial_id=self.run.claims[cand.hash])
                else:
                    self.run.skip(cand, reason, generation=self.state["generation"] + 1)
                    slot.update(state="done", kind="screened")
                    slot["F"], slot["G"] = self._penalty(cand)
            if not self._resolve():
                time.sleep(0.2)   # another worker is still training a member of this generation
                return {"status": "IDLE", "values": None}
            self._tell()
        self.run.listener.message("pymoo proposes no new architecture any more (every one it "
                                  "breeds was trained already): stopping")
        return {"status": "STOPPED", "values": None}

    @kt.synchronized
    def end_trial(self, trial):
        super().end_trial(trial)
        cur = self.state["current"]
        # tell as soon as the generation is complete, so the last one is recorded too
        if cur is not None and all(s["state"] != "new" for s in cur["slots"]):
            self._algorithm()
            if self._resolve():
                self._tell()
                self.save()

    # ---- persistence (the oracle's JSON; Robust.save writes it atomically) --------------------
    def get_state(self):
        state = super().get_state()
        state["pymoo"] = self.state
        return state

    def set_state(self, state):
        super().set_state(state)
        self.state = state.get("pymoo", self.state)
        self._algo = self._pop = None


def _number(trial_id: str) -> int:
    try:
        return int(trial_id)
    except ValueError:
        return 0


def pymoo_oracle(run: Any) -> kt.Oracle:
    s = run.settings
    return PymooOracle(run, s.strategy, max_trials=s.trials, **oracle_kwargs(run))


__all__ = ["PymooOracle", "pymoo_oracle"]
