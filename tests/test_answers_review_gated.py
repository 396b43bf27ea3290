"""Review of the homework checker on gated and vanilla cells: \\tanh^2(x) spellings, gated slips
named, \\prod answers without `for:`. Every expected verdict is worked out here from homework 3's
LSTM equations (f_t = s(W_f h_{t-1} + U_f x_t + b_f), i_t, C~_t = tanh(...), C_t = f_t C_{t-1} +
i_t C~_t, o_t, h_t = o_t tanh(C_t)) or elman's (a_t = W_xh x_t + W_hh h_{t-1} + b_h,
h_t = tanh(a_t)) as numpy loops with central differences, never from the checker's output.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import load

EPS = 1e-6


def sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def jac(fun, x0: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """d fun / d x0 by central differences (columns: entries of x0)."""
    cols = []
    for j in range(x0.size):
        e = np.zeros_like(x0)
        e[j] = EPS
        cols.append((fun(x0 + e) - fun(x0 - e)) / (2 * EPS))
    return np.array(cols).T


class LSTM:
    """Homework 3's LSTM at random weights: T steps, n cells, m inputs."""

    def __init__(self, T: int = 3, n: int = 2, m: int = 2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.T, self.n = T, n
        self.p = {
            f"{k}_{g}": rng.normal(0, 0.8, (n, n if k == "W" else m)) for k in "WU" for g in "fiCo"
        }
        self.p |= {f"b_{g}": rng.normal(0, 0.5, n) for g in "fiCo"}
        self.xs = rng.normal(size=(T + 1, m))
        self.h0, self.C0 = rng.normal(0, 0.5, n), rng.normal(0, 0.5, n)

    def pre(self, g: str, h: np.ndarray, x: np.ndarray) -> np.ndarray:
        return self.p[f"W_{g}"] @ h + self.p[f"U_{g}"] @ x + self.p[f"b_{g}"]

    def step(self, h: np.ndarray, C: np.ndarray, x: np.ndarray) -> dict:
        f, i, o = (sig(self.pre(g, h, x)) for g in "fio")
        Cn = f * C + i * np.tanh(self.pre("C", h, x))
        return {"f": f, "i": i, "o": o, "C": Cn, "h": o * np.tanh(Cn)}

    def run(self) -> list[dict]:
        out = [{"h": self.h0, "C": self.C0}]
        for t in range(1, self.T + 1):
            out.append(self.step(out[-1]["h"], out[-1]["C"], self.xs[t]))
        return out


def _verdict(model: str, answer: str, rng: str | None = None) -> dict:
    return judge(AnswerSpec(id="a", answer=answer, range=rng), load(model)).as_dict()


# ------------------------------------------------------------------ 1. \tanh^2(x) = (\tanh x)^2

DH_DC = r"\frac{\partial h_t}{\partial C_t} = \operatorname{diag}(o_t \odot (1 - %s))"
TANH2 = [r"\tanh^2(C_t)", r"\tanh^2 C_t", r"\tanh^{2}\left(C_{t}\right)", r"\tanh(C_t)^2"]


def test_dh_dC_is_the_squared_reading_by_hand() -> None:
    """h_t = o_t tanh(C_t): dh_t/dC_t (C_t bumped, o_t fixed) is diag(o (1 - tanh(C)^2)), not the
    f-composed-with-f reading diag(o (1 - tanh(tanh C)))."""
    for seed in (0, 1):
        m = LSTM(seed=seed)
        for s in m.run()[1:]:
            num = jac(lambda c, o=s["o"]: o * np.tanh(c), s["C"])
            assert np.allclose(num, np.diag(s["o"] * (1 - np.tanh(s["C"]) ** 2)), atol=1e-6)
            assert not np.allclose(num, np.diag(s["o"] * (1 - np.tanh(np.tanh(s["C"])))), atol=1e-3)


@pytest.mark.parametrize("spelling", TANH2)
def test_tanh_squared_spellings_are_correct_lstm(spelling: str) -> None:
    v = _verdict("homework3-lstm", DH_DC % spelling)
    assert v["verdict"] == "correct", v["reason"]


def test_elman_tanh_squared_by_hand() -> None:
    """h_t = tanh(a_t): dh_t/da_t = diag(1 - tanh(a_t)^2) by central differences."""
    a = np.random.default_rng(3).normal(size=3)
    assert np.allclose(jac(np.tanh, a), np.diag(1 - np.tanh(a) ** 2), atol=1e-6)


@pytest.mark.parametrize(
    "spelling", [r"\tanh^2(a_t)", r"\tanh^2 a_t", r"\tanh^{2}\left(a_{t}\right)", r"f^{2}(a_t)"]
)  # elman's f is tanh
def test_tanh_squared_spellings_are_correct_elman(spelling: str) -> None:
    v = _verdict(
        "elman", rf"\frac{{\partial h_t}}{{\partial a_t}} = \operatorname{{diag}}(1 - {spelling})"
    )
    assert v["verdict"] == "correct", v["reason"]
    wrong = _verdict(
        "elman", rf"\frac{{\partial h_t}}{{\partial a_t}} = \operatorname{{diag}}(1 + {spelling})"
    )
    assert wrong["verdict"] == "wrong", wrong["reason"]


def test_sigma_squared_is_the_square_of_the_value() -> None:
    """df_t/db_f = diag(s(z)(1 - s(z))) = diag(f_t - s(z)^2) with z the pre-activation (hand)."""
    m = LSTM()
    states = m.run()
    h, x = states[0]["h"], m.xs[1]
    z = m.pre("f", h, x)
    num = jac(lambda b: sig(m.p["W_f"] @ h + m.p["U_f"] @ x + b), m.p["b_f"])
    assert np.allclose(num, np.diag(states[1]["f"] - sig(z) ** 2), atol=1e-6)
    v = _verdict(
        "homework3-lstm",
        r"\frac{\partial f_t}{\partial b_f} = \operatorname{diag}(f_t - \sigma^2(W_f h_{t-1} + U_f x_t + b_f))",
    )
    assert v["verdict"] == "correct", v["reason"]


@pytest.mark.parametrize("power", [r"\tanh^{-1}(C_t)", r"\sigma^{-1}(C_t)", r"\tanh^{1/2} C_t"])
def test_function_power_other_than_whole_is_refused(power: str) -> None:
    v = _verdict("homework3-lstm", DH_DC % power)
    assert v["verdict"] == "undecided"
    assert "positive whole number" in v["reason"]


# ------------------------------------------------------------------ 2. gated slips named


def _partial_f_by_bf(m: LSTM, t: int) -> np.ndarray:
    """df_t/db_f with step t's copy of b_f bumped (h_{t-1}, x_t fixed), by central differences."""
    h, x = m.run()[t - 1]["h"], m.xs[t]
    return jac(lambda b: sig(m.p["W_f"] @ h + m.p["U_f"] @ x + b), m.p["b_f"])


def _direct_carousel(m: LSTM, k: int, t: int) -> np.ndarray:
    """dC_t/dC_k along C alone: the product of the step partials dC_i/dC_{i-1} (h_{i-1} fixed)."""
    states, out = m.run(), np.eye(m.n)
    for i in range(k + 1, t + 1):
        h = states[i - 1]["h"]
        step = jac(lambda c, h=h, i=i: m.step(h, c, m.xs[i])["C"], states[i - 1]["C"])
        out = step @ out
    return out


@pytest.mark.parametrize(
    "gate_derivative", [r"\sigma(f_t) \odot (1 - \sigma(f_t))", r"\sigma(f_t) (1 - \sigma(f_t))"]
)
def test_sigma_of_the_gate_value_written_out_is_named(gate_derivative: str) -> None:
    for seed in (0, 1):  # by hand: sigma(f)(1 - sigma(f)) is not f (1 - f) = df_t/db_f
        m = LSTM(seed=seed)
        f = m.run()[2]["f"]
        assert np.allclose(_partial_f_by_bf(m, 2), np.diag(f * (1 - f)), atol=1e-6)
        assert not np.allclose(np.diag(sig(f) * (1 - sig(f))), np.diag(f * (1 - f)), atol=1e-3)
    v = _verdict(
        "homework3-lstm",
        rf"\frac{{\partial f_t}}{{\partial b_f}} = \operatorname{{diag}}({gate_derivative})",
    )
    assert v["verdict"] == "wrong"
    assert "\\sigma(1 - \\sigma) applied to the gate's value f_t" in v["reason"]


def test_tanh_of_the_candidate_value_is_named() -> None:
    """dC~_t/db_C = diag(1 - C~_t^2) (hand); 1 - tanh^2(C~_t) applies tanh twice."""
    m = LSTM()
    h, x = m.run()[0]["h"], m.xs[1]
    ct = np.tanh(m.pre("C", h, x))
    num = jac(lambda b: np.tanh(m.p["W_C"] @ h + m.p["U_C"] @ x + b), m.p["b_C"])
    assert np.allclose(num, np.diag(1 - ct**2), atol=1e-6)
    assert not np.allclose(num, np.diag(1 - np.tanh(ct) ** 2), atol=1e-3)
    lhs = r"\frac{\partial \tilde{C}_t}{\partial b_C} = "
    good = _verdict("homework3-lstm", lhs + r"\operatorname{diag}(1 - \tilde{C}_t^2)")
    assert good["verdict"] == "correct", good["reason"]
    v = _verdict("homework3-lstm", lhs + r"\operatorname{diag}(1 - \tanh^2(\tilde{C}_t))")
    assert v["verdict"] == "wrong"
    assert "1 - tanh^2 applied to the gate's value \\tilde{C}_t" in v["reason"]


@pytest.mark.parametrize("dot", ["", r"\cdot "])
def test_factor_after_the_product_is_named(dot: str) -> None:
    """prod_{i=k+1}^{t} diag(f_i) diag(f_k): the body runs to the next + or -, so diag(f_k) is
    repeated t - k times; by hand it differs from the direct path prod diag(f_i) when t > k."""
    for seed in (0, 1):
        m = LSTM(seed=seed)
        states = m.run()
        for k in range(1, m.T + 1):
            for t in range(k, m.T + 1):
                direct = _direct_carousel(m, k, t)
                prod_f = np.eye(m.n)
                for i in range(k + 1, t + 1):
                    prod_f = np.diag(states[i]["f"]) @ prod_f
                assert np.allclose(direct, prod_f, atol=1e-6)
                student = prod_f @ np.linalg.matrix_power(np.diag(states[k]["f"]), t - k)
                assert np.allclose(direct, student, atol=1e-6) == (t == k)
    answer = rf"\prod_{{i=k+1}}^{{t}} \operatorname{{diag}}(f_i) {dot}\operatorname{{diag}}(f_k)"
    v = _verdict(
        "homework3-lstm", r"\frac{\partial C_t}{\partial C_k} = " + answer, r"1 \le k \le t \le T"
    )
    assert v["verdict"] == "wrong"
    assert "an extra factor diag(f_k) at the end of the product" in v["reason"]


# ------------------------------------------------------------------ 3. no for: range


class Elman:
    """elman: a_t = W_xh x_t + W_hh h_{t-1} + b_h, h_t = tanh(a_t)."""

    def __init__(self, T: int = 3, n: int = 2, m: int = 3, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.T = T
        self.Wxh, self.Whh = rng.normal(0, 0.8, (n, m)), rng.normal(0, 0.8, (n, n))
        self.b, self.xs, self.h0 = (
            rng.normal(0, 0.5, n),
            rng.normal(size=(T + 1, m)),
            rng.normal(size=n),
        )

    def run_from(self, k: int, hk: np.ndarray, t: int) -> np.ndarray:
        h = hk
        for i in range(k + 1, t + 1):
            h = np.tanh(self.Wxh @ self.xs[i] + self.Whh @ h + self.b)
        return h

    def hs(self) -> list[np.ndarray]:
        return [self.run_from(0, self.h0, t) for t in range(self.T + 1)]


def test_no_range_lstm_carousel_by_hand() -> None:
    """By hand: for k <= t the direct path dC_t/dC_k is prod_{i=k+1}^{t} diag(f_i) (I when k = t);
    for k > t, C_t does not depend on C_k (0) while the empty product is I: not a point to judge."""
    for seed in (0, 1):
        m = LSTM(seed=seed)
        states = m.run()
        for k in range(0, m.T + 1):
            for t in range(k, m.T + 1):
                want = np.eye(m.n)
                for i in range(k + 1, t + 1):
                    want = np.diag(states[i]["f"]) @ want
                assert np.allclose(_direct_carousel(m, k, t), want, atol=1e-6)
    v = _verdict(
        "homework3-lstm",
        r"\frac{\partial C_t}{\partial C_k} = \prod_{i=k+1}^{t} \operatorname{diag}(f_i)",
    )
    assert v["verdict"] == "correct", v["reason"]
    assert "no for: range given, judged only where k \\le t" in v["reason"]


def test_no_range_elman_chain_by_hand() -> None:
    """By hand: dh_t/dh_k = diag(1 - h_t^2) W_hh ... diag(1 - h_{k+1}^2) W_hh (factor t leftmost)
    by central differences for k <= t; an answer without for: is judged there and is right."""
    for seed in (0, 1):
        e = Elman(seed=seed)
        hs = e.hs()
        for k in range(0, e.T + 1):
            for t in range(k, e.T + 1):
                num = jac(lambda hk, e=e, k=k, t=t: e.run_from(k, hk, t), hs[k])
                want = np.eye(len(e.b))
                for i in range(k + 1, t + 1):
                    want = np.diag(1 - hs[i] ** 2) @ e.Whh @ want
                assert np.allclose(num, want, atol=1e-6)
    spec = AnswerSpec(
        id="a",
        answer=r"\frac{\partial h_t}{\partial h_k} = \prod_{i=k+1}^{t} \operatorname{diag}(1 - h_i^2) W_{hh}",
        product_order="decreasing",
    )
    v = judge(spec, load("elman")).as_dict()
    assert v["verdict"] == "correct", v["reason"]
    assert "k \\le t" in v["reason"]
    wrong = judge(
        AnswerSpec(
            id="b", answer=spec.answer.replace("1 - h_i^2", "1 + h_i^2"), product_order="decreasing"
        ),
        load("elman"),
    ).as_dict()
    assert wrong["verdict"] == "wrong"
    assert "k = " in wrong["reason"]


def test_no_range_sum_without_lhs_order_keeps_its_bounds() -> None:
    """A plain left side: \\sum_{i=k}^{t} 1 = t - k + 1 holds for k <= t + 1 (the empty sum at
    k = t + 1 is 0); for k > t + 1 the range is reversed and not judged (by hand)."""
    for t in range(0, 5):
        for k in range(0, t + 2):
            assert sum(1 for _ in range(k, t + 1)) == t - k + 1
    v = _verdict("homework3-lstm", r"t - k + 1 = \sum_{i=k}^{t} 1")
    assert v["verdict"] == "correct", v["reason"]
    assert "k \\le t + 1" in v["reason"]


def test_no_range_transposed_left_side_keeps_its_order() -> None:
    """(dh_t/dh_k)^T = prod_{i=k+1}^{t} W_hh^T diag(1 - h_i^2) (factor k+1 leftmost: the transpose
    of the chain checked by hand above) for k <= t; judged only there."""
    e = Elman()
    hs = e.hs()
    for k in range(0, e.T + 1):
        for t in range(k, e.T + 1):
            num = jac(lambda hk, k=k, t=t: e.run_from(k, hk, t), hs[k])
            want = np.eye(len(e.b))
            for i in range(k + 1, t + 1):
                want = want @ e.Whh.T @ np.diag(1 - hs[i] ** 2)
            assert np.allclose(num.T, want, atol=1e-6)
    answer = (
        r"\left(\frac{\partial h_t}{\partial h_k}\right)^\top = "
        r"\prod_{i=k+1}^{t} W_{hh}^\top \operatorname{diag}(1 - h_i^2)"
    )
    v = _verdict("elman", answer)
    assert v["verdict"] == "correct", v["reason"]
    assert "k \\le t (the order" in v["reason"]
