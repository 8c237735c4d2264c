"""The typed IR: the single source of truth every other stage walks."""

from . import params as _params
from .expr import Expr, ParamExpr  # noqa: F401

_params.rebuild()
ParamExpr.model_rebuild()

from .nodes import *  # noqa: E402,F401,F403
from .params import BoolParam, ChoiceParam, FixedParam, FloatParam, IntParam, Param  # noqa: E402,F401
from .space import BlockDef, Formal, Import, InputDecl, OutputDecl, Setting, Space, json_schema  # noqa: E402,F401
