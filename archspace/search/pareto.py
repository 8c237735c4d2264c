"""Pareto fronts and hypervolume over trial records: pymoo's non-dominated sorting and
hypervolume indicator (any number of objectives), on costs normalised here.

Objectives are turned into costs to minimise: an accuracy-like maximised score becomes its error
(1 - score, reference 1), anything else is normalised by a reference (the worst value seen, plus
10%, unless given), so the hypervolume of a run lies in [0, 1] and two runs can share one
reference to be compared."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .settings import Objective


def costs(records: Sequence[dict[str, Any]], objectives: Sequence[Objective]) -> np.ndarray:
    """(n, k) costs: error for accuracy-like maxima, the value for minima, -value else."""
    rows = []
    for r in records:
        row = []
        for o in objectives:
            v = float(r["objectives"][o.metric])
            row.append(1.0 - v if o.accuracy_like else (v if o.direction == "min" else -v))
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), len(objectives))


def nondominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows (minimisation): pymoo's first front."""
    F = np.asarray(F, dtype=float)
    mask = np.zeros(len(F), dtype=bool)
    if len(F):
        from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

        mask[NonDominatedSorting().do(F, only_non_dominated_front=True)] = True
    return mask


def front(records: Sequence[dict[str, Any]], objectives: Sequence[Objective]
          ) -> list[dict[str, Any]]:
    """The non-dominated completed, feasible trials (one per architecture), sorted by the
    first objective."""
    best: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.get("status") != "completed" or not r.get("feasible", True):
            continue
        key = r.get("hash") or r["trial_id"]
        if key not in best or _better(r, best[key], objectives[0]):
            best[key] = r
    pool = list(best.values())
    if not pool:
        return []
    F = costs(pool, objectives)
    mask = nondominated(F)
    out = [r for r, m in zip(pool, mask) if m]
    return sorted(out, key=lambda r: costs([r], objectives)[0].tolist())


def _better(a: dict[str, Any], b: dict[str, Any], o: Objective) -> bool:
    return o.better(a["objectives"][o.metric], b["objectives"][o.metric])


def reference(records: Sequence[dict[str, Any]], objectives: Sequence[Objective]
              ) -> tuple[np.ndarray, np.ndarray]:
    """(ideal, nadir reference) of the costs: accuracy-like objectives use [0, 1]; the others
    [best seen, worst seen + 10% of the range]."""
    F = costs(records, objectives) if records else np.zeros((0, len(objectives)))
    lo = np.zeros(len(objectives))
    hi = np.ones(len(objectives))
    for j, o in enumerate(objectives):
        if o.accuracy_like or not len(F):
            continue
        a, b = float(F[:, j].min()), float(F[:, j].max())
        if o.direction == "min" and a >= 0:
            lo[j], hi[j] = 0.0, (b * 1.1 if b > 0 else 1.0)
        else:
            span = (b - a) or abs(b) or 1.0
            lo[j], hi[j] = a, b + 0.1 * span
    return lo, hi


def hypervolume(F: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Hypervolume of the costs F inside the box [lo, hi], normalised to [0, 1] (pymoo's
    indicator, reference point 1 in every normalised objective; any number of objectives)."""
    if F is None or not len(F):
        return 0.0
    N = (np.asarray(F, dtype=float) - lo) / np.where(hi - lo == 0, 1.0, hi - lo)
    N = N[np.all(N < 1.0, axis=1)]
    if not len(N):
        return 0.0
    from pymoo.indicators.hv import HV

    return float(HV(ref_point=np.ones(N.shape[1]))(np.clip(N, 0.0, None)))


def hypervolume_of(records: Sequence[dict[str, Any]], objectives: Sequence[Objective],
                   lo: np.ndarray | None = None, hi: np.ndarray | None = None) -> float:
    ok = [r for r in records if r.get("status") == "completed" and r.get("feasible", True)]
    if lo is None or hi is None:
        lo, hi = reference(ok, objectives)
    return hypervolume(costs(ok, objectives), lo, hi) if ok else 0.0


__all__ = ["costs", "nondominated", "front", "reference", "hypervolume", "hypervolume_of"]
