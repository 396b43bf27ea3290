"""General-T statements: the right symbols in the right roles, checked by structure."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symbptt import catalog
from symbptt.model import Role
from symbptt.symbolic.general import KINDS, Elementwise, MatProduct, Param, Partial, Seq, statements

MODELS = ["tutorial", "course-notes", "blog", "homework3", "dl4nlp", "elman"]


def _by_name(model_name: str) -> dict[str, object]:
    return {s.name: s for s in statements(catalog.load(model_name))}


def _nodes(expr: object, kind: type) -> list:
    return [a for a in sp.preorder_traversal(expr) if isinstance(a, kind)]


def _transposed(expr: object) -> list:
    return [a.arg for a in _nodes(expr, sp.Transpose)]


def test_dl4nlp_recurrence_uses_u_at_step_k() -> None:
    """s_t = U h_{t-1} + W x_t: delta_{t,k} = f'(s_k) (.) (U^T delta_{t,k+1})."""
    st = _by_name("dl4nlp")
    rec = st["delta recursion (k < t)"]
    (trans,) = _transposed(rec.rhs)
    assert isinstance(trans, Param) and trans.role is Role.RECURRENT and trans.name == "U"
    (fprime,) = _nodes(rec.rhs, Elementwise)
    t, k = sp.Symbol("t", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
    assert fprime.order == 1 and fprime.arg.name == "s" and fprime.arg.indices == (k,)
    assert rec.lhs.name == "delta" and rec.lhs.indices == (t, k)
    inner = [a for a in _nodes(rec.rhs, Seq) if a.name == "delta"]
    assert inner[0].indices == (t, k + 1)


def test_dl4nlp_double_sum_and_output_error() -> None:
    st = _by_name("dl4nlp")
    grad_u = st["gradient U"]
    assert isinstance(grad_u.lhs, Partial) and grad_u.lhs.args[1].role is Role.RECURRENT
    outer = grad_u.rhs
    t, k, T = sp.symbols("t k T", integer=True, positive=True)
    assert isinstance(outer, sp.Sum) and outer.limits == ((k, 1, t), (t, 1, T))  # k inner
    (hprev,) = _transposed(outer)
    assert hprev.name == "h" and hprev.indices == (k - 1,)  # h_{k-1}, not h_{t-1}
    grad_w = st["gradient W"]  # W is the INPUT matrix here
    assert grad_w.lhs.args[1].role is Role.INPUT
    assert [a.name for a in _transposed(grad_w.rhs)] == ["x"]
    names = {a.name for a in _nodes(st["output error"].rhs, Seq)}
    assert names == {"yhat", "y"}


def test_blog_names_and_roles() -> None:
    st = _by_name("blog")
    pre = st["forward: pre-activation"]
    roles = {p.role: p.name for p in _nodes(pre.rhs, Param)}
    assert roles == {Role.RECURRENT: "W_h", Role.INPUT: "W_x", Role.HIDDEN_BIAS: "b_h"}
    assert pre.lhs.name == "a"
    for key, role in [("gradient W_h", Role.RECURRENT), ("gradient W_y", Role.OUTPUT)]:
        assert st[key].lhs.args[1].role is role
    assert "W_{h}" in sp.latex(st["delta recursion"].rhs)
    assert r"\sigma'" in sp.latex(st["delta recursion"].rhs)


def test_homework3_local_delta_and_total() -> None:
    st = _by_name("homework3")
    definition = st["delta definition"]
    assert definition.relation == ":="
    assert definition.rhs.args[0].indices != ()  # L_t, the step's own loss: local
    total = st["total state gradient"]
    assert total.lhs.args[0].indices == ()  # dL/dh_t: the whole loss
    (trans,) = _transposed(total.rhs)
    assert trans.role is Role.RECURRENT and trans.name == "W"
    (fprime,) = _nodes(total.rhs, Elementwise)
    assert fprime.function == "sigma" and fprime.arg.name == "s"
    # the correct dL/dW uses the total state gradient, not the local delta
    grad_w = st["gradient W"].rhs
    assert not [a for a in _nodes(grad_w, Seq) if a.name == "delta"]


def test_tutorial_loss_at_last() -> None:
    st = _by_name("tutorial")
    loss = st["loss"]
    assert not isinstance(loss.rhs, sp.Sum) and loss.rhs.indices == (
        sp.Symbol("T", integer=True, positive=True),
    )
    # the loss only at T: delta_T is the start, the recursion runs for t < T, no delta_{T+1}
    # (with delta_{T+1} = 0 the recursion at t = T would give delta_T = 0)
    assert "delta at T" in st and "delta boundary" not in st
    assert "t < T" in str(st["delta recursion"].reason)
    elman = _by_name("elman")  # a loss at every step: delta_{T+1} = 0 closes the recursion
    assert elman["delta boundary"].rhs == sp.ZeroMatrix(*elman["delta boundary"].lhs.shape)
    assert st["forward: state"].lhs.name == "s"
    assert r"\mathrm{net}_{t}" in sp.latex(st["forward: pre-activation"].lhs)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_has_each_gradient_and_the_product(name: str) -> None:
    model = catalog.load(name)
    st = statements(model)
    grads = {s.lhs.args[1].role for s in st if s.name.startswith("gradient ")}
    assert grads == set(model.roles)
    (jac,) = [s for s in st if s.name == "Jacobian product"]
    (prod,) = _nodes(jac.rhs, MatProduct)
    diag, w = prod.term.args
    assert isinstance(diag, DiagMatrix) and w.role is Role.RECURRENT
    i, lo, hi = prod.limits
    assert lo - 1 == jac.lhs.args[1].indices[0] and hi == jac.lhs.args[0].indices[0]
    jac_bound, bound = [s for s in st if s.relation == "<="]
    assert jac_bound.kind == "Jacobian bound" and bound.kind == "error bound"
    assert bound.rhs.has(
        sp.Symbol(rf"\beta_{{{model.notation.param(Role.RECURRENT).latex}}}", positive=True)
    )
    for s in st:
        assert s.reason and sp.latex(s.lhs) and sp.latex(s.rhs)
        assert s.kind in KINDS, s.name
