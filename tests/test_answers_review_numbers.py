"""Issue 9 review: false verdicts on numbers (huge powers, rounding, exact parts, signs, limits).

Every expected verdict is worked out here independently: by hand (the comments), with Python's
Fractions, or with mpmath logarithms; never from the checker's own output.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbptt.answers.bignum import LogNumber, huge_power
from symbptt.answers.files import read_submission
from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import load
from symbptt.errors import InputError

Q = "\\begin{bmatrix}-0.6&-0.8\\\\-0.8&0.6\\end{bmatrix}"
GIVEN = {"Lambda": "\\operatorname{diag}(0.9, 0.4)", "Q": Q, "W": "Q\\Lambda Q^{-1}"}
HW3 = load("homework3")


def verdict(answer: str, given: dict[str, str] | None = None) -> tuple[str, str]:
    v = judge(AnswerSpec("t", answer, given=given or {}), HW3)
    return v.verdict, v.reason


# --------------------------------------------------------------------------- 1. huge powers


@pytest.mark.parametrize(
    "answer",
    [
        "1 + 0.9^{10^{12}} = 1",  # differs by 0.9^{10^12} > 0
        "0.9^{1001} + 0.4^{1001} = 0.9^{1001}",  # by 0.4^{1001}
        "0.9^{2000}+0.4^{2000}=0.9^{2000}",
        "0.9^{10^{12}} - 0.4^{10^{12}} = 0.9^{10^{12}}",
    ],
)
def test_a_sum_of_huge_powers_differing_by_a_nonzero_term_is_wrong(answer: str) -> None:
    got, why = verdict(answer)
    assert got == "wrong", why


def test_huge_matrix_power_with_a_dropped_eigenvalue_term_is_wrong() -> None:
    # Q diag(0.9^N, 0.4^N) Q^{-1} - Q diag(0.9^N, 0) Q^{-1} = 0.4^N q2 q2^T, nonzero
    got, why = verdict(
        "Q \\Lambda^{10^{12}} Q^{-1} = Q \\operatorname{diag}(0.9^{10^{12}}, 0) Q^{-1}", GIVEN
    )
    assert got == "wrong", why
    got, why = verdict(
        "Q \\Lambda^{10^{12}} Q^{-1} = Q \\operatorname{diag}(0.9^{10^{12}}, 0.4^{10^{12}}) Q^{-1}",
        GIVEN,
    )
    assert got == "correct", why


def test_equal_sums_of_huge_powers_are_equal_exactly() -> None:
    # the exponent laws: 0.9^{N+1} = 0.9 * 0.9^N; (0.4^N + 0.9^N) - 0.9^N = 0.4^N
    assert verdict("0.9^{10^{12}+1} = 0.9 \\cdot 0.9^{10^{12}}")[0] == "correct"
    assert verdict("0.9^{1001} + 0.4^{1001} - 0.9^{1001} = 0.4^{1001}")[0] == "correct"
    n = 10**12
    a, b = huge_power(Fraction(9, 10), n), huge_power(Fraction(2, 5), n)
    assert (a + b) - a == b and (a + b) != a and (1 + a) != 1


def test_huge_sum_sign_and_logarithm_against_mpmath() -> None:
    # 0.9^{1001} - 0.4^{1001}: positive, log10 = 1001 log10(0.9) + log10(1 - (4/9)^{1001})
    mpmath.mp.dps = 60
    want = 1001 * mpmath.log10(mpmath.mpf(9) / 10)
    d = huge_power(Fraction(9, 10), 1001) - huge_power(Fraction(2, 5), 1001)
    assert d.sign == 1 and abs(float(d.log10 - want)) < 1e-30
    assert (huge_power(Fraction(2, 5), 1001) - huge_power(Fraction(9, 10), 1001)).sign == -1


# --------------------------------------------------------------------------- 2. exact parts


@pytest.mark.parametrize(
    "answer, expected",
    [
        # 0.9^30 = 0.0423911..., 0.4^30 = 1.1529e-12; 0.4^29 and 0.4^20 are other exact terms
        ("W^{30} = Q \\operatorname{diag}(0.0424, 0.4^{29}) Q^{-1}", "wrong"),
        ("W^{30} = Q \\operatorname{diag}(0.0424, 0.4^{20}) Q^{-1}", "wrong"),
        ("W^{30} = Q \\operatorname{diag}(0.0424, 0.4^{30}) Q^{-1}", "correct"),
        ("W^{30} = Q \\operatorname{diag}(0.0423, 0.4^{30}) Q^{-1}", "correct"),  # truncated
        ("W^{30} = Q \\operatorname{diag}(0.0425, 0.4^{30}) Q^{-1}", "wrong"),
    ],
)
def test_an_exact_term_beside_a_rounded_decimal_must_be_exact(answer: str, expected: str) -> None:
    assert Fraction("0.04235") <= Fraction(9, 10) ** 30 < Fraction("0.0424")  # by hand above
    got, why = verdict(answer, GIVEN)
    assert got == expected, why


def test_exact_terms_of_a_sum_must_be_terms_of_the_left_side() -> None:
    assert verdict("0.9^{30}+0.4^{30} = 0.0424 + 0.4^{29}")[0] == "wrong"
    assert verdict("0.9^{30}+0.4^{30} = 0.0424 + 0.4^{30}")[0] == "correct"
    assert verdict("0.9^{30}+0.4^{30} = 0.0424")[0] == "correct"  # 0.0423911... + 1.2e-12
    # like bases are compared exactly: 0.9^{30} is no power of 0.9 on the left
    assert verdict("0.9^{10^{12}} = 0.9^{30} - 0.0424")[0] == "wrong"
    # exact terms in other numbers are free, so that an expansion such as
    # (1 + 0.9)^2 = 1 + 2 * 0.9 + 0.81 stays right, also beside a like-base term
    assert verdict("1.9^{2} = 1 + 2 \\cdot 0.9 + 0.81")[0] == "correct"  # 3.61 exactly
    assert verdict("1.9^{2} + 0.4^{30} = 1 + 2 \\cdot 0.9 + 0.81 + 0.4^{30}")[0] == "correct"
    assert verdict("1.9^{2} + 0.4^{30} = 1 + 2 \\cdot 0.9 + 0.81 + 0.4^{29}")[0] == "wrong"
    # 1 + 2 [0.895, 0.91) + [0.705, 0.72) stays below 3.54 < 3.61
    assert verdict("1.9^{2} = 1 + 2 \\cdot 0.90 + 0.71")[0] == "wrong"
    half = "\\frac{1}{2}(0.9^{30}+0.4^{30})"
    assert verdict(f"{half} = 0.0212 + \\frac{{1}}{{2}} 0.4^{{30}}")[0] == "correct"  # 0.02119...
    assert verdict(f"{half} = 0.0212 + \\frac{{1}}{{2}} 0.4^{{29}}")[0] == "wrong"
    assert verdict("0.9^{30} + 1 = 0.0424 + 1")[0] == "correct"
    assert verdict("2 \\cdot 0.9^{30} = 0.0424 + 0.0424")[0] == "correct"  # 0.08478


# --------------------------------------------------------------------------- 3. rounding


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("0.9^{2} = 0.82", "wrong"),  # 0.81 exactly
        ("0.9^{2} = 0.80", "wrong"),
        ("0.9^{2} = 0.81", "correct"),
        ("0.9^{2} = 0.8", "correct"),  # 0.81 rounded (and truncated) to 1 place
        ("0.9 \\cdot 0.4 = 0.37", "wrong"),  # 0.36
        ("\\frac{1}{4} = 0.26", "wrong"),
        ("\\frac{1}{4} = 0.2", "correct"),  # truncated (0.25 rounds to 0.2 or 0.3: a tie)
        ("\\frac{1}{4} = 0.3", "correct"),
        ("\\frac{1}{3} = 0.4", "wrong"),  # 0.333
        ("\\frac{2}{3} = 0.66", "correct"),  # truncated 0.666...
        ("\\frac{2}{3} = 0.67", "correct"),  # rounded
        ("\\frac{2}{3} = 0.65", "wrong"),
        ("-\\frac{2}{3} = -0.66", "correct"),  # truncated toward zero
        ("-\\frac{2}{3} = -0.65", "wrong"),
        ("0.9^{30} = 0.1", "wrong"),  # 0.0424 rounds to 0.0
        ("0.9^{30} = 0.0", "wrong"),  # a written zero is right only for an exact zero
        ("(9/10)^{10^{12}} = 0.0", "wrong"),
        ("0.4^{30} = 1.153e-12", "correct"),  # 1.15292e-12 rounded
        ("0.9^{30} = 0.0424", "correct"),  # 0.0423911 rounded
        ("0.9^{30} = 0.0423", "correct"),  # truncated
    ],
)
def test_a_written_decimal_is_the_truth_rounded_or_truncated(answer: str, expected: str) -> None:
    got, why = verdict(answer)
    assert got == expected, why


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("\\Lambda = \\operatorname{diag}(0.8, 0.4)", "wrong"),  # misquotes the given 0.9
        ("\\Lambda^{2} = \\operatorname{diag}(0.81, 0.17)", "wrong"),  # 0.16
        ("\\Lambda^{2} = \\operatorname{diag}(0.81, 0.16)", "correct"),
        # W = Q Lambda Q^{-1} = [[0.36*0.9+0.64*0.4, ...]]: by hand 0.58, 0.24, 0.24, 0.72
        ("W = \\begin{bmatrix}0.58&0.24\\\\0.24&0.73\\end{bmatrix}", "wrong"),
        ("W = \\begin{bmatrix}0.58&0.24\\\\0.24&0.72\\end{bmatrix}", "correct"),
    ],
)
def test_matrices_written_out_entry_by_entry(answer: str, expected: str) -> None:
    q = [[Fraction(-3, 5), Fraction(-4, 5)], [Fraction(-4, 5), Fraction(3, 5)]]  # Q^{-1} = Q
    lam = [Fraction(9, 10), Fraction(2, 5)]
    w = [[sum(q[i][k] * lam[k] * q[j][k] for k in range(2)) for j in range(2)] for i in range(2)]
    assert w == [[Fraction(58, 100), Fraction(24, 100)], [Fraction(24, 100), Fraction(72, 100)]]
    got, why = verdict(answer, GIVEN)
    assert got == expected, why


# --------------------------------------------------------------------------- 4. data, \approx


def test_a_result_written_out_is_rounded_even_if_its_digits_are_data() -> None:
    # 10 * 0.9^30 = 0.42391...: 0.4 is its rounding to one place, 0.5 is not
    lam = {"Lambda": GIVEN["Lambda"]}
    assert verdict("10 \\cdot 0.9^{30} = 0.4", lam)[0] == "correct"
    assert verdict("10 \\cdot 0.9^{30} = 0.5", lam)[0] == "wrong"


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("0.9^{-30} \\approx 24", "correct"),  # 23.589...
        ("0.9^{-30} \\approx 23", "correct"),  # truncated
        ("0.9^{-30} \\approx 25", "wrong"),
        ("10^{4}\\cdot 0.9^{30}\\approx 424", "correct"),  # 423.91...
        ("10^{4}\\cdot 0.9^{30}\\approx 425", "wrong"),
        ("10^{4}\\cdot 0.9^{30} = 424", "wrong"),  # '=': an integer is exact
    ],
)
def test_a_number_after_approx_is_rounded(answer: str, expected: str) -> None:
    assert 23 < float(Fraction(10, 9) ** 30) < 23.6 and 423.9 < 1e4 * 0.9**30 < 424
    got, why = verdict(answer)
    assert got == expected, why


# --------------------------------------------------------------------------- 5. signs


def test_the_rounding_of_a_computed_step_never_reaches_the_wrong_sign() -> None:
    # 0.1^3 * (-100) = -0.1 whatever 0.1 stands for in [0.05, 0.2): never +0.1
    assert verdict("\\frac{1}{10} = 0.1 \\cdot 0.1 \\cdot 0.1 \\cdot (-100)")[0] == "wrong"
    # log(9/10) < 0, so the right side is about -9.1e7, the left 0.9
    got, why = verdict(
        "9/10 \\approx \\frac{1e-3}{1.153\\times10^{-12}} \\cdot \\log(\\frac{9}{10})"
    )
    assert got == "wrong", why
    # the same magnitudes with the right sign: 0.1 * 0.1 * 0.1 * 100 = 0.1 exactly
    assert verdict("\\frac{1}{10} = 0.1 \\cdot 0.1 \\cdot 0.1 \\cdot 100")[0] == "correct"


def test_a_computed_step_is_right_inside_its_rounding_range() -> None:
    # 0.36 * 0.0424 (both computed): [0.355, 0.37) x [0.04235, 0.0425) contains 0.36 * 0.9^30
    assert verdict("0.36 \\cdot 0.9^{30} = 0.36 \\cdot 0.0424")[0] == "correct"
    # 2 * 0.0424 for 2 * 0.9^30 = 0.0848: fine; 2 * 0.0426 stays above 0.0851 > 0.08478
    assert verdict("2 \\cdot 0.9^{30} = 2 \\cdot 0.0424")[0] == "correct"
    assert verdict("2 \\cdot 0.9^{30} = 2 \\cdot 0.0426")[0] == "wrong"


# --------------------------------------------------------------------------- 6. inequalities


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("(9/10)^{10^{12}} > 0", "correct"),
        ("(9/10)^{10^{12}} < 10^{-1000}", "correct"),  # log10 = -4.6e10 < -1000
        ("(9/10)^{10^{12}} > 10^{-1000}", "wrong"),
        ("(9/10)^{10^{12}} > 0.9^{10^{12}+1}", "correct"),  # ratio 10/9 > 1
        ("(9/10)^{10^{12}} < 0.9^{10^{12}+1}", "wrong"),
        ("2^{-10^{12}} > 0", "correct"),
        ("2^{-10^{12}} < 0", "wrong"),
        ("0.5^{2^{1001}} = 0", "wrong"),  # a positive base to any power is positive
        ("0.5^{2^{1001}} > 0", "correct"),
        ("0.5^{2^{1001}} > 0.1", "wrong"),  # log10 = -2^{1001} log10(2) < -10^{300}
        ("0.5^{2^{1001}} < 0.5^{2^{1001}-1}", "correct"),  # ratio 1/2
        ("0.5^{2^{1001}} \\cdot 2^{2^{1001}} = 1", "correct"),
        ("2^{2^{1001}} < 10^{30}", "wrong"),
    ],
)
def test_inequalities_of_huge_powers_are_decided_exactly(answer: str, expected: str) -> None:
    got, why = verdict(answer)
    assert got == expected, why


def test_lognumber_of_an_exponent_that_is_an_integer() -> None:
    assert huge_power(Fraction(2), 1001).as_int() == 2**1001
    assert LogNumber.of(Fraction(1, 3)).as_int() is None


# --------------------------------------------------------------------------- 7, 8. files


def _check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "a.yaml"
    f.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "symbptt", "check", str(f)], capture_output=True, text=True
    )


def _read(tmp_path: Path, text: str):  # noqa: ANN202
    f = tmp_path / "a.yaml"
    f.write_text(text)
    return read_submission(f)


@pytest.mark.parametrize("value", [".inf", ".nan", "-1", "0", "abc", "-.inf", "'1e400'"])
def test_a_bad_tolerance_is_an_input_error_naming_file_line_and_answer(
    tmp_path: Path, value: str
) -> None:
    text = (
        "model: homework3\nstudent: x\nanswers:\n  - id: a1\n    answer: '0.9^{2} = 0.81'\n"
        f"    tolerance: {{absolute: {value}}}\n"
    )
    with pytest.raises(InputError) as err:
        _read(tmp_path, text)
    out = str(err.value)
    assert "a.yaml:6" in out and "'a1'" in out and "finite" in out


def test_an_infinite_tolerance_exits_2_without_a_traceback(tmp_path: Path) -> None:
    r = _check(
        tmp_path,
        "model: homework3\nstudent: x\nanswers:\n  - id: a1\n    answer: '0.9^{2} = 0.81'\n"
        "    tolerance: {absolute: .inf}\n",
    )
    out = r.stdout + r.stderr
    assert r.returncode == 2 and "a.yaml:6" in out, out
    assert "Traceback" not in out and "internal error" not in out


def test_yaml_top_level_defaults_like_a_front_matter(tmp_path: Path) -> None:
    # absolute 0.1 admits 0.75 for 0.81 (file default); the answer's own 0.01 does not
    sub = _read(
        tmp_path,
        "model: homework3\nstudent: x\ntolerance: {absolute: 0.1}\n"
        "given: {a: '0.9'}\nanswers:\n"
        "  - {id: d1, answer: 'a^{2} = 0.75'}\n"
        "  - {id: d2, answer: 'a^{2} = 0.75', tolerance: {absolute: 0.01}}\n"
        "  - {id: d3, answer: 'a \\cdot b = 0.45', given: {b: '0.5'}}\n",
    )
    got = [judge(spec, HW3).verdict for spec in sub.answers]
    assert got == ["correct", "wrong", "correct"]  # d3: the file's a and its own b (0.45)
    with pytest.raises(InputError) as err:
        _read(
            tmp_path,
            "model: homework3\ntolerance: {relative: .inf}\nanswers: [{id: a, answer: '1=1'}]\n",
        )
    assert "a.yaml:2" in str(err.value)


@pytest.mark.parametrize(
    "answer, expected",
    [
        # sigma'(0) = 1/4 exactly; W random (float64 at random points)
        ("\\sigma'(0) W = 0.25 W", "correct"),
        ("\\sigma'(0) W = 0.2 W", "correct"),  # truncated
        ("\\sigma'(0) W = 0.3 W", "correct"),  # 0.25 rounds to 0.3 (a tie)
        ("\\sigma'(0) W = 0.24 W", "wrong"),  # truncation of 0.25 is 0.25, not 0.24
        ("\\sigma'(0) W = -0.25 W", "wrong"),  # the sign
        ("\\frac{1}{4} = 0.24 \\cdot 1", "wrong"),
    ],
)
def test_the_far_end_of_truncation_is_open(answer: str, expected: str) -> None:
    got, why = verdict(answer)
    assert got == expected, why


@pytest.mark.parametrize(
    "answer, expected",
    [
        # (9/10)^{10^12} = 2.11287882...e-45757490561 (mpmath, in the test below)
        ("(9/10)^{10^{12}} = 2.113\\times10^{-45757490561}", "correct"),
        ("(9/10)^{10^{12}} = 2.112\\times10^{-45757490561}", "correct"),  # truncated
        ("(9/10)^{10^{12}} = 2.114\\times10^{-45757490561}", "wrong"),
        ("(9/10)^{10^{12}} \\approx 2\\times10^{-45757490561}", "correct"),
        ("(9/10)^{10^{12}} \\approx 3\\times10^{-45757490561}", "wrong"),
    ],
)
def test_scientific_notation_past_the_exponent_limit(answer: str, expected: str) -> None:
    mpmath.mp.dps = 40
    lg = mpmath.mpf(10) ** 12 * mpmath.log10(mpmath.mpf(9) / 10)
    assert mpmath.floor(lg) == -45757490561
    assert 2.1128 < float(mpmath.power(10, lg - mpmath.floor(lg))) < 2.1129
    got, why = verdict(answer)
    assert got == expected, why


@settings(max_examples=60, deadline=None)
@given(
    a=st.fractions(min_value=Fraction(1, 12), max_value=Fraction(20), max_denominator=12),
    b=st.fractions(min_value=Fraction(1, 12), max_value=Fraction(20), max_denominator=12),
    p=st.integers(min_value=1001, max_value=1400),
    q=st.integers(min_value=1001, max_value=1400),
    c=st.fractions(min_value=Fraction(-5), max_value=Fraction(5), max_denominator=7),
)
def test_huge_power_sums_are_exact_like_fractions(
    a: Fraction, b: Fraction, p: int, q: int, c: Fraction
) -> None:
    # exponents just past the limit, where Python's Fractions are still exact
    x, y = a**p, b**q
    bx, by = huge_power(a, p), huge_power(b, q)
    s = bx + c * by
    assert (s == x + c * y) and ((s > 0) == (x + c * y > 0)) and ((s < 0) == (x + c * y < 0))
    assert (s - bx == c * y) and ((bx + by == bx) == (y == 0))
    if x + c * y != 0 and x != c * y:
        assert (s > x) == (c * y > 0)


@pytest.mark.parametrize(
    "answer, expected",
    [
        # W/4 written as a sum of ten rounded multiples of W (affine: the range is the sum of
        # each decimal's own range): 0.05 in [0.045, 0.06), 0.01 in [0.005, 0.02)
        ("\\sigma'(0) W = " + " + ".join(["0.05 W"] * 4 + ["0.01 W"] * 6), "correct"),  # >= 0.21
        ("\\sigma'(0) W = " + " + ".join(["0.06 W"] * 4 + ["0.02 W"] * 6), "wrong"),  # >= 0.33
        # nine rounded factors (past the corners): not linear in them, so not judged
        ("\\frac{1}{10} = " + " \\cdot ".join(["0.1"] * 9) + " \\cdot (-10^{8})", "undecided"),
    ],
)
def test_many_rounded_decimals(answer: str, expected: str) -> None:
    got, why = verdict(answer)
    assert got == expected, why
