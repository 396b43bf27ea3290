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
    assert (ce["T"], ce["n"]) == (2, 1)


def test_wrong_index_counterexample_names_indices(verdicts) -> None:
    ce = verdicts[("dl4nlp.yaml", "delta-recursion-s-t")].counterexample
    assert ce["T"] == 2 and ce["indices"] == {"k": 1, "t": 2}
    assert len(ce["expected"]) == 1 and ce["expected"] != ce["got"]


def test_solution_final_matrix_is_right_though_middle_is_wrong(verdicts) -> None:
    steps = verdicts[("homework3.yaml", "ex2c-solution")].steps
    assert [s.verdict for s in steps] == ["wrong", "correct"]


def test_missing_transpose_only_shows_for_n_at_least_2(verdicts) -> None:
    # For n = 1 every vector is a number, so the transposed formula agrees; n = 2 refutes it.
    assert verdicts[("homework3.yaml", "ex1a-transposed")].counterexample["n"] == 2
