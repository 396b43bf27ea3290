"""Inequalities between two answer values: a <= b, a < b, a >= b, a > b at one point.

Both sides must be real numbers (a 1x1 value). A bound is taken literally: a decimal the
student wrote gets no rounding allowance (1/3 <= 0.333 is false). Only float64 noise counts as
equality: relative 1e-9 (1e-6 when a derivative came from central differences), none between
exact rationals, or the answer's own `tolerance:`. Huge powers (`bignum`) are compared exactly
on their terms and logarithms, never through float64: (9/10)^{10^{12}} > 0 holds. Sides equal
in that sense satisfy <= and >= but not < or >. An inequality is correct only if it holds at
every point tried; the first failing point is the counterexample.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers.bignum import LogNumber
from symbptt.answers.limits import LimitExceeded
from symbptt.answers.tolerance import (
    EXACT_FLOOR,
    EXACT_RELATIVE,
    FLOAT_FLOOR,
    FLOAT_RELATIVE,
    Tolerance,
    compare,
)

_FAILS = {"\\le": ">", "\\ge": "<", "<": "\\ge", ">": "\\le"}


def _number(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v[0, 0] if v.shape == (1, 1) else None
    return v


def _equal(a: Any, b: Any, explicit: Tolerance | None, fd: bool) -> bool:
    if explicit is not None:
        return compare(b, a, explicit)[0]
    if isinstance(a, Fraction | int | LogNumber) and isinstance(b, Fraction | int | LogNumber):
        return bool(a == b)  # exact, also for huge powers (decided on their terms)
    rel, floor = (FLOAT_RELATIVE, FLOAT_FLOOR) if fd else (EXACT_RELATIVE, EXACT_FLOOR)
    a, b = float(a), float(b)
    return abs(a - b) <= rel * max(abs(a), abs(b)) + floor


def relation(left: Any, right: Any, rel: str, explicit: Tolerance | None = None,
             fd: bool = False) -> tuple[bool | None, str]:  # fmt: skip
    """(True, '') if `left rel right` holds; (False, why) if not; (None, why) if not decidable.

    explicit: the answer's `tolerance:` (else float64 noise only); fd: a derivative came from
    central differences."""
    a, b = _number(left), _number(right)
    if a is None or b is None:
        shape = left.shape if a is None else right.shape
        return None, f"{rel} compares numbers; one side is a {shape[0]}x{shape[1]} value"
    if isinstance(a, complex) or isinstance(b, complex):
        return None, f"{rel} between complex numbers"
    try:
        finite = np.isfinite(float(a)) and np.isfinite(float(b))
    except (OverflowError, LimitExceeded):  # exact beyond float64 (10^{400}, 0.9^{10^{12}})
        finite = True
    if not finite:
        return None, f"{rel}: a side is not finite (overflow)"
    equal = _equal(a, b, explicit, fd)
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
        return False, f"the sides are equal ({_fmt(a)}): not strictly {rel}"
    return False, f"left side {_fmt(a)} {_FAILS[rel]} right side {_fmt(b)}"


def bound_tolerance(fd: bool) -> str:
    """The report's tolerance line for an inequality without a `tolerance:` of its own."""
    rel = FLOAT_RELATIVE if fd else EXACT_RELATIVE
    return f"the bound as written (equal only within float64 noise, relative {rel:g})"


def _fmt(x: Any) -> str:
    try:
        return f"{float(x):.6g}"
    except (OverflowError, LimitExceeded):  # an exact number beyond float64
        return str(LogNumber.of(x))
