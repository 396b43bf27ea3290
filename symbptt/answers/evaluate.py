"""Evaluate an answer AST to a value: exact rationals (object arrays of Fraction) or float64.

Values are scalars (Fraction or float) or 2-D numpy arrays; a (1, 1) array acts as a scalar in
products. Symbols, derivatives and index variables come from an `Env` (see `truth.World`); this
module only knows the algebra and its shape rules, and enforces the size limits on the way.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from symbptt.answers import norms
from symbptt.answers.bignum import LogNumber, huge_power
from symbptt.answers.limits import MAX_DIM, MAX_EXPONENT, LimitExceeded, check_exponent
from symbptt.answers.norms import SPECTRAL_NAMES
from symbptt.answers.reductions import Reductions
from symbptt.answers.values import (
    EXTENT,
    ComponentRange,
    NotExact,
    ShapeError,
    Undefined,
    Unknown,
    Value,
    check_bits,
    component,
    compound_key,
    dims,
    exactable,
    identity,
    is_array,
    scalar,
    scalar_like,
    to_float,
)
from symbptt.mathtext.ast import (
    Add,
    Apply,
    Deriv,
    Div,
    Hop,
    Matrix,
    Mul,
    Nabla,
    Neg,
    Node,
    Num,
    Pow,
    Sub,
    Sym,
    Transpose,
    show,
)

__all__ = [
    "EXTENT",
    "ComponentRange",
    "Env",
    "Evaluator",
    "NotExact",
    "ShapeError",
    "Undefined",
    "Unknown",
    "Value",
    "component",
    "compound_key",
    "to_float",
]

_HOP_HINT = "; ⊙ binds more loosely than the matrix product here; add parentheses"


class Env(Protocol):
    """Where symbol values, derivatives and the hidden size come from."""

    n: int
    T: int

    def has(self, name: str) -> bool: ...

    def lookup(self, name: str, idx: tuple[int, ...], ev: Evaluator) -> Value: ...

    def derivative(self, num: Node, den: Node, ev: Evaluator, scope: dict[str, int]) -> Value: ...

    def step_derivative(self, num: Node, wrt: Node, t: int, ev: Evaluator,
                        scope: dict[str, int]) -> Value: ...  # fmt: skip

    def function(self, name: str, deriv: int) -> Any: ...


def _steps_name(env: object) -> str | None:
    """The model's name for the number of steps when it is not T (\\tau), else None."""
    model = getattr(env, "model", None)
    steps = getattr(getattr(model, "notation", None), "steps", "T")
    return steps if steps != "T" else None


class Evaluator(Reductions):
    """Evaluates nodes in one Env; `exact=True` keeps Fractions and raises NotExact otherwise."""

    def __init__(self, env: Env, *, exact: bool = False) -> None:
        self.env = env
        self.exact = exact
        self._complex_ok = False  # inside |...|: an eigenvalue may be complex (see `_Abs`)

    def __call__(self, node: Node, scope: dict[str, int] | None = None) -> Value:
        return self.ev(node, dict(scope or {}))

    def index(self, node: Node, scope: dict[str, int]) -> int:
        """An index expression (t-1, k+1, T) as an integer."""
        try:
            v = (
                Evaluator(self.env, exact=True).ev(node, scope)
                if not self.exact
                else self.ev(node, scope)
            )
        except NotExact:  # a model quantity inside an index (W_{y-1})
            raise ShapeError(f"index {show(node)} is not an integer") from None
        v = scalar(v)
        if isinstance(v, Fraction) and v.denominator == 1:
            return int(v)
        if isinstance(v, int):
            return v
        raise ShapeError(f"index {show(node)} is not an integer")

    def ev(self, node: Node, scope: dict[str, int]) -> Value:
        """Evaluate one node with index variables bound in scope."""
        m = getattr(self, "_" + type(node).__name__, None)
        if m is None:
            raise ShapeError(f"cannot evaluate {show(node)}")
        return m(node, scope)

    # ------------------------------------------------------------------ leaves

    def _Num(self, node: Num, scope: dict[str, int]) -> Value:
        return node.value if self.exact else float(node.value)

    def _Sym(self, node: Sym, scope: dict[str, int]) -> Value:
        if not node.index and node.name in scope:
            v = scope[node.name]
            return Fraction(v) if self.exact else float(v)
        if not node.index and (node.name == "T" or node.name == _steps_name(self.env)):
            return Fraction(self.env.T) if self.exact else float(self.env.T)  # T, or the \\tau
            # of a model whose notation writes the number of steps so (symbols.steps)
        if len(node.index) == 1:  # W_h, b_y, \\beta_{W_{hh}}: a name, not an index
            key = compound_key(node.index[0])
            if key is not None and self.env.has(f"{node.name}_{key}"):
                return self.env.lookup(f"{node.name}_{key}", (), self)
        if node.name == "\\lambda" and len(node.index) == 1 and not self.env.has("\\lambda"):
            return self._spectral(Apply("\\lambda_", 0, (Sym("\\lambda"), node.index[0])), scope)
        try:
            idx = tuple(self.index(i, scope) for i in node.index)
        except ShapeError:  # \\gamma_{W}: a name nobody defined, not a wrong index
            if not self.env.has(node.name):
                why = f"unknown symbol {show(node)} (not in the model, given or where)"
                raise Unknown(why) from None
            raise
        return self.env.lookup(node.name, idx, self)

    def _Matrix(self, node: Matrix, scope: dict[str, int]) -> Value:
        rows = [[scalar(self.ev(c, scope)) for c in row] for row in node.rows]
        for row in rows:
            for c in row:
                if isinstance(c, np.ndarray):
                    raise ShapeError("a matrix entry must be a number")
        return np.array(rows, dtype=object if self.exact else float)

    # ------------------------------------------------------------------ arithmetic

    def _Add(self, node: Add, scope: dict[str, int]) -> Value:
        return self._plus(self.ev(node.a, scope), self.ev(node.b, scope), node, 1)

    def _Sub(self, node: Sub, scope: dict[str, int]) -> Value:
        return self._plus(self.ev(node.a, scope), self.ev(node.b, scope), node, -1)

    def _plus(self, a: Value, b: Value, node: Node, sign: int) -> Value:
        if is_array(a) and is_array(b) and a.shape != b.shape:
            raise ShapeError(f"{show(node)}: cannot add {dims(a)} and {dims(b)}")
        if is_array(a) != is_array(b):
            arr = a if is_array(a) else b
            other = b if is_array(a) else a
            # a number and a column vector add entrywise (the course notes' 1 - s_t^2); a number
            # and a matrix do not (Q - 1 is a slip, not a broadcast)
            if arr.shape != (1, 1) and arr.shape[1] != 1 and other != 0:
                raise ShapeError(f"{show(node)}: cannot add a number and a {dims(arr)} matrix")
        return self._check(a + b if sign > 0 else a - b)

    def _Neg(self, node: Neg, scope: dict[str, int]) -> Value:
        return -self.ev(node.a, scope)

    def _Mul(self, node: Mul, scope: dict[str, int]) -> Value:
        return self._times(self.ev(node.a, scope), self.ev(node.b, scope), node)

    def _times(self, a: Value, b: Value, node: Node) -> Value:
        if scalar_like(a) or scalar_like(b):
            return self._check(
                scalar(a) * scalar(b)
                if scalar_like(a) and scalar_like(b)
                else scalar(a) * scalar(b)
            )
        if a.shape[1] != b.shape[0]:
            raise ShapeError(f"{show(node)}: cannot multiply {dims(a)} by {dims(b)}")
        return self._check(a @ b)

    def _Hop(self, node: Hop, scope: dict[str, int]) -> Value:
        a, b = self.ev(node.a, scope), self.ev(node.b, scope)
        if node.op == "\\otimes":
            if scalar_like(a) or scalar_like(b):
                return self._check(scalar(a) * scalar(b))
            if a.shape[1] == 1 and b.shape[1] == 1:
                return self._check(a @ b.T)
            return self._check(np.kron(a, b))
        if is_array(a) and is_array(b) and a.shape != b.shape:
            if not (scalar_like(a) or scalar_like(b)):
                hint = _HOP_HINT if self._regrouping_fits(node, a, b, scope) else ""
                raise ShapeError(
                    f"{show(node)}: elementwise product of {dims(a)} and {dims(b)}{hint}"
                )
        return self._check(scalar(a) * scalar(b))

    def _regrouping_fits(self, node: Hop, a: Any, b: Any, scope: dict[str, int]) -> bool:
        """True if a ⊙ (p q) failed where a and p (or (p q) ⊙ b where q and b) have one shape."""
        for side, other, pick in ((node.b, a, "a"), (node.a, b, "b")):
            if not isinstance(side, Mul):
                continue
            while isinstance(side, Mul):  # the factor next to the ⊙
                side = getattr(side, pick)
            try:
                near = self.ev(side, dict(scope))
            except Exception:  # noqa: BLE001 - only a hint: any failure means no hint
                continue
            if is_array(near) and is_array(other) and near.shape == other.shape:
                return True
        return False

    def _Div(self, node: Div, scope: dict[str, int]) -> Value:
        a, b = self.ev(node.a, scope), self.ev(node.b, scope)
        if scalar_like(a) and is_array(b) and b.shape[1] == 1 and b.shape[0] > 1:
            # a number over a column vector is entrywise, like 1 - s_t^2: 1 / (1 + e^{-x})
            if any(x == 0 for x in b.flat):
                raise ShapeError(f"{show(node)}: division by zero (an entry of the vector)")
            return self._check(scalar(a) / b)
        if not scalar_like(b):
            raise ShapeError(f"{show(node)}: division by a {dims(b)} matrix")
        b = scalar(b)
        if b == 0:
            raise ShapeError(f"{show(node)}: division by zero")
        return self._check(a / b)

    def _Pow(self, node: Pow, scope: dict[str, int]) -> Value:
        base = self.ev(node.base, scope)
        try:
            e = scalar(
                Evaluator(self.env, exact=True).ev(node.exp, scope)
                if exactable(node.exp)
                else self.ev(node.exp, scope)
            )
        except NotExact:  # an exponent with a float-only value (2^{a}): as this evaluator does
            e = scalar(self.ev(node.exp, scope))
        if is_array(e):
            raise ShapeError(f"{show(node)}: the exponent is a {dims(e)} matrix, not a number")
        if isinstance(e, LogNumber):  # a huge exponent: 2^{1001} is an exact integer
            if e.as_int() is None:
                size = "a number beyond 10^(10^40)" if e.log10 is None else str(e)
                raise LimitExceeded(f"{show(node)}: the exponent is {size}, not a small integer")
            e = Fraction(e.as_int())
        integral = (isinstance(e, Fraction) and e.denominator == 1) or (
            isinstance(e, float) and e.is_integer()
        )
        if integral:
            p = int(e)
            if abs(p) > MAX_EXPONENT and self.exact:
                big = huge_power(scalar(base), p)  # a sign and an exact logarithm: `bignum`
                if big is not None:  # a number or a diagonal matrix
                    return big
            check_exponent(p)
        if not is_array(base) or base.shape == (1, 1):
            b = scalar(base)
            if not integral:
                if self.exact:
                    raise NotExact
                if float(b) < 0:  # complex, not a real value
                    raise ValueError(f"{show(node)}: a negative number to a non-integer power")
                return float(b) ** float(e)
            if b == 0 and p < 0:
                raise ShapeError(f"{show(node)}: zero to a negative power")
            return self._check(b**p)
        if not integral:
            raise ShapeError(f"{show(node)}: a matrix to a non-integer power")
        if base.shape[1] == 1 and base.shape[0] > 1:
            return self._check(base**p)  # elementwise power of a vector, as in 1 - h_t^2
        if base.shape[0] != base.shape[1]:
            raise ShapeError(f"{show(node)}: power of a non-square {dims(base)} matrix")
        if p < 0:
            base = self._inverse(base, node)
            p = -p
        out = identity(base.shape[0], self.exact)
        sq = base
        while p:
            if p & 1:
                out = self._check(out @ sq)
            p >>= 1
            if p:
                sq = self._check(sq @ sq)
        return out

    def _inverse(self, a: np.ndarray, node: Node) -> np.ndarray:
        if not self.exact:
            if abs(np.linalg.det(a)) < 1e-300 or np.linalg.cond(a) > 1e14:
                raise ShapeError(f"{show(node)}: the matrix is singular")
            return np.linalg.inv(a)
        n = a.shape[0]
        m = [
            [Fraction(x) for x in row] + [Fraction(int(i == j)) for j in range(n)]
            for i, row in enumerate(a.tolist())
        ]
        for c in range(n):
            piv = next((r for r in range(c, n) if m[r][c] != 0), None)
            if piv is None:
                raise ShapeError(f"{show(node)}: the matrix is singular")
            m[c], m[piv] = m[piv], m[c]
            pv = m[c][c]
            m[c] = [x / pv for x in m[c]]
            for r in range(n):
                if r != c and m[r][c] != 0:
                    f = m[r][c]
                    m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
        return self._check(np.array([row[n:] for row in m], dtype=object))

    def _Transpose(self, node: Transpose, scope: dict[str, int]) -> Value:
        v = self.ev(node.a, scope)
        return v.T if is_array(v) else v

    # ------------------------------------------------------------------ functions, derivatives

    def _Apply(self, node: Apply, scope: dict[str, int]) -> Value:
        if node.name in SPECTRAL_NAMES:
            return self._spectral(node, scope)
        if node.name in ("max", "min"):
            vals = [scalar(self.ev(a, scope)) for a in node.args]
            if any(is_array(v) or norms.is_complex(v) for v in vals):
                raise ShapeError(f"{show(node)}: \\{node.name} of numbers only")
            return max(vals) if node.name == "max" else min(vals)
        args = [self.ev(a, scope) for a in node.args]
        if node.name == "diag":
            if len(args) > 1:
                vals = [scalar(a) for a in args]
                if any(is_array(v) for v in vals):
                    raise ShapeError("diag(a, b, ...) takes numbers")
                return np.diag(np.array(vals, dtype=object if self.exact else float))
            a = args[0]
            if not is_array(a):
                a = np.array([[a]], dtype=object if self.exact else float)
            if 1 not in a.shape:
                raise ShapeError(f"{show(node)}: diag of a {dims(a)} matrix (expected a vector)")
            return np.diag(a.reshape(-1))
        if self.exact:
            raise NotExact
        if len(args) != 1:
            raise ShapeError(f"{node.name} takes one argument")
        fn = self.env.function(node.name, node.deriv)
        a = args[0]
        return (
            fn(np.asarray(a, dtype=float))
            if is_array(a)
            else float(fn(np.array([[float(a)]]))[0, 0])
        )

    def _Deriv(self, node: Deriv, scope: dict[str, int]) -> Value:
        if self.exact:
            raise NotExact
        laid_out = getattr(self.env, "laid_out", self.env.derivative)  # layout: see `layout`
        return laid_out(node.num, node.den, self, scope)

    def _Nabla(self, node: Nabla, scope: dict[str, int]) -> Value:
        if self.exact:
            raise NotExact
        if node.time is None:
            return self.env.derivative(node.num, node.wrt, self, scope)
        t = self.index(node.time, scope)
        return self.env.step_derivative(node.num, node.wrt, t, self, scope)

    # ------------------------------------------------------------------ limits

    def _check(self, v: Value) -> Value:
        if is_array(v):
            if max(v.shape) > MAX_DIM:
                raise LimitExceeded(f"a {dims(v)} matrix (limit {MAX_DIM} x {MAX_DIM})")
            if self.exact:
                for x in v.flat:
                    check_bits(x)
        elif isinstance(v, Fraction):
            check_bits(v)
        return v
