"""Network statements: the template's structure. Closed set -> one discriminated union."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from .base import Node
from .expr import Expr, KwArg
from .params import Param

#: words that start a statement: a block named so could not be called
STATEMENT_KEYWORDS = frozenset({"optional", "repeat", "choice", "parallel", "skip", "merge",
                                "towers", "from", "output", "let", "param", "shared",
                                "reuse", "if", "else", "pick"})


class NameRef(Node):
    """`fire[2 * k + 2]`, `skip[i]`, `conv1`: a label or tap, optionally indexed."""

    name: str
    index: Expr | None = None


class CallStmt(Node):
    """A primitive op or a user block: `conv(96, 3x3, stride=2, relu) as conv1`."""

    kind: Literal["call"] = "call"
    op: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[KwArg, ...] = ()
    label: NameRef | None = None


class LetStmt(Node):
    kind: Literal["let"] = "let"
    name: str
    value: Expr


class ParamDecl(Node):
    """`param ratio = choice(8, 16, 32)`; `shared` (only in a repeat body) means one decision
    for every copy instead of one per copy."""

    kind: Literal["param_decl"] = "param_decl"
    name: str
    param: Param
    shared: bool = False


class OptionalStmt(Node):
    """`optional se(ratio)` or `optional se { ... }`: a bool decision."""

    kind: Literal["optional"] = "optional"
    name: str | None = None
    body: tuple["Stmt", ...]
    default: Expr | None = None
    wraps: bool = False  # True for `optional <statement>`: the statement names the decision


class RepeatStmt(Node):
    """`repeat group1[k] in 1..2 default 2 { ... }`: copies 0..count-1, count is searched."""

    kind: Literal["repeat"] = "repeat"
    name: str | None = None
    index: str | None = None
    lo: Expr
    hi: Expr
    default: Expr | None = None
    body: tuple["Stmt", ...]
    #: `repeat .. shared { }`: every copy applies the layers of the first (one set of weights)
    shared: bool = False


class Branch(Node):
    label: str | None = None
    body: tuple["Stmt", ...] = ()


class ChoiceStmt(Node):
    """`choice op { a: conv(16, 3) | b: dwconv(7) }`: choose one alternative sub-network."""

    kind: Literal["choice"] = "choice"
    name: str | None = None
    default: Expr | None = None
    branches: tuple[Branch, ...]


class ParallelStmt(Node):
    """`parallel { a | b } merge concat`: every branch gets the same input."""

    kind: Literal["parallel"] = "parallel"
    name: str | None = None
    branches: tuple[Branch, ...]
    merge: Expr
    label: NameRef | None = None


class SkipStmt(Node):
    """`skip project merge add { body }`: out = merge(body(x), x or its projection)."""

    kind: Literal["skip"] = "skip"
    name: str | None = None
    project: bool = False
    merge: Expr | None = None
    body: tuple["Stmt", ...]
    label: NameRef | None = None


class MergeStmt(Node):
    """`merge concat with skip[i]`: merge the current tensor with a saved tap."""

    kind: Literal["merge"] = "merge"
    op: Expr
    tap: NameRef
    project: bool = False
    label: NameRef | None = None


class TowersStmt(Node):
    """`towers(image, depth) merge add at choice(@stem, @g1) { ... @stem ... @g1 }`:
    each input runs through its own copy of the body up to the chosen position, then the
    copies are merged and the rest of the body runs once."""

    kind: Literal["towers"] = "towers"
    inputs: tuple[str, ...]
    merge: Expr
    at: Expr
    body: tuple["Stmt", ...]


class PositionStmt(Node):
    kind: Literal["position"] = "position"
    label: str


class FromStmt(Node):
    """`from image` / `from skip[2]`: continue from an input or a saved tap."""

    kind: Literal["from"] = "from"
    ref: NameRef


class OutputStmt(Node):
    """`output boxes`: the current tensor is the model output of that name."""

    kind: Literal["output"] = "output"
    name: str


class ReuseStmt(Node):
    """`reuse conv1`: apply the layers of the statement labelled `conv1` again, with the same
    weights (one set, counted once), to the current tensor."""

    kind: Literal["reuse"] = "reuse"
    ref: NameRef


class IfStmt(Node):
    """`if expand != 1 { conv(..) } else { .. }`: the body whose condition holds. A condition
    known when the template is read picks its body then; one that reads a searched value is a
    searched condition (the decisions inside are active exactly when it holds)."""

    kind: Literal["if"] = "if"
    cond: Expr
    then: tuple["Stmt", ...]
    orelse: tuple["Stmt", ...] | None = None


class RepeatCountStmt(Node):
    """`repeat up[i] = down.count { ... }`: as many copies as the expression gives in each
    configuration (an expression of constants and other decisions); not a decision itself."""

    kind: Literal["repeat_count"] = "repeat_count"
    name: str | None = None
    index: str | None = None
    count: Expr
    body: tuple["Stmt", ...]


class PickStmt(Node):
    """`pick n2 2 of (c0, c1, n0) merge add { edge } as n2`: one decision whose values are the
    k-element sets of the listed taps (unordered, distinct); each picked tap runs through its
    own copy of the body (decisions under `n2/<tap>/`), then the results are merged."""

    kind: Literal["pick"] = "pick"
    name: str | None = None
    k: Expr
    taps: tuple[NameRef, ...]
    merge: Expr
    body: tuple["Stmt", ...] = ()
    label: NameRef | None = None


Stmt = Annotated[
    Union[CallStmt, LetStmt, ParamDecl, OptionalStmt, RepeatStmt, ChoiceStmt, ParallelStmt,
          SkipStmt, MergeStmt, TowersStmt, PositionStmt, FromStmt, OutputStmt, ReuseStmt,
          IfStmt, RepeatCountStmt, PickStmt],
    Field(discriminator="kind"),
]

for _m in (OptionalStmt, RepeatStmt, Branch, ChoiceStmt, ParallelStmt, SkipStmt, TowersStmt,
           IfStmt, RepeatCountStmt, PickStmt):
    _m.model_rebuild()
