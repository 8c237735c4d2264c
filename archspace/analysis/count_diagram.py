"""The count function of a space as a decision diagram: what `StaticCounter` reads to count
one configuration in microseconds (about one dict lookup per decision it reads)."""

from __future__ import annotations

from typing import Any

_ZERO = (0, 0, 0, 0)
_MISSING = object()


class Diagram:
    """The count function of a space as a decision diagram, recorded by the whole-space walk:
    a state's step is an edge carrying (params, trainable, non-trainable, MACs) increments, a
    fork is a node that branches on one decision's value, a merge joins nodes. Counting one
    configuration follows its values from the root: a few dict lookups per decision."""

    def __init__(self) -> None:
        self.nxt: list[int] = []
        self.delta: list[tuple] = []
        self.branch: dict[int, tuple[str, dict[Any, int]]] = {}
        self.end: set[int] = set()
        self._jump: list[tuple[int, tuple]] | None = None

    def new(self) -> int:
        self.nxt.append(-1)
        self.delta.append(_ZERO)
        return len(self.nxt) - 1

    def seq(self, a: int, b: int, delta: tuple) -> None:
        self.nxt[a], self.delta[a] = b, delta

    def decide(self, a: int, path: str, to: dict[Any, int]) -> None:
        self.branch[a] = (path, to)

    def compile(self) -> None:
        """Collapse chains of steps: from every node, the next node that branches or ends, and
        the increments on the way."""
        n = len(self.nxt)
        jump: list[tuple[int, tuple] | None] = [None] * n
        for start in range(n):
            if jump[start] is not None:
                continue
            chain, node = [], start
            while (jump[node] is None and self.nxt[node] >= 0 and node not in self.branch
                   and node not in self.end):
                chain.append(node)
                node = self.nxt[node]
            tail = jump[node] if jump[node] is not None else (node, _ZERO)
            target, acc = tail
            for c in reversed(chain):
                d = self.delta[c]
                acc = (acc[0] + d[0], acc[1] + d[1], acc[2] + d[2], acc[3] + d[3])
                jump[c] = (target, acc)
            if jump[node] is None:
                jump[node] = (node, _ZERO)
        self._jump = jump  # type: ignore[assignment]

    def evaluate(self, values: dict[str, Any],
                 defaults: dict[str, Any] | None = None) -> tuple[int, int, int, int] | None:
        """(params, trainable, non_trainable, macs) of a canonical configuration, or None
        when the diagram does not know it (a failing or uncovered configuration). With
        `defaults`, a decision missing from `values` takes its default."""
        if self._jump is None:
            self.compile()
        jump, branch, end = self._jump, self.branch, self.end
        node, p, t, f, m = 0, 0, 0, 0, 0
        while True:
            node, d = jump[node]  # type: ignore[index]
            p, t, f, m = p + d[0], t + d[1], f + d[2], m + d[3]
            if node in end:
                return p, t, f, m
            b = branch.get(node)
            if b is None:
                return None
            v = values.get(b[0], _MISSING)
            if v is _MISSING and defaults is not None:
                v = defaults.get(b[0], _MISSING)
            node = b[1].get(v, -1)
            if node < 0:
                return None
