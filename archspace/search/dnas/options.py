"""dnas settings: the seed's method by default, the public code's variants as options.

Given as strategy arguments, in the space (`search { strategy = dnas(beta=0.8, target=316228) }`)
or from Python (`archspace.search(..., strategy="dnas", strategy_args={...})`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from ...errors import ArchError


@dataclass(frozen=True)
class DnasOptions:
    beta: float = 0.8                       # loss = CE * P(H)^beta (seed 003)
    temperature: float = 5.0                # initial Gumbel-softmax temperature
    anneal: float = math.exp(-0.645)        # temperature x anneal per epoch (public code: e^-0.045)
    min_temperature: float = 0.01           # floor: e^-0.645 per epoch reaches 1e-28 by epoch 100
    warmup: int = 0                         # epochs with the temperature held and theta frozen
    target: float | None = None             # P*: penalty (max(E[P], P*) / P*)^beta (public code)
    theta_lr: float = 0.01                  # Adam on the architecture weights
    theta_share: float = 0.2                # the training data thetas learn on (80/20 split)
    fixed: str = "default"                  # decisions not relaxed: default | sample
    search_epochs: int | None = None        # supernet epochs (default: the trial epochs)

    @property
    def seed_penalty(self) -> bool:
        """The seed's P(H): the parameters the relaxed decisions change; with a target P*, the
        public code's whole-network expected count."""
        return self.target is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dnas_options(args: Mapping[str, Any]) -> DnasOptions:
    known = {f.name: f for f in fields(DnasOptions)}
    out: dict[str, Any] = {}
    for k, v in args.items():
        if k not in known:
            from ...blocks.base import suggest

            raise ArchError(f"dnas has no option '{k}'",
                            hint=(suggest(k, known).strip(" ()") or "options: " +
                                  ", ".join(known)))
        out[k] = v
    o = DnasOptions(**out)
    if o.fixed not in ("default", "sample"):
        raise ArchError(f"dnas: fixed={o.fixed!r}", hint="fixed = default or sample")
    if not 0 < o.theta_share < 1:
        raise ArchError(f"dnas: theta_share={o.theta_share} must be between 0 and 1")
    if o.temperature <= 0 or not 0 < o.anneal <= 1:
        raise ArchError("dnas: the temperature must be > 0 and the annealing rate in (0, 1]")
    return o


def temperature(o: DnasOptions, epoch: int) -> float:
    """Temperature of epoch `epoch` (0-based): held through the warm-up, then annealed."""
    return max(o.min_temperature, o.temperature * o.anneal ** max(0, epoch - o.warmup))
