"""Reports of a run directory: leaderboard (csv, json), Pareto front (csv, png, hypervolume per
generation), report.html with the plots and the best architectures described in words."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any, Sequence

from ..ir import Space
from ..ir.decisions import decisions_of
from .pareto import costs, front, hypervolume, reference
from .rundir import RunDir, atomic_write, dumps
from .settings import Objective, Settings, fmt_number


# ---- ordering -------------------------------------------------------------------------------
def leaderboard(records: Sequence[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """Completed feasible trials best first, then completed infeasible, then failed."""
    o = settings.primary

    def key(r: dict[str, Any]):
        if r["status"] != "completed":
            return (2, 0.0, 0)
        v = r["objectives"].get(o.metric, float("nan"))
        return (0 if r.get("feasible", True) else 1, -v if o.direction == "max" else v,
                r.get("params") or 0)

    return sorted(records, key=key)


# ---- words ----------------------------------------------------------------------------------
def describe(space: Space, config: dict[str, Any]) -> list[str]:
    """The architecture of one configuration in a few sentences."""
    dl = decisions_of(space)
    by_src: dict[str, list] = {}
    for d in dl:
        if d.path in config:
            by_src.setdefault(d.source, []).append((d, config[d.path]))
    out = []
    reps = by_src.get("repeat", [])
    if reps:
        out.append("Repeats: " + ", ".join(f"{d.path} x{v} (of {d.lo}..{d.hi})" for d, v in reps)
                   + ".")
    opts = by_src.get("optional", [])
    if opts:
        groups: dict[str, list[str]] = {}
        off: dict[str, int] = {}
        for d, v in opts:
            parent, _, leaf = d.path.rpartition("/")
            if v:
                groups.setdefault(leaf, []).append(parent or "(top)")
            else:
                off[leaf] = off.get(leaf, 0) + 1
        parts = [f"{leaf} on at {', '.join(where)}" + (f" (off at {off[leaf]} other place"
                 f"{'s' if off.get(leaf, 0) != 1 else ''})" if off.get(leaf) else "")
                 for leaf, where in groups.items()]
        parts += [f"no {leaf} ({n} place{'s' if n != 1 else ''})" for leaf, n in off.items()
                  if leaf not in groups]
        out.append("Optional blocks: " + "; ".join(parts) + ".")
    towers = by_src.get("towers", [])
    for d, v in towers:
        out.append(f"Merge point of the inputs: @{v} ({d.path}).")
    picks = by_src.get("pick", [])
    if picks:
        out.append("Picked inputs: " + ", ".join(f"{d.path} = {v}" for d, v in picks) + ".")
    choices = by_src.get("choice", [])
    if choices:
        out.append("Structure choices: " + ", ".join(f"{d.path} = {v}" for d, v in choices) + ".")
    params = by_src.get("param", []) + by_src.get("inline", [])
    if params:
        out.append("Layer settings: " + ", ".join(f"{d.path} = {_v(v)}" for d, v in params) + ".")
    train = by_src.get("train", []) + by_src.get("search", [])
    if train:
        out.append("Training: " + ", ".join(f"{d.path.split('/', 1)[1]} {_v(v)}"
                                            for d, v in train) + ".")
    return out or ["The default network (the space has no decision)."]


def _v(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


# ---- files ----------------------------------------------------------------------------------
_SIZE = ("params", "bytes", "macs")


def _row(r: dict[str, Any], objectives: Sequence[Objective], rank: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {"rank": rank if rank is not None else "", "trial": r["trial_id"],
                           "status": r["status"]}
    for o in objectives:
        row[o.metric] = (r.get("objectives") or {}).get(o.metric, "")
    for k in _SIZE:
        row[k] = r.get(k, "")
    row.update(feasible=r.get("feasible", ""), epochs=r.get("epochs_run", ""),
               time_s=r.get("time_s", ""), hash=r.get("hash", ""), reason=r.get("reason", ""),
               config=json.dumps(r.get("config", {}), sort_keys=False))
    return row


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    atomic_write(path, buf.getvalue())


def hypervolume_history(records: Sequence[dict[str, Any]], objectives: Sequence[Objective],
                        generations: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Hypervolume of the completed trials after each generation (pymoo) or each trial."""
    done = [r for r in records if r["status"] == "completed" and r.get("feasible", True)]
    if len(objectives) < 2 or not done:
        return []
    lo, hi = reference(done, objectives)
    out = []
    if generations:
        for g in generations:
            upto = [r for r in done if r.get("number", 0) < g["trials_so_far"]]
            out.append({"generation": g["generation"], "trials": g["trials_so_far"],
                        "hypervolume": hypervolume(costs(upto, objectives), lo, hi)})
    else:
        for i in range(len(records)):
            upto = [r for r in done if r.get("number", 0) <= i]
            out.append({"generation": i + 1, "trials": i + 1,
                        "hypervolume": hypervolume(costs(upto, objectives), lo, hi)})
    return out


def pareto_plot(path: Path, records: Sequence[dict[str, Any]], pareto: Sequence[dict[str, Any]],
                objectives: Sequence[Objective], hv: list[dict[str, Any]],
                skips: Sequence[dict[str, Any]] = (), by_generation: bool = False) -> None:
    # a Figure drawn on its own Agg canvas: no pyplot state, and a notebook's backend is left
    # as the user set it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    o1, o2 = objectives[0], objectives[1]
    done = [r for r in records if r["status"] == "completed"]

    def axis(o: Objective, r: dict[str, Any]) -> float:
        v = r["objectives"][o.metric]
        return 1.0 - v if o.accuracy_like else v

    def label(o: Objective) -> str:
        return (f"error (1 - {o.metric})" if o.accuracy_like else o.metric) + \
            (" (lower is better)" if o.direction == "min" or o.accuracy_like else
             " (higher is better)")

    fig = Figure(figsize=(12, 4.8))
    FigureCanvasAgg(fig)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    feas = [r for r in done if r.get("feasible", True)]
    infeas = [r for r in done if not r.get("feasible", True)]
    ax.scatter([axis(o2, r) for r in feas], [axis(o1, r) for r in feas], s=22, c="#9aa5b1",
               label=f"trials ({len(done)})", zorder=2)
    if infeas:
        ax.scatter([axis(o2, r) for r in infeas], [axis(o1, r) for r in infeas], s=22,
                   marker="x", c="#d08770", label="infeasible", zorder=2)
    if o2.static and skips:
        xs = [s[o2.metric] for s in skips if s.get("kind") == "constraint" and o2.metric in s]
        if xs:
            ymax = max([axis(o1, r) for r in done] or [1.0])
            ax.scatter(xs, [ymax] * len(xs), marker="|", c="#bf616a", s=60,
                       label=f"screened out, never trained ({len(xs)})", zorder=1)
    if pareto:
        P = sorted(pareto, key=lambda r: axis(o2, r))
        xs, ys = [axis(o2, r) for r in P], [axis(o1, r) for r in P]
        ax.step(xs, ys, where="post", c="#5e81ac", lw=1.5, zorder=3)
        ax.scatter(xs, ys, s=48, c="#5e81ac", edgecolors="k", label=f"Pareto front ({len(P)})",
                   zorder=4)
        for r in P:
            ax.annotate(r["trial_id"], (axis(o2, r), axis(o1, r)), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
    if o2.metric in ("params", "bytes", "macs", "flops", "trainable_params"):
        ax.set_xscale("log")
    ax.set_xlabel(label(o2))
    ax.set_ylabel(label(o1))
    ax.set_title("all trials, Pareto front highlighted")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if hv:
        ax2.plot([h["generation"] for h in hv], [h["hypervolume"] for h in hv], marker="o",
                 c="#a3be8c")
        ax2.set_xlabel("generation" if by_generation else "trials")
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))  # trial numbers are whole
        ax2.set_ylabel("hypervolume (normalised)")
        ax2.set_title("hypervolume per " + ("generation" if by_generation else "trial"))
        ax2.grid(alpha=0.3)
    else:
        ax2.axis("off")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    path.write_bytes(buf.getvalue())


def write_reports(run: RunDir, space: Space, settings: Settings,
                  generations: list[dict[str, Any]] | None = None
                  ) -> tuple[dict[str, Path], list[dict[str, Any]]]:
    records = [r for r in run.trials() if r.get("status") in ("completed", "failed")]
    skips = run.skips()
    objectives = list(settings.objectives)
    if generations is None:
        gpath = run.path / "generations.json"
        if gpath.exists():
            generations = json.loads(gpath.read_text(encoding="utf-8"))
    files: dict[str, Path] = {}
    board = leaderboard(records, settings)
    rows = []
    rank = 0
    for r in board:
        ok = r["status"] == "completed" and r.get("feasible", True)
        rank += ok
        rows.append(_row(r, objectives, rank if ok else None))
    _csv(run.path / "leaderboard.csv", rows)
    atomic_write(run.path / "leaderboard.json", dumps(
        [{k: v for k, v in r.items() if k != "history"} for r in board]))
    files["leaderboard"] = run.path / "leaderboard.csv"

    pareto: list[dict[str, Any]] = []
    hv: list[dict[str, Any]] = []
    if len(objectives) > 1:
        pareto = front(records, objectives)
        _csv(run.path / "pareto.csv", [_row(r, objectives, i + 1) for i, r in enumerate(pareto)])
        files["pareto"] = run.path / "pareto.csv"
        hv = hypervolume_history(records, objectives, generations)
        _csv(run.path / "hypervolume.csv", hv)
        if any(r["status"] == "completed" for r in records):
            try:
                pareto_plot(run.path / "pareto.png", records, pareto, objectives, hv, skips,
                            by_generation=bool(generations))
                files["pareto_png"] = run.path / "pareto.png"
            except ImportError:  # pragma: no cover - matplotlib missing
                pass
    (run.path / "report.html").write_text(
        report_html(run, space, settings, board, pareto, hv, skips), encoding="utf-8")
    files["report"] = run.path / "report.html"
    if (run.best_dir / "model.keras").exists():
        files["best_model"] = run.best_dir / "model.keras"
    return files, pareto


def report_html(run: RunDir, space: Space, settings: Settings, board: list[dict[str, Any]],
                pareto: list[dict[str, Any]], hv: list[dict[str, Any]],
                skips: list[dict[str, Any]]) -> str:
    e = html.escape
    objectives = list(settings.objectives)
    done = [r for r in board if r["status"] == "completed"]
    failed = [r for r in board if r["status"] == "failed"]
    kinds: dict[str, int] = {}
    for s in skips:
        kinds[s.get("kind", "?")] = kinds.get(s.get("kind", "?"), 0) + 1
    css = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
           "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
           "padding:3px 7px;text-align:right}th{background:#eef}td.l{text-align:left}"
           "code{font-size:12px}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;"
           "margin:.8em 0}")
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>archspace search: "
           f"{e(space.name or '')}</title><style>{css}</style></head><body>"]
    out.append(f"<h1>Search over <code>{e(space.name or '')}</code></h1>")
    out.append(f"<p>{e(space.description or '')}</p>")
    meta = run.meta()
    out.append("<p>" + e(f"strategy {settings.strategy}, {len(board)} trials "
                         f"({len(done)} completed, {len(failed)} failed), {len(skips)} proposals "
                         f"screened out before training") + (
        " (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")" if kinds else "") +
        ". " + e(f"Data: {meta.get('data_summary', meta.get('data'))}. Objectives: "
                 f"{', '.join(map(str, objectives))}.") +
        (e(" Constraints: " + ", ".join(map(str, settings.constraints)) + ".")
         if settings.constraints else "") + "</p>")
    png = run.path / "pareto.png"
    if png.exists():
        b64 = base64.b64encode(png.read_bytes()).decode()
        out.append(f"<h2>Pareto front</h2><img style='max-width:100%' "
                   f"src='data:image/png;base64,{b64}' alt='pareto front'>")
        if hv:
            out.append(f"<p>Hypervolume (normalised): {hv[-1]['hypervolume']:.4f} after "
                       f"{hv[-1]['trials']} trials.</p>")
    best = [r for r in board if r["status"] == "completed" and r.get("feasible", True)]
    show = pareto if pareto else best[:3]
    title = "The architectures on the Pareto front" if pareto else "The best architectures"
    out.append(f"<h2>{title}</h2>")
    for r in show[:8]:
        objs = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) and abs(v) < 100 else
                         f"{k} {fmt_number(v)}" for k, v in r["objectives"].items())
        out.append("<div class='card'>")
        out.append(f"<b>trial {e(r['trial_id'])}</b> - {e(objs)} - "
                   f"{r.get('params', 0):,} params, {fmt_number(r.get('bytes') or 0)}B, "
                   f"{fmt_number(r.get('macs') or 0)} MACs, hash <code>{e(r['hash'])}</code>")
        out.append("<ul>" + "".join(f"<li>{e(s)}</li>" for s in describe(space, r["config"]))
                   + "</ul></div>")
    out.extend(_dnas_section(run))
    sizes = [k for k in ("params", "macs") if k not in {o.metric for o in objectives}]
    out.append("<h2>Leaderboard</h2><table><tr><th>#</th><th>trial</th>" +
               "".join(f"<th>{e(o.metric)}</th>" for o in objectives) +
               "".join(f"<th>{k}</th>" for k in sizes) +
               "<th>epochs</th><th>time (s)</th><th>status</th></tr>")
    rank = 0
    for r in board:
        ok = r["status"] == "completed" and r.get("feasible", True)
        rank += ok
        cells = []
        for o in objectives:
            v = (r.get("objectives") or {}).get(o.metric)
            cells.append("" if v is None else (f"{v:.4f}" if isinstance(v, float) and abs(v) < 100
                                               else f"{v:,}"))
        status = r["status"] if r["status"] == "completed" and r.get("feasible", True) else (
            "infeasible" if r["status"] == "completed" else "failed: " + r.get("reason", ""))
        out.append(f"<tr><td>{rank if ok else ''}</td><td>{e(r['trial_id'])}</td>" +
                   "".join(f"<td>{c}</td>" for c in cells) +
                   "".join(f"<td>{fmt_number(r.get(k) or 0)}</td>" for k in sizes) +
                   f"<td>{r.get('epochs_run', '')}</td><td>{r.get('time_s', 0):.1f}</td>"
                   f"<td class='l'>{e(status)}</td></tr>")
    out.append("</table>")
    if skips:
        out.append("<h2>Screened out before training</h2><ul>")
        for s in skips[:30]:
            out.append(f"<li><code>{e(s.get('hash') or '')}</code> {e(s['reason'])}</li>")
        if len(skips) > 30:
            out.append(f"<li>... and {len(skips) - 30} more (skipped.jsonl)</li>")
        out.append("</ul>")
    out.append("<h2>Files</h2><p><code>best/model.keras</code>, <code>best/config.json</code>, "
               "<code>leaderboard.csv</code>, <code>trials/</code>; TensorBoard: "
               f"<code>tensorboard --logdir {e(str(run.path))}</code> (HParams tab). Retrain the "
               f"best (raise <code>--epochs</code> to train longer): "
               f"<code>{e(retrain_command(run, settings))}</code>.</p>")
    out.append("</body></html>")
    return "\n".join(out)


def retrain_command(run: RunDir, settings: Settings) -> str:
    """`archspace train` for the best trial, with the run's own space file and data (from
    search.json); SPACE / DATA stand only where the run does not know them (a Space object
    searched from Python)."""
    import shlex

    try:
        meta = run.meta()
    except (OSError, ValueError):
        meta = {}
    space_file = meta.get("space_file") or "SPACE"
    data = meta.get("data") or "DATA"
    q = (lambda x: x if x in ("SPACE", "DATA") else shlex.quote(str(x)))
    return (f"archspace train {q(space_file)} --config "
            f"{shlex.quote(str(run.best_dir / 'config.json'))} --data {q(data)} "
            f"--epochs {settings.epochs}")



def _dnas_section(run: RunDir) -> list[str]:
    """--strategy dnas: the supernet's epochs (dnas/), see search/dnas/."""
    from .dnas.report import dnas_html

    return dnas_html(run.path / "dnas")


__all__ = ["write_reports", "retrain_command", "leaderboard", "describe", "hypervolume_history"]
