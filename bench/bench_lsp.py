"""How fast the language server answers, per shipped space: the analysis of one document
version, the whole-space rules, the per-statement sizes hovers show (each computed once per
version, right after the diagnostics), then hover, completion, definition and the outline
on an analysed version. Target: every answer an editor waits for within 200 ms.

Columns: analysis = load + the quick lint rules (the first diagnostics); whole = the
whole-space rules (a second publish when they find something); sizes = the three graph
builds behind a statement hover. In-process: the JSON-RPC round trip adds little.

    python bench/bench_lsp.py [--repeat 3] [spaces/x.arch ...]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spaces", nargs="*", help="default: every spaces/*.arch")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from lsprotocol import types as T

    from archspace.lsp.completion import completion
    from archspace.lsp.document import Analysis
    from archspace.lsp.hover import hover
    from archspace.lsp.navigation import definition, document_symbols
    from archspace.lsp.positions import path_to_uri

    files = [Path(p) for p in args.spaces] or sorted((ROOT / "spaces").glob("*.arch"))
    print(f"{'space':24} {'analysis':>9} {'whole':>8} {'sizes':>8} {'hover':>8} {'complete':>9} "
          f"{'define':>8} {'outline':>8}   (ms, best of {args.repeat}; hover etc.: the "
          "slowest position)")
    for f in files:
        text = f.read_text()
        uri = path_to_uri(str(f))
        t_an, doc = best_of(args.repeat, lambda: Analysis(uri, 1, text))
        t_deep, _ = best_of(1, doc.deepen)
        t_sz, _ = best_of(1, lambda: doc.sizes)
        # every call statement's op and every word of the network
        spots = [T.Position(i, m.start()) for i, line in enumerate(doc.lines)
                 for m in re.finditer(r"[A-Za-z_]\w*", line)][:400]
        worst = {}
        for name, fn in (("hover", lambda p: hover(doc, p)),
                         ("complete", lambda p: completion(doc, doc, p)),
                         ("define", lambda p: definition(doc, p))):
            worst[name] = max(best_of(args.repeat, lambda: fn(p))[0] for p in spots)
        t_sym, _ = best_of(args.repeat, lambda: document_symbols(doc))
        print(f"{f.stem:24} {t_an * 1e3:9.1f} {t_deep * 1e3:8.1f} {t_sz * 1e3:8.1f} {worst['hover'] * 1e3:8.2f} "
              f"{worst['complete'] * 1e3:9.2f} {worst['define'] * 1e3:8.2f} "
              f"{t_sym * 1e3:8.2f}")


if __name__ == "__main__":
    main()
