"""Every statement `symbptt derive` prints, checked numerically from the model's equations.

Each printed step carries a `kind`; CHECKS maps every kind to a check written here from the
published equations (numpy loops and central differences; never the engine, the symbolic core or
their output). A kind without a check fails. Identities are compared at random points, bounds
(`\\le`) must hold there, for every built-in derivation and for a user file of each error-term
convention and loss placement, written in letters no built-in uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from printed_numbers import ACT, OUT, Evaluator, Net, Undefined  # tests/printed_numbers.py

from symbptt import catalog
from symbptt.builders.vanilla import build
from symbptt.latex.notation import Names
from symbptt.latex.steps import Step
from symbptt.model import Model, Role
from symbptt.symbolic import general

OUT_ROLES = (Role.OUTPUT, Role.OUTPUT_BIAS)

# ---------------------------------------------------------------- user files, foreign letters

_USER = """\
name: {name}
description: a user file for the printed-statement test
cell: rnn
parameters: {{input: Q_in, recurrent: R_re{bias}{out}}}
symbols:
  input: {{name: xi, latex: '\\xi'}}
  state: {{name: eta, latex: '\\eta'}}
  preactivation: {{name: zeta, latex: '\\zeta'}}
  output_preactivation: {{name: omega, latex: '\\omega'}}
  output: {{name: psi, latex: '\\psi'}}
  target: {{name: chi, latex: '\\chi'}}
  loss: {{name: J, latex: 'J'}}
  step_loss: {{name: J, latex: 'J'}}
  delta: {{name: gamma, latex: '\\gamma'}}
  activation: {{name: phi, latex: '\\phi'}}
activation: {act}
output: {output}
loss: {loss}
loss_at: {at}
delta: {delta}
sizes: {{T: 3, n: 2, m: 2, k: 2}}
"""

#: (name, delta, loss_at, activation, output, loss, hidden bias, output bias)
USER_FILES = [
    ("u-net-every", "net", "every", "sigmoid", "identity", "squared_error", True, True),
    ("u-net-last", "net", "last", "tanh", "softmax", "cross_entropy", False, True),
    ("u-net-last-state", "net", "last", "generic", "none", "generic", True, False),
    ("u-per-step-every", "per_step", "every", "generic", "none", "generic", False, False),
    ("u-per-step-last", "per_step", "last", "tanh", "sigmoid", "binary_cross_entropy", True, False),
    ("u-state-every", "step_state", "every", "tanh", "softmax", "cross_entropy", True, True),
    ("u-state-last", "step_state", "last", "sigmoid", "none", "generic", False, False),
    ("u-relu-every", "net", "every", "relu", "identity", "squared_error", False, False),
]


def _user_model(tmp: Path, spec: tuple) -> Model:
    name, delta, at, act, output, loss, hb, ob = spec
    bias = ", hidden_bias: c_h" if hb else ""
    out = "" if output == "none" else ", output: V_o" + (", output_bias: c_o" if ob else "")
    path = tmp / f"{name}.yaml"
    path.write_text(
        _USER.format(
            name=name, bias=bias, out=out, act=act, output=output, loss=loss, at=at, delta=delta
        ),  # fmt: skip
        encoding="utf-8",
    )
    return catalog.load_file(path).model


def _scopes(kind: str, model: Model, T: int) -> list[dict]:
    """Where each kind of statement is claimed (the restriction the reason states)."""
    ts = range(1, T + 1)
    pairs = [{"T": T, "t": t, "k": k} for t in ts for k in range(1, t + 1)]
    every_t = [{"T": T, "t": t} for t in ts]
    if kind in ("loss", "delta boundary", "delta at T", "state gradient at T", "gradient"):
        return [{"T": T}]
    if kind == "delta definition" and model.delta == "per_step":
        return pairs
    if kind == "delta recursion" and model.delta == "per_step":
        return [s for s in pairs if s["k"] < s["t"]]
    if kind in ("state gradient",) or (kind == "delta recursion" and model.loss_at == "last"):
        return [s for s in every_t if s["t"] < T]
    if kind == "Jacobian product":
        return pairs + [{"T": T, "t": t, "k": 0} for t in ts]
    if kind in ("error transport", "Jacobian bound", "error bound"):
        return pairs
    return every_t


#: The restriction a statement's reason must say when `_scopes` does not take every t.
_SAYS = {"state gradient": "< T", "error transport": "k \\le", "Jacobian bound": "k \\le",
         "error bound": "k \\le"}  # fmt: skip


def check_statement(model: Model, s: general.Statement) -> None:
    """Both sides at every place the statement claims, T = 1 and 3, two random points."""
    if s.kind in _SAYS or (s.kind == "delta recursion" and model.loss_at == "last"):
        want = _SAYS.get(s.kind, "< T")
        if s.kind == "delta recursion" and model.delta == "per_step":
            want = "k <"
        assert want in str(s.reason), (s.kind, str(s.reason))
    for T, seed in ((1, 0), (3, 1), (3, 2)):
        ev = Evaluator(Net(model, T, n=3, m=2, k=3, seed=seed))
        for scope in _scopes(s.kind, model, T):
            try:
                lhs, rhs = ev.ev(s.lhs, scope), ev.ev(s.rhs, scope)
            except Undefined:
                continue
            where = f"{model.name}: {s.name} at {scope}"
            if s.relation == "<=":
                assert lhs <= rhs * (1 + 1e-9) + 1e-12, f"{where}: {lhs} > {rhs}"
            else:
                np.testing.assert_allclose(lhs, rhs, rtol=1e-5, atol=1e-7, err_msg=where)


# ---------------------------------------------------------------- the concrete sections

_FACTOR = re.compile(r"^(.+?)_\{([^{}]*)\}(\^\\top)?$")


def _prime_from_output(tex: str, model: Model) -> str:
    """tanh' printed with the output (activation_derivative: output) as the prime form:
    1 - (h^{(t)})^2 -> \\tanh'(a^{(t)}), the identity tanh' = 1 - tanh^2."""
    nt = model.notation
    h, a, f = re.escape(nt.state.latex), nt.preactivation.latex, nt.activation.latex
    pat = rf"1 - \\left\({h}(\^\{{\([^()]*\)\}})\\right\)\^\{{2\}}"

    def prime(m: re.Match) -> str:
        return f"{f}'\\left({a}{m.group(1)}\\right)"

    wrapped = rf"(?<!\\operatorname{{diag}})\\left\({pat}\\right\)"  # diag's own parentheses stay
    return re.sub(pat, prime, re.sub(wrapped, prime, tex))


def _frac(tex: str) -> str:
    """\\nabla_{h^{(t)}} L (gradient_style: nabla) as \\frac{\\partial L}{\\partial h^{(t)}}."""
    den = r"((?:[^{},]|\{(?:[^{}]|\{[^{}]*\})*\})*)"  # not a per-step copy, nabla_{U,t} L
    num = r"(\\?[A-Za-z]+(?:\^\{\([^()]*\)\})?)"
    return re.sub(rf"\\nabla_\{{{den}\}} {num}", r"\\frac{\\partial \2}{\\partial \1}", tex)


def _subscript_time(tex: str, steps: str) -> str:
    """A document printed with time_index: superscript, in the subscript form the checks read:
    \\left(h^{(t-1)}\\right)^\\top -> h_{t-1}^\\top, h^{(2)}_{1} -> h_{2,1}, h^{(t)} -> h_{t}."""
    tex = re.sub(r"\\left\((\\?[A-Za-z]+(?:\{[^{}]*\})?\^\{\([^()]*\)\})\\right\)\^\\top",
                 r"\1^\\top", tex)  # fmt: skip
    tex = re.sub(r"\^\{\(([^()]*)\)\}_\{([^{}]*)\}", r"_{\1,\2}", tex)
    tex = re.sub(r"\^\{\(([^()]*)\)\}", r"_{\1}", tex)
    return tex.replace(steps, "T") if steps != "T" else tex


def _int(expr: str, scope: dict) -> int:
    expr = expr.strip()
    for name, v in scope.items():
        expr = re.sub(rf"\b{name}\b", str(v), expr)
    assert re.fullmatch(r"[\d+\- ]+", expr), expr
    return int(eval(expr, {"__builtins__": {}}))  # digits, + and - only (checked above)


class Letters:
    """What each printed letter is, read off the model's notation and checked in the reasons."""

    def __init__(self, model: Model, net: Net) -> None:
        nm, nt = Names(model), model.notation
        self.net = net
        self.vec: dict[str, Callable[..., np.ndarray]] = {
            nt.input.latex: lambda t: net.x[t],
            nt.state.latex: lambda t: net.run()["h"][t],
            nm.output_error_letter: net.output_error,
        }
        self.vec[nt.delta.latex] = net.delta
        if model.delta != "net":
            self.vec[nm.total_error_letter] = net.total_error

    def vector(self, name: str, idx: list[int]) -> np.ndarray:
        return self.vec[name](*idx)

    def factor(self, tok: str, scope: dict, entry: bool) -> Any:
        m = _FACTOR.match(tok)
        assert m, tok
        name, sub, top = m.groups()
        idx = [_int(i, scope) for i in sub.split(",")]
        if entry:  # the last index is the component
            return float(self.vector(name, idx[:-1])[idx[-1] - 1, 0])
        v = self.vector(name, idx)
        return v.T if top else v


def _pmatrix(tex: str, letters: Letters, scope: dict) -> np.ndarray:
    body = tex.strip().removeprefix(r"\begin{pmatrix}").removesuffix(r"\end{pmatrix}")
    rows = [r.split("&") for r in body.split(r"\\")]
    return np.array([[np.prod([letters.factor(f, scope, True) for f in cell.split()])
                      for cell in row] for row in rows])  # fmt: skip


def _role_of(model: Model, lhs: str) -> Role:
    for role in model.roles:
        if re.search(rf"\{{\\partial {re.escape(Names(model).param(role))}\}}|\\nabla_\{{"
                     rf"{re.escape(Names(model).param(role))},", lhs):  # fmt: skip
            return role
    raise AssertionError(lhs)


def _step_gradient(model: Model, net: Net, role: Role, lhs: str, scope: dict) -> np.ndarray:
    """What `\\nabla_{P,t} E` / `\\nabla_{P,t,k} E` means in the printed text."""
    head = "\\nabla_{" + Names(model).param(role) + ","
    assert lhs.startswith(head), lhs
    idx = [_int(i, scope) for i in lhs[len(head) :].split("}", 1)[0].split(",")]
    if len(idx) == 2:  # per-step delta: the step-t loss through the copy of P used at step k
        return net.d_param(role, idx[0], copy=idx[1])
    return net.d_param(role, None, copy=idx[0])  # the copy of P used at step t


def _t_values(model: Model, lhs: str, T: int) -> list[int]:
    return [T] if "{T" in lhs or ",T}" in lhs or ",T," in lhs else list(range(1, T + 1))


def check_expansion(model: Model, step: Step, net: Net) -> None:
    letters = Letters(model, net)
    if step.kind == "expansion: step term":
        check_term_reason(model, step, net)
    role = _role_of(model, step.lhs)
    T = net.T
    if step.kind == "expansion: total":
        got = sum(_pmatrix(term, letters, {}) for term in step.terms)
        np.testing.assert_allclose(got, net.d_param(role, None), rtol=1e-5, atol=1e-7)
        return
    for t in _t_values(model, step.lhs, T):
        for k in range(1, t + 1) if ",k}" in step.lhs or "k" in step.rhs else [None]:
            scope = {"t": t, "T": T} | ({"k": k} if k else {})
            if step.kind == "expansion: step sum":  # sum_k over the step-t loss: dE_t/dP
                body = step.rhs.split("} ", 1)[1]
                got = sum(_outer(body, letters, {**scope, "k": kk}) for kk in range(1, t + 1))
                np.testing.assert_allclose(got, net.d_param(role, t), rtol=1e-5, atol=1e-7)
                break
            want = _step_gradient(model, net, role, step.lhs, scope)
            got = (_pmatrix(step.rhs, letters, scope) if step.kind == "expansion: entries"
                   else _outer(step.rhs, letters, scope))  # fmt: skip
            np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-5, atol=1e-7,
                                       err_msg=f"{step.latex} at {scope}")  # fmt: skip


def check_term_reason(model: Model, step: Step, net: Net) -> None:
    """The step term's reason defines its error vector (the meaning `Letters` uses) and, for a
    local delta, states how the total error is computed: that recursion, numbers in."""
    nm, role = Names(model), _role_of(model, step.lhs)
    head = "\\nabla_{" + nm.param(role) + ","
    t = step.lhs[len(head) :].split("}")[0].split(",")[0]  # the printed step index: t, or T
    if role in OUT_ROLES:
        want = f"= \\partial {nm.E_t(t)} / \\partial {nm.z(t)}$"
    elif model.delta == "net":
        want = f"${nm.delta(t)} = \\partial {nm.E} / \\partial {nm.net(t)}$"
    elif model.delta == "per_step":
        want = f"${nm.delta(t, 'k')} = \\partial {nm.E_t(t)} / \\partial {nm.net('k')}$"
    else:
        want = f"${nm.total_error(t)} = \\partial {nm.E} / \\partial {nm.net(t)}$"
        r, W = net.run(), net.P[Role.RECURRENT]
        for s in range(1, net.T + 1):
            own = net.delta(s) if model.loss_at == "every" or s == net.T else 0.0
            rhs = net.fp(r["net"][s]) * (own + W.T @ net.total_error(s + 1))
            np.testing.assert_allclose(net.total_error(s), rhs, rtol=1e-5, atol=1e-7)
        R, nu, d = nm.param(Role.RECURRENT), nm.total_error, nm.delta
        said = (
            f"{nu(t)} = {nm.fprime(nm.net(t))} \\odot {R}^\\top {nu(f'{t}+1')}$ for ${t} < T$"
            if model.loss_at == "last"
            else f"{nu(t)} = {nm.fprime(nm.net(t))} \\odot \\left({d(t)} + {R}^\\top {nu(f'{t}+1')}"
        )
        assert said in step.reason, step.reason
    assert want in step.reason, (want, step.reason)


def _outer(tex: str, letters: Letters, scope: dict) -> np.ndarray:
    out = None
    for tok in tex.split():
        v = letters.factor(tok, scope, False)
        out = v if out is None else out @ v
    return out


_FRAC = re.compile(r"\\frac\{\\partial ([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{\\partial "
                   r"([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")  # fmt: skip


def check_path(model: Model, step: Step, net: Net) -> None:
    """A path's term is its chain of factors; what it carries (f' at which steps, which power of
    the recurrent matrix) is counted here on the printed route."""
    nodes = [n.strip() for n in step.lhs.removeprefix(r"\text{path }").split(r"\to")]
    chain = _FRAC.findall(step.rhs)
    assert [a for a, _ in chain] == nodes[:-1] and [b for _, b in chain] == nodes[1:], step.latex
    state = model.notation.state.latex
    steps = [
        int(m.group(1)) for n in nodes if (m := re.fullmatch(rf"{re.escape(state)}_\{{(\d+)\}}", n))
    ]
    hops = sum(1 for a, b in zip(nodes, nodes[1:], strict=False)
               if a.startswith(state + "_") and b.startswith(state + "_"))  # fmt: skip
    times = {1: "once", 2: "twice"}.get(len(steps), f"{len(steps)} times")
    where = ("step " if len(steps) == 1 else "steps ") + ", ".join(map(str, sorted(steps)))
    assert f"{times} ({where})" in step.reason and f"power {hops} " in step.reason, step.reason


def check_path_sum(model: Model, step: Step, net: Net) -> None:
    """The sum of the printed chains, each factor an immediate partial derivative in numerator
    layout (d h_k / d P holds h_{k-1} fixed: a 3-D tensor), equals dE_T/dP."""
    role = _role_of(model, step.lhs)
    T = net.T
    total = 0.0
    for chain in step.terms:
        total = total + _contract(model, net, _FRAC.findall(chain), role)
    np.testing.assert_allclose(total, net.d_param(role, T), rtol=1e-5, atol=1e-7)


def _node(model: Model, tex: str) -> tuple[str, int]:
    nt = model.notation
    m = re.fullmatch(r"(.+)_\{(\d+)\}", tex)
    table = {nt.state.latex: "h", nt.output.latex: "yhat", nt.step_loss.latex: "E"}
    return table[m.group(1)], int(m.group(2))


def _edge(model: Model, net: Net, r: dict, a: tuple[str, int], b: tuple[str, int]) -> np.ndarray:
    """The immediate partial d a / d b (numerator layout): a row for a loss, else a matrix."""
    if a[0] == "E":  # dE_t/dyhat_t or dE_t/dh_t, as a row

        def value(e: np.ndarray) -> float:
            return net.step_loss({**r, b[0]: {**r[b[0]], b[1]: r[b[0]][b[1]] + e}}, a[1])

        return np.array(net._fd(value, r[b[0]][b[1]].shape)).reshape(1, -1)
    if a[0] == "yhat":  # through z_t, h_t held
        bias = net.P.get(Role.OUTPUT_BIAS, 0)

        def out(e: np.ndarray) -> np.ndarray:
            return OUT[model.output](net.P[Role.OUTPUT] @ (r["h"][b[1]] + e) + bias)

        return np.hstack(net._fd(out, (net.n, 1)))
    return net.jac(a[1], b[1])


def _contract(model: Model, net: Net, chain: list, role: Role) -> np.ndarray:
    r = net.run()
    out: Any = None
    for num, den in chain:
        a = _node(model, num)
        if den == Names(model).param(role):  # d h_k / d P: only the copy used at step k

            def state(e: np.ndarray, t: int = a[1]) -> np.ndarray:
                return net.run(copy=(role, t, e))["h"][t]

            shape = net.P[role].shape
            tensor = np.stack([c[:, 0] for c in net._fd(state, shape)], axis=1)
            return np.tensordot(out, tensor.reshape((-1, *shape)), axes=1)[0]
        out = (
            _edge(model, net, r, a, _node(model, den))
            if out is None
            else (out @ _edge(model, net, r, a, _node(model, den)))
        )
    raise AssertionError("the chain does not end at the parameter")


def check_concrete_product(model: Model, step: Step, net: Net) -> None:
    """d h_T / d h_1 written out: diag(f'(net_i)) and the recurrent matrix, numbers in."""
    nt = model.notation
    (T, one) = (int(x) for x in re.findall(r"_\{(\d+)\}", step.lhs))
    r = net.run()
    got = np.eye(net.n)
    R = Names(model).param(Role.RECURRENT)
    pre = re.escape(nt.preactivation.latex)
    for tok in re.findall(
        rf"\\operatorname{{diag}}\\left\(.*?{pre}_\{{(\d+)\}}.*?\\right\)\\right\)|({re.escape(R)})(?![_\w])",
        step.rhs,
    ):
        got = got @ (
            np.diagflat(net.fp(r["net"][int(tok[0])])) if tok[0] else net.P[Role.RECURRENT]
        )
    assert step.rhs != "" and (T, one) == (net.T, 1)
    np.testing.assert_allclose(got, net.jac(T, 1), rtol=1e-5, atol=1e-7)


def _norm(tex: str) -> str:
    tex = re.sub(r"\s+", "", tex)
    return re.sub(r"([_^])\{(\\?\w)\}", r"\1\2", tex)


def check_same_as_general(general_kind: str) -> Callable:
    """A model-section equation: the same equation as a general-section one (checked there)."""

    def check(model: Model, step: Step, net: Net, doc: Any) -> None:
        printed = {(_norm(s.lhs), _norm(s.rhs)) for s in doc.steps if s.kind == general_kind}
        assert (_norm(step.lhs), _norm(step.rhs)) in printed, (step.latex, printed)

    return check


#: The step loss as the published definitions write it (structure only: it is a definition).
_LOSS_SHAPE = {
    "cross_entropy": (r"-", r"^\top \log"),
    "squared_error": (r"\tfrac{1}{2}", r"\rVert^{2}"),
    "binary_cross_entropy": (r"\log", r"\left(1 -"),
    "generic": (r"\ell_",),
}


def check_step_loss(model: Model, step: Step, net: Net, doc: Any) -> None:
    assert all(p in step.rhs for p in _LOSS_SHAPE[model.loss]), step.rhs


def check_cell_forward(model: Model, step: Step, net: Net, doc: Any) -> None:
    """The rendered forward cell: the activation of the model's own pre-activation terms."""
    (pre,) = [
        s
        for s in doc.steps
        if s.kind == "model: forward" and s.lhs == Names(model).net(model.notation.time)
    ]
    inner = step.rhs.split(r"\left(", 1)[1].rsplit(r"\right)", 1)[0]
    assert {_norm(x) for x in inner.split("+")} == {_norm(x) for x in pre.rhs.split("+")}
    assert _norm(step.rhs).startswith(_norm(model.notation.activation.latex))


def check_cell_backward(model: Model, step: Step, net: Net, doc: Any) -> None:
    """nu_t = f'(net_t) (.) (dE_t/dh_t + W^T nu_{t+1}), nu the total error: numbers in."""
    nm, nt = Names(model), model.notation
    t = nt.time
    nu = nt.delta.latex if model.delta == "net" else nm.total_error_letter
    R = nm.param(Role.RECURRENT)
    own = rf"\frac{{\partial {nt.step_loss.latex}_{{{t}}}}}{{\partial {nm.h(t)}}}"
    if model.loss_at == "last":  # E = E_T: the own-loss term is [t = T] dE_T/dh_T, 0 before T
        own = rf"\left[{t} = T\right] \frac{{\partial {nt.step_loss.latex}_{{T}}}}{{\partial {nm.h('T')}}}"
    want = (rf"{nt.activation.latex}' \left( {nm.net(t)} \right) \odot \left( {own}"
            rf" + {R}^\top {nu}_{{{t}+1}} \right)")  # fmt: skip
    assert _norm(step.rhs) == _norm(want) and _norm(step.lhs) == _norm(f"{nu}_{{{t}}}"), step.rhs
    r = net.run()
    for s in range(1, net.T + 1):  # the step's own loss: zero before T when only E_T is taken
        own = net.d_loss("h", s, s) if model.loss_at == "every" or s == net.T else 0.0
        rhs = net.fp(r["net"][s]) * (own + net.P[Role.RECURRENT].T @ net.total_error(s + 1))
        np.testing.assert_allclose(net.total_error(s), rhs, rtol=1e-5, atol=1e-7)
    if model.loss_at == "last":
        assert f"$[{t} = T]$ is 1 at $T$ and 0 before" in step.reason
    if model.delta == "per_step":  # how nu relates to the text's delta_{t,k}, numbers in
        d = nt.delta.latex
        last = model.loss_at == "last"
        said = (
            f"{nu}_{{k}} = {d}_{{T,k}}"
            if last
            else f"{nu}_{{k}} = \\sum_{{{t} \\ge k}} {d}_{{{t},k}}"
        )
        assert said in step.reason, step.reason
        for k in range(1, net.T + 1):
            ts = [net.T] if last else range(k, net.T + 1)
            np.testing.assert_allclose(net.total_error(k), sum(net.delta(s, k) for s in ts),
                                       rtol=1e-5, atol=1e-7)  # fmt: skip
    if model.delta == "step_state":  # the text's delta_t is the local dE_t/dh_t in the cell
        assert f"the text's ${nt.delta.latex}_{{{t}}}$ is that local term" in step.reason


def check_text_claim(model: Model, step: Step, net: Net, doc: Any) -> None:
    """The text's formula, computed here as the text writes it: printed WRONG iff it is false."""
    R = net.P[Role.RECURRENT]
    r = net.run()
    if model.delta == "step_state":  # homework 3: sum_t (sigma'(s_t) (.) delta_t) h_{t-1}^T
        text = sum((net.fp(r["net"][t]) * net.delta(t)) @ r["h"][t - 1].T
                   for t in range(1, net.T + 1))  # fmt: skip
        false = not np.allclose(text, net.d_param(Role.RECURRENT, None), rtol=1e-4)
    else:  # dl4nlp: delta_{t,k} = diag(f'(s_t)) U^T delta_{t,k+1}, at t = T, k = T - 1
        t, k = net.T, net.T - 1
        text = net.fp(r["net"][t]) * (R.T @ net.delta(t, k + 1))
        false = not np.allclose(text, net.delta(t, k), rtol=1e-4)
    title = next(s.title for s in doc.sections if step in s.steps)
    assert false == title.endswith("WRONG") == ("WRONG" in step.reason), title
    if "holds for $T = 1$" in step.reason and model.delta == "step_state":  # one step: local
        one = Net(model, 1, n=net.n, m=net.m, k=net.k, seed=4)  # = total, the formula holds
        r1 = one.run()
        text = (one.fp(r1["net"][1]) * one.delta(1)) @ r1["h"][0].T
        np.testing.assert_allclose(text, one.d_param(Role.RECURRENT, None), rtol=1e-5, atol=1e-7)


def check_correct_form(model: Model, step: Step, net: Net, doc: Any) -> None:
    """The correct form the claims section prints, numbers in."""
    R = net.P[Role.RECURRENT]
    r = net.run()
    if (
        model.delta == "step_state"
    ):  # sum_t nu_t h_{t-1}^T, nu_t = sigma'(s_t)(delta_t + W^T nu_{t+1})
        nu = {net.T + 1: np.zeros((net.n, 1))}
        for t in range(net.T, 0, -1):
            nu[t] = net.fp(r["net"][t]) * (net.delta(t) + R.T @ nu[t + 1])
        got = sum(nu[t] @ r["h"][t - 1].T for t in range(1, net.T + 1))
        np.testing.assert_allclose(got, net.d_param(Role.RECURRENT, None), rtol=1e-5, atol=1e-7)
        assert _norm(r"\odot \left(\delta_t + W^\top \nu_{t+1}\right)") in _norm(step.reason)
    else:  # delta_{t,k} = f'(s_k) (.) U^T delta_{t,k+1}
        for t in range(2, net.T + 1):
            for k in range(1, t):
                want = net.fp(r["net"][k]) * (R.T @ net.delta(t, k + 1))
                np.testing.assert_allclose(net.delta(t, k), want, rtol=1e-5, atol=1e-7)
        assert _norm(r"f'\left(s_k\right) \odot U^\top \delta_{t,k+1}") == _norm(step.rhs)


def _statement(model: Model, step: Step, net: Net, doc: Any) -> None:
    assert step.source is not None and step.source.kind == step.kind
    check_statement(model, step.source)
    said = re.search(r"= (\d+)(?:/(\d+))?\$ for this activation", step.reason)
    if said:  # the largest |f'| the reason states, against f' on a fine grid
        beta = int(said.group(1)) / int(said.group(2) or 1)
        top = float(np.abs(ACT[model.activation][1](np.linspace(-8, 8, 160_001) + 1e-9)).max())
        assert beta - 1e-6 <= top <= beta + 1e-12, (model.activation, beta, top)
    elif step.kind in ("Jacobian bound", "error bound"):
        assert model.activation == "generic", step.reason  # a known f states its bound


def _concrete(fn: Callable) -> Callable:
    return lambda model, step, net, doc: fn(model, step, net)


#: Every kind of printed step and its check; a kind missing here fails `test_every_kind_...`.
CHECKS: dict[str, Callable[[Model, Step, Net, Any], None]] = {
    **{kind: _statement for kind in general.KINDS},
    "model: forward": check_same_as_general("forward"),
    "model: loss": check_same_as_general("loss"),
    "model: delta definition": check_same_as_general("delta definition"),
    "model: step loss": check_step_loss,
    "expansion: step term": _concrete(check_expansion),
    "expansion: entries": _concrete(check_expansion),
    "expansion: step sum": _concrete(check_expansion),
    "expansion: total": _concrete(check_expansion),
    "path": _concrete(check_path),
    "path sum": _concrete(check_path_sum),
    "Jacobian product at T": _concrete(check_concrete_product),
    "cell forward": check_cell_forward,
    "cell backward": check_cell_backward,
    "text claim": check_text_claim,
    "claim: correct form": check_correct_form,
}


@cache
def _builtin(name: str) -> Model:
    return catalog.load(name)


def _models(tmp_path_factory: Any) -> list[Model]:
    tmp = tmp_path_factory.mktemp("user")
    return [_builtin(n) for n in catalog.builtin_names()] + [
        _user_model(tmp, u) for u in USER_FILES
    ]


IDS = [*catalog.builtin_names(), *(u[0] for u in USER_FILES)]


@pytest.fixture(scope="module")
def models(tmp_path_factory: Any) -> dict[str, Model]:
    return dict(zip(IDS, _models(tmp_path_factory), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("name", IDS)
def test_every_printed_statement_holds(models: dict[str, Model], name: str) -> None:
    model = models[name]
    nt = model.notation
    if nt.time_superscript:  # h^{(t)}, tau: the subscript twin's document, checked below
        plain = replace(
            nt, time_superscript=False, steps="T", derivative_from_output=False, nabla=False
        )
        twin = replace(model, notation=plain)
        sup, sub = build(model, checks=False), build(twin, checks=False)
        assert len(sup.steps) == len(sub.steps)
        for a, b in zip(sup.steps, sub.steps, strict=True):
            got = _subscript_time(_frac(_prime_from_output(a.latex, model)), nt.steps)
            assert got == b.latex, (a.latex, b.latex)
        model = twin
    doc = build(model, checks=False)
    net = Net(model, doc.T, n=doc.n, m=model.sizes.m, k=model.sizes.k, seed=3)
    seen = set()
    for step in doc.steps:
        assert step.kind in CHECKS, (
            f"{name}: no numeric check for the kind {step.kind!r}: {step.latex}"
        )
        CHECKS[step.kind](model, step, net, doc)
        seen.add(step.kind)
    assert {"error bound", "Jacobian bound", "gradient"} <= seen


def test_every_statement_kind_has_a_check() -> None:
    assert set(general.KINDS) <= set(CHECKS)


@pytest.mark.slow
def test_every_printed_kind_has_a_check(models: dict[str, Model]) -> None:
    for name, model in models.items():
        for step in build(model, checks=False).steps:
            assert step.kind in CHECKS, f"{name}: no numeric check for {step.kind!r}: {step.latex}"


def test_the_old_bound_on_the_total_delta_is_false() -> None:
    # elman with W_hh = 0: delta_k = f'(a_k) (.) W_hy^T (yhat_k - y_k) != 0, while
    # ||delta_t|| (beta_W beta_f)^{t-k} = 0 for t > k; the printed bound is on dE_t/da_k.
    net = Net(_builtin("elman"), 3, n=2, m=2, k=2, seed=0)
    net.P[Role.RECURRENT] = np.zeros((2, 2))
    bW, _ = net.betas()
    assert bW == 0 and np.linalg.norm(net.delta(1)) > 1e-3
    (bound,) = [s for s in general.bounds(_builtin("elman")) if s.kind == "error bound"]
    check_statement(_builtin("elman"), bound)  # holds (0 <= 0 for dE_3/da_1)


def test_a_false_statement_fails_the_check() -> None:
    # the check can fail: the old bound ||delta_k|| <= ||delta_t|| (...)^{t-k} for elman
    model = _builtin("elman")
    (bound,) = [s for s in general.bounds(model) if s.kind == "error bound"]
    t, k = sp.Symbol("t", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
    delta = general.Seq.of(model.notation.delta, (k,), bound.lhs.args[0].shape[0], 1)
    far = general.Seq.of(model.notation.delta, (t,), bound.lhs.args[0].shape[0], 1)
    old = general.Statement(
        "old", general.Norm(delta), general.InOrder(general.Norm(far), bound.rhs.args[1]),
        bound.reason, "<=", kind="error bound",
    )  # fmt: skip
    with pytest.raises(AssertionError):
        for seed in range(5):
            net = Net(model, 3, n=3, m=2, k=3, seed=seed)
            net.P[Role.RECURRENT] *= 0.05
            ev = Evaluator(net)
            for scope in _scopes("error bound", model, 3):
                assert ev.ev(old.lhs, scope) <= ev.ev(old.rhs, scope) + 1e-12
