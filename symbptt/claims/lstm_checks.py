"""Homework 3 Ex 3: the LSTM claims, checked with symbptt.lstm (SymPy cell, numpy instances)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symbptt.claims.result import ClaimResult, verdict


def lstm_gates() -> ClaimResult:
    """Ex 3: the gates sigma(.) lie in (0, 1): sympy's range, limits and sigma' > 0, numeric extremes."""
    from symbptt.lstm import forward, sigmoid

    z = sp.Symbol("z", real=True)
    s = sigmoid(z)
    rng_ = sp.calculus.util.function_range(s, z, sp.S.Reals)
    lims = (sp.limit(s, z, -sp.oo), sp.limit(s, z, sp.oo))
    slope = sp.simplify(sp.diff(s, z) - s * (1 - s)) == 0 and sp.diff(s, z).is_positive
    edge = (sp.N(s.subs(z, -50), 30), sp.N(1 - s.subs(z, 50), 30))
    rng = np.random.default_rng(13)
    lo, hi = 1.0, 0.0
    for _ in range(50):
        n, m = 3, 2
        p = {f"{k}_{g}": rng.normal(size=(n, n + m) if k == "W" else n) * 3
             for g in "fioc" for k in ("W", "b")}  # fmt: skip
        out = forward(p, rng.normal(size=n), rng.normal(size=n), rng.normal(size=(8, m)))
        gates = np.concatenate([out[g].ravel() for g in "fio"])
        lo, hi = min(lo, float(gates.min())), max(hi, float(gates.max()))
    ok = (rng_ == sp.Interval.open(0, 1) and lims == (0, 1) and bool(slope)
          and edge[0] > 0 and edge[1] > 0 and 0 < lo and hi < 1)  # fmt: skip
    stmt = "the gates f_t, i_t, o_t = sigma(W_. [h_{t-1}; x_t] + b_.) are in (0, 1)"
    return ClaimResult("homework3", "ex3-gates", stmt, verdict(ok),
                       f"sympy: range of sigma over the reals = {rng_}, limits at -oo/+oo = "
                       f"{lims[0]}/{lims[1]} (not attained: sigma' = sigma(1 - sigma) > 0, strictly "
                       f"increasing); sigma(-50) = {float(edge[0]):.3g} and 1 - sigma(50) = "
                       f"{float(edge[1]):.3g} (30 digits); lstm.forward on 50 random cells "
                       f"(weights N(0, 9)): gate values in [{lo:.3g}, 1 - {1 - hi:.3g}]",
                       None, "symbptt.lstm")  # fmt: skip


# n = 1, m = 1, every weight 0 except b_c = -1, c_0 = h_0 = x_1 = 0: gates sigma(0) = 1/2.
_NEG = {"W_f": [[0.0, 0.0]], "W_i": [[0.0, 0.0]], "W_o": [[0.0, 0.0]], "W_c": [[0.0, 0.0]],
        "b_f": [0.0], "b_i": [0.0], "b_o": [0.0], "b_c": [-1.0]}  # fmt: skip


def lstm_negative() -> ClaimResult:
    """Ex 3: c~_t, c_t and h_t can be negative: one concrete cell, numpy and sympy agreeing."""
    from symbptt.lstm import cell, forward

    p = {k: np.array(v) for k, v in _NEG.items()}
    out = forward(p, np.zeros(1), np.zeros(1), np.zeros((1, 1)))
    exact = cell({k: sp.Matrix(np.atleast_2d(v).T if k[0] == "b" else v).applyfunc(sp.nsimplify)
                  for k, v in _NEG.items()}, sp.zeros(1, 1), sp.zeros(1, 1), sp.zeros(1, 1))  # fmt: skip
    vals = {k: float(out[k][0, 0]) for k in ("g", "c", "h")}
    agree = all(abs(float(exact[k][0]) - v) < 1e-15 for k, v in vals.items())
    ok = agree and all(v < 0 for v in vals.values())
    stmt = "c~_t, c_t and h_t can be negative"
    return ClaimResult("homework3", "ex3-negative", stmt, verdict(ok),
                       f"one cell, n = m = 1, all weights 0 except b_c = -1, c_0 = h_0 = x_1 = 0 "
                       f"(so every gate is sigma(0) = 1/2): c~_1 = tanh(-1) = {vals['g']:.4f}, "
                       f"c_1 = c~_1 / 2 = {vals['c']:.4f}, h_1 = tanh(c_1) / 2 = {vals['h']:.4f} "
                       f"(lstm.forward; sympy's cell gives {exact['h'][0]} for h_1)",
                       None, "symbptt.lstm")  # fmt: skip


def _lstm_instance(
    steps: int, seed: int = 17
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """A random n = 2, m = 1 cell (weights N(0, 2.25)), c_k, h_{k-1} and x_k..x_t."""
    rng = np.random.default_rng(seed)
    n, m = 2, 1
    p = {f"{k}_{g}": rng.normal(size=(n, n + m) if k == "W" else n) * 1.5
         for g in "fioc" for k in ("W", "b")}  # fmt: skip
    return p, rng.normal(size=n), rng.normal(size=n), rng.normal(size=(steps + 1, m))


def _sym_weights(p: dict[str, np.ndarray]) -> dict[str, list[tuple[sp.Symbol, float]]]:
    """The symbols of lstm.symbolic_weights(2, 1) paired with the instance p's numbers."""
    from symbptt.lstm import symbolic_weights

    w = symbolic_weights(2, 1)
    return {
        k: list(zip(w[k], np.asarray(v, dtype=float).ravel(), strict=True)) for k, v in p.items()
    }


def lstm_direct_path() -> ClaimResult:
    """Ex 3: dc_t/dc_k = diag(prod f_i) along the direct path (sympy, exact); the total differs."""
    from symbptt.lstm import direct_path, forward, logistic, total_jacobian

    stmt = "along the direct cell-state path dc_t/dc_k = prod_{i=k+1}^{t} f_i (i.e. diag(prod f_i))"
    exact_ok, gaps, agree = True, [], 0.0
    for steps in (1, 2, 3):
        J, c_k, forget = direct_path(2, 1, steps)
        D = sp.diag(*[sp.Mul(*[f[r] for f in forget]) for r in range(2)])
        exact_ok = exact_ok and (J - D).applyfunc(sp.simplify) == sp.zeros(2, 2)
        p, ck, hprev, xs = _lstm_instance(steps)
        o_k = logistic(p["W_o"] @ np.concatenate([hprev, xs[0]]) + p["b_o"])
        traj = forward(p, ck, o_k * np.tanh(ck), xs[1:])
        hs = [o_k * np.tanh(ck)] + list(traj["h"][:-1])
        sub = {sym: float(v) for k, M in _sym_weights(p).items() for sym, v in M}
        sub |= {sp.Symbol(f"h_k{s}_{r}", real=True): float(hs[s][r])
                for s in range(steps) for r in range(2)}  # fmt: skip
        sub |= {sp.Symbol(f"x_k{s}_0", real=True): float(xs[s, 0]) for s in range(1, steps + 1)}
        sub |= {c_k[r]: float(ck[r]) for r in range(2)}
        prod_f = traj["f"].prod(axis=0)
        agree = max(
            agree, float(np.abs(np.array(J.subs(sub), dtype=float) - np.diag(prod_f)).max())
        )
        total = total_jacobian(p, ck, hprev, xs)
        gaps.append(float(np.linalg.norm(total - np.diag(prod_f), 2)))
    ok = exact_ok and agree < 1e-12 and min(gaps) > 1e-3
    return ClaimResult("homework3", "ex3-direct-path", stmt, verdict(ok),
                       f"sympy, n = 2, m = 1, generic symbols for all weights, c_k, x_i and h_k.."
                       f"h_{{t-1}} held fixed: jacobian(c_t, c_k) - diag(prod_{{i=k+1}}^t f_i) "
                       f"simplifies to 0 for t - k = 1, 2, 3 (a gate reads h_{{i-1}}, not c, so "
                       f"each step's direct factor is diag(f_i) and the chain rule multiplies "
                       f"them); at a random instance the sympy Jacobian equals lstm.forward's "
                       f"prod f_i (max gap {agree:.1e}). 'Along the direct path' matters: the "
                       f"total dc_t/dc_k (c_k also moves h_k = o_k tanh(c_k) and the later gates; "
                       f"central differences) differs from diag(prod f_i) by "
                       f"{', '.join(f'{g:.3f}' for g in gaps)} (2-norm) at t - k = 1, 2, 3",
                       None, "symbptt.lstm")  # fmt: skip


def lstm_forget_one() -> ClaimResult:
    """Ex 3: with every forget gate 1, the direct-path product is 1 (exact substitution and limit)."""
    from symbptt.lstm import direct_path

    stmt = "prod_{i=k+1}^{t} f_i equals 1 when every forget gate is 1"
    J, _, forget = direct_path(2, 1, 3)
    subbed = J.xreplace({e: sp.Integer(1) for f in forget for e in f}) == sp.eye(2)
    lims = [sp.limit(J[r, r], sp.Symbol(f"b_f{r}", real=True), sp.oo) for r in range(2)]
    ok = subbed and lims == [1, 1]
    return ClaimResult("homework3", "ex3-forget-one", stmt, verdict(ok),
                       f"sympy, the t - k = 3 direct-path Jacobian (n = 2): every forget gate "
                       f"replaced by 1 gives the identity (each diagonal entry's product is 1); "
                       f"since a sigmoid gate never equals 1 (ex3-gates), that case is a limit: "
                       f"diagonal entry r -> {lims} as the forget bias b_f_r -> +oo",
                       None, "symbptt.lstm")  # fmt: skip
