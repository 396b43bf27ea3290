"""The exact checks of a vanilla derivation: identities decided on polynomials, never at a point.

They run on the generic graph (undefined f, undefined per-step losses L_t), so a pass holds
for every activation and loss: direct = BPTT, direct = path sums, the error terms' definitions,
and the step lemma that carries the sum-over-time form to every T. A difference comes back with
a counterexample: both sides at a random point of the atoms.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence

import numpy as np
import sympy as sp

from symbptt.checkrow import CheckRow, rel, timed
from symbptt.latex.notation import Names
from symbptt.model import Model, Role
from symbptt.symbolic import gradients as G
from symbptt.symbolic.exact import same, sample
from symbptt.symbolic.unroll import Unrolled

__all__ = [
    "check_delta_definitions",
    "check_direct_equals_bptt",
    "check_direct_equals_paths",
    "check_step_lemma",
    "param_name",
    "roles",
    "sizes_tex",
]


def sizes_tex(T: int, n: int) -> str:
    """`($T = 3$, $n = 2$)`: the sizes as a document's check label writes them."""
    return f"($T = {T}$, $n = {n}$)"


def roles(u: Unrolled) -> list[Role]:
    """The parameters' roles of an unrolled graph, in its order."""
    return list(u.params)


def param_name(u: Unrolled, role: Role) -> str:
    """The parameter's name as the model writes it (ascii)."""
    return u.model.notation.param(role).ascii


def _counterexample(a: sp.Expr, b: sp.Expr, seed: int) -> tuple[float, str]:
    """The floored relative error of a and b at random values of their atoms."""
    va, vb = sample([a, b], seed)
    err = rel(np.array([va]), np.array([vb]))
    return err, f"at a random point of the atoms: {va:.6g} vs {vb:.6g}"


def _compare_exact(
    pairs: Sequence[tuple[str, sp.Matrix, sp.Matrix]], seed: int
) -> tuple[bool, float | None, str]:
    for label, a, b in pairs:
        bad = same(a, b)
        if bad:
            i = bad[0]
            err, where = _counterexample(a[i], b[i], seed)
            names = ", ".join(str(i) for i in bad[:4])
            return False, err, f"{label}: {len(bad)} entries differ (flat indices {names}); {where}"
    return True, 0.0, ""


def check_direct_equals_bptt(u: Unrolled, *, variant: str = "correct", seed: int = 0) -> CheckRow:
    """(a) = (b) for every parameter on a graph (generic for a proof); variant: see gradients.VARIANTS."""
    nt, nm = u.model.notation, Names(u.model)
    label = f"generic {nt.activation.ascii} and {nt.step_loss.ascii}_t" if u.generic else "concrete"
    name = f"exact: direct = BPTT ({label}; T={u.T}, n={u.n})"
    tex = (
        f"an arbitrary activation in place of ${nm.f}$ and an arbitrary per-step loss "
        f"${nm.E_t(nm.t)}$"
        if u.generic
        else "this model's activation and loss"
    )
    tex = f"exact: direct = BPTT for {tex} {sizes_tex(u.T, u.n)}"
    if variant != "correct":
        name += f" [{variant}]"
        tex += f" [`{variant}`]"

    def body() -> tuple[bool, float | None, str]:
        pairs = [
            (param_name(u, r), G.direct(u, r), G.bptt(u, r, variant=variant).total)
            for r in roles(u)
        ]
        return _compare_exact(pairs, seed)

    return timed(name, "(a)=(b)", body, tex)


def check_direct_equals_paths(u: Unrolled, *, seed: int = 0) -> CheckRow:
    """(a) = (c): for every E_t and parameter, the path terms sum to dE_t/dP."""
    nm = Names(u.model)
    name = (
        f"exact: direct = path sums, each {u.model.notation.step_loss.ascii}_t (T={u.T}, n={u.n})"
    )
    tex = f"exact: direct = path sums, each ${nm.E_t(nm.t)}$ {sizes_tex(u.T, u.n)}"

    def body() -> tuple[bool, float | None, str]:
        pairs = []
        for r in roles(u):
            direct = G.direct_steps(u, r)
            for t in u.loss_steps:
                paths = G.path_sums(u, r, t)
                total = paths[0].term
                for p in paths[1:]:
                    total = total + p.term
                pairs.append((f"{param_name(u, r)}, E_{t}", direct[t], total))
        return _compare_exact(pairs, seed)

    return timed(name, "(a)=(c)", body, tex)


def check_delta_definitions(u: Unrolled, *, variant: str = "correct", seed: int = 0) -> CheckRow:
    """The error terms equal their definition (dE/dnet_t, dE_t/dnet_k, or dL_t/dh_t locally)."""
    nt = u.model.notation
    d, a, e = nt.delta.ascii, nt.preactivation.ascii, nt.loss.ascii
    conv = u.model.delta
    what = {
        "net": f"{d}_t = d{e}/d{a}_t",
        "per_step": f"{d}_(t,k) = d{nt.step_loss.ascii}_t/d{a}_k",
        "step_state": f"{d}_t = d{nt.step_loss.ascii}_t/d{nt.state.ascii}_t (local)",
    }[conv]
    name = f"exact: error terms {what} (T={u.T}, n={u.n})"
    nm, t = Names(u.model), Names(u.model).t
    what_tex = {
        "net": f"{nm.delta(t)} = \\partial {nm.E} / \\partial {nm.net(t)}",
        "per_step": f"{nm.delta(t, 'k')} = \\partial {nm.E_t(t)} / \\partial {nm.net('k')}",
        "step_state": f"{nm.delta(t)} = \\partial {nm.E_t(t)} / \\partial {nm.h(t)}",
    }[conv]
    tex = f"exact: error terms ${what_tex}$" + (" (local)" if conv == "step_state" else "")
    tex += f" {sizes_tex(u.T, u.n)}"

    def body() -> tuple[bool, float | None, str]:
        b = G.bptt(u, roles(u)[0], variant=variant)
        pairs = []
        if conv == "per_step":
            for lab, dl in zip(b.delta_labels, b.deltas, strict=True):
                pairs.append((f"{d}_{lab}", dl, G.delta_definition(u, lab[1], t=lab[0])))
        else:
            for k in range(1, u.T + 1):
                pairs.append((f"d{e}/d{a}_{k}", b.total_deltas[k - 1], G.delta_definition(u, k)))
            if conv == "step_state":
                for t in u.loss_steps:
                    pairs.append((f"{d}_{t}", *_local_state_error(u, t, b.deltas[t - 1])))
        return _compare_exact(pairs, seed)

    return timed(name, "delta", body, tex)


def _local_state_error(u: Unrolled, t: int, value: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """(value, dE_t/dh_t by diff) on common atoms; E_t is differentiated through z_t = V h_t + c.

    With an output layer E_t is written in z_t's symbols, so it is differentiated with z_t's
    definition put in; on the generic graph dL_t/dz_t is then named back as in BPTT's e_t.
    """
    e, hs = u.loss_def[t - 1], u.h_sym[t - 1]
    if not u.has_output:
        return value, sp.Matrix([sp.diff(e, h) for h in hs])
    zsub = dict(zip(u.z_sym[t - 1], u.z_def[t - 1], strict=True))
    through = e.xreplace(zsub)
    if u.generic:
        return value, sp.Matrix([u.to_named(sp.diff(through, h)) for h in hs])
    return value.xreplace(zsub), sp.Matrix([sp.diff(through, h) for h in hs])


def check_step_lemma(model: Model, n: int) -> CheckRow:
    """The step lemma and base case (symbolic.steplemma), which prove the sum-over-time form for every T."""
    name = f"exact: step lemma + base case, every T (n={n})"
    tex = f"exact: step lemma + base case, every $T$ ($n = {n}$)"
    start = time.perf_counter()
    try:
        steplemma = importlib.import_module("symbptt.symbolic.steplemma")
    except ImportError as exc:
        detail = f"step lemma not available: {exc}"
        return CheckRow(name, "step lemma", False, None, 0.0, detail, tex)
    try:
        proof = steplemma.prove(model, n)
    except Exception as exc:  # a failure of the other module is a failed check, not a crash
        secs = time.perf_counter() - start
        return CheckRow(name, "step lemma", False, None, secs, f"{type(exc).__name__}: {exc}", tex)
    failed = [claim for claim, ok in getattr(proof, "steps", []) if not ok]
    passed = bool(getattr(proof, "passed", False))
    detail = "" if passed else "failed: " + "; ".join(failed or ["no claims"])
    secs = time.perf_counter() - start
    return CheckRow(name, "step lemma", passed, 0.0 if passed else None, secs, detail, tex)
