"""The one-shot supernet of a space: one more domain of the interpreter (`ir.walk.Walker`,
through `analysis.graph.Builder`). No TensorFlow here.

The domain follows one configuration for the decisions it cannot relax (fixed), and for each
relaxable decision walks *every* candidate from the same tensor and joins their outputs in a
`mix` node (a Gumbel-softmax mixture in Keras, see train.py):
- a decision read in an op's arguments (`gconv(c, g)`, `conv(32, choice(3x3, 5x5))`): the op is
  applied once per candidate value;
- a `choice { .. | .. }` statement, a switch on a choice parameter, an `optional` (a choice
  with identity): each arm is walked.
A decision is relaxable when all its candidates give the same output shape wherever it is read
and it is read nowhere else (a repeat count, a merge op, a training setting); the walk drops one
that is not and starts again, so what is left is exactly what can be mixed. Every node knows the
candidates it belongs to (its context), so the expected parameter count under any probabilities
is exact: sum over nodes of params x product of the probabilities of its context.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping

from ...analysis.graph import Builder, Graph
from ...errors import ArchError
from ...ir import Space
from ...ir.decisions import Decision, decisions_of

Context = tuple[tuple[str, int], ...]   # (decision path, candidate index) pairs


class _Refuse(Exception):
    def __init__(self, path: str, reason: str):
        super().__init__(reason)
        self.path, self.reason = path, reason


@dataclass
class SuperGraph:
    """The supernet as a layer graph: ordinary nodes plus `mix` nodes (args: `paths`, the
    decisions mixed, and `combos`, the candidate indices of each input)."""

    graph: Graph
    candidates: dict[str, tuple]            # relaxed decision -> candidate values
    context: list[Context]                  # per node
    fixed: dict[str, Any]                   # values of the decisions not relaxed
    refused: dict[str, str]                 # decision -> why it is not relaxed
    terms: list[tuple[Context, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        acc: dict[Context, int] = {}
        for node, ctx in zip(self.graph.nodes, self.context):
            if node.trainable:
                acc[ctx] = acc.get(ctx, 0) + node.trainable
        self.terms = sorted(acc.items(), key=lambda t: (len(t[0]), t[0]))

    def expected_params(self, probs: Mapping[str, Any], searched_only: bool = False) -> float:
        """Expected trainable params when decision d takes candidate k with probs[d][k]
        (`searched_only`: the seed's P(H), only what the relaxed decisions change)."""
        total = 0.0
        for ctx, n in self.terms:
            if searched_only and not ctx:
                continue
            w = float(n)
            for path, k in ctx:
                w *= float(probs[path][k])
            total += w
        return total

    def derive(self, space: Space, choice: Mapping[str, int]) -> dict[str, Any]:
        """The configuration with candidate choice[d] for every relaxed decision."""
        from ...ir.config import canonical

        cfg = dict(self.fixed)
        for path, k in choice.items():
            cfg[path] = self.candidates[path][k]
        return canonical(space, cfg)


def relaxable_candidates(space: Space) -> dict[str, tuple]:
    """Decisions of a kind dnas can mix (a finite choice or an optional), by path."""
    out: dict[str, tuple] = {}
    for d in decisions_of(space):
        if d.source in ("train", "search") or d.path.startswith(("train/", "search/")):
            continue
        if d.kind in ("choice", "bool"):
            values = d.domain_values()
            if values and len(values) > 1:
                out[d.path] = tuple(values)
    return out


def kind_reason(d: Decision) -> str:
    if d.source in ("train", "search") or d.path.startswith(("train/", "search/")):
        return "a training setting"
    if d.source == "repeat":
        return "a repeat count (the number of layers changes)"
    if d.kind in ("int", "float"):
        return f"a numeric range ({d.kind})"
    return "a single value"


class Supernet(Builder):
    """Walks every candidate of the relaxed decisions; see the module docstring."""

    memoize_thunks = False   # a block argument is re-read under each candidate

    def __init__(self, space: Space, fixed: Mapping[str, Any], relax: Mapping[str, tuple]):
        self.fixed = dict(fixed)
        super().__init__(space, lambda d: self.fixed.get(d.path, d.default))
        self.relax = dict(relax)
        self.forced: dict[str, Any] = {}
        self.ctx: Context = ()
        self.context: list[Context] = []
        self._reads: set[str] | None = None   # relaxed decisions read while recording
        self.mixed: set[str] = set()          # the decisions a mix node was made for

    # ---- decisions ---------------------------------------------------------------------------
    def decide(self, path, span):
        if path in self.forced:
            return self.forced[path]
        if path in self.relax:
            if self._reads is None:
                raise _Refuse(path, "its value is used outside an op's arguments and a choice "
                                    "(a size, a repeat count or a merge op)")
            self._reads.add(path)
        return super().decide(path, span)

    decision_value = decide

    def _recording(self, fn) -> set[str]:
        saved, self._reads = self._reads, set()
        try:
            fn()
            return self._reads
        finally:
            self._reads = saved

    def add(self, **kw: Any) -> int:
        self.context.append(self.ctx)
        return super().add(**kw)

    # ---- mixing ------------------------------------------------------------------------------
    def _each(self, paths: list[str], run) -> None:
        """Run `run()` once per combination of candidates of `paths`, from the current tensor;
        join the ends in a mix node."""
        start, ends, combos = self.cur, [], []
        saved_ctx, saved_forced = self.ctx, dict(self.forced)
        for combo in itertools.product(*(range(len(self.relax[p])) for p in paths)):
            self.cur = start
            self.ctx = saved_ctx + tuple(zip(paths, combo))
            self.forced.update({p: self.relax[p][k] for p, k in zip(paths, combo)})
            try:
                run()
            except ArchError as e:
                bad = ", ".join(f"{p} = {self.relax[p][k]}" for p, k in zip(paths, combo))
                raise _Refuse(paths[0], f"the candidate {bad} does not fit: "
                                        f"{getattr(e, 'message', None) or e}") from None
            finally:
                self.ctx, self.forced = saved_ctx, dict(saved_forced)
            ends.append(self.cur)
            combos.append(combo)
        shapes = {self.shape(i) for i in ends}
        if len(shapes) > 1:
            raise _Refuse(paths[0], "its candidates give different output shapes (" +
                          ", ".join("x".join(map(str, s)) for s in sorted(shapes)) + ")")
        self.mixed.update(paths)
        self.cur = self.add(name=self.unique(f"mix_{len(self.graph.nodes)}"), kind="mix",
                            op="mix", args={"paths": list(paths), "combos": combos},
                            inputs=tuple(ends), in_shapes=tuple(self.shape(i) for i in ends),
                            shape=self.shape(ends[0]), path=paths[0])

    def t_call(self, op, stmt, seg, scope, names, flags) -> None:
        reads = self._recording(lambda: self.eval_args(stmt, seg, scope, names, flags))
        paths = sorted(p for p in reads if p not in self.forced)
        if not paths:
            return super().t_call(op, stmt, seg, scope, names, flags)
        self._each(paths, lambda: super(Supernet, self).t_call(op, stmt, seg, scope, names,
                                                               flags))

    def branches(self, read, arms, where, span, conditional=True):
        reads = self._recording(read)
        paths = sorted(p for p in reads if p not in self.forced)
        if not conditional or not paths:
            return super().branches(read, arms, where, span, conditional)
        table = dict(arms)

        def run() -> None:
            chosen = read()
            if chosen in table:
                table[chosen]()

        self._each(paths, run)


def supernet(space: Space, fixed: Mapping[str, Any] | None = None) -> SuperGraph:
    """The supernet of `space`; the decisions it does not relax take their value in `fixed`
    (default: the default configuration). `candidates` is empty when nothing can be relaxed."""
    from ...ir.config import default_config

    fixed = dict(default_config(space) if fixed is None else fixed)
    relax = relaxable_candidates(space)
    refused: dict[str, str] = {}
    for _ in range(len(relax) + 1):
        sn = Supernet(space, fixed, {p: v for p, v in relax.items() if p not in refused})
        try:
            graph = sn.run()
        except _Refuse as r:
            refused[r.path] = r.reason
            continue
        # a decision never met (inactive at `fixed`: a repeat copy, an arm not taken) is not
        # mixed anywhere: it keeps its fixed value
        return SuperGraph(graph=graph, candidates={p: v for p, v in sn.relax.items()
                                                   if p in sn.mixed}, context=sn.context,
                          fixed=fixed, refused=refused)
    raise AssertionError("unreachable: every refusal removes a decision")  # pragma: no cover


def relaxation(space: Space, fixed: Mapping[str, Any] | None = None
               ) -> tuple[dict[str, tuple], dict[str, str]]:
    """(relaxed decision -> candidates, other decision -> why dnas does not relax it), for
    `archspace show` and `lint` (and the run's dnas/derived.json, at its fixed values)."""
    sg = supernet(space, fixed)
    why = dict(sg.refused)
    for d in decisions_of(space):
        if d.path not in sg.candidates and d.path not in why:
            why[d.path] = kind_reason(d) if d.kind not in ("choice", "bool") else \
                "inactive where the other decisions are fixed"

    return sg.candidates, why


def nothing_to_relax(space: Space, why: Mapping[str, str]) -> ArchError:
    lines = [f"{p}: {r}" for p, r in why.items()] or ["the space has no decisions"]
    return ArchError(f"dnas: nothing to relax in space '{space.name}'",
                     hint="dnas mixes choices whose candidates keep the output shape (group "
                          "counts, kernel sizes, cell ops, optional blocks); here: " +
                          "; ".join(lines[:6]) + (" ..." if len(lines) > 6 else "") +
                          ". Use a trial strategy (random, nsga2, ...)")
