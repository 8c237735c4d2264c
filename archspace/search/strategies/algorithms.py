"""pymoo algorithms by name: `nsga2`, `nsga3`, `smsemoa`, `agemoea`, `moead`, `ga`, `de` ...
Names are matched case-insensitively, ignoring '_' and '-', against the classes of
pymoo.algorithms.moo.* and pymoo.algorithms.soo.nonconvex.*; algorithms that need reference
directions get Riesz s-energy directions for the population size."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

#: common names -> (module, class) so that the usual ones need no module scan
KNOWN = {
    "nsga2": ("pymoo.algorithms.moo.nsga2", "NSGA2"),
    "nsga3": ("pymoo.algorithms.moo.nsga3", "NSGA3"),
    "unsga3": ("pymoo.algorithms.moo.unsga3", "UNSGA3"),
    "smsemoa": ("pymoo.algorithms.moo.sms", "SMSEMOA"),
    "agemoea": ("pymoo.algorithms.moo.age", "AGEMOEA"),
    "agemoea2": ("pymoo.algorithms.moo.age2", "AGEMOEA2"),
    "moead": ("pymoo.algorithms.moo.moead", "MOEAD"),
    "spea2": ("pymoo.algorithms.moo.spea2", "SPEA2"),
    "rvea": ("pymoo.algorithms.moo.rvea", "RVEA"),
    "ctaea": ("pymoo.algorithms.moo.ctaea", "CTAEA"),
    "ga": ("pymoo.algorithms.soo.nonconvex.ga", "GA"),
    "de": ("pymoo.algorithms.soo.nonconvex.de", "DE"),
    "pso": ("pymoo.algorithms.soo.nonconvex.pso", "PSO"),
    "cmaes": ("pymoo.algorithms.soo.nonconvex.cmaes", "CMAES"),
}

_SCANNED: dict[str, tuple[str, str]] | None = None


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _scan() -> dict[str, tuple[str, str]]:
    global _SCANNED
    if _SCANNED is None:
        _SCANNED = {}
        try:
            from pymoo.core.algorithm import Algorithm
        except ImportError:  # pragma: no cover
            return _SCANNED
        for pkg_name in ("pymoo.algorithms.moo", "pymoo.algorithms.soo.nonconvex"):
            pkg = importlib.import_module(pkg_name)
            for info in pkgutil.iter_modules(pkg.__path__):
                mod_name = f"{pkg_name}.{info.name}"
                try:
                    mod = importlib.import_module(mod_name)
                except Exception:  # optional dependencies (optuna ...)
                    continue
                for cname, cls in inspect.getmembers(mod, inspect.isclass):
                    if issubclass(cls, Algorithm) and cls.__module__ == mod_name:
                        _SCANNED.setdefault(_norm(cname), (mod_name, cname))
    return _SCANNED


def find_algorithm(name: str) -> tuple[str, str] | None:
    key = _norm(name)
    if key in KNOWN:
        return KNOWN[key]
    return _scan().get(key)


def single_objective(module: str) -> bool:
    return ".soo." in module


#: genetic algorithms whose breeding is a sampling + mating pymoo's mixed-variable operators
#: replace (checked to run on mixed variables); the others get a real vector in [0, 1]^n
MIXED = {"NSGA2", "NSGA3", "UNSGA3", "SMSEMOA", "SPEA2", "GA", "AGEMOEA", "AGEMOEA2"}


def mixed_variables(name: str) -> bool:
    found = find_algorithm(name)
    return found is not None and found[1] in MIXED


def make_algorithm(name: str, n_obj: int, pop_size: int, seed: int, **kwargs: Any) -> Any:
    found = find_algorithm(name)
    if found is None:
        from ...errors import ArchError

        raise ArchError(f"no pymoo algorithm named '{name}'")
    module, cname = found
    cls = getattr(importlib.import_module(module), cname)
    params = inspect.signature(cls.__init__).parameters
    kw = dict(kwargs)
    if "pop_size" in params:
        kw.setdefault("pop_size", pop_size)
    if "ref_dirs" in params and "ref_dirs" not in kw:
        from pymoo.util.ref_dirs import get_reference_directions

        kw["ref_dirs"] = (get_reference_directions("energy", n_obj, pop_size, seed=seed + 1)
                          if n_obj > 1 else [[1.0]])
    from pymoo.algorithms.base.genetic import GeneticAlgorithm

    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if "eliminate_duplicates" in params or (var_kw and issubclass(cls, GeneticAlgorithm)):
        kw.setdefault("eliminate_duplicates", True)
    else:
        kw.pop("eliminate_duplicates", None)
    missing = [p for p, v in params.items() if p not in ("self", "kwargs", "args")
               and v.default is inspect.Parameter.empty and p not in kw]
    if missing:
        from ...errors import ArchError

        raise ArchError(f"pymoo's {cname} needs {', '.join(missing)}",
                        hint=f"give it in the space: search {{ strategy = {name}("
                             f"{missing[0]}=...) }}")
    return cls(**kw)


__all__ = ["find_algorithm", "make_algorithm", "mixed_variables", "single_objective", "KNOWN"]
