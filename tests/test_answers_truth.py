"""The checker's truth (central differences through its own forward pass) against the engine."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.answers.evaluate import Evaluator
from symbptt.answers.parse import parse_latex
from symbptt.answers.truth import Definitions, World
from symbptt.catalog import load
from symbptt.engine import backward, forward


@pytest.mark.parametrize(
    ("name", "symbol", "key"),
    [("dl4nlp", "U", "W"), ("dl4nlp", "W", "U"), ("dl4nlp", "V", "V")],
    ids=["dl4nlp-U", "dl4nlp-W", "dl4nlp-V"],
)
def test_graph_derivative_matches_engine_bptt(name: str, symbol: str, key: str) -> None:
    # dl4nlp calls the recurrent matrix U; the engine calls it W (roles, not letters).
    model = load(name)
    w = World(model, Definitions(), T=4, n=3, m=2, k=3, seed=5)
    got = Evaluator(w)(parse_latex(f"\\frac{{\\partial E}}{{\\partial {symbol}}}"))
    keys = {"input": "U", "recurrent": "W", "output": "V"}
    params = {keys[r]: v for r, v in w.params.items()}
    tr = forward(params, w.xs[1:, :, 0], w.h0[:, 0], activation="tanh", output="softmax")
    want = backward(tr, targets=w.targets[1:, :, 0])[key]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_softmax_targets_are_probability_vectors() -> None:
    w = World(load("dl4nlp"), Definitions(), T=3, n=2, m=2, k=3, seed=1)
    assert np.allclose(w.targets.sum(axis=1), 1.0) and (w.targets > 0).all()


def test_local_and_total_derivatives_differ_only_after_the_last_step() -> None:
    # homework3: L = sum_t L_t; dL/dh_T = dL_T/dh_T (nothing later), but dL/dh_1 != dL_1/dh_1.
    w = World(load("homework3"), Definitions(), T=3, n=2, m=2, seed=0)
    ev = Evaluator(w)
    total = [ev(parse_latex(f"\\frac{{\\partial L}}{{\\partial h_{t}}}")) for t in (1, 3)]
    local = [ev(parse_latex(f"\\frac{{\\partial L_{t}}}{{\\partial h_{t}}}")) for t in (1, 3)]
    np.testing.assert_allclose(total[1], local[1], rtol=1e-7)
    assert not np.allclose(total[0], local[0], rtol=1e-3)
