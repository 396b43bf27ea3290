"""The numeric checks of a vanilla derivation: the symbolic gradients at a random point.

They use the model's own activation and head, with the table's stand-ins for generic ones (a
generic f runs as `cells.functions.numeric_name` says; a generic loss of the state as the linear
E_t = <a_t, h_t>, on an output layer as `cells.heads.numeric_head` says). Each form is lambdified
with cse over the named graph and compared with the numpy engine and with 40-digit central
differences, by the floored relative error |a - b| / max(|a| + |b|, 1e-8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from symbptt import engine
from symbptt.checkrow import CheckRow, rel, timed
from symbptt.latex.notation import UPSTREAM_CHOICES, Names, fresh_letter
from symbptt.model import ENGINE_KEY, Model, Role, Sizes
from symbptt.symbolic import gradients as G
from symbptt.symbolic.unroll import Unrolled, unroll
from symbptt.verify.exact import roles, sizes_tex
from symbptt.verify.stand_ins import engine_has_loss, head, numeric_activation, sample_targets

__all__ = [
    "FD_DIGITS",
    "FD_STEP",
    "TOLERANCE",
    "check_engine",
    "check_finite_differences",
    "check_upstream",
    "engine_has_loss",
]

TOLERANCE = 1e-8
#: Central differences in 40-digit arithmetic: step 1e-15, truncation error ~1e-30.
FD_DIGITS, FD_STEP = 40, "1e-15"


@dataclass
class _Point:
    """Random values for one unrolled graph, in the engine's layout."""

    params: dict[Role, np.ndarray]
    xs: np.ndarray
    h0: np.ndarray
    targets: np.ndarray | None
    upstream: np.ndarray | None

    def flat(self, u: Unrolled) -> list[float]:
        return u.values(self.params, self.xs, self.h0, self.targets, self.upstream)


def _point(u: Unrolled, seed: int) -> _Point:
    rng = np.random.default_rng(seed)
    params = {}
    for role in u.params:
        shape = u.model.shape(role, Sizes(T=u.T, n=u.n, m=u.m, k=max(u.k, 1)))
        params[role] = rng.normal(0.0, 0.6, size=shape)
    xs = rng.normal(0.0, 1.0, size=(u.T, u.m))
    h0 = rng.normal(0.0, 0.5, size=u.n)
    targets = upstream = None
    if u.targets:
        targets = sample_targets(u.model, rng, u.T, u.k)
    if u.upstream_grads:
        upstream = rng.normal(0.0, 1.0, size=(u.T, u.n))
    return _Point(params, xs, h0, targets, upstream)


def _engine_grads(u: Unrolled, pt: _Point) -> engine.Gradients:
    """The engine's gradients at pt (`engine_has_loss(u.model)` must hold)."""
    model = u.model
    act = numeric_activation(model)
    output = None if not u.has_output else model.output
    params = {ENGINE_KEY[r]: v for r, v in pt.params.items()}
    trace = engine.forward(params, pt.xs, pt.h0, activation=act, output=output)
    if u.has_output:
        return engine.backward(trace, targets=pt.targets, loss_at=model.loss_at)
    dh = pt.upstream
    if model.loss_at == "last" and dh is not None:
        dh = dh.copy()
        dh[:-1] = 0.0  # only E_T = <a_T, h_T> is taken
    return engine.backward(trace, dh=dh, loss_at=model.loss_at)


def _flat(mats: Sequence[sp.Matrix]) -> list[sp.Expr]:
    return [e for m in mats for e in m]


_LABEL = {"(a)": "direct", "(b)": "BPTT", "(c)": "path sums"}


def _form_exprs(u: Unrolled, form: str, variant: str = "correct") -> list[sp.Matrix]:
    if form == "(a)":
        return [G.direct(u, r) for r in roles(u)]
    if form == "(b)":
        return [G.bptt(u, r, variant=variant).total for r in roles(u)]
    out = []
    for r in roles(u):
        acc = sp.zeros(*u.params[r].shape)
        for t in u.loss_steps:
            for p in G.path_sums(u, r, t):
                acc += p.term
        out.append(acc)
    return out


def check_engine(
    u: Unrolled, form: str = "(b)", *, variant: str = "correct", seed: int = 0
) -> CheckRow:
    """A form's gradient, lambdified, against the engine at a random point (and dE/dnet_t for (b))."""
    model = u.model
    act = numeric_activation(model)
    loss = _loss_label(u)
    name = f"numeric: {_LABEL[form]} vs engine ({act}, {loss}; T={u.T}, n={u.n})"
    tex = f"numeric: {_LABEL[form]} vs engine ({act}, {_loss_tex(u)}) {sizes_tex(u.T, u.n)}"
    if variant != "correct":
        name += f" [{variant}]"
        tex += f" [`{variant}`]"

    def body() -> tuple[bool, float | None, str]:
        if not engine_has_loss(model):
            return False, None, "the engine has no such loss (use check_finite_differences)"
        pt = _point(u, seed)
        eg = _engine_grads(u, pt)
        exprs = _flat(_form_exprs(u, form, variant))
        want = [np.asarray(eg[ENGINE_KEY[r]]).reshape(-1) for r in roles(u)]
        if form == "(b)":
            exprs += _flat(G.bptt(u, roles(u)[0], variant=variant).total_deltas)
            want.append(np.asarray(eg.delta).reshape(-1))
        got = np.array(u.lambdify(exprs)(*pt.flat(u)), dtype=float)
        err = rel(got, np.concatenate(want))
        return err < TOLERANCE, err, ""

    return timed(name, form, body, tex)


def check_finite_differences(
    u: Unrolled, form: str = "(b)", *, variant: str = "correct", seed: int = 0
) -> CheckRow:
    """A form's gradient, lambdified in float64, against central differences of E (40 digits)."""
    E = u.model.notation.loss
    name = (
        f"numeric: {_LABEL[form]} vs central differences of {E.ascii}, {FD_DIGITS} digits "
        f"(T={u.T}, n={u.n})"
    )
    tex = (
        f"numeric: {_LABEL[form]} vs central differences of ${E.latex}$, {FD_DIGITS} digits "
        f"{sizes_tex(u.T, u.n)}"
    )
    if variant != "correct":
        name += f" [{variant}]"
        tex += f" [`{variant}`]"

    def body() -> tuple[bool, float | None, str]:
        pt = _point(u, seed)
        x = pt.flat(u)
        exprs = _flat(_form_exprs(u, form, variant))
        got = np.array(u.lambdify(exprs)(*x), dtype=float)
        fE = u.lambdify([u.E_named], modules="mpmath")
        index = {s: i for i, s in enumerate(u.inputs())}
        with mpmath.workdps(FD_DIGITS):
            h = mpmath.mpf(FD_STEP)
            base = [mpmath.mpf(v) for v in x]
            fd = []
            for r in roles(u):
                for p in u.params[r]:
                    i = index[p]
                    up, dn = list(base), list(base)
                    up[i] += h
                    dn[i] -= h
                    fd.append(float((fE(*up)[0] - fE(*dn)[0]) / (2 * h)))
        err = rel(got, np.array(fd))
        return err < TOLERANCE, err, ""

    return timed(name, form, body, tex)


def check_upstream(model: Model, T: int, n: int, *, seed: int = 0) -> CheckRow:
    """The course notes' rnn_backward case: E = sum_t <ds_t, s_t>; BPTT vs the engine's dh mode."""
    nt, nm = model.notation, Names(model)
    s, E, t = nt.state.ascii, nt.loss.ascii, nm.t
    g = fresh_letter(model, UPSTREAM_CHOICES)
    if model.loss_at == "last":
        ascii_loss = f"{E} = <d{s}_T, {s}_T>"
        tex_loss = f"{nm.E} = \\langle {nm._v(g, 'T')}, {nm.h('T')} \\rangle"
        fixed = f"a fixed random vector ${nm._v(g, 'T')}$"
    else:
        ascii_loss = f"{E} = sum_t <d{s}_t, {s}_t>"
        tex_loss = f"{nm.E} = \\sum_{{{t}}} \\langle {nm._v(g, t)}, {nm.h(t)} \\rangle"
        fixed = f"fixed random vectors ${nm._v(g, t)}$"
    name = f"numeric: upstream case {ascii_loss}, BPTT vs engine (T={T}, n={n})"
    tex = f"numeric: upstream case ${tex_loss}$ with {fixed}, BPTT vs engine {sizes_tex(T, n)}"

    def body() -> tuple[bool, float | None, str]:
        u = unroll(model, T, n, upstream=True)
        pt = _point(u, seed)
        act = numeric_activation(model)
        params = {ENGINE_KEY[r]: v for r, v in pt.params.items()}
        trace = engine.forward(params, pt.xs, pt.h0, activation=act, output=None)
        dh = pt.upstream.copy()  # type: ignore[union-attr]
        if model.loss_at == "last":
            dh[:-1] = 0.0
        eg = engine.backward(trace, dh=dh)
        rs = roles(u)
        b = G.bptt(u, rs[0])
        W = u.params[Role.RECURRENT]
        U = u.params[Role.INPUT]
        dh0 = W.T * b.total_deltas[0]
        dxs = [U.T * d for d in b.total_deltas]
        exprs = _flat([G.bptt(u, r).total for r in rs] + [dh0, *dxs])
        want = [np.asarray(eg[ENGINE_KEY[r]]).reshape(-1) for r in rs]
        want += [np.asarray(eg["h0"]).reshape(-1), np.asarray(eg["xs"]).reshape(-1)]
        got = np.array(u.lambdify(exprs)(*pt.flat(u)), dtype=float)
        err = rel(got, np.concatenate(want))
        return err < TOLERANCE, err, ""

    return timed(name, "(b)", body, tex)


def _loss_tex(u: Unrolled) -> str:
    """`_loss_label` with the stand-in loss written in the model's names."""
    if not head(u.model).has_output_layer:
        nm = Names(u.model)
        g = fresh_letter(u.model, UPSTREAM_CHOICES)
        t = nm.t
        return f"linear stand-in loss ${nm.E_t(t)} = \\langle {nm._v(g, t)}, {nm.h(t)} \\rangle$"
    return _loss_label(u)


def _loss_label(u: Unrolled) -> str:
    """'softmax + cross-entropy', 'sigmoid + squared-error stand-in', or the linear stand-in."""
    model, h = u.model, head(u.model)
    if not h.has_output_layer:
        s = model.notation.state.ascii
        return f"linear stand-in loss <d{s}_t, {s}_t>"
    loss = f"{h.loss} stand-in" if h.stand_in else h.loss
    return f"{model.output} + {loss}".replace("_", "-")
