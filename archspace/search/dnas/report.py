"""The dnas part of report.html: the plot and the derived architecture (no TensorFlow)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path


def dnas_html(folder: Path) -> list[str]:
    derived = folder / "derived.json"
    if not derived.exists():
        return []
    e = html.escape
    d = json.loads(derived.read_text(encoding="utf-8"))
    out = ["<h2>Differentiable search (dnas)</h2>",
           "<p>" + e(f"{len(d['relaxed'])} decisions relaxed (Gumbel-softmax), "
                     f"{len(d['not_relaxed'])} fixed at {d['fixed']} values; derived "
                     f"architecture: {d['params']:,} trainable params. Per epoch: "
                     "dnas/history.csv, dnas/history.json.") + "</p>"]
    png = folder / "dnas.png"
    if png.exists():
        b64 = base64.b64encode(png.read_bytes()).decode()
        out.append(f"<img style='max-width:100%' src='data:image/png;base64,{b64}' "
                   "alt='dnas: temperature, expected params, accuracy, theta per epoch'>")
    out.append("<table><tr><th>decision</th><th>derived</th><th>probabilities</th></tr>")
    for path, values in d["relaxed"].items():
        probs = ", ".join(f"{v}: {p:.3f}" for v, p in zip(values, d["probs"][path]))
        out.append(f"<tr><td class='l'>{e(path)}</td><td>{e(str(d['choice'][path]))}</td>"
                   f"<td class='l'>{e(probs)}</td></tr>")
    out.append("</table>")
    if d["not_relaxed"]:
        out.append("<p>Not relaxed: " + e("; ".join(f"{p} ({r})" for p, r in
                                                  d["not_relaxed"].items())) + "</p>")
    return out
