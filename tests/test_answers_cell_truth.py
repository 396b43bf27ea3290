"""The checker's truth runs the model's cell statement and its head (issue 10): its forward values
against loops written here from the published equations, and its derivatives by yhat against the
losses' derivatives worked out by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from symbptt.answers import exact
from symbptt.answers.truth import Definitions, World
from symbptt.catalog import load


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())
    return e / e.sum()


#: f by activation as the texts define it (a generic f is evaluated as tanh, documented).
_F = {"tanh": np.tanh, "sigmoid": _sigmoid, "generic": np.tanh}
#: yhat = g(z) by output layer.
_G = {"softmax": _softmax, "sigmoid": _sigmoid, "identity": lambda v: v}


def _step_loss(loss: str, yhat: np.ndarray, y: np.ndarray) -> float:
    """E_t as the texts write it: -sum y log yhat; -sum y log yhat + (1-y) log(1-yhat); or
    1/2 ||yhat - y||^2 (also the stand-in for a generic loss on an output layer)."""
    if loss == "cross_entropy":
        return float(-(y * np.log(yhat)).sum())
    if loss == "binary_cross_entropy":
        return float(-(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)).sum())
    return float(0.5 * ((yhat - y) ** 2).sum())


def _loop(w: World) -> dict[str, dict[int, np.ndarray] | float]:
    """net_t = U x_t + W h_{t-1} + b, h_t = f(net_t), z_t = V h_t + c, yhat_t = g(z_t), E_t."""
    model, P = w.model, w.params
    assert model is not None
    f = _F[model.activation]
    h, out = w.h0, {"net": {}, "h": {}, "yhat": {}, "E_t": {}}
    for t in range(1, w.T + 1):
        net = P["input"] @ w.xs[t] + P["recurrent"] @ h + P.get("hidden_bias", 0.0)
        h = f(net)
        out["net"][t], out["h"][t] = net, h
        if model.output == "none":
            out["E_t"][t] = float((w.loss_weights[t] * h).sum())  # the linear stand-in
            continue
        yhat = _G[model.output](P["output"] @ h + P.get("output_bias", 0.0))
        out["yhat"][t], out["E_t"][t] = yhat, _step_loss(model.loss, yhat, w.targets[t])
    steps = out["E_t"]
    out["E"] = steps[w.T] if model.loss_at == "last" else sum(steps.values())
    return out


@pytest.mark.parametrize("name", ["course-notes", "blog", "dl4nlp", "homework3", "tutorial"])
def test_forward_is_the_published_recurrence(name: str) -> None:
    w = World(load(name), Definitions(), T=3, n=2, m=2, k=3, seed=3)
    want, got = _loop(w), w.forward()
    for key in ("net", "h", "yhat"):
        for t, v in want[key].items():  # type: ignore[union-attr]
            assert np.allclose(got[key][t], v, rtol=1e-13, atol=1e-14), (key, t)
    for t, e in want["E_t"].items():  # type: ignore[union-attr]
        assert got["E_t"][t] == pytest.approx(e, rel=1e-13)
    assert got["E"] == pytest.approx(want["E"], rel=1e-13)


@pytest.mark.parametrize(
    ("name", "by_hand"),
    [
        ("course-notes", lambda yh, y: -y / yh),  # d(-sum y log yhat)/dyhat
        ("blog", lambda yh, y: -y / yh + (1 - y) / (1 - yh)),  # binary cross-entropy
    ],
)
def test_the_loss_is_differentiated_by_yhat_itself(name: str, by_hand) -> None:
    """dE_t/dyhat_t perturbs yhat_t alone (not z_t): the loss is the formula of yhat."""
    w = World(load(name), Definitions(), T=2, n=2, m=2, k=3, seed=0)
    yhat, y = w.forward()["yhat"][2], w.targets[2]
    k = yhat.shape[0]
    cols = w.differences(("yhat", 2), (k, 1), lambda: np.array([[w.forward()["E_t"][2]]]))
    got = np.array([c[0, 0] for c in cols]).reshape(k, 1)
    assert np.allclose(got, by_hand(yhat, y), rtol=1e-6, atol=1e-8)


def test_a_generic_loss_on_an_output_layer_runs_as_squared_error() -> None:
    """output softmax with loss generic: 1/2 ||softmax(z) - y||^2 with normal targets; the
    engine's softmax loss is cross-entropy, so the exact path stays off."""
    model = dataclasses.replace(load("course-notes"), loss="generic")
    w = World(model, Definitions(), T=3, n=2, m=2, k=3, seed=2)
    fwd = w.forward()
    for t in range(1, 4):
        yhat, y = fwd["yhat"][t], w.targets[t]
        assert fwd["E_t"][t] == pytest.approx(0.5 * float(((yhat - y) ** 2).sum()), rel=1e-13)
    assert (w.targets[1:] < 0).any()  # not probability vectors
    assert not exact.available(model)
    assert exact.available(dataclasses.replace(model, output="identity"))
    assert exact.available(load("course-notes"))


@pytest.mark.parametrize(
    ("tex", "verdict"),
    [
        (r"\sum_{t=1}^{T} \nabla_{W_f,t} L = \frac{\partial L}{\partial W_f}", "correct"),
        (r"\sum_{t=1}^{T} \nabla_{W_f,t} L = 2 \frac{\partial L}{\partial W_f}", "wrong"),
        (r"\nabla_{W_f,t} h_t = 0", "undecided"),  # a vector by a matrix: a 3-D tensor
        # dc_t/db_f by step t's copy, by hand: c_{t-1} * sigma'(a_t) = c_{t-1} f_t (1 - f_t)
        (r"\nabla_{b_f,t} c_t = \operatorname{diag}(c_{t-1} \odot f_t \odot (1 - f_t))", "correct"),
        (r"\nabla_{b_f,t} c_t = \operatorname{diag}(c_{t-1} \odot f_t)", "wrong"),
    ],
)
def test_a_gated_step_copy_gradient_is_judged(tex: str, verdict: str) -> None:
    """The gradient by W_f is the sum over t of the gradients by step t's copy of W_f (every
    BPTT text's sum over time); a gated cell's step copy is not the vanilla engine's."""
    from symbptt.answers.judge import AnswerSpec, judge

    v = judge(AnswerSpec("a", tex), load("lstm"))
    assert v.verdict == verdict, v.reason
