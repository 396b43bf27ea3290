"""cells.mp40: 40-digit central differences of a cell's forward, held against a numpy loop of
PyTorch's nn.LSTM equations written here (float64 central differences), and the verify row."""

from __future__ import annotations

import numpy as np

from symbptt.cells.builtin import CELLS
from symbptt.cells.checks import run
from symbptt.cells.mp40 import loss_gradient


def sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def lstm_loss(P: dict, xs: np.ndarray, h: np.ndarray, c: np.ndarray, g: np.ndarray) -> float:
    """PyTorch nn.LSTM (i, f, g, o from U x + W h + b), E = sum_t <g_t, h_t>."""
    E = 0.0
    for t in range(xs.shape[0]):
        x = xs[t, 0]
        a = {q: P[f"U_{q}"] @ x + P[f"W_{q}"] @ h + P[f"b_{q}"] for q in "ifgo"}
        c = sig(a["f"]) * c + sig(a["i"]) * np.tanh(a["g"])
        h = sig(a["o"]) * np.tanh(c)
        E += float(g[t, 0] @ h)
    return E


def test_forty_digit_gradient_matches_a_numpy_lstm_loop() -> None:
    cell = CELLS["lstm"]
    rng = np.random.default_rng(3)
    T, n, m = 2, 2, 3
    P = {p.key: rng.normal(0, 0.6, p.size(n, m)) for p in cell.params}
    xs, g = rng.normal(size=(T, 1, m)), rng.normal(size=(T, 1, n))
    s0 = {"h": rng.normal(0, 0.5, (1, n)), "c": rng.normal(0, 0.5, (1, n))}
    got = loss_gradient(cell, P, xs, s0, g)
    for k, v in P.items():
        want = np.zeros(v.size)
        for j in range(v.size):
            e = np.zeros(v.size)
            e[j] = 1e-6
            up = {**P, k: v + e.reshape(v.shape)}
            down = {**P, k: v - e.reshape(v.shape)}
            args = (xs, s0["h"][0], s0["c"][0], g)
            want[j] = (lstm_loss(up, *args) - lstm_loss(down, *args)) / 2e-6
        np.testing.assert_allclose(got[k].ravel(), want, rtol=1e-6, atol=1e-9, err_msg=k)


def test_verify_has_the_forty_digit_row_and_it_passes_for_a_gru() -> None:
    rows = [r for r in run(CELLS["gru"], 2, 2) if "mpmath 40-digit" in r.name]
    assert len(rows) == 1 and rows[0].passed and rows[0].max_error < 1e-12
