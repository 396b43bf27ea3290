"""The source texts' claims as answer files: each expected verdict with its reason beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbptt.answers.files import read_submission
from symbptt.answers.grade import _model
from symbptt.answers.judge import judge

HERE = Path(__file__).parent / "answers"

# (file, answer id, expected verdict, words the reason must contain) -- why, beside each case.
CASES = [
    # Ex 2(c): W^30 = Q Lambda^30 Q^{-1}; Q is symmetric orthogonal so W^30 = 0.9^30 q1 q1^T +
    # 0.4^30 q2 q2^T = [[0.01526, 0.02035], [0.02035, 0.02713]]; 4 places as written are right.
    ("homework3.yaml", "ex2c-right", "correct", "every step"),
    # The written solution's middle step raises diag(0.9^30, 0.4^30) to the 30th power again.
    ("homework3.yaml", "ex2c-solution", "wrong", "power 30 a second time"),
    # "Q - 1" is a matrix minus a number, not Q^{-1}.
    ("homework3.yaml", "ex2c-q-minus-1", "wrong", "'Q - 1' written for Q^{-1}"),
    # 0.9^30 = 0.042391..., 0.4^30 = 1.1529...e-12: right to the digits written.
    ("homework3.yaml", "lambda30", "correct", "equals"),
    ("homework3.yaml", "ninety-right", "correct", "equals"),
    # 0.0426 is two units off in the last digit (0.0424 would be right).
    ("homework3.yaml", "ninety-wrong", "wrong", "expected 0.0423912"),
    # Ex 1(a): d sigma(Wx)/dx = diag(sigma'(Wx)) W (chain rule, Jacobian layout).
    ("homework3.yaml", "ex1a", "correct", "24 points"),
    # ... and with W^T in place of W it is wrong as soon as n = 2.
    ("homework3.yaml", "ex1a-transposed", "wrong", "extra transpose on W"),
    # Ex 1(b) with delta_t = dL/dh_t (the total): dL/dW = sum_t diag(sigma'(s_t)) delta_t h_{t-1}^T.
    ("homework3.yaml", "ex1b-total", "correct", "24 points"),
    # The homework's own delta^t = dL_t/dh_t (local) misses the later losses: right only at T = 1.
    ("homework3.yaml", "ex1b-local", "wrong", "local error term"),
    # h_t^T in place of h_{t-1}^T.
    ("homework3.yaml", "ex1b-h-t", "wrong", "h_t written where h_{t - 1} is needed"),
    # dh_t/dh_{t-1} = diag(sigma'(W h_{t-1} + U x_t)) W, the factor of Ex 1(b)'s product.
    ("homework3.yaml", "ex1b-jacobian", "correct", "points"),
    # Ex 1(b) as the homework writes it (superscript time, entries form). By hand: L = sum_u L_u
    # and W acts at every step through s_t = W h_{t-1} + U x_t, so
    # dL/dW_ji = sum_t (dL/ds^t_j) h^{t-1}_i and dL/ds^t_j = (dL/dh^t_j) sigma'(s^t_j), where
    # dL/dh^t_j is the TOTAL derivative: dL_t/dh^t_j + sum_{u>t} dL_u/dh^t_j. The homework's
    # delta^t_j = dL_t/dh^t_j keeps only the first term; the rest vanishes only when T = 1. At
    # T = 2, n = 1 the missing term is (dL_2/dh^1) sigma'(s^1) h^0, nonzero at a generic point.
    ("homework3.yaml", "ex1b-homework-notation", "wrong", "local error term"),
    # ... restricted to T = 1 (one loss term, local = total) the same formula is right.
    ("homework3.yaml", "ex1b-homework-notation-T1", "correct", "where the for: range holds"),
    # ... and with delta^t_j = dL/dh^t_j (the total) it is right for every T.
    ("homework3.yaml", "ex1b-homework-notation-total", "correct", "24 points"),
    # The same claim entry by entry: [dL/dW]_ji = sum_t delta^t_j sigma'(s^t_j) h^{t-1}_i.
    ("homework3.yaml", "ex1b-entrywise", "correct", "points"),
    # h^t_i for h^{t-1}_i: wrong already at T = 1 (h^1 is not h^0).
    ("homework3.yaml", "ex1b-entrywise-h-t", "wrong", "written where h_{t - 1,i} is needed"),
    # dl4nlp: softmax + cross-entropy with probability-vector targets: dE_t/dz_t = yhat_t - y_t.
    ("dl4nlp.yaml", "dE-dz", "correct", "points"),
    ("dl4nlp.yaml", "dE-dV", "correct", "points"),
    # (yhat - y) h_t is (k x 1)(n x 1): the transpose is missing.
    ("dl4nlp.yaml", "dE-dV-no-transpose", "wrong", "missing transpose on h_t"),
    ("dl4nlp.yaml", "dE-dV-h-prev", "wrong", "written where h_t is needed"),
    # delta_{t,t} = f'(s_t) (.) V^T (yhat_t - y_t) and delta_{t,k} = f'(s_k) (.) U^T delta_{t,k+1}.
    ("dl4nlp.yaml", "delta-tt", "correct", "points"),
    ("dl4nlp.yaml", "delta-recursion", "correct", "points"),
    # The text's one line with diag(f'(s_t)): wrong index, first visible at T = 2, k = 1, t = 2.
    ("dl4nlp.yaml", "delta-recursion-s-t", "wrong", "it should be f'(s_k)"),
    # dE/dU = sum_t sum_{k<=t} delta_{t,k} h_{k-1}^T.
    ("dl4nlp.yaml", "dE-dU", "correct", "points"),
    # A chain whose middle line uses x_{k-1} (x_0 does not exist): that line alone is wrong.
    ("dl4nlp.yaml", "dE-dW-chain", "wrong", "step 2"),
    # Tutorial eq. 5 + 6: grad_W E = sum_k delta_k s_{k-1}^T with delta_k = dE/dnet_k; eq. 8 for U.
    ("tutorial.yaml", "eq6", "correct", "points"),
    ("tutorial.yaml", "eq8", "correct", "points"),
    # delta taken as dE/ds_k (the state) instead of dE/dnet_k lacks the f' factor.
    ("tutorial.yaml", "eq6-state-delta", "wrong", "missing f' factor"),
    ("tutorial.yaml", "delta-recursion", "correct", "points"),
    # Eq. 3 by hand: E is the last step's loss, so delta_i^T = delta_{i+1}^T dnet_{i+1}/dnet_i =
    # delta_{i+1}^T W diag(f'(net_i)) for every i < T; unrolled from t down to k,
    # delta_k^T = delta_t^T [W D_{t-1}] [W D_{t-2}] ... [W D_k]: the i = t-1 factor sits next to
    # delta_t^T, i.e. the product runs with i DEcreasing left to right. Declared, it is right.
    ("tutorial.yaml", "eq3-decreasing", "correct", "points"),
    # Read with i increasing (the default), T = 3, n = 2, k = 1, t = 3 gives
    # delta_3^T W D_1 W D_2 instead of delta_3^T W D_2 W D_1: wrong (n = 1 or t - k = 1 commute).
    ("tutorial.yaml", "eq3-increasing", "wrong", "decreasing order of the index"),
    # Eq. 5, by hand: net_t = U x_t + W s_{t-1}; holding the other steps' W fixed, the copy of W
    # used at step t enters E only through net_t, and d net_{t,j} / d W_{ji} = s_{t-1,i}, so
    # [grad_{W,t} E]_ji = delta_{t,j} s_{t-1,i}, i.e. delta_t s_{t-1}^T (delta_t = dE/dnet_t).
    ("tutorial.yaml", "eq5", "correct", "points"),
    ("tutorial.yaml", "eq5-entries", "correct", "points"),
    # s_t^T for s_{t-1}^T: s_1 is not s_0, wrong already at T = 1.
    ("tutorial.yaml", "eq5-s-t", "wrong", "s_t written where s_{t - 1} is needed"),
    # Eq. 6: the copies of W sum to W, so grad_W E = sum_k grad_{W,k} E (chain rule).
    ("tutorial.yaml", "eq6-nabla", "correct", "points"),
    # Eq. 8 per step: U's copy at step t multiplies x_t, so grad_{U,t} E = delta_t x_t^T.
    ("tutorial.yaml", "eq8-per-step", "correct", "points"),
    # Ex 1(b): dh_t/dh_0 = J_t J_{t-1} ... J_1 with J_i = diag(sigma'(W h_{i-1} + U x_i)) W, the
    # Jacobian of step i: the text's prod_{i=1}^{t} holds with i decreasing left to right.
    ("homework3.yaml", "ex1b-dh-dh0", "correct", "points"),
    # dl4nlp's transposed form: (dh_t/dh_k)^T = J_{k+1}^T ... J_t^T, J_i^T = U^T diag f'(s_i):
    # here the text's prod_{i=k+1}^{t} holds in the default increasing order (k = t: identity).
    ("dl4nlp.yaml", "dh-dh-transposed", "correct", "points"),
    # Blog, T >= 3 (L_3 must exist): with delta_3 = diag(sigma'(a_3)) W_y^T (y_3 - ybar_3)
    # (sigmoid + binary cross-entropy: dL_3/do_3 = y_3 - ybar_3), dL_3/dW_x is the sum of the
    # paths through h_3, h_3 h_2 and h_3 h_2 h_1: delta_3 x_3^T + diag(sigma'(a_2)) W_h^T delta_3
    # x_2^T + diag(sigma'(a_1)) W_h^T diag(sigma'(a_2)) W_h^T delta_3 x_1^T (sigma' 3x, W_h 2x).
    ("blog.yaml", "dWx-three-paths", "correct", "points"),
    # Only the direct path misses the two through h_2 and h_1: wrong from T = 3 on, even n = 1.
    ("blog.yaml", "dWx-direct-path-only", "wrong", "at T = 3, n = 1"),
    # The same for W_h, whose use at step k multiplies h_{k-1}.
    ("blog.yaml", "dWh-three-paths", "correct", "points"),
    # The three paths over three lines of one step (continuations): step 1 is the sum above,
    # right; step 2 keeps only the direct path, wrong as in dWx-direct-path-only.
    ("blog.yaml", "dWx-three-lines", "wrong", "step 2"),
    ("blog.yaml", "dWx-three-lines-amp-plus", "correct", "points"),
    # W_y only acts at step 3 for L_3: one path, (y_3 - ybar_3) h_3^T.
    ("blog.yaml", "dWy-one-path", "correct", "points"),
    # Course notes: dtanh_t = (1 - s_t^2) (.) (ds_t + W^T dtanh_{t+1}) is delta_t = dE/da_t with
    # ds_t = dE_t/ds_t (tanh' = 1 - tanh^2); at t = T nothing is carried.
    ("course_notes.yaml", "dtanh-recursion", "correct", "points"),
    ("course_notes.yaml", "dtanh-last-step", "correct", "points"),
    # Without the carried ds_prev it is dE_t/da_t, not dE/da_t: right only at t = T.
    ("course_notes.yaml", "dtanh-without-ds-prev", "wrong", "dropped recursive term"),
    # dW += dtanh s_{t-1}^T accumulated over t.
    ("course_notes.yaml", "dW-accumulated", "correct", "points"),
    # dE/ds_t = V^T (o_t - y_t) + W^T delta_{t+1}: the first term alone drops the later steps.
    ("course_notes.yaml", "ds-direct-only", "wrong", "dropped recursive term"),
    # dh_1/dh_0 = diag(sigma'(s_1)) W; with W^T it is wrong from n = 2, and the slip is named.
    ("homework3.yaml", "dh1-dh0-extra-transpose", "wrong", "extra transpose on W"),
    # sigma'(s_t) odot delta_t h_{t-1}^T reads as sigma' odot (delta_t h_{t-1}^T): n x 1 odot n x n
    # fails from n = 2; (sigma' odot delta_t) h_{t-1}^T is the ex1b-total formula, right.
    ("homework3.yaml", "odot-grouping", "wrong", "binds more loosely than the matrix product"),
    ("homework3.yaml", "odot-parenthesised", "correct", "24 points"),
    ("homework3.yaml", "odot-mismatch", "wrong", "elementwise product of 2x1 and 2x2"),
    # \diag is not LaTeX; the grammar has \operatorname{diag}.
    ("homework3.yaml", "diag-command", "undecided", "write \\operatorname{diag}"),
]


@pytest.fixture(scope="module")
def verdicts() -> dict[tuple[str, str], object]:
    out = {}
    for name in sorted({c[0] for c in CASES}):
        sub = read_submission(HERE / name)
        for spec in sub.answers:
            out[(name, spec.id)] = judge(spec, _model(sub.model))
    return out


@pytest.mark.parametrize(
    ("file", "ident", "verdict", "reason"), CASES, ids=[f"{c[0][:-5]}-{c[1]}" for c in CASES]
)
def test_corpus_verdict(verdicts, file: str, ident: str, verdict: str, reason: str) -> None:
    v = verdicts[(file, ident)]
    assert v.verdict == verdict, v.reason
    assert reason in v.reason


def test_every_corpus_answer_has_an_expectation(verdicts) -> None:
    assert set(verdicts) == {(c[0], c[1]) for c in CASES}


def test_local_delta_first_fails_at_T2(verdicts) -> None:
    # With delta^t = dL_t/dh_t the formula is the true gradient when T = 1 (one loss term only).
    ce = verdicts[("homework3.yaml", "ex1b-local")].counterexample
    assert (ce["sizes"]["T"], ce["sizes"]["n"]) == (2, 1)


def test_wrong_index_counterexample_names_indices(verdicts) -> None:
    ce = verdicts[("dl4nlp.yaml", "delta-recursion-s-t")].counterexample
    assert ce["sizes"]["T"] == 2 and ce["indices"] == {"k": 1, "t": 2}
    assert len(ce["expected"]) == 1 and ce["expected"] != ce["got"]


def test_solution_final_matrix_is_right_though_middle_is_wrong(verdicts) -> None:
    steps = verdicts[("homework3.yaml", "ex2c-solution")].steps
    assert [s.verdict for s in steps] == ["wrong", "correct"]


def test_missing_transpose_only_shows_for_n_at_least_2(verdicts) -> None:
    # For n = 1 every vector is a number, so the transposed formula agrees; n = 2 refutes it.
    assert verdicts[("homework3.yaml", "ex1a-transposed")].counterexample["sizes"]["n"] == 2


def test_eq3_increasing_reading_first_fails_at_T3_n2(verdicts) -> None:
    # By hand (see CASES): the two orders agree when n = 1 or t - k <= 1, so T = 3, n = 2.
    ce = verdicts[("tutorial.yaml", "eq3-increasing")].counterexample
    assert (ce["sizes"]["T"], ce["sizes"]["n"], ce["indices"]) == (3, 2, {"k": 1, "t": 3})


def test_course_notes_dropped_term_first_fails_at_T2_t1(verdicts) -> None:
    # At t = T there is no later step to carry, so the first failure is T = 2, t = 1.
    ce = verdicts[("course_notes.yaml", "dtanh-without-ds-prev")].counterexample
    assert (ce["sizes"]["T"], ce["indices"]) == (2, {"t": 1})


def test_homework_notation_first_fails_at_T2(verdicts) -> None:
    # By hand (see CASES): local and total delta agree when T = 1, so the first failure is T = 2
    # (n = 1 already suffices: the missing later-loss term is a nonzero number).
    ce = verdicts[("homework3.yaml", "ex1b-homework-notation")].counterexample
    assert (ce["sizes"]["T"], ce["sizes"]["n"]) == (2, 1)


def test_homework_notation_T1_compares_only_T1(verdicts) -> None:
    # for: 'T = 1' leaves T = 1, n = 1..3, two seeds each: 6 points, every one of them equal.
    assert "at 6 points" in verdicts[("homework3.yaml", "ex1b-homework-notation-T1")].reason


def test_local_delta_formula_by_hand_in_numpy() -> None:
    # Independent of symbptt: a scalar RNN h_t = sigmoid(w h_{t-1} + u x_t), L_t = h_t^2 / 2.
    # The homework's formula with the local delta equals dL/dw (central differences) at T = 1
    # and differs at T = 2, which is what the corpus verdicts above claim.
    import math

    def sig(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    def run(w: float, xs: list[float]) -> tuple[float, list[float], list[float]]:
        h, hs, ss = 0.3, [0.3], []
        for x in xs:
            ss.append(w * h + 0.8 * x)
            h = sig(ss[-1])
            hs.append(h)
        return sum(v * v / 2 for v in hs[1:]), hs, ss

    for T, equal in ((1, True), (2, False)):
        xs = [0.5, -1.2][:T]
        w, eps = 0.7, 1e-6
        fd = (run(w + eps, xs)[0] - run(w - eps, xs)[0]) / (2 * eps)
        _, hs, ss = run(w, xs)
        local = sum(
            hs[t] * sig(ss[t - 1]) * (1 - sig(ss[t - 1])) * hs[t - 1] for t in range(1, T + 1)
        )
        assert (abs(local - fd) < 1e-8) == equal


def test_continuation_lines_stay_in_their_step(verdicts) -> None:
    # Three lines joined into one step, then the next &= is a step of its own: two steps.
    steps = verdicts[("blog.yaml", "dWx-three-lines")].steps
    assert [s.verdict for s in steps] == ["correct", "wrong"]
    assert len(verdicts[("blog.yaml", "dWx-three-lines-amp-plus")].steps) == 1


def test_grouping_hint_only_where_regrouping_helps(verdicts) -> None:
    # sigma'(s_1) odot W has no matrix product next to the odot: the grouping hint would mislead.
    assert "binds more loosely" not in verdicts[("homework3.yaml", "odot-mismatch")].reason
