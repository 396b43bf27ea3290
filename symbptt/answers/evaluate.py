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
from symbptt.answers.ast import (
    Abs,
    Add,
    Apply,
    Big,
    Deriv,
    Div,
    Entries,
    Entry,
    Hop,
    Matrix,
    Mul,
    Nabla,
    Neg,
    Node,
    Norm,
    Num,
    Pow,
    Sub,
    Sym,
    Transpose,
    show,
)
from symbptt.answers.bignum import LogNumber, huge_power
from symbptt.answers.limits import MAX_BITS, MAX_DIM, MAX_EXPONENT, LimitExceeded, check_exponent
from symbptt.answers.norms import SPECTRAL_NAMES

Value = Any

#: The upper limit of a \\sum_j without limits over an entry index (see `notation.resolve`):
#: j runs over the entries of the quantity it indexes.
EXTENT = "#extent"


class Undefined(Exception):
    """The quantity does not exist at this instantiation (h_{-1}, x_{T+1}); the point is skipped."""


class ComponentRange(Undefined):
    """An entry index outside the quantity (h_{t,3} with n = 2): skipped where the truth lacks it
    too, a wrong step where the truth has it."""


_HOP_HINT = "; ⊙ binds more loosely than the matrix product here; add parentheses"


class ShapeError(Exception):
    """Sizes that do not fit (a 2x2 matrix plus a number, (2x1)(2x1)); a wrong step."""


class Unknown(Exception):
    """A symbol that is neither the model's, given, nor defined under `where:`; undecided."""


class NotExact(Exception):
    """The exact evaluator met something irrational (tanh, a derivative); use float64."""


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


class Evaluator:
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
        v = _scalar(v)
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
        rows = [[_scalar(self.ev(c, scope)) for c in row] for row in node.rows]
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
        if _is_array(a) and _is_array(b) and a.shape != b.shape:
            raise ShapeError(f"{show(node)}: cannot add {_dims(a)} and {_dims(b)}")
        if _is_array(a) != _is_array(b):
            arr = a if _is_array(a) else b
            other = b if _is_array(a) else a
            # a number and a column vector add entrywise (the course notes' 1 - s_t^2); a number
            # and a matrix do not (Q - 1 is a slip, not a broadcast)
            if arr.shape != (1, 1) and arr.shape[1] != 1 and other != 0:
                raise ShapeError(f"{show(node)}: cannot add a number and a {_dims(arr)} matrix")
        return self._check(a + b if sign > 0 else a - b)

    def _Neg(self, node: Neg, scope: dict[str, int]) -> Value:
        return -self.ev(node.a, scope)

    def _Mul(self, node: Mul, scope: dict[str, int]) -> Value:
        return self._times(self.ev(node.a, scope), self.ev(node.b, scope), node)

    def _times(self, a: Value, b: Value, node: Node) -> Value:
        if _scalar_like(a) or _scalar_like(b):
            return self._check(
                _scalar(a) * _scalar(b)
                if _scalar_like(a) and _scalar_like(b)
                else _scalar(a) * _scalar(b)
            )
        if a.shape[1] != b.shape[0]:
            raise ShapeError(f"{show(node)}: cannot multiply {_dims(a)} by {_dims(b)}")
        return self._check(a @ b)

    def _Hop(self, node: Hop, scope: dict[str, int]) -> Value:
        a, b = self.ev(node.a, scope), self.ev(node.b, scope)
        if node.op == "\\otimes":
            if _scalar_like(a) or _scalar_like(b):
                return self._check(_scalar(a) * _scalar(b))
            if a.shape[1] == 1 and b.shape[1] == 1:
                return self._check(a @ b.T)
            return self._check(np.kron(a, b))
        if _is_array(a) and _is_array(b) and a.shape != b.shape:
            if not (_scalar_like(a) or _scalar_like(b)):
                hint = _HOP_HINT if self._regrouping_fits(node, a, b, scope) else ""
                raise ShapeError(
                    f"{show(node)}: elementwise product of {_dims(a)} and {_dims(b)}{hint}"
                )
        return self._check(_scalar(a) * _scalar(b))

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
            if _is_array(near) and _is_array(other) and near.shape == other.shape:
                return True
        return False

    def _Div(self, node: Div, scope: dict[str, int]) -> Value:
        a, b = self.ev(node.a, scope), self.ev(node.b, scope)
        if _scalar_like(a) and _is_array(b) and b.shape[1] == 1 and b.shape[0] > 1:
            # a number over a column vector is entrywise, like 1 - s_t^2: 1 / (1 + e^{-x})
            if any(x == 0 for x in b.flat):
                raise ShapeError(f"{show(node)}: division by zero (an entry of the vector)")
            return self._check(_scalar(a) / b)
        if not _scalar_like(b):
            raise ShapeError(f"{show(node)}: division by a {_dims(b)} matrix")
        b = _scalar(b)
        if b == 0:
            raise ShapeError(f"{show(node)}: division by zero")
        return self._check(a / b)

    def _Pow(self, node: Pow, scope: dict[str, int]) -> Value:
        base = self.ev(node.base, scope)
        try:
            e = _scalar(
                Evaluator(self.env, exact=True).ev(node.exp, scope)
                if _exactable(node.exp)
                else self.ev(node.exp, scope)
            )
        except NotExact:  # an exponent with a float-only value (2^{a}): as this evaluator does
            e = _scalar(self.ev(node.exp, scope))
        if _is_array(e):
            raise ShapeError(f"{show(node)}: the exponent is a {_dims(e)} matrix, not a number")
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
                big = huge_power(_scalar(base), p)  # a sign and an exact logarithm: `bignum`
                if big is not None:  # a number or a diagonal matrix
                    return big
            check_exponent(p)
        if not _is_array(base) or base.shape == (1, 1):
            b = _scalar(base)
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
            raise ShapeError(f"{show(node)}: power of a non-square {_dims(base)} matrix")
        if p < 0:
            base = self._inverse(base, node)
            p = -p
        out = _identity(base.shape[0], self.exact)
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
        return v.T if _is_array(v) else v

    # ------------------------------------------------------------------ structure

    def _Big(self, node: Big, scope: dict[str, int]) -> Value:
        if node.op in ("max", "min"):
            return self._extreme(node, scope)
        lo = self.index(node.lo, scope)
        hi = self._run(node, scope) if node.hi == Sym(EXTENT) else self.index(node.hi, scope)
        if hi - lo > 1000:
            raise LimitExceeded(f"\\{node.op} over {hi - lo + 1} terms (limit 1000)")
        acc: Value = None
        order = range(lo, hi + 1)
        if node.op == "prod" and getattr(self.env, "product_order", "increasing") == "decreasing":
            order = range(hi, lo - 1, -1)
        for i in order:
            inner = dict(scope)
            inner[node.var] = i
            v = self.ev(node.body, inner)
            if acc is None:
                acc = v
            elif node.op == "sum":
                acc = self._plus(acc, v, node, 1)
            else:
                acc = self._times(acc, v, node)
        if acc is None:
            if node.op == "sum":
                return Fraction(0) if self.exact else 0.0
            return _identity(self.env.n, self.exact)
        return acc

    def _Apply(self, node: Apply, scope: dict[str, int]) -> Value:
        if node.name in SPECTRAL_NAMES:
            return self._spectral(node, scope)
        if node.name in ("max", "min"):
            vals = [_scalar(self.ev(a, scope)) for a in node.args]
            if any(_is_array(v) or norms.is_complex(v) for v in vals):
                raise ShapeError(f"{show(node)}: \\{node.name} of numbers only")
            return max(vals) if node.name == "max" else min(vals)
        args = [self.ev(a, scope) for a in node.args]
        if node.name == "diag":
            if len(args) > 1:
                vals = [_scalar(a) for a in args]
                if any(_is_array(v) for v in vals):
                    raise ShapeError("diag(a, b, ...) takes numbers")
                return np.diag(np.array(vals, dtype=object if self.exact else float))
            a = args[0]
            if not _is_array(a):
                a = np.array([[a]], dtype=object if self.exact else float)
            if 1 not in a.shape:
                raise ShapeError(f"{show(node)}: diag of a {_dims(a)} matrix (expected a vector)")
            return np.diag(a.reshape(-1))
        if self.exact:
            raise NotExact
        if len(args) != 1:
            raise ShapeError(f"{node.name} takes one argument")
        fn = self.env.function(node.name, node.deriv)
        a = args[0]
        return (
            fn(np.asarray(a, dtype=float))
            if _is_array(a)
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

    def _Entry(self, node: Entry, scope: dict[str, int]) -> Value:
        comps = tuple(self.index(c, scope) for c in node.comps)
        return component(self.ev(node.base, scope), comps, show(node.base))

    def _Entries(self, node: Entries, scope: dict[str, int]) -> Value:
        sizes = [self._extent(node, v, scope) for v in node.vars]
        cells: list[list[Value]] = []
        for r in range(1, sizes[0] + 1):
            row = []
            for c in range(1, (sizes[1] if len(sizes) > 1 else 1) + 1):
                inner = dict(scope)
                inner[node.vars[0]] = r
                if len(sizes) > 1:
                    inner[node.vars[1]] = c
                v = self.ev(node.body, inner)
                if not _scalar_like(v):
                    raise ShapeError(f"{show(node)}: an entry must be a number, found {_dims(v)}")
                row.append(_scalar(v))
            cells.append(row)
        return self._check(np.array(cells, dtype=object if self.exact else float))

    def _run(self, node: Big, scope: dict[str, int]) -> int:
        """How far an entry index of a \\sum without limits runs: the extent of its entries."""
        probe = dict(scope)
        for size in range(1, MAX_DIM + 2):
            probe[node.var] = size
            try:
                self.ev(node.body, dict(probe))
            except ComponentRange:
                if size == 1:
                    raise
                return size - 1
        raise LimitExceeded(f"{show(node)}: {node.var} runs past {MAX_DIM}")

    def _extent(self, node: Entries, var: str, scope: dict[str, int]) -> int:
        """How far `var` runs: the first value at which an entry index leaves its quantity."""
        probe = dict(scope)
        probe.update({v: 1 for v in node.vars})
        for size in range(1, MAX_DIM + 2):
            probe[var] = size
            try:
                self.ev(node.body, dict(probe))
            except ComponentRange:
                if size == 1:
                    raise
                return size - 1
        raise LimitExceeded(f"{show(node)}: {var} runs past {MAX_DIM}")

    # ------------------------------------------------------------------ norms and spectra

    def _modulus_arg(self, node: Node, scope: dict[str, int]) -> Value:
        """The argument of |...| or \\|...\\|: an eigenvalue there may be complex."""
        saved = self._complex_ok
        self._complex_ok = _is_spectral(node)
        try:
            return self.ev(node, scope)
        finally:
            self._complex_ok = saved

    def _Norm(self, node: Norm, scope: dict[str, int]) -> Value:
        v = self._modulus_arg(node.a, scope)
        if norms.is_complex(v):
            if _is_array(v):
                raise ShapeError(f"{show(node)}: a norm of complex entries")
            return abs(v)
        try:
            return norms.norm(v, node.p, exact=self.exact)
        except norms.NeedsFloat:
            raise NotExact from None

    def _Abs(self, node: Abs, scope: dict[str, int]) -> Value:
        v = self._modulus_arg(node.a, scope)
        if not _scalar_like(v):
            raise ShapeError(
                f"{show(node)}: |...| of a {_dims(v)} value (write \\|...\\| for a norm)"
            )
        return abs(_scalar(v))

    def _spectral(self, node: Apply, scope: dict[str, int]) -> Value:
        """\\rho(A), \\sigma_{\\max}(A), \\lambda_i(A), ...; a bare \\lambda_i is of the model's W."""
        if node.name == "\\rho" and self.env.has("\\rho"):  # \\rho defined by the answer: a product
            rho = self.env.lookup("\\rho", (), self)
            return self._times(rho, self.ev(node.args[0], scope), node)
        if self.exact:
            raise NotExact
        target = node.args[0]
        if target == Sym("\\lambda"):
            matrix = getattr(self.env, "spectral_matrix", None)
            if matrix is None:
                raise Unknown("\\lambda_i: eigenvalues of which matrix? write \\lambda_i(W)")
            value = matrix(self)
        else:
            value = self.ev(target, scope)
        index = self.index(node.args[1], scope) if len(node.args) > 1 else None
        try:
            out = norms.spectral(node.name, value, index)
        except norms.SpectralError as exc:
            raise ShapeError(f"{show(node)}: {exc}") from None
        if out is None:
            raise ComponentRange(f"{show(node)}: index {index} out of range")
        if isinstance(out, complex) and not self._complex_ok:
            raise Unknown(f"{show(node)} is complex here; compare its modulus |...| instead")
        return out

    def _extreme(self, node: Big, scope: dict[str, int]) -> Value:
        """\\max_i / \\min_i body: over lo..hi, or (hi = \\infty) while body's index exists."""
        lo = self.index(node.lo, scope)
        bounded = node.hi != Sym("\\infty")
        hi = self.index(node.hi, scope) if bounded else lo + MAX_DIM
        if hi - lo > 1000:
            raise LimitExceeded(f"\\{node.op} over {hi - lo + 1} values (limit 1000)")
        vals = []
        for i in range(lo, hi + 1):
            inner = dict(scope)
            inner[node.var] = i
            try:
                v = _scalar(self.ev(node.body, inner))
            except (ComponentRange, Undefined):  # past the end of the index's range
                if bounded:
                    raise
                break
            if _is_array(v) or norms.is_complex(v):
                raise ShapeError(
                    f"{show(node)}: \\{node.op} of numbers only (found a {_dims(v)} value)"
                )
            vals.append(v)
        if not vals:
            raise Undefined(f"{show(node)}: no value of {node.var}")
        if not bounded and len(vals) == hi - lo + 1:  # the body never left its range
            how = f"\\{node.op}_{{{node.var}=1}}^{{n}}"
            raise Unknown(f"{show(node)}: {node.var} has no range here; write {how}")
        return max(vals) if node.op == "max" else min(vals)

    # ------------------------------------------------------------------ limits

    def _check(self, v: Value) -> Value:
        if _is_array(v):
            if max(v.shape) > MAX_DIM:
                raise LimitExceeded(f"a {_dims(v)} matrix (limit {MAX_DIM} x {MAX_DIM})")
            if self.exact:
                for x in v.flat:
                    _check_bits(x)
        elif isinstance(v, Fraction):
            _check_bits(v)
        return v


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
    if not _is_array(value):
        if all(c == 1 for c in comps):
            return value  # a 1x1 quantity (n = 1): its only entry
        raise ComponentRange(f"{what} is a number: no entry {comps}")
    rows, cols = value.shape
    if len(comps) == 1:
        if cols != 1 and rows != 1:
            raise ShapeError(f"{what} is a {_dims(value)} matrix: an entry needs two indices")
        (j,) = comps
        size = max(rows, cols)
        if not 1 <= j <= size:
            raise ComponentRange(f"entry {j} of {what} (size {size})")
        return value[j - 1, 0] if cols == 1 else value[0, j - 1]
    if len(comps) == 2:
        j, i = comps
        if not (1 <= j <= rows and 1 <= i <= cols):
            raise ComponentRange(f"entry ({j}, {i}) of {what} ({_dims(value)})")
        return value[j - 1, i - 1]
    raise ShapeError(f"{what}: at most two entry indices")


def _check_bits(x: Any) -> None:
    if isinstance(x, Fraction) and (
        x.numerator.bit_length() > MAX_BITS or x.denominator.bit_length() > MAX_BITS
    ):
        raise LimitExceeded(f"a number with more than {MAX_BITS} bits (exact arithmetic limit)")


def _exactable(node: Node) -> bool:
    from symbptt.answers.ast import walk

    return all(isinstance(n, Num | Add | Sub | Neg | Mul | Sym) for n in walk(node)) and not any(
        isinstance(n, Sym) and n.index for n in walk(node)
    )


def _is_spectral(node: Node) -> bool:
    """\\lambda_i(A), \\rho(A), ... or a bare \\lambda_i: values that may be complex."""
    if isinstance(node, Apply):
        return node.name in SPECTRAL_NAMES
    return isinstance(node, Sym) and node.name == "\\lambda" and len(node.index) == 1


def _identity(n: int, exact: bool) -> np.ndarray:
    if exact:
        return np.array([[Fraction(int(i == j)) for j in range(n)] for i in range(n)], dtype=object)
    return np.eye(n)


def _is_array(v: Value) -> bool:
    return isinstance(v, np.ndarray)


def _scalar_like(v: Value) -> bool:
    return not _is_array(v) or v.shape == (1, 1)


def _scalar(v: Value) -> Value:
    return v[0, 0] if _is_array(v) and v.shape == (1, 1) else v


def _dims(v: Value) -> str:
    return f"{v.shape[0]}x{v.shape[1]}" if _is_array(v) else "1x1"


def to_float(v: Value) -> np.ndarray:
    """Any value as a 2-D float64 array (scalars become 1x1)."""
    if _is_array(v):
        return np.asarray(v.astype(float) if v.dtype == object else v, dtype=float)
    return np.array([[float(v)]])
