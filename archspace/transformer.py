"""Parse tree -> IR. One method per named grammar rule (a test checks that none is missing).

Lark's positions are attached as spans; small well-formedness checks that need no other file
(arity of int()/float(), duplicate sections) are reported here, all of them, not just the first.
"""

from __future__ import annotations

import math
from typing import Any

from lark import Token, Tree, v_args
from lark.exceptions import VisitError
from lark.visitors import Transformer_NonRecursive

from . import ir
from .errors import ArchError, ArchNameError, ArchSyntaxError, ArchTypeError, ErrorSink
from .ir import expr as E
from .ir.nodes import STATEMENT_KEYWORDS
from .source import Span


def _str(tok: Token) -> str:
    return str(tok)


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def _unquote(tok: Token) -> tuple[str, str | None]:
    """The text of a string literal, and the first unknown escape in it (kept as written)."""
    body, out, bad, i = str(tok)[1:-1], [], None, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            else:
                bad = bad or "\\" + nxt
                out.append(ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), bad


#: largest integer literal (int64: what Keras Tuner, JSON readers and TensorFlow hold)
MAX_INT = 2**63 - 1
#: longest chain of operators that cannot be folded (a + b + ... : every stage after the parser
#: walks it recursively)
MAX_CHAIN = 100


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[:n] + "…"


#: words that start an expression: a value named so could not be used
EXPRESSION_KEYWORDS = frozenset({"int", "float", "choice", "bool", "fixed", "in", "true",
                                 "false", "maximize", "minimize"})


@v_args(meta=True)
class ToIR(Transformer_NonRecursive):
    """Non-recursive: a long chain `1 + 1 + ... + 1` is a deep tree, but not deep input."""

    def __init__(self, path: str, sink: ErrorSink):
        super().__init__(visit_tokens=False)
        self.path = path
        self.sink = sink
        self._chain: dict[int, int] = {}   # id(BinOp) -> length of its left chain
        self._keep: list = []               # keeps those ids alive while transforming

    def _span(self, meta) -> Span | None:
        return Span.from_meta(meta, self.path)

    def _err(self, message: str, meta, hint: str | None = None) -> None:
        self.sink.add(ArchTypeError(message, self._span(meta), hint))

    def _string(self, tok: Token) -> str:
        text, bad = _unquote(tok)
        if bad is not None:
            self.sink.add(ArchSyntaxError(f"unknown escape '{bad}' in a string",
                                          Span.from_token(tok, self.path),
                                          'escapes: \\" \\\\ \\n \\t \\r'))
        return text

    # ---- file structure -------------------------------------------------------------------
    def start(self, meta, items):
        fields: dict[str, Any] = {"imports": [], "inputs": [], "outputs": [], "params": [],
                                  "blocks": [], "train": [], "search": []}
        seen: dict[str, Any] = {}
        for item in items:
            if isinstance(item, ir.ParamDecl):  # a top-level parameter
                if item.shared:
                    self.sink.add(ArchTypeError("'shared' is only meaningful inside a repeat",
                                                item.span, "remove 'shared'"))
                fields["params"].append(item)
                continue
            kind, node, m = item
            if kind in ("space", "task", "network"):
                if kind in seen:
                    self._err(f"a file has at most one '{kind}' section", m,
                              f"the first one is at line {seen[kind].line}")
                    continue
                seen[kind] = m
                if kind == "space":
                    fields["name"], fields["description"] = node
                else:
                    fields[kind] = node
            elif kind in ("train", "search"):
                if kind in seen:
                    self._err(f"a file has at most one '{kind}' section", m,
                              f"merge it with the one at line {seen[kind].line}")
                    continue
                seen[kind] = m
                fields[kind] = node
            else:
                fields[kind].append(node)
        for key in ("imports", "inputs", "outputs", "params", "blocks", "train", "search"):
            fields[key] = tuple(fields[key])
        return ir.Space(span=self._span(meta), **fields)

    def space_decl(self, meta, c):
        name, desc = c
        return ("space", (_str(name), self._string(desc) if desc is not None else None), meta)

    def import_decl(self, meta, c):
        return ("imports", ir.Import(path=self._string(c[0]), span=self._span(meta)), meta)

    def input_decl(self, meta, c):
        return ("inputs", ir.InputDecl(name=_str(c[0]), shape=c[1], span=self._span(meta)), meta)

    def output_decl(self, meta, c):
        return ("outputs", ir.OutputDecl(name=_str(c[0]), units=c[1], span=self._span(meta)), meta)

    def task_decl(self, meta, c):
        task = _str(c[0])
        if task not in ir.space.TASKS:
            from .blocks.base import suggest

            self.sink.add(ArchNameError(f"unknown task '{task}'", self._span(meta),
                                        suggest(task, ir.space.TASKS).strip(" ()")
                                        or "one of " + ", ".join(ir.space.TASKS)))
            task = "classification"
        return ("task", task, meta)

    def shape(self, meta, c):
        return self._dims(meta, c[0])

    def _dims(self, meta, tok) -> tuple[int, ...]:
        parts = str(tok).split("x")
        if any(len(v) > 18 for v in parts):
            self._err(f"the size {_short(str(tok))} is too large", meta,
                      f"each number is at most {MAX_INT:,}")
            return tuple(1 for _ in parts)
        return tuple(int(v) for v in parts)

    def network(self, meta, c):
        return ("network", c[0], meta)

    def train_section(self, meta, c):
        return ("train", tuple(c), meta)

    def search_section(self, meta, c):
        return ("search", tuple(c), meta)

    def setting(self, meta, c):
        return ir.Setting(key=_str(c[0]), value=c[1], span=self._span(meta))

    # ---- parameters -----------------------------------------------------------------------
    def _check_name(self, tok: Token, role: str, reserved: frozenset[str]) -> None:
        """A name the parser would read as a keyword where it is used."""
        if str(tok) in reserved:
            self.sink.add(ArchNameError(f"'{tok}' is a keyword and cannot name a {role}",
                                        Span.from_token(tok, self.path), "rename it"))

    def param_decl(self, meta, c):
        shared, name, param = c
        self._check_name(name, "parameter", EXPRESSION_KEYWORDS)
        return ir.ParamDecl(name=_str(name), param=param, shared=shared is not None,
                            span=self._span(meta))

    def param_expr(self, meta, c):
        return E.ParamExpr(param=c[0], span=self._span(meta))

    def default(self, meta, c):
        return c[0]

    def _split_args(self, meta, args, what: str, names: tuple[str, ...], flags: tuple[str, ...] = ()):
        """Bind int()/float() arguments: positional in `names` order, keywords, bare flags."""
        out: dict[str, Any] = {}
        positional = [a for a in (args or ()) if not isinstance(a, E.KwArg)]
        keywords = [a for a in (args or ()) if isinstance(a, E.KwArg)]
        slots = list(names)
        for a in positional:
            if isinstance(a, E.Name) and a.name in flags:
                out[a.name] = True
                continue
            if not slots:
                self._err(f"{what}() takes at most {len(names)} arguments", meta,
                          f"write {what}({', '.join(names)})")
                break
            out[slots.pop(0)] = a
        for kw in keywords:
            if kw.name not in names and kw.name not in flags:
                self._err(f"{what}() has no argument '{kw.name}'", meta,
                          "arguments: " + ", ".join(names + flags))
                continue
            if kw.name in out:
                self._err(f"{what}() got '{kw.name}' twice", meta)
            out[kw.name] = kw.value
        return out

    def int_param(self, meta, c):
        args, default = c
        a = self._split_args(meta, args, "int", ("lo", "hi", "step"))
        if "lo" not in a or "hi" not in a:
            # int(x) is the integer parameter kind, not a cast: point to the rounding functions
            self._err("int() needs a lower and an upper bound", meta,
                      "write int(lo, hi) or int(lo, hi, step); to make a number an integer, "
                      "write floor(x), round(x) or ceil(x)" if "lo" in a else
                      "write int(lo, hi) or int(lo, hi, step)")
            a.setdefault("lo", E.Num(value=0))
            a.setdefault("hi", a["lo"])
        return ir.IntParam(lo=a["lo"], hi=a["hi"], step=a.get("step"), default=default,
                           span=self._span(meta))

    def float_param(self, meta, c):
        args, default = c
        a = self._split_args(meta, args, "float", ("lo", "hi", "step"), flags=("log",))
        if "lo" not in a or "hi" not in a:
            self._err("float() needs a lower and an upper bound", meta,
                      "write float(lo, hi), float(lo, hi, step=0.1) or float(lo, hi, log)")
            a.setdefault("lo", E.Num(value=0.0))
            a.setdefault("hi", a["lo"])
        log = a.get("log", False)
        if isinstance(log, E.BoolLit):
            log = log.value
        elif not isinstance(log, bool):
            self._err("float(..., log=...) must be true or false", meta)
            log = False
        if log and a.get("step") is not None:
            self._err("float() takes either a step or log, not both", meta,
                      "write float(lo, hi, step=s) or float(lo, hi, log)")
        return ir.FloatParam(lo=a["lo"], hi=a["hi"], step=a.get("step"), log=log, default=default,
                             span=self._span(meta))

    def choice_param(self, meta, c):
        args, default = c
        values = tuple(a for a in (args or ()) if not isinstance(a, E.KwArg))
        if any(isinstance(a, E.KwArg) for a in (args or ())):
            self._err("choice() takes values only, no keyword arguments", meta)
        if not values:
            self._err("choice() needs at least one value", meta, "write choice(a, b, ...)")
        return ir.ChoiceParam(values=values, default=default, span=self._span(meta))

    def bool_param(self, meta, c):
        return ir.BoolParam(default=c[0], span=self._span(meta))

    def fixed_param(self, meta, c):
        return ir.FixedParam(value=c[0], span=self._span(meta))

    # ---- blocks ---------------------------------------------------------------------------
    def block_def(self, meta, c):
        name, formals, body = c
        self._check_name(name, "block", STATEMENT_KEYWORDS)
        formals = formals or ()
        seen: set[str] = set()
        for f in formals:
            if f.name in seen:
                self._err(f"block '{name}' has two arguments named '{f.name}'", meta)
            seen.add(f.name)
        return ("blocks", ir.BlockDef(name=_str(name), params=tuple(formals), body=body,
                                      span=self._span(meta)), meta)

    def formals(self, meta, c):
        return tuple(c)

    def formal(self, meta, c):
        self._check_name(c[0], "block argument", EXPRESSION_KEYWORDS)
        return ir.Formal(name=_str(c[0]), default=c[1], span=self._span(meta))

    def body(self, meta, c):
        return tuple(c)

    # ---- statements -----------------------------------------------------------------------
    def call_stmt(self, meta, c):
        name, args, label = c
        args = args or ()
        pos = tuple(a for a in args if not isinstance(a, E.KwArg))
        kws = tuple(a for a in args if isinstance(a, E.KwArg))
        seen_kw = False
        for a in args:
            if isinstance(a, E.KwArg):
                seen_kw = True
            elif seen_kw and not isinstance(a, E.Name):  # bare flags (relu, same) may follow
                self._err("positional argument after a keyword argument", meta,
                          "put positional arguments first")
                break
        return ir.CallStmt(op=_str(name), args=pos, kwargs=kws, label=label, span=self._span(meta))

    def call_args_parens(self, meta, c):
        return c[0] or ()

    def label(self, meta, c):
        return c[0]

    def name_ref(self, meta, c):
        return ir.NameRef(name=_str(c[0]), index=c[1], span=self._span(meta))

    def let_stmt(self, meta, c):
        self._check_name(c[0], "let", EXPRESSION_KEYWORDS)
        return ir.LetStmt(name=_str(c[0]), value=c[1], span=self._span(meta))

    def optional_stmt(self, meta, c):
        default, target = c
        if isinstance(target, tuple) and len(target) == 2 and target[0] == "named":
            name, body = target[1]
            return ir.OptionalStmt(name=name, body=body, default=default, wraps=False,
                                   span=self._span(meta))
        return ir.OptionalStmt(name=None, body=(target,), default=default, wraps=True,
                               span=self._span(meta))

    def optional_named(self, meta, c):
        if len(c) == 2:
            return ("named", (_str(c[0]), c[1]))
        return ("named", (None, c[0]))

    def repeat_stmt(self, meta, c):
        name, (lo, hi), default, shared, body = c
        rname, index = name if name is not None else (None, None)
        return ir.RepeatStmt(name=rname, index=index, lo=lo, hi=hi, default=default, body=body,
                             shared=shared is not None, span=self._span(meta))

    def repeat_name(self, meta, c):
        return (_str(c[0]), _str(c[1]) if c[1] is not None else None)

    def repeat_count_stmt(self, meta, c):
        name, count, body = c
        rname, index = name if name is not None else (None, None)
        return ir.RepeatCountStmt(name=rname, index=index, count=count, body=body,
                                  span=self._span(meta))

    def if_stmt(self, meta, c):
        cond, then, orelse = (c + [None])[:3]  # (an absent `else` leaves no placeholder)
        if isinstance(orelse, ir.IfStmt):  # `else if`: a body of one if statement
            orelse = (orelse,)
        return ir.IfStmt(cond=cond, then=then, orelse=orelse, span=self._span(meta))

    def pick_stmt(self, meta, c):
        name, k, *taps, merge, body, label = c
        return ir.PickStmt(name=_str(name) if name is not None else None, k=self._bound(k),
                           taps=tuple(taps), merge=merge, body=body, label=label,
                           span=self._span(meta))

    def range(self, meta, c):
        return tuple(self._bound(b) for b in c)

    def _bound(self, b):
        if isinstance(b, Token):
            if b.type == "INT":
                return E.Num(value=int(b), span=Span.from_token(b, self.path))
            return E.Name(name=str(b), span=Span.from_token(b, self.path))
        return b

    def choice_stmt(self, meta, c):
        name, default, *branches = c
        self._check_branch_labels(meta, branches, "choice")
        return ir.ChoiceStmt(name=_str(name) if name is not None else None, default=default,
                             branches=tuple(branches), span=self._span(meta))

    def parallel_stmt(self, meta, c):
        name, *branches, merge, label = c
        self._check_branch_labels(meta, branches, "parallel")
        return ir.ParallelStmt(name=_str(name) if name is not None else None,
                               branches=tuple(branches), merge=merge, label=label,
                               span=self._span(meta))

    def _check_branch_labels(self, meta, branches, what):
        first: dict[str, Any] = {}
        for b in branches:
            if b.label is None:
                continue
            if b.label in first:
                prev = first[b.label]
                self.sink.add(ArchTypeError(
                    f"{what} has two branches labelled '{b.label}'", b.span or self._span(meta),
                    f"the first is at line {prev.line}" if prev else "rename one of them"))
                continue
            first[b.label] = b.span

    def branch(self, meta, c):
        label, *body = c
        return ir.Branch(label=_str(label) if label is not None else None, body=tuple(body),
                         span=self._span(meta))

    def skip_stmt(self, meta, c):
        name, project, merge, body, label = c
        return ir.SkipStmt(name=_str(name) if name is not None else None,
                           project=project is not None, merge=merge, body=body, label=label,
                           span=self._span(meta))

    def merge_stmt(self, meta, c):
        op, tap, project, label = c
        return ir.MergeStmt(op=op, tap=tap, project=project is not None, label=label,
                            span=self._span(meta))

    def towers_stmt(self, meta, c):
        *names, merge, at, body = c
        return ir.TowersStmt(inputs=tuple(_str(n) for n in names), merge=merge, at=at, body=body,
                             span=self._span(meta))

    def position_stmt(self, meta, c):
        return ir.PositionStmt(label=_str(c[0]), span=self._span(meta))

    def from_stmt(self, meta, c):
        return ir.FromStmt(ref=c[0], span=self._span(meta))

    def reuse_stmt(self, meta, c):
        return ir.ReuseStmt(ref=c[0], span=self._span(meta))

    def output_stmt(self, meta, c):
        return ir.OutputStmt(name=_str(c[0]), span=self._span(meta))

    # ---- expressions ----------------------------------------------------------------------
    def call_args(self, meta, c):
        return tuple(a for a in c if a is not None)

    def kwarg(self, meta, c):
        return E.KwArg(name=_str(c[0]), value=c[1], span=self._span(meta))

    def compare(self, meta, c):
        return self._binop(meta, c)

    def binop(self, meta, c):
        left, op, right = c[0], str(c[1]), c[2]
        if (op in ("+", "-", "*") and isinstance(left, E.Num) and isinstance(right, E.Num)
                and type(left.value) is type(right.value)):
            # fold literals (as evaluation would, left to right) so that `1 + 1 + ... + 1`
            # is one number, not a tree hundreds of levels deep
            value = {"+": left.value + right.value, "-": left.value - right.value,
                     "*": left.value * right.value}[op]
            if isinstance(value, int) and abs(value) <= MAX_INT or \
                    isinstance(value, float) and math.isfinite(value):
                return E.Num(value=value, span=self._span(meta))
        return self._binop(meta, c)

    def _binop(self, meta, c):
        node = E.BinOp(op=str(c[1]), left=c[0], right=c[2], span=self._span(meta))
        n = self._chain.get(id(c[0]), 0) + 1
        if n > MAX_CHAIN:
            if n == MAX_CHAIN + 1:
                self.sink.add(ArchSyntaxError(
                    f"expression too long: more than {MAX_CHAIN} operators in a row",
                    Span.from_token(c[1], self.path), "name parts of it with `let`"))
            node = node.model_copy(update={"left": E.Num(value=0)})  # stop the depth here
            n = -(10**9)  # and report this chain once
        self._chain[id(node)] = n
        self._keep.append(node)
        return node

    def or_expr(self, meta, c):
        return self._logic(meta, c, "or")

    def and_expr(self, meta, c):
        return self._logic(meta, c, "and")

    def _logic(self, meta, c, op: str):
        # the keyword is not kept in the tree: a token at the expression stands for it, so
        # that a too long chain `a or b or ...` is reported like one of `+`
        tok = Token(op.upper(), op, line=meta.line, column=meta.column, end_line=meta.end_line,
                    end_column=meta.end_column)
        return self._binop(meta, [c[0], tok, c[1]])

    def not_expr(self, meta, c):
        return E.Not(operand=c[0], span=self._span(meta))

    def neg(self, meta, c):
        operand = c[1]
        if isinstance(operand, E.Num):  # fold literals so `-1` is data, not arithmetic
            return E.Num(value=-operand.value, span=self._span(meta))
        return E.Neg(operand=operand, span=self._span(meta))

    def int_lit(self, meta, c):
        text = str(c[0])
        value = int(text) if len(text) < 20 else MAX_INT + 1  # int() of 5,000 digits raises
        if value > MAX_INT:
            self._err(f"the number {_short(text)} is too large", meta,
                      f"an integer is at most {MAX_INT:,}")
            value = 1  # a placeholder that makes no follow-on error (0 units, 0 filters)
        return E.Num(value=value, span=self._span(meta))

    def float_lit(self, meta, c):
        value = float(c[0])
        if not math.isfinite(value):  # 1e999: no such float (and JSON has no infinity)
            self._err(f"the number {_short(str(c[0]))} is too large", meta,
                      "a float is at most about 1.8e308")
            value = 0.0
        return E.Num(value=value, span=self._span(meta))

    def str_lit(self, meta, c):
        return E.Str(value=self._string(c[0]), span=self._span(meta))

    def true_lit(self, meta, c):
        return E.BoolLit(value=True, span=self._span(meta))

    def false_lit(self, meta, c):
        return E.BoolLit(value=False, span=self._span(meta))

    def dims_lit(self, meta, c):
        return E.Dims(values=self._dims(meta, c[0]), span=self._span(meta))

    def name(self, meta, c):
        return E.Name(name=_str(c[0]), span=self._span(meta))

    def attr(self, meta, c):
        return E.Attr(obj=_str(c[0]), attr=_str(c[1]), span=self._span(meta))

    def in_attr(self, meta, c):
        return E.InAttr(attr=_str(c[0]), span=self._span(meta))

    def position_ref(self, meta, c):
        return E.Position(label=_str(c[0]), span=self._span(meta))

    def call_expr(self, meta, c):
        name, args = c
        args = args or ()
        return E.Call(name=_str(name), args=tuple(a for a in args if not isinstance(a, E.KwArg)),
                      kwargs=tuple(a for a in args if isinstance(a, E.KwArg)),
                      span=self._span(meta))

    def list_expr(self, meta, c):
        return E.ListExpr(items=tuple(x for x in c if x is not None), span=self._span(meta))

    def objective(self, meta, c):
        return E.Objective(direction=str(c[0]), metric=_str(c[1]), span=self._span(meta))

    def __default__(self, data, children, meta):  # pragma: no cover - every rule has a method
        raise AssertionError(f"no transformer method for grammar rule '{data}'")


def to_ir(tree: Tree, path: str, sink: ErrorSink) -> ir.Space:
    try:
        return ToIR(path, sink).transform(tree)
    except VisitError as e:
        # a rule method failed: report it at its place, as an ArchError (never a VisitError)
        if isinstance(e.orig_exc, ArchError):
            raise e.orig_exc from None
        meta = getattr(e.obj, "meta", None)
        span = Span.from_meta(meta, path) if meta is not None else None
        raise ArchSyntaxError(f"cannot read this {str(e.rule).replace('_', ' ')}: "
                              f"{e.orig_exc}", span) from None
