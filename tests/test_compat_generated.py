"""The hand-written LSTM fast paths held equal to the generated engine (issue 10: "Where a
hand-written fast path stays, a test holds it equal to the generated one").

compat/cs231n.py lstm_step_forward/backward, compat/dlai.py lstm_cell_forward/backward and
codecheck/slips_lstm.py forward/backward (no slip) against symbptt.cells.numeric on the lstm
cell (keys U_k on x_t, W_k on h_{t-1}, b_k; rows). The layouts are mapped here, in the test.
"""

from __future__ import annotations

import numpy as np

from symbptt.cells import numeric
from symbptt.cells.builtin import CELLS
from symbptt.codecheck import slips_lstm
from symbptt.compat import cs231n, dlai

LSTM = CELLS["lstm"]
RTOL, ATOL = 1e-12, 1e-12


def _engine(P: dict, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray, dh: np.ndarray,
            dc: np.ndarray) -> tuple:  # fmt: skip
    """Forward values and the gradients of sum_t <dh_t, h_t> + <dc_t, c_t> (rows)."""
    tr = numeric.forward(LSTM, P, xs, {"h": h0, "c": c0})
    return tr, numeric.backward(LSTM, tr, {"h": dh, "c": dc})


def test_cs231n_step_equals_the_engine() -> None:
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H)
    dnh, dnc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    P = {}
    for j, k in enumerate("ifog"):  # CS231n stacks the gates i, f, o, g
        sl = slice(j * H, (j + 1) * H)
        P[f"U_{k}"], P[f"W_{k}"], P[f"b_{k}"] = Wx[:, sl].T, Wh[:, sl].T, b[sl]
    next_h, next_c, cache = cs231n.lstm_step_forward(x, h, c, Wx, Wh, b)
    tr, g = _engine(P, x[None], h, c, dnh[None], dnc[None])
    np.testing.assert_allclose(next_h, tr.values["h"][0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(next_c, tr.values["c"][0], rtol=RTOL, atol=ATOL)
    dx, dh, dc, dWx, dWh, db = cs231n.lstm_step_backward(dnh, dnc, cache)
    np.testing.assert_allclose(dx, g.xs[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dh, g.states0["h"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dc, g.states0["c"], rtol=RTOL, atol=ATOL)
    for j, k in enumerate("ifog"):
        sl = slice(j * H, (j + 1) * H)
        np.testing.assert_allclose(dWx[:, sl], g.params[f"U_{k}"].T, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(dWh[:, sl], g.params[f"W_{k}"].T, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(db[sl], g.params[f"b_{k}"], rtol=RTOL, atol=ATOL)


def test_dlai_cell_equals_the_engine() -> None:
    rng = np.random.default_rng(1)
    n_x, n_a, n_y, m = 3, 4, 2, 5
    xt, a, c = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))
    params = {}
    for k in "fico":  # W_k acts on [a_prev; xt]; the candidate is c~ (the engine's g)
        params[f"W{k}"] = rng.normal(size=(n_a, n_a + n_x))
        params[f"b{k}"] = rng.normal(size=(n_a, 1))
    params["Wy"], params["by"] = rng.normal(size=(n_y, n_a)), rng.normal(size=(n_y, 1))
    P = {}
    for k, e in zip("fico", "figo", strict=True):
        W = params[f"W{k}"]
        P[f"W_{e}"], P[f"U_{e}"], P[f"b_{e}"] = W[:, :n_a], W[:, n_a:], params[f"b{k}"][:, 0]
    da, dc = rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))
    a_next, c_next, _, cache = dlai.lstm_cell_forward(xt, a, c, params)
    tr, g = _engine(P, xt.T[None], a.T, c.T, da.T[None], dc.T[None])
    np.testing.assert_allclose(a_next, tr.values["h"][0].T, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(c_next, tr.values["c"][0].T, rtol=RTOL, atol=ATOL)
    got = dlai.lstm_cell_backward(da, dc, cache)
    np.testing.assert_allclose(got["dxt"], g.xs[0].T, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["da_prev"], g.states0["h"].T, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["dc_prev"], g.states0["c"].T, rtol=RTOL, atol=ATOL)
    for k, e in zip("fico", "figo", strict=True):
        want_W = np.concatenate([g.params[f"W_{e}"], g.params[f"U_{e}"]], axis=1)
        np.testing.assert_allclose(got[f"dW{k}"], want_W, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got[f"db{k}"][:, 0], g.params[f"b_{e}"], rtol=RTOL, atol=ATOL)


def test_codecheck_lstm_without_slips_equals_the_engine() -> None:
    rng = np.random.default_rng(2)
    T, N, D, H = 4, 3, 2, 3
    P = {}
    for k in "ifog":
        P[f"U_{k}"], P[f"W_{k}"], P[f"b_{k}"] = (
            rng.normal(size=(H, D)),
            rng.normal(size=(H, H)),
            rng.normal(size=H),
        )
    xs, h0, c0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh, dcT = rng.normal(size=(T, N, H)), rng.normal(size=(N, H))
    dc = np.zeros((T, N, H))
    dc[-1] = dcT  # <dcT, c_T> only
    hs, cs, _ = slips_lstm.forward(P, xs, h0, c0)
    tr, g = _engine(P, xs, h0, c0, dh, dc)
    np.testing.assert_allclose(hs, tr.values["h"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(cs, tr.values["c"], rtol=RTOL, atol=ATOL)
    got = slips_lstm.backward(P, xs, h0, c0, dh, dcT)
    for k in P:
        np.testing.assert_allclose(got[k], g.params[k], rtol=RTOL, atol=ATOL, err_msg=k)
    np.testing.assert_allclose(got["xs"], g.xs, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["h0"], g.states0["h"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["c0"], g.states0["c"], rtol=RTOL, atol=ATOL)


def test_a_wrong_fast_path_would_be_caught() -> None:
    """The comparison is not vacuous: a slipped backward (tanh' at the pre-activation) differs."""
    rng = np.random.default_rng(3)
    P = {f"{kind}_{k}": rng.normal(size={"U": (2, 2), "W": (2, 2), "b": (2,)}[kind])
         for kind in "UWb" for k in "ifog"}  # fmt: skip
    xs, h0, c0 = rng.normal(size=(3, 1, 2)), rng.normal(size=(1, 2)), rng.normal(size=(1, 2))
    dh = rng.normal(size=(3, 1, 2))
    _, g = _engine(P, xs, h0, c0, dh, np.zeros_like(dh))
    bad = slips_lstm.backward(P, xs, h0, c0, dh, np.zeros((1, 2)), ("pre_act",))
    assert np.abs(bad["W_g"] - g.params["W_g"]).max() > 1e-3
