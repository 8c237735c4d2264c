"""`check_space`: run the whole-space walk (`states.SpaceWalker`) and turn its final states
into a `SpaceReport`; then replay the witnesses through the graph builder (a counterexample
must fail to build, an extreme must reproduce its counts)."""

from __future__ import annotations

from typing import Any

from ..errors import ArchError
from ..ir import Space
from ..ir.decisions import decisions_of
from .space_report import Extreme, Failure, SpaceReport
from .states import DEFAULT_CAP, MAX_M, MAX_P, MAX_T, MIN_M, MIN_P, MIN_T, SpaceWalker, chain_dict


def check_space(space: Space, *, cap: int = DEFAULT_CAP, verify: bool = True,
                max_failures: int = 20) -> SpaceReport:
    """Walk every configuration of `space` at once: failures with counterexamples, exact
    parameter and MAC extremes with the configurations that reach them."""
    from ..ir.config import canonical

    dl = decisions_of(space)
    w = SpaceWalker(space, dl.by_path(), cap=cap, max_failures=max_failures)
    final = w.run()
    report = SpaceReport(exact=w.exact, notes=list(w.notes), approximate=sorted(w.approx),
                         peak_states=w.peak, steps=w.steps, diagram=w.dg)
    defaults = canonical(space, {})

    def full(chain: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        read = chain_dict(chain)
        known = dl.by_path()
        read = {k: v for k, v in read.items() if k in known}
        try:
            return canonical(space, read), read
        except ArchError:
            return read, read

    default_failure = _default_failure(space, defaults) if w.failures else None
    for key, (f, st, where) in w.failures.items():
        cfg, read = full(st.ext[MIN_P][4])
        message, shapes, hint = f.message, f.shapes, f.hint
        if default_failure is not None and _same_place(default_failure, f):
            # the default already fails here: it is the counterexample a user reads best
            cfg, read, message = defaults, {}, default_failure.message
            shapes = getattr(default_failure, "shapes", shapes)
            hint = default_failure.hint if f.hint else hint
        report.failures.append(Failure(kind=f.kind, message=message, span=f.span, path=where,
                                       shapes=shapes, config=cfg, decisions=read,
                                       hint=hint, count=w.fail_counts.get(key, 0)))
    report.failures.sort(key=lambda x: (x.span.path, x.span.line, x.span.col) if x.span
                         else ("", 0, 0))
    final = [st.folded() if st.tabs else st for st in final]
    if final:
        total = final[0].clone()
        for st in final[1:]:
            total.absorb(st)
        report.configs = int(total.count)
        report.outputs = sorted({st.cur for st in final if st.cur is not None})
        for attr, i in (("min_params", MIN_P), ("max_params", MAX_P), ("min_macs", MIN_M),
                        ("max_macs", MAX_M), ("min_trainable", MIN_T),
                        ("max_trainable", MAX_T)):
            p, t, nt, m, chain = total.ext[i]
            cfg, _read = full(chain)
            setattr(report, attr, Extreme(params=p, trainable=t, non_trainable=nt, macs=m,
                                          config=cfg))
    if verify:
        _verify(space, report, defaults)
    return report


def _default_failure(space: Space, defaults: dict[str, Any]) -> ArchError | None:
    """The error building the default configuration raises, if it fails."""
    from .graph import build_graph

    try:
        build_graph(space, defaults)
    except ArchError as e:
        return e
    return None


def _same_place(e: ArchError, f: Any) -> bool:
    a, b = e.span, f.span
    return a is not None and b is not None and (a.path, a.line, a.col) == (b.path, b.line, b.col)


def _verify(space: Space, report: SpaceReport, defaults: dict[str, Any]) -> None:
    """Replay witnesses through the Builder: the extremes must give the same counts and every
    counterexample must fail to build."""
    from .graph import build_graph

    cache: dict[str, Any] = {}

    def build(cfg: dict[str, Any]) -> Any:
        import json

        k = json.dumps(cfg, sort_keys=True, default=str)
        if k not in cache:
            try:
                cache[k] = build_graph(space, cfg)
            except ArchError as e:
                cache[k] = e
        return cache[k]

    for e in (report.min_params, report.max_params, report.min_macs, report.max_macs,
              report.min_trainable, report.max_trainable):
        if e is None:
            continue
        g = build(e.config)
        e.verified = not isinstance(g, Exception) and (g.params, g.trainable, g.macs) == (
            e.params, e.trainable, e.macs)
        if not e.verified:
            report.exact = False
            note = "internal: a witness configuration does not reproduce its counts"
            if note not in report.notes:
                report.notes.append(note)
    for f in report.failures:
        f.verified = isinstance(build(f.config), ArchError)
