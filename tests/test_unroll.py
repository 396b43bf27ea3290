"""The unrolled graph: definitions from the source texts, names in each notation, numbers vs the engine."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbptt import engine
from symbptt.catalog import load
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Name, Notation, Role
from symbptt.symbolic import unroll
from symbptt.symbolic.gradients import direct_naive
from symbptt.symbolic.unroll import dag_cse


def test_tutorial_net_and_state_follow_the_chapter() -> None:
    # source-material 1: net_t = U x_t + W s_{t-1}, s_t = f(net_t), no bias; E of the last state.
    u = unroll(load("tutorial"), 2, 2, generic=True)
    U, W = u.params[Role.INPUT], u.params[Role.RECURRENT]
    f = sp.Function("f")
    net1 = U * u.xs[0] + W * u.h0
    net2 = U * u.xs[1] + W * net1.applyfunc(f)
    assert u.net[0] == net1
    assert u.net[1] == net2
    assert u.h[1] == net2.applyfunc(f)
    assert u.loss_steps == [2]  # loss_at: last
    assert set(u.params) == {Role.INPUT, Role.RECURRENT}


def test_names_are_the_texts_own() -> None:
    dl = unroll(load("dl4nlp"), 2, 2)
    # dl4nlp: U is the recurrent matrix, s the pre-activation, h the state
    assert dl.params[Role.RECURRENT][0, 1].name == "U[1,2]"
    assert dl.params[Role.INPUT][1, 0].name == "W[2,1]"
    assert dl.net_sym[1][0].name == "s_2[1]"
    assert dl.h_sym[0][1].name == "h_1[2]"
    cn = unroll(load("course-notes"), 2, 2)
    assert cn.h_sym[0][0].name == "s_1[1]" and cn.net_sym[0][0].name == "a_1[1]"
    assert cn.params[Role.HIDDEN_BIAS][1].name == "b_a[2]"
    tex = unroll(load("blog"), 2, 2).latex_names()
    names = {s.name: t for s, t in tex.items()}
    assert names["W_h[1,2]"] == r"\left[W_{h}\right]_{1,2}"
    assert names["h_2[1]"] == "h_{2,1}"
    assert names["yt_1[2]"] == r"\bar{y}_{1,2}"


def test_a_name_used_twice_is_refused() -> None:
    notation = Notation(
        parameters={Role.INPUT: Name.of("U"), Role.RECURRENT: Name.of("W")},
        state=Name("x", "x"),  # the same as the input's name
    )
    model = Model("clash", "state and input share x", notation, output="none", loss="generic")
    with pytest.raises(InputError, match="'x_1\\[1\\]'.*input.*state"):
        unroll(model, 2, 2)


@pytest.mark.parametrize("T, n", [(0, 2), (2, 0), (2.5, 2)])
def test_bad_sizes(T: object, n: object) -> None:
    with pytest.raises(InputError):
        unroll(load("elman"), T, n)  # type: ignore[arg-type]


def test_generic_losses_are_distinct_functions_of_the_output_preactivation() -> None:
    u = unroll(load("elman"), 3, 2, generic=True)
    names = [L.__name__ for L in u.loss_functions]
    assert names == ["E_1", "E_2", "E_3"]
    assert u.loss_def[1] == u.loss_functions[1](*u.z_sym[1])


@pytest.mark.parametrize("name", ["course-notes", "blog", "dl4nlp", "elman"])
def test_loss_value_matches_the_engine(name: str) -> None:
    # The symbolic E, lambdified, against the numpy engine's forward + loss (independent code).
    model = load(name)
    T, n = 3, 2
    u = unroll(model, T, n)
    rng = np.random.default_rng(1)
    params = {r: rng.normal(0, 0.7, size=model.shape(r, _sizes(u))) for r in u.params}
    xs = rng.normal(size=(T, u.m))
    h0 = rng.normal(size=n)
    if model.loss == "cross_entropy":
        y = np.eye(u.k)[rng.integers(0, u.k, size=T)]
    else:
        y = rng.integers(0, 2, size=(T, u.k)).astype(float)
    fn = u.lambdify([u.E, u.E_named])
    e_full, e_named = fn(*u.values(params, xs, h0, y))
    trace = engine.forward(
        {ENGINE_KEY[r]: v for r, v in params.items()},
        xs,
        h0,
        activation=model.activation,
        output=model.output,
    )
    want = engine.loss(trace, y, loss_at=model.loss_at)
    assert e_full == pytest.approx(want, rel=1e-12)
    assert e_named == pytest.approx(want, rel=1e-12)


def test_inputs_cover_every_free_symbol() -> None:
    for name in ("course-notes", "homework3", "tutorial"):
        u = unroll(load(name), 3, 2)
        assert u.E.free_symbols <= set(u.inputs())
        assert len(set(u.inputs())) == len(u.inputs())


def test_to_named_undoes_substitution_of_a_naive_derivative() -> None:
    u = unroll(load("homework3"), 2, 1, generic=True)
    naive = u.to_named(direct_naive(u, Role.RECURRENT))
    assert not naive.has(sp.Subs)
    assert naive.free_symbols <= set(u.inputs()) | {s for s, _ in u.definitions}


def test_dag_cse_shares_and_evaluates_like_substitution() -> None:
    x, y = sp.symbols("x y")
    shared = sp.sin(x + y)
    exprs = [shared**2 + shared, shared * x]
    temps, reduced = dag_cse(exprs)
    assert len(temps) == 1
    back = [e.xreplace({temps[0][0]: temps[0][1]}) for e in reduced]
    assert [sp.simplify(a - b) for a, b in zip(back, exprs, strict=True)] == [0, 0]


def _sizes(u):  # noqa: ANN001, ANN202
    from symbptt.model import Sizes

    return Sizes(T=u.T, n=u.n, m=u.m, k=max(u.k, 1))
