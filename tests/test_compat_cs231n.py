"""CS231n rnn_layers API against loop code written here from the assignment's equations,
and against central differences of a scalar loss."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.compat import cs231n as C
from symbptt.errors import InputError


def sig(a):
    return 1 / (1 + np.exp(-a))


def case(N, T, D, H, gates=1, seed=0):
    rs = np.random.RandomState(seed)
    return (
        rs.randn(N, T, D),
        rs.randn(N, H),
        0.5 * rs.randn(D, gates * H),
        0.5 * rs.randn(H, gates * H),
        0.3 * rs.randn(gates * H),
        rs.randn(N, T, H),
    )


def loop_rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        prev = np.tanh(x[:, t, :] @ Wx + prev @ Wh + b)
        h[:, t, :] = prev
    return h


def loop_rnn_backward(dh, x, h0, Wx, Wh, b):
    h = loop_rnn_forward(x, h0, Wx, Wh, b)
    N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev = h0 if t == 0 else h[:, t - 1, :]
        da = (dh[:, t, :] + dprev) * (1 - h[:, t, :] ** 2)
        dx[:, t, :] = da @ Wx.T
        dWx += x[:, t, :].T @ da
        dWh += prev.T @ da
        db += da.sum(0)
        dprev = da @ Wh.T
    return dx, dprev, dWx, dWh, db


def numgrad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    it = np.nditer(a, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = a[i]
        a[i] = old + eps
        fp = f()
        a[i] = old - eps
        fm = f()
        a[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


@pytest.mark.parametrize("N,T", [(3, 5), (2, 1), (4, 2)])
def test_rnn_forward_backward_match_loops(N, T):
    x, h0, Wx, Wh, b, dh = case(N, T, 4, 6)
    h, cache = C.rnn_forward(x, h0, Wx, Wh, b)
    assert h.shape == (N, T, 6)
    np.testing.assert_allclose(h, loop_rnn_forward(x, h0, Wx, Wh, b), rtol=1e-12, atol=1e-14)
    got = C.rnn_backward(dh, cache)
    want = loop_rnn_backward(dh, x, h0, Wx, Wh, b)
    assert [g.shape for g in got] == [w.shape for w in want]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-13)


def test_rnn_backward_matches_central_differences():
    x, h0, Wx, Wh, b, dh = case(2, 3, 3, 4, seed=1)

    def E():
        return float((C.rnn_forward(x, h0, Wx, Wh, b)[0] * dh).sum())

    dx, dh0, dWx, dWh, db = C.rnn_backward(dh, C.rnn_forward(x, h0, Wx, Wh, b)[1])
    for got, arr in ((dx, x), (dh0, h0), (dWx, Wx), (dWh, Wh), (db, b)):
        np.testing.assert_allclose(got, numgrad(E, arr), rtol=1e-6, atol=1e-8)


def test_step_functions():
    x, h0, Wx, Wh, b, dh = case(3, 1, 4, 5, seed=2)
    nh, cache = C.rnn_step_forward(x[:, 0], h0, Wx, Wh, b)
    np.testing.assert_allclose(nh, np.tanh(x[:, 0] @ Wx + h0 @ Wh + b), rtol=1e-13)
    dx, dprev, dWx, dWh, db = C.rnn_step_backward(dh[:, 0], cache)
    da = dh[:, 0] * (1 - nh**2)
    np.testing.assert_allclose(dx, da @ Wx.T, rtol=1e-12)
    np.testing.assert_allclose(dprev, da @ Wh.T, rtol=1e-12)
    np.testing.assert_allclose(dWx, x[:, 0].T @ da, rtol=1e-12)
    np.testing.assert_allclose(dWh, h0.T @ da, rtol=1e-12)
    np.testing.assert_allclose(db, da.sum(0), rtol=1e-12)


def test_lstm_matches_equations_and_central_differences():
    N, T, D, H = 2, 3, 3, 4
    x, h0, Wx, Wh, b, dh = case(N, T, D, H, gates=4, seed=3)
    # loop from the assignment's equations: a = x Wx + h Wh + b split i, f, o, g
    h_ref = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros((N, H))
    for t in range(T):
        a = x[:, t] @ Wx + prev_h @ Wh + b
        i, f, o, g = (
            sig(a[:, :H]),
            sig(a[:, H : 2 * H]),
            sig(a[:, 2 * H : 3 * H]),
            np.tanh(a[:, 3 * H :]),
        )
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        h_ref[:, t] = prev_h
    h, cache = C.lstm_forward(x, h0, Wx, Wh, b)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12)

    def E():
        return float((C.lstm_forward(x, h0, Wx, Wh, b)[0] * dh).sum())

    grads = C.lstm_backward(dh, cache)
    for got, arr in zip(grads, (x, h0, Wx, Wh, b), strict=True):
        np.testing.assert_allclose(got, numgrad(E, arr), rtol=1e-6, atol=1e-8)


def test_lstm_step_backward_dprev_c_by_central_differences():
    x, h0, Wx, Wh, b, _ = case(2, 1, 3, 2, gates=4, seed=4)
    c0 = np.random.RandomState(5).randn(2, 2)
    dnh, dnc = np.random.RandomState(6).randn(2, 2), np.random.RandomState(7).randn(2, 2)

    def E():
        nh, nc, _ = C.lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
        return float((nh * dnh).sum() + (nc * dnc).sum())

    got = C.lstm_step_backward(dnh, dnc, C.lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)[2])
    np.testing.assert_allclose(got[2], numgrad(E, c0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], numgrad(E, h0), rtol=1e-6, atol=1e-8)


def test_bad_shapes_are_input_errors():
    x, h0, Wx, Wh, b, _ = case(2, 3, 4, 5)
    with pytest.raises(InputError, match="Wh must have shape"):
        C.rnn_forward(x, h0, Wx, Wh.T[:4], b)
    with pytest.raises(InputError, match="h0 must have shape"):
        C.rnn_forward(x, h0.T, Wx, Wh, b)
