"""The root of the IR: one search space (or a library of blocks)."""

from __future__ import annotations

import json
from typing import Any, Literal

from .base import Node
from .expr import Expr
from .nodes import ParamDecl, Stmt

TASKS = ("classification", "segmentation", "regression", "detection")


class Import(Node):
    path: str            # as written
    resolved: str | None = None  # the file it resolved to (excluded from nothing: it is data)


class InputDecl(Node):
    name: str
    shape: tuple[int, ...]


class OutputDecl(Node):
    """`output classes: 10`: an output head with that many units; `classes` becomes a constant."""

    name: str
    units: Expr


class Formal(Node):
    name: str
    default: Expr | None = None


class BlockDef(Node):
    name: str
    params: tuple[Formal, ...] = ()
    body: tuple[Stmt, ...]
    origin: str | None = None  # the file it was defined in, when imported


class Setting(Node):
    key: str
    value: Expr


class Space(Node):
    name: str | None = None
    description: str | None = None
    task: Literal["classification", "segmentation", "regression", "detection"] = "classification"
    imports: tuple[Import, ...] = ()
    inputs: tuple[InputDecl, ...] = ()
    outputs: tuple[OutputDecl, ...] = ()
    params: tuple[ParamDecl, ...] = ()
    blocks: tuple[BlockDef, ...] = ()
    network: tuple[Stmt, ...] | None = None
    train: tuple[Setting, ...] = ()
    search: tuple[Setting, ...] = ()

    # -- conveniences ----------------------------------------------------------------------
    def block(self, name: str) -> BlockDef | None:
        for b in self.blocks:
            if b.name == name:
                return b
        return None

    def input(self, name: str) -> InputDecl | None:
        return next((i for i in self.inputs if i.name == name), None)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Space":
        return cls.model_validate_json(text)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.model_dump_json())

    def with_overrides(self, inputs: dict[str, tuple[int, ...]] | None = None,
                       outputs: dict[str, int] | None = None) -> "Space":
        """The same space with other input shapes or output sizes (`--input`, `--classes`)."""
        from .expr import Num

        new_inputs = self.inputs
        if inputs:
            known = {i.name for i in self.inputs}
            for name in inputs:
                if name not in known:
                    raise KeyError(name)
            new_inputs = tuple(i.model_copy(update={"shape": tuple(inputs[i.name])})
                               if i.name in inputs else i for i in self.inputs)
        new_outputs = self.outputs
        if outputs:
            known = {o.name for o in self.outputs}
            for name in outputs:
                if name not in known:
                    raise KeyError(name)
            new_outputs = tuple(o.model_copy(update={"units": Num(value=int(outputs[o.name]))})
                                if o.name in outputs else o for o in self.outputs)
        return self.model_copy(update={"inputs": new_inputs, "outputs": new_outputs})


def json_schema() -> dict[str, Any]:
    return Space.model_json_schema()
