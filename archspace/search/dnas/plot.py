"""dnas/dnas.png: temperature, expected params, accuracy and theta per epoch."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def plot_history(path: Path, history: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [r["epoch"] for r in history]
    paths = list(history[-1]["probs"])
    fig, ax = plt.subplots(2, 2, figsize=(11, 7.5))
    ax[0, 0].plot(ep, [r["temperature"] for r in history], marker="o")
    ax[0, 0].set(title="Gumbel-softmax temperature", xlabel="epoch", yscale="log")
    ax[0, 1].plot(ep, [r["expected_params"] for r in history], marker="o")
    ax[0, 1].set(title="expected params E[P] (softmax theta)", xlabel="epoch")
    for key in ("accuracy", "theta_accuracy", "val_accuracy"):
        vals = [r.get(key) for r in history]
        if any(v is not None for v in vals):
            ax[1, 0].plot(ep, [float("nan") if v is None else v for v in vals], marker="o",
                          label=key)
    ax[1, 0].set(title="accuracy of the supernet", xlabel="epoch")
    ax[1, 0].legend(fontsize=8)
    # theta: the probability of each decision's leading candidate, per epoch
    for p in paths[:20]:
        last = history[-1]["probs"][p]
        lead = max(last, key=last.get)
        ax[1, 1].plot(ep, [r["probs"][p][lead] for r in history], label=f"{p} = {lead}")
    ax[1, 1].set(title="theta: probability of the leading candidate", xlabel="epoch",
                 ylim=(0, 1))
    ax[1, 1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    path.write_bytes(buf.getvalue())
