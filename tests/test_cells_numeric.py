"""cells.numeric (the generated engine) against loop code written here from the published equations.

Forward loops follow PyTorch's nn.LSTM / nn.GRU documentation, Cho et al. / d2l (reset before)
and homework 3's Exercise 3; backward loops follow the CS231n-style BPTT formulas collected in
/work/shared/docs/gated-cells.md; central differences are taken of the loops written here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from symbptt.cells import CELLS
from symbptt.cells.numeric import backward, forward
from symbptt.errors import InputError

Params = dict[str, np.ndarray]


def sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------------- loops from the texts


def lstm_loop(p: Params, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> dict[str, list]:
    """PyTorch nn.LSTM: i, f, g, o; c' = f*c + i*g; h' = o*tanh(c'). One sequence, column form."""
    out: dict[str, list] = {k: [] for k in "ifgoch"}
    h, c = h0, c0
    for x in xs:
        i = sig(p["U_i"] @ x + p["W_i"] @ h + p["b_i"])
        f = sig(p["U_f"] @ x + p["W_f"] @ h + p["b_f"])
        g = np.tanh(p["U_g"] @ x + p["W_g"] @ h + p["b_g"])
        o = sig(p["U_o"] @ x + p["W_o"] @ h + p["b_o"])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgoch", (i, f, g, o, c, h), strict=True):
            out[k].append(v)
    return out


def homework3_loop(p: Params, xs: np.ndarray, h0: np.ndarray, C0: np.ndarray) -> dict[str, list]:
    """Homework 3 Ex 3: f, i, C~ = gates of W h_{t-1} + U x_t + b; C = f*C + i*C~; h = o*tanh(C)."""
    out: dict[str, list] = {k: [] for k in ("f", "i", "Ctilde", "C", "o", "h")}
    h, C = h0, C0
    for x in xs:
        f = sig(p["W_f"] @ h + p["U_f"] @ x + p["b_f"])
        i = sig(p["W_i"] @ h + p["U_i"] @ x + p["b_i"])
        Ct = np.tanh(p["W_C"] @ h + p["U_C"] @ x + p["b_C"])
        C = f * C + i * Ct
        o = sig(p["W_o"] @ h + p["U_o"] @ x + p["b_o"])
        h = o * np.tanh(C)
        for k, v in zip(("f", "i", "Ctilde", "C", "o", "h"), (f, i, Ct, C, o, h), strict=True):
            out[k].append(v)
    return out


def gru_loop(p: Params, xs: np.ndarray, h0: np.ndarray, *, reset_after: bool) -> dict[str, list]:
    """PyTorch nn.GRU (reset after: n = tanh(W_in x + b_in + r*(W_hn h + b_hn))), or Cho v3 / d2l
    (reset before: n = tanh(W (r*h) + U x + b)); h' = z*h + (1-z)*n in both."""
    out: dict[str, list] = {k: [] for k in "zrnh"}
    h = h0
    for x in xs:
        z = sig(p["U_z"] @ x + p["W_z"] @ h + p["b_z"])
        r = sig(p["U_r"] @ x + p["W_r"] @ h + p["b_r"])
        if reset_after:
            n = np.tanh(p["U_n"] @ x + p["b_n"] + r * (p["W_n"] @ h + p["b_hn"]))
        else:
            n = np.tanh(p["W_n"] @ (r * h) + p["U_n"] @ x + p["b_n"])
        h = z * h + (1 - z) * n
        for k, v in zip("zrnh", (z, r, n, h), strict=True):
            out[k].append(v)
    return out


def lstm_backward_loop(
    p: Params, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray, dh: np.ndarray
) -> Params:
    """The CS231n / deeplearning.ai LSTM backward for L = sum_t <dh_t, h_t> (gated-cells.md)."""
    fw = lstm_loop(p, xs, h0, c0)
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    T = len(xs)
    for t in range(T - 1, -1, -1):
        i, f, g, o, c = (fw[k][t] for k in "ifgoc")
        c_prev = fw["c"][t - 1] if t > 0 else c0
        h_prev = fw["h"][t - 1] if t > 0 else h0
        dht = dh[t] + dh_next
        do = dht * np.tanh(c)
        dc = dht * o * (1 - np.tanh(c) ** 2) + dc_next
        df, di, dg = dc * c_prev, dc * g, dc * i
        da = {"i": di * i * (1 - i), "f": df * f * (1 - f), "g": dg * (1 - g**2),
              "o": do * o * (1 - o)}  # fmt: skip
        for k, d in da.items():
            grads[f"U_{k}"] += np.outer(d, xs[t])
            grads[f"W_{k}"] += np.outer(d, h_prev)
            grads[f"b_{k}"] += d
        dh_next = sum(p[f"W_{k}"].T @ d for k, d in da.items())
        dc_next = dc * f
    return grads


def gru_backward_loop(p: Params, xs: np.ndarray, h0: np.ndarray, dh: np.ndarray) -> Params:
    """The GRU (PyTorch, reset after) backward of gated-cells.md, L = sum_t <dh_t, h_t>."""
    fw = gru_loop(p, xs, h0, reset_after=True)
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros_like(h0)
    for t in range(len(xs) - 1, -1, -1):
        z, r, n = (fw[k][t] for k in "zrn")
        h = fw["h"][t - 1] if t > 0 else h0
        d = dh[t] + dh_next
        u = p["W_n"] @ h + p["b_hn"]
        dan = d * (1 - z) * (1 - n**2)
        daz = d * (h - n) * z * (1 - z)
        dar = dan * u * r * (1 - r)
        for k, da in (("z", daz), ("r", dar)):
            grads[f"U_{k}"] += np.outer(da, xs[t])
            grads[f"W_{k}"] += np.outer(da, h)
            grads[f"b_{k}"] += da
        grads["U_n"] += np.outer(dan, xs[t])
        grads["b_n"] += dan
        grads["W_n"] += np.outer(dan * r, h)
        grads["b_hn"] += dan * r
        dh_next = d * z + p["W_n"].T @ (dan * r) + p["W_z"].T @ daz + p["W_r"].T @ dar
    return grads


# ---------------------------------------------------------------------- helpers

N, M, T, B = 3, 2, 4, 2


def _instance(name: str, seed: int = 0) -> tuple[Params, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    cell = CELLS[name]
    p = {q.key: rng.normal(0.0, 0.7, size=q.size(N, M)) for q in cell.params}
    xs = rng.normal(size=(T, B, M))
    s0 = {s: rng.normal(0.0, 0.5, size=(B, N)) for s in cell.states}
    return p, xs, s0


def _loop(name: str) -> Callable[[Params, np.ndarray, dict[str, np.ndarray]], dict[str, list]]:
    return {
        "lstm": lambda p, xs, s0: lstm_loop(p, xs, s0["h"], s0["c"]),
        "homework3-lstm": lambda p, xs, s0: homework3_loop(p, xs, s0["h"], s0["C"]),
        "gru": lambda p, xs, s0: gru_loop(p, xs, s0["h"], reset_after=True),
        "gru-reset-before": lambda p, xs, s0: gru_loop(p, xs, s0["h"], reset_after=False),
        "rnn": lambda p, xs, s0: {
            "h": _rnn(p, xs, s0["h"]),
        },
    }[name]


def _rnn(p: Params, xs: np.ndarray, h0: np.ndarray) -> list[np.ndarray]:
    out, h = [], h0
    for x in xs:
        h = np.tanh(p["U"] @ x + p["W"] @ h + p["b"])
        out.append(h)
    return out


NAMES = ["rnn", "lstm", "homework3-lstm", "gru", "gru-reset-before"]


@pytest.mark.parametrize("name", NAMES)
def test_forward_equals_the_published_equations(name: str) -> None:
    p, xs, s0 = _instance(name)
    tr = forward(CELLS[name], p, xs, s0)
    for b in range(B):
        ref = _loop(name)(p, xs[:, b], {s: v[b] for s, v in s0.items()})
        for q, seq in ref.items():
            np.testing.assert_allclose(tr.values[q][:, b], np.array(seq), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_equal_central_differences_of_the_loop(name: str) -> None:
    p, xs, s0 = _instance(name, seed=1)
    rng = np.random.default_rng(5)
    g = rng.normal(size=(T, B, N))
    cell = CELLS[name]
    got = backward(cell, forward(cell, p, xs, s0), {"h": g})

    def loss(pp: Params) -> float:
        total = 0.0
        for b in range(B):
            hs = np.array(_loop(name)(pp, xs[:, b], {s: v[b] for s, v in s0.items()})["h"])
            total += float((hs * g[:, b]).sum())
        return total

    eps = 1e-6
    for k, v in p.items():
        fd = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, dn = v.copy(), v.copy()
            up[idx] += eps
            dn[idx] -= eps
            fd[idx] = (loss({**p, k: up}) - loss({**p, k: dn})) / (2 * eps)
        np.testing.assert_allclose(got.params[k], fd, rtol=1e-6, atol=1e-8, err_msg=k)


def test_lstm_gradients_equal_the_cs231n_backward_loop() -> None:
    p, xs, s0 = _instance("lstm", seed=2)
    g = np.random.default_rng(3).normal(size=(T, B, N))
    got = backward(CELLS["lstm"], forward(CELLS["lstm"], p, xs, s0), {"h": g})
    want = {k: np.zeros_like(v) for k, v in p.items()}
    for b in range(B):
        for k, v in lstm_backward_loop(p, xs[:, b], s0["h"][b], s0["c"][b], g[:, b]).items():
            want[k] += v
    for k in p:
        np.testing.assert_allclose(got.params[k], want[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_gru_gradients_equal_the_reset_after_backward_loop() -> None:
    p, xs, s0 = _instance("gru", seed=4)
    g = np.random.default_rng(6).normal(size=(T, B, N))
    got = backward(CELLS["gru"], forward(CELLS["gru"], p, xs, s0), {"h": g})
    want = {k: np.zeros_like(v) for k, v in p.items()}
    for b in range(B):
        for k, v in gru_backward_loop(p, xs[:, b], s0["h"][b], g[:, b]).items():
            want[k] += v
    for k in p:
        np.testing.assert_allclose(got.params[k], want[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_lstm_initial_state_and_input_gradients_by_central_differences() -> None:
    p, xs, s0 = _instance("lstm", seed=7)
    g = np.random.default_rng(8).normal(size=(T, B, N))
    dc = np.random.default_rng(9).normal(size=(T, B, N))
    cell = CELLS["lstm"]
    got = backward(cell, forward(cell, p, xs, s0), {"h": g, "c": dc})

    def loss(xs_: np.ndarray, s0_: dict[str, np.ndarray]) -> float:
        tr = forward(cell, p, xs_, s0_)
        return float((tr.values["h"] * g).sum() + (tr.values["c"] * dc).sum())

    eps = 1e-6
    for s in ("h", "c"):
        fd = np.zeros_like(s0[s])
        for idx in np.ndindex(fd.shape):
            up, dn = s0[s].copy(), s0[s].copy()
            up[idx] += eps
            dn[idx] -= eps
            fd[idx] = (loss(xs, {**s0, s: up}) - loss(xs, {**s0, s: dn})) / (2 * eps)
        np.testing.assert_allclose(got.states0[s], fd, rtol=1e-6, atol=1e-8)
    fdx = np.zeros_like(xs)
    for idx in np.ndindex(xs.shape):
        up, dn = xs.copy(), xs.copy()
        up[idx] += eps
        dn[idx] -= eps
        fdx[idx] = (loss(up, s0) - loss(dn, s0)) / (2 * eps)
    np.testing.assert_allclose(got.xs, fdx, rtol=1e-6, atol=1e-8)


def test_deltas_are_the_adjoints_of_the_quantities() -> None:
    """delta[c] at the last step is dL/dc_T: with L = <g, h_T>, it is g * o_T * (1 - tanh^2 c_T)."""
    p, xs, s0 = _instance("lstm", seed=10)
    g = np.zeros((T, B, N))
    g[-1] = np.random.default_rng(11).normal(size=(B, N))
    tr = forward(CELLS["lstm"], p, xs, s0)
    got = backward(CELLS["lstm"], tr, {"h": g})
    o, c = tr.values["o"][-1], tr.values["c"][-1]
    np.testing.assert_allclose(got.deltas["c"][-1], g[-1] * o * (1 - np.tanh(c) ** 2), rtol=1e-12)
    np.testing.assert_allclose(
        got.deltas["pre:o"][-1], g[-1] * np.tanh(c) * o * (1 - o), rtol=1e-12
    )


def test_bad_parameters_are_named() -> None:
    p, xs, s0 = _instance("gru")
    cell = CELLS["gru"]
    with pytest.raises(InputError, match="'b_hn' is missing"):
        forward(cell, {k: v for k, v in p.items() if k != "b_hn"}, xs, s0)
    with pytest.raises(InputError, match=r"'W_z' has shape \(2, 2\); expected \(3, 3\)"):
        forward(cell, {**p, "W_z": np.zeros((2, 2))}, xs, s0)
    with pytest.raises(InputError, match="unknown parameter 'V'"):
        forward(cell, {**p, "V": np.zeros((3, 3))}, xs, s0)
    with pytest.raises(InputError, match=r"expected \(T, B, m\)"):
        forward(cell, p, xs[:, 0], s0)
    with pytest.raises(InputError, match="not a state"):
        backward(cell, forward(cell, p, xs, s0), {"c": np.zeros((T, B, N))})


@pytest.mark.parametrize(
    ("name", "head_name", "loss_at"),
    [
        ("lstm", "softmax_cross_entropy", "every"),
        ("gru", "sigmoid_binary_cross_entropy", "last"),
        ("gru-reset-before", "identity_squared_error", "every"),
    ],
)
def test_any_head_combines_with_any_cell(name: str, head_name: str, loss_at: str) -> None:
    """E from the test's own loop and the head's textbook formula; gradients by central differences."""
    from symbptt.cells.heads import HEADS
    from symbptt.cells.numeric import head_loss

    k = 3
    p, xs, s0 = _instance(name, seed=13)
    rng = np.random.default_rng(14)
    p |= {"V": rng.normal(size=(k, N)), "c": rng.normal(size=k)}
    if head_name == "softmax_cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, size=(T, B))]
    elif head_name == "sigmoid_binary_cross_entropy":
        Y = rng.integers(0, 2, size=(T, B, k)).astype(float)
    else:
        Y = rng.normal(size=(T, B, k))

    def textbook(pp: Params) -> float:
        total = 0.0
        for b in range(B):
            cell_p = {q: v for q, v in pp.items() if q not in ("V", "c")}
            hs = _loop(name)(cell_p, xs[:, b], {s: v[b] for s, v in s0.items()})["h"]
            for t, h in enumerate(hs):
                if loss_at == "last" and t < T - 1:
                    continue
                z = pp["V"] @ h + pp["c"]
                y = Y[t, b]
                if head_name == "softmax_cross_entropy":
                    total -= float(np.log(np.exp(z) / np.exp(z).sum()) @ y)
                elif head_name == "sigmoid_binary_cross_entropy":
                    s = sig(z)
                    total -= float((y * np.log(s) + (1 - y) * np.log(1 - s)).sum())
                else:
                    total += 0.5 * float(((z - y) ** 2).sum())
        return total

    E, grads = head_loss(CELLS[name], HEADS[head_name], p, xs, s0, Y, loss_at=loss_at)
    assert abs(E - textbook(p)) < 1e-10 * max(1.0, abs(E))
    for key, v in p.items():
        fd = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, dn = v.copy(), v.copy()
            up[idx] += 1e-6
            dn[idx] -= 1e-6
            fd[idx] = (textbook({**p, key: up}) - textbook({**p, key: dn})) / 2e-6
        np.testing.assert_allclose(grads.params[key], fd, rtol=1e-6, atol=1e-8, err_msg=key)


def test_gradient_flow_jacobian_norms_equal_central_differences_of_the_loop() -> None:
    """site.gated_plots.jacobian_norms: ||dc_T/dc_k||_2 (h_k held as an input) by the generated
    engine's backward pass, against central differences of the PyTorch-equation loop."""
    from symbptt.site.gated_plots import jacobian_norms

    rng = np.random.default_rng(40)
    cell = CELLS["lstm"]
    n, m, steps = 3, 2, 4
    p = {q.key: rng.normal(0, 0.7, size=q.size(n, m)) for q in cell.params}
    xs = rng.normal(size=(steps, m))
    s0 = {"h": rng.normal(size=n), "c": rng.normal(size=n)}
    got = jacobian_norms(cell, p, xs, s0, "c")  # lags 1..T
    ref = lstm_loop(p, xs, s0["h"], s0["c"])
    for lag in (1, 3):
        k = steps - lag  # states after step k (0 = the initial states)
        h_k = ref["h"][k - 1] if k > 0 else s0["h"]
        c_k = ref["c"][k - 1] if k > 0 else s0["c"]
        J = np.zeros((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = 1e-6
            up = lstm_loop(p, xs[k:], h_k, c_k + e)["c"][-1]
            dn = lstm_loop(p, xs[k:], h_k, c_k - e)["c"][-1]
            J[:, j] = (up - dn) / 2e-6
        assert abs(got[lag - 1] - np.linalg.norm(J, 2)) < 1e-7
