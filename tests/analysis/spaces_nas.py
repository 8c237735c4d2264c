"""Cell-based NAS spaces written the way a new user would write them, for the exactness tests of
the whole-space analysis (tests/analysis/test_exact_bounds.py).

NB201: a NAS-Bench-201-like space. One cell is a 4-node DAG (node 0 is the cell's input) with 6
edges i -> j (i < j); every edge is one of none (NAS-Bench-201's "zero"), skip_connect,
nor_conv_1x1, nor_conv_3x3 (ReLU-Conv-BN) and avg_pool_3x3. One genotype (6 parameters) is
shared by 15 cells: 3 stages of 5 cells at 16 / 32 / 64 channels, with a residual reduction
block (stride 2, projected shortcut) between stages. 5^6 = 15,625 architectures.

How `none` (zero) is written: archspace has no zero op. A node is the sum of its incoming
edges, and a `none` edge is simply left out of that sum: the cell computes each node's terms one
after another and closes the sum with one `choice eIJ { none: | ...: merge add with tIJ }` per
earlier term, which switches on the genotype parameter (no new decision) and adds the term only
when its edge is not `none`. The one case this cannot express is a node whose *last* computed
edge is `none`: the branch `none:` is empty, so that term passes its input tensor through
instead of a zero tensor. Neither a zero tensor nor an add has weights or MACs, so the
parameter and MAC counts (all these tests look at) are exactly NAS-Bench-201's; only the values
a trained network would compute differ in that case.

DARTS: a DARTS-like space. One cell has an input node n0 and 4 intermediate nodes; node k is
the sum of two edges, each an op of {sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, max_pool_3x3,
avg_pool_3x3, skip_connect} applied to an earlier node that is searched too (node 1 reads n0
twice). The cell's output concatenates nodes 1..4 and a 1x1 convolution brings it back to the
cell's width. One genotype (8 ops, 6 inputs: 6^8 * 2*2*3*3*4*4 = 967,458,816 architectures)
is shared by 9 cells in 3 stages of 16 / 32 / 64 channels, with residual reduction blocks.
Every node of a cell has the cell's shape, so parameters and MACs do not depend on which node
an edge reads, and they add up over edges: the test checks both facts with the builder and then
computes the exact extremes edge by edge.
"""

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_EDGES = ("e01", "e02", "e12", "e03", "e13", "e23")


def _nb201_close(edge: str, tap: str) -> str:
    """Add term `tap` to the current sum unless its edge is `none`."""
    return (f"  choice {edge} {{ none: "
            + "".join(f" | {op}: merge add with {tap}" for op in NB201_OPS[1:]) + " }\n")


def nb201(cells: int = 5, size: int = 32) -> str:
    """The NB201 space with `cells` cells per stage on a `size` x `size` input (the full space:
    5 and 32; the brute-force test uses a smaller network over the same 15,625 genotypes)."""
    return (
    f'space nb201 "NAS-Bench-201-like: {3 * cells} cells share one 6-edge genotype"\n'
    f"input image: {size}x{size}x3\n"
    "output classes: 10\n\n"
    + "".join(f"param {e} = choice({', '.join(NB201_OPS)}) default nor_conv_3x3\n"
              for e in NB201_EDGES)
    + """
# one edge: its op follows the genotype parameter passed as `op` (a switch, no decision)
block edge(op, c) {
  choice op {
    none:
  | skip_connect: identity
  | nor_conv_1x1: relu conv(c, 1x1, bias=false) bn
  | nor_conv_3x3: relu conv(c, 3x3, bias=false) bn
  | avg_pool_3x3: avgpool(3x3, stride=1, padding=same)
  }
}

block cell(c) {
  identity as n0
  edge(e01, c) as n1             # node 1 = e01(n0)
  from n0
  edge(e02, c) as t02            # node 2 = e02(n0) + e12(n1)
  from n1
  edge(e12, c)
""" + _nb201_close("e02", "t02") + """  identity as n2
  from n0
  edge(e03, c) as t03            # node 3 = e03(n0) + e13(n1) + e23(n2)
  from n1
  edge(e13, c) as t13
  from n2
  edge(e23, c)
""" + _nb201_close("e13", "t13") + _nb201_close("e03", "t03") + """}

# ResNet basic block with stride 2 and a projected shortcut, between stages
block reduce(c) {
  skip project {
    relu conv(c, 3x3, stride=2, bias=false) bn
    relu conv(c, 3x3, bias=false) bn
  }
}

network {
  conv(16, 3x3, bias=false) as stem
  bn
  repeat stage1 in CELLS..CELLS { cell(16) }
  reduce(32)
  repeat stage2 in CELLS..CELLS { cell(32) }
  reduce(64)
  repeat stage3 in CELLS..CELLS { cell(64) }
  bn
  relu
  global_avg_pool
  dense(classes, softmax)
}
""".replace("CELLS", str(cells)))


NB201 = nb201()

DARTS_OPS = ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "max_pool_3x3", "avg_pool_3x3",
             "skip_connect")
#: (op parameter, input parameter or None when the edge can only read n0)
DARTS_EDGES = (("o1a", None), ("o1b", None), ("o2a", "i2a"), ("o2b", "i2b"), ("o3a", "i3a"),
               ("o3b", "i3b"), ("o4a", "i4a"), ("o4b", "i4b"))


def _darts_inputs(node: int) -> tuple[str, ...]:
    return tuple(f"n{j}" for j in range(node))


def _darts_node(node: int) -> str:
    lines = []
    for half in ("a", "b"):
        op, inp = f"o{node}{half}", (f"i{node}{half}" if node > 1 else None)
        if inp is None:
            lines.append("  from n0")
        else:
            lines.append(f"  choice {inp} {{ "
                         + " | ".join(f"{n}: from {n}" for n in _darts_inputs(node)) + " }")
        lines.append(f"  dop({op}, c) as h{node}{half}")
    lines.append(f"  merge add with h{node}a as n{node}")
    return "\n".join(lines) + "\n"


DARTS = (
    'space darts_like "DARTS-like: 9 cells share one genotype of 8 edges and their inputs"\n'
    "input image: 32x32x3\n"
    "output classes: 10\n\n"
    + "".join(f"param {op} = choice({', '.join(DARTS_OPS)}) default sep_conv_3x3\n"
              for op, _ in DARTS_EDGES)
    + "".join(f"param {inp} = choice({', '.join(_darts_inputs(int(inp[1])))})\n"
              for _, inp in DARTS_EDGES if inp)
    + """
block dop(op, c) {
  choice op {
    sep_conv_3x3: relu sepconv(c, 3x3, bias=false) bn
  | sep_conv_5x5: relu sepconv(c, 5x5, bias=false) bn
  | dil_conv_3x3: relu conv(c, 3x3, dilation=2, bias=false) bn
  | max_pool_3x3: maxpool(3x3, stride=1, padding=same)
  | avg_pool_3x3: avgpool(3x3, stride=1, padding=same)
  | skip_connect: identity
  }
}

block cell(c) {
  identity as n0
""" + "".join(_darts_node(k) for k in range(1, 5)) + """  merge concat with n3
  merge concat with n2
  merge concat with n1
  relu
  conv(c, 1x1, bias=false)
  bn
}

block reduce(c) {
  skip project {
    relu conv(c, 3x3, stride=2, bias=false) bn
    relu conv(c, 3x3, bias=false) bn
  }
}

network {
  conv(16, 3x3, bias=false) as stem
  bn
  repeat stage1 in 3..3 { cell(16) }
  reduce(32)
  repeat stage2 in 3..3 { cell(32) }
  reduce(64)
  repeat stage3 in 3..3 { cell(64) }
  global_avg_pool
  dense(classes, softmax)
}
""")
