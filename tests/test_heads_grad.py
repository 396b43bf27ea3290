"""The heads table's textbook dE/dz (sympy_grad) is the derivative of its own loss, and the
output lemma fails when that entry is wrong (so the printed e_t cannot drift from the loss)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from symbptt import catalog
from symbptt.cells import heads
from symbptt.symbolic import steplemma

PAIRS = [h for h in heads.HEADS.values() if h.has_output_layer]


@pytest.mark.parametrize("head", PAIRS, ids=lambda h: h.name)
def test_sympy_grad_is_central_difference_of_the_loss(head: heads.Head) -> None:
    rng = np.random.default_rng(3)
    k = 3
    z0 = rng.normal(size=k)
    y0 = rng.uniform(0.1, 1.0, size=k)  # targets not summing to 1 on purpose
    z, y = sp.symbols(f"z0:{k}"), sp.symbols(f"y0:{k}")
    yhat = head.sympy_output(list(z))
    grad = sp.lambdify([z, y], head.sympy_grad(yhat, list(y)))(z0, y0)
    loss = sp.lambdify([z, y], head.sympy_loss(list(z), list(y)))
    eps = 1e-6
    for j in range(k):
        e = np.zeros(k)
        e[j] = eps
        fd = (loss(z0 + e, y0) - loss(z0 - e, y0)) / (2 * eps)
        assert abs(grad[j] - fd) < 1e-7 * max(1.0, abs(fd))


def test_a_wrong_table_grad_fails_the_output_lemma(monkeypatch: pytest.MonkeyPatch) -> None:
    model = catalog.load("dl4nlp")  # softmax + cross-entropy
    head = heads.head_for(model.output, model.loss)
    ok = [ok for text, ok in steplemma.prove(model, 1).steps if "output lemma" in text]
    assert ok == [True]
    bad = replace(head, sympy_grad=lambda yhat, y: [p - yj for p, yj in zip(yhat, y, strict=True)])
    monkeypatch.setattr(steplemma, "model_head", lambda m: bad)
    ok = [ok for text, ok in steplemma.prove(model, 1).steps if "output lemma" in text]
    assert ok == [False]
