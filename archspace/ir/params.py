"""Parameter kinds: the domains a decision can range over. Closed set -> one union.

Bounds and values are expressions so that block arguments and repeat indices can shape them;
they must be evaluable without any searched value (checked when decisions are enumerated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import Field

from .base import Node

if TYPE_CHECKING:  # pragma: no cover
    from .expr import Expr


class IntParam(Node):
    kind: Literal["int"] = "int"
    lo: "Expr"
    hi: "Expr"
    step: "Expr | None" = None
    default: "Expr | None" = None


class FloatParam(Node):
    kind: Literal["float"] = "float"
    lo: "Expr"
    hi: "Expr"
    step: "Expr | None" = None
    log: bool = False
    default: "Expr | None" = None


class ChoiceParam(Node):
    kind: Literal["choice"] = "choice"
    values: tuple["Expr", ...]
    default: "Expr | None" = None


class BoolParam(Node):
    kind: Literal["bool"] = "bool"
    default: "Expr | None" = None


class FixedParam(Node):
    kind: Literal["fixed"] = "fixed"
    value: "Expr"


Param = Annotated[
    Union[IntParam, FloatParam, ChoiceParam, BoolParam, FixedParam], Field(discriminator="kind")
]


def rebuild() -> None:
    from .expr import Expr  # noqa: F401  (resolves the forward references)

    for m in (IntParam, FloatParam, ChoiceParam, BoolParam, FixedParam):
        m.model_rebuild(_types_namespace={"Expr": Expr})
