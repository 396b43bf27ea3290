"""Huge and tiny powers of numbers, kept exactly as a sum of terms c * prod(b^e): (9/10)^{10^12}.

A power beyond the exponent limit is not refused when its base is a plain number: the result is
a `LogNumber`, an exact sum of terms (rational coefficient times a product of integer powers,
the exponents Python ints) with its sign and base-10 logarithm computed by mpmath at 80 digits
from OUR parsed Fractions (never from text). Equality is decided on the terms, never by
rounding: like terms (whose ratio is 1 over a coprime basis of the bases, or a small rational
such as 0.9^{N+1} / 0.9^{N}) are combined, and a difference that keeps a nonzero term is not
zero (1 + 0.9^{10^12} is not 1). The sign of a sum is the sign of its dominant terms; a sum whose
terms cancel to 50 digits of the logarithm without cancelling exactly raises `LimitExceeded`.
A value beyond 10^(10^40) keeps its sign and terms, its logarithm unknown: 0.5^{2^{1001}} is
positive, so = 0 is wrong; comparing its size raises `LimitExceeded`.
"""

from __future__ import annotations

import itertools
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
Term = tuple[Fraction, Form]  # coefficient * form
MAX_TERMS = 64  # terms of one exact sum (a product of sums multiplies their counts)
_SMALL_BITS = 200_000  # a ratio of two forms this small is computed (2 x the evaluator's MAX_BITS)


class LogNumber:
    """An exact sum of terms (or, without `terms`, only sign * 10^log10), with its sign and
    log10 (None: beyond 10^(10^40), magnitude unknown)."""

    __slots__ = ("beyond", "form", "log10", "sign", "terms")

    def __init__(self, sign: int, log10: Any, form: Form | None,
                 terms: tuple[Term, ...] | None = None) -> None:  # fmt: skip
        self.sign, self.form = sign, form if sign else {}
        self.terms = terms if sign else ()
        self.log10 = log10 if sign else _MP.mpf(0)
        self.beyond = 0  # 1: above 10^(10^40), -1: below 10^(-10^40), 0: log10 known or unknown
        if sign and log10 is not None and abs(log10) > MAX_LOG10:
            self.log10 = None  # sign known, magnitude beyond the logarithm scale
            self.beyond = 1 if log10 > 0 else -1

    # ------------------------------------------------------------------ construction

    @staticmethod
    def of(x: Any) -> LogNumber:
        """A Fraction, int, float or LogNumber as a LogNumber."""
        if isinstance(x, LogNumber):
            return x
        if isinstance(x, int | Fraction):
            q = Fraction(x)
            if q == 0:
                return LogNumber(0, _MP.mpf(0), {}, ())
            n, d = abs(q.numerator), q.denominator
            form = {b: e for b, e in ((n, 1), (d, -1)) if b > 1}
            return LogNumber(1 if q > 0 else -1, _MP.log10(n) - _MP.log10(d), form, ((q, {}),))
        if isinstance(x, float):
            if x == 0:
                return LogNumber(0, _MP.mpf(0), {}, ())
            return LogNumber(1 if x > 0 else -1, _MP.log10(abs(_MP.mpf(x))), None, None)
        raise TypeError(f"not a number: {type(x).__name__}")

    @staticmethod
    def from_terms(terms: list[Term]) -> LogNumber:
        """The exact sum of terms: like terms combined, sign and log10 from the dominant ones."""
        terms = _combine(terms)
        if not terms:
            return LogNumber.of(0)
        if len(terms) > MAX_TERMS:
            raise LimitExceeded(f"a sum of more than {MAX_TERMS} huge powers")
        sign, log10 = _sign_log(terms)
        form = None
        if len(terms) == 1:
            c, f = terms[0]
            form = _merge(f, {b: e for b, e in ((abs(c.numerator), 1), (c.denominator, -1))
                              if b > 1}, 1)  # fmt: skip
        return LogNumber(sign, log10, form, tuple(terms))

    # ------------------------------------------------------------------ arithmetic

    def __neg__(self) -> LogNumber:
        terms = None if self.terms is None else tuple((-c, f) for c, f in self.terms)
        return LogNumber(-self.sign, self.log10, self.form, terms)

    def __abs__(self) -> LogNumber:
        return self if self.sign >= 0 else -self

    def __mul__(self, other: Any) -> LogNumber:
        o = _of(other)
        if o is None:
            return NotImplemented
        if not self.sign or not o.sign:
            return LogNumber.of(0)
        if self.terms is not None and o.terms is not None:
            if len(self.terms) * len(o.terms) <= MAX_TERMS:
                return LogNumber.from_terms(
                    [(a * b, _merge(f, g, 1)) for a, f in self.terms for b, g in o.terms]
                )
        log10 = None if self.log10 is None or o.log10 is None else self.log10 + o.log10
        return LogNumber(self.sign * o.sign, log10, _merge(self.form, o.form, 1))

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
        """1 / self (exact for one term; a sum keeps only its sign and logarithm)."""
        if not self.sign:
            raise ZeroDivisionError("division by zero")
        form = None if self.form is None else {b: -e for b, e in self.form.items()}
        terms = None
        if self.terms is not None and len(self.terms) == 1:
            c, f = self.terms[0]
            terms = ((1 / c, {b: -e for b, e in f.items()}),)
        log10 = None if self.log10 is None else -self.log10
        return LogNumber(self.sign, log10, form, terms)

    def __pow__(self, p: Any) -> LogNumber:
        if not isinstance(p, int) or isinstance(p, bool):
            return NotImplemented
        if not self.sign:
            if p < 0:
                raise ZeroDivisionError("zero to a negative power")
            return LogNumber.of(1 if p == 0 else 0)
        form = None if self.form is None else {b: e * p for b, e in self.form.items()}
        sign = self.sign if p % 2 else 1
        terms = None
        if form is not None and (self.terms is None or len(self.terms) == 1):
            terms = ((Fraction(sign), form),)
        log10 = None if self.log10 is None else self.log10 * p
        return LogNumber(sign, log10, form, terms)

    def __add__(self, other: Any) -> LogNumber:
        o = _of(other)
        if o is None:
            return NotImplemented
        if not o.sign:
            return self
        if not self.sign:
            return o
        if self.terms is not None and o.terms is not None:
            return LogNumber.from_terms([*self.terms, *o.terms])
        if self.log10 is None or o.log10 is None:
            if self.sign == o.sign:
                return LogNumber(self.sign, None, None)
            raise LimitExceeded("a sum of numbers beyond 10^(10^40) of opposite signs")
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
        if self.terms is not None and o.terms is not None:
            return (self - o).sign  # exact: the terms of the difference decide
        if self.sign != o.sign:
            return -1 if self.sign < o.sign else 1
        if not self.sign:
            return 0
        if _same_magnitude(self, o):
            return 0
        if self.log10 is None or o.log10 is None or abs(self.log10 - o.log10) < _TIE:
            raise LimitExceeded("two huge numbers too close to compare without an exact form")
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

    def as_int(self) -> int | None:
        """The value as a Python int if it is one of at most MAX_BITS bits (2^{1001}), else None."""
        from symbptt.answers.limits import MAX_BITS

        if self.terms is None or len(self.terms) != 1 or self.log10 is None:
            return None
        if self.log10 > MAX_BITS * 0.302:
            return None
        c, f = self.terms[0]
        try:
            v = c * _value(f, MAX_BITS)
        except LimitExceeded:
            return None
        return int(v) if v.denominator == 1 else None

    def __float__(self) -> float:
        raise Beyond(f"{self} is beyond floating point; it is only compared exactly")

    def __str__(self) -> str:
        if not self.sign:
            return "0"
        if self.log10 is None:
            word = "positive" if self.sign > 0 else "negative"
            where = {1: "of magnitude above 10^(10^40)", -1: "of magnitude below 10^(-10^40)"}
            return f"a {word} number {where.get(self.beyond, 'beyond 10^(+-10^40)')}"
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


def _bits(f: Form) -> float:
    return sum(abs(e) * b.bit_length() for b, e in f.items())


def _value(f: Form, limit: int = _SMALL_BITS) -> Fraction:
    """prod(b^e) as a Fraction when it has at most `limit` bits; else LimitExceeded."""
    if _bits(f) > limit:
        raise LimitExceeded("form too large")
    out = Fraction(1)
    for b, e in f.items():
        out *= Fraction(b) ** e
    return out


def _combine(terms: list[Term]) -> list[Term]:
    """Like terms added: a term joins an earlier one when their forms' ratio, reduced over a
    coprime basis of the bases, is 1 or a small rational (0.9^{N+1} / 0.9^{N}, 12^{-N} / 6^{-N}
    = 2^{-N}); zero terms dropped. Repeated until no two terms are alike."""
    out = [(Fraction(c), dict(f)) for c, f in terms if c != 0]
    changed = True
    while changed:
        changed = False
        for i, j in itertools.combinations(range(len(out)), 2):
            ratio = _reduced(_merge(out[j][1], out[i][1], -1) or {})
            try:
                r = _value(ratio)
            except LimitExceeded:
                continue  # a huge ratio: unlike terms
            out[i] = (out[i][0] + out[j][0] * r, out[i][1])
            del out[j]
            out = [(c, f) for c, f in out if c != 0]
            changed = True
            break
    return out


def _reduced(form: Form) -> Form:
    """The same product over a coprime basis of its bases: {12: -N, 6: N} -> {2: -N}."""
    if len(form) < 2:
        return {b: e for b, e in form.items() if e}
    basis = _coprime_basis(list(form))
    total = dict.fromkeys(basis, 0)
    for base, e in form.items():
        for q in basis:
            v, n = 0, base
            while n % q == 0:
                n //= q
                v += 1
            total[q] += v * e
    return {q: v for q, v in total.items() if v}


def _sign_log(terms: list[Term]) -> tuple[int, Any]:
    """Sign and log10 of a sum of unlike terms: the dominant terms decide (mpmath, 80 digits)."""
    logs = []
    for c, f in terms:
        lg = _MP.log10(abs(c.numerator)) - _MP.log10(c.denominator)
        for b, e in f.items():
            lg += e * _MP.log10(b)
        logs.append(lg)
    if len(terms) == 1:
        return (1 if terms[0][0] > 0 else -1), logs[0]
    order = sorted(range(len(terms)), key=lambda i: logs[i], reverse=True)
    top, second = logs[order[0]], logs[order[1]]
    # a logarithm past 10^40 is known to 80 digits relative, not absolute: a term dominates
    # when it is ahead of the next by more than that error (and the count of terms)
    err = max(abs(lg) for lg in logs) * _MP.mpf(10) ** -70
    if abs(top) > MAX_LOG10:
        if top - second > 2 * err + 3:
            return (1 if terms[order[0]][0] > 0 else -1), top  # beyond the scale: kept unknown
        signs = {1 if c > 0 else -1 for c, _ in terms}
        if len(signs) == 1:
            return signs.pop(), None
        raise LimitExceeded("a sum of numbers beyond 10^(10^40) too close to decide")
    total = _MP.fsum(
        (1 if c > 0 else -1) * _MP.power(10, lg - top)
        for (c, _), lg in zip(terms, logs, strict=True)
        if lg - top > -100
    )
    if abs(total) < _MP.mpf(10) ** -40:
        raise LimitExceeded("a sum of huge powers whose terms cancel to 40 digits: not decided")
    return (1 if total > 0 else -1), top + _MP.log10(abs(total))


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
    return not _reduced(form)


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
