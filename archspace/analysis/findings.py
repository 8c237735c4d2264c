"""What lint reports: findings, the rule base class and the registry of rules by code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from ..source import Span

if TYPE_CHECKING:  # pragma: no cover
    from .lint import LintContext

SEVERITIES = ("error", "warning", "info")


@dataclass
class Finding:
    """One problem in one file, at a position when it has one."""

    code: str
    severity: str
    message: str
    file: str
    span: Span | None = None
    hint: str | None = None
    rule: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.span.line if self.span else 1

    @property
    def col(self) -> int:
        return self.span.col if self.span else 1

    @property
    def path(self) -> str:
        return self.span.path if self.span else self.file

    def sort_key(self) -> tuple:
        return (self.file, self.path, self.line, self.col, self.code)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "rule": self.rule, "severity": self.severity,
                             "message": self.message, "file": self.file, "path": self.path,
                             "line": self.line, "col": self.col}
        if self.span is not None:
            d.update(end_line=self.span.end_line, end_col=self.span.end_col)
        if self.hint:
            d["hint"] = self.hint
        if self.data:
            d["data"] = self.data
        return d


class Rule:
    """A lint rule: a stable code, a name, a default severity and a one-line docstring.

    `check(ctx)` yields findings; rules that need the space to load cleanly (the whole-space
    analyses) set `needs_valid`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[str] = "error"
    needs_valid: ClassVar[bool] = False

    @classmethod
    def doc(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def check(self, ctx: "LintContext") -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finding(self, ctx: "LintContext", message: str, span: Span | None = None, *,
                hint: str | None = None, severity: str | None = None, **data: Any) -> Finding:
        return Finding(code=self.code, severity=severity or self.severity, message=message,
                       file=ctx.path, span=span, hint=hint, rule=self.name, data=data)


RULES: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator adding a rule to the registry (codes are unique and stable)."""
    if cls.code in RULES and RULES[cls.code] is not cls:
        raise ValueError(f"lint code {cls.code} is taken by {RULES[cls.code].__name__}")
    if not cls.doc():
        raise TypeError(f"lint rule {cls.__name__} needs a one-line docstring")
    RULES[cls.code] = cls
    return cls


def rule_table() -> list[tuple[str, str, str, str]]:
    """(code, name, severity, doc) of every rule, by code."""
    from . import rules  # noqa: F401  (fills the registry)

    return [(c, r.name, r.severity, r.doc()) for c, r in sorted(RULES.items())]
