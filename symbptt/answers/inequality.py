"""Inequalities between two answer values: a <= b, a < b, a >= b, a > b at one point.

Both sides must be real numbers (a 1x1 value). Within the step's tolerance the two sides count
as equal: that satisfies <= and >= but not < or > (exact rationals decide strictness exactly).
An inequality is correct only if it holds at every point tried; the first failing point is the
counterexample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symbptt.answers.tolerance import Tolerance, compare

SYMBOL = {"\\le": "\\le", "\\ge": "\\ge", "<": "<", ">": ">"}
_FAILS = {"\\le": ">", "\\ge": "<", "<": "\\ge", ">": "\\le"}


def _number(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v[0, 0] if v.shape == (1, 1) else None
    return v


def relation(left: Any, right: Any, rel: str, tol: Tolerance) -> tuple[bool | None, str]:
    """(True, '') if `left rel right` holds; (False, why) if not; (None, why) if not decidable."""
    a, b = _number(left), _number(right)
    if a is None or b is None:
        shape = left.shape if a is None else right.shape
        return None, f"{rel} compares numbers; one side is a {shape[0]}x{shape[1]} value"
    if isinstance(a, complex) or isinstance(b, complex):
        return None, f"{rel} between complex numbers"
    try:
        equal, _ = compare(b, a, tol)
    except (TypeError, ValueError):
        equal = a == b
    if rel == "\\le":
        ok = a <= b or equal
    elif rel == "\\ge":
        ok = a >= b or equal
    elif rel == "<":
        ok = a < b and not equal
    else:
        ok = a > b and not equal
    if ok:
        return True, ""
    if equal and rel in ("<", ">"):
        return False, f"the sides are equal ({_fmt(a)}) within the tolerance: not strictly {rel}"
    return False, f"left side {_fmt(a)} {_FAILS[rel]} right side {_fmt(b)}"


def _fmt(x: Any) -> str:
    return f"{float(x):.6g}"
