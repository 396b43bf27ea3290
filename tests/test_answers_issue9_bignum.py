"""Issue 9: the huge-power numbers (answers/bignum.py) against exact Fractions.

Where the exponents are small enough for Python's Fractions, every product, quotient, power,
sum and comparison of LogNumbers must agree with the same computation in Fractions (computed
here independently). Past that, equalities that hold by the exponent laws must hold exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from symbptt.answers.bignum import LogNumber, huge_power

small = st.fractions(min_value=Fraction(-20), max_value=Fraction(20), max_denominator=20).filter(
    lambda x: x != 0
)
exps = st.integers(min_value=-8, max_value=8)


@settings(max_examples=70, deadline=None)
@given(a=small, b=small, p=exps, q=exps, c=small)
def test_products_powers_and_comparisons_match_fractions(
    a: Fraction, b: Fraction, p: int, q: int, c: Fraction
) -> None:
    exact = a**p * b**q
    big = LogNumber.of(a) ** p * LogNumber.of(b) ** q
    assert big == exact  # exactly, over a coprime basis of the bases
    assert (big < c) == (exact < c) and (big > c) == (exact > c) and (big == c) == (exact == c)
    assert (big / LogNumber.of(c) == exact / c) and (LogNumber.of(c) / big == c / exact)
    assert -big == -exact and abs(big) == abs(exact)


@settings(max_examples=70, deadline=None)
@given(a=small, b=small, p=exps, q=exps)
def test_sums_match_fractions(a: Fraction, b: Fraction, p: int, q: int) -> None:
    x, y = a**p, b**q
    s = LogNumber.of(x) + LogNumber.of(y)
    d = LogNumber.of(x) - LogNumber.of(x)
    assert d == 0  # x - x is exactly zero
    if x + y == 0:
        assert s == 0
        return
    assert (s > 0) == (x + y > 0)
    assert abs(float(s.log10) - math.log10(abs(x + y))) < 1e-9


def test_exponent_laws_past_the_float_range() -> None:
    n = 10**12
    assert huge_power(Fraction(4), n) == huge_power(Fraction(2), 2 * n)  # 4^N = 2^(2N)
    assert huge_power(Fraction(6), n) == huge_power(Fraction(2), n) * huge_power(Fraction(3), n)
    assert huge_power(Fraction(9, 10), n) < huge_power(Fraction(9, 10), n - 1)  # 0.9 < 1
    assert huge_power(Fraction(9, 10), n) > 0
    assert huge_power(Fraction(-9, 10), n + 1) < 0  # odd power of a negative number
    assert huge_power(Fraction(1), n) == 1 and huge_power(Fraction(0), n) == 0
    # 10^12 log10(0.9) = 10^12 * (-0.0457574905606751...) = -45757490560.675...
    lg = huge_power(Fraction(9, 10), n).log10
    assert -45757490561 < float(lg) < -45757490560


TOKENS = [
    "0.9", "2", "10", "1.153e-12", "2.11\\times10^{-45757490561}", "^{10^{12}}", "^{30}", "^{-1}",
    "/", "\\frac{9}{10}", "(", ")", "+", "-", "\\cdot", "\\operatorname{diag}(0.9, 0.4)",
    "\\sigma(2)", "\\sigma^{\\prime}(-1)", "\\sum_t", "0", "=", "\\approx", "\\Lambda",
]  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12))
def test_random_numeric_answers_always_get_a_verdict(tokens: list[str]) -> None:
    # never an exception out of the judge: a verdict, or undecided with a reason
    from symbptt.answers.judge import AnswerSpec, judge

    spec = AnswerSpec("f", " ".join(tokens), given={"Lambda": "\\operatorname{diag}(0.9, 0.4)"})
    v = judge(spec, None)
    assert v.verdict in ("correct", "wrong", "undecided") and v.reason
