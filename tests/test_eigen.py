"""Matrix powers: against repeated multiplication, exact Fractions, hand formulas and the homework."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symbptt.eigen import (
    homework_exercise,
    matrix_power_eig,
    power_from_factors,
    unit_eigenvalue_counterexample,
)
from symbptt.errors import InputError
from symbptt.matrixtext import parse_matrix_text, parse_number


def repeated_product(M: np.ndarray, n: int) -> np.ndarray:
    """M^n by n plain multiplications (independent of numpy's matrix_power)."""
    out = np.eye(M.shape[0], dtype=M.dtype)
    for _ in range(n):
        out = out @ M
    return out


def fraction_power(rows: list[list[Fraction]], n: int) -> list[list[Fraction]]:
    """M^n in Python Fractions by repeated multiplication: an exact reference without sympy."""
    size = len(rows)
    out = [[Fraction(int(i == j)) for j in range(size)] for i in range(size)]
    for _ in range(n):
        out = [
            [sum((out[i][k] * rows[k][j] for k in range(size)), Fraction(0)) for j in range(size)]
            for i in range(size)
        ]
    return out


def as_fractions(M: sp.Matrix) -> list[list[Fraction]]:
    """A rational sympy Matrix as Fractions (fails if any entry is not rational)."""
    assert all(e.is_Rational for e in M), M
    return [[Fraction(int(e.p), int(e.q)) for e in row] for row in M.tolist()]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-0.6", Fraction(-3, 5)),
        ("3/5", Fraction(3, 5)),
        ("1e-3", Fraction(1, 1000)),
        ("2", Fraction(2)),
        (" .5 ", Fraction(1, 2)),
        ("-1.5/3", Fraction(-1, 2)),
    ],
)
def test_parse_number_decimal_strings_are_exact_rationals(text: str, expected: Fraction) -> None:
    value = parse_number(text)
    assert value.is_Rational and Fraction(int(value.p), int(value.q)) == expected


def test_parse_number_float_is_the_decimal_it_prints_as() -> None:
    assert parse_number(-0.6) == sp.Rational(-3, 5)
    assert parse_number(Fraction(1, 3)) == sp.Rational(1, 3)


@pytest.mark.parametrize("bad", ["abc", "nan", "-inf", "1/0", "", "0x10", float("nan"), True])
def test_parse_number_rejects(bad: object) -> None:
    with pytest.raises(InputError):
        parse_number(bad)


def test_parse_matrix_text_both_forms() -> None:
    assert parse_matrix_text("[[0.5, 2], [0, 0.5]]") == parse_matrix_text("0.5 2; 0 1/2")
    assert parse_matrix_text("[[1,2],[3,4]]")[1][0] == 3


@pytest.mark.parametrize(
    "bad", ["[[1,2],[3", "[[1,,2]]", "[[1,2]] x", "[1, [2]]", "[[[1]]]", "__import__('os')"]
)
def test_parse_matrix_text_rejects_malformed(bad: str) -> None:
    with pytest.raises(InputError, match="--matrix"):
        parse_matrix_text(bad)


# --------------------------------------------------------------------------- numeric route


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [0, 1, 2, 7, 20])
def test_numeric_power_matches_repeated_multiplication(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(4, 4)) / 2  # non-symmetric, generically diagonalizable
    r = matrix_power_eig(M, n)
    assert r.diagonalizable and r.method == "eigendecomposition"
    np.testing.assert_allclose(r.power, repeated_product(M, n), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r.Q @ r.Lambda_n @ r.Q_inv, r.power, atol=1e-12)
    assert [d for d, _ in r.steps][-1].startswith(f"M^{n} = Q Lambda^{n}")


def test_numeric_eigenvalues_and_factors_reconstruct_M() -> None:
    M = np.array([[2.0, 1.0], [0.0, 3.0]])
    r = matrix_power_eig(M, 3)
    assert sorted(r.eigenvalues) == pytest.approx([2.0, 3.0])
    np.testing.assert_allclose(r.Q @ r.Lambda @ r.Q_inv, M, atol=1e-12)
    np.testing.assert_allclose(r.power, [[8, 19], [0, 27]])  # 3^3 - 2^3 = 19


# --------------------------------------------------------------------------- exact route


@pytest.mark.parametrize(
    "rows, n",
    [
        ([["1", "2"], ["3", "4"]], 9),  # irrational eigenvalues (5 +- sqrt 33)/2
        ([["0.5", "0.25"], ["-0.1", "0.3"]], 12),  # non-symmetric, decimals
        ([["2", "1", "0"], ["1", "3", "1"], ["0", "1", "4"]], 6),  # eigenvalues 3, 3 +- sqrt 3
    ],
)
def test_exact_power_is_rational_and_matches_fractions(rows: list[list[str]], n: int) -> None:
    r = matrix_power_eig(rows, n, exact=True)
    ref = fraction_power([[Fraction(v) for v in row] for row in rows], n)
    assert as_fractions(r.power) == ref
    assert r.diagonalizable and r.method == "eigendecomposition"


def test_exact_irreducible_cubic_uses_exact_repeated_squaring() -> None:
    # det(xI - M) = x^3 + 2x^2 - 35x + 42 has no rational root (candidates +-1, 2, 3, 6, 7, ...),
    # so it is irreducible over Q: three distinct eigenvalues, hence diagonalizable.
    rows = [[4, 2, 0], [-3, -2, -5], [-5, -5, -4]]
    r = matrix_power_eig(rows, 8, exact=True)
    assert r.method == "repeated-squaring" and r.diagonalizable and r.Q is None
    assert as_fractions(r.power) == fraction_power([[Fraction(v) for v in row] for row in rows], 8)
    np.testing.assert_allclose(
        sorted(complex(v).real for v in r.eigenvalues),
        sorted(np.linalg.eigvals(np.array(rows, float)).real),
        rtol=1e-12,
    )


def test_exact_diagonalizable_with_repeated_eigenvalue() -> None:
    # diag(2, 2, 3) conjugated: minimal polynomial (x-2)(x-3) is squarefree.
    P = sp.Matrix([[1, 2, 0], [0, 1, 1], [1, 0, 1]])
    M = P * sp.diag(2, 2, 3) * P.inv()
    r = matrix_power_eig(M, 5, exact=True)
    assert r.diagonalizable and r.method == "eigendecomposition"
    assert sorted(r.eigenvalues) == [2, 2, 3]
    assert as_fractions(r.power) == fraction_power(as_fractions(M), 5)


def test_exact_power_of_rational_matches_sympy_power() -> None:
    M = sp.Matrix([[sp.Rational(1, 2), 2], [sp.Rational(-1, 3), sp.Rational(1, 4)]])
    assert matrix_power_eig(M, 11, exact=True).power == M**11


# --------------------------------------------------------------------------- complex eigenvalues


@pytest.mark.parametrize("exact", [False, True])
def test_rotation_scaling_complex_eigenvalues(exact: bool) -> None:
    # M = r R(theta) with r = 1/2, cos theta = 3/5, sin theta = 4/5: M^n = r^n R(n theta).
    a, b, n = Fraction(3, 10), Fraction(4, 10), 7
    M = [[a, -b], [b, a]]
    r = matrix_power_eig(M, n, exact=exact)
    theta, rad = math.atan2(4, 3), 0.5
    expected = rad**n * np.array(
        [[math.cos(n * theta), -math.sin(n * theta)], [math.sin(n * theta), math.cos(n * theta)]]
    )
    eigs = sorted((complex(v) for v in r.eigenvalues), key=lambda z: z.imag)
    assert eigs == [pytest.approx(0.3 - 0.4j), pytest.approx(0.3 + 0.4j)]
    assert r.diagonalizable
    if exact:
        assert as_fractions(r.power) == fraction_power(M, n)
        np.testing.assert_allclose(np.array(r.power.evalf(), dtype=float), expected, atol=1e-15)
    else:
        assert np.isrealobj(r.power)
        np.testing.assert_allclose(r.power, expected, atol=1e-15)
        np.testing.assert_allclose(r.power, repeated_product(np.array(M, float), n), atol=1e-15)


# --------------------------------------------------------------------------- defective matrices


@pytest.mark.parametrize("exact", [False, True])
def test_defective_matrix_reports_jordan_form_not_eigendecomposition(exact: bool) -> None:
    # [[2, 1], [0, 2]]^n = [[2^n, n 2^(n-1)], [0, 2^n]] (binomial expansion of (2I + N)^n).
    n = 10
    r = matrix_power_eig([[2, 1], [0, 2]], n, exact=exact)
    assert r.diagonalizable is False
    assert r.Q is None and r.Lambda is None and r.Lambda_n is None
    assert r.jordan_J == sp.Matrix([[2, 1], [0, 2]])
    assert r.jordan_P * r.jordan_J * r.jordan_P.inv() == sp.Matrix([[2, 1], [0, 2]])
    expected = [[2**n, n * 2 ** (n - 1)], [0, 2**n]]
    if exact:
        assert r.method == "jordan" and r.power == sp.Matrix(expected)
    else:
        assert r.method == "repeated-squaring"
        np.testing.assert_array_equal(r.power, expected)
    assert [complex(v) for v in r.eigenvalues] == [2, 2]


def test_defective_3x3_exact() -> None:
    # Block diag(3, J_2(3)) conjugated by an integer unimodular P: still defective.
    P = sp.Matrix([[1, 1, 0], [0, 1, 1], [1, 0, 2]])
    J = sp.Matrix([[3, 0, 0], [0, 3, 1], [0, 0, 3]])
    M = P * J * P.inv()
    r = matrix_power_eig(M, 5, exact=True)
    assert not r.diagonalizable
    assert sorted(r.jordan_J.diagonal()) == [3, 3, 3]
    assert sum(r.jordan_J[i, i + 1] for i in range(2)) == 1  # one 2x2 block
    assert as_fractions(r.power) == fraction_power(as_fractions(M), 5)


# --------------------------------------------------------------------------- unit eigenvalues


def test_all_eigenvalues_one_claim_fails_for_jordan_block() -> None:
    demo = unit_eigenvalue_counterexample(n=7)
    assert demo.eigenvalues == (1, 1)
    assert not demo.diagonalizable and not demo.claim_holds
    assert demo.power == sp.Matrix([[1, 7], [0, 1]])


def test_all_eigenvalues_one_claim_fails_for_conjugated_block() -> None:
    # M = [[2, 1], [-1, 0]]: trace 2, det 1, so both eigenvalues are 1, but M != I.
    # (M - I)^2 = 0, hence M^n = I + n (M - I).
    demo = unit_eigenvalue_counterexample([[2, 1], [-1, 0]], n=4)
    assert not demo.claim_holds and not demo.diagonalizable
    assert demo.power == sp.Matrix([[5, 4], [-4, -3]])


def test_all_eigenvalues_one_claim_holds_only_for_identity() -> None:
    demo = unit_eigenvalue_counterexample([[1, 0], [0, 1]], n=9)
    assert demo.diagonalizable and demo.claim_holds


def test_unit_eigenvalue_helper_rejects_other_eigenvalues() -> None:
    with pytest.raises(InputError, match="eigenvalues all equal 1"):
        unit_eigenvalue_counterexample([[2, 0], [0, 1]])


# --------------------------------------------------------------------------- homework


def test_homework_w30_to_four_places() -> None:
    hw = homework_exercise()
    a, b = 0.9**30, 0.4**30  # Lambda^30 by hand
    assert round(a, 4) == 0.0424 and f"{b:.3e}" == "1.153e-12"
    # Q is symmetric orthogonal, so Q^{-1} = Q and W^k = Q diag(0.9^k, 0.4^k) Q.
    q = np.array([[-0.6, -0.8], [-0.8, 0.6]])
    expected = q @ np.diag([a, b]) @ q
    np.testing.assert_allclose(hw.W, [[0.58, 0.24], [0.24, 0.72]], atol=1e-15)
    np.testing.assert_allclose(np.round(hw.W_n, 4), np.round(expected, 4))
    np.testing.assert_allclose(np.round(hw.W_n, 4), [[0.0153, 0.0203], [0.0203, 0.0271]])
    np.testing.assert_allclose(hw.W_n, repeated_product(hw.W, 30), rtol=1e-12)
    # Lambda^30 is diag(0.9^30, 0.4^30), not that diagonal raised to the 30th power again.
    np.testing.assert_allclose(np.diag(hw.numeric.Lambda_n), [a, b], rtol=1e-12)
    np.testing.assert_allclose(hw.numeric.Q_inv, q, atol=1e-15)


def test_homework_exact_route() -> None:
    hw = homework_exercise()
    W = [[Fraction(29, 50), Fraction(6, 25)], [Fraction(6, 25), Fraction(18, 25)]]
    assert as_fractions(hw.exact.M) == W
    assert as_fractions(hw.exact.power) == fraction_power(W, 30)
    assert hw.exact.Lambda_n == sp.diag(sp.Rational(9, 10) ** 30, sp.Rational(2, 5) ** 30)
    assert hw.exact.Q_inv == hw.exact.Q
    descriptions = [d for d, _ in hw.exact.steps]
    assert descriptions == [
        "Q",
        "Lambda",
        "Q^{-1}",
        "M = Q Lambda Q^{-1}",
        "Lambda^30",
        "M^30 = Q Lambda^30 Q^{-1}",
    ]
    assert any("Q - 1" in e for e in hw.errata) and any("^30" in e for e in hw.errata)


def test_power_from_factors_lambda_as_matrix_equals_lambda_as_list() -> None:
    Q = [[1, 1], [0, 1]]
    r1 = power_from_factors(Q, ["1/2", 3], 4, exact=True)
    r2 = power_from_factors(Q, [[0.5, 0], [0, 3]], 4, exact=True)
    assert r1.power == r2.power == r1.M**4


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "M, match",
    [
        ([[1, 2], [3]], "ragged"),
        ([[1, 2, 3], [4, 5, 6]], "square"),
        ([[1, "x"], [0, 1]], r"matrix\[0\]\[1\]"),
        ([[1, float("nan")], [0, 1]], "finite"),
        ([[1, "inf"], [0, 1]], "finite"),
        ([], "non-empty"),
        ("12", "matrix"),
    ],
)
@pytest.mark.parametrize("exact", [False, True])
def test_bad_matrices(M: object, match: str, exact: bool) -> None:
    with pytest.raises(InputError, match=match):
        matrix_power_eig(M, 2, exact=exact)


@pytest.mark.parametrize("n", [-1, 2.5, "3", True])
def test_bad_power(n: object) -> None:
    with pytest.raises(InputError, match="non-negative integer"):
        matrix_power_eig([[1, 0], [0, 1]], n)  # type: ignore[arg-type]


@pytest.mark.parametrize("exact", [False, True])
def test_singular_q(exact: bool) -> None:
    with pytest.raises(InputError, match="Q.*singular"):
        power_from_factors([[1, 2], [2, 4]], [0.9, 0.4], 3, exact=exact)


def test_bad_lambda() -> None:
    with pytest.raises(InputError, match="diagonal"):
        power_from_factors([[1, 0], [0, 1]], [[1, 2], [0, 1]], 3)
    with pytest.raises(InputError, match="Lambda has 3"):
        power_from_factors([[1, 0], [0, 1]], [1, 2, 3], 3)


def test_ill_conditioned_but_diagonalizable_is_not_called_defective() -> None:
    # [[1, 1], [0, 1 + 1e-9]] has two distinct eigenvalues, so it is diagonalizable (by hand:
    # eigenvectors (1, 0) and (1, 1e-9)); its numeric eigenvector matrix has cond ~ 2e9.
    r = matrix_power_eig([[1, 1], [0, "1.000000001"]], 5)
    assert r.diagonalizable is True
    assert "not diagonalizable" not in " ".join(d for d, _ in r.steps)


def test_float_overflow_is_an_error_not_inf() -> None:
    with pytest.raises(InputError, match="overflows float64"):
        matrix_power_eig([[1, 2], [3, 4]], 2000)


def test_exact_power_is_bounded() -> None:
    with pytest.raises(InputError, match="above the exact route's limit"):
        matrix_power_eig([["0.3", "0.7"], ["0.2", "0.9"]], 200_000, exact=True)


def test_exact_power_is_refused_by_its_digit_count_not_computed() -> None:
    # M = [[3/7, 1/3], [2/9, 1/11]]: common denominator lcm(7, 3, 9, 11) = 693, largest scaled
    # entry 3/7 * 693 = 297; M^300 entries have about 300 (log10 693 + log10(2 * 297)) = 1684
    # digits (by hand), above the limit of 1000.
    rows = [["3/7", "1/3"], ["2/9", "1/11"]]
    digits = 300 * (math.log10(693) + math.log10(2 * 297))
    assert 1600 < digits < 1700
    with pytest.raises(InputError, match=r"about 1684 digits") as info:
        matrix_power_eig(rows, 300, exact=True)
    assert info.value.where == "n"
    M = sp.Matrix([[sp.Rational(3, 7), sp.Rational(1, 3)], [sp.Rational(2, 9), sp.Rational(1, 11)]])
    P = sp.eye(2)
    for _ in range(60):  # plain repeated multiplication, independent of the route under test
        P = P * M
    assert matrix_power_eig(rows, 60, exact=True).power == P
    P300 = P**5  # exact M^300, whose digits the exact route refuses to print
    np.testing.assert_allclose(  # the numeric route still gives it, to float64 precision
        matrix_power_eig(rows, 300).power, np.array(P300.evalf(20), dtype=float), rtol=1e-9, atol=0
    )


def test_entry_beyond_float64_on_the_numeric_route_names_the_entry() -> None:
    with pytest.raises(InputError, match="beyond float64") as info:
        matrix_power_eig([["1e400", "0"], ["0", "1"]], 2)
    assert info.value.where == "matrix[0][0]"
    exact = matrix_power_eig([["1e400", "0"], ["0", "1"]], 2, exact=True).power
    assert exact[0, 0] == sp.Integer(10) ** 800  # (10^400)^2, by hand


def test_float64_overflow_of_the_power_is_an_input_error() -> None:
    # (1e300 * ones(2))^2 = 2e600 * ones(2): beyond float64
    with pytest.raises(InputError, match="overflows float64"):
        matrix_power_eig([["1e300", "1e300"], ["1e300", "1e300"]], 2)


def test_a_failing_eigen_routine_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise np.linalg.LinAlgError("Eigenvalues did not converge")

    monkeypatch.setattr(np.linalg, "eig", fail)
    with pytest.raises(InputError, match="did not converge") as info:
        matrix_power_eig([[1, 2], [3, 4]], 3)
    assert info.value.where == "matrix"
