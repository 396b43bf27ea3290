"""Homework 3 Ex 3: the LSTM claims, checked by the cells pipeline (the homework3-lstm cell's IR
drives the SymPy step, the direct-path Jacobians and the generated numpy engine)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symbptt.claims.result import ClaimResult, verdict

BY = "symbptt.cells (homework3-lstm)"


def _cell():  # noqa: ANN202 - the cells package is loaded only when a claim is checked
    from symbptt.cells import CELLS

    return CELLS["homework3-lstm"]


def lstm_gates() -> ClaimResult:
    """Ex 3: the gates sigma(.) lie in (0, 1): sympy's range, limits and sigma' > 0, numeric extremes."""
    from symbptt.cells.functions import FUNCTIONS
    from symbptt.cells.numeric import forward

    z = sp.Symbol("z", real=True)
    s = FUNCTIONS["sigmoid"].sympy(z).rewrite(sp.exp)
    rng_ = sp.calculus.util.function_range(s, z, sp.S.Reals)
    lims = (sp.limit(s, z, -sp.oo), sp.limit(s, z, sp.oo))
    slope = sp.simplify(sp.diff(s, z) - s * (1 - s)) == 0 and sp.diff(s, z).is_positive
    edge = (sp.N(s.subs(z, -50), 30), sp.N(1 - s.subs(z, 50), 30))
    rng = np.random.default_rng(13)
    lo, hi = 1.0, 0.0
    cell = _cell()
    for _ in range(50):
        n, m = 3, 2
        p = {q.key: rng.normal(size=q.size(n, m)) * 3 for q in cell.params}
        s0 = {st: rng.normal(size=(1, n)) for st in cell.states}
        out = forward(cell, p, rng.normal(size=(8, 1, m)), s0)
        gates = np.concatenate([out.values[g].ravel() for g in "fio"])
        lo, hi = min(lo, float(gates.min())), max(hi, float(gates.max()))
    ok = (rng_ == sp.Interval.open(0, 1) and lims == (0, 1) and bool(slope)
          and edge[0] > 0 and edge[1] > 0 and 0 < lo and hi < 1)  # fmt: skip
    stmt = "the gates f_t, i_t, o_t = sigma(W_. h_{t-1} + U_. x_t + b_.) are in (0, 1)"
    return ClaimResult("homework3", "ex3-gates", stmt, verdict(ok),
                       f"sympy: range of sigma over the reals = {rng_}, limits at -oo/+oo = "
                       f"{lims[0]}/{lims[1]} (not attained: sigma' = sigma(1 - sigma) > 0, strictly "
                       f"increasing); sigma(-50) = {float(edge[0]):.3g} and 1 - sigma(50) = "
                       f"{float(edge[1]):.3g} (30 digits); the homework3-lstm cell on 50 random "
                       f"instances (weights N(0, 9), generated engine): gate values in "
                       f"[{lo:.3g}, 1 - {1 - hi:.3g}]",
                       None, BY)  # fmt: skip


def lstm_negative() -> ClaimResult:
    """Ex 3: c~_t, c_t and h_t can be negative: one concrete cell, numpy and sympy agreeing."""
    from symbptt.cells.functions import FUNCTIONS, Sigmoid
    from symbptt.cells.numeric import forward
    from symbptt.cells.symbolic import Env, step

    cell = _cell()
    # n = m = 1, every weight 0 except b_C = -1, C_0 = h_0 = x_1 = 0: gates sigma(0) = 1/2.
    p = {q.key: np.zeros(q.size(1, 1)) for q in cell.params}
    p["b_C"] = np.array([-1.0])
    out = forward(cell, p, np.zeros((1, 1, 1)), {st: np.zeros((1, 1)) for st in cell.states})
    sym = {k: sp.Matrix(np.atleast_2d(v).tolist()).applyfunc(sp.nsimplify) for k, v in p.items()}
    zero = sp.zeros(1, 1)
    exact = step(cell, Env(sym, zero, {st: zero for st in cell.states}, {}, {}, {}))
    closed = FUNCTIONS["sigmoid"].sympy_closed  # sigma as 1 / (1 + e^{-x}), from the table
    exact = {k: v.applyfunc(lambda e: e.replace(Sigmoid, closed)) for k, v in exact.items()}
    names = {"g": "Ctilde", "c": "C", "h": "h"}
    vals = {k: float(out.values[q][0, 0, 0]) for k, q in names.items()}
    agree = all(abs(float(exact[names[k]][0]) - v) < 1e-15 for k, v in vals.items())
    ok = agree and all(v < 0 for v in vals.values())
    stmt = "c~_t, c_t and h_t can be negative"
    return ClaimResult("homework3", "ex3-negative", stmt, verdict(ok),
                       f"one cell, n = m = 1, all weights 0 except b_C = -1, C_0 = h_0 = x_1 = 0 "
                       f"(so every gate is sigma(0) = 1/2): C~_1 = tanh(-1) = {vals['g']:.4f}, "
                       f"C_1 = C~_1 / 2 = {vals['c']:.4f}, h_1 = tanh(C_1) / 2 = {vals['h']:.4f} "
                       f"(generated engine; the cell's SymPy step gives {exact['h'][0]} for h_1)",
                       None, BY)  # fmt: skip


def _instance(steps: int, seed: int = 17) -> tuple[dict[str, np.ndarray], dict, np.ndarray]:
    """A random n = 2, m = 1 cell (weights N(0, 2.25)), the states before step k, x_k..x_t."""
    rng = np.random.default_rng(seed)
    n, m = 2, 1
    p = {q.key: rng.normal(size=q.size(n, m)) * 1.5 for q in _cell().params}
    prev = {"h": rng.normal(size=n), "C": rng.normal(size=n)}
    return p, prev, rng.normal(size=(steps + 1, m))


def lstm_direct_path() -> ClaimResult:
    """Ex 3: dc_t/dc_k = diag(prod f_i) along the direct path (sympy, exact); the total differs."""
    from symbptt.cells.carousel import direct_path, total_jacobian
    from symbptt.cells.numeric import forward
    from symbptt.cells.symbolic import param_symbols, vector

    cell = _cell()
    stmt = "along the direct cell-state path dc_t/dc_k = prod_{i=k+1}^{t} f_i (i.e. diag(prod f_i))"
    exact_ok, gaps, agree = True, [], 0.0
    for steps in (1, 2, 3):
        d = direct_path(cell, "C", steps, 2, 1)
        exact_ok = exact_ok and d.equal
        p, prev, xs = _instance(steps)
        tr = forward(cell, p, xs[:, None, :], {k: v[None, :] for k, v in prev.items()})
        C, h, f = (tr.values[q][:, 0] for q in ("C", "h", "f"))
        sub = {s: float(v) for k, M in param_symbols(cell, 2, 1).items()
               for s, v in zip(M, np.ravel(p[k]), strict=True)}  # fmt: skip
        sub |= dict(zip(vector("C_k", 2), C[0], strict=True))
        for i in range(1, steps + 1):  # h_k..h_{t-1} held fixed at the trajectory's values
            sub |= dict(zip(vector(f"h_k{i - 1}", 2), h[i - 1], strict=True))
            sub |= dict(zip(vector(f"x_k{i}", 1), xs[i], strict=True))
        J = np.array(d.jacobian.xreplace(sub).evalf(), dtype=float)
        prod_f = f[1:].prod(axis=0)
        agree = max(agree, float(np.abs(J - np.diag(prod_f)).max()))
        total = total_jacobian(cell, "C", p, xs, prev)
        gaps.append(float(np.linalg.norm(total - np.diag(prod_f), 2)))
    ok = exact_ok and agree < 1e-12 and min(gaps) > 1e-3
    return ClaimResult("homework3", "ex3-direct-path", stmt, verdict(ok),
                       f"sympy, n = 2, m = 1, generic symbols for all weights, c_k, x_i and h_k.."
                       f"h_{{t-1}} held fixed: jacobian(c_t, c_k) equals the product of the step "
                       f"partials diag(f_i) exactly, as polynomials in the gate atoms, for t - k = "
                       f"1, 2, 3 (each step's partial dC_i/dC_(i-1) = diag(f_i) is derived from the "
                       f"cell's C equation: a gate reads h_(i-1), not C); at a random instance the "
                       f"sympy Jacobian equals the generated engine's prod f_i (max gap "
                       f"{agree:.1e}). 'Along the direct path' matters: the total dc_t/dc_k (c_k "
                       f"also moves h_k = o_k tanh(c_k) and the later gates; central differences) "
                       f"differs from diag(prod f_i) by {', '.join(f'{g:.3f}' for g in gaps)} "
                       f"(2-norm) at t - k = 1, 2, 3",
                       None, BY)  # fmt: skip


def lstm_forget_one() -> ClaimResult:
    """Ex 3: with every forget gate 1, the direct-path product is 1 (exact substitution and limit)."""
    from symbptt.cells.carousel import direct_path

    stmt = "prod_{i=k+1}^{t} f_i equals 1 when every forget gate is 1"
    d = direct_path(_cell(), "C", 3, 2, 1)
    ones = {e: sp.Integer(1) for names in d.names for e in names["f"]}
    subbed = d.product.xreplace(ones) == sp.eye(2)
    lims = [
        sp.limit(d.jacobian[r, r].rewrite(sp.exp), sp.Symbol(f"b_f[{r}]", real=True), sp.oo)
        for r in range(2)
    ]
    ok = subbed and lims == [1, 1]
    return ClaimResult("homework3", "ex3-forget-one", stmt, verdict(ok),
                       f"sympy, the t - k = 3 direct-path Jacobian (n = 2): every forget gate "
                       f"replaced by 1 gives the identity (each diagonal entry's product is 1); "
                       f"since a sigmoid gate never equals 1 (ex3-gates), that case is a limit: "
                       f"diagonal entry r -> {lims} as the forget bias b_f_r -> +oo",
                       None, BY)  # fmt: skip
