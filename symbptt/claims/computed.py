"""Claims checked by computation in other modules: eigen, flow, the engine and verify."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from symbptt.claims.result import ClaimResult, verdict


def power_by_factors() -> ClaimResult:
    """Ex 2(b): M = Q Lambda Q^{-1} => M^n = Q Lambda^n Q^{-1}, exactly on random rational cases."""
    from symbptt.eigen import power_from_factors

    rng = np.random.default_rng(2)
    for case in range(4):
        size = 2 + case % 2
        Q = rng.integers(-3, 4, size=(size, size))
        while round(np.linalg.det(Q)) == 0:
            Q = rng.integers(-3, 4, size=(size, size))
        lam = [sp.Rational(int(p), 5) for p in rng.integers(-7, 8, size=size)]
        M = sp.Matrix(Q.tolist()) * sp.diag(*lam) * sp.Matrix(Q.tolist()).inv()
        for n in range(0, 9):
            got = power_from_factors(Q.tolist(), lam, n, exact=True).power
            if sp.Matrix(got) != M**n:  # M**n: repeated multiplication, independent of eigen
                ce = {"Q": Q.tolist(), "Lambda": [str(v) for v in lam], "n": n}
                return ClaimResult("homework3", "ex2b", _EX2B, "wrong",
                                   "Q Lambda^n Q^{-1} differs from M^n", ce, "symbptt.eigen")  # fmt: skip
    return ClaimResult("homework3", "ex2b", _EX2B, "confirmed",
                       "Q Lambda^n Q^{-1} (eigen.power_from_factors, exact) equals M multiplied "
                       "n times, n = 0..8, on 4 random rational Q and Lambda (2x2 and 3x3)",
                       None, "symbptt.eigen")  # fmt: skip


_EX2B = "M = Q Lambda Q^{-1} implies M^n = Q Lambda^n Q^{-1} (by induction)"


def powers_vanish_or_explode() -> ClaimResult:
    """Ex 2(c) conclusion: all |eigenvalues| < 1 => M^n -> 0 exponentially; any > 1 => blow-up."""
    from symbptt.eigen import matrix_power_eig

    stmt = ("all |eigenvalues| < 1: M^n -> 0 exponentially (vanishing); any |eigenvalue| > 1: "
            "M^n blows up (exploding)")  # fmt: skip
    rng = np.random.default_rng(3)
    worst: list[str] = []
    for case in range(6):
        A = rng.normal(size=(3, 3)) + (2.0 * np.triu(np.ones((3, 3)), 1) if case % 2 else 0.0)
        for rho in (0.9, 1.1):
            M = A * rho / max(abs(np.linalg.eigvals(A)))
            norms = [np.linalg.norm(matrix_power_eig(M, n).power, 2) for n in (100, 200, 400)]
            rate = norms[2] ** (1 / 400)
            ok = abs(rate - rho) < 0.05 * rho and (norms[2] < norms[1] < norms[0] if rho < 1
                                                  else norms[2] > norms[1] > norms[0])  # fmt: skip
            if not ok:
                ce = {"M": M.tolist(), "norms at n = 100, 200, 400": norms}
                return ClaimResult("homework3", "ex2c-conclusion", stmt, "wrong",
                                   f"||M^n|| does not behave like {rho}^n", ce, "symbptt.eigen")  # fmt: skip
            worst.append(f"{rate:.3f}")
    return ClaimResult("homework3", "ex2c-conclusion", stmt, "confirmed",
                       "||M^n||_2^(1/n) at n = 400 is within 5% of the spectral radius (0.9 or "
                       "1.1) and ||M^n|| falls (rises) monotonically over n = 100, 200, 400, on 6 "
                       "random 3x3 matrices (3 far from normal) each scaled to radius 0.9 and 1.1",
                       None, "symbptt.eigen")  # fmt: skip


def unit_eigenvalues() -> ClaimResult:
    """Ex 2(c): "all eigenvalues equal 1 => the power equals the matrix" (a Jordan block refutes)."""
    from symbptt.eigen import unit_eigenvalue_counterexample

    stmt = "when all eigenvalues equal 1 the power equals the original matrix"
    demo = unit_eigenvalue_counterexample()
    ident = unit_eigenvalue_counterexample([[1, 0], [0, 1]])
    ce = None if demo.claim_holds else {
        "M": [[int(v) for v in r] for r in demo.M.tolist()], "n": demo.n,
        "M^n": [[int(v) for v in r] for r in demo.power.tolist()],
    }  # fmt: skip
    why = f"{demo.explanation}; for the diagonalizable case ({ident.explanation})"
    return ClaimResult("homework3", "ex2c-unit-eigenvalues", stmt,
                       verdict(demo.claim_holds and ident.claim_holds), why, ce, "symbptt.eigen")  # fmt: skip


def derivative_bound(text: str, ident: str, activations: Sequence[str]) -> ClaimResult:
    """sup tanh' = 1, sup sigmoid' = 1/4, both > 0: flow's gamma against an exact identity and a grid."""
    from symbptt.cells.functions import FUNCTIONS
    from symbptt.flow import GAMMA, activation_derivative

    x = sp.Symbol("x", real=True)
    # deliberately typed from the definitions, not read from FUNCTIONS: it checks the table's bound
    exact = {"tanh": sp.tanh(x), "sigmoid": 1 / (1 + sp.exp(-x))}
    grid = np.linspace(-10.0, 10.0, 200001)  # contains 0, where both maxima sit
    bits, ok = [], True
    for act in activations:
        f = exact[act]
        # f' = c - (f - a)^2 with gamma = c: tanh' = 1 - tanh^2, sigmoid' = 1/4 - (sigmoid - 1/2)^2
        c, a = (
            (sp.Integer(1), sp.Integer(0))
            if act == "tanh"
            else (sp.Rational(1, 4), sp.Rational(1, 2))
        )
        identity = sp.simplify(sp.diff(f, x) - (c - (f - a) ** 2)) == 0
        vals = activation_derivative(act, grid)
        hit = float(vals.max()) == float(c) and float(grid[vals.argmax()]) == 0.0
        table = FUNCTIONS[act].bound == c  # the function table's sup |f'|
        ok = ok and identity and hit and bool(vals.min() > 0) and GAMMA[act] == float(c) and table
        square = f"{act}^2" if a == 0 else f"({act} - {a})^2"
        bits.append(f"{act}' = {c} - {square} exactly (sympy), and {act} is real, so "
                    f"{act}' <= {c} with equality at 0; on a grid over [-10, 10]: max "
                    f"{vals.max():.17g} at 0, min {vals.min():.3g} > 0; flow.GAMMA = {GAMMA[act]}")  # fmt: skip
    stmt = ", ".join(
        {"tanh": "tanh' in (0, 1]", "sigmoid": "sigmoid' in (0, 1/4]"}[a] for a in activations
    )
    return ClaimResult(text, ident, stmt, verdict(ok), "; ".join(bits), None, "symbptt.flow")


def delta_norm_bound() -> ClaimResult:
    """Tutorial: ||delta_k|| <= ||delta_t|| (beta_W beta_f)^{t-k}, engine deltas, random instances."""
    from symbptt import engine
    from symbptt.cells.functions import FUNCTIONS

    tanh_prime = FUNCTIONS["tanh"].d_in
    stmt = (
        "||delta_k|| <= ||delta_t|| (beta_W beta_f)^{t-k}, beta_W >= ||W||, beta_f >= ||diag f'||"
    )
    rng = np.random.default_rng(5)
    worst, T, n, m = 0.0, 12, 4, 3
    for case in range(30):
        scale = (0.5, 1.0, 2.5)[case % 3]
        params = {"U": rng.normal(size=(n, m)), "W": rng.normal(size=(n, n)) * scale / np.sqrt(n)}
        trace = engine.forward(params, rng.normal(size=(T, m)), activation="tanh", output=None)
        dh = np.zeros((T, n))
        dh[-1] = rng.normal(size=n)  # E = <a, s_T>: a loss of the last state, as in the chapter
        delta = engine.backward(trace, dh=dh).delta
        beta_w = np.linalg.norm(params["W"], 2)
        beta_f = float(np.max(tanh_prime(trace.net)))  # max ||diag f'(net_i)||_2
        for t in range(T):
            for k in range(t + 1):
                bound = np.linalg.norm(delta[t]) * (beta_w * beta_f) ** (t - k)
                ratio = np.linalg.norm(delta[k]) / bound if bound > 0 else 0.0
                if ratio > 1 + 1e-12:
                    ce = {"case": case, "sizes": {"T": T, "n": n, "m": m},
                          "indices": {"k": k + 1, "t": t + 1}, "ratio": ratio}  # fmt: skip
                    return ClaimResult("tutorial", "eq3-bound", stmt, "wrong",
                                       "a delta exceeds the bound", ce, "symbptt.engine")  # fmt: skip
                if k < t:  # k = t is equality
                    worst = max(worst, ratio)
    return ClaimResult("tutorial", "eq3-bound", stmt, "confirmed",
                       f"engine deltas (tanh, E = a loss of s_T) on 30 random instances, T = {T}, "
                       f"n = {n}, ||W|| scaled 0.5..2.5, every 1 <= k <= t <= T, with the tightest "
                       f"beta_W = ||W||_2, beta_f = max_i max|f'(net_i)|: largest ratio "
                       f"||delta_k|| / bound over k < t = {worst:.3f}", None, "symbptt.engine")  # fmt: skip


def jacobian_vanishing(text: str, ident: str, activation: str, what: str) -> ClaimResult:
    """||dh_t/dh_0|| <= (gamma ||W||)^t -> 0 when ||W||_2 < 1/gamma, along flow trajectories."""
    from symbptt.flow import GAMMA, gradient_flow

    stmt = (f"{what}: with ||{'U' if text == 'dl4nlp' else 'W_h'}||_2 < 1/gamma = "
            f"{'1' if activation == 'tanh' else '4'} the Jacobian product vanishes")  # fmt: skip
    rng = np.random.default_rng(7)
    worst, last = 0.0, 0.0
    for case in range(10):
        A = rng.normal(size=(4, 4))
        W = A * (0.9 / GAMMA[activation]) / np.linalg.norm(A, 2)  # sigma_max = 0.9 / gamma
        rep = gradient_flow(W, activation, steps=60, seed=case)
        norms, bounds = np.array(rep.jacobian_norms), np.array(rep.pascanu_bounds)
        if rep.pascanu != "vanishing-guaranteed" or np.any(norms > bounds * (1 + 1e-12)):
            ce = {"W": W.tolist(), "norms": norms.tolist(), "bounds": bounds.tolist()}
            return ClaimResult(text, ident, stmt, "wrong", "the bound fails", ce, "symbptt.flow")
        worst = max(worst, float(np.max(norms / bounds)))
        last = max(last, float(norms[-1]))
    return ClaimResult(text, ident, stmt, "confirmed",
                       f"flow.gradient_flow ({activation}) on 10 random 4x4 W with sigma_max = "
                       f"0.9/gamma: ||dh_t/dh_0||_2 <= (gamma sigma_max)^t = 0.9^t for t = 1..60 "
                       f"(largest ratio {worst:.3f}), largest ||dh_60/dh_0||_2 = {last:.2e}",
                       None, "symbptt.flow")  # fmt: skip


def clipping() -> ClaimResult:
    """dl4nlp: clipping by the global norm rescales every gradient by threshold / norm when above."""
    from symbptt import engine

    stmt = "clipping by the global norm: when the norm exceeds the threshold, rescale all by threshold / norm"
    rng = np.random.default_rng(11)
    T, n, m, k = 5, 3, 2, 3
    params = {"U": rng.normal(size=(n, m)), "W": rng.normal(size=(n, n)) * 1.5,
              "V": rng.normal(size=(k, n))}  # fmt: skip
    trace = engine.forward(params, rng.normal(size=(T, m)), activation="tanh", output="softmax")
    targets = rng.integers(0, k, size=T)
    full = engine.backward(trace, targets=targets)
    norm = float(np.sqrt(sum(np.sum(full[p] ** 2) for p in params)))  # computed here, not by engine
    for threshold in (norm / 3, norm * 2):
        got = engine.backward(trace, targets=targets, clip=threshold)
        scale = min(1.0, threshold / norm)
        after = float(np.sqrt(sum(np.sum(got[p] ** 2) for p in params)))
        ok = all(np.allclose(got[p], full[p] * scale, rtol=1e-12, atol=0) for p in params)
        if not ok or abs(after - min(norm, threshold)) > 1e-12 * norm:
            ce = {"threshold": threshold, "norm": norm, "norm after": after}
            return ClaimResult("dl4nlp", "clip-global-norm", stmt, "wrong",
                               "clipped gradients are not the rescaled ones", ce, "symbptt.engine")  # fmt: skip
    return ClaimResult("dl4nlp", "clip-global-norm", stmt, "confirmed",
                       f"engine.backward(clip=) on a random instance (global norm {norm:.3f}): at "
                       f"threshold norm/3 every gradient equals the unclipped one times 1/3 and "
                       f"the norm becomes the threshold (direction kept); at 2 norm nothing changes",
                       None, "symbptt.engine")  # fmt: skip


def upstream_backward() -> ClaimResult:
    """Course notes: the upstream-gradient backward pass is the gradient of E = sum_t <ds_t, s_t>."""
    from symbptt.catalog import load
    from symbptt.verify import check_upstream

    stmt = "rnn_backward with upstream ds is the gradient of the linear loss E = sum_t <ds_t, s_t>"
    checks = [check_upstream(load("course-notes"), T, n, seed=T) for T, n in ((2, 2), (3, 2))]
    ok = all(c.passed for c in checks)
    errs = ", ".join(f"{c.max_error:.1e}" for c in checks)
    return ClaimResult("course-notes", "upstream-linear-loss", stmt, verdict(ok),
                       f"verify.check_upstream: symbolic BPTT of that loss vs the engine's "
                       f"upstream (dh) mode for dU, dW, db_a, ds0 and dx at T = 2, 3, n = 2: "
                       f"relative errors {errs}", None, "symbptt.verify")  # fmt: skip


def explodes_large_wh() -> ClaimResult:
    """Blog: "the farthest term (sigma' 3x, W_h 2x) is why it explodes for large W_h"; a larger W_h vanishes."""
    from symbptt.flow import activation_derivative, gradient_flow

    stmt = ("the farthest path term (sigma' three times, W_h twice) is why the gradient explodes "
            "for large W_h")  # fmt: skip
    T, runs = 30, {}
    for w in (6.0, 20.0):  # scalar blog model, W_x = -3, x_t = 1, h_0 = 1/2: a_1 = w/2 - 3
        rep = gradient_flow([[w]], "sigmoid", steps=T, U=[[-3.0]], xs=np.ones((T, 1)), h0=[0.5])
        d = activation_derivative("sigmoid", rep.nets[:3, 0])
        # sigma'(a_3) W_h sigma'(a_2) W_h sigma'(a_1) x_1: the farthest term between y_3 and W_x
        runs[w] = (np.array(rep.jacobian_norms), float(d[2] * w * d[1] * w * d[0]), rep.pascanu)
    (up, far6, p6), (down, far20, p20) = runs[6.0], runs[20.0]
    explodes = bool(np.all(np.diff(up) > 0) and up[-1] > 1e5)
    vanishes = bool(np.all(np.diff(down) < 0) and down[-1] < 1e-100 and down[-1] > 0)
    ce = {"model": "scalar h_t = sigma(W_h h_{t-1} + W_x x_t), W_x = -3, x_t = 1, h_0 = 1/2",
          "W_h = 6": f"|dh_{T}/dh_0| = {up[-1]:.3g}, farthest term factor {far6:.4g}",
          "W_h = 20": f"|dh_{T}/dh_0| = {down[-1]:.3g}, farthest term factor {far20:.3g}"}  # fmt: skip
    why = (f"the sentence pairs 'small W_h -> vanishes' (true: vanishing-small-Wh) with 'large W_h "
           f"-> explodes', but sigma'(a) depends on W_h through a = W_h h + W_x x and falls like "
           f"e^-|a|, so a large W_h makes explosion possible (Pascanu reading for both: {p6}, "
           f"{p20}), not certain. "
           f"flow.gradient_flow on the blog's scalar model: W_h = 6 keeps a_t = 0 (h_t = 1/2, "
           f"sigma' = 1/4), |dh_t/dh_0| = 1.5^t rises every step to {up[-1]:.3g} at t = {T} "
           f"(explodes); the larger W_h = 20 saturates (a_1 = 7, then a_t ~ 17), |dh_t/dh_0| "
           f"falls every step to {down[-1]:.3g} (vanishes), and the three-step farthest term's "
           f"factor sigma'(a_3) W_h sigma'(a_2) W_h sigma'(a_1) x_1 drops from {far6:.4g} to "
           f"{far20:.3g}")  # fmt: skip
    if not (explodes and vanishes):
        return ClaimResult("blog", "explodes-large-Wh", stmt, "undecided",
                           "the two instances did not explode and vanish as expected", ce,
                           "symbptt.flow")  # fmt: skip
    return ClaimResult("blog", "explodes-large-Wh", stmt, "wrong", why, ce, "symbptt.flow")
