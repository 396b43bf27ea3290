"""What the answer evaluator computes with: its errors, entries of a value, shape helpers.

Values are scalars (Fraction or float) or 2-D numpy arrays; a (1, 1) array acts as a scalar.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers.limits import MAX_BITS, LimitExceeded
from symbptt.answers.norms import SPECTRAL_NAMES
from symbptt.mathtext.ast import Add, Apply, Mul, Neg, Node, Num, Sub, Sym, walk

Value = Any

#: The upper limit of a \\sum_j without limits over an entry index (see `notation.resolve`):
#: j runs over the entries of the quantity it indexes.
EXTENT = "#extent"


class Undefined(Exception):
    """The quantity does not exist at this instantiation (h_{-1}, x_{T+1}); the point is skipped."""


class ComponentRange(Undefined):
    """An entry index outside the quantity (h_{t,3} with n = 2): skipped where the truth lacks it
    too, a wrong step where the truth has it."""


class ShapeError(Exception):
    """Sizes that do not fit (a 2x2 matrix plus a number, (2x1)(2x1)); a wrong step."""


class Unknown(Exception):
    """A symbol that is neither the model's, given, nor defined under `where:`; undecided."""


class NotExact(Exception):
    """The exact evaluator met something irrational (tanh, a derivative); use float64."""


def compound_key(node: Node) -> str | None:
    """The subscript of a compound name as one key: W -> 'W', W_{h} -> 'W_h', W_{hh} -> 'W_hh'
    (before or after `notation.resolve`), \\sigma -> '\\sigma'; None for an index expression."""
    if not isinstance(node, Sym):
        return None
    if not node.index:
        return node.name
    if len(node.index) != 1:
        return None
    sub, letters = node.index[0], []
    stack = [sub]
    while stack:
        x = stack.pop(0)
        if isinstance(x, Mul):
            stack[:0] = [x.a, x.b]
        elif isinstance(x, Sym) and not x.index and len(x.name) >= 1 and x.name.isalpha():
            letters.append(x.name)
        else:
            return None
    return f"{node.name}_{''.join(letters)}"


def component(value: Value, comps: tuple[int, ...], what: str) -> Value:
    """Entry comps (1-based) of a value: one index on a vector, two on a matrix."""
    if not comps:
        return value
    if not is_array(value):
        if all(c == 1 for c in comps):
            return value  # a 1x1 quantity (n = 1): its only entry
        raise ComponentRange(f"{what} is a number: no entry {comps}")
    rows, cols = value.shape
    if len(comps) == 1:
        if cols != 1 and rows != 1:
            raise ShapeError(f"{what} is a {dims(value)} matrix: an entry needs two indices")
        (j,) = comps
        size = max(rows, cols)
        if not 1 <= j <= size:
            raise ComponentRange(f"entry {j} of {what} (size {size})")
        return value[j - 1, 0] if cols == 1 else value[0, j - 1]
    if len(comps) == 2:
        j, i = comps
        if not (1 <= j <= rows and 1 <= i <= cols):
            raise ComponentRange(f"entry ({j}, {i}) of {what} ({dims(value)})")
        return value[j - 1, i - 1]
    raise ShapeError(f"{what}: at most two entry indices")


def check_bits(x: Any) -> None:
    """LimitExceeded for a Fraction beyond the exact arithmetic's size limit."""
    if isinstance(x, Fraction) and (
        x.numerator.bit_length() > MAX_BITS or x.denominator.bit_length() > MAX_BITS
    ):
        raise LimitExceeded(f"a number with more than {MAX_BITS} bits (exact arithmetic limit)")


def exactable(node: Node) -> bool:
    """True for an expression of numbers, letters and + - * only (an exponent kept exact)."""
    return all(isinstance(n, Num | Add | Sub | Neg | Mul | Sym) for n in walk(node)) and not any(
        isinstance(n, Sym) and n.index for n in walk(node)
    )


def is_spectral(node: Node) -> bool:
    """\\lambda_i(A), \\rho(A), ... or a bare \\lambda_i: values that may be complex."""
    if isinstance(node, Apply):
        return node.name in SPECTRAL_NAMES
    return isinstance(node, Sym) and node.name == "\\lambda" and len(node.index) == 1


def identity(n: int, exact: bool) -> np.ndarray:
    """The n x n identity, of Fractions when exact."""
    if exact:
        return np.array([[Fraction(int(i == j)) for j in range(n)] for i in range(n)], dtype=object)
    return np.eye(n)


def is_array(v: Value) -> bool:
    """True for a matrix or vector value (a 2-D array)."""
    return isinstance(v, np.ndarray)


def scalar_like(v: Value) -> bool:
    """True for a number or a 1x1 array."""
    return not is_array(v) or v.shape == (1, 1)


def scalar(v: Value) -> Value:
    """A 1x1 array's entry; any other value unchanged."""
    return v[0, 0] if is_array(v) and v.shape == (1, 1) else v


def dims(v: Value) -> str:
    """'2x3' (a number is '1x1'), for messages."""
    return f"{v.shape[0]}x{v.shape[1]}" if is_array(v) else "1x1"


def to_float(v: Value) -> np.ndarray:
    """Any value as a 2-D float64 array (scalars become 1x1)."""
    if is_array(v):
        return np.asarray(v.astype(float) if v.dtype == object else v, dtype=float)
    return np.array([[float(v)]])
