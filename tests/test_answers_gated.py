"""Answers about gated cells (tests/answers/homework3-lstm.yaml, gru-not-lstm.yaml), each verdict
worked out here from the published equations: homework 3 Exercise 3's LSTM and PyTorch's GRU as
plain numpy loops, derivatives by central differences, never from the checker's output.

Meanings (as the checker documents them): d between states of consecutive steps is the step's
partial (the step's other inputs held fixed); a gate by a parameter is the step copy's partial;
a \\prod of step Jacobians across steps is the direct path (the product of those partials);
`derivative: total` asks for every path; a derivative of the loss sums every path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbptt.answers.grade import grade

HERE = Path(__file__).parent / "answers"
EPS = 1e-6


def sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def jac(fun, x0: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """d fun / d x0 by central differences (columns: entries of x0)."""
    cols = []
    for j in range(x0.size):
        e = np.zeros_like(x0)
        e.flat[j] = EPS
        cols.append(((fun(x0 + e) - fun(x0 - e)) / (2 * EPS)).ravel())
    return np.array(cols).T


# ------------------------------------------------------------------ homework 3, Exercise 3


class HW3:
    """f = s(W_f h + U_f x + b_f), i = s(...), C~ = tanh(W_C h + U_C x + b_C), C = f C_prev + i C~,
    o = s(...), h = o tanh(C); L = sum_t <a_t, h_t> (any scalar loss of h_t will do)."""

    def __init__(self, T: int = 3, n: int = 2, m: int = 2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.T, self.n = T, n
        self.p = {}
        for g in "fiCo":
            self.p[f"W_{g}"] = rng.normal(0, 0.8, (n, n))
            self.p[f"U_{g}"] = rng.normal(0, 0.8, (n, m))
            self.p[f"b_{g}"] = rng.normal(0, 0.5, n)
        self.xs = rng.normal(size=(T + 1, m))
        self.h0, self.C0 = rng.normal(0, 0.5, n), rng.normal(0, 0.5, n)
        self.a = rng.normal(size=(T + 1, n))

    def step(self, p: dict, h: np.ndarray, C: np.ndarray, x: np.ndarray, bump=None, t=0) -> dict:  # noqa: ANN001
        b = bump or {}
        add = lambda q, v: v + b.get((q, t), 0.0)  # noqa: E731
        f = add("f", sig(p["W_f"] @ h + p["U_f"] @ x + p["b_f"]))
        i = add("i", sig(p["W_i"] @ h + p["U_i"] @ x + p["b_i"]))
        Ct = add("Ct", np.tanh(p["W_C"] @ h + p["U_C"] @ x + p["b_C"]))
        Cn = add("C", f * C + i * Ct)
        o = add("o", sig(p["W_o"] @ h + p["U_o"] @ x + p["b_o"]))
        return {"f": f, "i": i, "Ct": Ct, "C": Cn, "o": o, "h": add("h", o * np.tanh(Cn))}

    def run(self, p: dict | None = None, bump: dict | None = None) -> dict:
        p, b = p or self.p, bump or {}
        out = {("h", 0): self.h0 + b.get(("h", 0), 0.0), ("C", 0): self.C0 + b.get(("C", 0), 0.0)}
        for t in range(1, self.T + 1):
            s = self.step(p, out[("h", t - 1)], out[("C", t - 1)], self.xs[t], b, t)
            out |= {(q, t): v for q, v in s.items()}
        out["L"] = sum(float(self.a[t] @ out[("h", t)]) for t in range(1, self.T + 1))
        return out

    def v(self, q: str, t: int) -> np.ndarray:
        return self.run()[(q, t)]

    def total(self, num: tuple, den: tuple) -> np.ndarray:
        """d num / d den through every path: den bumped where it is computed."""
        return jac(lambda d: self.run(bump={den: d})[num], np.zeros(self.n))

    def partial_prev(self, q: str, t: int, s: str) -> np.ndarray:
        """d q_t / d s_{t-1} with step t's other inputs (the other state, x_t) held fixed."""
        h, C = self.v("h", t - 1), self.v("C", t - 1)
        if s == "C":
            return jac(lambda c: self.step(self.p, h, c, self.xs[t])[q], C)
        return jac(lambda hh: self.step(self.p, hh, C, self.xs[t])[q], h)

    def delta(self, q: str, t: int, local: bool = False) -> np.ndarray:
        """dL/dq_t (every path), or dL_t/dh_t = a_t for the local error term."""
        if local:
            return self.a[t]
        return jac(lambda d: np.array([self.run(bump={(q, t): d})["L"]]), np.zeros(self.n))[0]

    def dL_dparam(self, key: str) -> np.ndarray:
        def loss(v: np.ndarray) -> np.ndarray:
            return np.array([self.run(p=self.p | {key: v.reshape(self.p[key].shape)})["L"]])

        return jac(loss, self.p[key].ravel())[0].reshape(self.p[key].shape)


def _carousel_direct(m: HW3, k: int, t: int) -> np.ndarray:
    """The direct path: the product of the step partials dC_i/dC_{i-1} (h held fixed)."""
    out = np.eye(m.n)
    for i in range(k + 1, t + 1):
        out = m.partial_prev("C", i, "C") @ out
    return out


def _prod_f(m: HW3, lo: int, hi: int) -> np.ndarray:
    out = np.eye(m.n)
    for i in range(lo, hi + 1):
        out = np.diag(m.v("f", i)) @ out
    return out


def _dLdb(m: HW3, fprime) -> np.ndarray:  # noqa: ANN001
    return sum(m.delta("C", t) * m.v("C", t - 1) * fprime(m, t) for t in range(1, m.T + 1))


def _f_prime(m: HW3, t: int) -> np.ndarray:
    return m.v("f", t) * (1 - m.v("f", t))


def _pre(m: HW3, g: str, t: int) -> np.ndarray:
    p = m.p
    return p[f"W_{g}"] @ m.v("h", t - 1) + p[f"U_{g}"] @ m.xs[t] + p[f"b_{g}"]


def _pre_f(m: HW3, t: int) -> np.ndarray:
    return _pre(m, "f", t)


def _deltaC(m: HW3, t: int, f_at: int, local: bool = False) -> np.ndarray:
    tp = 1 - np.tanh(m.v("C", t)) ** 2
    return m.delta("h", t, local) * m.v("o", t) * tp + m.delta("C", t + 1) * m.v("f", f_at)


def _df_dbf(m: HW3, t: int) -> np.ndarray:
    h, C = m.v("h", t - 1), m.v("C", t - 1)

    def f_of(b: np.ndarray) -> np.ndarray:
        return m.step(m.p | {"b_f": b}, h, C, m.xs[t])["f"]

    return jac(f_of, m.p["b_f"])


def _steps(m: HW3, lo: int = 1, hi_off: int = 0):  # noqa: ANN202
    return range(lo, m.T + 1 - hi_off)


def _pairs(m: HW3, k_lo: int):  # noqa: ANN202
    return [(k, t) for t in range(0, m.T + 1) for k in range(k_lo, t + 1)]


# id -> (points, lhs(m, point), rhs(m, point)) from the homework's equations.
HW3_CASES = {
    "dC-dCprev": (lambda m: _steps(m), lambda m, t: m.partial_prev("C", t, "C"),
                  lambda m, t: np.diag(m.v("f", t))),
    "dC-dCprev-total": (lambda m: _steps(m), lambda m, t: m.total(("C", t), ("C", t - 1)),
                        lambda m, t: np.diag(m.v("f", t))),
    "dh-dC": (lambda m: _steps(m), lambda m, t: m.total(("h", t), ("C", t)),
              lambda m, t: np.diag(m.v("o", t) * (1 - np.tanh(m.v("C", t)) ** 2))),
    "dh-dC-no-tanh": (lambda m: _steps(m), lambda m, t: m.total(("h", t), ("C", t)),
                      lambda m, t: np.diag(m.v("o", t))),
    "dC-df": (lambda m: _steps(m), lambda m, t: m.total(("C", t), ("f", t)),
              lambda m, t: np.diag(m.v("C", t - 1))),
    "dC-df-Ct": (lambda m: _steps(m), lambda m, t: m.total(("C", t), ("f", t)),
                 lambda m, t: np.diag(m.v("C", t))),
    "dC-dCtilde": (lambda m: _steps(m), lambda m, t: m.total(("C", t), ("Ct", t)),
                   lambda m, t: np.diag(m.v("i", t))),
    "df-dbf": (lambda m: _steps(m), _df_dbf, lambda m, t: np.diag(_f_prime(m, t))),
    "df-dbf-preactivation": (lambda m: _steps(m), _df_dbf,
                             lambda m, t: np.diag(_pre_f(m, t) * (1 - _pre_f(m, t)))),
    "deltaC": (lambda m: _steps(m, 1, 1), lambda m, t: m.delta("C", t),
               lambda m, t: _deltaC(m, t, t + 1)),
    "deltaC-ft": (lambda m: _steps(m, 1, 1), lambda m, t: m.delta("C", t),
                  lambda m, t: _deltaC(m, t, t)),
    "deltaC-local-h": (lambda m: _steps(m, 1, 1), lambda m, t: m.delta("C", t),
                       lambda m, t: _deltaC(m, t, t + 1, local=True)),
    "dL-dbf": (lambda m: [0], lambda m, _: m.dL_dparam("b_f"), lambda m, _: _dLdb(m, _f_prime)),
    "dL-dWf": (lambda m: [0], lambda m, _: m.dL_dparam("W_f"),
               lambda m, _: sum(np.outer(m.delta("C", t) * m.v("C", t - 1) * _f_prime(m, t),
                                         m.v("h", t - 1)) for t in range(1, m.T + 1))),
    "dL-dbf-sigma-of-gate": (lambda m: [0], lambda m, _: m.dL_dparam("b_f"),
                             lambda m, _: _dLdb(m, lambda m, t: sig(m.v("f", t))
                                                * (1 - sig(m.v("f", t))))),
    "dL-dbf-other-gate": (lambda m: [0], lambda m, _: m.dL_dparam("b_f"),
                          lambda m, _: _dLdb(m, lambda m, t: sig(_pre(m, "i", t))
                                             * (1 - sig(_pre(m, "i", t))))),
    "dL-dbf-no-gate-derivative": (lambda m: [0], lambda m, _: m.dL_dparam("b_f"),
                                  lambda m, _: _dLdb(m, lambda m, t: 1.0)),
    "carousel": (lambda m: _pairs(m, 0), lambda m, kt: _carousel_direct(m, *kt),
                 lambda m, kt: _prod_f(m, kt[0] + 1, kt[1])),
    "carousel-total": (lambda m: _pairs(m, 0), lambda m, kt: m.total(("C", kt[1]), ("C", kt[0])),
                       lambda m, kt: _prod_f(m, kt[0] + 1, kt[1])),
    "carousel-extra-factor": (lambda m: _pairs(m, 1), lambda m, kt: _carousel_direct(m, *kt),
                              lambda m, kt: _prod_f(m, kt[0], kt[1])),
}  # fmt: skip

# id -> (verdict worked out by the hand computation above, the slip the reason must name)
HW3_EXPECTED = {
    "dC-dCprev": ("correct", "partial derivative"),
    # The total dC_t/dC_{t-1} also runs through h_{t-1} = o tanh(C_{t-1}) into step t's gates.
    "dC-dCprev-total": ("wrong", "recursive term through h dropped"),
    "dh-dC": ("correct", ""),
    "dh-dC-no-tanh": ("wrong", "tanh' missing on C_t"),
    "dC-df": ("correct", ""),
    "dC-df-Ct": ("wrong", "C_t written where C_{t - 1} is needed"),
    "dC-dCtilde": ("correct", ""),
    "df-dbf": ("correct", "copy of b_f"),
    "df-dbf-preactivation": ("wrong", "applied to the pre-activation"),
    "deltaC": ("correct", ""),
    "deltaC-ft": ("wrong", "f_t written where f_{t + 1} is needed"),
    "deltaC-local-h": ("wrong", "recursive term through h dropped"),
    "dL-dbf": ("correct", ""),
    "dL-dWf": ("correct", ""),
    "dL-dbf-sigma-of-gate": ("wrong", "gate's value f_t, not to its pre-activation"),
    "dL-dbf-other-gate": ("wrong", "wrong gate's pre-activation (i written where f is needed)"),
    "dL-dbf-no-gate-derivative": ("wrong", "gate's own derivative missing"),
    # The direct path is prod diag(f_i); the total adds the paths through h (they differ).
    "carousel": ("correct", "direct path along C"),
    "carousel-total": ("wrong", "read as the direct path it differs"),
    "carousel-extra-factor": ("wrong", "extra factor at the end of the product"),
}


def _hand_verdict(model, cases, ident: str, seeds=(0, 1)) -> str:  # noqa: ANN001
    points, lhs, rhs = cases[ident]
    for seed in seeds:
        m = model(seed=seed)
        for pt in points(m):
            if not np.allclose(lhs(m, pt), rhs(m, pt), rtol=1e-5, atol=1e-6):
                return "wrong"
    return "correct"


@pytest.mark.parametrize("ident", sorted(HW3_CASES))
def test_hw3_verdict_by_hand(ident: str) -> None:
    assert _hand_verdict(HW3, HW3_CASES, ident) == HW3_EXPECTED[ident][0]


# ------------------------------------------------------------------ PyTorch's GRU


class GRU:
    """PyTorch nn.GRU: r = s(W_ir x + b_ir + W_hr h + b_hr), z = s(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h."""

    def __init__(self, T: int = 3, n: int = 2, m: int = 2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed + 10)
        self.T, self.n = T, n
        self.p = {}
        for g in "rzn":
            self.p[f"W_i{g}"] = rng.normal(0, 0.8, (n, m))
            self.p[f"W_h{g}"] = rng.normal(0, 0.8, (n, n))
            self.p[f"b_i{g}"] = rng.normal(0, 0.5, n)
            self.p[f"b_h{g}"] = rng.normal(0, 0.5, n)
        self.xs, self.h0 = rng.normal(size=(T + 1, m)), rng.normal(0, 0.5, n)

    def step(self, h: np.ndarray, x: np.ndarray, bump=None, t=0) -> dict:  # noqa: ANN001
        p, b = self.p, bump or {}
        r = sig(p["W_ir"] @ x + p["b_ir"] + p["W_hr"] @ h + p["b_hr"])
        z = sig(p["W_iz"] @ x + p["b_iz"] + p["W_hz"] @ h + p["b_hz"]) + b.get(("z", t), 0.0)
        n = np.tanh(p["W_in"] @ x + p["b_in"] + r * (p["W_hn"] @ h + p["b_hn"]))
        n = n + b.get(("n", t), 0.0)
        return {"r": r, "z": z, "n": n, "h": (1 - z) * n + z * h}

    def run(self, bump=None) -> dict:  # noqa: ANN001
        b = bump or {}
        out = {("h", 0): self.h0 + b.get(("h", 0), 0.0)}
        for t in range(1, self.T + 1):
            out |= {(q, t): v for q, v in self.step(out[("h", t - 1)], self.xs[t], b, t).items()}
            out[("h", t)] = out[("h", t)] + b.get(("h", t), 0.0)
        return out

    def v(self, q: str, t: int) -> np.ndarray:
        return self.run()[(q, t)]

    def total(self, num: tuple, den: tuple) -> np.ndarray:
        return jac(lambda d: self.run(bump={den: d})[num], np.zeros(self.n))


def _gru_dh_dhprev(g: GRU, t: int, reset: bool = True) -> np.ndarray:
    p, h = g.p, g.v("h", t - 1)
    z, r, n = g.v("z", t), g.v("r", t), g.v("n", t)
    out = np.diag(z) + np.diag((h - n) * z * (1 - z)) @ p["W_hz"]
    out = out + np.diag((1 - z) * (1 - n**2) * r) @ p["W_hn"]
    if reset:
        pre = p["W_hn"] @ h + p["b_hn"]
        out = out + np.diag((1 - z) * (1 - n**2) * pre * r * (1 - r)) @ p["W_hr"]
    return out


GRU_CASES = {
    "dh-dn": (lambda g: range(1, g.T + 1), lambda g, t: g.total(("h", t), ("n", t)),
              lambda g, t: np.diag(1 - g.v("z", t))),
    "dh-dn-swapped": (lambda g: range(1, g.T + 1), lambda g, t: g.total(("h", t), ("n", t)),
                      lambda g, t: np.diag(g.v("z", t))),
    "dh-dz": (lambda g: range(1, g.T + 1), lambda g, t: g.total(("h", t), ("z", t)),
              lambda g, t: np.diag(g.v("h", t - 1) - g.v("n", t))),
    "dh-dhprev": (lambda g: range(1, g.T + 1), lambda g, t: g.total(("h", t), ("h", t - 1)),
                  _gru_dh_dhprev),
    "dh-dhprev-no-reset": (lambda g: range(1, g.T + 1),
                           lambda g, t: g.total(("h", t), ("h", t - 1)),
                           lambda g, t: _gru_dh_dhprev(g, t, reset=False)),
}  # fmt: skip

GRU_EXPECTED = {
    "dh-dn": ("correct", ""),
    "dh-dn-swapped": ("wrong", "z_t and 1 - z_t swapped"),
    "dh-dz": ("correct", ""),
    "dh-dhprev": ("correct", ""),
    # The reset gate also reads h_{t-1}: its path through W_r is missing.
    "dh-dhprev-no-reset": ("wrong", ""),
}


@pytest.mark.parametrize("ident", sorted(GRU_CASES))
def test_gru_verdict_by_hand(ident: str) -> None:
    assert _hand_verdict(GRU, GRU_CASES, ident) == GRU_EXPECTED[ident][0]


# ------------------------------------------------------------------ PyTorch's LSTM


class TorchLSTM:
    """PyTorch nn.LSTM: i = s(W_ii x + b_ii + W_hi h + b_hi), f, g = tanh(...), o likewise;
    c' = f * c + i * g, h' = o * tanh(c'); L = sum_t <a_t, h_t>."""

    def __init__(self, T: int = 3, n: int = 2, m: int = 2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed + 20)
        self.T, self.n = T, n
        self.p = {}
        for g in "ifgo":
            self.p[f"W_i{g}"] = rng.normal(0, 0.8, (n, m))
            self.p[f"W_h{g}"] = rng.normal(0, 0.8, (n, n))
            self.p[f"b_i{g}"] = rng.normal(0, 0.5, n)
            self.p[f"b_h{g}"] = rng.normal(0, 0.5, n)
        self.xs, self.a = rng.normal(size=(T + 1, m)), rng.normal(size=(T + 1, n))
        self.h0, self.c0 = rng.normal(0, 0.5, n), rng.normal(0, 0.5, n)

    def run(self, bump=None, p=None) -> dict:  # noqa: ANN001
        b, p = bump or {}, p or self.p
        out = {("h", 0): self.h0 + b.get(("h", 0), 0.0), ("c", 0): self.c0 + b.get(("c", 0), 0.0)}
        for t in range(1, self.T + 1):
            h, x = out[("h", t - 1)], self.xs[t]
            pre = {g: p[f"W_i{g}"] @ x + p[f"b_i{g}"] + p[f"W_h{g}"] @ h + p[f"b_h{g}"]
                   for g in "ifgo"}  # fmt: skip
            for g in "ifgo":
                fn = np.tanh if g == "g" else sig
                out[(g, t)] = fn(pre[g]) + b.get((g, t), 0.0)
            c = out[("f", t)] * out[("c", t - 1)] + out[("i", t)] * out[("g", t)]
            out[("c", t)] = c + b.get(("c", t), 0.0)
            out[("h", t)] = out[("o", t)] * np.tanh(out[("c", t)]) + b.get(("h", t), 0.0)
        out["L"] = sum(float(self.a[t] @ out[("h", t)]) for t in range(1, self.T + 1))
        return out

    def v(self, q: str, t: int) -> np.ndarray:
        return self.run()[(q, t)]

    def total(self, num: tuple, den: tuple) -> np.ndarray:
        return jac(lambda d: self.run(bump={den: d})[num], np.zeros(self.n))

    def carry_partial(self, t: int) -> np.ndarray:
        """dc_t/dc_{t-1} with h_{t-1} held fixed: only c_{t-1}'s read at step t moves."""
        f, i, g = self.v("f", t), self.v("i", t), self.v("g", t)
        return jac(lambda c: f * c + i * g, self.v("c", t - 1))

    def delta_h(self, t: int, local: bool = False) -> np.ndarray:
        if local:
            return self.a[t]
        return jac(lambda d: np.array([self.run(bump={("h", t): d})["L"]]), np.zeros(self.n))[0]

    def dL_dbo(self) -> np.ndarray:  # b_o = b_io + b_ho: either one's gradient
        def loss(v: np.ndarray) -> np.ndarray:
            return np.array([self.run(p=self.p | {"b_io": v})["L"]])

        return jac(loss, self.p["b_io"])[0]


def _dL_dbo(m: TorchLSTM, local: bool) -> np.ndarray:
    return sum(m.delta_h(t, local) * np.tanh(m.v("c", t)) * m.v("o", t) * (1 - m.v("o", t))
               for t in range(1, m.T + 1))  # fmt: skip


TORCH_CASES = {
    "carry": (lambda m: range(1, m.T + 1), lambda m, t: m.carry_partial(t),
              lambda m, t: np.diag(m.v("f", t))),
    "dc-dg": (lambda m: range(1, m.T + 1), lambda m, t: m.total(("c", t), ("g", t)),
              lambda m, t: np.diag(m.v("i", t))),
    "dc-di-wrong": (lambda m: range(1, m.T + 1), lambda m, t: m.total(("c", t), ("i", t)),
                    lambda m, t: np.diag(m.v("i", t))),
    "dL-dbo": (lambda m: [0], lambda m, _: m.dL_dbo(), lambda m, _: _dL_dbo(m, False)),
    "dL-dbo-local": (lambda m: [0], lambda m, _: m.dL_dbo(), lambda m, _: _dL_dbo(m, True)),
}  # fmt: skip

TORCH_EXPECTED = {
    "carry": ("correct", "partial derivative"),
    "dc-dg": ("correct", ""),
    # dc_t/di_t = diag(g_t), not diag(i_t).
    "dc-di-wrong": ("wrong", ""),
    "dL-dbo": ("correct", ""),
    # the local dL_t/dh_t leaves out h_t's path into the later steps
    "dL-dbo-local": ("wrong", "recursive term through h dropped"),
}


@pytest.mark.parametrize("ident", sorted(TORCH_CASES))
def test_torch_lstm_verdict_by_hand(ident: str) -> None:
    assert _hand_verdict(TorchLSTM, TORCH_CASES, ident) == TORCH_EXPECTED[ident][0]


# ------------------------------------------------------------------ the checker agrees


@pytest.fixture(scope="module")
def graded() -> dict[str, dict]:
    names = ("homework3-lstm.yaml", "gru-not-lstm.yaml", "lstm-pytorch.yaml")
    out: dict[str, dict] = {}
    for name, res in zip(names, grade([str(HERE / n) for n in names], jobs=1), strict=True):
        assert res.error is None
        prefix = "torch:" if name == "lstm-pytorch.yaml" else ""
        out |= {prefix + a["id"]: a for a in res.answers}
    return out


@pytest.mark.slow
def test_checker_verdicts_and_slips(graded: dict[str, dict]) -> None:
    expected = HW3_EXPECTED | GRU_EXPECTED | {f"torch:{k}": v for k, v in TORCH_EXPECTED.items()}
    assert set(graded) == set(expected)
    for ident, (verdict, words) in expected.items():
        got = graded[ident]
        assert got["verdict"] == verdict, (ident, got["reason"])
        assert words in got["reason"], (ident, got["reason"])


@pytest.mark.slow
def test_meaning_reported_with_both_values(graded: dict[str, dict]) -> None:
    # dC_t/dC_{t-1} = diag(f_t) is judged as the step's partial; the total differs and is shown.
    reason = graded["dC-dCprev"]["reason"]
    assert "read as the cell's partial derivative" in reason
    assert "read as the total it differs" in reason and reason.count("[[") >= 2
    assert "read as the total derivative" in graded["dC-dCprev-total"]["reason"]
    assert "derivative: total for every path" in graded["carousel"]["reason"]


@pytest.mark.slow
def test_documented_gated_example_is_checked(tmp_path: Path) -> None:
    # docs/checking-homework.md's lstm.yaml: the verdicts the page states, each worked out above
    # (carry = dC-dCprev, carry-total = dC-dCprev-total, output = dh-dC-no-tanh, forget-bias =
    # dL-dbf, long-range = carousel).
    import json
    import re
    import subprocess
    import sys

    doc = (Path(__file__).parents[1] / "docs" / "checking-homework.md").read_text()
    block = re.search(r'```yaml title="lstm.yaml"\n(.*?)```', doc, re.S)
    assert block
    path = tmp_path / "lstm.yaml"
    path.write_text(block.group(1))
    r = subprocess.run([sys.executable, "-m", "symbptt", "check", str(path), "--json"],
                       capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 1, r.stdout + r.stderr  # some answers are wrong
    (f,) = json.loads(r.stdout)["files"]
    got = {a["id"]: a["verdict"] for a in f["answers"]}
    assert got == {"carry": "correct", "carry-total": "wrong", "output": "wrong",
                   "forget-bias": "correct", "long-range": "correct"}  # fmt: skip
    output = next(a for a in f["answers"] if a["id"] == "output")
    assert "tanh' missing on C_t" in output["reason"]
    for a, hand in (("carry", "dC-dCprev"), ("carry-total", "dC-dCprev-total"),
                    ("output", "dh-dC-no-tanh"), ("forget-bias", "dL-dbf"),
                    ("long-range", "carousel")):  # fmt: skip
        assert got[a] == HW3_EXPECTED[hand][0] == _hand_verdict(HW3, HW3_CASES, hand)


def test_derivative_key_is_checked(tmp_path: Path) -> None:
    from symbptt.answers.files import read_submission
    from symbptt.errors import InputError

    path = tmp_path / "a.yaml"
    path.write_text(
        "model: homework3-lstm\nanswers:\n  - id: carry\n    derivative: sideways\n"
        "    answer: '\\frac{\\partial C_t}{\\partial C_{t-1}} = \\operatorname{diag}(f_t)'\n"
    )
    with pytest.raises(InputError) as err:
        read_submission(path)
    assert "derivative must be partial or total" in str(err.value)
    assert "carry" in str(err.value) and ":4" in str(err.value.where)


def test_user_cell_from_a_derivation_file() -> None:
    # derivations/examples/mgu.yaml states h_t = (1 - z_t) h_{t-1} + z_t h~_t in LaTeX; by hand
    # (numpy, a bump on h~_t) dh_t/dh~_t = diag(z_t), so diag(1 - z_t) swaps z and 1 - z.
    from symbptt.answers.judge import AnswerSpec, judge
    from symbptt.catalog import load

    rng = np.random.default_rng(3)
    Wz, Uz, bz = rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)
    W, U, b = rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)
    h, x = rng.normal(size=2), rng.normal(size=2)
    z = sig(Wz @ h + Uz @ x + bz)

    def h_next(bump: np.ndarray) -> np.ndarray:
        return (1 - z) * h + z * (np.tanh(W @ h + U @ x + b) + bump)

    J = jac(h_next, np.zeros(2))
    assert np.allclose(J, np.diag(z)) and not np.allclose(J, np.diag(1 - z))
    model = load(str(Path(__file__).parents[1] / "derivations" / "examples" / "mgu.yaml"))
    lhs = "\\frac{\\partial h_t}{\\partial \\tilde{h}_t} = "
    right = judge(AnswerSpec("a", lhs + "\\operatorname{diag}(z_t)"), model)
    swapped = judge(AnswerSpec("b", lhs + "\\operatorname{diag}(1 - z_t)"), model)
    assert right.verdict == "correct", right.reason
    assert swapped.verdict == "wrong" and "z_t and 1 - z_t swapped" in swapped.reason
