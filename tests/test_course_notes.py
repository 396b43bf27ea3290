"""The course-notes API against the notes' own algorithm, written out independently here."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.compat import course_notes as cn
from symbptt.errors import InputError


def softmax(x):
    e = np.exp(x - np.max(x, axis=0))
    return e / e.sum(axis=0)


def notes_forward(x, s0, parameters):
    """The notes' rnn_forward: a loop of rnn_cell_forward over t, column vectors."""
    U, W, V, ba, by = (parameters[k] for k in ("U", "W", "V", "ba", "by"))
    n, B, T = s0.shape[0], x.shape[1], x.shape[2]
    s = np.zeros((n, B, T))
    y = np.zeros((V.shape[0], B, T))
    caches = []
    s_prev = s0
    for t in range(T):
        s_next = np.tanh(U @ x[:, :, t] + W @ s_prev + ba)
        y[:, :, t] = softmax(V @ s_next + by)
        s[:, :, t] = s_next
        caches.append((s_next, s_prev, x[:, :, t], parameters))
        s_prev = s_next
    return s, y, (caches, x)


def notes_backward(ds, caches):
    """The notes' rnn_backward: dtanh = (1 - s_t^2) * (ds_t + ds_prev), accumulated in reverse."""
    caches, x = caches
    U, W = caches[0][3]["U"], caches[0][3]["W"]
    n, B, T = ds.shape
    dx = np.zeros((x.shape[0], B, T))
    dU, dW, dba = np.zeros_like(U), np.zeros_like(W), np.zeros((n, 1))
    ds_prev = np.zeros((n, B))
    for t in reversed(range(T)):
        s_next, s_prev, xt, _ = caches[t]
        dtanh = (1 - s_next**2) * (ds[:, :, t] + ds_prev)
        dU += dtanh @ xt.T
        dW += dtanh @ s_prev.T
        dba += np.sum(dtanh, axis=1, keepdims=True)
        dx[:, :, t] = U.T @ dtanh
        ds_prev = W.T @ dtanh
    return {"dx": dx, "ds0": ds_prev, "dU": dU, "dW": dW, "dba": dba}


def notes_case(B=1):
    """The notes' sizes m=3, n=5, k=3, T=4, drawn with RandomState(1) in the notes' order."""
    rs = np.random.RandomState(1)
    x = rs.randn(3, B, 4)
    s0 = rs.randn(5, B)
    parameters = {
        "U": rs.randn(5, 3),
        "W": rs.randn(5, 5),
        "V": rs.randn(3, 5),
        "ba": rs.randn(5, 1),
        "by": rs.randn(3, 1),
    }
    ds = rs.randn(5, B, 4)
    return x, s0, parameters, ds


@pytest.mark.parametrize("B", [1, 3])
def test_forward_and_backward_match_the_notes(B):
    x, s0, parameters, ds = notes_case(B)
    s, y, caches = cn.rnn_forward(x, s0, parameters)
    s_ref, y_ref, caches_ref = notes_forward(x, s0, parameters)
    assert s.shape == (5, B, 4) and y.shape == (3, B, 4)
    np.testing.assert_allclose(s, s_ref, rtol=1e-13)
    np.testing.assert_allclose(y, y_ref, rtol=1e-13)
    np.testing.assert_allclose(y.sum(axis=0), 1.0)
    got = cn.rnn_backward(ds, caches)
    want = notes_backward(ds, caches_ref)
    assert set(got) == {"dx", "ds0", "dU", "dW", "dba"}
    for k in want:
        assert got[k].shape == want[k].shape, k
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-14, err_msg=k)
    # the notes' own caches work as input too
    again = cn.rnn_backward(ds, caches_ref)
    np.testing.assert_allclose(again["dW"], want["dW"], rtol=1e-12)


def test_cell_functions_match_one_step_of_the_notes():
    x, s0, parameters, ds = notes_case()
    s_next, yt, cache = cn.rnn_cell_forward(x[:, :, 0], s0, parameters)
    s_ref, y_ref, (caches_ref, _) = notes_forward(x[:, :, :1], s0, parameters)
    np.testing.assert_allclose(s_next, s_ref[:, :, 0], rtol=1e-13)
    np.testing.assert_allclose(yt, y_ref[:, :, 0], rtol=1e-13)
    g = cn.rnn_cell_backward(ds[:, :, 0], cache)
    want = notes_backward(ds[:, :, :1], (caches_ref, x[:, :, :1]))
    np.testing.assert_allclose(g["dxt"], want["dx"][:, :, 0], rtol=1e-12)
    np.testing.assert_allclose(g["ds_prev"], want["ds0"], rtol=1e-12)
    np.testing.assert_allclose(g["dW"], want["dW"], rtol=1e-12)


def test_bad_input_is_named():
    x, s0, parameters, ds = notes_case()
    with pytest.raises(InputError, match=r"missing \['by'\]"):
        cn.rnn_forward(x, s0, {k: v for k, v in parameters.items() if k != "by"})
    with pytest.raises(InputError, match=r"x must have shape \(m, B, T\) with m = 3"):
        cn.rnn_forward(x[:2], s0, parameters)
    with pytest.raises(InputError, match=r"s0 must have shape \(n, B\) = \(5, 1\)"):
        cn.rnn_forward(x, s0[:4], parameters)
    _, _, caches = cn.rnn_forward(x, s0, parameters)
    with pytest.raises(InputError, match=r"ds must have shape \(n, B, T\) = \(5, 1, 4\)"):
        cn.rnn_backward(ds[:, :, :3], caches)
