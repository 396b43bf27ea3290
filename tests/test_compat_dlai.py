"""deeplearning.ai C5W1 API against loop code written here from the assignment's equations,
and against central differences of a scalar loss."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.compat import dlai
from symbptt.errors import InputError


def sig(a):
    return 1 / (1 + np.exp(-a))


def softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def rnn_case(n_x=3, n_a=5, n_y=2, m=4, T=3, seed=1):
    rs = np.random.RandomState(seed)
    x = rs.randn(n_x, m, T)
    a0 = rs.randn(n_a, m)
    p = {
        "Wax": 0.5 * rs.randn(n_a, n_x),
        "Waa": 0.5 * rs.randn(n_a, n_a),
        "Wya": rs.randn(n_y, n_a),
        "ba": rs.randn(n_a, 1),
        "by": rs.randn(n_y, 1),
    }
    return x, a0, p, rs.randn(n_a, m, T)


def numgrad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        fp = f()
        a[i] = old - eps
        fm = f()
        a[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


@pytest.mark.parametrize("m,T", [(4, 3), (1, 1), (2, 5)])
def test_rnn_forward_backward_match_the_published_loops(m, T):
    x, a0, p, da = rnn_case(m=m, T=T)
    a, y, caches = dlai.rnn_forward(x, a0, p)
    a_ref, y_ref = np.zeros((5, m, T)), np.zeros((2, m, T))
    prev = a0
    for t in range(T):
        prev = np.tanh(p["Waa"] @ prev + p["Wax"] @ x[:, :, t] + p["ba"])
        a_ref[:, :, t], y_ref[:, :, t] = prev, softmax(p["Wya"] @ prev + p["by"])
    np.testing.assert_allclose(a, a_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-14)
    assert len(caches[0]) == T and caches[1] is not None
    assert caches[0][0][3] is p  # the assignment's cache: (a_next, a_prev, xt, parameters)
    g = dlai.rnn_backward(da, caches)
    assert set(g) == {"dx", "da0", "dWax", "dWaa", "dba"}
    dx, dWax, dWaa, dba = np.zeros_like(x), 0 * p["Wax"], 0 * p["Waa"], 0 * p["ba"]
    dprev = np.zeros_like(a0)
    for t in reversed(range(T)):
        a_prev = a0 if t == 0 else a_ref[:, :, t - 1]
        dz = (1 - a_ref[:, :, t] ** 2) * (da[:, :, t] + dprev)
        dx[:, :, t] = p["Wax"].T @ dz
        dWax, dWaa = dWax + dz @ x[:, :, t].T, dWaa + dz @ a_prev.T
        dba = dba + dz.sum(axis=1, keepdims=True)
        dprev = p["Waa"].T @ dz
    for key, want in (("dx", dx), ("da0", dprev), ("dWax", dWax), ("dWaa", dWaa), ("dba", dba)):
        assert g[key].shape == want.shape, key
        np.testing.assert_allclose(g[key], want, rtol=1e-11, atol=1e-13, err_msg=key)


def test_rnn_backward_matches_central_differences():
    x, a0, p, da = rnn_case(m=2, T=3, seed=2)

    def E():
        return float((dlai.rnn_forward(x, a0, p)[0] * da).sum())

    g = dlai.rnn_backward(da, dlai.rnn_forward(x, a0, p)[2])
    for key, arr in (
        ("dx", x),
        ("da0", a0),
        ("dWax", p["Wax"]),
        ("dWaa", p["Waa"]),
        ("dba", p["ba"]),
    ):
        np.testing.assert_allclose(g[key], numgrad(E, arr), rtol=1e-6, atol=1e-8, err_msg=key)


def test_cell_functions_and_a_hand_built_cache():
    x, a0, p, da = rnn_case(m=3, T=1, seed=3)
    a_next, yt, cache = dlai.rnn_cell_forward(x[:, :, 0], a0, p)
    np.testing.assert_allclose(a_next, np.tanh(p["Wax"] @ x[:, :, 0] + p["Waa"] @ a0 + p["ba"]))
    np.testing.assert_allclose(yt, softmax(p["Wya"] @ a_next + p["by"]))
    hand = (np.tanh(p["Wax"] @ x[:, :, 0] + p["Waa"] @ a0 + p["ba"]), a0, x[:, :, 0], p)
    g = dlai.rnn_cell_backward(da[:, :, 0], hand)
    dz = (1 - a_next**2) * da[:, :, 0]
    np.testing.assert_allclose(g["dxt"], p["Wax"].T @ dz, rtol=1e-12)
    np.testing.assert_allclose(g["da_prev"], p["Waa"].T @ dz, rtol=1e-12)
    np.testing.assert_allclose(g["dWax"], dz @ x[:, :, 0].T, rtol=1e-12)
    np.testing.assert_allclose(g["dWaa"], dz @ a0.T, rtol=1e-12)
    np.testing.assert_allclose(g["dba"], dz.sum(1, keepdims=True), rtol=1e-12)


def lstm_case(n_x=3, n_a=4, n_y=2, m=2, T=3, seed=4):
    rs = np.random.RandomState(seed)
    p = {}
    for k in "fico":
        p["W" + k] = 0.5 * rs.randn(n_a, n_a + n_x)
        p["b" + k] = 0.3 * rs.randn(n_a, 1)
    p["Wy"], p["by"] = rs.randn(n_y, n_a), rs.randn(n_y, 1)
    return rs.randn(n_x, m, T), rs.randn(n_a, m), p, rs.randn(n_a, m, T)


def test_lstm_forward_matches_the_published_equations():
    x, a0, p, _ = lstm_case()
    a, y, c, caches = dlai.lstm_forward(x, a0, p)
    prev_a, prev_c = a0, np.zeros_like(a0)
    for t in range(x.shape[2]):
        concat = np.vstack([prev_a, x[:, :, t]])
        ft, it = sig(p["Wf"] @ concat + p["bf"]), sig(p["Wi"] @ concat + p["bi"])
        cct, ot = np.tanh(p["Wc"] @ concat + p["bc"]), sig(p["Wo"] @ concat + p["bo"])
        prev_c = ft * prev_c + it * cct
        prev_a = ot * np.tanh(prev_c)
        np.testing.assert_allclose(a[:, :, t], prev_a, rtol=1e-12)
        np.testing.assert_allclose(c[:, :, t], prev_c, rtol=1e-12)
        np.testing.assert_allclose(y[:, :, t], softmax(p["Wy"] @ prev_a + p["by"]), rtol=1e-12)


def test_lstm_backward_matches_central_differences():
    x, a0, p, da = lstm_case(seed=5)

    def E():
        return float((dlai.lstm_forward(x, a0, p)[0] * da).sum())

    g = dlai.lstm_backward(da, dlai.lstm_forward(x, a0, p)[3])
    pairs = [("dx", x), ("da0", a0)] + [
        (f"d{k}", p[k]) for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")
    ]
    for key, arr in pairs:
        np.testing.assert_allclose(g[key], numgrad(E, arr), rtol=1e-6, atol=1e-8, err_msg=key)


def test_missing_key_is_an_input_error():
    x, a0, p, _ = rnn_case()
    del p["Waa"]
    with pytest.raises(InputError, match="missing \\['Waa'\\]"):
        dlai.rnn_forward(x, a0, p)


def test_lstm_forward_caches_are_the_cells_caches():
    """The engine-backed lstm_forward hands out the assignment's per-step cache tuples."""
    x, a0, p, da = lstm_case(seed=6)
    _, _, _, (caches, x_c) = dlai.lstm_forward(x, a0, p)
    a_prev, c_prev = a0, np.zeros_like(a0)
    for t in range(x.shape[2]):
        a_prev, c_prev, _, cell = dlai.lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
        assert len(caches[t]) == 10 and caches[t][9] is p
        for got, want in zip(caches[t][:9], cell[:9], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # and the cell backward on those caches, looped by hand, is lstm_backward
    da_prev, dc_prev = np.zeros_like(a0), np.zeros_like(a0)
    dx = np.zeros_like(x)
    tot = {}
    for t in reversed(range(x.shape[2])):
        g = dlai.lstm_cell_backward(da[:, :, t] + da_prev, dc_prev, caches[t])
        dx[:, :, t], da_prev, dc_prev = g["dxt"], g["da_prev"], g["dc_prev"]
        for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"):
            tot[k] = tot.get(k, 0) + g[k]
    got = dlai.lstm_backward(da, (caches, x_c))
    np.testing.assert_allclose(got["dx"], dx, rtol=1e-10)
    np.testing.assert_allclose(got["da0"], da_prev, rtol=1e-10)
    for k, v in tot.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-10, err_msg=k)
