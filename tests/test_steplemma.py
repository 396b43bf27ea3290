"""The step lemma: exact proofs per model, wrong rules caught, compiled code against independent math."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from symbptt import catalog
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Role
from symbptt.symbolic import steplemma as S
from symbptt.symbolic.codegen import compile_gradients

MODELS = ["tutorial", "course-notes", "blog", "homework3", "dl4nlp", "elman"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_model_proves(name: str, n: int) -> None:
    model = catalog.load(name)
    proof = S.prove(model, n, generic=n <= 2)
    assert proof.passed, [claim for claim, ok in proof.steps if not ok]
    claims = " | ".join(c for c, _ in proof.steps)
    assert "base case T=1" in claims and "step, loss at t" in claims
    if model.loss_at == "last":
        assert "step, no loss at t < T" in claims
    for role in model.roles:
        assert f"d{model.notation.param(role).ascii} = per-step term" in claims


def _dropped_recursive_term(model):
    def backward(c: S.Cell) -> S.StepResult:
        d = c.had(c.fp, c.dEdh)  # forgets W^T delta_{t+1}
        return S.StepResult({"delta_t": (d, S.TOTAL)}, c[Role.RECURRENT].T * d,
                            S.step_terms(c, d, model.roles))  # fmt: skip

    return S.StepRule("dropped", backward)


@pytest.mark.parametrize("name", ["elman", "tutorial", "blog"])
def test_dropped_recursive_term_fails(name: str) -> None:
    model = catalog.load(name)
    proof = S.prove(model, 2)
    wrong = S.prove(model, 2, rule=_dropped_recursive_term(model))
    assert proof.passed and not wrong.passed
    failed = [c for c, ok in wrong.steps if not ok]
    rec = model.notation.param(Role.RECURRENT).ascii
    assert any(f"d{rec} = per-step term" in c for c in failed)
    # the base case (nothing after T=1) cannot tell the difference: only the step can
    assert all(ok for c, ok in wrong.steps if c.startswith("base case"))


def test_dl4nlp_wrong_index_fails() -> None:
    """The text's diag(f'(s_t)) U^T delta_{t,k+1}: f' at the loss step t instead of k."""
    model = catalog.load("dl4nlp")

    def backward(c: S.Cell) -> S.StepResult:
        dtt, dtk = c.had(c.fp, c.dEdh), c.had(c.fp_future, c.g)
        deltas = {"delta_{t,t}": (dtt, S.LOCAL), "delta_{t,k}": (dtk, S.REST)}
        return S.StepResult(deltas, c[Role.RECURRENT].T * (dtt + dtk),
                            S.step_terms(c, dtt + dtk, model.roles))  # fmt: skip

    wrong = S.prove(model, 2, rule=S.StepRule("f'(s_t)", backward))
    failed = [c for c, ok in wrong.steps if not ok]
    assert any("delta_{t,k}" in c for c in failed)
    assert any("dU = per-step term" in c for c in failed)  # U is recurrent in this text


def test_homework3_local_delta_claim_fails() -> None:
    """Ex 1(b): sum_t (delta_t (.) sigma'(s_t)) h_{t-1}^T with delta_t = dL_t/dh_t (local)."""
    model = catalog.load("homework3")

    def backward(c: S.Cell) -> S.StepResult:
        d = c.had(c.fp, c.dEdh)
        return S.StepResult({"delta_t": (c.dEdh, S.STATE)}, c[Role.RECURRENT].T * (c.had(c.fp, c.dEdh + c.g)),
                            S.step_terms(c, d, model.roles))  # fmt: skip

    wrong = S.prove(model, 2, rule=S.StepRule("homework", backward))
    assert not wrong.passed
    failed = [c for c, ok in wrong.steps if not ok]
    expected = [c for c, _ in wrong.steps if c.startswith("step") and ("dW" in c or "dU" in c)]
    assert failed[:-1] == expected and failed[-1].startswith("induction")


def _step_state_models():
    """homework3 (E_t of h_t) and dl4nlp with a local delta (E_t of z_t = V h_t, softmax + CE)."""
    return [catalog.load("homework3"),
            dataclasses.replace(catalog.load("dl4nlp"), delta="step_state")]  # fmt: skip


def _state_claims(proof: S.Proof) -> list[tuple[str, bool]]:
    return [(c, ok) for c, ok in proof.steps if c.endswith("_t/dh_t") and "delta_t = " in c]


def _wrong_local(model, kind: str) -> S.StepRule:
    """step_state with a wrong local delta; the total and the gradients stay right."""

    def backward(c: S.Cell) -> S.StepResult:
        local = {"with f'": c.had(c.fp, c.dEdh), "twice": 2 * c.dEdh}[kind]
        d = c.had(c.fp, c.dEdh + c.g)
        return S.StepResult({"delta_t": (local, S.STATE)}, c[Role.RECURRENT].T * d,
                            S.step_terms(c, d, model.roles))  # fmt: skip

    return S.StepRule(kind, backward)


@pytest.mark.parametrize("kind", ["with f'", "twice"])
@pytest.mark.parametrize("index", [0, 1], ids=["homework3", "dl4nlp-step-state"])
@pytest.mark.parametrize("generic", [True, False])
def test_wrong_local_state_delta_fails(kind: str, index: int, generic: bool) -> None:
    model = _step_state_models()[index]
    assert S.prove(model, 2, generic=generic).passed
    wrong = S.prove(model, 2, rule=_wrong_local(model, kind), generic=generic)
    state = _state_claims(wrong)
    assert len(state) == 2 and not any(ok for _, ok in state)  # base case and step
    failed = [c for c, ok in wrong.steps if not ok]
    assert failed == [c for c, _ in state] + [failed[-1]] and failed[-1].startswith("induction")


@pytest.mark.parametrize("index", [0, 1], ids=["homework3", "dl4nlp-step-state"])
def test_local_state_claim_does_not_trust_the_cells_dEdh(
    monkeypatch: pytest.MonkeyPatch, index: int
) -> None:
    # hand every rule a wrong dE_t/dh_t (0: E_t written in z_t differentiated by h_t; 2x):
    # the claim delta_t = dE_t/dh_t must fail, since its truth is diff of E_t by h_t itself
    model = _step_state_models()[index]
    parts = S._SymbolicCell.parts
    for scale in (0, 2):

        def bad_parts(self, net, scale=scale):
            Et, R, p = parts(self, net)
            return Et, R, p | {"dEdh": scale * p["dEdh"]}

        monkeypatch.setattr(S._SymbolicCell, "parts", bad_parts)
        state = _state_claims(S.prove(model, 2))
        assert state and not any(ok for _, ok in state), (scale, state)


def test_prove_limits_and_sizes() -> None:
    model = catalog.load("elman")
    with pytest.raises(InputError, match="n <= 8"):
        S.prove(model, 9)
    with pytest.raises(InputError, match="positive integer"):
        S.prove(model, 0)
    proof = S.prove(model, 1, m=3, k=3)
    assert (proof.m, proof.k) == (3, 3) and proof.passed


# --------------------------------------------------------------------------- numeric


def _act(name: str):
    return {
        "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
        "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2),
        "identity": (lambda a: a, lambda a: np.ones_like(a)),
    }[name]


def _loss(P, xs, h0, Y, act):
    """Independent forward pass: E = sum_t cross-entropy(softmax(V h_t + c), y_t)."""
    f = _act(act)[0]
    h, E = h0, 0.0
    for t in range(len(xs)):
        h = f(P["U"] @ xs[t] + P["W"] @ h + P["b"])
        z = P["V"] @ h + P["c"]
        E -= Y[t] @ (z - z.max() - np.log(np.exp(z - z.max()).sum()))
    return E


def _central(P, key, fn, eps=1e-6):
    g = np.zeros_like(P[key])
    for idx in np.ndindex(P[key].shape):
        hi = {k: v.copy() for k, v in P.items()}
        lo = {k: v.copy() for k, v in P.items()}
        hi[key][idx] += eps
        lo[key][idx] -= eps
        g[idx] = (fn(hi) - fn(lo)) / (2 * eps)
    return g


def _setup(T, n=3, m=2, k=2, seed=0):
    rng = np.random.default_rng(seed)
    P = {"U": rng.normal(size=(n, m)) * 0.5, "W": rng.normal(size=(n, n)) * 0.5,
         "b": rng.normal(size=n) * 0.1, "V": rng.normal(size=(k, n)), "c": rng.normal(size=k)}  # fmt: skip
    xs, h0 = rng.normal(size=(T, m)), rng.normal(size=n)
    Y = np.eye(k)[rng.integers(0, k, T)]
    return P, xs, h0, Y


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("T", [1, 2, 50])
def test_compiled_matches_finite_differences(act: str, T: int) -> None:
    model = dataclasses.replace(catalog.load("elman"), activation=act)
    P, xs, h0, Y = _setup(T)
    grads = compile_gradients(model, 3)(P, xs, h0, targets=Y)
    for key in ("W", "U", "b", "V", "c"):
        fd = _central(P, key, lambda Q: _loss(Q, xs, h0, Y, act))
        err = np.abs(grads[key] - fd).max() / max(1.0, np.abs(fd).max())
        assert err < 1e-7, (key, err)


def test_compiled_t1_by_hand() -> None:
    """T = 1 from the formulas: delta_1 = f'(net_1) (.) V^T (yhat_1 - y_1), dW = delta_1 h_0^T."""
    model = catalog.load("elman")
    P, xs, h0, Y = _setup(1)
    net = P["U"] @ xs[0] + P["W"] @ h0 + P["b"]
    h1 = np.tanh(net)
    z = P["V"] @ h1 + P["c"]
    yhat = np.exp(z) / np.exp(z).sum()
    delta = (1 - h1**2) * (P["V"].T @ (yhat - Y[0]))
    g = compile_gradients(model, 3)(P, xs, h0, targets=Y)
    np.testing.assert_allclose(g["W"], np.outer(delta, h0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["U"], np.outer(delta, xs[0]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["V"], np.outer(yhat - Y[0], h1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["h0"], P["W"].T @ delta, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", MODELS)
def test_compiled_matches_engine(name: str) -> None:
    engine = pytest.importorskip("symbptt.engine")
    model = catalog.load(name)
    n, m, k, T = 4, model.sizes.m, model.sizes.k, 50
    P, xs, h0, Y = _setup(T, n, m, k, seed=1)
    P = {key: v for key, v in P.items() if key in {ENGINE_KEY[r] for r in model.roles}}
    act = "tanh" if model.activation == "generic" else model.activation
    trace = engine.forward(
        P, xs, h0, activation=act, output=None if model.output == "none" else model.output
    )
    fn = compile_gradients(model, n)
    if model.has_output_layer:
        mine, ref = (
            fn(P, xs, h0, targets=Y),
            engine.backward(trace, targets=Y, loss_at=model.loss_at),
        )
    else:
        dh = np.random.default_rng(2).normal(size=(T, n))
        if model.loss_at == "last":
            dh[:-1] = 0.0
        mine, ref = fn(P, xs, h0, dh=dh), engine.backward(trace, dh=dh)
    for key in (*P, "h0"):
        err = np.abs(mine[key] - ref[key]).max() / max(1.0, np.abs(ref[key]).max())
        assert err < 1e-10, (key, err)


def test_compiled_bad_input() -> None:
    model = catalog.load("elman")
    fn = compile_gradients(model, 3)
    P, xs, h0, Y = _setup(2)
    with pytest.raises(InputError, match="'V'"):
        fn({k: v for k, v in P.items() if k != "V"}, xs, h0, targets=Y)
    with pytest.raises(InputError, match="xs must have shape"):
        fn(P, xs[:, :1], h0, targets=Y)
    with pytest.raises(InputError, match="exactly one"):
        fn(P, xs, h0)
    with pytest.raises(InputError, match="no output layer"):
        compile_gradients(catalog.load("homework3"), 3)(P, xs, h0, targets=Y)


def test_proof_claims_use_the_models_letters() -> None:
    """dl4nlp: s_t = U h_{t-1} + W x_t, so the cell Jacobian is diag(f'(s_t)) U (U recurrent)."""
    claims = [c for c, _ in S.prove(catalog.load("dl4nlp"), 1).steps]
    (jac,) = [c for c in claims if c.startswith("cell Jacobian")]
    assert jac == "cell Jacobian: dh_t/dh_(t-1) = diag(f'(s_t)) U"
    assert not [c for c in claims if "net" in c]
    # homework 3: loss L, activation sigma, pre-activation s_t
    claims = [c for c, _ in S.prove(catalog.load("homework3"), 1).steps]
    assert "cell Jacobian: dh_t/dh_(t-1) = diag(sigma'(s_t)) W" in claims
    assert not [c for c in claims if "dE" in c or "net" in c]


# ----------------------------------------------- the cell and the heads as the one statement

_HEADS = {  # (output, loss) -> (yhat from z, dE_t/dz_t), written here from the published forms
    ("softmax", "cross_entropy"): (
        lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
        lambda yhat, y: yhat - y,  # one-hot targets
    ),
    ("identity", "squared_error"): (lambda z: z, lambda yhat, y: yhat - y),
    ("sigmoid", "binary_cross_entropy"): (lambda z: 1 / (1 + np.exp(-z)), lambda yhat, y: yhat - y),
}
_ACTS = {  # f and f'; a generic f runs as tanh (the documented numeric stand-in)
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "generic": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "identity": (lambda a: a, np.ones_like),
}


def _loop_bptt(P, xs, h0, Y, act, head, loss_at):
    """Plain BPTT from the equations: net_t = U x_t + W h_(t-1) + b, h_t = f(net_t),
    z_t = V h_t + c, e_t = yhat_t - y_t, delta_t = f'(net_t) (.) (V^T e_t + W^T delta_(t+1))."""
    f, fp = _ACTS[act]
    out, err = _HEADS[head]
    T = len(xs)
    hs, nets = [h0], []
    for t in range(T):
        nets.append(P["U"] @ xs[t] + P["W"] @ hs[-1] + P["b"])
        hs.append(f(nets[-1]))
    g = {key: np.zeros_like(v) for key, v in P.items()}
    d_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        e = np.zeros(P["V"].shape[0])
        if loss_at == "every" or t == T - 1:
            e = err(out(P["V"] @ hs[t + 1] + P["c"]), Y[t])
        g["V"] += np.outer(e, hs[t + 1])
        g["c"] += e
        d = fp(nets[t]) * (P["V"].T @ e + P["W"].T @ d_next)
        g["U"] += np.outer(d, xs[t])
        g["W"] += np.outer(d, hs[t])
        g["b"] += d
        d_next = d
    g["h0"] = P["W"].T @ d_next
    return g


def _head_model(head, act, loss_at="every"):
    output, loss = head
    return dataclasses.replace(
        catalog.load("elman"), output=output, loss=loss, activation=act, loss_at=loss_at
    )


@pytest.mark.parametrize("act", list(_ACTS))
@pytest.mark.parametrize("head", list(_HEADS), ids=lambda h: h[1])
def test_compiled_matches_an_independent_loop_for_every_head_and_activation(act, head) -> None:
    T = 7
    P, xs, h0, Y = _setup(T, n=3, m=2, k=3, seed=3)
    if head[1] == "binary_cross_entropy":
        Y = np.random.default_rng(4).integers(0, 2, size=(T, 3)).astype(float)
    for loss_at in ("every", "last"):
        got = compile_gradients(_head_model(head, act, loss_at), 3, k=3)(P, xs, h0, targets=Y)
        want = _loop_bptt(P, xs, h0, Y, act, head, loss_at)
        for key, w in want.items():
            np.testing.assert_allclose(got[key], w, rtol=1e-11, atol=1e-13, err_msg=key)


def test_compiled_output_error_is_the_heads_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Codegen's e_t is the table's numpy_grad: a doubled one doubles dV exactly."""
    from symbptt.symbolic import codegen

    model = catalog.load("elman")
    P, xs, h0, Y = _setup(3)
    right = compile_gradients(model, 3)(P, xs, h0, targets=Y)
    head = S.model_head(model)
    doubled = dataclasses.replace(head, numpy_grad=lambda z, y: 2 * head.numpy_grad(z, y))
    monkeypatch.setattr(codegen, "model_head", lambda m: doubled)
    wrong = compile_gradients(model, 3)(P, xs, h0, targets=Y)
    np.testing.assert_allclose(wrong["V"], 2 * right["V"], rtol=1e-12)
    np.testing.assert_allclose(wrong["c"], 2 * right["c"], rtol=1e-12)


def test_compiled_targets_need_a_head_with_an_error_term() -> None:
    model = dataclasses.replace(catalog.load("elman"), loss="generic")  # softmax + generic L_t
    P, xs, h0, Y = _setup(2)
    with pytest.raises(InputError, match="give dh="):
        compile_gradients(model, 3)(P, xs, h0, targets=Y)


@pytest.mark.parametrize("head", list(_HEADS), ids=lambda h: h[1])
def test_output_lemma_is_proved_from_the_heads_loss(head, monkeypatch) -> None:
    """The lemma differentiates the table's SymPy loss: right for each head, and a loss scaled
    by 2 in the table (a wrong statement) fails the claim."""
    model = _head_model(head, "tanh")
    (lemma,) = [(c, ok) for c, ok in S.prove(model, 1).steps if c.startswith("output lemma")]
    assert lemma[1], lemma
    summed = "(sum_j y_tj)" in lemma[0]
    assert summed == (head[1] == "cross_entropy")  # the CE gradient is yhat sum_j y_j - y
    right = S.model_head(model)
    wrong = dataclasses.replace(right, sympy_step_loss=lambda z, p, y: 2 * right.sympy_loss(z, y))
    monkeypatch.setattr(S, "model_head", lambda m: wrong)
    (bad,) = [(c, ok) for c, ok in S.prove(model, 1).steps if c.startswith("output lemma")]
    assert not bad[1], bad


def test_the_proofs_step_is_the_cells_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proof reads net_t from Model.cell_def: a cell with W h_(t-1) twice (a wrong
    statement for the text's rule) fails the adjoint, dW and Jacobian claims."""
    from symbptt.cells.builtin import rnn
    from symbptt.cells.cell import Equation
    from symbptt.cells.expr import Add, Apply, MatMul, ParamRef, Prev
    from symbptt.model import Model

    model = catalog.load("elman")
    cell = rnn("tanh")
    (eq,) = cell.equations
    extra = MatMul(ParamRef("W"), Prev("h"))
    doubled = Equation("h", Apply("tanh", Add((*eq.rhs.arg.terms, extra))))
    bad_cell = dataclasses.replace(cell, equations=(doubled,))
    monkeypatch.setattr(Model, "cell_def", property(lambda self: bad_cell))
    proof = S.prove(model, 2)
    failed = [c for c, ok in proof.steps if not ok]
    rec = model.notation.param(Role.RECURRENT).ascii
    assert any("rule's adjoint" in c for c in failed)
    assert any(c.startswith("cell Jacobian") for c in failed)
    assert any(f"d{rec} = per-step term" in c for c in failed)


def test_a_gated_cell_is_not_the_vanilla_lemmas() -> None:
    with pytest.raises(InputError, match="not a vanilla cell"):
        S.prove(catalog.load("lstm"), 1)


@pytest.mark.parametrize("name", MODELS)
def test_every_claim_has_latex_wording(name: str) -> None:
    """The printing side words every claim; the algebra returns ASCII and data only."""
    from symbptt.latex.proof_letters import labels

    model = catalog.load(name)
    proof = S.prove(model, 1)
    words = labels(model, proof)
    assert list(words) == [c for c, _ in proof.steps]
    for claim, text in words.items():
        assert text and text.count("$") % 2 == 0 and "{E}" not in text, (claim, text)
