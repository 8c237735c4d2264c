"""Base of every IR node: frozen, strict, with a source span that never affects equality,
hashing or JSON dumps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..source import Span


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    span: Span | None = Field(default=None, exclude=True, repr=False)

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in type(self).model_fields if f != "span")

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))
