"""Every claim of the six source texts with its expected verdict and the reason, from source-material.md."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from symbptt.answers.files import read_submission
from symbptt.claims import NOT_EXPRESSIBLE, TEXTS, ClaimResult, all_claims, claim_file, claims
from symbptt.cli import cli

C, W, U = "confirmed", "wrong", "undecided"

# (text, id, expected verdict) -- why, beside each, from ../shared/docs/source-material.md.
EXPECTED = [
    # Tutorial (section 1). Eq. 5: the copy of W used at step t enters E only through net_t and
    # d net_{t,j} / d W_ji = s_{t-1,i}, so [grad_{W,t} E]_ji = delta_{t,j} s_{t-1,i}.
    ("tutorial", "eq5", C),
    ("tutorial", "eq5-matrix", C),
    # Eq. 6: the per-step copies of W sum to W, so the gradient is the sum of the per-step ones.
    ("tutorial", "eq6", C),
    # Eq. 8: U's copy at step t multiplies x_t: grad_{U,t} E = delta_t x_t^T, summed over time.
    ("tutorial", "eq8", C),
    ("tutorial", "eq8-sum", C),
    # Eq. 3: delta_i^T = delta_{i+1}^T W diag f'(net_i) unrolled from t down to k (latest factor
    # next to delta_t^T, the text's chain-rule order).
    ("tutorial", "eq3", C),
    # ||x^T A|| <= ||x|| ||A|| and ||W diag f'|| <= beta_W beta_f, applied t - k times.
    ("tutorial", "eq3-bound", C),
    # The proof's intermediate line needs a 3-D tensor; remedies are advice.
    ("tutorial", "eq6-proof", U),
    ("tutorial", "remedies", U),
    # Course notes (section 2): dtanh = (1 - s_t^2) (.) (ds_t + W^T dtanh_{t+1}) is dE/da_t
    # (tanh' = 1 - tanh^2), with nothing carried at t = T; dU, dW, dba accumulate dtanh times
    # the step's input (x_t, s_{t-1}, 1); dx_t = U^T dtanh_t and ds_prev = W^T dtanh_t are the
    # Jacobian transposes of a_t = U x_t + W s_{t-1} + b_a.
    ("course-notes", "dtanh", C),
    ("course-notes", "dtanh-last", C),
    ("course-notes", "dU", C),
    ("course-notes", "dW", C),
    ("course-notes", "dba", C),
    ("course-notes", "dx", C),
    ("course-notes", "ds-prev", C),
    ("course-notes", "ds0", C),
    # "an upstream-gradient backward pass is the gradient of E = sum_t <ds_t, s_t>".
    ("course-notes", "upstream-linear-loss", C),
    # Blog (section 3): L_3 reaches W_x through h_3, h_2, h_1 (three paths; the farthest has
    # sigma' three times and W_h twice); W_h likewise with h_{k-1}; W_y only through y_3.
    ("blog", "dWx-paths", C),
    ("blog", "dWh-paths", C),
    ("blog", "dWy-paths", C),
    # Small W_h: ||prod diag(sigma') W_h^T|| <= (||W_h|| / 4)^(t-k) -> 0 when ||W_h|| < 4.
    ("blog", "vanishing-small-Wh", C),
    # WRONG as stated: the term is sigma'(a_3) W_h sigma'(a_2) W_h sigma'(a_1) with a = W_h h + ...,
    # and sigma'(a) ~ e^-|a| shrinks as W_h grows, so a large W_h allows explosion but a larger
    # one can saturate and vanish (scalar: W_h sigma'(a) > 1 needs a near 0).
    ("blog", "explodes-large-Wh", W),
    # Homework 3 (section 4). Ex 1(a): d sigma(Wx)/dx = diag(sigma'(Wx)) W (chain rule).
    ("homework3", "ex1a", C),
    # Ex 1(b): dh_t/dh_0 = J_t ... J_1, J_i = diag(sigma'(W h_{i-1} + U x_i)) W.
    ("homework3", "ex1b-dh-dh0", C),
    # WRONG: the final formula with delta^t_j = dL_t/dh^t_j (local) leaves out L_{t+1}..L_T,
    # which depend on h_t too: right only at T = 1.
    ("homework3", "ex1b-final", W),
    # 0.9^30 = 0.042391..., 0.4^30 = 1.1529...e-12.
    ("homework3", "ex2c-lambda30", C),
    # WRONG: the middle step raises diag(0.9^30, 0.4^30) to the 30th power again and writes
    # "Q - 1" for Q^{-1}; each slip alone is wrong too.
    ("homework3", "ex2c-solution", W),
    ("homework3", "ex2c-middle", W),
    ("homework3", "ex2c-q-minus-1", W),
    # "its final matrix is nevertheless the right one to four places".
    ("homework3", "ex2c-final", C),
    # Ex 2(b): M^n = (Q Lambda Q^{-1})^n telescopes to Q Lambda^n Q^{-1}.
    ("homework3", "ex2c-conclusion", C),
    ("homework3", "ex2b", C),
    # WRONG: "all eigenvalues 1 => the power is the matrix" holds only if diagonalizable (then
    # M = I); the Jordan block [[1, 1], [0, 1]] has M^n = [[1, n], [0, 1]].
    ("homework3", "ex2c-unit-eigenvalues", W),
    # sigma' = sigma (1 - sigma) in (0, 1/4].
    ("homework3", "sigmoid-prime", C),
    # Not expressible: a tensor chain rule; a garbled expansion the source does not quote.
    ("homework3", "ex1b-chain", U),
    ("homework3", "ex2a", U),
    # Ex 3 (LSTM): sigma maps R onto (0, 1); tanh of a negative pre-activation is negative, so
    # c~, then c = f c_prev + i c~ (c_prev = 0), then h = o tanh(c) are; c_t = f_t c_{t-1} + ...
    # with the gates reading h_{t-1}, not c, so the direct factor is diag(f_t), multiplied over
    # k+1..t; every f_i = 1 makes the product 1 (reached only as a limit by a sigmoid gate).
    ("homework3", "ex3-gates", C),
    ("homework3", "ex3-negative", C),
    ("homework3", "ex3-direct-path", C),
    ("homework3", "ex3-forget-one", C),
    # dl4nlp (section 5, U recurrent): softmax + cross-entropy gives yhat_t - y_t; dE/dV sums
    # (yhat_t - y_t) h_t^T; delta_{t,t} and the recursion with f'(s_k); dE/dU sums
    # delta_{t,k} h_{k-1}^T; the transposed Jacobian product runs with i increasing.
    ("dl4nlp", "dE-dz", C),
    ("dl4nlp", "dE-dV", C),
    ("dl4nlp", "delta-tt", C),
    ("dl4nlp", "delta-tk", C),
    # WRONG: the one line diag(f'(s_t)) U^T delta_{t,k+1} has s_t where s_k belongs.
    ("dl4nlp", "delta-tk-one-line", W),
    ("dl4nlp", "dE-dU", C),
    ("dl4nlp", "dh-dh", C),
    # tanh' = 1 - tanh^2 in (0, 1], sigmoid' in (0, 1/4].
    ("dl4nlp", "activation-prime", C),
    # ||prod U^T diag f'(s_i)|| <= (gamma ||U||)^(t-k): vanishes when ||U|| < 1/gamma.
    ("dl4nlp", "product-vanishes", C),
    # Clipping: g <- g * threshold / ||g|| when ||g|| > threshold.
    ("dl4nlp", "clip-global-norm", C),
    ("dl4nlp", "remedies", U),
    # Goodfellow, Bengio and Courville, ch. 10 (eqs. 10.17-10.28): tests/test_goodfellow.py works
    # each out in numpy from the book's equations and central differences. 10.17 (dL/dL^(t) = 1)
    # is a derivative by the loss, which the checker does not take: undecided.
    ("goodfellow", "eq10.17", U),
    *(("goodfellow", f"eq10.{i}", C) for i in (18, 19, 20, 21, 22, 23, 24, 26, 28)),
]


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], ClaimResult]:
    got = all_claims()
    out = {(c.text, c.id): c for c in got}
    assert len(out) == len(got)  # (text, id) is unique
    return out


@pytest.mark.parametrize(
    ("text", "ident", "verdict"), EXPECTED, ids=[f"{t}-{i}" for t, i, _ in EXPECTED]
)
def test_claim_verdict(results, text: str, ident: str, verdict: str) -> None:
    c = results[(text, ident)]
    assert c.verdict == verdict, c.reason


def test_every_claim_has_an_expectation(results) -> None:
    assert set(results) == {(t, i) for t, i, _ in EXPECTED}
    assert len(EXPECTED) == len({(t, i) for t, i, _ in EXPECTED})


def test_wrong_claims_carry_evidence(results) -> None:
    for (text, ident), c in results.items():
        if c.verdict == "wrong":
            assert c.reason and c.checked_by, (text, ident)


def test_local_delta_first_fails_at_T2(results) -> None:
    # With one loss term (T = 1) local and total delta coincide; T = 2, n = 1 already differs.
    ce = results[("homework3", "ex1b-final")].counterexample
    assert (ce["sizes"]["T"], ce["sizes"]["n"]) == (2, 1)
    assert "local error term" in results[("homework3", "ex1b-final")].reason


def test_dl4nlp_wrong_index_at_k1_t2(results) -> None:
    # s_t and s_k differ first when k < t: T = 2, k = 1, t = 2.
    c = results[("dl4nlp", "delta-tk-one-line")]
    assert c.counterexample["indices"] == {"k": 1, "t": 2}
    assert "f'(s_k)" in c.reason


def test_ex2c_slips_named(results) -> None:
    assert "power 30 a second time" in results[("homework3", "ex2c-middle")].reason
    assert "'Q - 1' written for Q^{-1}" in results[("homework3", "ex2c-q-minus-1")].reason
    both = results[("homework3", "ex2c-solution")].reason
    assert "step 1" in both and "second time" in both and "Q - 1" in both


def test_ex2c_final_matrix_by_hand_in_numpy() -> None:
    # Independent: W^30 by repeated multiplication rounds to the solution's four places, while
    # diag(0.0424, 1.153e-12)^30 inside is ~1e-41 (the middle step's slip).
    Q = np.array([[-0.6, -0.8], [-0.8, 0.6]])
    M = Q @ np.diag([0.9, 0.4]) @ np.linalg.inv(Q)
    np.testing.assert_array_equal(np.round(np.linalg.matrix_power(M, 30), 4),
                                  [[0.0153, 0.0203], [0.0203, 0.0271]])  # fmt: skip
    assert 0.0424**30 < 1e-40


def test_unit_eigenvalue_counterexample_by_hand(results) -> None:
    c = results[("homework3", "ex2c-unit-eigenvalues")]
    M = np.array(c.counterexample["M"])
    assert np.allclose(np.linalg.eigvals(M), 1.0)
    got = np.linalg.matrix_power(M, c.counterexample["n"])
    assert got.tolist() == c.counterexample["M^n"] and not np.array_equal(got, M)


def test_not_expressible_listed_as_undecided(results) -> None:
    for text, ident, _, why in NOT_EXPRESSIBLE:
        c = results[(text, ident)]
        assert c.verdict == "undecided" and c.reason == f"not expressible yet: {why}"


def test_claim_files_use_their_texts_model_and_say_which_claim() -> None:
    for text in TEXTS:
        sub = read_submission(claim_file(text))
        assert sub.model == text
    for c in claims("blog"):
        if c.checked_by.startswith("symbptt check"):
            assert "\\frac" not in c.statement  # the `# claim:` comment, not the raw LaTeX


@pytest.mark.slow
def test_cli_table_and_json() -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["claims", "dl4nlp"])
    assert res.exit_code == 0, res.output
    assert "delta-tk-one-line" in res.output and "wrong" in res.output
    res = runner.invoke(cli, ["claims", "homework3", "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.output)
    ids = {c["id"] for c in doc["claims"]}
    assert ids == {i for t, i, _ in EXPECTED if t == "homework3"}
    assert {c["text"] for c in doc["claims"]} == {"homework3"}


@pytest.mark.slow
def test_cli_table_wraps_statements_in_full(results) -> None:
    res = CliRunner().invoke(cli, ["claims"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    for c in results.values():
        assert " ".join(c.statement.split()) in flat, c.id  # every word, none cut off
    assert max(len(line) for line in res.output.splitlines() if "  confirmed  " in line) <= 100


def test_counterexample_sizes_apart_from_indices(results) -> None:
    # dl4nlp has an output layer (V): its size is "outputs"; k is the recursion's time index.
    ce = results[("dl4nlp", "delta-tk-one-line")].counterexample
    assert set(ce["sizes"]) == {"T", "n", "m", "outputs"} and "k" not in ce
    # homework 3's model has none: no output size at all.
    assert set(results[("homework3", "ex1b-final")].counterexample["sizes"]) == {"T", "n", "m"}
    res = CliRunner().invoke(cli, ["claims", "dl4nlp"])
    size = ce["sizes"]
    want = (
        f"sizes T = 2, n = 1, m = {size['m']}, outputs = {size['outputs']}; seed 0; indices k = 1"
    )
    assert want in " ".join(res.output.split())


def test_user_visible_text_names_no_repo_external_file(results) -> None:
    # source-material.md lives beside the repository, not in it: never cite it to users.
    for c in results.values():
        assert "source-material" not in c.statement + c.reason, c.id


def test_cli_unknown_text_exit_2() -> None:
    res = CliRunner().invoke(cli, ["claims", "lecture"])
    assert res.exit_code == 2
    assert "unknown text 'lecture'" in res.output


def _dsig(a: float) -> float:
    e = math.exp(-abs(a))  # sigma'(a) = e^-|a| / (1 + e^-|a|)^2, no cancellation for large |a|
    return e / (1 + e) ** 2


def test_blog_large_wh_explodes_and_a_larger_one_vanishes_by_hand(results) -> None:
    # Scalar blog model h_t = sigma(W_h h_{t-1} + W_x x_t), W_x = -3, x_t = 1, h_0 = 1/2.
    prods = {}
    for w in (6.0, 20.0):
        h, prod, factors = 0.5, 1.0, []
        for _ in range(30):
            a = w * h - 3.0
            factors.append(w * _dsig(a))  # d h_t / d h_{t-1}
            prod *= factors[-1]
            h = 1 / (1 + math.exp(-a))
        prods[w] = prod
        assert all(f > 1 for f in factors) if w == 6 else all(f < 1 for f in factors)
    assert prods[6.0] == pytest.approx(1.5**30) and prods[20.0] < 1e-100
    c = results[("blog", "explodes-large-Wh")]
    assert f"{prods[6.0]:.3g}" in c.counterexample["W_h = 6"]
    assert f"{prods[20.0]:.3g}" in c.counterexample["W_h = 20"]
    assert "possible" in c.reason and c.checked_by == "symbptt.flow"


def _sig(z):  # noqa: ANN001, ANN202
    return 1 / (1 + np.exp(-z))


def _hw3_lstm_step(p, c_prev, h_prev, x):  # noqa: ANN001, ANN202
    """Homework 3 Ex 3 with [h; x] stacked: gate_q = s(W_q [h_{t-1}; x_t] + b_q), g = c~ = tanh(.),
    c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (n = m = 1)."""
    hx = np.concatenate([h_prev, x])
    f, i, o = (_sig(p[f"W_{q}"] @ hx + p[f"b_{q}"]) for q in "fio")
    g = np.tanh(p["W_c"] @ hx + p["b_c"])
    c = f * c_prev + i * g
    return {"f": f, "i": i, "o": o, "g": g, "c": c, "h": o * np.tanh(c)}


_ZERO_CELL = {f"W_{g}": np.zeros((1, 2)) for g in "fioc"} | {f"b_{g}": np.zeros(1) for g in "fio"}


def test_lstm_negative_instance_by_hand(results) -> None:
    out = _hw3_lstm_step(_ZERO_CELL | {"b_c": np.array([-1.0])}, np.zeros(1), np.zeros(1),
                         np.zeros(1))  # fmt: skip
    g = math.tanh(-1.0)  # every gate sigma(0) = 1/2
    hand = {"g": g, "c": g / 2, "h": math.tanh(g / 2) / 2}
    for k, v in hand.items():
        assert v < 0 and out[k][0] == pytest.approx(v), k
    assert "-0.1817" in results[("homework3", "ex3-negative")].reason


def test_lstm_direct_path_two_steps_by_hand(results) -> None:
    # n = m = 1: c_{k+2} = f_{k+2} (f_{k+1} c_k + i g) + i g with the gates reading fixed h's, so
    # d c_{k+2} / d c_k = f_{k+1} f_{k+2} (sympy, from the equations written here).
    ck, h0, h1, x1, x2, w, v, b = sp.symbols("c_k h0 h1 x1 x2 w v b", real=True)
    wi, vi, bi, wc, vc, bc = sp.symbols("wi vi bi wc vc bc", real=True)

    def sig(z):  # noqa: ANN001, ANN202
        return 1 / (1 + sp.exp(-z))

    def step(c, h, x):  # noqa: ANN001, ANN202
        return sig(w * h + v * x + b) * c + sig(wi * h + vi * x + bi) * sp.tanh(
            wc * h + vc * x + bc
        )

    c2 = step(step(ck, h0, x1), h1, x2)
    f1, f2 = sig(w * h0 + v * x1 + b), sig(w * h1 + v * x2 + b)
    assert sp.simplify(sp.diff(c2, ck) - f1 * f2) == 0
    c = results[("homework3", "ex3-direct-path")]
    assert c.verdict == "confirmed" and "exactly" in c.reason
    assert "symbptt check derivations/claims/gated/homework3.yaml" in c.checked_by


def test_lstm_total_derivative_one_step_by_hand(results) -> None:
    # Total dc_t/dc_{t-1} (n = m = 1), h_{t-1} = o_{t-1} tanh(c_{t-1}), chain rule by hand:
    # f + [c_{t-1} f'(.) W_fh + g i'(.) W_ih + i (1 - g^2) W_ch] o_{t-1} (1 - tanh(c_{t-1})^2);
    # against central differences of the homework's equations in numpy (the step above).
    rng = np.random.default_rng(4)
    p = {f"W_{q}": rng.normal(size=(1, 2)) for q in "fioc"} | {
        f"b_{q}": rng.normal(size=1) for q in "fioc"}  # fmt: skip
    c_prev, h_pp, xs = 0.7, np.array([0.3]), rng.normal(size=(2, 1))
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    o_prev = sig(p["W_o"][0, 0] * h_pp[0] + p["W_o"][0, 1] * xs[0, 0] + p["b_o"][0])
    h_prev = o_prev * math.tanh(c_prev)
    pre = {q: p[f"W_{q}"][0, 0] * h_prev + p[f"W_{q}"][0, 1] * xs[1, 0] + p[f"b_{q}"][0]
           for q in "fic"}  # fmt: skip
    f, i, g = sig(pre["f"]), sig(pre["i"]), math.tanh(pre["c"])
    dh = o_prev * (1 - math.tanh(c_prev) ** 2)
    total = f + (c_prev * f * (1 - f) * p["W_f"][0, 0] + g * i * (1 - i) * p["W_i"][0, 0]
                 + i * (1 - g**2) * p["W_c"][0, 0]) * dh  # fmt: skip

    def c_next(c: float) -> float:  # c_{t-1} moves h_{t-1} = o_{t-1} tanh(c_{t-1}) too
        h = np.array([o_prev * math.tanh(c)])
        return float(_hw3_lstm_step(p, np.array([c]), h, xs[1])["c"][0])

    eps = 1e-6
    got = (c_next(c_prev + eps) - c_next(c_prev - eps)) / (2 * eps)
    assert got == pytest.approx(total, abs=1e-8)
    assert abs(total - f) > 1e-3  # the direct path alone is f
    assert "differs from diag(prod f_i)" in results[("homework3", "ex3-direct-path")].reason


def test_lstm_gates_and_forget_one_reasons(results) -> None:
    assert "Interval.open(0, 1)" in results[("homework3", "ex3-gates")].reason
    assert "limit" in results[("homework3", "ex3-forget-one")].reason


def test_ex1b_chain_claims_and_check_agree(results) -> None:
    # One question, one answer: the claims run is `symbptt check` on the claim file's answer.
    from symbptt.answers.judge import AnswerSpec, judge
    from symbptt.catalog import load

    sub = read_submission(claim_file("homework3"))
    spec = next(a for a in sub.answers if a.id == "ex1b-chain")
    got = judge(AnswerSpec(spec.id, spec.answer), load("homework3"))
    c = results[("homework3", "ex1b-chain")]
    assert (c.verdict, got.verdict) == ("undecided", "undecided")
    assert c.reason == got.reason and "3-D tensor" in c.reason
    assert ("homework3", "ex1b-chain") not in {(t, i) for t, i, _, _ in NOT_EXPRESSIBLE}


def _hw3_forward(W, U, xs, h0):  # noqa: ANN001, ANN202
    """h_t = sigma(W h_{t-1} + U x_t), the homework's equations, with s_t kept."""
    hs, ss = [h0], [None]
    for x in xs:
        ss.append(W @ hs[-1] + U @ x)
        hs.append(1 / (1 + np.exp(-ss[-1])))
    return hs, ss


def test_ex1b_chain_is_right_with_the_immediate_partial_and_wrong_with_the_total() -> None:
    # Independent numpy: L = sum_t L_t with L_t = sum(sin(h_t)) (any scalar loss of h_t).
    # Numerator layout: dL_t/dh_t a row; dh_t/dh_k = prod diag(sigma'(s_i)) W; the immediate
    # dh_k/dW is the 3-D tensor [a, b, c] = sigma'(s_{k,a}) [a = b] h_{k-1,c}.
    rng = np.random.default_rng(11)
    n, m, T = 3, 2, 4
    W, U = rng.normal(0, 0.9, (n, n)), rng.normal(0, 0.9, (n, m))
    xs, h0 = [rng.normal(size=m) for _ in range(T)], rng.normal(size=n)

    def loss(Wv):  # noqa: ANN001, ANN202
        hs, _ = _hw3_forward(Wv, U, xs, h0)
        return sum(np.sin(h).sum() for h in hs[1:])

    eps, fd = 1e-6, np.zeros((n, n))
    for b in range(n):
        for c in range(n):
            e = np.zeros((n, n))
            e[b, c] = eps
            fd[b, c] = (loss(W + e) - loss(W - e)) / (2 * eps)
    hs, ss = _hw3_forward(W, U, xs, h0)
    dsig = [None] + [1 / (1 + np.exp(-s)) * (1 - 1 / (1 + np.exp(-s))) for s in ss[1:]]

    def jac(t: int, k: int) -> np.ndarray:  # dh_t/dh_k, the latest step's factor leftmost
        J = np.eye(n)
        for i in range(t, k, -1):
            J = J @ np.diag(dsig[i]) @ W
        return J

    def immediate(k: int) -> np.ndarray:
        return np.einsum("a,ab,c->abc", dsig[k], np.eye(n), hs[k - 1])

    def total(k: int) -> np.ndarray:  # d h_k / d W through every earlier step too
        return sum(np.tensordot(jac(k, j), immediate(j), axes=1) for j in range(1, k + 1))

    for tensor, right in ((immediate, True), (total, False)):
        chain = sum(
            np.tensordot(np.cos(hs[t]) @ jac(t, k), tensor(k), axes=1)
            for t in range(1, T + 1)
            for k in range(1, t + 1)
        )
        assert np.allclose(chain, fd, rtol=1e-6, atol=1e-8) == right
