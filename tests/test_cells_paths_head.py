"""cells.paths with an output head: the path sums of the head's V and c (issue 10), against a
numpy loop of nn.LSTM + z_t = V h_t + c + softmax + cross-entropy written here and central
differences through it."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbptt.cells import CELLS
from symbptt.cells.heads import HEADS
from symbptt.cells.paths import path_sums
from symbptt.cells.symbolic import direct, unroll
from symbptt.errors import InputError
from symbptt.symbolic.exact import same

EPS = 1e-6
SOFTMAX_CE = HEADS["softmax_cross_entropy"]


def sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def lstm_step(P: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> dict:
    """nn.LSTM: i, f, o = sigma(.), g = tanh(.), c = f c' + i g, h = o tanh(c)."""
    a = {q: P[f"U_{q}"] @ x + P[f"W_{q}"] @ h + P[f"b_{q}"] for q in "ifgo"}
    c = sig(a["f"]) * c + sig(a["i"]) * np.tanh(a["g"])
    return {"h": sig(a["o"]) * np.tanh(c), "c": c}


def ce(z: np.ndarray, y: np.ndarray) -> float:
    """-sum_j y_j log softmax(z)_j."""
    return -float(y @ (z - z.max() - np.log(np.exp(z - z.max()).sum())))


def grad(f, v: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """Central differences of the scalar f by every entry of v, shaped like v."""
    out = np.zeros_like(v)
    for j in range(v.size):
        e = np.zeros_like(v)
        e.flat[j] = EPS
        out.flat[j] = (f(v + e) - f(v - e)) / (2 * EPS)
    return out


@pytest.fixture(scope="module")
def inst() -> dict:
    rng = np.random.default_rng(7)
    n, m, k, T = 2, 2, 3, 2
    P = {p.key: rng.normal(0, 0.7, p.size(n, m)) for p in CELLS["lstm"].params}
    V, c = rng.normal(0, 0.7, (k, n)), rng.normal(0, 0.5, k)
    xs = rng.normal(size=(T, m))
    s = {"h": rng.normal(0, 0.5, n), "c": rng.normal(0, 0.5, n)}
    hs = []
    for t in range(T):
        s = lstm_step(P, xs[t], s["h"], s["c"])
        hs.append(s["h"])
    y = rng.uniform(0.1, 1.0, k)
    return {"V": V, "c": c, "h2": hs[-1], "h1": hs[0], "y": y / y.sum(), "k": k}


def _E2(inst: dict, V: np.ndarray, c: np.ndarray) -> float:
    """E_2 = CE(softmax(V h_2 + c), y_2): h_2 does not depend on V or c (no state reads them)."""
    return ce(V @ inst["h2"] + c, inst["y"])


def _term_at(term: sp.Matrix, inst: dict, u) -> np.ndarray:  # noqa: ANN001
    """The path's term with h_2 from the loop and dE_2/dz_2 by central differences at z_2."""
    z2 = inst["V"] @ inst["h2"] + inst["c"]
    dz = grad(lambda z: ce(z, inst["y"]), z2)
    vals = dict(zip(u.names[1]["h"], inst["h2"], strict=True))
    vals |= dict(zip(u.dloss[1], dz, strict=True))
    return np.array([float(e.xreplace(vals)) for e in term]).reshape(term.shape)


@pytest.mark.parametrize("key", ["V", "c"])
def test_lstm_head_parameter_has_one_path_through_z(inst: dict, key: str) -> None:
    """dE_2/dV: E_2 reads V only in z_2 = V h_2 + c (one path E_2 -> z_2 -> V); the paths on
    through h_2 and the carried states end at a state's partial by V, which is zero (no LSTM
    equation reads V): h_2; h_2, h_1; h_2, c_1. The term equals central differences of E_2."""
    k = inst["k"]
    ps = path_sums(CELLS["lstm"], key, 2, 2, head=SOFTMAX_CE, k=k)
    assert ps.equal
    assert [p.nodes for p in ps.paths] == [("E_2", "z_2", key)]
    assert ps.zero == ((("h", 2),), (("h", 2), ("h", 1)), (("h", 2), ("c", 1)))
    u = unroll(CELLS["lstm"], 2, 2, loss_at="last", head=SOFTMAX_CE, k=k)
    got = _term_at(ps.paths[0].term, inst, u)
    if key == "V":
        want = grad(lambda V: _E2(inst, V, inst["c"]), inst["V"])
    else:
        want = grad(lambda c: _E2(inst, inst["V"], c), inst["c"]).reshape(-1, 1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_a_wrong_head_term_is_refuted() -> None:
    """The comparison can fail: (dE_2/dz_2) h_1^T (the previous state) is not dE_2/dV."""
    ps = path_sums(CELLS["lstm"], "V", 2, 1, head=SOFTMAX_CE, k=2)
    u = unroll(CELLS["lstm"], 2, 1, loss_at="last", head=SOFTMAX_CE, k=2)
    want = direct(u)["V"]
    term = ps.paths[0].term
    wrong = term.xreplace(dict(zip(u.names[1]["h"], u.names[0]["h"], strict=True)))
    assert not same(sp.Matrix(list(term)), sp.Matrix(list(want)))  # [] = no entry differs
    assert same(sp.Matrix(list(wrong)), sp.Matrix(list(want)))
    assert same(sp.zeros(*term.shape), want)  # the state paths alone (all zero) are not it


def test_gru_head_and_cell_parameters_with_a_head() -> None:
    """One state: the zero paths are h_2 and h_2, h_1; a cell parameter's sums are unchanged by
    the head (they read dL_T/dh_T, of which the head's part is V^T dE_T/dz_T)."""
    ps = path_sums(CELLS["gru"], "V", 2, 2, head=HEADS["identity_squared_error"], k=2)
    assert ps.equal and ps.zero == ((("h", 2),), (("h", 2), ("h", 1)))
    with_head = path_sums(CELLS["gru"], "W_z", 2, 1, head=SOFTMAX_CE)
    plain = path_sums(CELLS["gru"], "W_z", 2, 1)
    assert [p.nodes for p in with_head.paths] == [p.nodes for p in plain.paths]
    assert with_head.equal


def test_head_parameters_need_a_head() -> None:
    with pytest.raises(InputError, match="'V' is not a parameter of cell 'lstm'"):
        path_sums(CELLS["lstm"], "V", 2)
    with pytest.raises(InputError, match="'Q' is not a parameter.*W_f.*V, c"):
        path_sums(CELLS["lstm"], "Q", 2, head=SOFTMAX_CE)
