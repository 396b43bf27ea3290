"""Issue 9, numbers and notation: exact expressions carry no rounding, decimals the student
computed carry their own (entry by entry), and what students write is read.

Every expected verdict is worked out by hand (in the comments) or by an independent computation
written here (exact Fractions, math.exp, plain loops); nothing is pasted from our own output.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import builtin_names, builtin_paths, load
from symbptt.mathtext.parse import parse_latex

LAMBDA = {"Lambda": "\\operatorname{diag}(0.9, 0.4)"}
Q_TEX = "\\begin{bmatrix}-0.6&-0.8\\\\-0.8&0.6\\end{bmatrix}"
W_GIVEN = {"Q": Q_TEX, "Lambda": "\\operatorname{diag}(0.9, 0.4)", "W": "Q\\Lambda Q^{-1}"}


def verdict(tex: str, model: str | None = None, **kw: object) -> tuple[str, str]:
    v = judge(AnswerSpec("a", tex, **kw), load(model) if model else None)  # type: ignore[arg-type]
    return v.verdict, v.reason + " | " + v.tolerance


# ------------------------------------------------------------------ 1. exact expressions


@pytest.mark.parametrize(
    "rhs, expected",
    [
        # Lambda^30 = diag(0.9^30, 0.4^30) exactly; 0.9^29 != 0.9^30 (an exponent slip).
        ("\\operatorname{diag}(0.9^{30}, 0.4^{30})", "correct"),
        ("\\operatorname{diag}(0.9^{29}, 0.4^{30})", "wrong"),
        ("\\operatorname{diag}(0.9^{30}, 0.4^{29})", "wrong"),
        ("\\operatorname{diag}(0.9, 0.4)^{30}", "correct"),
        ("\\operatorname{diag}(0.9, 0.4)^{31}", "wrong"),
        # (9/10)^30 = 0.9^30 exactly, as a fraction too.
        ("\\operatorname{diag}((9/10)^{30}, \\frac{2}{5}^{30})", "correct"),
    ],
)
def test_lambda_power_written_exactly_has_no_tolerance(rhs: str, expected: str) -> None:
    assert Fraction(9, 10) ** 29 != Fraction(9, 10) ** 30  # the slip is a different number
    got, why = verdict(f"\\Lambda^{{30}} = {rhs}", given=LAMBDA)
    assert got == expected, why
    if expected == "correct":
        assert "exact" in why


@pytest.mark.parametrize("exp, expected", [(30, "correct"), (28, "wrong"), (29, "wrong")])
@pytest.mark.parametrize("q", ["Q", Q_TEX], ids=["Q-by-name", "Q-written-out"])
def test_w30_exponent_slip_never_passes(exp: int, expected: str, q: str) -> None:
    # Q is symmetric and orthogonal (Q^{-1} = Q); W^30 = Q diag(0.9^30, 0.4^30) Q^{-1}.
    # Q written out copies the problem's decimals (-0.6, -0.8): data, so no tolerance either.
    qinv = "Q^{-1}" if q == "Q" else q
    tex = f"W^{{30}} = {q} \\operatorname{{diag}}(0.9^{{{exp}}}, 0.4^{{30}}) {qinv}"
    got, why = verdict(tex, given=W_GIVEN)
    assert got == expected, why


def _w30() -> list[list[Fraction]]:
    """W^30 = 0.9^30 q1 q1^T + 0.4^30 q2 q2^T with q1 = (-0.6, -0.8), q2 = (-0.8, 0.6)."""
    q1, q2 = (Fraction(-3, 5), Fraction(-4, 5)), (Fraction(-4, 5), Fraction(3, 5))
    a, b = Fraction(9, 10) ** 30, Fraction(2, 5) ** 30
    return [[a * q1[i] * q1[j] + b * q2[i] * q2[j] for j in range(2)] for i in range(2)]


@pytest.mark.parametrize(
    "lam1, lam2, expected",
    [
        # 0.9^30 = 0.0423911..., 0.4^30 = 1.1529215e-12. Issue 9 review: each decimal must be
        # its eigenvalue rounded or truncated to its digits (Q is invertible, so the step
        # equals W^30 only with these two values), and a wrong one is never absorbed by the
        # other's rounding: 1.163e-12 was judged correct under the old +-1-unit bound.
        ("0.0424", "1.153\\times10^{-12}", "correct"),
        ("0.0423", "1.153e-12", "correct"),
        ("0.0426", "1.153\\times10^{-12}", "wrong"),
        ("0.0424", "1.163\\times10^{-12}", "wrong"),
    ],
)
def test_rounded_decimals_inside_a_computed_step_carry_their_own_unit(
    lam1: str, lam2: str, expected: str
) -> None:
    v1, v2 = Fraction(lam1), Fraction(lam2.replace("\\times10^{-12}", "e-12"))

    def rounds(v: Fraction, x: Fraction, u: Fraction) -> bool:  # to nearest, or truncated
        return abs(x - v) <= u / 2 or v <= x < v + u

    ok = rounds(v1, Fraction(9, 10) ** 30, Fraction(1, 10**4)) and rounds(
        v2, Fraction(2, 5) ** 30, Fraction(1, 10**15)
    )
    assert ok == (expected == "correct")
    got, why = verdict(
        f"W^{{30}} = Q \\operatorname{{diag}}({lam1}, {lam2}) Q^{{-1}}", given=W_GIVEN
    )
    assert got == expected, why


@pytest.mark.parametrize("tiny, expected", [("1.153", "correct"), ("1.156", "wrong")])
def test_computed_step_is_judged_entry_by_entry_not_normwise(tiny: str, expected: str) -> None:
    # 1 * diag(...) is a computed step (not a matrix written out); 0.4^30 = 1.15292e-12, so
    # 1.156e-12 is three units of 1e-15 off in its own entry although tiny next to 0.0424.
    assert (abs(Fraction(2, 5) ** 30 - Fraction(f"{tiny}e-12")) <= Fraction(1, 10**15)) == (
        expected == "correct"
    )
    got, why = verdict(
        f"\\Lambda^{{30}} = 1 \\cdot \\operatorname{{diag}}(0.0424, {tiny}\\times10^{{-12}})",
        given=LAMBDA,
    )
    assert got == expected, why


def test_numbers_copied_from_the_question_are_exact() -> None:
    # 0.5 and 0.9 are the question's numbers: copied into a step they are exact. 0.902 is the
    # student's (unit 0.001): 0.5 * 0.902 = 0.451 is 0.001 off 0.45, more than 0.5 * 0.001.
    # Were 0.5 a rounded decimal (unit 0.1) the bound would be 0.0902 and it would pass.
    assert verdict("0.5 \\cdot 0.9 = 0.5 \\cdot 0.9")[0] == "correct"
    assert verdict("0.5 \\cdot 0.9 = 0.9 \\cdot 0.5")[0] == "correct"
    assert verdict("0.5 \\cdot 0.9 = 0.5 \\cdot 0.902")[0] == "wrong"
    assert verdict("0.5 \\cdot 0.9 = 0.5 \\cdot 0.9004")[0] == "wrong"  # 2e-4 > 0.5e-4
    # issue 9 review: a decimal is the truth rounded or truncated; 0.9 to four places is 0.9000
    assert verdict("0.5 \\cdot 0.9 = 0.5 \\cdot 0.9001")[0] == "wrong"
    # a rounded result used in a product keeps its unit: 0.42 = 0.45 - 0.03, and 0.421 * 1 ...
    assert verdict("0.9^{2} = 0.81 \\cdot 1")[0] == "correct"  # 0.81 exact
    assert verdict("0.9^{3} = 0.73 \\cdot 1")[0] == "correct"  # 0.729, one unit 0.01
    assert verdict("0.9^{3} = 0.74 \\cdot 1")[0] == "wrong"  # 0.011 off


def test_scientific_e_notation_is_one_number() -> None:
    assert verdict("0.4^{30} = 1.153e-12")[0] == "correct"  # 1.15292e-12, unit 1e-15
    assert verdict("0.4^{30} = 1.156e-12")[0] == "wrong"


# ------------------------------------------------------------------ 3. functions of numbers


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize(
    "tex, value",
    [
        ("\\sigma(2)", _sigmoid(2)),  # homework 3's sigma is the logistic sigmoid
        ("\\sigma'(-1)", _sigmoid(-1) * (1 - _sigmoid(-1))),
        ("\\sigma^{\\prime}(-1)", _sigmoid(-1) * (1 - _sigmoid(-1))),
        ("\\sigma'(0)", 0.25),
    ],
)
def test_sigma_of_a_number_in_homework3(tex: str, value: float) -> None:
    right = f"{value:.3f}"
    off = f"{value + 0.003:.3f}"  # three units of the last digit away
    assert verdict(f"{tex} = {right}", "homework3")[0] == "correct"
    assert verdict(f"{tex} = {off}", "homework3")[0] == "wrong"


def test_model_activation_of_a_number() -> None:
    # elman's activation f is tanh: tanh(2) = 0.96403; f'(0.5) = 1 - tanh(0.5)^2 = 0.78645
    assert verdict("f(2) = 0.964", "elman")[0] == "correct"
    assert verdict(f"f'(0.5) = {1 - math.tanh(0.5) ** 2:.4f}", "elman")[0] == "correct"
    assert verdict("f(2) = 0.881", "elman")[0] == "wrong"
    # the tutorial's f is generic: f(2) has no value
    got, why = verdict("f(2) = 0.964", "tutorial")
    assert got == "undecided" and "generic" in why


# ------------------------------------------------------------------ 2. what students write


def test_prime_spelled_out_and_slash_division() -> None:
    assert parse_latex("\\sigma^{\\prime}(x)") == parse_latex("\\sigma'(x)")
    assert parse_latex("\\sigma^\\prime(x)") == parse_latex("\\sigma'(x)")
    assert parse_latex("f^{\\prime\\prime}(x)") == parse_latex("f''(x)")
    assert verdict("(9/10)^{29} = \\frac{9^{29}}{10^{29}}")[0] == "correct"
    assert verdict("(9/10)^{29} = 0.9^{29}")[0] == "correct"
    assert verdict("(9/10)^{29} = 0.9^{30}")[0] == "wrong"


DL_DW = "\\frac{\\partial L}{\\partial W}"
WHERE_TOTAL = {"\\delta_t": "\\frac{\\partial L}{\\partial h_t}"}


@pytest.mark.parametrize(
    "h, expected",
    [
        # dL/dW = sum_t diag(sigma'(s_t)) delta_t h_{t-1}^T with delta_t = dL/dh_t (corpus ex1b-total)
        ("h^{(t-1)\\top}", "correct"),
        ("h^{(t-1)T}", "correct"),
        ("h^{(t)\\top}", "wrong"),
    ],
)
def test_time_superscript_with_transpose(h: str, expected: str) -> None:
    tex = f"{DL_DW} = \\sum_{{t=1}}^{{T}} \\operatorname{{diag}}(\\sigma'(s_t))\\, \\delta_t\\, {h}"
    got, why = verdict(tex, "homework3", where=WHERE_TOTAL)
    assert got == expected, why


@pytest.mark.parametrize("sum_", ["\\sum_t", "\\sum_{t}", "\\sum_{t=1}^{T}"])
def test_sum_without_limits_runs_over_the_models_time(sum_: str) -> None:
    # homework 3 has a loss at every step: L = sum_{t=1}^T L_t, so dL/dW = sum_t dL_t/dW.
    assert load("homework3").loss_at == "every"
    got, why = verdict(f"{DL_DW} = {sum_} \\frac{{\\partial L_t}}{{\\partial W}}", "homework3")
    assert got == "correct", why
    # ... and not the last loss alone (wrong from T = 2 on).
    got, why = verdict(f"{DL_DW} = {sum_} \\frac{{\\partial L_T}}{{\\partial W}}", "homework3")
    assert got == "wrong", why


def test_sum_without_limits_over_an_entry_index_runs_over_the_entries() -> None:
    # \sum_j over an entry index runs over that quantity's entries (j = 1..n for h_t):
    # ||h_t||^2 is the sum of the squared entries by definition; the plain sum is not 1.
    got, why = verdict("\\|h_t\\|^2 = \\sum_j h_{t,j}^2", "homework3", range="1 \\le t \\le T")
    assert got == "correct", why
    got, why = verdict("y = \\sum_j h_{t,j}", "homework3", given={"y": "1"}, range="t = 1")
    assert got == "wrong", why


def test_tau_is_explained() -> None:
    got, why = verdict("\\frac{\\partial L}{\\partial h_\\tau} = \\delta_\\tau", "homework3")
    assert got == "undecided" and "number of time steps is T" in why


@pytest.mark.parametrize("name", builtin_names())
def test_every_printed_parameter_name_is_read_back(name: str) -> None:
    # For each parameter the model prints (its Notation, e.g. elman's W_{hh}), (P^T)^T = P holds
    # and 2P = P + P holds; P^T = P fails for a random non-symmetric or non-square matrix.
    model = load(name)
    for role in model.roles:
        p = model.notation.param(role).latex
        assert verdict(f"{p} = (({p})^\\top)^\\top", name)[0] == "correct", (name, p)
        assert verdict(f"2 {p} = {p} + {p}", name)[0] == "correct", (name, p)
        if role.value in ("recurrent", "input", "output"):
            assert verdict(f"{p} = ({p})^\\top", name)[0] == "wrong", (name, p)


def test_elman_gradient_in_printed_names() -> None:
    # dE/dW_hh = sum_t delta_t h_{t-1}^T with delta_t = dE/da_t (a_t = W_xh x_t + W_hh h_{t-1}
    # + b_h is elman's pre-activation); with h_t^T in place of h_{t-1}^T it is wrong.
    where = {"\\delta_t": "\\frac{\\partial E}{\\partial a_t}"}
    lhs = "\\frac{\\partial E}{\\partial W_{hh}}"
    ok = f"{lhs} = \\sum_{{t=1}}^{{T}} \\delta_t h_{{t-1}}^\\top"
    assert verdict(ok, "elman", where=where)[0] == "correct"
    assert verdict(ok.replace("t-1", "t"), "elman", where=where)[0] == "wrong"


# ------------------------------------------------------------------ 5. huge powers


def _log10_of_09_power() -> Decimal:
    """log10(0.9^(10^12)) = 10^12 * log10(9/10), by the decimal module at 60 digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        return Decimal(10) ** 12 * (Decimal(9) / Decimal(10)).log10()


HUGE = "\\left(\\frac{9}{10}\\right)^{10^{12}}"


def test_huge_power_magnitude_by_hand() -> None:
    # 10^12 * log10(0.9) = -45757490560.675...: 0.9^(10^12) = 2.113... x 10^-45757490561
    lg = _log10_of_09_power()
    assert int(lg.to_integral_value(rounding="ROUND_FLOOR")) == -45757490561
    mant = 10 ** float(lg - lg.to_integral_value(rounding="ROUND_FLOOR"))
    assert 2.11 < mant < 2.12


def _mantissa() -> float:
    lg = _log10_of_09_power()
    return 10 ** float(lg - lg.to_integral_value(rounding="ROUND_FLOOR"))


@pytest.mark.parametrize(
    "rhs, expected",
    [
        ("0", "wrong"),  # positive to any power is positive, never 0
        ("-10^{-45757490561}", "wrong"),  # the sign alone
        ("0.9^{10^{12}}", "correct"),  # the same number, exactly
        ("\\frac{9^{10^{12}}}{10^{10^{12}}}", "correct"),
        ("0.9^{10^{12}+1}", "wrong"),  # an exponent slip, 0.9 times smaller
        ("10^{-45757490561}", "wrong"),  # exact 10^k is not 2.11 x 10^k
        ("M \\times 10^{-45757490561}", None),  # M: the mantissa to 3 decimals (below)
        ("2.1 \\times 10^{-45757490561}", "correct"),  # unit 0.1 around 2.113
        ("2.13e-45757490561", "wrong"),  # 0.017 off, unit 0.01
    ],
)
def test_positive_number_to_a_huge_power(rhs: str, expected: str | None) -> None:
    m = _mantissa()
    if expected is None:
        rhs = rhs.replace("M", f"{m:.3f}")  # within one unit of its last digit
        expected = "correct"
    got, why = verdict(f"{HUGE} = {rhs}")
    assert got == expected, why
    if rhs == "0":
        assert "positive" in why


def test_huge_power_signs_and_exact_equality() -> None:
    # (-0.9)^(odd) is negative; 8^N = 2^(3N) exactly (no float, no factoring)
    assert verdict("(-0.9)^{10^{12}+1} = -0.9^{10^{12}+1}")[0] == "correct"
    assert verdict("(-0.9)^{10^{12}+1} = 0.9^{10^{12}+1}")[0] == "wrong"
    assert verdict("8^{10^{12}} = 2^{3 \\cdot 10^{12}}")[0] == "correct"
    assert verdict("8^{10^{12}} = 2^{3 \\cdot 10^{12} + 1}")[0] == "wrong"
    assert verdict("6^{10^{12}} = 2^{10^{12}} 3^{10^{12}}")[0] == "correct"
    assert verdict("2^{10^{12}} \\cdot 0.5^{10^{12}} = 1")[0] == "correct"


def test_huge_power_in_a_symbolic_or_float_step_stays_a_limit() -> None:
    # a function of a huge power has no float value here: a named limit, not a verdict
    got, why = verdict("\\sigma(0.9^{10^{12}}) = 0.5", "homework3")
    assert got == "undecided" and "limit" in why


# ------------------------------------------------------------------ 2. the model's printed delta


def test_printed_delta_net_convention_tutorial() -> None:
    # tutorial: delta_k = dE/dnet_k (total), so dE/dW = sum_k delta_k s_{k-1}^T (its eq. 6);
    # s_k^T in place of s_{k-1}^T is wrong. No where: the model's own delta.
    assert load("tutorial").delta == "net"
    lhs = "\\frac{\\partial E}{\\partial W}"
    assert verdict(f"{lhs} = \\sum_{{k=1}}^{{T}} \\delta_k s_{{k-1}}^\\top", "tutorial")[0] == (
        "correct"
    )
    assert verdict(f"{lhs} = \\sum_{{k=1}}^{{T}} \\delta_k s_k^\\top", "tutorial")[0] == "wrong"


def test_printed_delta_step_state_convention_homework3() -> None:
    # homework 3 prints delta_t := dL_t/dh_t (local). With it the final gradient misses the later
    # losses: wrong from T = 2 on, right with T = 1 (one loss: local = total).
    assert load("homework3").delta == "step_state"
    tex = f"{DL_DW} = \\sum_{{t=1}}^{{T}} \\operatorname{{diag}}(\\sigma'(s_t))\\, \\delta_t\\, h_{{t-1}}^\\top"
    assert verdict(tex, "homework3")[0] == "wrong"
    assert verdict(tex, "homework3", range="T = 1")[0] == "correct"
    assert verdict("\\delta_t = \\frac{\\partial L_t}{\\partial h_t}", "homework3")[0] == "correct"


def test_printed_delta_per_step_convention_dl4nlp() -> None:
    # dl4nlp: delta_{t,k} = dE_t/ds_k; dE/dU = sum_t sum_{k<=t} delta_{t,k} h_{k-1}^T.
    assert load("dl4nlp").delta == "per_step"
    lhs = "\\frac{\\partial E}{\\partial U}"
    body = "\\sum_{t=1}^{T} \\sum_{k=1}^{t} \\delta_{t,k}\\, h_{K}^T"
    assert verdict(f"{lhs} = {body.replace('K', 'k-1')}", "dl4nlp")[0] == "correct"
    assert verdict(f"{lhs} = {body.replace('K', 'k')}", "dl4nlp")[0] == "wrong"


def test_diagonal_matrix_to_a_huge_power_entry_by_entry() -> None:
    # Lambda^N = diag(0.9^N, 0.4^N) exactly; diag(0, 0) is wrong (both entries positive);
    # a non-diagonal W^N stays a named limit.
    big = "10^{12}"
    ok = f"\\Lambda^{{{big}}} = \\operatorname{{diag}}(0.9^{{{big}}}, (2/5)^{{{big}}})"
    assert verdict(ok, given=LAMBDA)[0] == "correct"
    slip = f"\\Lambda^{{{big}}} = \\operatorname{{diag}}(0.9^{{{big}}}, 0.4^{{{big}+1}})"
    assert verdict(slip, given=LAMBDA)[0] == "wrong"
    assert verdict(f"\\Lambda^{{{big}}} = \\operatorname{{diag}}(0, 0)", given=LAMBDA)[0] == "wrong"
    got, why = verdict(f"W^{{{big}}} = 0", given=W_GIVEN)
    assert got == "undecided" and "limit" in why


def test_tau_as_the_models_time_index(tmp_path: Path) -> None:
    # homework 3 with `time: '\tau'`: derive prints s_tau, h_tau, sum_{tau=1}^T; the checker
    # reads them. The gradient is homework 3's Ex 1(b) (corpus ex1b-total: right; h_tau^T for
    # h_{tau-1}^T: wrong).
    src = next(p for p in builtin_paths() if p.stem == "homework3").read_text()
    path = tmp_path / "tau.yaml"
    path.write_text(src.replace("symbols:\n", "symbols:\n  time: '\\tau'\n", 1))
    model = load(str(path))
    assert model.notation.time == "\\tau"
    where = {"\\delta_\\tau": "\\frac{\\partial L}{\\partial h_\\tau}"}
    body = "\\operatorname{diag}(\\sigma'(s_\\tau))\\, \\delta_\\tau\\, h_{H}^\\top"
    total = DL_DW + " = \\sum_{\\tau=1}^{T} "
    ok, slip = total + body.replace("H", "\\tau-1"), total + body.replace("H", "\\tau")
    for tex, expected in ((ok, "correct"), (slip, "wrong")):
        v = judge(AnswerSpec("a", tex, where=where), model)
        assert v.verdict == expected, v.reason
    jac = "\\frac{\\partial h_\\tau}{\\partial h_{\\tau-1}} = \\operatorname{diag}(\\sigma'(s_\\tau)) W"
    assert judge(AnswerSpec("j", jac, range="1 \\le \\tau \\le T"), model).verdict == "correct"
    lhs_sum = f"{DL_DW} = \\sum_\\tau \\frac{{\\partial L_\\tau}}{{\\partial W}}"
    assert judge(AnswerSpec("s", lhs_sum), model).verdict == "correct"


def test_printed_name_as_a_given_key() -> None:
    # elman's W_{hh} given as a matrix: diag(0.5, 0.25)^2 = diag(0.25, 0.0625) by hand; the cube
    # diag(0.125, 0.015625) is not diag(0.25, 0.0625).
    given = {"W_{hh}": "\\begin{bmatrix}0.5 & 0\\\\ 0 & 0.25\\end{bmatrix}"}
    sq = "\\begin{bmatrix}0.25 & 0\\\\ 0 & 0.0625\\end{bmatrix}"
    assert verdict(f"W_{{hh}}^{{2}} = {sq}", "elman", given=given)[0] == "correct"
    assert verdict(f"W_{{hh}}^{{3}} = {sq}", "elman", given=given)[0] == "wrong"


def test_shape_slip_after_a_function_of_a_number_is_a_verdict() -> None:
    # sigma(2) sends the step to float64; a number plus a 2x2 matrix there is a wrong step (it
    # escaped as an exception before), and the same in the exact path.
    got, why = verdict("0.9 = 0.9 + \\operatorname{diag}(0.9, 0.4) \\sigma(2)", "homework3")
    assert got == "wrong" and "cannot add a number and a 2x2 matrix" in why
    got, why = verdict("0.9 = 0.9 + \\operatorname{diag}(0.9, 0.4)")
    assert got == "wrong" and "cannot add a number and a 2x2 matrix" in why


@pytest.mark.parametrize("name", builtin_names())
def test_every_printed_sequence_and_loss_name_is_read_back(name: str) -> None:
    # x_1, h_1, the pre-activation (\mathrm{net}_1, a_1, s_1), the outputs (\hat{y}_1, \bar{y}_1)
    # and the losses as each model's Notation prints them: 2q = q + q holds for any value.
    model = load(name)
    nt = model.notation
    seqs = [nt.input, nt.state, nt.preactivation]
    if model.has_output_layer:
        seqs += [nt.output_preactivation, nt.output, nt.target]
    for q in [f"{n.latex}_{{1}}" for n in seqs] + [nt.loss.latex, nt.step_loss.latex + "_1"]:
        got, why = verdict(f"2 {q} = {q} + {q}", name)
        assert got == "correct", (name, q, why)


@pytest.mark.parametrize(
    "tex, expected",
    [
        # sqrt(2) = 1.41421...: 1.414 is within one unit of 0.001, 1.416 two units off
        ("\\sqrt{2} = 1.414", "correct"),
        ("\\sqrt{2} = 1.416", "wrong"),
        ("\\sqrt[3]{8} = 2", "correct"),  # 2^3 = 8
        ("\\sqrt{\\frac{9}{100}} = 0.3", "correct"),
        # a decimal comma: 0{,}9^30 = 0.042391...
        ("0{,}9^{30} \\approx 0{,}0424", "correct"),
        ("0{,}9^{30} \\approx 0{,}0426", "wrong"),
    ],
)
def test_roots_and_decimal_commas(tex: str, expected: str) -> None:
    assert math.isclose(math.sqrt(2), 1.41421356, rel_tol=1e-8)
    got, why = verdict(tex)
    assert got == expected, why


def test_euler_number_in_numeric_answers() -> None:
    # sigma(2) = 1 / (1 + e^{-2}) = 0.880797 (the logistic sigmoid by hand); e^{2} in its place
    # gives 0.119203. e^{x} is exp(x) unless the model, given or where names an e; a bare e is
    # not a number.
    assert math.isclose(_sigmoid(2), 1 / (1 + math.exp(-2)))
    assert verdict("\\sigma(2) = \\frac{1}{1+e^{-2}}", "homework3")[0] == "correct"
    assert verdict("\\sigma(2) = \\frac{1}{1+e^{2}}", "homework3")[0] == "wrong"
    assert verdict("\\mathrm{e}^{1} = 2.718")[0] == "correct"  # e = 2.71828...
    assert verdict("e^{1} = 2.718", given={"e": "3"})[0] == "wrong"  # given: e is 3


@pytest.mark.parametrize(
    "tex, expected",
    [
        ("0.9^{30} \u2248 0.0424", "correct"),  # ≈ pasted: 0.9^30 = 0.042391...
        ("\u22120.9^{3} = \u22120.729", "correct"),  # the Unicode minus: -(0.9^3) exactly
        ("\u22120.9^{3} = 0.729", "wrong"),
        ("2 \u00d7 3 = 6", "correct"),
        ("2 \u00b7 3 = 7", "wrong"),
        ("(W\u1d40)\u1d40 = W", "correct"),  # W^T^T = W for the given W
    ],
)
def test_pasted_unicode_reads_as_latex(tex: str, expected: str) -> None:
    got, why = verdict(tex, given={"W": "\\begin{bmatrix}1 & 2\\\\ 3 & 4\\end{bmatrix}"})
    assert got == expected, why


@pytest.mark.parametrize("third, expected", [("0.333", "correct"), ("0.32", "wrong")])
def test_rounded_decimal_inside_a_sum_counts_once_per_term(third: str, expected: str) -> None:
    # 1 = sum_{k=1}^{3} 1/3: three copies of 0.333 are 0.999, 0.001 off, within 3 * 0.001;
    # three of 0.32 are 0.96, 0.04 off, beyond 3 * 0.01.
    got, why = verdict(f"1 = \\sum_{{k=1}}^{{3}} {third}")
    assert got == expected, why


def test_sigmoid_written_out_on_a_vector() -> None:
    # y = sigma(x) for a random x in R^n: 1/(1+e^{-x}) entry by entry is the logistic sigmoid;
    # 1/(1+e^{x}) is sigma(-x) = 1 - sigma(x), wrong at any generic point.
    given = {"y": "\\sigma(x)", "x": "\\in \\mathbb{R}^{n}"}
    assert verdict("y = \\frac{1}{1+e^{-x}}", "homework3", given=given)[0] == "correct"
    assert verdict("y = \\frac{1}{1+e^{x}}", "homework3", given=given)[0] == "wrong"
    got, why = verdict("x = e", given={"x": "2.718"})
    assert got == "undecided" and "unknown symbol e" in why
