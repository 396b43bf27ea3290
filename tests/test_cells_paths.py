"""cells.paths: small-T path sums of gated cells (issue 10), against a numpy loop of PyTorch's
nn.LSTM / nn.GRU equations written here and central differences through it."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbptt.cells import CELLS
from symbptt.cells.paths import path_sums
from symbptt.cells.symbolic import direct, unroll
from symbptt.errors import InputError
from symbptt.symbolic.exact import same

EPS = 1e-6


def sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def lstm_step(P: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> dict:
    """nn.LSTM: i, f, o = sigma(.), g = tanh(.), c = f c' + i g, h = o tanh(c)."""
    a = {q: P[f"U_{q}"] @ x + P[f"W_{q}"] @ h + P[f"b_{q}"] for q in "ifgo"}
    c = sig(a["f"]) * c + sig(a["i"]) * np.tanh(a["g"])
    return {"h": sig(a["o"]) * np.tanh(c), "c": c}


def lstm_run(Ps: list[dict], xs, s0: dict) -> list[dict]:
    """Step t uses Ps[t-1] (one parameter set per step, to bump P at one step only)."""
    out, s = [], dict(s0)
    for P, x in zip(Ps, xs, strict=True):
        s = lstm_step(P, x, s["h"], s["c"])
        out.append(s)
    return out


def fd(f, v: np.ndarray) -> np.ndarray:
    """Central differences of the vector f(v) by every entry of v: (len f, v.size)."""
    cols = []
    for j in range(v.size):
        e = np.zeros(v.size)
        e[j] = EPS
        cols.append((f(v + e.reshape(v.shape)) - f(v - e.reshape(v.shape))) / (2 * EPS))
    return np.array(cols).T


@pytest.fixture(scope="module")
def inst() -> dict:
    rng = np.random.default_rng(4)
    n = m = 2
    P = {p.key: rng.normal(0, 0.7, p.size(n, m)) for p in CELLS["lstm"].params}
    xs = rng.normal(size=(2, m))
    s0 = {"h": rng.normal(0, 0.5, n), "c": rng.normal(0, 0.5, n)}
    g = rng.normal(size=n)
    return {"P": P, "xs": xs, "s0": s0, "g": g}


def _values(u, inst: dict) -> dict:
    """Leaves and every named quantity of the unrolled graph at the instance (the loop's
    values for the states; gates from the unrolled definitions)."""
    vals: dict = {}
    for k, M in u.params.items():
        vals |= dict(zip(M, np.ravel(inst["P"][k]), strict=True))
    for t, x in enumerate(u.xs):
        vals |= dict(zip(x, inst["xs"][t], strict=True))
    for s, v in u.states0.items():
        vals |= dict(zip(v, inst["s0"][s], strict=True))
    for sym, d in u.definitions():
        vals[sym] = float(d.xreplace(vals).rewrite(sp.exp).evalf(30))
    vals |= dict(zip(u.dloss[-1], inst["g"], strict=True))
    return vals


def test_lstm_T2_paths_through_c_and_h(inst: dict) -> None:
    """dL_2/dW_f: three paths, h_2 -> W_f, h_2 -> h_1 -> W_f, h_2 -> c_1 -> W_f; each term equals
    the loop's chain of central differences, and their sum equals dL_2/dW_f of the loop."""
    ps = path_sums(CELLS["lstm"], "W_f", 2, 2)
    assert ps.equal and not ps.zero
    assert [p.nodes for p in ps.paths] == [
        ("L_2", "h_2", "W_f"), ("L_2", "h_2", "h_1", "W_f"), ("L_2", "h_2", "c_1", "W_f"),
    ]  # fmt: skip
    P, xs, s0, g = inst["P"], inst["xs"], inst["s0"], inst["g"]
    one = lstm_run([P, P], xs, s0)
    # the factors, each by central differences of the loop with the rest held fixed
    dh2 = {
        s: fd(lambda v, s=s: lstm_step(P, xs[1], **({**one[0], s: v}))["h"], one[0][s])
        for s in ("h", "c")
    }
    at2 = fd(lambda v: lstm_step({**P, "W_f": v}, xs[1], one[0]["h"], one[0]["c"])["h"], P["W_f"])
    at1 = {
        s: fd(lambda v, s=s: lstm_step({**P, "W_f": v}, xs[0], s0["h"], s0["c"])[s], P["W_f"])
        for s in ("h", "c")
    }
    want = [g @ at2, g @ dh2["h"] @ at1["h"], g @ dh2["c"] @ at1["c"]]
    u = unroll(CELLS["lstm"], 2, 2, loss_at="last")
    vals = _values(u, inst)
    for path, w in zip(ps.paths, want, strict=True):
        got = np.array([float(e.xreplace(vals)) for e in path.term])
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-8, err_msg=str(path.nodes))
    total = fd(lambda v: lstm_run([{**P, "W_f": v}] * 2, xs, s0)[1]["h"], P["W_f"])
    np.testing.assert_allclose(sum(want), g @ total, rtol=1e-5, atol=1e-8)


def test_a_path_not_reading_P_is_listed_as_zero() -> None:
    """c_1 does not read W_o: of the LSTM's three sequences at T = 2 one is zero."""
    ps = path_sums(CELLS["lstm"], "W_o", 2, 1)
    assert ps.equal
    assert ps.zero == ((("h", 2), ("c", 1)),)
    assert [p.nodes for p in ps.paths] == [("L_2", "h_2", "W_o"), ("L_2", "h_2", "h_1", "W_o")]


@pytest.mark.parametrize(("cell", "param"), [("gru", "W_z"), ("gru-reset-before", "W_n"),
                                             ("homework3-lstm", "b_C")])  # fmt: skip
def test_path_sums_equal_direct_differentiation(cell: str, param: str) -> None:
    ps = path_sums(CELLS[cell], param, 2, 2)
    assert ps.equal
    states = len(CELLS[cell].states)
    assert len(ps.paths) + len(ps.zero) == 1 + states  # k = 2: one; k = 1: one per state at 1


def test_a_missing_path_is_refuted() -> None:
    """The comparison can fail: the sum without the path through c_1 is not dL_2/dW_f."""
    ps = path_sums(CELLS["lstm"], "W_f", 2, 1)
    u = unroll(CELLS["lstm"], 2, 1, loss_at="last")
    want = direct(u)["W_f"]
    assert ps.paths[2].nodes == ("L_2", "h_2", "c_1", "W_f")
    full = ps.paths[0].term + ps.paths[1].term + ps.paths[2].term
    short = ps.paths[0].term + ps.paths[1].term
    assert not same(sp.Matrix(list(full)), sp.Matrix(list(want)))  # [] = no entry differs
    assert same(sp.Matrix(list(short)), sp.Matrix(list(want)))


def test_bad_requests_name_the_problem() -> None:
    with pytest.raises(InputError, match="'V' is not a parameter of cell 'lstm'.*W_f"):
        path_sums(CELLS["lstm"], "V", 2)
    with pytest.raises(InputError, match="1 <= T <= 3"):
        path_sums(CELLS["gru"], "W_z", 4)
