"""Static analysis of a space, before any training and without TensorFlow.

- `graph.build_graph(space, config)`: one configuration -> its layer graph (shapes, exact
  parameter counts as Keras reports them, MACs).
- `whole_space.check_space(space)`: every configuration at once -> failures with counterexamples,
  exact min / max parameters and MACs with the configurations that reach them.
- `cardinality.cardinality(space)`: exact number of distinct architectures, by construct;
  training settings apart.
- `static_counter(space).count(config)`: exact counts of any configuration in microseconds
  (the whole-space walk's decision diagram; `build_graph` as the fallback).
- `summarize(space)`: all of the above for `archspace show`; `diagram`: the space as a picture.
- `lint(files)`: the rules of `archspace lint` (codes in `rules.py`).
"""

from __future__ import annotations

from .cardinality import Cardinality, cardinality
from .findings import RULES, Finding, Rule
from .lint import LintOptions, LintReport, lint
from .space_report import Extreme, Failure, SpaceReport
from .whole_space import check_space
from .summary import (Counts, StaticCounter, Summary, analyze, static_counter, static_counts,
                      summarize)

__all__ = ["lint", "LintOptions", "LintReport", "Finding", "Rule", "RULES", "analyze",
           "summarize", "Summary", "Counts", "static_counts", "static_counter", "StaticCounter", "check_space", "SpaceReport",
           "Extreme", "Failure", "cardinality", "Cardinality"]
