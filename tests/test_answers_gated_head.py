"""The checker on a gated cell with an output head (lstm-softmax: PyTorch's LSTM, z_t = V h_t + c,
softmax, cross-entropy at every step): every expected verdict of tests/answers/lstm-softmax.yaml
is worked out here first, by hand (the comments) and numerically from a numpy loop of the
published equations with central differences, never from the checker's own output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbptt.answers.files import read_submission
from symbptt.answers.grade import _model
from symbptt.answers.judge import judge

HERE = Path(__file__).parent / "answers"
EPS = 1e-6


def sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def grad(fun, x0: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """d fun / d x0 of a scalar fun by central differences, shaped like x0."""
    out = np.zeros_like(x0)
    for j in range(x0.size):
        e = np.zeros_like(x0)
        e.flat[j] = EPS
        out.flat[j] = (fun(x0 + e) - fun(x0 - e)) / (2 * EPS)
    return out


class LstmSoftmax:
    """i, f, o = s(U_. x_t + W_. h_{t-1} + b_.), g = tanh(...), c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t); z_t = V h_t + c; yhat_t = softmax(z_t); E_t = -sum_j y_tj log yhat_tj,
    E = sum_t E_t. Targets are probability vectors (entries > 0 summing to 1)."""

    def __init__(self, T: int = 3, n: int = 2, m: int = 2, k: int = 3, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.T, self.n, self.k = T, n, k
        self.p = {}
        for g in "ifgo":
            self.p[f"U_{g}"] = rng.normal(0, 0.8, (n, m))
            self.p[f"W_{g}"] = rng.normal(0, 0.8, (n, n))
            self.p[f"b_{g}"] = rng.normal(0, 0.5, n)
        self.p["V"], self.p["c"] = rng.normal(0, 0.8, (k, n)), rng.normal(0, 0.5, k)
        self.xs = rng.normal(size=(T + 1, m))
        self.h0, self.c0 = rng.normal(0, 0.5, n), rng.normal(0, 0.5, n)
        y = rng.uniform(0.1, 1.0, (T + 1, k))
        self.y = y / y.sum(axis=1, keepdims=True)

    def run(self, p: dict | None = None, bump: dict | None = None) -> dict:
        """Every quantity by (name, t), the step losses ('E', t) and the total 'E'; bump adds
        to a quantity where it is computed (so later steps see the change)."""
        p, b = p or self.p, bump or {}
        add = lambda q, t, v: v + b.get((q, t), 0.0)  # noqa: E731
        out = {("h", 0): self.h0, ("c", 0): self.c0}
        for t in range(1, self.T + 1):
            h, cp, x = out[("h", t - 1)], out[("c", t - 1)], self.xs[t]
            pre = {g: p[f"U_{g}"] @ x + p[f"W_{g}"] @ h + p[f"b_{g}"] for g in "ifgo"}
            i, f, o = sig(pre["i"]), sig(pre["f"]), sig(pre["o"])
            g = np.tanh(pre["g"])
            c = add("c", t, f * cp + i * g)
            hn = add("h", t, o * np.tanh(c))
            z = add("z", t, p["V"] @ hn + p["c"])
            yhat = softmax(z)
            E = -float(self.y[t] @ np.log(yhat))
            out |= {("i", t): i, ("f", t): f, ("g", t): g, ("o", t): o, ("c", t): c,
                    ("h", t): hn, ("z", t): z, ("yhat", t): yhat, ("E", t): E}  # fmt: skip
        out["E"] = sum(out[("E", t)] for t in range(1, self.T + 1))
        return out

    def v(self, q: str, t: int) -> np.ndarray:
        return self.run()[(q, t)]

    def d_param(self, loss: str | tuple, key: str) -> np.ndarray:
        """d loss / d parameter (every step's copy moves), loss 'E' or ('E', t)."""
        shape = self.p[key].shape
        return grad(lambda w: self.run(p=self.p | {key: w.reshape(shape)})[loss], self.p[key])

    def d_quantity(self, loss: str | tuple, q: str, t: int) -> np.ndarray:
        """d loss / d q_t, q_t bumped where it is computed."""
        size = self.k if q == "z" else self.n
        return grad(lambda d: self.run(bump={(q, t): d})[loss], np.zeros(size))


def _err(m: LstmSoftmax, t: int) -> np.ndarray:
    return m.v("yhat", t) - m.y[t]


def _dE1_dbo(m: LstmSoftmax, with_V: bool = True) -> np.ndarray:
    top = m.p["V"].T @ _err(m, 1) if with_V else _err(m, 1)
    o = m.v("o", 1)
    return top * np.tanh(m.v("c", 1)) * o * (1 - o)


def _dE1_dWf(m: LstmSoftmax, sign: float = 1.0) -> np.ndarray:
    dh = m.p["V"].T @ (sign * _err(m, 1))
    o, c, f = m.v("o", 1), m.v("c", 1), m.v("f", 1)
    return np.outer(dh * o * (1 - np.tanh(c) ** 2) * m.c0 * f * (1 - f), m.h0)


def _dWf(m: LstmSoftmax, cur: bool) -> np.ndarray:
    out = np.zeros((m.n, m.n))
    for t in range(1, m.T + 1):
        dc, f = m.d_quantity("E", "c", t), m.v("f", t)
        out += np.outer(dc * m.v("c", t if cur else t - 1) * f * (1 - f), m.v("h", t - 1))
    return out


def _steps(m: LstmSoftmax) -> range:
    return range(1, m.T + 1)


def _sum(m: LstmSoftmax, term) -> np.ndarray:  # noqa: ANN001
    return sum(term(t) for t in _steps(m))


#: answer id -> (points, the truth by central differences, the answer's formula in numpy)
CASES = {
    # softmax + cross-entropy: dE_t/dz_t = yhat_t sum_j y_tj - y_t = yhat_t - y_t (sum y = 1).
    "dz": (_steps, lambda m, t: m.d_quantity(("E", t), "z", t), lambda m, t: _err(m, t)),
    "dz-sign": (_steps, lambda m, t: m.d_quantity(("E", t), "z", t), lambda m, t: -_err(m, t)),
    "yhat": (_steps, lambda m, t: m.v("yhat", t),
             lambda m, t: softmax(m.p["V"] @ m.v("h", t) + m.p["c"])),
    "yhat-no-bias": (_steps, lambda m, t: m.v("yhat", t),
                     lambda m, t: softmax(m.p["V"] @ m.v("h", t))),
    # V acts at every step through z_t = V h_t + c: dE/dV = sum_t (yhat_t - y_t) h_t^T.
    "dV": ((lambda m: [0]), lambda m, _: m.d_param("E", "V"),
           lambda m, _: _sum(m, lambda t: np.outer(_err(m, t), m.v("h", t)))),
    "dV-sign": ((lambda m: [0]), lambda m, _: m.d_param("E", "V"),
                lambda m, _: _sum(m, lambda t: np.outer(-_err(m, t), m.v("h", t)))),
    "dV-h-prev": ((lambda m: [0]), lambda m, _: m.d_param("E", "V"),
                  lambda m, _: _sum(m, lambda t: np.outer(_err(m, t), m.v("h", t - 1)))),
    "dc": ((lambda m: [0]), lambda m, _: m.d_param("E", "c"),
           lambda m, _: _sum(m, lambda t: _err(m, t))),
    # the last step's term alone: wrong once T >= 2
    "dc-last-only": ((lambda m: [0]), lambda m, _: m.d_param("E", "c"),
                     lambda m, _: _err(m, m.T)),
    # E_t reads h_t only through z_t: dE_t/dh_t = V^T (yhat_t - y_t).
    "dh": (_steps, lambda m, t: m.d_quantity(("E", t), "h", t),
           lambda m, t: m.p["V"].T @ _err(m, t)),
    "dh-no-V": (_steps, lambda m, t: m.d_quantity(("E", t), "h", t),
                lambda m, t: _err(m, t)),  # a k-vector (k = 3) for an n-vector (n = 2)
    "dh-V-not-transposed": (_steps, lambda m, t: m.d_quantity(("E", t), "h", t),
                            lambda m, t: m.p["V"] @ _err(m, t)),  # (k x n)(k): undefined
    # E_1 sees b_o only through o_1: dE_1/db_o = V^T(yhat_1 - y_1) . tanh(c_1) . o_1 . (1 - o_1).
    "dbo-step1": ((lambda m: [0]), lambda m, _: m.d_param(("E", 1), "b_o"),
                  lambda m, _: _dE1_dbo(m)),
    "dbo-step1-no-V": ((lambda m: [0]), lambda m, _: m.d_param(("E", 1), "b_o"),
                       lambda m, _: _dE1_dbo(m, with_V=False)),  # k-vector times n-vectors
    # through c_1 = f_1 c_0 + ...: dE_1/dW_f = [dE_1/dh_1 . o_1 . tanh'(c_1) . c_0 . f_1(1-f_1)] h_0^T
    "dWf-step1": ((lambda m: [0]), lambda m, _: m.d_param(("E", 1), "W_f"),
                  lambda m, _: _dE1_dWf(m)),
    "dWf-step1-sign": ((lambda m: [0]), lambda m, _: m.d_param(("E", 1), "W_f"),
                       lambda m, _: _dE1_dWf(m, -1.0)),
    # dE/dW_f = sum_t (dE/dc_t . c_{t-1} . f_t(1 - f_t)) h_{t-1}^T, with dE/dc_t the total.
    "dWf": ((lambda m: [0]), lambda m, _: m.d_param("E", "W_f"), lambda m, _: _dWf(m, False)),
    "dWf-c-t": ((lambda m: [0]), lambda m, _: m.d_param("E", "W_f"), lambda m, _: _dWf(m, True)),
}  # fmt: skip

#: answer id -> (verdict, words the checker's reason must contain: the slip where one applies)
EXPECTED = {
    "dz": ("correct", "points"),
    "dz-sign": ("wrong", "the sign of the error term"),
    "yhat": ("correct", "points"),
    "yhat-no-bias": ("wrong", ""),
    "dV": ("correct", "points"),
    "dV-sign": ("wrong", "the sign of the error term"),
    "dV-h-prev": ("wrong", "h_{t - 1} written where h_t is needed"),
    "dc": ("correct", "points"),
    "dc-last-only": ("wrong", "T = 2"),
    "dh": ("correct", "points"),
    "dh-no-V": ("wrong", "the factor V^T missing"),
    "dh-V-not-transposed": ("wrong", "missing transpose on V"),
    "dbo-step1": ("correct", "points"),
    "dbo-step1-no-V": ("wrong", "the factor V^T missing"),
    "dWf-step1": ("correct", "points"),
    "dWf-step1-sign": ("wrong", "the sign of the error term"),
    "dWf": ("correct", "points"),
    "dWf-c-t": ("wrong", "c_t written where c_{t - 1} is needed"),
}


def _hand_verdict(ident: str) -> str:
    points, lhs, rhs = CASES[ident]
    for seed in (0, 1):
        m = LstmSoftmax(seed=seed)
        for pt in points(m):
            try:
                a, b = lhs(m, pt), rhs(m, pt)
            except ValueError:  # a product of the answer is not defined (shapes)
                return "wrong"
            if np.shape(a) != np.shape(b) or not np.allclose(a, b, rtol=1e-5, atol=1e-7):
                return "wrong"
    return "correct"


@pytest.mark.parametrize("ident", sorted(CASES))
def test_verdict_by_hand(ident: str) -> None:
    assert _hand_verdict(ident) == EXPECTED[ident][0]


def test_hand_truth_is_not_trivial() -> None:
    # the central differences are not all zero (a loop that ignored the head would pass nothing)
    m = LstmSoftmax()
    assert np.abs(m.d_param("E", "V")).max() > 1e-3
    assert np.abs(m.d_param(("E", 1), "W_f")).max() > 1e-5


@pytest.fixture(scope="module")
def verdicts() -> dict[str, object]:
    sub = read_submission(HERE / "lstm-softmax.yaml")
    model = _model(sub.model)
    return {spec.id: judge(spec, model) for spec in sub.answers}


def test_every_answer_has_an_expectation(verdicts: dict) -> None:
    assert set(verdicts) == set(EXPECTED) == set(CASES)


@pytest.mark.parametrize("ident", sorted(EXPECTED))
def test_checker_agrees(verdicts: dict, ident: str) -> None:
    verdict, words = EXPECTED[ident]
    got = verdicts[ident]
    assert got.verdict == verdict, got.reason
    assert words in got.reason, got.reason


@pytest.mark.parametrize("loss_at", ["every", "last"])
def test_exact_head_gradients_agree_with_the_worlds_central_differences(loss_at: str) -> None:
    """The checker's exact truth through the head (heads table's dE_t/dz_t seeding the cell's
    backward pass) against central differences of its own forward pass, for E and each E_t."""
    from dataclasses import replace

    from symbptt.answers.gated_world import GatedWorld
    from symbptt.answers.truth import Definitions

    model = replace(_model(str(HERE.parents[1] / "derivations/examples/lstm-softmax.yaml")),
                    loss_at=loss_at)  # fmt: skip
    w = GatedWorld(model, Definitions(), T=3, n=2, m=2, k=3, seed=1)
    keys = [("param", "output"), ("param", "output_bias"), ("param", "W_f"), ("param", "b_o"),
            ("out_z", 2), ("h", 1), ("c", 1), ("c", 0), ("h", 0), ("x", 2)]  # fmt: skip
    for t in (None, 1, 2, 3):
        for key in keys:
            exact = w.exact_loss(t, key)
            assert exact is not None, key
            shape = w.params[key[1]].shape if key[0] == "param" else np.shape(exact)

            def loss(t: int | None = t) -> np.ndarray:
                fwd = w.forward()
                return np.array([[fwd["E"] if t is None else fwd["E_t"][t]]])

            cols = w.differences(key, shape, loss)
            fd = np.array([c[0, 0] for c in cols]).reshape(shape)
            np.testing.assert_allclose(exact, fd, rtol=1e-6, atol=1e-8, err_msg=f"{t} {key}")
