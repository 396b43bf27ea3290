"""Layout conventions for derivatives by vectors: how d num / d den is shaped as a matrix.

For a vector y (p entries) and a vector x (q entries) let J be the Jacobian, J[i, j] = dy_i/dx_j
(p x q, rows = outputs). The three readings the checker knows:

- `mixed` (the default): dy/dx = J, and a scalar's gradient dL/dx is a column (q x 1), shaped
  like x. The chain rule then reads dL/dh_1 = (dh_2/dh_1)^T (dh_3/dh_2)^T dL/dh_3.
- `numerator`: dy/dx = J and dL/dx is a row (1 x q). The chain runs left to right:
  dL_3/dh_1 = dL_3/dh_3 dh_3/dh_2 dh_2/dh_1 (homework 3, many courses).
- `denominator`: dy/dx = J^T (q x p) and dL/dx a column. The chain runs right to left:
  dL/dh_1 = dh_2/dh_1 dh_3/dh_2 dL/dh_3; dh_t/dh_{t-1} = W^T diag(f'(net_t)).

A derivative by a matrix (dL/dW) has the shape of the matrix in every layout, and \\nabla_x L is
always a column. An answer or a derivation file may declare `layout:`; otherwise the layout is
inferred when the answer's shapes fit one other layout better than the rest (`_fitting`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

LAYOUTS = ("mixed", "numerator", "denominator")
DECLARABLE = ("numerator", "denominator", "mixed")

DESCRIBE = {
    "mixed": "mixed layout (dy/dx the Jacobian, rows = outputs; dL/dx a column)",
    "numerator": "numerator layout (dy/dx the Jacobian, rows = outputs; dL/dx a row)",
    "denominator": "denominator layout (dy/dx the transposed Jacobian; dL/dx a column)",
}


def orient(value: Any, num_shape: tuple[int, int], den_shape: tuple[int, int], layout: str) -> Any:
    """The derivative `value` (as the graph gives it) laid out in `layout`.

    num_shape/den_shape: the shapes of the quantities differentiated (after entry picks). A
    vector by a vector is J in numerator layout and J^T in denominator layout; with a number on
    one side the result is made a row or a column as the layout says (numerator: p x q for p
    outputs and q inputs, denominator: q x p). Derivatives by or of matrices are left alone."""
    if layout == "mixed" or not isinstance(value, np.ndarray):
        return value
    if num_shape[1] != 1 or den_shape[1] != 1:  # a matrix on either side: its own shape
        return value
    p, q = num_shape[0], den_shape[0]
    if p > 1 and q > 1:  # the graph's value is the Jacobian J (rows = outputs)
        return value if layout == "numerator" else value.T
    target = (p, q) if layout == "numerator" else (q, p)
    if value.shape != target and value.T.shape == target:
        return value.T
    return value


def check_layout(value: Any) -> str | None:
    """None if value is a valid declaration (or absent), else the message for an input error."""
    if value is None or value in DECLARABLE:
        return None
    return f"layout must be numerator, denominator or mixed, found {value!r}"


def _has_derivative(nodes: list[Any]) -> bool:
    from symbptt.mathtext.ast import Deriv, walk

    return any(isinstance(n, Deriv) for root in nodes for n in walk(root))


def choose_layout(ctx: Any, parts: list[Any], declared: str | None) -> tuple[str, str]:
    """(layout, note): the declared layout; else mixed unless one other layout fits the answer's
    shapes strictly better than every other (then that one, with a note for the reason)."""
    if declared:
        return declared, ""
    bodies = [b for _, b in ctx.defs.where.values()]
    if not ctx.symbolic or not _has_derivative(list(parts) + bodies):
        return "mixed", ""
    scores = {layout: _fitting(ctx, parts, layout) for layout in LAYOUTS}
    best = max(scores.values())
    winners = [layout for layout, score in scores.items() if score == best]
    if len(winners) != 1 or winners[0] == "mixed":
        return "mixed", ""
    return winners[0], f"read in {DESCRIBE[winners[0]]}, the layout its shapes fit best"


def _fitting(ctx: Any, parts: list[Any], layout: str) -> int:
    """How many of the parts evaluate in `layout`, at a point with n >= 2, without a shape error
    and with the left-hand side's shape (every part counts when nothing can be evaluated)."""
    from symbptt.answers.evaluate import Evaluator, ShapeError, Undefined, to_float

    saved = ctx.layout
    ctx.layout = layout
    worlds = itertools.chain(ctx.worlds(quick=True), ctx.worlds())  # E_4 needs T = 4: all sizes
    try:
        for _, world in worlds:
            if world.n < 2:
                continue
            for scope in ctx.assignments(world):
                shapes: list[tuple[int, int] | None] = []
                try:
                    for p in parts:
                        ev = Evaluator(world, exact=False)
                        try:
                            shapes.append(to_float(ev.ev(p, dict(scope))).shape)
                        except ShapeError:
                            shapes.append(None)
                except Undefined:
                    continue  # not at this point: try the next one
                except Exception:  # noqa: BLE001 - unknown symbols etc. are judged later
                    return len(parts)
                lhs = shapes[0]
                if lhs is None:
                    return sum(s is not None for s in shapes)
                return sum(s == lhs for s in shapes)
        return len(parts)
    finally:
        ctx.layout = saved
