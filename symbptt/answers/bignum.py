"""Huge and tiny powers of numbers, kept as a sign and a base-10 logarithm: (9/10)^{10^12}.

A power beyond the exponent limit is not refused when its base is a plain number: the result is
`LogNumber(sign, log10)`, with the logarithm computed by mpmath at 80 digits from OUR parsed
Fractions (never from text), and, where the value is a product of rational powers, its exact
form {integer base: exponent} so that equality is decided exactly (over a coprime basis of the
bases, no factoring). Sign and magnitude then settle what they can: (9/10)^{10^12} = 0 is wrong
(it is positive), and a written 2.11 x 10^{-45757490561} is compared through its logarithm at the
precision written. Arithmetic that the logarithm cannot decide raises `LimitExceeded`.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any

import numpy as np
from mpmath.ctx_mp import MPContext

from symbptt.answers.limits import LimitExceeded

_MP = MPContext()
_MP.dps = 80
#: |log10| above this cannot be handled at 80 digits with an absolute error below 1e-30.
MAX_LOG10 = _MP.mpf(10) ** 40
_TIE = _MP.mpf(10) ** -50  # logarithms closer than this need the exact form to be told apart


class Beyond(LimitExceeded):
    """A huge or tiny number met a float conversion (a function, a float step): not judged."""


Form = dict[int, int]  # integer base (> 1) -> exponent; the value is the product


class LogNumber:
    """sign * 10^log10 (sign in -1, 0, 1), with the exact form of |value| when known."""

    __slots__ = ("form", "log10", "sign")

    def __init__(self, sign: int, log10: Any, form: Form | None) -> None:
        self.sign, self.log10, self.form = sign, log10, form if sign else {}
        if sign and abs(log10) > MAX_LOG10:
            raise LimitExceeded("a number beyond 10^(10^40) (limit of the logarithm scale)")

    # ------------------------------------------------------------------ construction

    @staticmethod
    def of(x: Any) -> LogNumber:
        """A Fraction, int, float or LogNumber as a LogNumber."""
        if isinstance(x, LogNumber):
            return x
        if isinstance(x, int | Fraction):
            q = Fraction(x)
            if q == 0:
                return LogNumber(0, _MP.mpf(0), {})
            n, d = abs(q.numerator), q.denominator
            form = {b: e for b, e in ((n, 1), (d, -1)) if b > 1}
            return LogNumber(1 if q > 0 else -1, _MP.log10(n) - _MP.log10(d), form)
        if isinstance(x, float):
            if x == 0:
                return LogNumber(0, _MP.mpf(0), {})
            return LogNumber(1 if x > 0 else -1, _MP.log10(abs(_MP.mpf(x))), None)
        raise TypeError(f"not a number: {type(x).__name__}")

    # ------------------------------------------------------------------ arithmetic

    def __neg__(self) -> LogNumber:
        return LogNumber(-self.sign, self.log10, self.form)

    def __abs__(self) -> LogNumber:
        return LogNumber(abs(self.sign), self.log10, self.form)

    def __mul__(self, other: Any) -> LogNumber:
        o = _of(other)
        if o is None:
            return NotImplemented
        if not self.sign or not o.sign:
            return LogNumber.of(0)
        return LogNumber(self.sign * o.sign, self.log10 + o.log10, _merge(self.form, o.form, 1))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> LogNumber:
        o = _of(other)
        if o is None:
            return NotImplemented
        if not o.sign:
            raise ZeroDivisionError("division by zero")
        return self * o.inverse()

    def __rtruediv__(self, other: Any) -> LogNumber:
        o = _of(other)
        if o is None:
            return NotImplemented
        return o / self

    def inverse(self) -> LogNumber:
        """1 / self."""
        if not self.sign:
            raise ZeroDivisionError("division by zero")
        form = None if self.form is None else {b: -e for b, e in self.form.items()}
        return LogNumber(self.sign, -self.log10, form)

    def __pow__(self, p: Any) -> LogNumber:
        if not isinstance(p, int) or isinstance(p, bool):
            return NotImplemented
        if not self.sign:
            if p < 0:
                raise ZeroDivisionError("zero to a negative power")
            return LogNumber.of(1 if p == 0 else 0)
        form = None if self.form is None else {b: e * p for b, e in self.form.items()}
        sign = self.sign if p % 2 else 1
        return LogNumber(sign, self.log10 * p, form)

    def __add__(self, other: Any) -> LogNumber:
        o = _of(other)
        if o is None:
            return NotImplemented
        if not o.sign:
            return self
        if not self.sign:
            return o
        big, small = (self, o) if self.log10 >= o.log10 else (o, self)
        d = small.log10 - big.log10  # <= 0
        if big.sign == small.sign:
            return LogNumber(big.sign, big.log10 + _MP.log10(1 + _MP.power(10, d)), None)
        if _same_magnitude(big, small):
            return LogNumber.of(0)
        if -d < _TIE:
            raise LimitExceeded("a difference of two huge powers too close to decide")
        return LogNumber(big.sign, big.log10 + _MP.log10(1 - _MP.power(10, d)), None)

    __radd__ = __add__

    def __sub__(self, other: Any) -> LogNumber:
        o = _of(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: Any) -> LogNumber:
        o = _of(other)
        return NotImplemented if o is None else o + (-self)

    # ------------------------------------------------------------------ comparison

    def _cmp(self, other: Any) -> int:
        o = _of(other)
        if o is None:
            raise TypeError("cannot compare")
        if self.sign != o.sign:
            return -1 if self.sign < o.sign else 1
        if not self.sign:
            return 0
        if _same_magnitude(self, o) or abs(self.log10 - o.log10) < _TIE:
            return 0  # exactly equal, or (a sum has no exact form) equal to 50 digits of log
        bigger = 1 if self.log10 > o.log10 else -1
        return bigger * self.sign

    def __eq__(self, other: object) -> bool:
        try:
            return self._cmp(other) == 0
        except TypeError:
            return False

    def __lt__(self, other: Any) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: Any) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self._cmp(other) >= 0

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        raise Beyond(f"{self} is beyond floating point; it is only compared exactly")

    def __str__(self) -> str:
        if not self.sign:
            return "0"
        e = int(_MP.floor(self.log10))
        mant = float(_MP.power(10, self.log10 - e))
        return f"{'-' if self.sign < 0 else ''}{mant:.4g}e{e}"

    __repr__ = __str__


def huge_power(base: Any, p: int) -> Any:
    """base^p for an exponent past the limit: a number (exact 0 or +-1 where it is, else a
    LogNumber), a diagonal matrix entry by entry, or None for any other matrix (not judged)."""
    if isinstance(base, np.ndarray):
        rows, cols = base.shape
        if rows != cols or any(base[i, j] != 0 for i in range(rows) for j in range(cols) if i != j):
            return None
        out = np.zeros(base.shape, dtype=object)
        for i in range(rows):
            out[i, i] = huge_power(base[i, i], p)
        return out
    b = base if isinstance(base, LogNumber) else Fraction(base) if isinstance(base, int) else base
    if not isinstance(b, LogNumber) and b in (0, 1):
        if b == 0 and p < 0:
            raise ZeroDivisionError("zero to a negative power")
        return b
    if not isinstance(b, LogNumber) and b == -1:
        return b if p % 2 else Fraction(1)
    return LogNumber.of(b) ** p


def _of(x: Any) -> LogNumber | None:
    if isinstance(x, LogNumber | int | Fraction | float) and not isinstance(x, bool):
        return LogNumber.of(x)
    return None


def _merge(a: Form | None, b: Form | None, sign: int) -> Form | None:
    if a is None or b is None:
        return None
    out = dict(a)
    for k, e in b.items():
        out[k] = out.get(k, 0) + sign * e
    return {k: e for k, e in out.items() if e}


def _same_magnitude(a: LogNumber, b: LogNumber) -> bool:
    """|a| == |b| exactly when both have exact forms; else only if the logs are identical."""
    if a.form is not None and b.form is not None:
        return _is_one(_merge(a.form, b.form, -1) or {})
    return bool(a.log10 == b.log10)


def _is_one(form: Form) -> bool:
    """True if prod(base^exp) == 1, decided over a coprime basis of the bases (no factoring)."""
    basis = _coprime_basis(list(form))
    total = dict.fromkeys(basis, 0)
    for base, e in form.items():
        for q in basis:
            v, n = 0, base
            while n % q == 0:
                n //= q
                v += 1
            total[q] += v * e
    return all(v == 0 for v in total.values())


def _coprime_basis(nums: list[int]) -> list[int]:
    """Pairwise coprime integers > 1 of which every num is a product (gcd splitting)."""
    basis = sorted({n for n in nums if n > 1})
    while True:
        pair = next(
            ((i, j) for i in range(len(basis)) for j in range(i + 1, len(basis))
             if gcd(basis[i], basis[j]) > 1),
            None,
        )  # fmt: skip
        if pair is None:
            return basis
        i, j = pair
        a, b = basis[i], basis[j]
        g = gcd(a, b)
        rest = [x for k, x in enumerate(basis) if k not in (i, j)]
        basis = sorted(set(rest) | {x for x in (g, a // g, b // g) if x > 1})
