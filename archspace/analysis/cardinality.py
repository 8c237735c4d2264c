"""How many distinct architectures a space holds, counted exactly from the decision conditions.

A configuration is canonical when it gives a value to every *active* decision and to no other
(`ir.config.canonical`), so the number of distinct architectures is the number of canonical
configurations: a model count over the `when` conditions of `decisions_of(space)`.

Method (exact, no enumeration). Decisions come parents first, and a condition only names
structural decisions (optional, choice, repeat count). We sweep the decision list once with a
dynamic program whose state is, for every *later* decision whose condition names a decision
already decided, the *residual* condition (the DNF with decided terms substituted: satisfied
terms dropped, falsified conjunctions dropped). Two partial assignments that leave every later
condition in the same residual form have the same completions, so they merge and their counts
add. A decision no condition names (a leaf: an inline int, a ratio, a dropout rate) never
splits the state: it multiplies the count of every state where it is active by its domain size.
The state count therefore stays tiny (it is bounded by the interacting structural decisions
alive at one point, not by the size of the space), and the counts are Python big ints.

Continuous floats (no step) have infinitely many values: they count as 1 in the *discrete
part* and are named in `continuous`. Decisions are split into independent groups (connected by
condition references, and by sharing a top-level construct) whose counts multiply: that is the
per-construct breakdown. Training decisions (`train/...`) and search settings (`search/...`)
are counted separately from the architecture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..ir import Space
from ..ir.decisions import Decision, DecisionList, decisions_of

#: work of the exact count (state entries copied); past it the count is a bound (the product of the
#: domain sizes, what a grid would try) and says so
MAX_COUNT_WORK = 3_000_000

_TRUE = frozenset({frozenset()})   # one empty conjunction: always
_FALSE: frozenset = frozenset()     # no conjunction: never


def _construct(path: str) -> str:
    """The top-level construct a decision belongs to: `group1[0]/fire2/se` -> `group1`."""
    return path.split("/", 1)[0].split("[", 1)[0]


def _is_continuous(d: Decision) -> bool:
    return d.kind == "float" and not d.step


@dataclass
class Group:
    """One independent part of the space: its decisions and its number of configurations."""

    name: str
    count: int
    decisions: list[str]
    continuous: list[str] = field(default_factory=list)
    naive: int = 1   # product of the domain sizes, ignoring conditions (what a grid would try)
    exact: bool = True  # False: `count` is an upper bound (the exact count was too much work)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "count": self.count, "naive": self.naive,
                "decisions": len(self.decisions), "continuous": self.continuous,
                "exact": self.exact}


@dataclass
class Part:
    """The count of one family of decisions (architecture, training or search)."""

    count: int = 1                     # discrete part: continuous floats count once
    continuous: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    naive: int = 1

    @property
    def infinite(self) -> bool:
        return bool(self.continuous)

    @property
    def exact(self) -> bool:
        return all(g.exact for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "count_str": fmt_count(self.count),
                "infinite": self.infinite, "continuous": self.continuous, "naive": self.naive,
                "exact": self.exact,
                "groups": [g.to_dict() for g in self.groups]}


@dataclass
class Cardinality:
    """Exact sizes of a space. `architectures` is the number of distinct canonical
    configurations of the network decisions (discrete part when `infinite`)."""

    architecture: Part
    training: Part
    search: Part
    #: decisions with a condition that no configuration satisfies (never active)
    never_active: list[str] = field(default_factory=list)
    #: decisions with the condition `()`: declared but never used
    unused: list[str] = field(default_factory=list)

    @property
    def architectures(self) -> int:
        return self.architecture.count

    @property
    def infinite(self) -> bool:
        return self.architecture.infinite

    @property
    def exact(self) -> bool:
        return self.architecture.exact and self.training.exact and self.search.exact

    @property
    def total(self) -> int:
        """Architectures x training settings x search settings (discrete parts)."""
        return self.architecture.count * self.training.count * self.search.count

    def to_dict(self) -> dict[str, Any]:
        return {"architectures": self.architecture.count,
                "architectures_str": fmt_count(self.architecture.count),
                "infinite": self.infinite, "exact": self.exact,
                "architecture": self.architecture.to_dict(),
                "training": self.training.to_dict(), "search": self.search.to_dict(),
                "total": self.total, "never_active": self.never_active, "unused": self.unused}


def fmt_count(n: int) -> str:
    """12,345 up to 10^9, then 1.23e+15 (with the exact digit count beyond float range)."""
    if n < 10**9:
        return f"{n:,}"
    try:
        return f"{float(n):.3g}"
    except OverflowError:
        return f"~10^{len(str(n)) - 1}"


# --------------------------------------------------------------------------------------------
def _substitute(res: frozenset, path: str, value: Any, assigned: bool) -> frozenset:
    """The residual DNF after decision `path` took `value` (or stayed inactive)."""
    out = set()
    for conj in res:
        keep = True
        rest = []
        for c in conj:
            if c.path == path:
                if not (assigned and value in c.values):
                    keep = False
                    break
            else:
                rest.append(c)
        if keep:
            if not rest:
                return _TRUE
            out.add(frozenset(rest))
    return frozenset(out)


def _dnf(when: tuple) -> frozenset:
    return frozenset(frozenset(conj) for conj in when)


class TooMuchWork(Exception):
    """The exact count would take more than `MAX_COUNT_WORK` steps."""


def count_models(decisions: list[Decision],
                 max_work: int = MAX_COUNT_WORK) -> tuple[int, dict[str, bool]]:
    """Exact number of canonical configurations of `decisions` (parents first), and for each
    decision whether some configuration makes it active. Continuous floats count once.
    Raises TooMuchWork past `max_work` state x decision steps."""
    index = {d.path: i for i, d in enumerate(decisions)}
    referrers: dict[str, list[int]] = {}
    for j, d in enumerate(decisions):
        for conj in d.when:
            for c in conj:
                if c.path in index and j not in referrers.setdefault(c.path, []):
                    referrers[c.path].append(j)
    whens = [_dnf(d.when) for d in decisions]
    # a state: frozenset of (later decision index, residual) for touched conditions
    states: dict[frozenset, int] = {frozenset(): 1}
    possible: dict[str, bool] = {}
    work = 0
    for i, d in enumerate(decisions):
        refs = [j for j in referrers.get(d.path, ()) if j > i]
        size = d.size or 1  # (a continuous float counts once)
        vals = d.domain_values() if refs else None
        nxt: dict[frozenset, int] = {}
        seen_active = False
        for st, n in states.items():
            work += (len(st) + 1) * (1 + len(refs))
            if work > max_work:
                raise TooMuchWork(d.path)
            res = dict(st)
            own = res.pop(i, whens[i])
            active = bool(own) and (own == _TRUE or frozenset() in own)
            if own and not active:
                # unresolved terms name decisions outside this list: treat them as unmet
                active = False
            seen_active |= active
            if not refs:
                key = frozenset(res.items())
                nxt[key] = nxt.get(key, 0) + (n * size if active else n)
                continue
            outcomes = [(v, True) for v in vals] if active and vals is not None else \
                [(d.default, True)] if active else [(None, False)]
            for v, assigned in outcomes:
                r2 = dict(res)
                for j in refs:
                    r2[j] = _substitute(r2.get(j, whens[j]), d.path, v, assigned)
                key = frozenset(r2.items())
                nxt[key] = nxt.get(key, 0) + n
        states = nxt
        possible[d.path] = seen_active
    return sum(states.values()), possible


def _groups(decisions: list[Decision]) -> list[list[Decision]]:
    """Independent groups: decisions linked by a condition, or under one top-level construct."""
    parent = list(range(len(decisions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    index = {d.path: i for i, d in enumerate(decisions)}
    first: dict[str, int] = {}
    for i, d in enumerate(decisions):
        c = _construct(d.path)
        if c in first:
            union(i, first[c])
        else:
            first[c] = i
        for conj in d.when:
            for cond in conj:
                if cond.path in index:
                    union(i, index[cond.path])
    out: dict[int, list[Decision]] = {}
    for i, d in enumerate(decisions):
        out.setdefault(find(i), []).append(d)
    return [out[k] for k in sorted(out)]


def _part(decisions: list[Decision], possible: dict[str, bool],
          loose: frozenset[str] = frozenset()) -> Part:
    part = Part()
    for members in _groups(decisions):
        naive = math.prod(d.size or 1 for d in members if d.when)
        # a decision whose activity is over-approximated (see DecisionList.loose) makes the
        # count of its group an upper bound
        exact = not any(d.path in loose for d in members)
        try:
            n, poss = count_models(members)
        except TooMuchWork:
            # every canonical configuration is one point of the product of the domains
            n, poss, exact = naive, {d.path: bool(d.when) for d in members}, False
        possible.update(poss)
        names = list(dict.fromkeys(_construct(d.path) for d in members))
        cont = [d.path for d in members if _is_continuous(d) and poss.get(d.path)]
        part.groups.append(Group(name=" + ".join(names), count=n,
                                 decisions=[d.path for d in members], continuous=cont,
                                 naive=naive, exact=exact))
        part.count *= n
        part.naive *= naive
        part.continuous.extend(cont)
    return part


def cardinality(space: Space | DecisionList) -> Cardinality:
    """Exact sizes of the architecture, training and search spaces of `space`."""
    dl = space if isinstance(space, DecisionList) else decisions_of(space)
    arch, train, search = [], [], []
    for d in dl.decisions:
        (train if d.path.startswith("train/") else
         search if d.path.startswith("search/") else arch).append(d)
    possible: dict[str, bool] = {}
    loose = frozenset(dl.loose)
    result = Cardinality(architecture=_part(arch, possible, loose),
                         training=_part(train, possible, loose),
                         search=_part(search, possible, loose))
    result.unused = [d.path for d in dl.decisions if d.when == ()]
    result.never_active = [d.path for d in dl.decisions
                           if d.when != () and not possible.get(d.path, True)]
    return result


def enumerate_configs(space: Space | DecisionList, *, limit: int = 1_000_000,
                      prefix: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every canonical configuration of the finite decisions (brute force, for tests and tiny
    spaces); continuous floats keep their default. Raises ValueError past `limit`."""
    dl = space if isinstance(space, DecisionList) else decisions_of(space)
    decisions = [d for d in dl.decisions
                 if prefix is None or any(d.path.startswith(p) for p in prefix)]
    out: list[dict[str, Any]] = []

    def rec(i: int, cfg: dict[str, Any]) -> None:
        if len(out) > limit:
            raise ValueError(f"more than {limit} configurations")
        if i == len(decisions):
            out.append(dict(cfg))
            return
        d = decisions[i]
        if not d.active(cfg):
            rec(i + 1, cfg)
            return
        for v in d.domain_values() or (d.default,):
            cfg[d.path] = v
            rec(i + 1, cfg)
            del cfg[d.path]

    rec(0, {})
    return out
