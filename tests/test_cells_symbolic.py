"""The cells' algebra: direct = BPTT exactly, the step lemma, reverse adjoints vs SymPy Jacobians
written here from the published equations, wrong rules refuted, the carousel statements."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import sympy as sp

from symbptt.cells import CELLS
from symbptt.cells.carousel import (
    carried,
    direct_path,
    direct_term,
    partial,
    total_step_jacobian,
)
from symbptt.cells.expr import Hadamard, Prev, Ref
from symbptt.cells.numeric import backward, forward
from symbptt.cells.reverse import step_adjoints
from symbptt.cells.steplemma import prove
from symbptt.cells.symbolic import direct_equals_bptt, unroll

GATED = ["lstm", "homework3-lstm", "gru", "gru-reset-before"]


@pytest.mark.parametrize("name", ["rnn", *GATED])
def test_direct_equals_bptt_exactly_at_T2(name: str) -> None:
    assert direct_equals_bptt(unroll(CELLS[name], 2, 2)) == []


def test_lstm_identity_at_T3_n2_in_under_10_seconds() -> None:
    start = time.perf_counter()
    assert direct_equals_bptt(unroll(CELLS["lstm"], 3, 2)) == []
    assert time.perf_counter() - start < 10.0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["homework3-lstm", "gru", "gru-reset-before"])
def test_direct_equals_bptt_exactly_at_T3(name: str) -> None:
    assert direct_equals_bptt(unroll(CELLS[name], 3, 2)) == []


@pytest.mark.parametrize("name", ["rnn", *GATED])
def test_step_lemma_holds(name: str) -> None:
    proof = prove(CELLS[name], 2)
    assert proof.passed, [c for c, ok in proof.steps if not ok]
    labels = [c for c, _ in proof.steps]
    assert "base case: direct = BPTT at T = 1" in labels
    assert any(c.startswith("delta[h[t-1]]") for c in labels)


@pytest.mark.slow
def test_lstm_step_lemma_at_n4_in_under_10_seconds() -> None:
    start = time.perf_counter()
    assert prove(CELLS["lstm"], 4, base_case=False).passed
    assert time.perf_counter() - start < 10.0


def _without_cell_carry() -> object:
    """The LSTM's reverse step with the carried cell gradient delta[c] * f dropped (mistake 2)."""
    rev = step_adjoints(CELLS["lstm"])
    prev = tuple((s, e) for s, e in rev.prev if s != "c")
    return dataclasses.replace(rev, prev=prev)


def test_a_dropped_cell_carry_is_refuted_by_the_lemma_and_the_identity() -> None:
    wrong = _without_cell_carry()
    proof = prove(CELLS["lstm"], 2, base_case=False, rev=wrong)  # type: ignore[arg-type]
    assert not proof.passed
    assert direct_equals_bptt(unroll(CELLS["lstm"], 2, 2), wrong) != []  # type: ignore[arg-type]


def test_a_wrong_gate_derivative_is_refuted() -> None:
    """delta[f] = delta[c] * c_t instead of c_{t-1} (the wrong argument, mistake 4)."""
    rev = step_adjoints(CELLS["lstm"])
    adjoints = tuple(
        (a, Hadamard(Ref("c"), e.right) if a.name == "f" and not a.pre else e)  # type: ignore[attr-defined]
        for a, e in rev.adjoints
    )
    assert any(str(e) == "c * c[t-1]" for _, e in adjoints)
    wrong = dataclasses.replace(rev, adjoints=adjoints)
    assert not prove(CELLS["lstm"], 2, base_case=False, rev=wrong).passed


# ------------------------------------------------ reverse adjoints vs SymPy Jacobians


def _sig(v: sp.Matrix) -> sp.Matrix:
    return v.applyfunc(lambda a: 1 / (1 + sp.exp(-a)))


def _symbols(prefix: str, rows: int, cols: int = 1) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{prefix}{r}{c}", real=True))


@pytest.mark.parametrize("name", ["lstm", "gru", "gru-reset-before"])
def test_one_reverse_step_equals_sympy_jacobians_of_the_published_step(name: str) -> None:
    """The adjoints passed to h_{t-1} (and c_{t-1}) are J^T u for SymPy's Jacobians of one step
    written here from PyTorch's (or Cho's) equations, at a random point."""
    n, m = 2, 2
    cell = CELLS[name]
    P = {
        p.key: _symbols(p.key, *p.size(n, m)) if p.is_matrix else _symbols(p.key, n)
        for p in cell.params
    }
    x, h = _symbols("x", m), _symbols("h", n)
    c = _symbols("c", n)
    if name == "lstm":
        i = _sig(P["U_i"] * x + P["W_i"] * h + P["b_i"])
        f = _sig(P["U_f"] * x + P["W_f"] * h + P["b_f"])
        g = (P["U_g"] * x + P["W_g"] * h + P["b_g"]).applyfunc(sp.tanh)
        o = _sig(P["U_o"] * x + P["W_o"] * h + P["b_o"])
        c1 = f.multiply_elementwise(c) + i.multiply_elementwise(g)
        outs, ins = [o.multiply_elementwise(c1.applyfunc(sp.tanh)), c1], [h, c]
    else:
        z = _sig(P["U_z"] * x + P["W_z"] * h + P["b_z"])
        r = _sig(P["U_r"] * x + P["W_r"] * h + P["b_r"])
        if name == "gru":
            a = P["U_n"] * x + P["b_n"] + r.multiply_elementwise(P["W_n"] * h + P["b_hn"])
        else:
            a = P["W_n"] * r.multiply_elementwise(h) + P["U_n"] * x + P["b_n"]
        nn = a.applyfunc(sp.tanh)
        outs = [z.multiply_elementwise(h) + z.applyfunc(lambda v: 1 - v).multiply_elementwise(nn)]
        ins = [h]
    rng = np.random.default_rng(3)
    params = {q.key: rng.normal(0, 0.8, size=q.size(n, m)) for q in cell.params}
    xv, hv, cv = rng.normal(size=m), rng.normal(size=n), rng.normal(size=n)
    ups = [rng.normal(size=n) for _ in outs]
    sub = {s: float(v) for k, M in P.items() for s, v in zip(M, np.ravel(params[k]), strict=True)}
    sub |= (
        dict(zip(x, xv, strict=True))
        | dict(zip(h, hv, strict=True))
        | dict(zip(c, cv, strict=True))
    )
    want = []
    for inp in ins:
        total = np.zeros(n)
        for out, u in zip(outs, ups, strict=True):
            J = np.array(out.jacobian(inp).xreplace(sub).evalf(), dtype=float)
            total += J.T @ u
        want.append(total)
    states0 = {"h": hv[None, :]} | ({"c": cv[None, :]} if name == "lstm" else {})
    tr = forward(cell, params, xv[None, None, :], states0)
    dstates = {s: u[None, None, :] for s, u in zip(("h", "c"), ups, strict=False)}
    got = backward(cell, tr, dstates)
    for s, w in zip(("h", "c"), want, strict=False):
        np.testing.assert_allclose(got.states0[s][0], w, rtol=1e-10, atol=1e-12, err_msg=s)


# ------------------------------------------------ the carousel statements


def _lstm_step(p: dict[str, np.ndarray], x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple:
    """PyTorch's LSTM step, written here: (h', c', f)."""
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i = s(p["U_i"] @ x + p["W_i"] @ h + p["b_i"])
    f = s(p["U_f"] @ x + p["W_f"] @ h + p["b_f"])
    g = np.tanh(p["U_g"] @ x + p["W_g"] @ h + p["b_g"])
    o = s(p["U_o"] @ x + p["W_o"] @ h + p["b_o"])
    c1 = f * c + i * g
    return o * np.tanh(c1), c1, f


def test_lstm_carousel_statements_are_derived_and_hold_numerically() -> None:
    cell = CELLS["lstm"]
    assert partial(cell, "c", "c").statement == "diag(f)"
    assert direct_term(cell, "h", "h").statement == "0"  # h_t reads h_{t-1} only via the gates
    assert partial(cell, "h", "h").statement == ""  # ... so its step partial is not zero
    for k in (1, 2, 3):
        assert direct_path(cell, "c", k).equal
    n, m, steps = 3, 2, 3
    rng = np.random.default_rng(12)
    p = {q.key: rng.normal(0, 1.0, size=q.size(n, m)) for q in cell.params}
    xs = rng.normal(size=(steps, m))
    hs = rng.normal(size=(steps, n))  # h_{k}..h_{t-1}, held fixed along the direct path
    ck = rng.normal(size=n)

    def c_t(c0: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        c, fs = c0, []
        for i in range(steps):
            _, c, f = _lstm_step(p, xs[i], hs[i], c)
            fs.append(f)
        return c, fs

    _, fs = c_t(ck)
    J = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1e-6
        J[:, j] = (c_t(ck + e)[0] - c_t(ck - e)[0]) / 2e-6
    np.testing.assert_allclose(J, np.diag(np.prod(fs, axis=0)), atol=1e-9)
    # the total derivative through h_{t-1} = o_{t-1} * tanh(c_{t-1}) into the gates differs
    prev = {"h": rng.normal(size=n), "c": rng.normal(size=n)}
    total, direct = total_step_jacobian(cell, "c", p, xs[:2], prev)
    _, c_prev, _ = _lstm_step(p, xs[0], prev["h"], prev["c"])
    h_prev = _lstm_step(p, xs[0], prev["h"], prev["c"])[0]
    f_t = _lstm_step(p, xs[1], h_prev, c_prev)[2]
    np.testing.assert_allclose(direct, np.diag(f_t), atol=1e-9)
    assert np.linalg.norm(total - np.diag(f_t), 2) > 1e-2


def _gru_step(p: dict[str, np.ndarray], x: np.ndarray, h: np.ndarray) -> tuple:
    """PyTorch's GRU step, written here: (h', z)."""
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    z = s(p["U_z"] @ x + p["W_z"] @ h + p["b_z"])
    r = s(p["U_r"] @ x + p["W_r"] @ h + p["b_r"])
    nn = np.tanh(p["U_n"] @ x + p["b_n"] + r * (p["W_n"] @ h + p["b_hn"]))
    return z * h + (1 - z) * nn, z


def test_gru_direct_term_is_diag_z_and_the_rest_is_not_zero() -> None:
    cell = CELLS["gru"]
    assert direct_term(cell, "h", "h").statement == "diag(z)"
    assert carried(cell, "h").kind == "direct term"  # the step partial of a one-state cell
    assert partial(cell, "h", "h").statement == ""  # is the total, not diag(z)
    n = 3
    rng = np.random.default_rng(2)
    p = {q.key: rng.normal(0, 1.0, size=q.size(n, n)) for q in cell.params}
    xs = rng.normal(size=(2, n))
    h0 = rng.normal(size=n)
    total, direct = total_step_jacobian(cell, "h", p, xs, {"h": h0})
    h1, _ = _gru_step(p, xs[0], h0)
    _, z2 = _gru_step(p, xs[1], h1)
    np.testing.assert_allclose(direct, np.diag(z2), atol=1e-9)
    fd = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1e-6
        fd[:, j] = (_gru_step(p, xs[1], h1 + e)[0] - _gru_step(p, xs[1], h1 - e)[0]) / 2e-6
    np.testing.assert_allclose(total, fd, atol=1e-8)
    assert np.linalg.norm(total - np.diag(z2), 2) > 1e-2  # the rest: through z, r and n


def test_partial_is_taken_from_the_equation_not_typed_in() -> None:
    """A variant whose c update reads i * c_{t-1} gets diag(i) from the same code."""
    lstm = CELLS["lstm"]
    eqs = tuple(
        dataclasses.replace(e, rhs=e.rhs.__class__((Hadamard(Ref("i"), Prev("c")), e.rhs.terms[1])))  # type: ignore[attr-defined]
        if e.name == "c"
        else e
        for e in lstm.equations
    )
    variant = dataclasses.replace(lstm, name="variant", equations=eqs)
    assert partial(variant, "c", "c").statement == "diag(i)"


@pytest.mark.parametrize("activation", ["generic", "relu", "identity", "sigmoid"])
def test_vanilla_cell_identity_for_every_function_of_the_table(activation: str) -> None:
    from symbptt.cells.builtin import rnn

    cell = rnn(activation, bias=activation != "identity", recurrent_first=True)
    assert direct_equals_bptt(unroll(cell, 3, 2)) == []
    assert prove(cell, 2).passed


def test_generic_f_keeps_f_prime_as_an_atom() -> None:
    from symbptt.cells.builtin import rnn
    from symbptt.cells.functions import GenericFPrime

    u = unroll(rnn("generic"), 1, 1)
    from symbptt.cells.symbolic import bptt

    grad = bptt(u).grads["W"][0, 0]
    assert grad.has(GenericFPrime) and not grad.has(sp.tanh)


def test_forget_one_and_no_input_make_the_total_cell_jacobian_the_identity() -> None:
    """Homework 3 Ex 3(c) with the test's own LSTM step: f -> 1 alone is not enough (c_k still
    moves h_k and so i_t, g_t); f -> 1 and i -> 0 give dc_t/dc_k = I; the check says so too."""
    from symbptt.cells.checks import _forget_one_no_input

    n, m, steps = 2, 2, 3
    rng = np.random.default_rng(21)
    cell = CELLS["lstm"]
    p = {q.key: rng.normal(0, 1.0, size=q.size(n, m)) for q in cell.params}
    xs = rng.normal(size=(steps + 1, m))
    h_prev, c_k = rng.normal(size=n), rng.normal(size=n)
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731

    def total(pp: dict[str, np.ndarray]) -> np.ndarray:
        o_k = s(pp["U_o"] @ xs[0] + pp["W_o"] @ h_prev + pp["b_o"])

        def end(c0: np.ndarray) -> np.ndarray:
            h, c = o_k * np.tanh(c0), c0
            for x in xs[1:]:
                h, c, _ = _lstm_step(pp, x, h, c)
            return c

        J = np.zeros((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = 1e-6
            J[:, j] = (end(c_k + e) - end(c_k - e)) / 2e-6
        return J

    forget_only = p | {"b_f": p["b_f"] + 40.0}
    both = forget_only | {"b_i": p["b_i"] - 40.0}
    assert np.abs(total(forget_only) - np.eye(n)).max() > 1e-3
    assert np.abs(total(both) - np.eye(n)).max() < 1e-8
    row = _forget_one_no_input(cell, "c", "f", 3, 2, 0)
    assert row is not None and row.passed and "Ex 3(c)" in row.name
    assert _forget_one_no_input(CELLS["gru"], "h", "z", 3, 2, 0) is None  # no input gate term


def test_derived_total_lstm_jacobian_equals_the_textbook_formula_and_differences() -> None:
    """dc_t/dc_{t-1} = diag(f) + [diag(c_{t-1} f(1-f)) W_f + diag(g i(1-i)) W_i
    + diag(i (1-g^2)) W_g] diag(o_{t-1} (1 - tanh^2 c_{t-1})) (gated-cells.md, W recurrent)."""
    from symbptt.cells.jacobian import evaluate, total_jacobian_terms
    from symbptt.latex.cell_ir import CellPrinter

    cell = CELLS["lstm"]
    n = 3
    rng = np.random.default_rng(31)
    p = {q.key: rng.normal(0, 1.0, size=q.size(n, n)) for q in cell.params}
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    h0, c0 = rng.normal(size=n), rng.normal(size=n)
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    o1 = s(p["U_o"] @ x1 + p["W_o"] @ h0 + p["b_o"])
    h1, c1, _ = _lstm_step(p, x1, h0, c0)
    i = s(p["U_i"] @ x2 + p["W_i"] @ h1 + p["b_i"])
    f = s(p["U_f"] @ x2 + p["W_f"] @ h1 + p["b_f"])
    g = np.tanh(p["U_g"] @ x2 + p["W_g"] @ h1 + p["b_g"])
    D = np.diag(o1 * (1 - np.tanh(c1) ** 2))
    book = (
        np.diag(f)
        + (
            np.diag(c1 * f * (1 - f)) @ p["W_f"]
            + np.diag(g * i * (1 - i)) @ p["W_i"]
            + np.diag(i * (1 - g**2)) @ p["W_g"]
        )
        @ D
    )
    fd = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1e-6
        ends = []
        for c in (c1 + e, c1 - e):
            ends.append(_lstm_step(p, x2, o1 * np.tanh(c), c)[1])
        fd[:, j] = (ends[0] - ends[1]) / 2e-6
    np.testing.assert_allclose(book, fd, atol=1e-8)
    tr = forward(cell, p, np.stack([x1, x2])[:, None, :], {"h": h0[None], "c": c0[None]})
    at = {q: v[1, 0] for q, v in tr.values.items()}
    before = {q: v[0, 0] for q, v in tr.values.items()}
    terms = total_jacobian_terms(cell, "c")
    np.testing.assert_allclose(evaluate(cell, terms, p, x2, at, before), book, atol=1e-12)
    tex = CellPrinter(cell).jacobian(terms)
    assert tex.startswith(r"\operatorname{diag}\left(f_{t}\right) + ")
    assert all(f"W_{{{k}}}" in tex for k in "fig") and "W_{o}" not in tex
    assert tex.count(r"o_{t-1} \odot \left(1 - \tanh^{2}\left(c_{t-1}\right)\right)") == 3


def test_derived_total_gru_jacobian_equals_central_differences() -> None:
    from symbptt.cells.jacobian import evaluate, total_jacobian_terms

    cell = CELLS["gru"]
    n = 3
    rng = np.random.default_rng(32)
    p = {q.key: rng.normal(0, 1.0, size=q.size(n, n)) for q in cell.params}
    x, h = rng.normal(size=n), rng.normal(size=n)
    fd = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1e-6
        fd[:, j] = (_gru_step(p, x, h + e)[0] - _gru_step(p, x, h - e)[0]) / 2e-6
    tr = forward(cell, p, x[None, None, :], {"h": h[None]})
    at = {q: v[0, 0] for q, v in tr.values.items()}
    got = evaluate(cell, total_jacobian_terms(cell, "h"), p, x, at, {"h": h})
    np.testing.assert_allclose(got, fd, atol=1e-8)
    assert total_jacobian_terms(cell, "h")[0].factors[0].expr == Ref("z")  # diag(z_t) first


def test_a_peephole_forget_gate_breaks_the_product_statement_and_it_is_not_made() -> None:
    """f_t = sigma(U_f x + W_f h_{t-1} + p_f * c_{t-1} + b_f) reads c_{t-1}: along the direct path
    dc_t/dc_{t-1} is no longer diag(f_t) times anything, so checks and documents leave it out."""
    from symbptt.cells import Cell, Param
    from symbptt.cells.carousel import reads_own_state
    from symbptt.cells.checks import run
    from symbptt.cells.expr import Add, Apply, MatMul, ParamRef

    lstm = CELLS["lstm"]
    f_rhs = lstm.equation("f").rhs
    peep = Apply(
        "sigmoid",
        Add((*f_rhs.arg.terms[:2], Hadamard(ParamRef("p_f"), Prev("c")), f_rhs.arg.terms[2])),  # type: ignore[attr-defined]
    )
    eqs = tuple(dataclasses.replace(e, rhs=peep) if e.name == "f" else e for e in lstm.equations)
    cell = Cell("peephole", (*lstm.params, Param("p_f", ("n",))), lstm.states, eqs)
    assert isinstance(peep.arg.terms[0], MatMul)  # type: ignore[attr-defined]
    assert reads_own_state(cell, "c", "c") == ["f"]
    # the step partial (h_{t-1}, x_t fixed) is not diag(f): f_t reads c_{t-1}; the chain rule
    # still multiplies the true step partials, but no prod diag(f_i) statement is made
    assert partial(cell, "c", "c").statement == ""
    assert direct_term(cell, "c", "c").statement == "diag(f)"
    assert direct_path(cell, "c", 2).equal
    rows = run(cell, 2, 2)
    assert all(r.passed for r in rows), [(r.name, r.detail) for r in rows if not r.passed]
    assert not any("along the direct path" in r.name for r in rows)
