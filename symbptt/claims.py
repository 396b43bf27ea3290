"""The source texts' claims and their verdicts, computed: answer files plus the other modules' checks.

Claims an answer can state are in derivations/claims/<text>.yaml and judged by `symbptt check`;
the rest (matrix powers, derivative bounds, norm bounds, clipping) are computed here by eigen,
flow, engine and verify. Claims nothing can state yet are listed in NOT_EXPRESSIBLE, undecided.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from symbptt.catalog import DERIVATIONS_DIR
from symbptt.errors import InputError

TEXTS: tuple[str, ...] = ("tutorial", "course-notes", "blog", "homework3", "dl4nlp")
CLAIMS_DIR = DERIVATIONS_DIR / "claims"
JOBS = 2
_VERDICT = {"correct": "confirmed", "wrong": "wrong", "undecided": "undecided"}
_CLAIM_COMMENT = re.compile(r"^\s*#\s?(claim:)?\s?(.*)$")
_ID_LINE = re.compile(r"^\s*-\s*id:\s*['\"]?([^'\"\s#]+)")

# (text, id, statement, why no answer file or module can check it yet)
NOT_EXPRESSIBLE: tuple[tuple[str, str, str, str], ...] = (
    ("tutorial", "eq6-proof",
     "proof of eq. 6 with the 4-D tensor dW/dW: grad_W E = grad_{W,t} E + delta_{t-1}^T "
     "dnet_{t-1}/dW = ...",
     "dnet_{t-1}/dW is a vector-by-matrix (3-D) tensor contracted with delta; the answer grammar "
     "has matrices and vectors only (its result, eq. 6, is checked)"),
    ("tutorial", "remedies",
     "remedies: good initialisation, ReLU, LSTM/GRU; gradient clipping for explosion",
     "advice, not an equation (clipping's rescaling is checked as dl4nlp clip-global-norm)"),
    ("homework3", "ex1b-chain",
     "dL/dW = sum_t sum_{k<=t} dL_t/dh_t dh_t/dh_k dh_k/dW",
     "dh_k/dW is the immediate partial (h_{k-1} held fixed), a 3-D tensor; the grammar reads "
     "d h_k / d W as the total derivative and has no tensor contraction"),
    ("homework3", "ex2a",
     "the written T = 3 expansion of dL_1/dW, dL_2/dW, dL_3/dW (garbled: terms repeat, wrong "
     "indices)",
     "source-material.md does not quote the written expansion; writing it down would mean "
     "inventing its errors"),
    ("dl4nlp", "remedies",
     "remedies: ReLU/PReLU, identity initialisation of U, LSTM",
     "advice, not an equation"),
)  # fmt: skip


@dataclass(frozen=True)
class ClaimResult:
    """One claim of one text, its verdict ('confirmed'|'wrong'|'undecided') and the evidence."""

    text: str
    id: str
    statement: str
    verdict: str
    reason: str
    counterexample: dict[str, Any] | None = None
    checked_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return asdict(self)


# --------------------------------------------------------------------------- answer files


def claim_file(text: str) -> Path:
    """derivations/claims/<text>.yaml, or InputError naming the unknown text."""
    if text not in TEXTS:
        raise InputError(f"unknown text {text!r}; expected one of {', '.join(TEXTS)}", where="TEXT")
    return CLAIMS_DIR / f"{text}.yaml"


def _comments(path: Path) -> dict[str, str]:
    """The `# claim:` comment above each answer id (the statement in words)."""
    out: dict[str, str] = {}
    block: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _CLAIM_COMMENT.match(line)
        if m and (m.group(1) or block):
            block.append(m.group(2).strip())
            continue
        ident = _ID_LINE.match(line)
        if ident and block:
            out[ident.group(1)] = " ".join(block)
        block = []
    return out


def _graded(texts: Sequence[str]) -> list[ClaimResult]:
    """Judge every answer of the texts' claim files in one grading run."""
    from symbptt.answers.files import Submission
    from symbptt.answers.grade import grade, read_all

    paths = [str(claim_file(t)) for t in texts]
    read = read_all(paths)
    results = grade(paths, jobs=JOBS, read=read)
    out: list[ClaimResult] = []
    for text, path, sub, res in zip(texts, paths, read, results, strict=True):
        if res.error or not isinstance(sub, Submission):
            raise InputError(f"claim file unreadable: {res.error}", where=path)
        words = _comments(Path(path))
        for spec, v in zip(sub.answers, res.answers, strict=True):
            out.append(ClaimResult(
                text, spec.id, words.get(spec.id, " ".join(spec.answer.split())),
                _VERDICT[v["verdict"]], v["reason"], v.get("counterexample"),
                f"symbptt check {Path(path).relative_to(DERIVATIONS_DIR.parent)}",
            ))  # fmt: skip
    return out


# --------------------------------------------------------------------------- computed claims


def _verdict(ok: bool) -> str:
    return "confirmed" if ok else "wrong"


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
                       _verdict(demo.claim_holds and ident.claim_holds), why, ce, "symbptt.eigen")  # fmt: skip


def derivative_bound(text: str, ident: str, activations: Sequence[str]) -> ClaimResult:
    """sup tanh' = 1, sup sigmoid' = 1/4, both > 0: flow's gamma against an exact identity and a grid."""
    from symbptt.flow import GAMMA, activation_derivative

    x = sp.Symbol("x", real=True)
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
        ok = ok and identity and hit and bool(vals.min() > 0) and GAMMA[act] == float(c)
        square = f"{act}^2" if a == 0 else f"({act} - {a})^2"
        bits.append(f"{act}' = {c} - {square} exactly (sympy), and {act} is real, so "
                    f"{act}' <= {c} with equality at 0; on a grid over [-10, 10]: max "
                    f"{vals.max():.17g} at 0, min {vals.min():.3g} > 0; flow.GAMMA = {GAMMA[act]}")  # fmt: skip
    stmt = ", ".join(
        {"tanh": "tanh' in (0, 1]", "sigmoid": "sigmoid' in (0, 1/4]"}[a] for a in activations
    )
    return ClaimResult(text, ident, stmt, _verdict(ok), "; ".join(bits), None, "symbptt.flow")


def delta_norm_bound() -> ClaimResult:
    """Tutorial: ||delta_k|| <= ||delta_t|| (beta_W beta_f)^{t-k}, engine deltas, random instances."""
    from symbptt import engine

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
        beta_f = float(np.max(1.0 - np.tanh(trace.net) ** 2))  # max ||diag f'(net_i)||_2
        for t in range(T):
            for k in range(t + 1):
                bound = np.linalg.norm(delta[t]) * (beta_w * beta_f) ** (t - k)
                ratio = np.linalg.norm(delta[k]) / bound if bound > 0 else 0.0
                if ratio > 1 + 1e-12:
                    ce = {"case": case, "T": T, "n": n, "k": k + 1, "t": t + 1, "ratio": ratio}
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
    return ClaimResult("course-notes", "upstream-linear-loss", stmt, _verdict(ok),
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
    return ClaimResult("homework3", "ex3-gates", stmt, _verdict(ok),
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
    return ClaimResult("homework3", "ex3-negative", stmt, _verdict(ok),
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
    return ClaimResult("homework3", "ex3-direct-path", stmt, _verdict(ok),
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
    return ClaimResult("homework3", "ex3-forget-one", stmt, _verdict(ok),
                       f"sympy, the t - k = 3 direct-path Jacobian (n = 2): every forget gate "
                       f"replaced by 1 gives the identity (each diagonal entry's product is 1); "
                       f"since a sigmoid gate never equals 1 (ex3-gates), that case is a limit: "
                       f"diagonal entry r -> {lims} as the forget bias b_f_r -> +oo",
                       None, "symbptt.lstm")  # fmt: skip


_COMPUTED: dict[str, tuple[Callable[[], ClaimResult], ...]] = {
    "tutorial": (delta_norm_bound,),
    "course-notes": (upstream_backward,),
    "blog": (
        lambda: jacobian_vanishing("blog", "vanishing-small-Wh", "sigmoid",
                                   "the farthest path vanishes for small W_h"),
        explodes_large_wh,
    ),  # fmt: skip
    "homework3": (
        power_by_factors,
        powers_vanish_or_explode,
        unit_eigenvalues,
        lambda: derivative_bound("homework3", "sigmoid-prime", ("sigmoid",)),
        lstm_gates,
        lstm_negative,
        lstm_direct_path,
        lstm_forget_one,
    ),
    "dl4nlp": (
        lambda: derivative_bound("dl4nlp", "activation-prime", ("tanh", "sigmoid")),
        lambda: jacobian_vanishing("dl4nlp", "product-vanishes", "tanh",
                                   "dh_t/dh_k = prod U^T diag f'(s_i) vanishes unless ||U|| is large"),
        clipping,
    ),
}  # fmt: skip


def _not_expressible(text: str) -> list[ClaimResult]:
    return [
        ClaimResult(t, i, s, "undecided", f"not expressible yet: {why}", None, "")
        for t, i, s, why in NOT_EXPRESSIBLE
        if t == text
    ]


def _collect(texts: Sequence[str]) -> list[ClaimResult]:
    for t in texts:
        claim_file(t)
    graded = _graded(texts)
    out: list[ClaimResult] = []
    for t in texts:
        out += [c for c in graded if c.text == t]
        out += [f() for f in _COMPUTED[t]]
        out += _not_expressible(t)
    return out


def claims(text: str) -> list[ClaimResult]:
    """Every claim of one source text with its verdict (answer file, computed, not expressible)."""
    return _collect([text])


def all_claims() -> list[ClaimResult]:
    """Every claim of every source text, the answer files graded in one run."""
    return _collect(list(TEXTS))
