"""The three gradient forms against hand-worked chain rules and the source texts' claims.

Expected expressions are written here from the formulas in the source material (see
/work/shared/docs/source-material.md), in the unrolled graph's named atoms: f'(net) is
Derivative(f(net), net) and dL_t/dh is Derivative(L_t(h), h). Equality is decided by
sympy.expand here, independently of symbptt.symbolic.exact.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbptt.catalog import load
from symbptt.model import Role
from symbptt.symbolic import bptt, direct, jacobian_product, path_sums, unroll
from symbptt.symbolic.exact import same
from symbptt.symbolic.gradients import (
    delta_definition,
    delta_symbols,
    direct_naive,
    step_term,
)


def zero(e: sp.Expr) -> bool:
    return sp.expand(e) == 0


def dsig(u, t: int, j: int = 0) -> sp.Expr:  # noqa: ANN001
    """f'(net_t) for entry j, as the graph's generic atom."""
    s = u.net_sym[t - 1][j]
    return sp.Derivative(u.f(s), s)


def dL(u, t: int, j: int = 0) -> sp.Expr:  # noqa: ANN001
    """dL_t/dh_{t,j} (or dL_t/dz_{t,j} with an output layer) for the generic per-step loss."""
    args = u.z_sym[t - 1] if u.has_output else u.h_sym[t - 1]
    return sp.Derivative(u.loss_functions[t - 1](*args), args[j])


# ---------------------------------------------------------------------- hand-worked, scalar


def test_T1_scalar_by_hand() -> None:
    # h1 = f(u x1 + w h0), E = L(h1): dE/dw = L'(h1) f'(net1) h0, dE/du = L'(h1) f'(net1) x1
    u = unroll(load("tutorial"), 1, 1, m=1, generic=True)
    h0, x1 = u.h0[0], u.xs[0][0]
    assert zero(direct(u, Role.RECURRENT)[0] - dL(u, 1) * dsig(u, 1) * h0)
    assert zero(direct(u, Role.INPUT)[0] - dL(u, 1) * dsig(u, 1) * x1)
    assert zero(bptt(u, Role.RECURRENT).total[0] - dL(u, 1) * dsig(u, 1) * h0)


def test_T2_scalar_last_step_loss_by_hand() -> None:
    # tutorial: h1 = f(u x1 + w h0), h2 = f(u x2 + w h1), E = L(h2)
    # dE/dw = L'(h2) f'(net2) (h1 + w f'(net1) h0);  dE/du = L'(h2) f'(net2) (x2 + w f'(net1) x1)
    u = unroll(load("tutorial"), 2, 1, m=1, generic=True)
    w = u.params[Role.RECURRENT][0]
    h0, h1 = u.h0[0], u.h_sym[0][0]
    x1, x2 = u.xs[0][0], u.xs[1][0]
    want_w = dL(u, 2) * dsig(u, 2) * (h1 + w * dsig(u, 1) * h0)
    want_u = dL(u, 2) * dsig(u, 2) * (x2 + w * dsig(u, 1) * x1)
    for form in (direct(u, Role.RECURRENT)[0], bptt(u, Role.RECURRENT).total[0]):
        assert zero(form - want_w)
    for form in (direct(u, Role.INPUT)[0], bptt(u, Role.INPUT).total[0]):
        assert zero(form - want_u)
    # the same by sympy.diff of the fully substituted E, mapped back to the named atoms
    assert zero(u.to_named(direct_naive(u, Role.RECURRENT))[0] - want_w)


def test_T2_scalar_loss_at_every_step_by_hand() -> None:
    # homework 3: L = L1(h1) + L2(h2), h_t = sigma(s_t), s_t = w h_{t-1} + u x_t
    u = unroll(load("homework3"), 2, 1, m=1, generic=True)
    w = u.params[Role.RECURRENT][0]
    h0, h1 = u.h0[0], u.h_sym[0][0]
    want = dL(u, 1) * dsig(u, 1) * h0 + dL(u, 2) * dsig(u, 2) * (h1 + w * dsig(u, 1) * h0)
    assert zero(direct(u, Role.RECURRENT)[0] - want)
    assert zero(bptt(u, Role.RECURRENT).total[0] - want)


def test_T2_matrix_tutorial_eq5_eq6() -> None:
    # eq. 5/6: grad_W E = sum_t delta_t s_{t-1}^T, delta_2 = f'(net_2) (.) dE/ds_2,
    # delta_1 = f'(net_1) (.) W^T delta_2 (the tutorial's recursion, written out here)
    u = unroll(load("tutorial"), 2, 2, generic=True)
    W = u.params[Role.RECURRENT]
    fp = [sp.Matrix([dsig(u, t, j) for j in range(2)]) for t in (1, 2)]
    g2 = sp.Matrix([dL(u, 2, j) for j in range(2)])
    d2 = fp[1].multiply_elementwise(g2)
    d1 = fp[0].multiply_elementwise(W.T * d2)
    want = d2 * u.h_sym[0].T + d1 * u.h0.T
    got = direct(u, Role.RECURRENT)
    assert all(zero(got[i] - want[i]) for i in range(4))
    # eq. 8: grad_U E = sum_t delta_t x_t^T
    want_u = d2 * u.xs[1].T + d1 * u.xs[0].T
    got_u = direct(u, Role.INPUT)
    assert all(zero(got_u[i] - want_u[i]) for i in range(len(want_u)))


def test_step_term_is_the_tutorial_explicit_matrix() -> None:
    # eq. 5: [grad_{W,t} E]_{ji} = delta_{t,j} s_{t-1,i}
    u = unroll(load("tutorial"), 3, 2)
    term = step_term(u, Role.RECURRENT, (2,))
    d = delta_symbols(u, (2,))
    for j in range(2):
        for i in range(2):
            assert term[j, i] == d[j] * u.h_sym[0][i]
    names = u.latex_names()
    assert names[d[1]] == r"\delta_{2,2}"
    assert names[u.h_sym[0][0]] == "s_{1,1}"


# ---------------------------------------------------------------------- course notes


def _rnn_backward_from_the_notes(U, W, xs, s0, ds):  # noqa: ANN001, ANN202
    """The notes' rnn_backward written out: reverse accumulation with dtanh = (1 - s^2) * (...)."""
    T = xs.shape[0]
    s = [s0]
    for t in range(T):
        s.append(np.tanh(U @ xs[t] + W @ s[-1]))
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    dba = np.zeros(W.shape[0])
    dx = np.zeros_like(xs)
    ds_prev = np.zeros(W.shape[0])
    for t in range(T - 1, -1, -1):
        dtanh = (1 - s[t + 1] ** 2) * (ds[t] + ds_prev)
        dU += np.outer(dtanh, xs[t])
        dW += np.outer(dtanh, s[t])
        dba += dtanh
        dx[t] = U.T @ dtanh
        ds_prev = W.T @ dtanh
    return dU, dW, dba, dx, ds_prev


def test_course_notes_upstream_case() -> None:
    # E = sum_t <ds_t, s_t>: the symbolic BPTT and direct forms reproduce rnn_backward
    model = load("course-notes")
    T, n, m = 4, 3, 3
    u = unroll(model, T, n, m=m, upstream=True)
    assert not u.has_output and u.upstream_grads[0][0].name == "ds_1[1]"
    rng = np.random.default_rng(7)
    U, W, b = rng.normal(size=(n, m)), rng.normal(size=(n, n)) * 0.6, np.zeros(n)
    xs, s0, ds = rng.normal(size=(T, m)), rng.normal(size=n), rng.normal(size=(T, n))
    dU, dW, dba, dx, ds0 = _rnn_backward_from_the_notes(U, W, xs, s0, ds)
    point = u.values({Role.INPUT: U, Role.RECURRENT: W, Role.HIDDEN_BIAS: b}, xs, s0, None, ds)
    roles = (Role.INPUT, Role.RECURRENT, Role.HIDDEN_BIAS)
    for form in (lambda r: bptt(u, r).total, lambda r: direct(u, r)):
        exprs = [e for r in roles for e in form(r)]
        got = np.array(u.lambdify(exprs)(*point), dtype=float)
        np.testing.assert_allclose(got, np.concatenate([dU.ravel(), dW.ravel(), dba]), rtol=1e-12)
    # dx_t = U^T dtanh_t and ds0 = W^T dtanh_1 from the same error terms
    deltas = bptt(u, Role.RECURRENT).total_deltas
    Us, Ws = u.params[Role.INPUT], u.params[Role.RECURRENT]
    extra = [e for d in deltas for e in Us.T * d] + list(Ws.T * deltas[0])
    got = np.array(u.lambdify(extra)(*point), dtype=float)
    np.testing.assert_allclose(got, np.concatenate([dx.ravel(), ds0]), rtol=1e-12)


# ---------------------------------------------------------------------- homework 3


def _homework_claim(u) -> sp.Matrix:  # noqa: ANN001
    """Ex 1(b): sum_t [delta^t_j sigma'(s^t_j) h^{t-1}_i] with delta^t_j = dL_t/dh^t_j (local)."""
    out = sp.zeros(u.n, u.n)
    for t in range(1, u.T + 1):
        h_prev = u.h0 if t == 1 else u.h_sym[t - 2]
        for j in range(u.n):
            for i in range(u.n):
                out[j, i] += dL(u, t, j) * dsig(u, t, j) * h_prev[i]
    return out


def test_homework3_claim_is_right_at_T1() -> None:
    u = unroll(load("homework3"), 1, 2, generic=True)
    claim, truth = _homework_claim(u), direct(u, Role.RECURRENT)
    assert all(zero(claim[i] - truth[i]) for i in range(4))


def test_homework3_claim_is_wrong_for_T2_with_a_counterexample() -> None:
    u = unroll(load("homework3"), 2, 1, m=1, generic=True)
    claim, truth = _homework_claim(u)[0], direct(u, Role.RECURRENT)[0]
    w, h0 = u.params[Role.RECURRENT][0], u.h0[0]
    # what the claim drops: the path from L_2 back through h_1 to W's use at step 1
    assert zero(truth - claim - dL(u, 2) * dsig(u, 2) * w * dsig(u, 1) * h0)
    # a concrete counterexample: sigma logistic, L_t(h) = h (so delta^t = 1), w = u = x = h0 = 1
    sig = lambda v: 1 / (1 + sp.exp(-v))  # noqa: E731
    dsg = lambda v: sig(v) * (1 - sig(v))  # noqa: E731
    s1 = 1 + 1
    h1 = sig(s1)
    s2 = 1 * h1 + 1
    true_value = dsg(s1) * 1 + dsg(s2) * (h1 + 1 * dsg(s1) * 1)
    claim_value = dsg(s1) * 1 + dsg(s2) * h1
    assert float(true_value - claim_value) > 0.01
    # and the tool's own gradient agrees with the true value at that point
    uc = unroll(load("homework3"), 2, 1, m=1)
    one = np.ones
    val = uc.lambdify([direct(uc, Role.RECURRENT)[0]])(
        *uc.values(
            {Role.INPUT: one((1, 1)), Role.RECURRENT: one((1, 1))},
            one((2, 1)),
            one(1),
            None,
            one((2, 1)),
        )
    )[0]
    assert val == pytest.approx(float(true_value), rel=1e-12)


def test_homework3_bptt_exposes_local_and_total_error_terms() -> None:
    u = unroll(load("homework3"), 2, 2, generic=True)
    b = bptt(u, Role.RECURRENT)
    assert b.convention == "step_state"
    # the convention's delta is the local dL_t/dh_t ...
    assert b.deltas[1] == sp.Matrix([dL(u, 2, j) for j in range(2)])
    # ... and the correct terms use the total dL/ds_t, which has the recursive term
    assert not zero(b.total_deltas[0][0] - dsig(u, 1, 0) * dL(u, 1, 0))
    # the dropped-recursion variant is exactly the homework's claim
    wrong = bptt(u, Role.RECURRENT, variant="drop_recursive").total
    claim = _homework_claim(u)
    assert all(zero(wrong[i] - claim[i]) for i in range(4))


def test_homework_dh_dh0_is_a_product_of_diag_times_W() -> None:
    # Ex 1(b): dh_t/dh_0 = prod_{i=1}^{t} diag[sigma'(W h_{i-1} + U x_i)] W
    u = unroll(load("homework3"), 2, 2, generic=True)
    W = u.params[Role.RECURRENT]
    D = [sp.diag(*[dsig(u, t, j) for j in range(2)]) for t in (1, 2)]
    want = D[1] * W * D[0] * W
    got = jacobian_product(u, 2, 0)
    assert all(zero(got[i] - want[i]) for i in range(4))
    # and by sympy.diff of the substituted h_2
    naive = u.to_named(u.h[1].jacobian(u.h0))
    assert all(zero(naive[i] - want[i]) for i in range(4))
    assert jacobian_product(u, 1, 1) == sp.eye(2)


# ---------------------------------------------------------------------- dl4nlp


def _dl4nlp_double_sum(u, *, wrong_index: bool) -> sp.Matrix:  # noqa: ANN001
    """dE/dU = sum_t sum_{k<=t} delta_{t,k} h_{k-1}^T with the text's delta recursion."""
    U, V = u.params[Role.RECURRENT], u.params[Role.OUTPUT]
    out = sp.zeros(u.n, u.n)
    for t in range(1, u.T + 1):
        e_t = sp.Matrix([dL(u, t, j) for j in range(u.k)])  # dE_t/dz_t
        fp = lambda s: sp.Matrix([dsig(u, s, j) for j in range(u.n)])  # noqa: E731
        delta = fp(t).multiply_elementwise(V.T * e_t)  # delta_{t,t}
        for k in range(t, 0, -1):
            if k < t:
                delta = fp(t if wrong_index else k).multiply_elementwise(U.T * delta)
            out += delta * (u.h0 if k == 1 else u.h_sym[k - 2]).T
    return out


def test_dl4nlp_double_sum_with_f_prime_of_s_k_is_right() -> None:
    u = unroll(load("dl4nlp"), 3, 2, generic=True)
    truth = direct(u, Role.RECURRENT)
    right = _dl4nlp_double_sum(u, wrong_index=False)
    assert all(zero(truth[i] - right[i]) for i in range(4))
    assert same(truth, bptt(u, Role.RECURRENT).total) == []
    assert bptt(u, Role.RECURRENT).delta_labels == [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3)]


def test_dl4nlp_wrong_index_f_prime_of_s_t_is_caught() -> None:
    u = unroll(load("dl4nlp"), 2, 2, generic=True)
    truth = direct(u, Role.RECURRENT)
    wrong = _dl4nlp_double_sum(u, wrong_index=True)
    assert any(not zero(truth[i] - wrong[i]) for i in range(4))
    assert same(truth, bptt(u, Role.RECURRENT, variant="wrong_index").total) != []


def test_dl4nlp_output_error_is_yhat_minus_y_for_one_hot_targets() -> None:
    # dE_t/dz_t = yhat_t - y_t: exact with together + expand once sum(y) = 1
    u = unroll(load("dl4nlp"), 1, 2, k=3)
    z, y = u.z_sym[0], u.targets[0]
    grad = [sp.diff(u.loss_def[0], zj) for zj in z]
    yhat = u.yhat_def[0]
    one = {y[2]: 1 - y[0] - y[1]}
    for j in range(3):
        num, _ = sp.fraction(sp.together((grad[j] - (yhat[j] - y[j])).xreplace(one)))
        assert sp.expand(num) == 0


# ---------------------------------------------------------------------- blog: path sums


def test_blog_three_paths_for_dL3_dWx() -> None:
    u = unroll(load("blog"), 3, 1, m=1, k=1, generic=True)
    paths = path_sums(u, Role.INPUT, 3)
    assert [p.nodes for p in paths] == [
        ["L_3", "y_3", "h_3", "W_x"],
        ["L_3", "y_3", "h_3", "h_2", "W_x"],
        ["L_3", "y_3", "h_3", "h_2", "h_1", "W_x"],
    ]
    W_h = u.params[Role.RECURRENT][0]
    for p, (n_sigma, n_wh) in zip(paths, [(1, 0), (2, 1), (3, 2)], strict=True):
        term = sp.expand(p.term[0])
        assert term.is_Mul  # n = 1: one product of factors
        sigmas = [f for f in term.args if isinstance(f, sp.Derivative) and f.expr.func == u.f]
        assert len(sigmas) == n_sigma
        assert sp.degree(term, W_h) == n_wh
    # the farthest: sigma' at a_3, a_2, a_1 and W_h twice, with x_1
    far = sp.expand(paths[2].term[0])
    want = dL(u, 3) * u.params[Role.OUTPUT][0] * W_h**2 * u.xs[0][0]
    want *= dsig(u, 3) * dsig(u, 2) * dsig(u, 1)
    assert zero(far - want)
    total = sum((p.term for p in paths), sp.zeros(1, 1))
    assert zero(total[0] - direct(u, Role.INPUT, t=3)[0])


def test_blog_paths_for_W_h_and_W_y() -> None:
    u = unroll(load("blog"), 3, 2, generic=True)
    assert len(path_sums(u, Role.RECURRENT, 3)) == 3
    (only,) = path_sums(u, Role.OUTPUT, 3)
    assert only.nodes == ["L_3", "y_3", "W_y"]
    for role in (Role.RECURRENT, Role.OUTPUT, Role.HIDDEN_BIAS):
        total = sum((p.term for p in path_sums(u, role, 2)), sp.zeros(*u.params[role].shape))
        assert same(total, direct(u, role, t=2)) == []


# ---------------------------------------------------------------------- definitions and errors


@pytest.mark.parametrize("name", ["tutorial", "elman", "dl4nlp", "homework3"])
def test_error_terms_equal_their_definition(name: str) -> None:
    u = unroll(load(name), 3, 2, generic=True)
    b = bptt(u, Role.RECURRENT)
    for k in range(1, 4):
        assert same(b.total_deltas[k - 1], delta_definition(u, k)) == []
    if u.model.delta == "per_step":
        for (t, k), d in zip(b.delta_labels, b.deltas, strict=True):
            assert same(d, delta_definition(u, k, t=t)) == []


def test_dropped_recursive_term_changes_the_gradient_only_from_T2() -> None:
    for T, differs in ((1, False), (2, True)):
        u = unroll(load("elman"), T, 2, generic=True)
        bad = same(
            direct(u, Role.RECURRENT), bptt(u, Role.RECURRENT, variant="drop_recursive").total
        )
        assert bool(bad) is differs


def test_bad_arguments() -> None:
    from symbptt.errors import InputError

    u = unroll(load("tutorial"), 3, 2, generic=True)
    with pytest.raises(InputError, match="no loss E_t at that step"):
        path_sums(u, Role.INPUT, 2)  # the tutorial's loss is at the last step only
    with pytest.raises(InputError, match="no output parameter"):
        direct(u, Role.OUTPUT)
    with pytest.raises(InputError, match="variant"):
        bptt(u, Role.INPUT, variant="nonsense")
    with pytest.raises(InputError, match="per_step"):
        bptt(u, Role.INPUT, variant="wrong_index")
    with pytest.raises(InputError):
        jacobian_product(u, 1, 2)
