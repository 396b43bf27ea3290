"""Goodfellow, Bengio and Courville, Deep Learning, ch. 10 (derivations/goodfellow.yaml and its
claims file): the book's RNN and its gradient equations 10.18-10.28 written here in numpy from the
book, against central differences of a loop written from eqs. 10.8-10.14; the checker's verdicts
on the claims file and on a changed claim."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from symbptt import catalog, engine
from symbptt.cli import cli
from symbptt.model import Role

CLAIMS = catalog.DERIVATIONS_DIR / "claims" / "goodfellow.yaml"


def _forward(P: dict[str, np.ndarray], xs: np.ndarray) -> tuple[list, list, list]:
    """Eqs. 10.8-10.11: a = b + W h^(t-1) + U x^(t), h = tanh(a), o = c + V h, yhat = softmax(o)."""
    h = np.zeros(P["W"].shape[0])
    hs, os_, ys = [h], [], []
    for x in xs:
        a = P["b"] + P["W"] @ h + P["U"] @ x
        h = np.tanh(a)
        o = P["c"] + P["V"] @ h
        e = np.exp(o - o.max())
        hs.append(h)
        os_.append(o)
        ys.append(e / e.sum())
    return hs, os_, ys


def _loss(P: dict[str, np.ndarray], xs: np.ndarray, labels: np.ndarray) -> float:
    """Eqs. 10.12-10.14: L = sum_t L^(t), L^(t) = -log yhat^(t)_{y^(t)}."""
    _, _, ys = _forward(P, xs)
    return float(-sum(np.log(y[label]) for y, label in zip(ys, labels, strict=True)))


def _central(P: dict[str, np.ndarray], xs: np.ndarray, labels: np.ndarray) -> dict:
    out, eps = {}, 1e-6
    for k, v in P.items():
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, dn = {**P, k: v.copy()}, {**P, k: v.copy()}
            up[k][idx] += eps
            dn[k][idx] -= eps
            g[idx] = (_loss(up, xs, labels) - _loss(dn, xs, labels)) / (2 * eps)
        out[k] = g
    return out


def _instance(seed: int, tau: int = 4, n: int = 3, m: int = 2, k: int = 3):  # noqa: ANN202
    rng = np.random.default_rng(seed)
    P = {
        "U": rng.normal(0, 0.7, (n, m)),
        "W": rng.normal(0, 0.7, (n, n)),
        "b": rng.normal(0, 0.3, n),
        "V": rng.normal(0, 0.7, (k, n)),
        "c": rng.normal(0, 0.3, k),
    }
    return P, rng.normal(size=(tau, m)), rng.integers(0, k, size=tau)


def _book_gradients(P: dict[str, np.ndarray], xs: np.ndarray, labels: np.ndarray) -> dict:
    """Eqs. 10.18-10.28 as printed, t = 1..tau (index t-1 here; h^(0) = 0)."""
    hs, _, ys = _forward(P, xs)
    tau, k = len(xs), P["V"].shape[0]
    g_o = [ys[t] - np.eye(k)[labels[t]] for t in range(tau)]  # 10.18: yhat_i - 1_{i, y^(t)}
    g_h = [None] * tau
    g_h[-1] = P["V"].T @ g_o[-1]  # 10.19
    for t in range(tau - 2, -1, -1):  # 10.21, with h^(t+1) = hs[t + 2]
        g_h[t] = P["W"].T @ np.diag(1 - hs[t + 2] ** 2) @ g_h[t + 1] + P["V"].T @ g_o[t]
    D = [np.diag(1 - hs[t + 1] ** 2) for t in range(tau)]  # diag(1 - (h^(t))^2)
    return {
        "c": sum(g_o),  # 10.22
        "b": sum(D[t] @ g_h[t] for t in range(tau)),  # 10.23
        "V": sum(np.outer(g_o[t], hs[t + 1]) for t in range(tau)),  # 10.24
        "W": sum(np.outer(D[t] @ g_h[t], hs[t]) for t in range(tau)),  # 10.26
        "U": sum(np.outer(D[t] @ g_h[t], xs[t]) for t in range(tau)),  # 10.28
        "_g_h": g_h,
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_books_gradients_equal_central_differences(seed: int) -> None:
    P, xs, labels = _instance(seed)
    book, fd = _book_gradients(P, xs, labels), _central(P, xs, labels)
    for key in P:
        np.testing.assert_allclose(book[key], fd[key], rtol=1e-6, atol=1e-8, err_msg=key)


def test_the_file_is_the_books_model_and_the_engine_agrees() -> None:
    model = catalog.load("goodfellow")
    nt = model.notation
    assert {r: nt.param(r).ascii for r in model.roles} == {
        Role.INPUT: "U", Role.RECURRENT: "W", Role.HIDDEN_BIAS: "b", Role.OUTPUT: "V",
        Role.OUTPUT_BIAS: "c",
    }  # fmt: skip
    assert (nt.preactivation.ascii, nt.output_preactivation.ascii, nt.loss.ascii) == ("a", "o", "L")
    assert (model.activation, model.output, model.loss) == ("tanh", "softmax", "cross_entropy")
    P, xs, labels = _instance(5)
    tr = engine.forward(P, xs)
    assert engine.loss(tr, labels) == pytest.approx(_loss(P, xs, labels), rel=1e-12)
    g = engine.backward(tr, targets=labels)
    book = _book_gradients(P, xs, labels)
    for key in P:
        np.testing.assert_allclose(g[key], book[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_verify_goodfellow() -> None:
    result = CliRunner().invoke(cli, ["verify", "goodfellow"])
    assert result.exit_code == 0, result.output


def _check(path: Path) -> str:
    result = CliRunner().invoke(cli, ["check", str(path)])
    return result.output


@pytest.mark.slow
def test_claims_file_verdicts_and_a_changed_claim_is_wrong(tmp_path: Path) -> None:
    out = _check(CLAIMS)
    for i in (18, 19, 20, 21, 22, 23, 24, 26, 28):
        assert f"eq10.{i}: CORRECT" in out, out
    # 10.26 with h^(t) where the book has h^(t-1): in numpy it differs from central differences
    P, xs, labels = _instance(3)
    hs, _, _ = _forward(P, xs)
    g_h, D = _book_gradients(P, xs, labels)["_g_h"], [np.diag(1 - h**2) for h in hs[1:]]
    changed_W = sum(np.outer(D[t] @ g_h[t], hs[t + 1]) for t in range(len(xs)))
    assert np.abs(changed_W - _central(P, xs, labels)["W"]).max() > 1e-3
    text = CLAIMS.read_text(encoding="utf-8").replace(
        r"\mathbf{h}^{(t-1)\top}", r"\mathbf{h}^{(t)\top}"
    )
    changed = tmp_path / "changed.yaml"
    changed.write_text(text, encoding="utf-8")
    assert "eq10.26: WRONG" in _check(changed)


# ---------------------------------------------------------------------- the book's notation


def _flat(tex: str) -> str:
    return re.sub(r"\\left|\\right|[{}\s]", "", tex)


def test_derive_prints_time_as_a_superscript_the_bias_first_and_tau() -> None:
    result = CliRunner().invoke(cli, ["derive", "goodfellow", "--format", "tex", "--no-checks"])
    assert result.exit_code == 0, result.output
    tex, flat = result.output, _flat(result.output)
    assert "a^(t)&=b+Wh^(t-1)+Ux^(t)" in flat  # eq. 10.8 as the book writes it
    assert "h^(t)&=\\tanh(a^(t))" in flat and "o^(t)&=c+Vh^(t)" in flat  # eqs. 10.9, 10.10
    assert "\\sum_t=1^\\tau" in flat  # tau steps
    assert "(h^(t-1))^\\top" in flat  # (h^{(t-1)})^T, never h^{(t-1)}^T
    assert "\\operatornamediag(1-(h^(i))^2)W" in flat  # tanh' as 1 - (h^{(t)})^2, eq. 10.21
    assert "\\tanh'\\left(" not in tex  # never tanh' applied to a^{(t)}
    # eqs. 10.19 and 10.21: the error term nabla_{h^{(t)}} L and its recursion, as printed
    assert (
        "\\nabla_h^(t)L&=W^\\top\\operatornamediag(1-(h^(t+1))^2)\\nabla_h^(t+1)L+V^\\top" in flat
    )
    assert "\\nabla_h^(\\tau)L&=V^\\top(\\haty^(\\tau)-y^(\\tau))" in flat
    assert not re.search(r"\^\{\([^{}]*\)\}\^", tex)  # no double superscript anywhere
    assert not re.search(r"\b[hxa]_\{t", tex)  # no subscript time left
    assert "h_{(t)-1}" not in tex


def test_the_printed_gradient_is_judged_correct_by_the_checker(tmp_path: Path) -> None:
    """The printed dL/dW (as the derivation writes it) read back by `symbptt check`."""
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "model: goodfellow\nanswers:\n  - id: dW\n"
        "    answer: '\\frac{\\partial L}{\\partial W} = \\sum_{t=1}^{\\tau} \\delta^{(t)} "
        "\\left(h^{(t-1)}\\right)^\\top'\n"
        "    where: {'\\delta^{(t)}': '\\frac{\\partial L}{\\partial a^{(t)}}'}\n"
        "  - id: dW-slip\n"
        "    answer: '\\frac{\\partial L}{\\partial W} = \\sum_{t=1}^{\\tau} \\delta^{(t)} "
        "\\left(h^{(t)}\\right)^\\top'\n"
        "    where: {'\\delta^{(t)}': '\\frac{\\partial L}{\\partial a^{(t)}}'}\n",
        encoding="utf-8",
    )
    out = _check(answers)
    assert "dW: CORRECT" in out and "dW-slip: WRONG" in out, out
