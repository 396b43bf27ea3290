"""The checker's truth (exact by the engine's BPTT, else central differences) against independent
computations: central differences of loops written here, and the symbolic core."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.answers.evaluate import Evaluator
from symbptt.answers.truth import Definitions, World
from symbptt.catalog import load
from symbptt.mathtext.parse import parse_latex


def _dl4nlp_loss(P: dict[str, np.ndarray], w: World) -> float:
    """E = sum_t -y_t^T log softmax(V h_t), h_t = tanh(U h_{t-1} + W x_t): dl4nlp's equations
    (U recurrent, W input, V output), written here as a loop."""
    h, E = w.h0, 0.0
    for t in range(1, w.T + 1):
        h = np.tanh(P["recurrent"] @ h + P["input"] @ w.xs[t])
        z = P["output"] @ h
        z = z - z.max()
        E -= float((w.targets[t] * (z - np.log(np.exp(z).sum()))).sum())
    return E


@pytest.mark.parametrize(
    ("symbol", "role"),
    [("U", "recurrent"), ("W", "input"), ("V", "output")],
    ids=["dl4nlp-U", "dl4nlp-W", "dl4nlp-V"],
)
def test_graph_derivative_matches_central_differences(symbol: str, role: str) -> None:
    # The checker's exact derivative (engine BPTT) against central differences of the loss
    # computed in this test; dl4nlp calls the recurrent matrix U (roles, not letters).
    w = World(load("dl4nlp"), Definitions(), T=4, n=3, m=2, k=3, seed=5)
    got = Evaluator(w)(parse_latex(f"\\frac{{\\partial E}}{{\\partial {symbol}}}"))
    assert not w.fd_used  # the exact route, not the checker's own central differences
    want = np.zeros_like(w.params[role])
    for idx in np.ndindex(want.shape):
        vals = []
        for sign in (1.0, -1.0):
            P = {r: v.copy() for r, v in w.params.items()}
            P[role][idx] += sign * 1e-6
            vals.append(_dl4nlp_loss(P, w))
        want[idx] = (vals[0] - vals[1]) / 2e-6
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_softmax_targets_are_probability_vectors() -> None:
    w = World(load("dl4nlp"), Definitions(), T=3, n=2, m=2, k=3, seed=1)
    assert np.allclose(w.targets.sum(axis=1), 1.0) and (w.targets > 0).all()


def test_local_and_total_derivatives_differ_only_after_the_last_step() -> None:
    # homework3: L = sum_t L_t; dL/dh_T = dL_T/dh_T (nothing later), but dL/dh_1 != dL_1/dh_1.
    w = World(load("homework3"), Definitions(), T=3, n=2, m=2, seed=0)
    ev = Evaluator(w)
    total = [ev(parse_latex(f"\\frac{{\\partial L}}{{\\partial h_{t}}}")) for t in (1, 3)]
    local = [ev(parse_latex(f"\\frac{{\\partial L_{t}}}{{\\partial h_{t}}}")) for t in (1, 3)]
    np.testing.assert_allclose(total[1], local[1], rtol=1e-7)
    assert not np.allclose(total[0], local[0], rtol=1e-3)


# Quantities the exact path covers, one per kind of slot: parameters, states, pre-activations,
# inputs, output pre-activations, step losses and state Jacobians.
EXACT_CASES = [
    ("dl4nlp", "\\frac{\\partial E}{\\partial U}"),
    ("dl4nlp", "\\frac{\\partial E_2}{\\partial s_1}"),
    ("dl4nlp", "\\frac{\\partial E}{\\partial h_1}"),
    ("dl4nlp", "\\frac{\\partial E}{\\partial z_3}"),
    ("dl4nlp", "\\frac{\\partial h_3}{\\partial h_1}"),
    ("dl4nlp", "\\frac{\\partial E}{\\partial x_2}"),
    ("homework3", "\\frac{\\partial L_2}{\\partial h_1}"),
    ("homework3", "\\frac{\\partial L}{\\partial W}"),
    ("tutorial", "\\frac{\\partial E}{\\partial \\mathrm{net}_1}"),
    ("blog", "\\frac{\\partial L_3}{\\partial W_x}"),
    ("blog", "\\frac{\\partial L}{\\partial b_y}"),
    ("course-notes", "\\frac{\\partial E}{\\partial s_0}"),
]


@pytest.mark.parametrize(("name", "tex"), EXACT_CASES, ids=[f"{m}-{i}" for i, (m, _) in
                                                           enumerate(EXACT_CASES)])  # fmt: skip
def test_exact_derivative_agrees_with_the_central_difference_fallback(name: str, tex: str) -> None:
    # Two independent routes: the engine's BPTT (exact) and central differences through the
    # checker's own forward pass (error ~1e-8); only the first may skip the fallback.
    node = parse_latex(tex)
    exact = World(load(name), Definitions(), T=3, n=3, m=2, k=2, seed=4)
    fd = World(load(name), Definitions(), T=3, n=3, m=2, k=2, seed=4, exact_derivatives=False)
    got, want = Evaluator(exact)(node), Evaluator(fd)(node)
    assert not exact.fd_used and fd.fd_used
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("name", "role", "tex"),
    [("dl4nlp", "recurrent", "U"), ("blog", "input", "W_x"), ("tutorial", "recurrent", "W")],
    ids=["dl4nlp-U", "blog-W_x", "tutorial-W"],
)
def test_exact_derivative_matches_the_symbolic_core_to_rounding(
    name: str, role: str, tex: str
) -> None:
    # A third, independent source: the symbolic core's chain rule on the unrolled graph,
    # lambdified and evaluated at the same point (T = 2, n = 2); agreement to ~1e-13.
    from symbptt.model import Role
    from symbptt.symbolic.gradients import direct
    from symbptt.symbolic.unroll import unroll

    model = load(name)
    T, n, m, k = 2, 2, 2, 2
    w = World(model, Definitions(), T=T, n=n, m=m, k=k, seed=7)
    got = Evaluator(w)(
        parse_latex(f"\\frac{{\\partial {model.notation.loss.latex}}}{{\\partial {tex}}}")
    )
    u = unroll(model, T, n, m, k)
    fn = u.lambdify(list(direct(u, Role(role))))
    params = {Role(r): v for r, v in w.params.items()}
    upstream = w.loss_weights[1:, :, 0] if not model.has_output_layer else None
    targets = w.targets[1:, :, 0] if model.has_output_layer else None
    vals = u.values(params, w.xs[1:, :, 0], w.h0[:, 0], targets, upstream)
    want = np.array(fn(*vals), dtype=float).reshape(got.shape)
    assert not w.fd_used
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_a_formula_off_by_a_tiny_term_is_caught_by_the_exact_truth(monkeypatch) -> None:
    # dE/dV = sum_t (yhat_t - y_t) h_t^T exactly; adding 10^{-8} V changes it by ~1e-8 relative:
    # below the 1e-6 that central differences allow, above the 1e-9 of the exact truth.
    from symbptt.answers import exact
    from symbptt.answers.judge import AnswerSpec, judge

    right = "\\frac{\\partial E}{\\partial V} = \\sum_{t=1}^{T} (\\hat{y}_t - y_t) h_t^\\top"
    tiny = AnswerSpec("tiny", right + " + 10^{-8} V")
    model = load("dl4nlp")
    assert judge(AnswerSpec("right", right), model).verdict == "correct"
    caught = judge(tiny, model)
    assert caught.verdict == "wrong" and "1e-09 (truth by exact BPTT)" in caught.tolerance
    monkeypatch.setattr(exact, "available", lambda model: False)  # the old truth: FD only
    missed = judge(tiny, model)
    assert missed.verdict == "correct" and "central differences" in missed.tolerance
