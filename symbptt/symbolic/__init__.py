"""The symbolic core: the unrolled graph, the three gradient forms, general-T statements.

`unroll` builds the graph for small T and n; `gradients` derives dE/dP directly, by BPTT and as
path sums; `general` and `steplemma` (separate modules) cover every T.
"""

from symbptt.symbolic.gradients import (
    Bptt,
    Path,
    bptt,
    direct,
    jacobian_product,
    path_sums,
)
from symbptt.symbolic.unroll import Unrolled, unroll

__all__ = [
    "Bptt",
    "Path",
    "Unrolled",
    "bptt",
    "direct",
    "jacobian_product",
    "path_sums",
    "unroll",
]
