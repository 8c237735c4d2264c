"""Expressions: literals, names, arithmetic, inline parameters. Closed set -> one union."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from .base import Node
from .params import Param

Value = Union[bool, int, float, str, tuple]


class Num(Node):
    kind: Literal["num"] = "num"
    value: int | float


class Str(Node):
    kind: Literal["str"] = "str"
    value: str


class BoolLit(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class Dims(Node):
    """`3x3`, `32x32x3`."""

    kind: Literal["dims"] = "dims"
    values: tuple[int, ...]


class Name(Node):
    """A parameter, block argument, `let`, repeat index, constant, or a bare symbol (`relu`)."""

    kind: Literal["name"] = "name"
    name: str


class Attr(Node):
    """`group1.count`, `image.channels`."""

    kind: Literal["attr"] = "attr"
    obj: str
    attr: str


class InAttr(Node):
    """`in.channels`: a property of the tensor flowing into the current statement."""

    kind: Literal["in_attr"] = "in_attr"
    attr: str


class Position(Node):
    """`@stem`: a labelled position in a towers body."""

    kind: Literal["position"] = "position"
    label: str


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/", "//", "%", "<=", ">=", "==", "!=", "<", ">", "and", "or"]
    left: "Expr"
    right: "Expr"


class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: "Expr"


class Not(Node):
    """`not x` (on booleans only)."""

    kind: Literal["not"] = "not"
    operand: "Expr"


class ListExpr(Node):
    kind: Literal["list"] = "list"
    items: tuple["Expr", ...]


class Objective(Node):
    """`maximize val_accuracy`."""

    kind: Literal["objective"] = "objective"
    direction: Literal["maximize", "minimize"]
    metric: str


class KwArg(Node):
    kind: Literal["kwarg"] = "kwarg"
    name: str
    value: "Expr"


class Call(Node):
    """`bayesian(alpha=0.001)` in settings."""

    kind: Literal["call"] = "call"
    name: str
    args: tuple["Expr", ...] = ()
    kwargs: tuple[KwArg, ...] = ()


class ParamExpr(Node):
    """An inline anonymous parameter; its decision is named by its path in the network."""

    kind: Literal["param"] = "param"
    param: Param


Expr = Annotated[
    Union[Num, Str, BoolLit, Dims, Name, Attr, InAttr, Position, BinOp, Neg, Not, ListExpr,
          Objective, Call, ParamExpr],
    Field(discriminator="kind"),
]

for _m in (BinOp, Neg, Not, ListExpr, KwArg, Call):
    _m.model_rebuild()
